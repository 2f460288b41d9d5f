//! Run a plugin's handler against a directory on the host, for tests.
//!
//! The handler runs natively in the test process: no sandbox, no limits,
//! and [`Request::paths`] point at the real directories. It shows what the
//! plugin does with a tree; the wasm run under Staves stays the reference
//! for sandbox behaviour.

use std::fs;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use staves_plugin_api::{BuildInfo, Hook, Paths, PluginInfo};

use crate::{EntryKind, Error, ImageConfig, IndexEntry, Package, Request, Response};

/// A request builder and runner for one plugin test.
#[derive(Debug, Clone)]
pub struct Harness {
    rootfs: PathBuf,
    out: PathBuf,
    name: String,
    config: serde_json::Value,
    packages: Vec<Package>,
    image: ImageConfig,
    source_date_epoch: u64,
}

impl Harness {
    /// A harness for a plugin run on `rootfs`, writing artifacts to `out`
    /// (both must exist).
    pub fn new(rootfs: &Path, out: &Path) -> Harness {
        Harness {
            rootfs: rootfs.to_owned(),
            out: out.to_owned(),
            name: "test".into(),
            config: serde_json::json!({}),
            packages: Vec::new(),
            image: ImageConfig::default(),
            source_date_epoch: 0,
        }
    }

    /// Sets the plugin name of the request.
    pub fn name(mut self, name: &str) -> Harness {
        self.name = name.into();
        self
    }

    /// Sets the plugin's `config` table.
    pub fn config(mut self, config: serde_json::Value) -> Harness {
        self.config = config;
        self
    }

    /// Sets the locked packages.
    pub fn packages(mut self, packages: Vec<Package>) -> Harness {
        self.packages = packages;
        self
    }

    /// Sets the current image configuration.
    pub fn image(mut self, image: ImageConfig) -> Harness {
        self.image = image;
        self
    }

    /// Sets `SOURCE_DATE_EPOCH`.
    pub fn source_date_epoch(mut self, epoch: u64) -> Harness {
        self.source_date_epoch = epoch;
        self
    }

    /// The request the handler will get (with the index of the tree as it
    /// is now).
    pub fn request(&self) -> io::Result<Request> {
        Ok(Request {
            api_version: crate::API_VERSION,
            hook: Hook::PostBuild,
            plugin: PluginInfo {
                name: self.name.clone(),
                sha256: "0".repeat(64),
            },
            paths: Paths {
                rootfs: self.rootfs.to_string_lossy().into_owned(),
                out: self.out.to_string_lossy().into_owned(),
            },
            image: self.image.clone(),
            packages: self.packages.clone(),
            index: index(&self.rootfs)?,
            config: self.config.clone(),
            build: BuildInfo {
                source_date_epoch: self.source_date_epoch,
                staves_version: "test".into(),
                arch: "amd64".into(),
                extra: Default::default(),
            },
        })
    }

    /// Runs `handler` on the request, as the plugin's `main` would.
    pub fn run(
        &self,
        handler: impl FnOnce(&Request) -> Result<Response, Error>,
    ) -> Result<Response, Error> {
        let request = self.request()?;
        // The same JSON round trip as a real run.
        let json = serde_json::to_vec(&request)?;
        let request: Request = serde_json::from_slice(&json)?;
        handler(&request)
    }
}

/// The metadata index of `root`, as the host builds it: every entry, sorted
/// by path, symlinks not followed.
pub fn index(root: &Path) -> io::Result<Vec<IndexEntry>> {
    let mut out = Vec::new();
    for entry in crate::walk(root)? {
        let meta = fs::symlink_metadata(&entry.path)?;
        let target = match entry.kind {
            EntryKind::Symlink => Some(fs::read_link(&entry.path)?.to_string_lossy().into_owned()),
            _ => None,
        };
        out.push(IndexEntry {
            path: entry.rel,
            kind: entry.kind,
            mode: meta.mode() & 0o7777,
            uid: meta.uid(),
            gid: meta.gid(),
            size: if entry.kind == EntryKind::File {
                meta.len()
            } else {
                0
            },
            target,
        });
    }
    Ok(out)
}
