//! The error type of every index operation.

use std::path::PathBuf;

use semver::{Version, VersionReq};

use crate::name::NameError;

/// Everything that can go wrong reading or writing an index. Messages name
/// the file, line, builder or URL involved; [`IndexError::help`] says what to
/// do where there is something to say.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IndexError {
    /// A builder name is not valid.
    #[error("invalid builder name `{name}`: {source}")]
    InvalidName {
        /// The name as given.
        name: String,
        /// What is wrong with it.
        source: NameError,
    },
    /// A line of an index file is not a valid entry.
    #[error("{path}:{line}: {message}")]
    Malformed {
        /// The file, as a path inside the index (or a local path).
        path: String,
        /// The 1-based line number.
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// An entry about to be published is not valid.
    #[error("cannot publish {name} {vers}: {message}")]
    InvalidEntry {
        /// The builder name.
        name: String,
        /// The version.
        vers: Version,
        /// What is wrong.
        message: String,
    },
    /// The index has no `config.json`.
    #[error("{location} has no config.json, so it is not a builder index")]
    ConfigMissing {
        /// The index (a directory or URL).
        location: String,
    },
    /// `config.json` is not valid.
    #[error("{location}/config.json: {message}")]
    Config {
        /// The index (a directory or URL).
        location: String,
        /// What is wrong.
        message: String,
    },
    /// Reading or writing a local file failed.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// What was being done (`read`, `write`, …).
        action: &'static str,
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The index has no builder of this name.
    #[error("no builder named `{name}` in {location}")]
    NotFound {
        /// The name asked for.
        name: String,
        /// The index.
        location: String,
    },
    /// No version of the builder matches the requirement.
    #[error(
        "no version of builder `{name}` matches `{req}`{}",
        describe_versions(available, yanked)
    )]
    NoMatch {
        /// The builder name.
        name: String,
        /// The requirement.
        req: VersionReq,
        /// Versions that are not yanked.
        available: Vec<Version>,
        /// Yanked versions that match the requirement.
        yanked: Vec<Version>,
    },
    /// The version is already in the index (lines are immutable).
    #[error("builder `{name}` version {vers} is already in the index")]
    VersionExists {
        /// The builder name.
        name: String,
        /// The version.
        vers: Version,
    },
    /// The version is not in the index.
    #[error("builder `{name}` has no version {vers} in the index")]
    VersionNotFound {
        /// The builder name.
        name: String,
        /// The version.
        vers: Version,
    },
    /// The builder exists under a different spelling (`-` versus `_`).
    #[error("builder `{requested}` is published as `{existing}`")]
    NameSpelling {
        /// The spelling asked for.
        requested: String,
        /// The spelling in the index.
        existing: String,
    },
    /// A git operation on the index repository failed.
    #[error("cannot {action} the index repository {url}: {source}")]
    Git {
        /// What was being done (`fetch`, `push to`, …).
        action: &'static str,
        /// The remote URL.
        url: String,
        /// The libgit2 error.
        source: git2::Error,
    },
    /// The remote refused the push, also after fetching and retrying once.
    #[error("the index repository {url} refused the push: {message}")]
    PushRejected {
        /// The remote URL.
        url: String,
        /// The remote's reason.
        message: String,
    },
    /// An HTTP request failed before a status came back.
    #[error("cannot fetch {url}: {source}")]
    Http {
        /// The URL.
        url: String,
        /// The transport error.
        source: reqwest::Error,
    },
    /// The server answered with an unexpected status.
    #[error("{url} answered HTTP {status}")]
    HttpStatus {
        /// The URL.
        url: String,
        /// The status code.
        status: u16,
    },
    /// The operation needs the network, but the index is offline.
    #[error("{location} is not cached yet and the index is offline")]
    Offline {
        /// The index or file.
        location: String,
    },
    /// The index form cannot do this (publishing over HTTP, listing a sparse
    /// index).
    #[error("{location} cannot {what}")]
    Unsupported {
        /// The index.
        location: String,
        /// The operation.
        what: &'static str,
    },
    /// An index location string could not be understood.
    #[error("invalid index location `{location}`: {message}")]
    InvalidLocation {
        /// The string as given.
        location: String,
        /// What is wrong.
        message: String,
    },
}

impl IndexError {
    /// What the user can do about this error, when there is something to say.
    pub fn help(&self) -> Option<String> {
        match self {
            Self::Malformed { .. } => Some(
                "each line is one JSON object (see docs/registry-index.md); fix or remove the line"
                    .to_owned(),
            ),
            Self::ConfigMissing { .. } => Some(
                "an index holds `config.json` at its root, e.g. {\"oci\":\"ghcr.io/owner/builders\"}"
                    .to_owned(),
            ),
            Self::NotFound { .. } => {
                Some("`staves search <words>` lists the builders this index has".to_owned())
            }
            Self::NoMatch { yanked, .. } if !yanked.is_empty() => Some(
                "matching versions were yanked; relax the requirement, or keep a lock that pins one"
                    .to_owned(),
            ),
            Self::NoMatch { .. } => Some("relax the version requirement".to_owned()),
            Self::VersionExists { .. } => Some(
                "published versions never change; bump the version and publish again".to_owned(),
            ),
            Self::NameSpelling { existing, .. } => {
                Some(format!("`-` and `_` are the same in builder names; use `{existing}`"))
            }
            Self::PushRejected { .. } => Some(
                "nothing was published; check your write access to the repository and retry"
                    .to_owned(),
            ),
            Self::Offline { .. } => Some("run once without `--offline` to fill the cache".to_owned()),
            Self::Unsupported { .. } => Some(
                "publish to, or list, the git repository or directory the index is served from"
                    .to_owned(),
            ),
            _ => None,
        }
    }
}

/// The tail of a [`IndexError::NoMatch`] message.
fn describe_versions(available: &[Version], yanked: &[Version]) -> String {
    let list = |vs: &[Version]| {
        vs.iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut out = String::new();
    if available.is_empty() {
        out.push_str(" (no version is available)");
    } else {
        out.push_str(&format!(" (available: {})", list(available)));
    }
    if !yanked.is_empty() {
        out.push_str(&format!(" (yanked: {})", list(yanked)));
    }
    out
}
