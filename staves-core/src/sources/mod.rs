//! Where repositories come from: git remotes (through git2) and local
//! directories.
//!
//! A [`RepoSpec`] (from a `[[repositories]]` entry of `staves.toml`) becomes a
//! [`Snapshot`]: the repository's files at one state, read through
//! [`RepoFiles`]. [`fetch_latest`] follows the manifest's branch, tag, rev or
//! the remote's default branch (what `staves lock` does); [`fetch_pinned`]
//! returns the exact commit recorded in `staves.lock`. [`export`] writes a
//! snapshot out as a plain directory for mounting into builder containers.
//!
//! # The cache
//!
//! Each git remote is kept as a bare repository under
//! `<cache_dir>/git/<name>-<first 16 hex digits of sha256(uri)>`. Files are
//! read straight from its object database ([`GitTreeFiles`]); nothing is ever
//! checked out. Fetches ask for the one reference they need with depth 1.
//! Remotes reached over libgit2's local transport (`file://` URLs and plain
//! paths) refuse shallow fetches ("shallow fetch is not supported by the
//! local transport"), so for them the fetch is retried at full depth; the
//! tests exercise exactly that path. Any other failed shallow fetch is
//! retried at full depth too.
//!
//! A reference whose advertised commit is already in the cache is updated
//! without downloading anything, so fetching an unchanged remote again
//! costs one connection; after a change, only the new objects come down.
//! A pinned commit that is not cached is fetched by object id (servers that
//! allow `reachable-sha1-in-want`, which includes GitHub and the local
//! transport) and, when that fails, by fetching every branch and tag with
//! complete history. (libgit2's local transport sends everything reachable
//! from the remote's references whatever was asked for, so `file://`
//! remotes always end up complete.)
//!
//! # Concurrency and crashes
//!
//! Two `staves` processes may share a cache. Every fetch holds an exclusive
//! lock on `<cache_dir>/git/<key>.lock` (an OS file lock, released by the
//! kernel if the process dies). A new cache repository is initialised in a
//! temporary directory next to its final place and renamed into place, so
//! the cache directory is either absent or a valid bare repository. libgit2
//! writes pack files and references through temporary files and renames,
//! so an interrupted fetch leaves the previous state intact. Readers take no
//! lock: objects are immutable and only ever added.
//!
//! # Reading speed
//!
//! [`GitTreeFiles`] caches each directory listing it has parsed and keeps a
//! pool of repository handles (a `git2::Repository` is `Send` but not `Sync`),
//! so threads read in parallel. Measured with the test
//! `reads_many_blobs_quickly` (`cargo test -p staves-core --lib
//! reads_many_blobs_quickly -- --nocapture`): listing 150 directories and
//! reading their 30,000 md5-cache-sized blobs (6.2 MB, from one 2.2 MB pack
//! with deltas, as a fetch leaves it) took 0.17–0.7 s on the project's
//! 2-core machine while other builds were running (load 4–6), in a debug
//! build (libgit2 compiled at the workspace's `opt-level = 1` for
//! dependencies). The test fails at 5 s.
//!
//! # Credentials
//!
//! Private remotes authenticate through the ssh agent (ssh URLs), git's
//! credential helpers (http URLs, from the user's git configuration) and
//! then libgit2's default credentials, each tried once; key files are never
//! read and secrets never leave libgit2. See [`SourceError::Authentication`].

mod credentials;
mod error;
mod export;
mod git;
mod git_files;
mod local;

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use error::SourceError;
pub use export::export;
pub use git::cache_path;
pub use git_files::GitTreeFiles;
pub use local::DirFiles;

use crate::gentoo::tree::RepoFiles;

/// One `[[repositories]]` entry of the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RepoSpec {
    /// The repository's name (its `profiles/repo_name`).
    pub name: String,
    /// Where its files come from.
    pub location: RepoLocation,
}

/// Where a repository's files come from.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RepoLocation {
    /// A git remote.
    Git {
        /// `https://…`, `ssh://…`, scp-like `git@host:path`, `file:///…` or a
        /// path.
        uri: String,
        /// Which state of the remote to follow.
        reference: GitReference,
    },
    /// A plain directory.
    Local {
        /// An absolute path (the caller resolves paths relative to the
        /// manifest's directory).
        path: PathBuf,
    },
}

/// Which state of a git remote to follow.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum GitReference {
    /// The branch the remote's `HEAD` points to.
    #[default]
    DefaultBranch,
    /// A branch by name (`main`, not `refs/heads/main`).
    Branch(String),
    /// A tag by name (lightweight or annotated).
    Tag(String),
    /// A commit id, full (40 hex digits) or abbreviated.
    Rev(String),
}

impl fmt::Display for GitReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::DefaultBranch => f.write_str("the default branch"),
            Self::Branch(b) => write!(f, "branch `{b}`"),
            Self::Tag(t) => write!(f, "tag `{t}`"),
            Self::Rev(r) => write!(f, "`rev = \"{r}\"`"),
        }
    }
}

/// Whether the network may be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FetchMode {
    /// Fetch from remotes as needed.
    Online,
    /// Use only what is in the cache (`--offline`).
    Offline,
}

/// A repository's files at one state.
#[derive(Clone)]
pub struct Snapshot {
    /// The repository's name.
    pub name: String,
    /// The commit (40 hex digits); `None` for a local directory.
    pub commit: Option<String>,
    /// The commit's committer time in unix seconds; `None` for a local
    /// directory.
    pub commit_time: Option<i64>,
    /// The files.
    pub files: Arc<dyn RepoFiles>,
    /// Where the files come from, for [`export`] and [`Snapshot::blob_id`].
    origin: Origin,
}

/// Where a [`Snapshot`]'s files come from.
#[derive(Clone)]
enum Origin {
    /// A tree in a git object database (the same object as `files`).
    Git(Arc<GitTreeFiles>),
    /// A local directory.
    Dir(PathBuf),
    /// Any other [`RepoFiles`], given to [`Snapshot::new`].
    Other,
}

impl fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Snapshot")
            .field("name", &self.name)
            .field("commit", &self.commit)
            .field("commit_time", &self.commit_time)
            .finish_non_exhaustive()
    }
}

impl Snapshot {
    /// A snapshot of any [`RepoFiles`] (for instance a
    /// [`MemFiles`](crate::gentoo::tree::MemFiles) in tests). [`export`]
    /// writes its regular files with mode 0644 and refuses symlinks, whose
    /// targets the trait cannot tell.
    pub fn new(
        name: impl Into<String>,
        commit: Option<String>,
        commit_time: Option<i64>,
        files: Arc<dyn RepoFiles>,
    ) -> Self {
        Self {
            name: name.into(),
            commit,
            commit_time,
            files,
            origin: Origin::Other,
        }
    }

    /// The snapshot of a git tree.
    fn from_git(name: &str, commit: String, commit_time: i64, files: GitTreeFiles) -> Self {
        let files = Arc::new(files);
        Self {
            name: name.to_owned(),
            commit: Some(commit),
            commit_time: Some(commit_time),
            files: Arc::clone(&files) as Arc<dyn RepoFiles>,
            origin: Origin::Git(files),
        }
    }

    /// The snapshot of a local directory.
    fn from_dir(name: &str, root: &Path) -> Self {
        Self {
            name: name.to_owned(),
            commit: None,
            commit_time: None,
            files: Arc::new(DirFiles::new(root)),
            origin: Origin::Dir(root.to_owned()),
        }
    }

    /// The git blob id of the file at `path` (what `git hash-object` prints),
    /// or `None` when no file is there. The same for a git tree and for a
    /// local directory holding the same bytes, so the lockfile can record it
    /// as an ebuild's hash.
    ///
    /// # Errors
    /// Reading the file failed.
    pub fn blob_id(&self, path: &str) -> io::Result<Option<String>> {
        match &self.origin {
            Origin::Git(files) => files.blob_id(path),
            Origin::Dir(_) | Origin::Other => file_blob_id(self.files.as_ref(), path),
        }
    }
}

/// The git blob id of the file at `path` of any [`RepoFiles`], computed from
/// its bytes. [`GitTreeFiles::blob_id`] gives the same answer without reading
/// the blob.
///
/// # Errors
/// Reading the file failed.
pub fn file_blob_id(files: &dyn RepoFiles, path: &str) -> io::Result<Option<String>> {
    let Some(bytes) = files.read(path)? else {
        return Ok(None);
    };
    let oid = git2::Oid::hash_object(git2::ObjectType::Blob, &bytes).map_err(io::Error::other)?;
    Ok(Some(oid.to_string()))
}

/// The snapshot of what `spec` currently names: the tip of its branch, its
/// tag, its rev or its remote's default branch, fetched into the cache
/// first unless `mode` is [`FetchMode::Offline`]. A local directory is read
/// as it is.
///
/// # Errors
/// See [`SourceError`]: offline without a cache, unknown references,
/// network and authentication failures, an unusable cache.
pub fn fetch_latest(
    spec: &RepoSpec,
    cache_dir: &Path,
    mode: FetchMode,
) -> Result<Snapshot, SourceError> {
    match &spec.location {
        RepoLocation::Git { uri, reference } => {
            git::fetch_latest(&spec.name, uri, reference, cache_dir, mode)
        }
        RepoLocation::Local { path } => local::snapshot(&spec.name, path),
    }
}

/// The snapshot of `spec` at exactly `commit` (from `staves.lock`): taken
/// from the cache when the commit is there, fetched otherwise (unless
/// `mode` is [`FetchMode::Offline`]). A local directory is read as it is
/// and `commit` is ignored.
///
/// # Errors
/// See [`SourceError`]; in particular [`SourceError::CommitGone`] when the
/// remote no longer has the commit.
pub fn fetch_pinned(
    spec: &RepoSpec,
    commit: &str,
    cache_dir: &Path,
    mode: FetchMode,
) -> Result<Snapshot, SourceError> {
    match &spec.location {
        RepoLocation::Git { uri, .. } => {
            git::fetch_pinned(&spec.name, uri, commit, cache_dir, mode)
        }
        RepoLocation::Local { path } => local::snapshot(&spec.name, path),
    }
}

/// Checks that the snapshot has a non-empty `metadata/md5-cache`, the only
/// source of ebuild metadata Staves uses.
///
/// # Errors
/// [`SourceError::MissingMd5Cache`] when it is absent or empty;
/// [`SourceError::Io`] when the directory could not be read.
pub fn require_md5_cache(snapshot: &Snapshot) -> Result<(), SourceError> {
    const DIR: &str = "metadata/md5-cache";
    let entries = snapshot
        .files
        .list(DIR)
        .map_err(|e| SourceError::io("list", DIR, e))?;
    match entries {
        Some(entries) if !entries.is_empty() => Ok(()),
        _ => Err(SourceError::MissingMd5Cache {
            name: snapshot.name.clone(),
            commit: snapshot.commit.clone(),
        }),
    }
}

#[cfg(test)]
mod tests;
