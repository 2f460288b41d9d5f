//! [`PackageIndex`]: a lazy view of the md5-cache of every configured
//! repository.
//!
//! Nothing is read up front except each repository's `layout.conf` (for
//! masters, which decide priority). Category directories
//! (`metadata/md5-cache/<cat>/`) are listed on first use and entries are
//! read and parsed on first use; both are cached, so a resolution only reads
//! the entries of the packages it touches.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex, PoisonError};

use crate::gentoo::layout::LayoutConf;
use crate::gentoo::md5cache::{CacheEntry, supported_eapi};
use crate::gentoo::name::{Cpv, PackageName};
use crate::gentoo::version::Version;
use crate::gentoo::{EntryKind, RepoFiles};

use super::RepoInput;
use super::error::ResolveError;

const CACHE_DIR: &str = "metadata/md5-cache";

/// One repository as the index sees it.
pub(crate) struct IndexedRepo {
    /// The repository's name (as configured).
    pub(crate) name: String,
    /// Its files.
    pub(crate) files: Arc<dyn RepoFiles>,
    /// `masters` from `layout.conf`.
    pub(crate) masters: Vec<String>,
}

/// One version of a package in one repository (before reading its entry).
#[derive(Debug, Clone)]
pub(crate) struct VersionRef {
    /// Name and version.
    pub(crate) cpv: Cpv,
    /// `PF`: the entry's file name.
    pub(crate) pf: String,
    /// Index into [`PackageIndex::repos`] (higher = higher priority).
    pub(crate) repo: usize,
}

/// A read md5-cache entry.
#[derive(Debug)]
pub(crate) enum LoadedEntry {
    /// An entry with a supported EAPI.
    Supported(Box<CacheEntry>),
    /// An entry whose EAPI this Portage does not support: the package is
    /// invisible (masked), not an error.
    Unsupported(String),
}

/// `pn -> [(version, pf)]` for one category of one repository.
type Listing = BTreeMap<String, Vec<(Version, String)>>;

/// `(category, repo)` pairs of every md5-cache category directory.
type Categories = BTreeSet<(String, usize)>;

/// A lazy index over the md5-cache of a set of repositories.
///
/// Repositories are ordered by priority: a repository listed as a master by
/// another has lower priority than it; otherwise a repository given later in
/// the request has higher priority. For equal versions the higher-priority
/// repository wins.
pub struct PackageIndex {
    repos: Vec<IndexedRepo>,
    listings: Mutex<HashMap<(usize, String), Arc<Listing>>>,
    categories: Mutex<Option<Arc<Categories>>>,
    entries: Mutex<HashMap<(usize, String), Arc<LoadedEntry>>>,
}

impl std::fmt::Debug for PackageIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PackageIndex")
            .field(
                "repos",
                &self.repos.iter().map(|r| &r.name).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

impl PackageIndex {
    /// Builds the index: reads each repository's `metadata/layout.conf` and
    /// orders the repositories by priority. Nothing else is read yet.
    ///
    /// # Errors
    /// Two repositories with one name, an unreadable or malformed
    /// `layout.conf`.
    pub fn new(repos: &[RepoInput]) -> Result<Self, ResolveError> {
        let mut loaded = Vec::with_capacity(repos.len());
        let mut seen = BTreeSet::new();
        for input in repos {
            if !seen.insert(input.name.clone()) {
                return Err(ResolveError::config(
                    format!("repository {} is configured twice", input.name),
                    Some("give every repository a distinct name".to_owned()),
                ));
            }
            let masters = read_masters(input)?;
            loaded.push(IndexedRepo {
                name: input.name.clone(),
                files: Arc::clone(&input.files),
                masters,
            });
        }
        Ok(Self {
            repos: order_by_priority(loaded),
            listings: Mutex::new(HashMap::new()),
            categories: Mutex::new(None),
            entries: Mutex::new(HashMap::new()),
        })
    }

    /// The repositories, lowest priority first.
    pub(crate) fn repos(&self) -> &[IndexedRepo] {
        &self.repos
    }

    /// The index of the repository called `name`.
    pub(crate) fn repo_index(&self, name: &str) -> Option<usize> {
        self.repos.iter().position(|r| r.name == name)
    }

    /// Every package whose name (without category) is `pn`, sorted.
    pub fn categories_with_package(&self, pn: &str) -> Vec<PackageName> {
        let mut out = BTreeSet::new();
        for (cat, repo) in self.all_categories().iter() {
            if let Ok(listing) = self.listing(*repo, cat)
                && listing.contains_key(pn)
                && let Ok(name) = PackageName::new(cat, pn)
            {
                out.insert(name);
            }
        }
        out.into_iter().collect()
    }

    /// Every package name in every repository, sorted (for did-you-mean).
    /// Lists every category directory.
    pub fn all_names(&self) -> Vec<PackageName> {
        let mut out = BTreeSet::new();
        for (cat, repo) in self.all_categories().iter() {
            if let Ok(listing) = self.listing(*repo, cat) {
                for pn in listing.keys() {
                    if let Ok(name) = PackageName::new(cat, pn) {
                        out.insert(name);
                    }
                }
            }
        }
        out.into_iter().collect()
    }

    /// Every version of `name` with its repository, sorted by version and,
    /// for equal versions, by repository priority (lowest first). Unreadable
    /// category directories are skipped.
    pub fn versions(&self, name: &PackageName) -> Vec<(Version, String)> {
        self.version_refs(name)
            .unwrap_or_default()
            .into_iter()
            .map(|v| (v.cpv.version.clone(), self.repos[v.repo].name.clone()))
            .collect()
    }

    /// Every version of `name` across repositories, sorted by version then
    /// repository priority (ascending).
    pub(crate) fn version_refs(&self, name: &PackageName) -> Result<Vec<VersionRef>, ResolveError> {
        let mut out = Vec::new();
        for repo in 0..self.repos.len() {
            let listing = self.listing(repo, &name.category)?;
            if let Some(versions) = listing.get(&name.package) {
                for (version, pf) in versions {
                    if let Ok(cpv) = Cpv::parse_cpf(&name.category, pf) {
                        debug_assert_eq!(&cpv.version, version);
                        out.push(VersionRef {
                            cpv,
                            pf: pf.clone(),
                            repo,
                        });
                    }
                }
            }
        }
        out.sort_by(|a, b| {
            a.cpv
                .version
                .cmp(&b.cpv.version)
                .then(a.repo.cmp(&b.repo))
                .then(a.pf.cmp(&b.pf))
        });
        Ok(out)
    }

    /// The parsed entry of `v`, read on first use.
    ///
    /// # Errors
    /// The file is unreadable, missing, or corrupt (the error names the
    /// repository, the path and the line). An unsupported EAPI is not an
    /// error: it gives [`LoadedEntry::Unsupported`].
    pub(crate) fn entry(&self, v: &VersionRef) -> Result<Arc<LoadedEntry>, ResolveError> {
        let cat = &v.cpv.name.category;
        let key = (v.repo, format!("{cat}/{}", v.pf));
        if let Some(hit) = lock(&self.entries).get(&key) {
            return Ok(Arc::clone(hit));
        }
        let repo = &self.repos[v.repo];
        let path = format!("{CACHE_DIR}/{}", key.1);
        let bytes = repo
            .files
            .read(&path)
            .map_err(|source| ResolveError::Io {
                repo: repo.name.clone(),
                path: path.clone(),
                source,
            })?
            .ok_or_else(|| ResolveError::Corrupt {
                repo: repo.name.clone(),
                path: path.clone(),
                line: None,
                message: "the md5-cache entry disappeared while reading".to_owned(),
            })?;
        let loaded = match CacheEntry::parse(&bytes) {
            Ok(entry) if supported_eapi(&entry.eapi) => LoadedEntry::Supported(Box::new(entry)),
            Ok(entry) => LoadedEntry::Unsupported(entry.eapi),
            Err(err) => match raw_eapi(&bytes) {
                // An entry of an EAPI we do not know may use keys we cannot
                // parse: it is masked, not corrupt.
                Some(eapi) if !supported_eapi(&eapi) => LoadedEntry::Unsupported(eapi),
                _ => {
                    return Err(ResolveError::Corrupt {
                        repo: repo.name.clone(),
                        path,
                        line: err.line,
                        message: err.message,
                    });
                }
            },
        };
        let loaded = Arc::new(loaded);
        lock(&self.entries).insert(key, Arc::clone(&loaded));
        Ok(loaded)
    }

    /// The listing of `metadata/md5-cache/<cat>` in repository `repo`.
    fn listing(&self, repo: usize, cat: &str) -> Result<Arc<Listing>, ResolveError> {
        let key = (repo, cat.to_owned());
        if let Some(hit) = lock(&self.listings).get(&key) {
            return Ok(Arc::clone(hit));
        }
        let r = &self.repos[repo];
        let path = format!("{CACHE_DIR}/{cat}");
        let entries = r.files.list(&path).map_err(|source| ResolveError::Io {
            repo: r.name.clone(),
            path,
            source,
        })?;
        let mut listing = Listing::new();
        for e in entries.unwrap_or_default() {
            if e.kind != EntryKind::File {
                continue;
            }
            // Stray files (editor backups, READMEs) are not entries.
            let Ok(cpv) = Cpv::parse_cpf(cat, &e.name) else {
                continue;
            };
            listing
                .entry(cpv.name.package.to_owned())
                .or_default()
                .push((cpv.version.clone(), e.name));
        }
        let listing = Arc::new(listing);
        lock(&self.listings).insert(key, Arc::clone(&listing));
        Ok(listing)
    }

    /// `(category, repo)` for every category directory of every md5-cache.
    fn all_categories(&self) -> Arc<Categories> {
        if let Some(hit) = lock(&self.categories).as_ref() {
            return Arc::clone(hit);
        }
        let mut out = BTreeSet::new();
        for (i, r) in self.repos.iter().enumerate() {
            if let Ok(Some(entries)) = r.files.list(CACHE_DIR) {
                for e in entries {
                    if e.kind == EntryKind::Dir {
                        out.insert((e.name, i));
                    }
                }
            }
        }
        let out = Arc::new(out);
        *lock(&self.categories) = Some(Arc::clone(&out));
        out
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    // The caches hold no invariants a panicking thread could break.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The `EAPI=` value of raw entry bytes, if there is one.
fn raw_eapi(bytes: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(bytes);
    text.lines()
        .find_map(|l| l.strip_prefix("EAPI="))
        .map(|v| v.trim().to_owned())
}

/// `masters` from the repository's `metadata/layout.conf` (none when the
/// file is absent).
fn read_masters(input: &RepoInput) -> Result<Vec<String>, ResolveError> {
    let path = "metadata/layout.conf";
    let bytes = input.files.read(path).map_err(|source| ResolveError::Io {
        repo: input.name.clone(),
        path: path.to_owned(),
        source,
    })?;
    let Some(bytes) = bytes else {
        return Ok(Vec::new());
    };
    let text = String::from_utf8_lossy(&bytes);
    let layout = LayoutConf::parse(&text).map_err(|e| ResolveError::Corrupt {
        repo: input.name.clone(),
        path: path.to_owned(),
        line: e.line,
        message: e.message,
    })?;
    Ok(layout.masters.unwrap_or_default())
}

/// Orders repositories lowest priority first: every master before the
/// repositories that name it, otherwise in request order. A cycle of
/// masters falls back to request order for the repositories in it.
fn order_by_priority(mut pending: Vec<IndexedRepo>) -> Vec<IndexedRepo> {
    let mut out: Vec<IndexedRepo> = Vec::with_capacity(pending.len());
    while !pending.is_empty() {
        let names: BTreeSet<&str> = pending.iter().map(|r| r.name.as_str()).collect();
        // The first repository none of whose masters is still pending.
        let pick = pending
            .iter()
            .position(|r| {
                r.masters
                    .iter()
                    .all(|m| m == &r.name || !names.contains(m.as_str()))
            })
            .unwrap_or(0);
        out.push(pending.remove(pick));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gentoo::MemFiles;

    fn repo(name: &str, layout: &str, entries: &[(&str, &str)]) -> RepoInput {
        let mut files = MemFiles::new();
        files.insert("profiles/repo_name", format!("{name}\n"));
        if !layout.is_empty() {
            files.insert("metadata/layout.conf", layout);
        }
        for (path, text) in entries {
            files.insert(format!("{CACHE_DIR}/{path}"), *text);
        }
        RepoInput {
            name: name.to_owned(),
            files: Arc::new(files),
        }
    }

    #[test]
    fn masters_have_lower_priority_than_their_users() {
        let overlay = repo("overlay", "masters = gentoo\n", &[]);
        let gentoo = repo("gentoo", "masters =\n", &[]);
        let index = PackageIndex::new(&[overlay, gentoo]).unwrap();
        let names: Vec<_> = index.repos().iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["gentoo", "overlay"]);
    }

    #[test]
    fn versions_are_listed_lazily_and_sorted_with_repo_priority() {
        let a = repo(
            "a",
            "masters =\n",
            &[
                ("dev-libs/foo-1.10", "EAPI=8\nSLOT=0\n"),
                ("dev-libs/foo-1.9", "EAPI=8\nSLOT=0\n"),
                ("dev-libs/foo-bar-2", "EAPI=8\nSLOT=0\n"),
                ("dev-libs/README", "not an entry"),
            ],
        );
        let b = repo(
            "b",
            "masters = a\n",
            &[("dev-libs/foo-1.9", "EAPI=8\nSLOT=0\n")],
        );
        let index = PackageIndex::new(&[a, b]).unwrap();
        let foo = PackageName::new("dev-libs", "foo").unwrap();
        let got: Vec<String> = index
            .versions(&foo)
            .into_iter()
            .map(|(v, r)| format!("{v}::{r}"))
            .collect();
        assert_eq!(got, ["1.9::a", "1.9::b", "1.10::a"]);
        assert_eq!(
            index.categories_with_package("foo-bar"),
            [PackageName::new("dev-libs", "foo-bar").unwrap()]
        );
        assert_eq!(index.all_names().len(), 2);
    }

    #[test]
    fn unsupported_eapi_is_invisible_and_corrupt_entry_names_the_line() {
        let r = repo(
            "r",
            "",
            &[
                ("app-misc/new-1", "EAPI=99\nFUTURE KEY WITHOUT EQUALS\n"),
                ("app-misc/bad-1", "EAPI=8\nSLOT=0\nthis line is broken\n"),
            ],
        );
        let index = PackageIndex::new(&[r]).unwrap();
        let new = index
            .version_refs(&PackageName::new("app-misc", "new").unwrap())
            .unwrap();
        assert!(matches!(
            *index.entry(&new[0]).unwrap(),
            LoadedEntry::Unsupported(ref e) if e == "99"
        ));
        let bad = index
            .version_refs(&PackageName::new("app-misc", "bad").unwrap())
            .unwrap();
        let err = index.entry(&bad[0]).unwrap_err().to_string();
        assert!(
            err.starts_with("r: metadata/md5-cache/app-misc/bad-1:3: "),
            "{err}"
        );
    }
}
