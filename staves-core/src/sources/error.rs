//! Errors of the repository sources.
//!
//! Every variant names the repository (as written in `staves.toml`) and,
//! where the user can do something about it, says what to do.

use std::io;
use std::path::PathBuf;

/// Why fetching, reading or exporting a repository failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SourceError {
    /// `--offline` and the repository has never been fetched.
    #[error("repository `{name}` is not cached; run `staves lock` without `--offline` first")]
    NotCached {
        /// The repository's name.
        name: String,
    },

    /// `--offline` and the wanted branch, tag or rev is not in the cache.
    #[error(
        "{reference} of repository `{name}` is not cached; run the command again without `--offline` to fetch it"
    )]
    RefNotCached {
        /// The repository's name.
        name: String,
        /// What was asked for, e.g. ``branch `main` `` or `the default branch`.
        reference: String,
    },

    /// `--offline` and the pinned commit is not in the cache.
    #[error(
        "commit {commit} of repository `{name}` is not cached; run the command again without `--offline` to fetch it"
    )]
    CommitNotCached {
        /// The repository's name.
        name: String,
        /// The pinned commit.
        commit: String,
    },

    /// The remote has no such branch or tag.
    #[error("{reference} of repository `{name}` does not exist in {uri}")]
    RefNotFound {
        /// The repository's name.
        name: String,
        /// The remote's URI.
        uri: String,
        /// What was asked for, e.g. ``branch `main` ``.
        reference: String,
    },

    /// A `rev` that names no commit of the remote.
    #[error("`rev = \"{rev}\"` of repository `{name}` is not a commit in {uri}")]
    RevNotFound {
        /// The repository's name.
        name: String,
        /// The remote's URI.
        uri: String,
        /// The rev as written in the manifest.
        rev: String,
    },

    /// A pinned commit that the remote no longer has.
    #[error(
        "commit {commit} of repository `{name}` is not in its remote any more ({uri}); lock the repository again to pin a commit that exists"
    )]
    CommitGone {
        /// The repository's name.
        name: String,
        /// The remote's URI.
        uri: String,
        /// The pinned commit.
        commit: String,
    },

    /// A pinned commit that is not a full 40-digit hexadecimal object id.
    #[error("`{commit}` pinned for repository `{name}` is not a full commit id (40 hex digits)")]
    InvalidCommit {
        /// The repository's name.
        name: String,
        /// The malformed commit id.
        commit: String,
    },

    /// The remote's `HEAD` points nowhere (for instance an empty repository).
    #[error(
        "the remote of repository `{name}` ({uri}) has no default branch; set `branch`, `tag` or `rev` for it in `staves.toml`"
    )]
    NoDefaultBranch {
        /// The repository's name.
        name: String,
        /// The remote's URI.
        uri: String,
    },

    /// Every credential the remote accepts was tried and refused.
    #[error(
        "authentication to {uri} for repository `{name}` failed (tried: {tried}); add your key to the ssh agent (`ssh-add`) for ssh URLs, or configure a git credential helper for https URLs"
    )]
    Authentication {
        /// The repository's name.
        name: String,
        /// The remote's URI.
        uri: String,
        /// The kinds of credentials that were tried, comma-separated.
        tried: String,
        /// What libgit2 reported last.
        #[source]
        source: git2::Error,
    },

    /// Talking to the remote failed.
    #[error("failed to fetch repository `{name}` from {uri}")]
    Fetch {
        /// The repository's name.
        name: String,
        /// The remote's URI.
        uri: String,
        /// What libgit2 reported.
        #[source]
        source: git2::Error,
    },

    /// The bare repository in the cache could not be created, opened or read.
    #[error(
        "the cache of repository `{name}` at `{}` is unusable; delete that directory and run the command again",
        path.display()
    )]
    Cache {
        /// The repository's name.
        name: String,
        /// The cache directory of the repository.
        path: PathBuf,
        /// What libgit2 reported.
        #[source]
        source: git2::Error,
    },

    /// A local repository directory that does not exist.
    #[error("local repository `{name}` at `{}` is not a directory", path.display())]
    LocalMissing {
        /// The repository's name.
        name: String,
        /// The directory that was expected.
        path: PathBuf,
    },

    /// The repository has no `metadata/md5-cache`.
    #[error("{}", missing_md5_cache_message(name, commit.as_deref()))]
    MissingMd5Cache {
        /// The repository's name.
        name: String,
        /// The commit that was looked at (`None` for a local directory).
        commit: Option<String>,
    },

    /// A tree entry whose name could escape the export directory.
    #[error(
        "repository `{name}` contains the unsafe path `{path}` (an entry named `..`, `.` or with a slash); refusing to export it"
    )]
    UnsafePath {
        /// The repository's name.
        name: String,
        /// The offending path inside the repository.
        path: String,
    },

    /// The export destination exists and is not an empty directory.
    #[error(
        "cannot export repository `{name}` to `{}`: it already exists and is not an empty directory",
        path.display()
    )]
    ExportDestination {
        /// The repository's name.
        name: String,
        /// The destination.
        path: PathBuf,
    },

    /// A file-system operation failed.
    #[error("failed to {action} `{}`", path.display())]
    Io {
        /// What was being done, e.g. `create directory`.
        action: &'static str,
        /// The path it was done to.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: io::Error,
    },
}

fn missing_md5_cache_message(name: &str, commit: Option<&str>) -> String {
    match commit {
        Some(commit) => format!(
            "repository `{name}` at {commit} has no metadata/md5-cache; generate it with \
             `egencache --update --repo={name}` and commit it (staves never guesses metadata \
             from file names)"
        ),
        None => format!(
            "repository `{name}` (a local directory) has no metadata/md5-cache; generate it with \
             `egencache --update --repo={name}` (staves never guesses metadata from file names)"
        ),
    }
}

impl SourceError {
    /// Advice beyond what the message already says (rendered as `help:`).
    pub fn help(&self) -> Option<String> {
        match self {
            Self::Fetch { .. } => Some(
                "check the `uri` in `staves.toml` and your network connection; with `--offline`, \
                 staves uses only what is already cached"
                    .to_owned(),
            ),
            Self::RefNotFound { .. } | Self::RevNotFound { .. } => Some(
                "check `branch`, `tag` or `rev` of the repository in `staves.toml` \
                 (`git ls-remote <uri>` lists what the remote has)"
                    .to_owned(),
            ),
            _ => None,
        }
    }

    /// Shorthand for [`SourceError::Io`].
    pub(crate) fn io(action: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        Self::Io {
            action,
            path: path.into(),
            source,
        }
    }
}
