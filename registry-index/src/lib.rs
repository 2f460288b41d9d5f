//! The Staves builder index: its format, and readers and writers for the
//! three places an index can live.
//!
//! Builders are to Staves what crates are to Cargo: named, semver-versioned
//! images, listed in an index and pinned by digest in every lock. The index
//! copies Cargo's registry index layout: `config.json` at the root, one file
//! per builder at `1/a`, `2/ab`, `3/a/abc` or `ab/cd/abcd…`
//! ([`index_path`]), one JSON line per published version ([`IndexEntry`]).
//! Lines never change except for `yanked`. `docs/registry-index.md`
//! describes every field.
//!
//! The [`Index`] trait is implemented by [`DirIndex`] (a local directory),
//! [`GitIndex`] (a git repository, fetched into a cache and written by
//! commit + push) and [`HttpIndex`] (plain HTTP(S), one GET per file,
//! ETag-cached on disk, read-only). [`IndexSource`] parses the location
//! strings that name them (`dir+…`, `git+…`, `sparse+https://…`).

#![deny(missing_docs)]

mod dir;
mod edit;
mod entry;
mod error;
mod fsutil;
mod git;
mod http;
mod name;
mod select;
mod source;
mod walk;

use semver::{Version, VersionReq};

pub use dir::DirIndex;
pub use entry::{
    BaseRef, IndexConfig, IndexEntry, MAX_SUMMARY_LEN, SCHEMA_VERSION, parse_file, same_version,
};
pub use error::IndexError;
pub use git::{CallbacksFn, GitIndex};
pub use http::HttpIndex;
pub use name::{MAX_NAME_LEN, NameError, index_path, normalize_name, same_name, validate_name};
pub use select::{SearchHit, search_hit, select};
pub use source::IndexSource;

/// A builder index. Every form can be read; [`DirIndex`] and [`GitIndex`]
/// can also be written ([`HttpIndex`] answers [`IndexError::Unsupported`]).
pub trait Index {
    /// Where the index is, for messages (a path or URL).
    fn location(&self) -> String;

    /// The index's `config.json`.
    fn config(&self) -> Result<IndexConfig, IndexError>;

    /// Every version of builder `name` (`-` and `_` alike) that this crate
    /// can read, in file order; empty when the index has no such builder.
    fn versions(&self, name: &str) -> Result<Vec<IndexEntry>, IndexError>;

    /// The names of every builder in the index, spelled as published,
    /// sorted.
    fn list(&self) -> Result<Vec<String>, IndexError>;

    /// Appends `entry` as a new line of its builder's file. Refuses a version
    /// that is already published (build metadata ignored), an invalid entry,
    /// and a spelling of the name that differs from the published one.
    fn publish(&self, entry: &IndexEntry) -> Result<(), IndexError>;

    /// Sets the `yanked` field of one version, touching nothing else.
    /// Setting the value it already has changes nothing.
    fn yank(&self, name: &str, vers: &Version, yanked: bool) -> Result<(), IndexError>;

    /// The highest version of `name` that matches `req` and is not yanked;
    /// a yanked version only when it is exactly `allow_yanked_exact` (the
    /// version the current lock pins). See [`select`].
    fn resolve(
        &self,
        name: &str,
        req: &VersionReq,
        allow_yanked_exact: Option<&Version>,
    ) -> Result<IndexEntry, IndexError> {
        let entries = self.versions(name)?;
        select(name, &self.location(), &entries, req, allow_yanked_exact)
    }

    /// The builders whose name or summary holds every word of `query`
    /// (an empty query matches all), sorted by name. See [`search_hit`].
    fn search(&self, query: &str) -> Result<Vec<SearchHit>, IndexError> {
        let mut hits = Vec::new();
        for name in self.list()? {
            if let Some(hit) = search_hit(&self.versions(&name)?, query) {
                hits.push(hit);
            }
        }
        Ok(hits)
    }
}

/// Checks a name given by a caller, as an [`IndexError`].
pub(crate) fn checked_name(name: &str) -> Result<(), IndexError> {
    validate_name(name).map_err(|source| IndexError::InvalidName {
        name: name.to_owned(),
        source,
    })
}

/// The entries of builder `name` from its file's text (`None`: no file).
/// Every line must belong to that builder.
pub(crate) fn entries_of(
    name: &str,
    text: Option<&str>,
    path: &str,
) -> Result<Vec<IndexEntry>, IndexError> {
    let Some(text) = text else {
        return Ok(Vec::new());
    };
    let entries = parse_file(text, path)?;
    if let Some(first) = entries.first()
        && !same_name(&first.name, name)
    {
        return Err(IndexError::Malformed {
            path: path.to_owned(),
            line: 1,
            message: format!("builder `{}` is in the file of `{name}`", first.name),
        });
    }
    Ok(entries)
}
