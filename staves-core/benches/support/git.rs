//! Writing a generated repository: as one commit of a git repository
//! (objects built in memory and written as a single pack, as a clone
//! leaves them), or as a plain directory (for Portage).

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::Path;

use git2::{Buf, FileMode, Oid, Repository, Signature, Time};

/// A directory of the tree being built: files and subdirectories.
#[derive(Default)]
struct Dir {
    files: BTreeMap<String, Oid>,
    dirs: BTreeMap<String, Dir>,
}

impl Dir {
    fn insert(&mut self, path: &str, oid: Oid) {
        match path.split_once('/') {
            Some((first, rest)) => self
                .dirs
                .entry(first.to_owned())
                .or_default()
                .insert(rest, oid),
            None => {
                self.files.insert(path.to_owned(), oid);
            }
        }
    }

    fn write(&self, repo: &Repository) -> Result<Oid, git2::Error> {
        let mut b = repo.treebuilder(None)?;
        for (name, dir) in &self.dirs {
            b.insert(name, dir.write(repo)?, FileMode::Tree.into())?;
        }
        for (name, oid) in &self.files {
            b.insert(name, *oid, FileMode::Blob.into())?;
        }
        b.write()
    }
}

/// Creates a bare repository at `path` whose `main` branch (also `HEAD`)
/// is one commit holding `files`. The commit id depends only on the files
/// (fixed author and time). Returns the commit id.
pub(crate) fn commit(path: &Path, files: &BTreeMap<String, Vec<u8>>) -> Result<Oid, git2::Error> {
    let repo = Repository::init_bare(path)?;
    let odb = repo.odb()?;
    let mempack = odb.add_new_mempack_backend(1000)?;
    let mut root = Dir::default();
    for (p, bytes) in files {
        root.insert(p, repo.blob(bytes)?);
    }
    let tree = repo.find_tree(root.write(&repo)?)?;
    let sig = Signature::new(
        "Staves bench",
        "bench@example.invalid",
        &Time::new(1_767_225_600, 0),
    )?;
    let oid = repo.commit(
        None,
        &sig,
        &sig,
        "Generated ::gentoo-shaped repository",
        &tree,
        &[],
    )?;
    repo.reference("refs/heads/main", oid, true, "generated")?;
    repo.set_head("refs/heads/main")?;
    let mut buf = Buf::new();
    mempack.dump(&repo, &mut buf)?;
    let mut writer = odb.packwriter()?;
    writer
        .write_all(&buf)
        .map_err(|e| git2::Error::from_str(&e.to_string()))?;
    writer.commit()?;
    mempack.reset()?;
    Ok(oid)
}

/// Writes `files` below `dir`.
pub(crate) fn write_dir(dir: &Path, files: &BTreeMap<String, Vec<u8>>) -> std::io::Result<()> {
    for (p, bytes) in files {
        let path = dir.join(p);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(path, bytes)?;
    }
    Ok(())
}
