//! Git remotes: the bare-repository cache, fetching and resolving
//! references. The module documentation of [`super`] describes the
//! strategy.

use std::path::{Path, PathBuf};

use git2::{AutotagOption, Direction, FetchOptions, Oid, ProxyOptions, Repository};
use sha2::{Digest, Sha256};

use super::credentials::Credentials;
use super::git_files::GitTreeFiles;
use super::{FetchMode, GitReference, Snapshot, SourceError};

/// Where the default branch learnt from the remote's `HEAD` is recorded (a
/// symbolic reference), so that offline runs can follow it.
const DEFAULT_BRANCH_REF: &str = "refs/staves/default-branch";
/// Prefix of references that keep fetched revs and pinned commits alive.
const KEEP_PREFIX: &str = "refs/staves/commits/";
/// libgit2's `GIT_FETCH_DEPTH_UNSHALLOW`.
const DEPTH_UNSHALLOW: i32 = i32::MAX;
/// Refspecs that mirror every branch and tag.
const ALL_REFSPECS: [&str; 2] = ["+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"];

/// The cache directory of the remote `uri` of repository `name`:
/// `<cache_dir>/git/<name>-<first 16 hex digits of sha256(uri)>`. Characters
/// of `name` other than ASCII letters, digits, `-` and `_` become `_`.
pub fn cache_path(cache_dir: &Path, name: &str, uri: &str) -> PathBuf {
    cache_dir.join("git").join(cache_key(name, uri))
}

fn cache_key(name: &str, uri: &str) -> String {
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let digest = hex::encode(Sha256::digest(uri.as_bytes()));
    format!("{safe}-{}", &digest[..16])
}

/// One repository of the manifest and its cache.
struct Remote<'a> {
    name: &'a str,
    uri: &'a str,
    path: PathBuf,
}

pub(super) fn fetch_latest(
    name: &str,
    uri: &str,
    reference: &GitReference,
    cache_dir: &Path,
    mode: FetchMode,
) -> Result<Snapshot, SourceError> {
    let remote = Remote::new(name, uri, cache_dir);
    match mode {
        FetchMode::Offline => {
            let repo = remote.open()?.ok_or_else(|| SourceError::NotCached {
                name: name.to_owned(),
            })?;
            let commit =
                resolve_cached(&repo, reference).ok_or_else(|| SourceError::RefNotCached {
                    name: name.to_owned(),
                    reference: reference.to_string(),
                })?;
            remote.snapshot(repo, commit)
        }
        FetchMode::Online => {
            let _lock = remote.lock(cache_dir)?;
            let repo = remote.open_or_create(cache_dir)?;
            let commit = match reference {
                GitReference::Rev(rev) => match lookup_rev(&repo, rev) {
                    Some(commit) => commit,
                    None => remote.fetch_rev(&repo, rev)?,
                },
                _ => remote.fetch_reference(&repo, reference)?,
            };
            remote.snapshot(repo, commit)
        }
    }
}

pub(super) fn fetch_pinned(
    name: &str,
    uri: &str,
    commit: &str,
    cache_dir: &Path,
    mode: FetchMode,
) -> Result<Snapshot, SourceError> {
    let remote = Remote::new(name, uri, cache_dir);
    let oid = parse_commit(commit).ok_or_else(|| SourceError::InvalidCommit {
        name: name.to_owned(),
        commit: commit.to_owned(),
    })?;
    if let Some(repo) = remote.open()?
        && repo.find_commit(oid).is_ok()
    {
        return remote.snapshot(repo, oid);
    }
    if mode == FetchMode::Offline {
        return Err(SourceError::CommitNotCached {
            name: name.to_owned(),
            commit: commit.to_owned(),
        });
    }
    let _lock = remote.lock(cache_dir)?;
    let repo = remote.open_or_create(cache_dir)?;
    if repo.find_commit(oid).is_err() {
        let keep = format!("+{oid}:{KEEP_PREFIX}{oid}");
        // Servers that refuse fetching by id make this fail; the full fetch
        // below is the fallback.
        let _ = remote.fetch(&repo, &[keep.as_str()], 1);
        if repo.find_commit(oid).is_err() {
            remote.fetch(&repo, &ALL_REFSPECS, full_depth(&repo))?;
        }
        if repo.find_commit(oid).is_err() {
            return Err(SourceError::CommitGone {
                name: name.to_owned(),
                uri: uri.to_owned(),
                commit: commit.to_owned(),
            });
        }
        keep_alive(&repo, oid);
    }
    remote.snapshot(repo, oid)
}

/// A full 40-digit hex commit id.
fn parse_commit(commit: &str) -> Option<Oid> {
    (commit.len() == 40 && commit.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| Oid::from_str(commit).ok())
        .flatten()
}

/// The commit a rev (full or abbreviated hex id) names in the cache.
fn lookup_rev(repo: &Repository, rev: &str) -> Option<Oid> {
    if !(4..=40).contains(&rev.len()) || !rev.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let object = repo.find_object_by_prefix(rev, None).ok()?;
    Some(object.peel_to_commit().ok()?.id())
}

/// The commit `reference` names in the cache, without the network.
fn resolve_cached(repo: &Repository, reference: &GitReference) -> Option<Oid> {
    let name = match reference {
        GitReference::Rev(rev) => return lookup_rev(repo, rev),
        GitReference::DefaultBranch => DEFAULT_BRANCH_REF.to_owned(),
        GitReference::Branch(branch) => format!("refs/heads/{branch}"),
        GitReference::Tag(tag) => format!("refs/tags/{tag}"),
    };
    let found = repo.find_reference(&name).ok()?.resolve().ok()?;
    Some(found.peel_to_commit().ok()?.id())
}

/// The depth that fetches complete history: unshallow a shallow cache.
fn full_depth(repo: &Repository) -> i32 {
    if repo.is_shallow() {
        DEPTH_UNSHALLOW
    } else {
        0
    }
}

/// Adds a reference that keeps `commit` reachable (it is also a "have" for
/// later negotiations). Failing to add it loses nothing that is needed now.
fn keep_alive(repo: &Repository, commit: Oid) {
    let _ = repo.reference(
        &format!("{KEEP_PREFIX}{commit}"),
        commit,
        true,
        "staves: keep",
    );
}

/// Removes temporary directories starting with `prefix` that a crashed
/// process left in `dir`. Call with the cache's lock held. Failing to
/// remove them wastes space and nothing else.
fn remove_leftovers(dir: &Path, prefix: &str) {
    let Ok(entries) = fs_err::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        if entry.file_name().to_string_lossy().starts_with(prefix) {
            let _ = fs_err::remove_dir_all(entry.path());
        }
    }
}

/// Holds the exclusive lock on one cache repository until dropped.
struct CacheLock {
    _file: fs_err::File,
}

impl<'a> Remote<'a> {
    fn new(name: &'a str, uri: &'a str, cache_dir: &Path) -> Self {
        Self {
            name,
            uri,
            path: cache_path(cache_dir, name, uri),
        }
    }

    fn cache_error(&self, source: git2::Error) -> SourceError {
        SourceError::Cache {
            name: self.name.to_owned(),
            path: self.path.clone(),
            source,
        }
    }

    /// Takes the exclusive lock of this cache (blocking while another
    /// process holds it).
    fn lock(&self, cache_dir: &Path) -> Result<CacheLock, SourceError> {
        let dir = cache_dir.join("git");
        fs_err::create_dir_all(&dir).map_err(|e| SourceError::io("create", &dir, e))?;
        let mut lock_path = self.path.clone().into_os_string();
        lock_path.push(".lock");
        let lock_path = PathBuf::from(lock_path);
        let file = fs_err::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| SourceError::io("open", &lock_path, e))?;
        file.lock()
            .map_err(|e| SourceError::io("lock", &lock_path, e))?;
        Ok(CacheLock { _file: file })
    }

    /// The cached bare repository, if there is one.
    fn open(&self) -> Result<Option<Repository>, SourceError> {
        if !self.path.exists() {
            return Ok(None);
        }
        Repository::open_bare(&self.path)
            .map(Some)
            .map_err(|e| self.cache_error(e))
    }

    /// The cached bare repository, created empty when missing: initialised
    /// in a temporary directory and renamed into place, so the cache path
    /// never holds a half-made repository. Call with the lock held.
    fn open_or_create(&self, cache_dir: &Path) -> Result<Repository, SourceError> {
        if let Some(repo) = self.open()? {
            return Ok(repo);
        }
        let dir = cache_dir.join("git");
        let key = self.path.file_name().unwrap_or_default().to_string_lossy();
        // `.` never occurs in a key, so this prefix is this cache's alone.
        let prefix = format!(".tmp-{key}.");
        remove_leftovers(&dir, &prefix);
        let tmp = tempfile::Builder::new()
            .prefix(&prefix)
            .tempdir_in(&dir)
            .map_err(|e| SourceError::io("create a directory in", &dir, e))?;
        drop(Repository::init_bare(tmp.path()).map_err(|e| self.cache_error(e))?);
        let tmp = tmp.keep();
        if let Err(e) = fs_err::rename(&tmp, &self.path) {
            let _ = fs_err::remove_dir_all(&tmp);
            return Err(SourceError::io("move the new cache into", &self.path, e));
        }
        Repository::open_bare(&self.path).map_err(|e| self.cache_error(e))
    }

    fn snapshot(&self, repo: Repository, commit: Oid) -> Result<Snapshot, SourceError> {
        let found = repo.find_commit(commit).map_err(|e| self.cache_error(e))?;
        let commit_time = found.committer().when().seconds();
        drop(found);
        let files = GitTreeFiles::from_repo(repo, self.path.clone(), commit)
            .map_err(|e| self.cache_error(e))?;
        Ok(Snapshot::from_git(
            self.name,
            commit.to_string(),
            commit_time,
            files,
        ))
    }

    fn fetch_error(&self, credentials: &Credentials, source: git2::Error) -> SourceError {
        if credentials.failed(&source) {
            SourceError::Authentication {
                name: self.name.to_owned(),
                uri: self.uri.to_owned(),
                tried: credentials.tried(),
                source,
            }
        } else {
            SourceError::Fetch {
                name: self.name.to_owned(),
                uri: self.uri.to_owned(),
                source,
            }
        }
    }

    /// The references the remote advertises and the target of its `HEAD`.
    fn list_remote(&self, repo: &Repository) -> Result<Advertised, SourceError> {
        let credentials = Credentials::new();
        let mut remote = repo
            .remote_anonymous(self.uri)
            .map_err(|e| self.fetch_error(&credentials, e))?;
        let connection = remote
            .connect_auth(
                Direction::Fetch,
                Some(credentials.callbacks()),
                Some(proxy_options()),
            )
            .map_err(|e| self.fetch_error(&credentials, e))?;
        let heads = connection
            .list()
            .map_err(|e| self.fetch_error(&credentials, e))?
            .iter()
            .map(|head| (head.name().to_owned(), head.oid()))
            .collect();
        let default_branch = connection
            .default_branch()
            .ok()
            .and_then(|buf| buf.as_str().map(str::to_owned).ok());
        Ok(Advertised {
            heads,
            default_branch,
        })
    }

    /// Fetches `refspecs` at `depth` (0: complete history); a failed shallow
    /// fetch is retried with complete history (libgit2's local transport
    /// refuses shallow fetches).
    fn fetch(&self, repo: &Repository, refspecs: &[&str], depth: i32) -> Result<(), SourceError> {
        if depth != 0 {
            match self.fetch_once(repo, refspecs, depth) {
                Ok(()) => return Ok(()),
                Err(e @ SourceError::Authentication { .. }) => return Err(e),
                Err(_) => {}
            }
        }
        self.fetch_once(repo, refspecs, 0)
    }

    fn fetch_once(
        &self,
        repo: &Repository,
        refspecs: &[&str],
        depth: i32,
    ) -> Result<(), SourceError> {
        let credentials = Credentials::new();
        let mut remote = repo
            .remote_anonymous(self.uri)
            .map_err(|e| self.fetch_error(&credentials, e))?;
        let mut options = FetchOptions::new();
        options
            .remote_callbacks(credentials.callbacks())
            .proxy_options(proxy_options())
            .download_tags(AutotagOption::None)
            .update_fetchhead(false)
            .depth(depth);
        remote
            .fetch(refspecs, Some(&mut options), Some("staves: fetch"))
            .map_err(|e| self.fetch_error(&credentials, e))
    }

    /// Fetches a branch, a tag or the default branch and returns its commit.
    fn fetch_reference(
        &self,
        repo: &Repository,
        reference: &GitReference,
    ) -> Result<Oid, SourceError> {
        let advertised = self.list_remote(repo)?;
        let target = match reference {
            GitReference::DefaultBranch => {
                advertised
                    .default_branch
                    .clone()
                    .ok_or_else(|| SourceError::NoDefaultBranch {
                        name: self.name.to_owned(),
                        uri: self.uri.to_owned(),
                    })?
            }
            GitReference::Branch(branch) => format!("refs/heads/{branch}"),
            GitReference::Tag(tag) => format!("refs/tags/{tag}"),
            GitReference::Rev(rev) => return self.fetch_rev(repo, rev),
        };
        let Some(tip) = advertised.oid_of(&target) else {
            return Err(match reference {
                GitReference::DefaultBranch => SourceError::NoDefaultBranch {
                    name: self.name.to_owned(),
                    uri: self.uri.to_owned(),
                },
                _ => SourceError::RefNotFound {
                    name: self.name.to_owned(),
                    uri: self.uri.to_owned(),
                    reference: reference.to_string(),
                },
            });
        };
        let have = repo
            .find_object(tip, None)
            .and_then(|object| object.peel_to_commit())
            .is_ok();
        if have {
            // Nothing new: point the local reference at it without a fetch.
            repo.reference(&target, tip, true, "staves: up to date")
                .map_err(|e| self.cache_error(e))?;
        } else {
            let refspec = format!("+{target}:{target}");
            self.fetch(repo, &[refspec.as_str()], 1)?;
        }
        if *reference == GitReference::DefaultBranch {
            repo.reference_symbolic(DEFAULT_BRANCH_REF, &target, true, "staves: remote HEAD")
                .map_err(|e| self.cache_error(e))?;
        }
        let found = repo
            .find_reference(&target)
            .and_then(|r| r.peel_to_commit())
            .map_err(|e| self.cache_error(e))?;
        Ok(found.id())
    }

    /// Fetches a rev that is not in the cache and returns its commit: by id
    /// when it is a full id, else the advertised tip it abbreviates, else
    /// every branch and tag with complete history.
    fn fetch_rev(&self, repo: &Repository, rev: &str) -> Result<Oid, SourceError> {
        let not_found = || SourceError::RevNotFound {
            name: self.name.to_owned(),
            uri: self.uri.to_owned(),
            rev: rev.to_owned(),
        };
        if !(4..=40).contains(&rev.len()) || !rev.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(not_found());
        }
        let rev_lower = rev.to_ascii_lowercase();
        if let Some(oid) = parse_commit(rev) {
            let keep = format!("+{oid}:{KEEP_PREFIX}{oid}");
            let _ = self.fetch(repo, &[keep.as_str()], 1);
        } else {
            let advertised = self.list_remote(repo)?;
            let tip = advertised.heads.iter().find(|(name, oid)| {
                !name.ends_with("^{}") && oid.to_string().starts_with(&rev_lower)
            });
            if let Some((name, _)) = tip {
                let refspec = format!("+{name}:{name}");
                self.fetch(repo, &[refspec.as_str()], 1)?;
            }
        }
        if lookup_rev(repo, rev).is_none() {
            self.fetch(repo, &ALL_REFSPECS, full_depth(repo))?;
        }
        let commit = lookup_rev(repo, rev).ok_or_else(not_found)?;
        keep_alive(repo, commit);
        Ok(commit)
    }
}

fn proxy_options() -> ProxyOptions<'static> {
    let mut proxy = ProxyOptions::new();
    proxy.auto();
    proxy
}

/// What `git ls-remote` would show.
struct Advertised {
    heads: Vec<(String, Oid)>,
    default_branch: Option<String>,
}

impl Advertised {
    fn oid_of(&self, name: &str) -> Option<Oid> {
        self.heads
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, oid)| *oid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_key_is_name_and_uri_hash() {
        let key = cache_key("gentoo", "https://github.com/gentoo-mirror/gentoo.git");
        assert_eq!(key.len(), "gentoo-".len() + 16);
        assert!(key.starts_with("gentoo-"));
        assert_ne!(
            key,
            cache_key("gentoo", "https://example.invalid/gentoo.git")
        );
        assert!(cache_key("../evil/x", "u").starts_with("___evil_x-"));
    }

    #[test]
    fn commit_ids_must_be_full_hex() {
        assert!(parse_commit(&"a".repeat(40)).is_some());
        assert!(parse_commit("abc").is_none());
        assert!(parse_commit(&"g".repeat(40)).is_none());
    }
}
