//! `staves builder list`: every builder of an index with every version,
//! yanked ones included and marked.

use std::path::PathBuf;

use super::builders::{BuilderIndexError, IndexChoice};

/// Which index `search` and `builder list` read.
#[derive(Debug, Clone, Default)]
pub struct IndexOptions {
    /// `--index LOC`; `None`: `STAVES_INDEX`, else the shipped index.
    pub index: Option<String>,
    /// The user's cache directory (git and sparse indexes cache below it).
    pub cache_dir: PathBuf,
    /// `--offline`: answer from the cache only.
    pub offline: bool,
}

/// One version of a listed builder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedVersion {
    /// The version.
    pub version: semver::Version,
    /// Whether it is yanked (new locks skip it).
    pub yanked: bool,
    /// The platforms it has images for.
    pub platforms: Vec<String>,
    /// The Gentoo architecture keyword.
    pub arch: String,
    /// The C library.
    pub libc: String,
    /// The Portage profile.
    pub profile: String,
}

/// One builder of the index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedBuilder {
    /// The builder name.
    pub name: String,
    /// The summary of its newest version, if any.
    pub summary: Option<String>,
    /// Every version, oldest first (semver order).
    pub versions: Vec<ListedVersion>,
}

/// What [`list`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListOutcome {
    /// The index, as named in messages.
    pub index: String,
    /// The builders, sorted by name.
    pub builders: Vec<ListedBuilder>,
}

/// Lists every builder and version of the index named by `options`.
///
/// # Errors
/// The index cannot be opened or read, or cannot list its builders (a
/// sparse HTTP index).
pub fn list(options: &IndexOptions) -> Result<ListOutcome, BuilderIndexError> {
    let choice = IndexChoice::from_env_or(options.index.as_deref());
    let index = choice.open(&options.cache_dir, options.offline)?;
    let mut builders = Vec::new();
    let broken = |e| BuilderIndexError::in_index(&choice, e);
    for name in index.list().map_err(broken)? {
        let mut entries = index.versions(&name).map_err(broken)?;
        entries.sort_by(|a, b| a.vers.cmp_precedence(&b.vers));
        let summary = entries.iter().rev().find_map(|e| e.summary.clone());
        let versions = entries
            .into_iter()
            .map(|e| ListedVersion {
                version: e.vers,
                yanked: e.yanked,
                platforms: e.images.into_keys().collect(),
                arch: e.arch,
                libc: e.libc,
                profile: e.profile,
            })
            .collect();
        builders.push(ListedBuilder {
            name,
            summary,
            versions,
        });
    }
    Ok(ListOutcome {
        index: choice.describe(),
        builders,
    })
}
