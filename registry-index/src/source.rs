//! Index locations as strings, as written in configuration and in locks.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::Index;
use crate::dir::DirIndex;
use crate::error::IndexError;
use crate::git::GitIndex;
use crate::http::HttpIndex;

/// Where an index lives. The string forms, accepted by [`FromStr`] and
/// written by [`fmt::Display`]:
///
/// * `sparse+https://host/path/` (or `sparse+http://`): an [`HttpIndex`];
/// * `git+<url>` (`git+https://…`, `git+ssh://…`, `git+file:///…`), with an
///   optional `#<branch>`: a [`GitIndex`];
/// * `dir+<path>`, or a bare path (`/srv/index`, `./index`): a [`DirIndex`].
///
/// The prefixes keep one string from meaning two protocols, as Cargo's
/// `sparse+` does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexSource {
    /// A local directory.
    Dir(PathBuf),
    /// A git repository.
    Git {
        /// The remote URL.
        url: String,
        /// The branch; the remote's default branch when `None`.
        branch: Option<String>,
    },
    /// Plain HTTP(S), read file by file.
    Sparse(String),
}

impl FromStr for IndexSource {
    type Err = IndexError;

    fn from_str(text: &str) -> Result<Self, IndexError> {
        let invalid = |message: &str| IndexError::InvalidLocation {
            location: text.to_owned(),
            message: message.to_owned(),
        };
        if let Some(url) = text.strip_prefix("sparse+") {
            if url.starts_with("http://") || url.starts_with("https://") {
                return Ok(Self::Sparse(url.to_owned()));
            }
            return Err(invalid(
                "`sparse+` is followed by an `http://` or `https://` URL",
            ));
        }
        if let Some(rest) = text.strip_prefix("git+") {
            let (url, branch) = match rest.rsplit_once('#') {
                Some((url, branch)) if !branch.is_empty() => (url, Some(branch.to_owned())),
                Some(_) => return Err(invalid("`#` is followed by a branch name")),
                None => (rest, None),
            };
            if !url.contains("://") && !url.contains('@') {
                return Err(invalid(
                    "`git+` is followed by a URL such as `https://…`, `ssh://…` or `file:///…`",
                ));
            }
            return Ok(Self::Git {
                url: url.to_owned(),
                branch,
            });
        }
        if let Some(path) = text.strip_prefix("dir+") {
            return Ok(Self::Dir(PathBuf::from(path)));
        }
        if text.is_empty() {
            return Err(invalid("the location is empty"));
        }
        if text.contains("://") {
            return Err(invalid(
                "say which protocol: `sparse+https://…` for HTTP, `git+<url>` for git",
            ));
        }
        Ok(Self::Dir(PathBuf::from(text)))
    }
}

impl fmt::Display for IndexSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Dir(path) => write!(f, "dir+{}", path.display()),
            Self::Git { url, branch: None } => write!(f, "git+{url}"),
            Self::Git {
                url,
                branch: Some(branch),
            } => write!(f, "git+{url}#{branch}"),
            Self::Sparse(url) => write!(f, "sparse+{url}"),
        }
    }
}

impl IndexSource {
    /// Opens the index. Git and HTTP indexes cache under `cache_root`; with
    /// `offline`, they answer from that cache only. Nothing is fetched until
    /// the first read.
    pub fn open(&self, cache_root: &Path, offline: bool) -> Result<Box<dyn Index>, IndexError> {
        Ok(match self {
            Self::Dir(path) => Box::new(DirIndex::new(path)),
            Self::Git { url, branch } => {
                let mut index = GitIndex::new(url, cache_root)?.with_offline(offline);
                if let Some(branch) = branch {
                    index = index.with_branch(branch);
                }
                Box::new(index)
            }
            Self::Sparse(url) => Box::new(HttpIndex::new(url, cache_root)?.with_offline(offline)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_round_trip() {
        for text in [
            "sparse+https://index.example.org/",
            "git+https://example.org/index.git",
            "git+ssh://git@example.org/index.git#main",
            "git+file:///srv/index",
            "dir+/srv/index",
        ] {
            let source: IndexSource = text.parse().unwrap();
            assert_eq!(source.to_string(), text);
        }
        assert_eq!(
            "./index".parse::<IndexSource>().unwrap(),
            IndexSource::Dir(PathBuf::from("./index"))
        );
    }

    #[test]
    fn ambiguous_locations_are_refused() {
        for text in [
            "https://example.org/index",
            "sparse+ftp://x/",
            "git+index",
            "git+https://x/y#",
            "",
        ] {
            let err = text.parse::<IndexSource>().unwrap_err();
            assert!(
                matches!(err, IndexError::InvalidLocation { .. }),
                "{text}: {err}"
            );
        }
    }
}
