//! The errors and warnings of profile loading.

use std::io;

use super::layout::LayoutError;
use super::profile::display_dir;

/// Why a profile could not be loaded. Every variant names the repository
/// and, where there is one, the file and line.
#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    /// Reading a file failed.
    #[error("cannot read `{path}` in repository `{repo}`: {source}")]
    Io {
        /// Repository name.
        repo: String,
        /// File path from the repository root.
        path: String,
        /// The underlying failure.
        #[source]
        source: io::Error,
    },
    /// A repository named by a profile (or as a master) is not available.
    #[error(
        "repository `{repo}` (named by {referrer}) is not configured: add it to the project's repositories"
    )]
    UnknownRepo {
        /// The missing repository's name.
        repo: String,
        /// Where the name came from.
        referrer: String,
    },
    /// The requested profile directory does not exist.
    #[error(
        "profile `{profile}` does not exist in repository `{repo}` (no directory \
         `profiles/{profile}`); `profiles/profiles.desc` lists the available profiles"
    )]
    MissingProfile {
        /// Repository name.
        repo: String,
        /// The requested path, relative to `profiles/`.
        profile: String,
    },
    /// A `parent` line names a directory that does not exist.
    #[error(
        "parent `{parent}` of `{}` does not exist in repository `{target_repo}` \
         (`{path}` line {line} of repository `{repo}`)",
        display_dir(path.strip_suffix("/parent").unwrap_or(path))
    )]
    MissingParent {
        /// Repository holding the `parent` file.
        repo: String,
        /// Repository the parent was looked up in.
        target_repo: String,
        /// The parent entry as written.
        parent: String,
        /// The `parent` file (its directory is the child profile).
        path: String,
        /// 1-based line number.
        line: usize,
    },
    /// A `parent` entry cannot be used at all.
    #[error("`{path}` line {line} of repository `{repo}`: parent `{parent}`: {reason}")]
    BadParent {
        /// Repository name.
        repo: String,
        /// The `parent` file.
        path: String,
        /// 1-based line number.
        line: usize,
        /// The entry as written.
        parent: String,
        /// What is wrong.
        reason: String,
    },
    /// A `parent` file lists nothing (Portage refuses this too).
    #[error(
        "`{path}` in repository `{repo}` is empty: list at least one parent profile or delete the file"
    )]
    EmptyParent {
        /// Repository name.
        repo: String,
        /// The `parent` file.
        path: String,
    },
    /// Parents refer back to a profile being loaded.
    #[error("profile parents form a cycle: {chain}")]
    Cycle {
        /// `repo:profile -> … -> repo:profile`.
        chain: String,
    },
    /// A profile directory's `eapi` file names an unsupported EAPI.
    #[error(
        "`{path}` in repository `{repo}` declares EAPI `{eapi}`, which Portage 3.0.83 does not support"
    )]
    UnsupportedEapi {
        /// Repository name.
        repo: String,
        /// The `eapi` file.
        path: String,
        /// Its content.
        eapi: String,
    },
    /// A file is malformed.
    #[error("`{path}` line {line} of repository `{repo}`: {message}")]
    Parse {
        /// Repository name.
        repo: String,
        /// File path from the repository root.
        path: String,
        /// 1-based line number (0 when unknown).
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// `metadata/layout.conf` could not be read.
    #[error("repository `{repo}`: {source}")]
    Layout {
        /// Repository name.
        repo: String,
        /// The failure.
        #[source]
        source: LayoutError,
    },
}

/// A line that Portage would skip with a warning, skipped here too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileWarning {
    /// Repository name.
    pub repo: String,
    /// File path from the repository root.
    pub path: String,
    /// 1-based line number.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for ProfileWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "`{}` line {} of repository `{}`: {}",
            self.path, self.line, self.repo, self.message
        )
    }
}
