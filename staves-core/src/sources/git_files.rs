//! [`RepoFiles`] read straight from a git object database, at one tree,
//! without a checkout.

use std::collections::HashMap;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use git2::{ObjectType, Oid, Repository};

use super::local::split_path;
use crate::gentoo::tree::{DirEntry, EntryKind, RepoFiles};

/// Git's file mode of an executable file.
pub(super) const MODE_EXECUTABLE: i32 = 0o100_755;
/// Git's file mode of a symlink.
const MODE_SYMLINK: i32 = 0o120_000;

/// One entry of a parsed tree.
#[derive(Debug, Clone)]
pub(super) struct TreeItem {
    /// The file name.
    pub(super) name: String,
    /// The blob or tree id.
    pub(super) id: Oid,
    /// Git's file mode (`0o100644`, `0o100755`, `0o120000`, `0o040000`).
    pub(super) mode: i32,
    /// `None` for a submodule, which Staves ignores.
    pub(super) kind: Option<EntryKind>,
}

/// [`RepoFiles`] over one tree of a (bare) git repository.
///
/// Reading a file decompresses its blob; nothing is written to disk.
/// Symlinks are listed as [`EntryKind::Symlink`] and not followed: reading
/// one, or a path through one, finds nothing. Submodules are left out.
///
/// Each parsed directory is cached, so a read costs one hash-map look-up
/// per path component and one blob inflate. A `git2::Repository` is `Send`
/// but not `Sync`: this keeps a pool of handles, one per concurrently
/// reading thread, opened on demand.
pub struct GitTreeFiles {
    repo_path: PathBuf,
    tree: Oid,
    pool: Mutex<Vec<Repository>>,
    dirs: Mutex<HashMap<String, Arc<[TreeItem]>>>,
}

impl fmt::Debug for GitTreeFiles {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GitTreeFiles")
            .field("repo_path", &self.repo_path)
            .field("tree", &self.tree)
            .finish_non_exhaustive()
    }
}

impl GitTreeFiles {
    /// The files of the tree of `commit` in the repository at `repo_path`.
    ///
    /// # Errors
    /// The repository cannot be opened, or `commit` is not a commit in it.
    pub fn at_commit(repo_path: impl Into<PathBuf>, commit: Oid) -> Result<Self, git2::Error> {
        let repo_path = repo_path.into();
        let repo = Repository::open(&repo_path)?;
        Self::from_repo(repo, repo_path, commit)
    }

    /// Like [`GitTreeFiles::at_commit`], reusing an open handle.
    pub(super) fn from_repo(
        repo: Repository,
        repo_path: PathBuf,
        commit: Oid,
    ) -> Result<Self, git2::Error> {
        let tree = repo.find_commit(commit)?.tree_id();
        Ok(Self {
            repo_path,
            tree,
            pool: Mutex::new(vec![repo]),
            dirs: Mutex::new(HashMap::new()),
        })
    }

    /// The id of the root tree.
    pub fn tree_id(&self) -> Oid {
        self.tree
    }

    /// The repository these files are read from.
    pub fn repo_path(&self) -> &Path {
        &self.repo_path
    }

    /// The git blob id (40 hex digits) of the regular file at `path`, or
    /// `None` when no regular file is there. Reads no blob.
    ///
    /// # Errors
    /// The object database could not be read.
    pub fn blob_id(&self, path: &str) -> io::Result<Option<String>> {
        Ok(self
            .entry(path)?
            .filter(|item| item.kind == Some(EntryKind::File))
            .map(|item| item.id.to_string()))
    }

    /// Runs `f` with a repository handle from the pool.
    pub(super) fn with_repo<T>(
        &self,
        f: impl FnOnce(&Repository) -> Result<T, git2::Error>,
    ) -> io::Result<T> {
        let pooled = self
            .pool
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .pop();
        let repo = match pooled {
            Some(repo) => repo,
            None => Repository::open(&self.repo_path).map_err(to_io)?,
        };
        let result = f(&repo).map_err(to_io);
        self.pool
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(repo);
        result
    }

    /// The parsed entries of the tree `id`, sorted by name.
    pub(super) fn read_tree(&self, id: Oid) -> io::Result<Arc<[TreeItem]>> {
        let mut items = self.with_repo(|repo| {
            let tree = repo.find_tree(id)?;
            let mut items = Vec::with_capacity(tree.len());
            for entry in tree.iter() {
                let name = String::from_utf8(entry.name_bytes().to_vec())
                    .map_err(|_| git2::Error::from_str("a tree entry name is not UTF-8"))?;
                let mode = entry.filemode();
                let kind = match entry.kind() {
                    Some(ObjectType::Tree) => Some(EntryKind::Dir),
                    Some(ObjectType::Blob) if mode == MODE_SYMLINK => Some(EntryKind::Symlink),
                    Some(ObjectType::Blob) => Some(EntryKind::File),
                    // Submodules (mode 0o160000) and anything else.
                    _ => None,
                };
                items.push(TreeItem {
                    name,
                    id: entry.id(),
                    mode,
                    kind,
                });
            }
            Ok(items)
        })?;
        // Git orders a directory `a` as if it were `a/`; callers want plain
        // byte order.
        items.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(items.into())
    }

    /// The entries of the directory at `path`, or `None` when no directory
    /// is there.
    fn dir(&self, path: &str) -> io::Result<Option<Arc<[TreeItem]>>> {
        if let Some(found) = self.cached(path) {
            return Ok(Some(found));
        }
        let id = if path.is_empty() {
            self.tree
        } else {
            match self.entry(path)? {
                Some(item) if item.kind == Some(EntryKind::Dir) => item.id,
                _ => return Ok(None),
            }
        };
        let items = self.read_tree(id)?;
        self.dirs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(path.to_owned(), Arc::clone(&items));
        Ok(Some(items))
    }

    fn cached(&self, path: &str) -> Option<Arc<[TreeItem]>> {
        self.dirs
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(path)
            .cloned()
    }

    /// The entry at `path` (not the root), or `None`.
    fn entry(&self, path: &str) -> io::Result<Option<TreeItem>> {
        let parts = split_path(path)?;
        let Some(name) = parts.last() else {
            return Ok(None);
        };
        let parent = path[..path.len() - name.len()].trim_end_matches('/');
        let Some(items) = self.dir(parent)? else {
            return Ok(None);
        };
        Ok(items
            .binary_search_by(|item| item.name.as_str().cmp(name))
            .ok()
            .map(|i| items[i].clone()))
    }
}

fn to_io(e: git2::Error) -> io::Error {
    io::Error::other(e)
}

impl RepoFiles for GitTreeFiles {
    fn read(&self, path: &str) -> io::Result<Option<Vec<u8>>> {
        match self.entry(path)? {
            Some(item) if item.kind == Some(EntryKind::File) => self
                .with_repo(|repo| Ok(repo.find_blob(item.id)?.content().to_vec()))
                .map(Some),
            _ => Ok(None),
        }
    }

    fn list(&self, path: &str) -> io::Result<Option<Vec<DirEntry>>> {
        split_path(path)?;
        Ok(self.dir(path)?.map(|items| {
            items
                .iter()
                .filter_map(|item| {
                    item.kind.map(|kind| DirEntry {
                        name: item.name.clone(),
                        kind,
                    })
                })
                .collect()
        }))
    }
}
