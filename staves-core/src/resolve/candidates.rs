//! Candidates: every version of a touched package with its visibility, USE
//! configuration and (lazily) its evaluated dependencies. Built once per
//! package name and shared by every backtracking attempt.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use crate::gentoo::IuseFlag;
use crate::gentoo::iuse::iuse_entries;
use crate::gentoo::layout::eapi_at_least;
use crate::gentoo::md5cache::CacheEntry;
use crate::gentoo::name::{Cpv, PackageName};
use crate::gentoo::profile::LineOrigin;
use crate::gentoo::version::Version;

use super::config::{Config, PkgRef, UseState};
use super::deps::Dep;
use super::error::ResolveError;
use super::index::{LoadedEntry, PackageIndex};
use super::{DepClass, model};

/// Why a candidate is not visible.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Invisible {
    /// The entry's EAPI is not supported.
    Eapi(String),
    /// Masked by a `package.mask` line.
    Masked(LineOrigin),
    /// The entry's metadata is invalid (Portage masks such a version as
    /// `invalid`); what is wrong.
    Invalid(String),
    /// KEYWORDS not accepted; the keyword to accept.
    Keyword(String),
    /// LICENSE not accepted; the rejected names.
    License(Vec<String>),
}

/// The evaluated dependencies of one candidate, per class.
pub(crate) type ClassDeps = Vec<(DepClass, Vec<Dep>)>;

/// One version of a package in one repository.
#[derive(Debug)]
pub(crate) struct Cand {
    pub(crate) cpv: Cpv,
    /// Index of the repository in the [`PackageIndex`] (priority order).
    pub(crate) repo: usize,
    pub(crate) repo_name: String,
    pub(crate) slot: String,
    pub(crate) subslot: String,
    pub(crate) eapi: String,
    pub(crate) md5: Option<String>,
    pub(crate) entry: Arc<LoadedEntry>,
    /// Empty when visible.
    pub(crate) invisible: Vec<Invisible>,
    pub(crate) use_state: UseState,
    required_use: OnceLock<Option<String>>,
    deps: OnceLock<Result<Arc<ClassDeps>, (String, String)>>,
    pf_path: String,
}

impl Cand {
    /// Whether the candidate may be selected.
    pub(crate) fn visible(&self) -> bool {
        self.invisible.is_empty()
    }

    /// The first violated top-level REQUIRED_USE constraint, if any.
    pub(crate) fn required_use_violation(&self) -> Option<&str> {
        self.required_use
            .get_or_init(|| match &*self.entry {
                LoadedEntry::Supported(e) if !e.required_use.trim().is_empty() => {
                    model::required_use_violation(
                        &e.required_use,
                        &self.eapi,
                        &self.use_state.enabled,
                    )
                }
                _ => None,
            })
            .as_deref()
    }

    /// The dependencies, evaluated with the candidate's USE; parsed on
    /// first use.
    ///
    /// # Errors
    /// A dependency string that does not parse (names repo, entry and key).
    pub(crate) fn deps(&self) -> Result<Arc<ClassDeps>, ResolveError> {
        let res = self.deps.get_or_init(|| {
            let LoadedEntry::Supported(e) = &*self.entry else {
                return Ok(Arc::new(Vec::new()));
            };
            let enabled = |f: &str| self.use_state.enabled.contains(f);
            let mut out = Vec::new();
            for (class, key, text) in [
                (DepClass::Rdepend, "RDEPEND", &e.rdepend),
                (DepClass::Pdepend, "PDEPEND", &e.pdepend),
                (DepClass::Depend, "DEPEND", &e.depend),
                (DepClass::Bdepend, "BDEPEND", &e.bdepend),
                (DepClass::Idepend, "IDEPEND", &e.idepend),
            ] {
                if text.trim().is_empty() {
                    continue;
                }
                let deps = model::evaluate_deps(text, &self.eapi, &enabled)
                    .map_err(|m| (key.to_owned(), m))?;
                out.push((class, deps));
            }
            Ok(Arc::new(out))
        });
        res.clone().map_err(|(key, message)| ResolveError::Corrupt {
            repo: self.repo_name.clone(),
            path: self.pf_path.clone(),
            line: None,
            message: format!("{key}: {message}"),
        })
    }

    pub(crate) fn pkg_ref(&self) -> PkgRef<'_> {
        PkgRef {
            cpv: &self.cpv,
            slot: &self.slot,
            subslot: &self.subslot,
            repo: &self.repo_name,
        }
    }
}

/// All versions of one package, best first (highest version, then
/// highest repository priority).
#[derive(Debug)]
pub(crate) struct PkgData {
    pub(crate) name: PackageName,
    pub(crate) cands: Vec<Cand>,
}

/// Lazily built [`PkgData`] for every package the resolver touches.
pub(crate) struct Universe<'a> {
    pub(crate) index: &'a PackageIndex,
    pub(crate) config: &'a Config,
    preferred: &'a BTreeMap<PackageName, Version>,
    cache: Mutex<HashMap<PackageName, Arc<PkgData>>>,
    /// Problems in touched entries that do not hide the version (as
    /// Portage, which warns about them).
    warnings: Mutex<BTreeSet<String>>,
}

impl<'a> Universe<'a> {
    pub(crate) fn new(
        index: &'a PackageIndex,
        config: &'a Config,
        preferred: &'a BTreeMap<PackageName, Version>,
    ) -> Self {
        Self {
            index,
            config,
            preferred,
            cache: Mutex::new(HashMap::new()),
            warnings: Mutex::new(BTreeSet::new()),
        }
    }

    /// The warnings about the entries read so far, sorted.
    pub(crate) fn warnings(&self) -> Vec<String> {
        let warnings = self.warnings.lock().unwrap_or_else(PoisonError::into_inner);
        warnings.iter().cloned().collect()
    }

    /// The candidates of `name` (empty when no repository has it).
    ///
    /// # Errors
    /// Unreadable or corrupt md5-cache entries.
    pub(crate) fn package(&self, name: &PackageName) -> Result<Arc<PkgData>, ResolveError> {
        if let Some(hit) = self
            .cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(name)
        {
            return Ok(Arc::clone(hit));
        }
        let mut cands = Vec::new();
        for v in self.index.version_refs(name)? {
            let entry = self.index.entry(&v)?;
            let repo_name = self.index.repos()[v.repo].name.clone();
            let pf_path = format!("metadata/md5-cache/{}/{}", name.category, v.pf);
            cands.push(self.candidate(v.cpv, v.repo, repo_name, pf_path, entry));
        }
        // Best first: highest version, then highest-priority repository.
        cands.sort_by(|a, b| b.cpv.version.cmp(&a.cpv.version).then(b.repo.cmp(&a.repo)));
        // A preferred (locked) version goes first; the rest keep their order.
        if let Some(keep) = self.preferred.get(name)
            && let Some(i) = cands.iter().position(|c| &c.cpv.version == keep)
        {
            let kept = cands.remove(i);
            cands.insert(0, kept);
        }
        let data = Arc::new(PkgData {
            name: name.clone(),
            cands,
        });
        self.cache
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(name.clone(), Arc::clone(&data));
        Ok(data)
    }

    fn candidate(
        &self,
        cpv: Cpv,
        repo: usize,
        repo_name: String,
        pf_path: String,
        entry: Arc<LoadedEntry>,
    ) -> Cand {
        let mut cand = Cand {
            cpv,
            repo,
            repo_name,
            slot: String::new(),
            subslot: String::new(),
            eapi: String::new(),
            md5: None,
            entry: Arc::clone(&entry),
            invisible: Vec::new(),
            use_state: UseState::default(),
            required_use: OnceLock::new(),
            deps: OnceLock::new(),
            pf_path,
        };
        match &*entry {
            LoadedEntry::Unsupported(eapi) => {
                cand.eapi = eapi.clone();
                cand.invisible.push(Invisible::Eapi(eapi.clone()));
            }
            LoadedEntry::Supported(e) => {
                cand.slot = e.slot.clone();
                cand.subslot = e.subslot.clone();
                cand.eapi = e.eapi.clone();
                cand.md5 = e.md5.clone();
                let cfg = self.config;
                let iuse = self.iuse(&cand, e);
                if !eapi_at_least(&e.eapi, 1) && iuse.iter().any(|f| f.default.is_some()) {
                    cand.invisible.push(Invisible::Invalid(format!(
                        "IUSE has defaults (+flag/-flag), which EAPI {} does not allow",
                        e.eapi
                    )));
                }
                cand.use_state = cfg.use_state(cand.pkg_ref(), &iuse);
                if let Some(src) = cfg.mask(cand.pkg_ref()) {
                    cand.invisible.push(Invisible::Masked(src));
                }
                if let Err(kw) = cfg.keywords(cand.pkg_ref(), &e.keywords) {
                    cand.invisible.push(Invisible::Keyword(kw));
                }
                let rejected = cfg.rejected_licenses(cand.pkg_ref(), &e.license, &cand.use_state);
                if !rejected.is_empty() {
                    cand.invisible.push(Invisible::License(rejected));
                }
            }
        }
        cand
    }

    /// The valid IUSE entries of `e`. A bad entry is left out with a
    /// warning: Portage takes IUSE as whitespace-separated names and never
    /// rejects one (checked with Portage 3.0.83: `IUSE="+good bad! ++x"`
    /// keeps the version visible, with `good` enabled), and a name that
    /// is not a valid flag cannot be referred to by a USE conditional or
    /// USE dependency.
    fn iuse(&self, cand: &Cand, e: &CacheEntry) -> Vec<IuseFlag> {
        let mut out = Vec::new();
        for entry in iuse_entries(&e.iuse) {
            match entry {
                Ok(flag) => out.push(flag),
                Err(err) => {
                    self.warnings
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .insert(format!(
                            "{} in repository {}: IUSE: {}; the entry is ignored, as Portage does",
                            cand.pf_path, cand.repo_name, err.message
                        ));
                }
            }
        }
        out
    }
}
