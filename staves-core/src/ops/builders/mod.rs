//! Builders from registry indexes: which index a project uses, resolving
//! `[builder] name` + `version` to an exact version pinned by digest, and
//! pinning `[builder] image` to a digest. Used by every command that locks
//! (`lock`, `add`, `update`, `build`) and by `search` / `builder list`.
//!
//! Which index: `[builder] index` (a `dir+` path relative to the manifest),
//! else `STAVES_INDEX` (relative to the working directory), else the index
//! that ships with Staves ([`DefaultIndex`]). Git and sparse indexes cache
//! under `<cache>/index`, and answer from that cache under `--offline`.
//! Only `[builder] index` is recorded in `staves.lock`: `STAVES_INDEX`
//! belongs to the machine (and may carry credentials). Every index shown
//! to people goes through [`redact_userinfo`].

mod default_index;
mod pin;
mod redact;
mod resolve;

use std::path::{Path, PathBuf};

use registry_index::{Index, IndexError, IndexSource};

pub use default_index::{DEFAULT_INDEX_LOCATION, DefaultIndex};
pub use redact::redact_userinfo;
pub use resolve::BuilderChange;
pub(crate) use resolve::{builder_change, lock_builder};

/// The environment variable naming the index when `[builder] index` does not.
pub const INDEX_ENV: &str = "STAVES_INDEX";

/// A builder index failed, or a builder could not be pinned.
///
/// The index's own error is part of the message, with URL credentials
/// redacted, and deliberately not an error `source()`: a `caused by:` line
/// would show it unredacted.
#[derive(Debug, thiserror::Error)]
pub enum BuilderIndexError {
    /// Reading the index failed, or it has no matching version.
    #[error("{}", redact_userinfo(&.0.to_string()))]
    Index(IndexError),
    /// The index location (from `STAVES_INDEX` or `--index`) is not valid.
    #[error("{origin}: {}", redact_userinfo(&.error.to_string()))]
    Location {
        /// Where it came from (`STAVES_INDEX`, `--index`), credentials
        /// redacted.
        origin: String,
        /// What is wrong.
        error: Box<IndexError>,
    },
    /// A file of the index is broken (names the index, the file and line).
    #[error("index {index}: {}", redact_userinfo(&.error.to_string()))]
    Broken {
        /// The index as configured, credentials redacted.
        index: String,
        /// The error naming the file and line inside it.
        error: Box<IndexError>,
    },
    /// The shipped index has no builder of that name.
    #[error(
        "no builder named `{name}` in {DEFAULT_INDEX_LOCATION}; \
         set [builder] index = \"…\" (or STAVES_INDEX) to an index that has it, or publish one"
    )]
    NotInDefaultIndex {
        /// The name asked for.
        name: String,
    },
    /// The index entry has no image for any platform the lock can use.
    #[error("builder `{name}` {version} in {index} has no images")]
    NoImages {
        /// The builder.
        name: String,
        /// Its version.
        version: String,
        /// The index, credentials redacted.
        index: String,
    },
    /// `[builder] image` could not be pinned to a digest.
    #[error("cannot pin the builder image `{image}` to a digest: {message}")]
    Pin {
        /// The reference as written.
        image: String,
        /// Why.
        message: String,
    },
}

impl From<IndexError> for BuilderIndexError {
    fn from(error: IndexError) -> Self {
        BuilderIndexError::Index(error)
    }
}

impl BuilderIndexError {
    /// `error` from `index`, with the index named when it is about a file
    /// inside it (a malformed line, a bad `config.json`).
    pub fn in_index(index: &IndexChoice, error: IndexError) -> Self {
        match error {
            IndexError::Malformed { .. } | IndexError::Config { .. } => BuilderIndexError::Broken {
                index: index.describe(),
                error: Box::new(error),
            },
            other => BuilderIndexError::Index(other),
        }
    }

    /// What the user can do about it.
    pub fn help(&self) -> Vec<String> {
        let help = match self {
            BuilderIndexError::Index(e) => e.help().into_iter().collect(),
            BuilderIndexError::Location { error, .. } | BuilderIndexError::Broken { error, .. } => {
                error.help().into_iter().collect()
            }
            BuilderIndexError::NotInDefaultIndex { .. } => vec![
                "index locations: \"dir+PATH\", \"git+https://…\" (or git+file:///…), \"sparse+https://…\"".into(),
            ],
            BuilderIndexError::NoImages { .. } => {
                vec!["the index entry is broken; ask its publisher, or pick another version".into()]
            }
            BuilderIndexError::Pin { .. } => vec![
                "pull or build the image into the engine (DOCKER_HOST), make the registry reachable, \
                 or write the digest yourself: image = \"repo@sha256:…\""
                    .into(),
            ],
        };
        help.iter().map(|line| redact_userinfo(line)).collect()
    }
}

/// Where a project's builder index is: the location string as configured
/// (`None`: the shipped index) and the directory a relative `dir+` path is
/// relative to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexChoice {
    /// The location as written (`[builder] index`, `STAVES_INDEX`, `--index`).
    pub location: Option<String>,
    /// What a relative directory path is relative to.
    pub base: PathBuf,
}

impl IndexChoice {
    /// `[builder] index` (relative to `manifest_dir`), else `STAVES_INDEX`
    /// (relative to the working directory), else the shipped index.
    pub fn for_project(manifest_index: Option<&str>, manifest_dir: &Path) -> Self {
        match manifest_index {
            Some(location) => Self {
                location: Some(location.to_owned()),
                base: manifest_dir.to_owned(),
            },
            None => Self::from_env_or(None),
        }
    }

    /// `given` (e.g. `--index`), else `STAVES_INDEX`, else the shipped index;
    /// relative paths are relative to the working directory.
    pub fn from_env_or(given: Option<&str>) -> Self {
        let location = given
            .map(str::to_owned)
            .or_else(|| std::env::var(INDEX_ENV).ok().filter(|v| !v.is_empty()));
        Self {
            location,
            base: std::env::current_dir().unwrap_or_default(),
        }
    }

    /// Opens the index (nothing is fetched until the first read).
    ///
    /// # Errors
    /// An invalid location string.
    pub fn open(
        &self,
        cache_dir: &Path,
        offline: bool,
    ) -> Result<Box<dyn Index>, BuilderIndexError> {
        let Some(location) = &self.location else {
            return Ok(Box::new(DefaultIndex));
        };
        let source: IndexSource =
            location
                .parse()
                .map_err(|error| BuilderIndexError::Location {
                    origin: format!("index `{}`", redact_userinfo(location)),
                    error: Box::new(error),
                })?;
        let source = match source {
            IndexSource::Dir(path) if path.is_relative() => IndexSource::Dir(self.base.join(path)),
            other => other,
        };
        Ok(source.open(&cache_dir.join("index"), offline)?)
    }

    /// The index as named in messages, credentials redacted.
    pub fn describe(&self) -> String {
        self.location
            .as_deref()
            .map_or_else(|| DEFAULT_INDEX_LOCATION.to_owned(), redact_userinfo)
    }
}
