//! Writing a snapshot out as a plain directory, to mount read-only into
//! builder containers.

use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use git2::Oid;

use super::git_files::{GitTreeFiles, MODE_EXECUTABLE};
use super::{Origin, Snapshot, SourceError};
use crate::gentoo::tree::{EntryKind, RepoFiles};

const MODE_DIR: u32 = 0o755;
const MODE_FILE: u32 = 0o644;
const MODE_EXEC: u32 = 0o755;

/// Writes the files of `snapshot` to `dest`: the tree of its commit for a git
/// repository, a copy of the directory (without a top-level `.git`) for a
/// local one.
///
/// Directories get mode 0755, files 0644 or, when executable, 0755 (git
/// keeps only the executable bit; local files are normalised the same way).
/// Symlinks are recreated as they are, not followed. Git submodules are
/// left out. Modification times are not preserved (nothing in Portage reads
/// them for md5-dict caches).
///
/// The files are written to a temporary directory beside `dest`, which is
/// then renamed to `dest`: a crash never leaves a half-written export.
/// `dest` must not exist or be an empty directory.
///
/// # Errors
/// [`SourceError::ExportDestination`] when `dest` is in the way,
/// [`SourceError::UnsafePath`] for tree entries such as `..`,
/// [`SourceError::Io`] for file-system failures.
pub fn export(snapshot: &Snapshot, dest: &Path) -> Result<(), SourceError> {
    let in_the_way = || SourceError::ExportDestination {
        name: snapshot.name.clone(),
        path: dest.to_owned(),
    };
    if dest.symlink_metadata().is_ok() {
        let empty_dir = dest.is_dir()
            && fs_err::read_dir(dest)
                .map_err(|e| SourceError::io("read", dest, e))?
                .next()
                .is_none();
        if !empty_dir {
            return Err(in_the_way());
        }
    }
    let parent = match dest.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    fs_err::create_dir_all(parent).map_err(|e| SourceError::io("create", parent, e))?;
    let tmp = tempfile::Builder::new()
        .prefix(".staves-export-")
        .tempdir_in(parent)
        .map_err(|e| SourceError::io("create a directory in", parent, e))?;
    set_mode(tmp.path(), MODE_DIR)?;
    match &snapshot.origin {
        Origin::Git(files) => write_tree(&snapshot.name, files, files.tree_id(), "", tmp.path())?,
        Origin::Dir(root) => copy_dir(root, tmp.path(), true)?,
        Origin::Other => write_files(&snapshot.name, snapshot.files.as_ref(), "", tmp.path())?,
    }
    let tmp = tmp.keep();
    if let Err(e) = fs_err::rename(&tmp, dest) {
        let _ = fs_err::remove_dir_all(&tmp);
        return Err(match e.kind() {
            std::io::ErrorKind::DirectoryNotEmpty | std::io::ErrorKind::NotADirectory => {
                in_the_way()
            }
            _ => SourceError::io("move the export to", dest, e),
        });
    }
    Ok(())
}

fn set_mode(path: &Path, mode: u32) -> Result<(), SourceError> {
    fs_err::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .map_err(|e| SourceError::io("set the permissions of", path, e))
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_owned()
    } else {
        format!("{prefix}/{name}")
    }
}

/// Refuses entry names that could write outside the destination.
fn check_name(repo: &str, prefix: &str, name: &str) -> Result<(), SourceError> {
    if name.is_empty() || name == "." || name == ".." || name.contains(['/', '\0']) {
        return Err(SourceError::UnsafePath {
            name: repo.to_owned(),
            path: join(prefix, name),
        });
    }
    Ok(())
}

fn write_file(path: &Path, bytes: &[u8], mode: u32) -> Result<(), SourceError> {
    fs_err::write(path, bytes).map_err(|e| SourceError::io("write", path, e))?;
    set_mode(path, mode)
}

fn write_tree(
    repo: &str,
    files: &GitTreeFiles,
    tree: Oid,
    prefix: &str,
    dir: &Path,
) -> Result<(), SourceError> {
    let cache_err = |e| SourceError::io("read from the git cache", files.repo_path(), e);
    for item in files.read_tree(tree).map_err(cache_err)?.iter() {
        check_name(repo, prefix, &item.name)?;
        let target = dir.join(&item.name);
        match item.kind {
            Some(EntryKind::Dir) => {
                fs_err::create_dir(&target).map_err(|e| SourceError::io("create", &target, e))?;
                set_mode(&target, MODE_DIR)?;
                write_tree(repo, files, item.id, &join(prefix, &item.name), &target)?;
            }
            Some(kind @ (EntryKind::File | EntryKind::Symlink)) => {
                let bytes = files
                    .with_repo(|r| Ok(r.find_blob(item.id)?.content().to_vec()))
                    .map_err(cache_err)?;
                if kind == EntryKind::Symlink {
                    let link = std::ffi::OsStr::from_bytes(&bytes);
                    fs_err::os::unix::fs::symlink(link, &target)
                        .map_err(|e| SourceError::io("create the symlink", &target, e))?;
                } else {
                    let mode = if item.mode == MODE_EXECUTABLE {
                        MODE_EXEC
                    } else {
                        MODE_FILE
                    };
                    write_file(&target, &bytes, mode)?;
                }
            }
            None => {}
        }
    }
    Ok(())
}

fn copy_dir(src: &Path, dst: &Path, top: bool) -> Result<(), SourceError> {
    let entries = fs_err::read_dir(src).map_err(|e| SourceError::io("read", src, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| SourceError::io("read", src, e))?;
        if top && entry.file_name() == ".git" {
            continue;
        }
        let from = entry.path();
        let to = dst.join(entry.file_name());
        let meta =
            fs_err::symlink_metadata(&from).map_err(|e| SourceError::io("stat", &from, e))?;
        let ty = meta.file_type();
        if ty.is_symlink() {
            let link = fs_err::read_link(&from).map_err(|e| SourceError::io("read", &from, e))?;
            fs_err::os::unix::fs::symlink(&link, &to)
                .map_err(|e| SourceError::io("create the symlink", &to, e))?;
        } else if ty.is_dir() {
            fs_err::create_dir(&to).map_err(|e| SourceError::io("create", &to, e))?;
            set_mode(&to, MODE_DIR)?;
            copy_dir(&from, &to, false)?;
        } else if ty.is_file() {
            fs_err::copy(&from, &to).map_err(|e| SourceError::io("copy", &from, e))?;
            let executable = meta.permissions().mode() & 0o111 != 0;
            set_mode(&to, if executable { MODE_EXEC } else { MODE_FILE })?;
        }
    }
    Ok(())
}

fn write_files(
    repo: &str,
    files: &dyn RepoFiles,
    prefix: &str,
    dir: &Path,
) -> Result<(), SourceError> {
    let entries = files
        .list(prefix)
        .map_err(|e| SourceError::io("list", prefix, e))?
        .unwrap_or_default();
    for entry in entries {
        check_name(repo, prefix, &entry.name)?;
        let path = join(prefix, &entry.name);
        let target = dir.join(&entry.name);
        match entry.kind {
            EntryKind::Dir => {
                fs_err::create_dir(&target).map_err(|e| SourceError::io("create", &target, e))?;
                set_mode(&target, MODE_DIR)?;
                write_files(repo, files, &path, &target)?;
            }
            EntryKind::File => {
                let bytes = files
                    .read(&path)
                    .map_err(|e| SourceError::io("read", &path, e))?
                    .unwrap_or_default();
                write_file(&target, &bytes, MODE_FILE)?;
            }
            EntryKind::Symlink => {
                return Err(SourceError::io(
                    "export the symlink",
                    &path,
                    std::io::Error::new(
                        std::io::ErrorKind::Unsupported,
                        "the files of this snapshot cannot tell a symlink's target",
                    ),
                ));
            }
        }
    }
    Ok(())
}
