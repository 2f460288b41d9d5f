//! Choosing a version for a requirement, and matching builders to a search
//! query. Pure functions over entries, shared by every index form.

use semver::{Version, VersionReq};

use crate::entry::{IndexEntry, same_version};
use crate::error::IndexError;

/// One builder found by a search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchHit {
    /// The builder's newest version that is not yanked.
    pub latest: IndexEntry,
    /// How many versions the index holds, yanked ones included.
    pub versions: usize,
}

/// The highest version among `entries` that matches `req` and is not
/// yanked. A yanked version is also a candidate when it is exactly
/// `allow_yanked_exact` (the version an existing lock pins), so a yank keeps
/// new resolutions away from a version without breaking locks that use it.
///
/// Semver requirements follow Cargo: `1.2` means `^1.2`, and pre-releases
/// only match requirements that name a pre-release of the same
/// `major.minor.patch`. `entries` empty means the builder does not exist.
pub fn select(
    name: &str,
    location: &str,
    entries: &[IndexEntry],
    req: &VersionReq,
    allow_yanked_exact: Option<&Version>,
) -> Result<IndexEntry, IndexError> {
    if entries.is_empty() {
        return Err(IndexError::NotFound {
            name: name.to_owned(),
            location: location.to_owned(),
        });
    }
    let usable = |e: &IndexEntry| {
        !e.yanked || allow_yanked_exact.is_some_and(|locked| same_version(locked, &e.vers))
    };
    let best = entries
        .iter()
        .filter(|e| req.matches(&e.vers) && usable(e))
        .max_by(|a, b| a.vers.cmp_precedence(&b.vers));
    if let Some(best) = best {
        return Ok(best.clone());
    }
    let mut available: Vec<Version> = entries
        .iter()
        .filter(|e| !e.yanked)
        .map(|e| e.vers.clone())
        .collect();
    available.sort_by(Version::cmp_precedence);
    let mut yanked: Vec<Version> = entries
        .iter()
        .filter(|e| e.yanked && req.matches(&e.vers))
        .map(|e| e.vers.clone())
        .collect();
    yanked.sort_by(Version::cmp_precedence);
    Err(IndexError::NoMatch {
        name: entries[0].name.clone(),
        req: req.clone(),
        available,
        yanked,
    })
}

/// The search hit for one builder's entries, when every word of `query`
/// (split on whitespace, case-insensitive) appears in the builder's name
/// (`-` and `_` alike) or in the summary of its newest version. Builders
/// whose every version is yanked are never hits: there is nothing to use.
pub fn search_hit(entries: &[IndexEntry], query: &str) -> Option<SearchHit> {
    let latest = entries
        .iter()
        .filter(|e| !e.yanked)
        .max_by(|a, b| a.vers.cmp_precedence(&b.vers))?;
    let name = latest.name.replace('_', "-");
    let summary = latest.summary.as_deref().unwrap_or("").to_lowercase();
    let all = query.split_whitespace().all(|word| {
        let word = word.to_lowercase();
        name.contains(&word.replace('_', "-")) || summary.contains(&word)
    });
    all.then(|| SearchHit {
        latest: latest.clone(),
        versions: entries.len(),
    })
}
