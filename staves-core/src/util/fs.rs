//! File-system helpers.

use std::io::{self, Write};
use std::path::Path;

/// Writes `bytes` to `path` so that readers see either the old or the new
/// content, never a half-written file.
///
/// The bytes go to a temporary file in the same directory (so the final
/// rename stays on one file system), which is flushed to disk with `fsync`
/// and then renamed over `path`. When `path` already exists its permission
/// bits are copied to the new file first; a new file gets `0o666` minus the
/// process umask, like a file created with [`std::fs::write`] (not the
/// owner-only mode temporary files usually get). On Unix the directory is synced
/// too, so the rename itself survives a crash.
///
/// # Errors
///
/// Any I/O error from creating, writing, syncing or renaming; errors name
/// the path they concern.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let existing = match fs_err::metadata(path) {
        Ok(meta) => Some(meta.permissions()),
        Err(err) if err.kind() == io::ErrorKind::NotFound => None,
        Err(err) => return Err(err),
    };
    let mut builder = tempfile::Builder::new();
    builder.prefix(".staves-tmp-");
    #[cfg(unix)]
    if existing.is_none() {
        // The kernel applies the umask to the mode given at creation, so this
        // is the mode `open(2)` would give a new file (instead of the
        // owner-only mode temporary files usually get).
        use std::os::unix::fs::PermissionsExt;
        builder.permissions(std::fs::Permissions::from_mode(0o666));
    }
    let mut temp = builder
        .tempfile_in(dir)
        .map_err(|err| with_path(err, "create a temporary file in", dir))?;
    temp.write_all(bytes)
        .map_err(|err| with_path(err, "write", temp.path()))?;
    if let Some(permissions) = existing {
        fs_err::set_permissions(temp.path(), permissions)?;
    }
    temp.as_file()
        .sync_all()
        .map_err(|err| with_path(err, "sync", temp.path()))?;
    temp.persist(path)
        .map_err(|err| with_path(err.error, "rename a temporary file to", path))?;
    sync_dir(dir)
}

fn with_path(err: io::Error, action: &str, path: &Path) -> io::Error {
    io::Error::new(
        err.kind(),
        format!("failed to {action} `{}`: {err}", path.display()),
    )
}

#[cfg(unix)]
fn sync_dir(dir: &Path) -> io::Result<()> {
    fs_err::File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_a_new_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("staves.toml");
        write_atomic(&path, b"name = \"x\"\n").unwrap();
        assert_eq!(fs_err::read(&path).unwrap(), b"name = \"x\"\n");
        let leftovers: Vec<_> = fs_err::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(leftovers.len(), 1, "temporary files left: {leftovers:?}");
    }

    #[test]
    fn replaces_an_existing_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("staves.toml");
        fs_err::write(&path, b"old content that is longer").unwrap();
        write_atomic(&path, b"new").unwrap();
        assert_eq!(fs_err::read(&path).unwrap(), b"new");
    }

    #[cfg(unix)]
    #[test]
    fn keeps_the_mode_of_an_existing_file() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("run.sh");
        fs_err::write(&path, b"old").unwrap();
        fs_err::set_permissions(&path, std::fs::Permissions::from_mode(0o751)).unwrap();
        write_atomic(&path, b"new").unwrap();
        let mode = fs_err::metadata(&path).unwrap().permissions().mode() & 0o7777;
        assert_eq!(mode, 0o751);
    }

    #[cfg(unix)]
    #[test]
    fn new_files_are_not_private_to_the_owner() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let reference = dir.path().join("reference");
        fs_err::write(&reference, b"x").unwrap();
        let path = dir.path().join("staves.toml");
        write_atomic(&path, b"x").unwrap();
        let mode = |p: &Path| fs_err::metadata(p).unwrap().permissions().mode() & 0o7777;
        assert_eq!(mode(&path), mode(&reference));
    }

    #[test]
    fn a_missing_directory_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing").join("staves.toml");
        let err = write_atomic(&path, b"x").unwrap_err();
        assert!(err.to_string().contains("missing"), "{err}");
    }
}
