//! The metadata index of a root filesystem: what WASI cannot show a plugin.

use std::fs;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use staves_plugin_api::{EntryKind, IndexEntry};

/// Every entry under `root` (not `root` itself), sorted by path (each
/// directory's entries by name, a directory before its contents), never
/// following a symlink. Names that are not UTF-8 are converted lossily.
pub fn build_index(root: &Path) -> io::Result<Vec<IndexEntry>> {
    let mut out = Vec::new();
    walk(root, "", &mut out)?;
    Ok(out)
}

fn walk(dir: &Path, rel: &str, out: &mut Vec<IndexEntry>) -> io::Result<()> {
    let mut names = Vec::new();
    for entry in fs::read_dir(dir)? {
        names.push(entry?.file_name());
    }
    names.sort();
    for name in names {
        let path = dir.join(&name);
        let meta = fs::symlink_metadata(&path)?;
        let name = name.to_string_lossy();
        let child = if rel.is_empty() {
            name.into_owned()
        } else {
            format!("{rel}/{name}")
        };
        let kind = EntryKind::of(meta.file_type());
        let target = match kind {
            EntryKind::Symlink => Some(fs::read_link(&path)?.to_string_lossy().into_owned()),
            _ => None,
        };
        out.push(IndexEntry {
            path: child.clone(),
            kind,
            mode: meta.mode() & 0o7777,
            uid: meta.uid(),
            gid: meta.gid(),
            size: if kind == EntryKind::File {
                meta.len()
            } else {
                0
            },
            target,
        });
        if kind == EntryKind::Dir {
            walk(&path, &child, out)?;
        }
    }
    Ok(())
}
