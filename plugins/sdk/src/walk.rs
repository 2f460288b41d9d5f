//! A sorted tree walk that never follows symlinks.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::EntryKind;

/// One entry found by [`walk`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The full path (under the walked root).
    pub path: PathBuf,
    /// The path relative to the root, `/`-separated.
    pub rel: String,
    /// What it is (a symlink is reported as such, never followed).
    pub kind: EntryKind,
}

/// Every entry under `root` (not `root` itself), depth-first, each
/// directory's entries sorted by name, a directory before its contents.
/// Symlinks are listed, never followed. A `root` that does not exist gives
/// an empty list.
pub fn walk(root: &Path) -> io::Result<Vec<Entry>> {
    let mut entries = Vec::new();
    match fs::symlink_metadata(root) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(entries),
        Err(e) => return Err(e),
        Ok(meta) if !meta.is_dir() => return Ok(entries),
        Ok(_) => {}
    }
    walk_dir(root, "", &mut entries)?;
    Ok(entries)
}

fn walk_dir(dir: &Path, rel: &str, out: &mut Vec<Entry>) -> io::Result<()> {
    let mut children = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let kind = EntryKind::of(entry.file_type()?);
        children.push((entry.file_name(), kind));
    }
    children.sort_by(|a, b| a.0.cmp(&b.0));
    for (name, kind) in children {
        let name = name.to_string_lossy();
        let child_rel = if rel.is_empty() {
            name.to_string()
        } else {
            format!("{rel}/{name}")
        };
        let path = dir.join(&*name);
        out.push(Entry {
            path: path.clone(),
            rel: child_rel.clone(),
            kind,
        });
        if kind == EntryKind::Dir {
            walk_dir(&path, &child_rel, out)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sorted_depth_first_without_following_symlinks() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::create_dir_all(root.join("b/d")).unwrap();
        fs::write(root.join("b/d/f"), "x").unwrap();
        fs::write(root.join("a"), "x").unwrap();
        std::os::unix::fs::symlink("b", root.join("c")).unwrap();
        let rels: Vec<(String, EntryKind)> = walk(root)
            .unwrap()
            .into_iter()
            .map(|e| (e.rel, e.kind))
            .collect();
        assert_eq!(
            rels,
            vec![
                ("a".into(), EntryKind::File),
                ("b".into(), EntryKind::Dir),
                ("b/d".into(), EntryKind::Dir),
                ("b/d/f".into(), EntryKind::File),
                ("c".into(), EntryKind::Symlink),
            ]
        );
        assert!(walk(&root.join("missing")).unwrap().is_empty());
    }
}
