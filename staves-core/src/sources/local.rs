//! Repositories that are plain local directories (`type = "local"`).

use std::io;
use std::path::{Path, PathBuf};

use super::{Snapshot, SourceError};
use crate::gentoo::tree::{DirEntry, EntryKind, RepoFiles};

/// The snapshot of a local directory: its files as they are now.
pub(super) fn snapshot(name: &str, path: &Path) -> Result<Snapshot, SourceError> {
    if !path.is_dir() {
        return Err(SourceError::LocalMissing {
            name: name.to_owned(),
            path: path.to_owned(),
        });
    }
    Ok(Snapshot::from_dir(name, path))
}

/// [`RepoFiles`] over a directory of the local file system.
///
/// Symlinks are reported as [`EntryKind::Symlink`] and never followed, the
/// same as in a git tree: reading a symlink, or a path through a symlinked
/// directory, finds nothing. Paths with `..`, `.`, empty components or a
/// leading `/` are refused with [`io::ErrorKind::InvalidInput`], so nothing
/// outside the root can be reached.
#[derive(Debug, Clone)]
pub struct DirFiles {
    root: PathBuf,
}

impl DirFiles {
    /// Files below `root`.
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// The directory this reads.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The absolute path of `path`, or `None` when one of its directories is
    /// a symlink or not a directory.
    fn resolve(&self, path: &str) -> io::Result<Option<PathBuf>> {
        let components = split_path(path)?;
        let mut full = self.root.clone();
        let Some((last, dirs)) = components.split_last() else {
            return Ok(Some(full));
        };
        for dir in dirs {
            full.push(dir);
            match kind_of(&full)? {
                Some(EntryKind::Dir) => {}
                _ => return Ok(None),
            }
        }
        full.push(last);
        Ok(Some(full))
    }
}

/// Splits a repository-relative path into its components, refusing anything
/// that could leave the root.
pub(super) fn split_path(path: &str) -> io::Result<Vec<&str>> {
    if path.is_empty() {
        return Ok(Vec::new());
    }
    let parts: Vec<&str> = path.split('/').collect();
    if parts
        .iter()
        .any(|p| p.is_empty() || *p == "." || *p == ".." || p.contains('\0'))
    {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "`{path}` is not a plain repository-relative path (no `..`, `.`, empty parts or leading `/`)"
            ),
        ));
    }
    Ok(parts)
}

/// The kind of the entry at `path` without following symlinks; `None` when
/// nothing is there or it is neither a file, a directory nor a symlink.
fn kind_of(path: &Path) -> io::Result<Option<EntryKind>> {
    match fs_err::symlink_metadata(path) {
        Ok(meta) => Ok(kind_from(meta.file_type())),
        Err(e) if is_absent(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

fn kind_from(ty: std::fs::FileType) -> Option<EntryKind> {
    if ty.is_symlink() {
        Some(EntryKind::Symlink)
    } else if ty.is_dir() {
        Some(EntryKind::Dir)
    } else if ty.is_file() {
        Some(EntryKind::File)
    } else {
        None
    }
}

/// "Not found" and "a path component is not a directory" both mean that
/// nothing is there.
fn is_absent(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
    )
}

impl RepoFiles for DirFiles {
    fn read(&self, path: &str) -> io::Result<Option<Vec<u8>>> {
        if path.is_empty() {
            return Ok(None);
        }
        let Some(full) = self.resolve(path)? else {
            return Ok(None);
        };
        if kind_of(&full)? != Some(EntryKind::File) {
            return Ok(None);
        }
        match fs_err::read(&full) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if is_absent(&e) => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn list(&self, path: &str) -> io::Result<Option<Vec<DirEntry>>> {
        let Some(full) = self.resolve(path)? else {
            return Ok(None);
        };
        if kind_of(&full)? != Some(EntryKind::Dir) {
            return Ok(None);
        }
        let mut out = Vec::new();
        for entry in fs_err::read_dir(&full)? {
            let entry = entry?;
            let Some(kind) = kind_from(entry.file_type()?) else {
                continue;
            };
            let name = entry.file_name().into_string().map_err(|name| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "`{}` has an entry whose name is not UTF-8: {name:?}",
                        full.display()
                    ),
                )
            })?;
            out.push(DirEntry { name, kind });
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(Some(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs_err::create_dir_all(root.join("profiles")).unwrap();
        fs_err::write(root.join("profiles/repo_name"), "x\n").unwrap();
        fs_err::create_dir_all(root.join("metadata/md5-cache/app-misc")).unwrap();
        fs_err::write(root.join("metadata/md5-cache/app-misc/b-1"), "EAPI=8\n").unwrap();
        fs_err::write(root.join("metadata/md5-cache/app-misc/a-1"), "EAPI=7\n").unwrap();
        std::os::unix::fs::symlink("../profiles", root.join("metadata/link")).unwrap();
        dir
    }

    #[test]
    fn reads_and_lists_sorted_with_kinds() {
        let dir = tree();
        let files = DirFiles::new(dir.path());
        assert_eq!(files.read("profiles/repo_name").unwrap().unwrap(), b"x\n");
        assert_eq!(files.read("profiles/nope").unwrap(), None);
        assert_eq!(files.read("profiles").unwrap(), None);
        assert_eq!(files.read("profiles/repo_name/x").unwrap(), None);
        let names: Vec<_> = files
            .list("metadata/md5-cache/app-misc")
            .unwrap()
            .unwrap()
            .into_iter()
            .map(|e| e.name)
            .collect();
        assert_eq!(names, ["a-1", "b-1"]);
        let meta = files.list("metadata").unwrap().unwrap();
        assert_eq!(
            meta,
            [
                DirEntry {
                    name: "link".into(),
                    kind: EntryKind::Symlink
                },
                DirEntry {
                    name: "md5-cache".into(),
                    kind: EntryKind::Dir
                },
            ]
        );
        assert_eq!(files.list("profiles/repo_name").unwrap(), None);
        assert_eq!(files.list("nope").unwrap(), None);
        assert_eq!(files.list("").unwrap().unwrap().len(), 2);
    }

    #[test]
    fn does_not_follow_symlinks() {
        let dir = tree();
        let files = DirFiles::new(dir.path());
        assert_eq!(files.read("metadata/link").unwrap(), None);
        assert_eq!(files.read("metadata/link/repo_name").unwrap(), None);
        assert_eq!(files.list("metadata/link").unwrap(), None);
    }

    #[test]
    fn refuses_paths_that_escape_the_root() {
        let dir = tree();
        let files = DirFiles::new(dir.path().join("profiles"));
        for bad in [
            "../metadata",
            "a/../../x",
            "/etc/passwd",
            "./repo_name",
            "a//b",
        ] {
            let err = files.read(bad).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{bad}");
            let err = files.list(bad).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput, "{bad}");
        }
    }

    #[test]
    fn snapshot_of_missing_directory_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = snapshot("overlay", &dir.path().join("missing")).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("local repository `overlay` at `"),
            "{err}"
        );
        let snap = snapshot("overlay", dir.path()).unwrap();
        assert_eq!(snap.commit, None);
    }
}
