//! `staves search [QUERY]`: builders in an index whose name or summary holds
//! every word of the query, with their newest version that is not yanked.

use registry_index::SearchHit;

use super::builder_list::IndexOptions;
use super::builders::{BuilderIndexError, IndexChoice};

/// One builder found by [`search`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// The builder name.
    pub name: String,
    /// Its newest version that is not yanked.
    pub latest: semver::Version,
    /// The platforms that version has images for.
    pub platforms: Vec<String>,
    /// Its summary, if any.
    pub summary: Option<String>,
    /// How many versions the index holds, yanked ones included.
    pub versions: usize,
}

/// What [`search`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchOutcome {
    /// The index searched, as named in messages.
    pub index: String,
    /// The builders, sorted by name.
    pub found: Vec<Found>,
}

/// Searches the index named by `options` (builders whose every version is
/// yanked are never found).
///
/// # Errors
/// The index cannot be opened or read, or cannot list its builders (a
/// sparse HTTP index).
pub fn search(query: &str, options: &IndexOptions) -> Result<SearchOutcome, BuilderIndexError> {
    let choice = IndexChoice::from_env_or(options.index.as_deref());
    let index = choice.open(&options.cache_dir, options.offline)?;
    let found = index
        .search(query)
        .map_err(|e| BuilderIndexError::in_index(&choice, e))?
        .into_iter()
        .map(|SearchHit { latest, versions }| Found {
            name: latest.name,
            latest: latest.vers,
            platforms: latest.images.into_keys().collect(),
            summary: latest.summary,
            versions,
        })
        .collect();
    Ok(SearchOutcome {
        index: choice.describe(),
        found,
    })
}
