//! An index in a git repository.
//!
//! The remote is fetched into a bare repository in a cache directory and
//! read straight from the object database at the fetched commit: there is no
//! checkout. Writes build a new commit on top of the freshly fetched one
//! (one file changed), point a private reference at it and push that to the
//! remote branch. A rejected push (someone else pushed first) is retried
//! once on top of a new fetch. The private reference is deleted whatever
//! happens, so a commit that was not pushed is never reachable from any
//! local reference (the object itself is left for git's garbage collection).

mod credentials;
#[cfg(test)]
mod tests;
mod tree;

use std::cell::RefCell;
use std::path::{Path, PathBuf};

use git2::{
    AutotagOption, Direction, ErrorCode, FetchOptions, Oid, ProxyOptions, PushOptions,
    RemoteCallbacks, Repository, Signature,
};
use semver::Version;

use crate::dir::published_names;
use crate::edit::{add_version, set_yanked};
use crate::entry::{IndexConfig, IndexEntry};
use crate::error::IndexError;
use crate::fsutil::cache_dir_name;
use crate::{Index, checked_name, entries_of, index_path};

/// Makes the remote callbacks for one connection (credentials, progress).
/// The index adds its own push-status callback to what this returns.
pub type CallbacksFn = dyn Fn() -> RemoteCallbacks<'static>;

/// The local reference that holds the fetched commit of the index.
const READ_REF: &str = "refs/staves/index";
/// The local reference that holds a commit while it is being pushed.
const PUSH_REF: &str = "refs/staves/publish";

/// An index in a git repository (see the module documentation).
pub struct GitIndex {
    url: String,
    repo: Repository,
    /// The branch to use; the remote's default branch when `None`, filled
    /// in by the first fetch.
    branch: RefCell<Option<String>>,
    offline: bool,
    /// Whether this value has fetched already (reads fetch once).
    fetched: RefCell<bool>,
    callbacks: Box<CallbacksFn>,
}

impl std::fmt::Debug for GitIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GitIndex")
            .field("url", &self.url)
            .field("cache", &self.repo.path())
            .field("branch", &self.branch.borrow())
            .field("offline", &self.offline)
            .finish_non_exhaustive()
    }
}

/// A change to one file: its current text (`None`: no file) to its new
/// text, or `None` when nothing needs to change.
type Edit<'a> = dyn Fn(Option<&str>) -> Result<Option<String>, IndexError> + 'a;

/// What became of a push.
enum Pushed {
    Done,
    Rejected(String),
}

impl GitIndex {
    /// The index at git URL `url`, cached in a bare repository under
    /// `cache_root` (see [`GitIndex::cache_dir`]). Nothing is fetched yet:
    /// the first read fetches, every write fetches first.
    pub fn new(url: &str, cache_root: &Path) -> Result<Self, IndexError> {
        let dir = Self::cache_dir(cache_root, url);
        let repo = Repository::init_bare(&dir).map_err(|source| IndexError::Git {
            action: "create a cache for",
            url: url.to_owned(),
            source,
        })?;
        Ok(Self {
            url: url.to_owned(),
            repo,
            branch: RefCell::new(None),
            offline: false,
            fetched: RefCell::new(false),
            callbacks: Box::new(credentials::default_callbacks),
        })
    }

    /// Where the cache of `url` lives under `cache_root`.
    pub fn cache_dir(cache_root: &Path, url: &str) -> PathBuf {
        cache_root.join(cache_dir_name(url))
    }

    /// Uses `branch` of the remote instead of its default branch.
    pub fn with_branch(self, branch: &str) -> Self {
        *self.branch.borrow_mut() = Some(branch.to_owned());
        self
    }

    /// Never touches the network: reads use what an earlier fetch left in
    /// the cache, writes fail with [`IndexError::Offline`].
    pub fn with_offline(mut self, offline: bool) -> Self {
        self.offline = offline;
        self
    }

    /// Uses `callbacks` for every connection instead of the default
    /// credentials (ssh agent, git credential helpers, default credentials).
    pub fn with_callbacks(mut self, callbacks: Box<CallbacksFn>) -> Self {
        self.callbacks = callbacks;
        self
    }

    /// The remote URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Fetches the branch now, and returns the commit reads will use.
    pub fn fetch(&self) -> Result<Oid, IndexError> {
        if self.offline {
            return Err(IndexError::Offline {
                location: self.url.clone(),
            });
        }
        let branch = match self.branch.borrow().clone() {
            Some(branch) => branch,
            None => self.default_branch()?,
        };
        let mut options = FetchOptions::new();
        options
            .remote_callbacks((self.callbacks)())
            .proxy_options(proxy_options())
            .download_tags(AutotagOption::None)
            .update_fetchhead(false);
        let refspec = format!("+refs/heads/{branch}:{READ_REF}");
        self.repo
            .remote_anonymous(&self.url)
            .and_then(|mut remote| {
                remote.fetch(
                    &[refspec.as_str()],
                    Some(&mut options),
                    Some("staves: fetch"),
                )
            })
            .map_err(|source| self.git_error("fetch", source))?;
        *self.branch.borrow_mut() = Some(branch);
        *self.fetched.borrow_mut() = true;
        self.read_commit()
    }

    /// The commit reads use: fetched once per value unless offline.
    pub fn commit(&self) -> Result<Oid, IndexError> {
        if !self.offline && !*self.fetched.borrow() {
            return self.fetch();
        }
        self.read_commit()
    }

    /// The commit an earlier fetch left in the cache.
    fn read_commit(&self) -> Result<Oid, IndexError> {
        match self.repo.refname_to_id(READ_REF) {
            Ok(oid) => Ok(oid),
            Err(e) if e.code() == ErrorCode::NotFound => Err(IndexError::Offline {
                location: self.url.clone(),
            }),
            Err(source) => Err(self.git_error("read the cache of", source)),
        }
    }

    /// The branch the remote's `HEAD` points at.
    fn default_branch(&self) -> Result<String, IndexError> {
        let mut remote = self
            .repo
            .remote_anonymous(&self.url)
            .map_err(|source| self.git_error("connect to", source))?;
        let connection = remote
            .connect_auth(
                Direction::Fetch,
                Some((self.callbacks)()),
                Some(proxy_options()),
            )
            .map_err(|source| self.git_error("connect to", source))?;
        let head = connection
            .default_branch()
            .map_err(|source| self.git_error("find the default branch of", source))?;
        let head = head.as_str().unwrap_or_default();
        match head.strip_prefix("refs/heads/") {
            Some(branch) if !branch.is_empty() => Ok(branch.to_owned()),
            _ => Err(self.git_error(
                "find the default branch of",
                git2::Error::from_str("the remote HEAD names no branch (is the repository empty?)"),
            )),
        }
    }

    /// The text of the file at `path` in commit `commit`.
    fn read_at(&self, commit: Oid, path: &str) -> Result<Option<String>, IndexError> {
        tree::read_file(&self.repo, commit, path).map_err(|e| match e {
            tree::ReadError::Git(source) => self.git_error("read", source),
            tree::ReadError::NotUtf8 => IndexError::Malformed {
                path: path.to_owned(),
                line: 1,
                message: "the file is not UTF-8".to_owned(),
            },
        })
    }

    /// Changes one file and pushes the change: `edit` gets the file's text at
    /// the freshly fetched commit and returns the new text, or `None` when
    /// nothing needs to change. Retries once when the push is rejected.
    fn update(
        &self,
        path: &str,
        message: &str,
        edit: &Edit<'_>,
        before_push: &mut dyn FnMut(),
    ) -> Result<(), IndexError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let base = self.fetch()?;
            let current = self.read_at(base, path)?;
            let Some(text) = edit(current.as_deref())? else {
                return Ok(());
            };
            let commit = signature(&self.repo)
                .and_then(|who| tree::commit_file(&self.repo, base, path, &text, message, &who))
                .map_err(|source| self.git_error("commit to", source))?;
            self.repo
                .reference(PUSH_REF, commit, true, "staves: publish")
                .map_err(|source| self.git_error("commit to", source))?;
            before_push();
            let pushed = self.push();
            // Whatever happened, no local reference keeps the commit.
            if let Ok(mut reference) = self.repo.find_reference(PUSH_REF) {
                let _ = reference.delete();
            }
            match pushed? {
                Pushed::Done => {
                    self.repo
                        .reference(READ_REF, commit, true, "staves: pushed")
                        .map_err(|source| self.git_error("update the cache of", source))?;
                    return Ok(());
                }
                Pushed::Rejected(_) if attempt < 2 => {}
                Pushed::Rejected(message) => {
                    return Err(IndexError::PushRejected {
                        url: self.url.clone(),
                        message,
                    });
                }
            }
        }
    }

    /// Pushes [`PUSH_REF`] to the branch.
    fn push(&self) -> Result<Pushed, IndexError> {
        let branch = self.branch.borrow().clone().unwrap_or_default();
        let rejection: RefCell<Option<String>> = RefCell::new(None);
        let mut callbacks: RemoteCallbacks<'_> = (self.callbacks)();
        callbacks.push_update_reference(|_, status| {
            if let Some(status) = status {
                *rejection.borrow_mut() = Some(status.to_owned());
            }
            Ok(())
        });
        let mut options = PushOptions::new();
        options
            .remote_callbacks(callbacks)
            .proxy_options(proxy_options());
        let refspec = format!("{PUSH_REF}:refs/heads/{branch}");
        let result = self
            .repo
            .remote_anonymous(&self.url)
            .and_then(|mut remote| remote.push(&[refspec.as_str()], Some(&mut options)));
        drop(options);
        match result {
            Err(e) if e.code() == ErrorCode::NotFastForward => {
                Ok(Pushed::Rejected(e.message().to_owned()))
            }
            Err(source) => Err(self.git_error("push to", source)),
            Ok(()) => Ok(match rejection.into_inner() {
                Some(message) => Pushed::Rejected(message),
                None => Pushed::Done,
            }),
        }
    }

    fn git_error(&self, action: &'static str, source: git2::Error) -> IndexError {
        IndexError::Git {
            action,
            url: self.url.clone(),
            source,
        }
    }

    /// [`Index::publish`], running `before_push` just before each push (tests
    /// use it to push a concurrent change).
    fn publish_with(
        &self,
        entry: &IndexEntry,
        before_push: &mut dyn FnMut(),
    ) -> Result<(), IndexError> {
        checked_name(&entry.name)?;
        let path = index_path(&entry.name);
        let message = format!("Publish {} {}", entry.name, entry.vers);
        let edit = |current: Option<&str>| add_version(current, &path, entry).map(Some);
        self.update(&path, &message, &edit, before_push)
    }
}

impl Index for GitIndex {
    fn location(&self) -> String {
        self.url.clone()
    }

    fn config(&self) -> Result<IndexConfig, IndexError> {
        let commit = self.commit()?;
        match self.read_at(commit, "config.json")? {
            Some(text) => IndexConfig::parse(&text, &self.url),
            None => Err(IndexError::ConfigMissing {
                location: self.url.clone(),
            }),
        }
    }

    fn versions(&self, name: &str) -> Result<Vec<IndexEntry>, IndexError> {
        checked_name(name)?;
        let path = index_path(name);
        let text = self.read_at(self.commit()?, &path)?;
        entries_of(name, text.as_deref(), &path)
    }

    fn list(&self) -> Result<Vec<String>, IndexError> {
        let files = tree::builder_files(&self.repo, self.commit()?)
            .map_err(|source| self.git_error("read", source))?;
        published_names(self, files)
    }

    fn publish(&self, entry: &IndexEntry) -> Result<(), IndexError> {
        self.publish_with(entry, &mut || {})
    }

    fn yank(&self, name: &str, vers: &Version, yanked: bool) -> Result<(), IndexError> {
        checked_name(name)?;
        let path = index_path(name);
        let verb = if yanked { "Yank" } else { "Unyank" };
        let message = format!("{verb} {name} {vers}");
        let edit = |current: Option<&str>| match current {
            Some(text) => set_yanked(text, &path, name, vers, yanked),
            None => Err(IndexError::NotFound {
                name: name.to_owned(),
                location: self.url.clone(),
            }),
        };
        self.update(&path, &message, &edit, &mut || {})
    }
}

/// The committer: the user's git identity when configured, else Staves.
fn signature(repo: &Repository) -> Result<Signature<'static>, git2::Error> {
    repo.signature()
        .or_else(|_| Signature::now("Staves", "staves@localhost"))
        .map(|s| s.to_owned())
}

/// Proxy settings from git's configuration and the environment.
fn proxy_options() -> ProxyOptions<'static> {
    let mut proxy = ProxyOptions::new();
    proxy.auto();
    proxy
}
