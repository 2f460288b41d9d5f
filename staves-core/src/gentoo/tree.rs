//! Read-only access to the files of one repository at one state.
//!
//! Model code reads md5-cache entries, `layout.conf` and profiles through
//! [`RepoFiles`]; the `sources` module implements it for a git tree at a
//! pinned commit (read straight from the object database) and for a local
//! directory. [`MemFiles`] is an in-memory implementation for tests.

use std::collections::BTreeMap;
use std::io;

/// What kind of directory entry a [`DirEntry`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EntryKind {
    /// A regular file.
    File,
    /// A directory.
    Dir,
    /// A symbolic link (not followed).
    Symlink,
}

/// One entry of a directory listing.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DirEntry {
    /// The entry's file name (no slashes).
    pub name: String,
    /// Whether it is a file, a directory or a symlink.
    pub kind: EntryKind,
}

/// Read-only access to a repository's files.
///
/// Paths are relative to the repository root, `/`-separated, without a
/// leading slash (`"profiles/repo_name"`, `"metadata/md5-cache/app-misc"`).
/// The empty string names the root itself.
pub trait RepoFiles: Send + Sync {
    /// The bytes of the file at `path`, or `None` when no file is there.
    ///
    /// # Errors
    /// An I/O or object-database failure other than "not found".
    fn read(&self, path: &str) -> io::Result<Option<Vec<u8>>>;

    /// The entries of the directory at `path`, sorted by name, or `None`
    /// when no directory is there.
    ///
    /// # Errors
    /// An I/O or object-database failure other than "not found".
    fn list(&self, path: &str) -> io::Result<Option<Vec<DirEntry>>>;
}

/// An in-memory [`RepoFiles`]: a map from path to contents. Directories are
/// implied by the paths of the files below them.
#[derive(Debug, Clone, Default)]
pub struct MemFiles {
    files: BTreeMap<String, Vec<u8>>,
}

impl MemFiles {
    /// An empty tree.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) a file.
    pub fn insert(&mut self, path: impl Into<String>, contents: impl Into<Vec<u8>>) -> &mut Self {
        self.files.insert(path.into(), contents.into());
        self
    }
}

impl RepoFiles for MemFiles {
    fn read(&self, path: &str) -> io::Result<Option<Vec<u8>>> {
        Ok(self.files.get(path).cloned())
    }

    fn list(&self, path: &str) -> io::Result<Option<Vec<DirEntry>>> {
        let prefix = if path.is_empty() {
            String::new()
        } else {
            format!("{path}/")
        };
        let mut out: BTreeMap<String, EntryKind> = BTreeMap::new();
        for key in self.files.keys() {
            let Some(rest) = key.strip_prefix(&prefix) else {
                continue;
            };
            match rest.split_once('/') {
                Some((dir, _)) => {
                    out.insert(dir.to_owned(), EntryKind::Dir);
                }
                None => {
                    out.entry(rest.to_owned()).or_insert(EntryKind::File);
                }
            }
        }
        if out.is_empty() {
            return Ok(None);
        }
        Ok(Some(
            out.into_iter()
                .map(|(name, kind)| DirEntry { name, kind })
                .collect(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mem_files_lists_implied_directories() {
        let mut t = MemFiles::new();
        t.insert("profiles/repo_name", "x\n")
            .insert("metadata/md5-cache/a-b/c-1", "EAPI=8\n");
        let root = t.list("").unwrap().unwrap();
        assert_eq!(
            root.iter().map(|e| e.name.as_str()).collect::<Vec<_>>(),
            ["metadata", "profiles"]
        );
        assert_eq!(
            t.list("metadata/md5-cache/a-b").unwrap().unwrap()[0].kind,
            EntryKind::File
        );
        assert!(t.list("nope").unwrap().is_none());
        assert_eq!(t.read("profiles/repo_name").unwrap().unwrap(), b"x\n");
    }
}
