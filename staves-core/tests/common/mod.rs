//! Helpers shared by staves-core's integration tests: a local-directory
//! [`RepoFiles`], the workspace paths, and the real-Portage venv policy
//! (required when `CI=true`, optional otherwise).

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use staves_core::gentoo::{DirEntry, EntryKind, RepoFiles};

mod portage;
pub(crate) use portage::portage_python;

/// A repository read straight from a directory of the working tree.
#[derive(Debug, Clone)]
pub(crate) struct LocalDir {
    root: PathBuf,
}

impl LocalDir {
    /// Reads the repository rooted at `root`.
    pub(crate) fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    fn path(&self, rel: &str) -> io::Result<PathBuf> {
        if rel.split('/').any(|c| c == "..") || rel.starts_with('/') {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("path {rel:?} leaves the repository"),
            ));
        }
        Ok(if rel.is_empty() {
            self.root.clone()
        } else {
            self.root.join(rel)
        })
    }
}

/// `Ok(None)` for "not found" and "not a directory" errors.
fn not_found_is_none<T>(r: io::Result<T>) -> io::Result<Option<T>> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
            ) =>
        {
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

impl RepoFiles for LocalDir {
    fn read(&self, path: &str) -> io::Result<Option<Vec<u8>>> {
        let p = self.path(path)?;
        if p.is_dir() {
            return Ok(None);
        }
        not_found_is_none(fs::read(p))
    }

    fn list(&self, path: &str) -> io::Result<Option<Vec<DirEntry>>> {
        let Some(rd) = not_found_is_none(fs::read_dir(self.path(path)?))? else {
            return Ok(None);
        };
        let mut out = Vec::new();
        for entry in rd {
            let entry = entry?;
            let ft = entry.file_type()?;
            let kind = if ft.is_symlink() {
                EntryKind::Symlink
            } else if ft.is_dir() {
                EntryKind::Dir
            } else {
                EntryKind::File
            };
            let name = entry.file_name().into_string().map_err(|n| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("non-UTF-8 file name {n:?}"),
                )
            })?;
            out.push(DirEntry { name, kind });
        }
        out.sort();
        Ok(Some(out))
    }
}

/// The workspace root (the parent of `staves-core/`).
pub(crate) fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("staves-core has a parent directory")
        .to_path_buf()
}

/// Whether the tests run in CI (`CI=true`), where external parts are
/// mandatory.
pub(crate) fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}
