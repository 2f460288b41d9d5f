//! The build cache below the user's cache directory:
//!
//! * `binpkgs/<builder-id-12>-<os>-<arch>/`: Portage's `PKGDIR`, one per
//!   builder image and platform (binary packages built by one builder are
//!   never installed by another);
//! * `exports/<repository>-<commit>/`: repositories written out at a locked
//!   commit, mounted read-only into builders (shared by every project);
//! * `images/blobs/`: the blob store of built images;
//! * `rootfs/<key>.json`: which layer a build produced, keyed by everything
//!   that determines the root filesystem (lock, builder image, generated
//!   Portage configuration, epoch, compression, Staves' version), so an
//!   unchanged rebuild runs no container at all;
//! * `tmp/`: per-build scratch directories (removed when the build ends).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::image::{BlobStore, Digest, Layer};

use super::error::BuildError;

/// The cache directories of builds.
#[derive(Debug, Clone)]
pub(crate) struct BuildCache {
    root: PathBuf,
}

/// A cached build result: the layer's descriptor fields.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct RootfsRecord {
    pub(crate) digest: String,
    pub(crate) size: u64,
    pub(crate) diff_id: String,
    pub(crate) uncompressed_size: u64,
    pub(crate) media_type: String,
    pub(crate) compressor: String,
    pub(crate) entries: u64,
    /// The builder image id, for `staves cache prune`.
    pub(crate) builder: String,
}

impl RootfsRecord {
    pub(crate) fn from_layer(layer: &Layer, builder: &str) -> Self {
        RootfsRecord {
            digest: layer.digest.to_string(),
            size: layer.size,
            diff_id: layer.diff_id.to_string(),
            uncompressed_size: layer.uncompressed_size,
            media_type: layer.media_type.clone(),
            compressor: layer.compressor.clone(),
            entries: layer.entries,
            builder: builder.to_owned(),
        }
    }

    pub(crate) fn to_layer(&self) -> Option<Layer> {
        Some(Layer {
            digest: Digest::parse(&self.digest).ok()?,
            size: self.size,
            diff_id: Digest::parse(&self.diff_id).ok()?,
            uncompressed_size: self.uncompressed_size,
            media_type: self.media_type.clone(),
            compressor: self.compressor.clone(),
            entries: self.entries,
        })
    }
}

/// `sha256:0123…` → `0123456789ab`.
pub(crate) fn short_id(id: &str) -> &str {
    let hex = id.strip_prefix("sha256:").unwrap_or(id);
    &hex[..hex.len().min(12)]
}

impl BuildCache {
    pub(crate) fn new(cache_dir: &Path) -> Self {
        BuildCache {
            root: cache_dir.to_owned(),
        }
    }

    fn dir(&self, name: &str) -> Result<PathBuf, BuildError> {
        let dir = self.root.join(name);
        fs_err::create_dir_all(&dir).map_err(|e| BuildError::io("create", &dir, e))?;
        Ok(dir)
    }

    /// The binary-package directory of a builder (created).
    pub(crate) fn binpkgs(&self, builder_id: &str, platform: &str) -> Result<PathBuf, BuildError> {
        let name = format!("{}-{}", short_id(builder_id), platform.replace('/', "-"));
        self.dir(&format!("binpkgs/{name}"))
    }

    /// The distfiles cache (`DISTDIR`), shared by every builder: Portage
    /// checks each file against the repository's Manifest before use.
    pub(crate) fn distfiles(&self) -> Result<PathBuf, BuildError> {
        self.dir("distfiles")
    }

    /// Where a repository at `commit` is exported.
    pub(crate) fn export_path(&self, name: &str, commit: &str) -> Result<PathBuf, BuildError> {
        Ok(self.dir("exports")?.join(format!("{name}-{commit}")))
    }

    pub(crate) fn blob_store(&self) -> Result<BlobStore, BuildError> {
        let dir = self.dir("images/blobs")?;
        BlobStore::open(&dir).map_err(|e| BuildError::io("open the blob store", &dir, e))
    }

    pub(crate) fn scratch(&self) -> Result<tempfile::TempDir, BuildError> {
        let dir = self.dir("tmp")?;
        tempfile::Builder::new()
            .prefix("build-")
            .tempdir_in(&dir)
            .map_err(|e| BuildError::io("create a directory in", &dir, e))
    }

    fn record_path(&self, key: &str) -> Result<PathBuf, BuildError> {
        Ok(self.dir("rootfs")?.join(format!("{}.json", short_key(key))))
    }

    /// The cached layer for `key`, if it and its blob are there.
    pub(crate) fn cached_rootfs(&self, key: &str, store: &BlobStore) -> Option<Layer> {
        let path = self.record_path(key).ok()?;
        let text = fs_err::read(&path).ok()?;
        let record: RootfsRecord = serde_json::from_slice(&text).ok()?;
        let layer = record.to_layer()?;
        let blob_ok =
            std::fs::metadata(store.path(&layer.digest)).is_ok_and(|m| m.len() == layer.size);
        blob_ok.then_some(layer)
    }

    pub(crate) fn store_rootfs(&self, key: &str, record: &RootfsRecord) -> Result<(), BuildError> {
        let path = self.record_path(key)?;
        let text = serde_json::to_vec_pretty(record)
            .map_err(|e| BuildError::io("encode", &path, std::io::Error::other(e)))?;
        crate::util::fs::write_atomic(&path, &text).map_err(|e| BuildError::io("write", &path, e))
    }
}

fn short_key(key: &str) -> &str {
    let hex = key.strip_prefix("sha256:").unwrap_or(key);
    &hex[..hex.len().min(32)]
}

/// What `staves cache prune` removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PruneOutcome {
    /// Removed directories and files.
    pub removed: Vec<PathBuf>,
    /// Bytes freed (approximate: file sizes).
    pub freed_bytes: u64,
}

fn size_of(path: &Path) -> u64 {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return 0;
    };
    if !meta.is_dir() {
        return meta.len();
    }
    std::fs::read_dir(path)
        .map(|d| d.flatten().map(|e| size_of(&e.path())).sum())
        .unwrap_or(0)
}

/// Removes build caches: every repository export (re-exported on demand),
/// scratch directories, rootfs records and the image blob store; binary
/// packages of builders other than `keep_builder`, or of every builder with
/// `all`. Without `all` and without a known current builder, binary
/// packages are kept. Compiled plugin modules always go (they are compiled
/// again on demand); fetched sources (distfiles) and downloaded plugins only
/// with `all`.
///
/// # Errors
/// [`BuildError::Io`] when something cannot be removed.
pub fn prune(
    cache_dir: &Path,
    keep_builder: Option<&str>,
    all: bool,
) -> Result<PruneOutcome, BuildError> {
    let mut outcome = PruneOutcome::default();
    let keep_prefix = keep_builder.map(|id| format!("{}-", short_id(id)));
    let mut remove = |path: PathBuf| -> Result<(), BuildError> {
        outcome.freed_bytes += size_of(&path);
        let result = if path.is_dir() {
            fs_err::remove_dir_all(&path)
        } else {
            fs_err::remove_file(&path)
        };
        result.map_err(|e| BuildError::io("remove", &path, e))?;
        outcome.removed.push(path);
        Ok(())
    };
    let children = |dir: PathBuf| -> Vec<PathBuf> {
        let mut list: Vec<PathBuf> = std::fs::read_dir(dir)
            .map(|d| d.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        list.sort();
        list
    };
    for path in children(cache_dir.join("binpkgs")) {
        let name = path
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let keep = match &keep_prefix {
            _ if all => false,
            Some(prefix) => name.starts_with(prefix.as_str()),
            None => true,
        };
        if keep {
            continue;
        }
        remove(path)?;
    }
    for path in children(cache_dir.join("plugins")) {
        let compiled = path.extension().is_some_and(|e| e == "cwasm");
        if compiled || (all && path.is_dir()) {
            remove(path)?;
        }
    }
    let mut subs = vec!["exports", "tmp", "rootfs", "images"];
    if all {
        subs.push("distfiles");
    }
    for sub in subs {
        for path in children(cache_dir.join(sub)) {
            remove(path)?;
        }
    }
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prune_keeps_only_the_current_builders_packages() {
        let dir = tempfile::tempdir().unwrap();
        let cache = BuildCache::new(dir.path());
        let current = cache
            .binpkgs("sha256:aaaaaaaaaaaa1111", "linux/amd64")
            .unwrap();
        let old = cache
            .binpkgs("sha256:bbbbbbbbbbbb2222", "linux/amd64")
            .unwrap();
        std::fs::write(current.join("x.gpkg.tar"), b"12345").unwrap();
        std::fs::write(old.join("y.gpkg.tar"), b"123").unwrap();
        let export = cache.export_path("gentoo", "c0ffee").unwrap();
        std::fs::create_dir_all(&export).unwrap();
        let downloads = dir.path().join("plugins/downloads");
        std::fs::create_dir_all(&downloads).unwrap();
        let compiled = dir.path().join("plugins/ab-0123.cwasm");
        std::fs::write(&compiled, b"1").unwrap();

        let outcome = prune(dir.path(), Some("sha256:aaaaaaaaaaaa1111"), false).unwrap();
        assert!(current.join("x.gpkg.tar").exists());
        assert!(!old.exists() && !export.exists() && !compiled.exists());
        assert!(downloads.exists());
        assert_eq!(outcome.removed, [old, compiled, export]);
        assert_eq!(outcome.freed_bytes, 4);

        assert_eq!(
            prune(dir.path(), None, false).unwrap().removed,
            Vec::<PathBuf>::new()
        );
        let all = prune(dir.path(), None, true).unwrap();
        assert_eq!(all.removed, [current, downloads]);
    }
}
