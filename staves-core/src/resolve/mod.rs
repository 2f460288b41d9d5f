//! The native dependency resolver: picks exact versions, USE flags and
//! slots for an image, the way `emerge --root=IMAGE` (sysroot `/`, empty
//! image root, empty builder `/`) would.
//!
//! # Algorithm
//!
//! * **Index** ([`PackageIndex`]): md5-cache directories are listed and
//!   entries parsed only when a package is touched; a master repository has
//!   lower priority than the repositories using it.
//! * **Candidates**: for a touched package every version gets its
//!   visibility (EAPI, invalid metadata, `package.mask`, KEYWORDS,
//!   LICENSE) and its USE (IUSE defaults < profile USE and USE_EXPAND <
//!   profile package.use < make.conf USE, then make.conf USE_EXPAND
//!   variables (which replace the profile's values) < the package's layer:
//!   USE of its named environments, its package.use, then USE_EXPAND
//!   variables set by its named environments; then force, then mask).
//!   User per-package lines apply less specific atoms first, as Portage's
//!   `ordered_by_atom_specificity` (see `penv.rs`, which also records
//!   what Portage does with each variable of a named environment: USE,
//!   USE_EXPAND and ACCEPT_LICENSE count, ACCEPT_KEYWORDS does not).
//!   Best first: highest version, then highest-priority repository. The
//!   profile is a [`ProfileStack`](crate::gentoo::ProfileStack); profile
//!   lines Portage skips and IUSE entries it ignores become
//!   [`Resolution::warnings`].
//! * **Closure** (`graph.rs`), per root (image, builder): a FIFO of atoms.
//!   For each atom take the best visible candidate that matches it, whose
//!   USE satisfies the atom's USE dependencies and whose REQUIRED_USE holds
//!   (otherwise a lower version). If that candidate's slot already holds a
//!   selected package that matches the atom, reuse it (Portage's
//!   "existing node" rule); if it holds one that does not, that is a slot
//!   conflict. RDEPEND/PDEPEND go to the package's root, DEPEND, BDEPEND and
//!   IDEPEND to the builder. `|| ( )` groups wait until the FIFO is empty
//!   (as in Portage), then take the first alternative already satisfied by
//!   the selection, else the first one that can be satisfied without
//!   touching an occupied slot. Blockers are checked at the end against the
//!   packages selected in the same root (a package's block on itself does
//!   not count).
//! * **Backtracking**: on a slot conflict, find the highest version in that
//!   slot meeting every requirement seen for it; mask the versions above it
//!   in that root and restart (at most [`MAX_BACKTRACK`] times). No such
//!   version: an error naming both requirers.
//! * **Errors** keep the first requirer of every node, so messages show the
//!   chain from a requested package to the failure, and say what to add to
//!   the manifest when a keyword, license or USE change would fix it.
//! * **Determinism**: no hash-map iteration reaches the output; packages
//!   are sorted by cpv, edges by class, atom and target.
//!
//! # Deliberate differences from Portage
//!
//! * No autounmask: a masked, unkeyworded or USE-incompatible choice is an
//!   error with a suggested fix instead of a proposed config change.
//! * Backtracking only handles slot conflicts (not blockers or missed
//!   `||` choices) and restarts from scratch.
//! * Any-of choice is a simplification of `dep_zapdeps`: "already selected"
//!   then "first satisfiable"; no preference for installed packages (the
//!   roots start empty) or for avoiding new slots beyond occupied ones.
//! * Profile USE is applied as one layer (all make.defaults, then all
//!   package.use lines), not node by node.
//! * `use.stable.mask`/`use.stable.force` and ACCEPT_PROPERTIES /
//!   ACCEPT_RESTRICT are not applied.
//! * Profile `package.use`/`package.use.mask`/`package.use.force` and
//!   `package.accept_keywords` lines apply in file order, not by atom
//!   specificity.

mod candidates;
mod config;
mod deps;
mod error;
mod explain;
mod graph;
mod index;
mod license;
mod model;
mod penv;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use crate::gentoo::RepoFiles;
use crate::gentoo::atom::Atom;
use crate::gentoo::name::{Cpv, PackageName};
use crate::gentoo::version::Version;

pub use error::{Chain, ChainLink, ResolveError};
pub use index::PackageIndex;

use candidates::Universe;
use config::Config;
use graph::{Graph, Mask, Stop};

/// How many restarts slot-conflict backtracking may take.
pub const MAX_BACKTRACK: usize = 20;

/// One configured repository.
#[derive(Clone)]
pub struct RepoInput {
    /// The repository's name (`gentoo`, `my-overlay`).
    pub name: String,
    /// Its files at the pinned state.
    pub files: Arc<dyn RepoFiles>,
}

impl std::fmt::Debug for RepoInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RepoInput")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// Per-package USE, keywords and named environments from the manifest
/// (package.use, package.accept_keywords and package.env).
#[derive(Debug, Clone)]
pub struct PackageSettings {
    /// Which packages the line applies to.
    pub atom: Atom,
    /// USE tokens (`flag`, `-flag`), applied after make.conf USE and after
    /// the USE of named environments.
    pub use_flags: Vec<String>,
    /// Accepted keywords (`~amd64`, `**`); an empty list with no USE means
    /// nothing.
    pub keywords: Vec<String>,
    /// The named environments the package uses (`env = [...]`), in order,
    /// with their variables. Their `USE`, `USE_EXPAND` variables and
    /// `ACCEPT_LICENSE` take part in resolution as Portage applies
    /// `package.env` (see the module documentation).
    pub env: Vec<NamedEnv>,
}

/// A named environment (`[env.NAME]` of the manifest; Portage's
/// `/etc/portage/env/NAME`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NamedEnv {
    /// The environment's name.
    pub name: String,
    /// Its variables (`USE`, `CFLAGS`, …).
    pub vars: BTreeMap<String, String>,
}

/// What to resolve.
#[derive(Debug, Clone)]
pub struct ResolveRequest {
    /// Every configured repository.
    pub repos: Vec<RepoInput>,
    /// The repository whose `profiles/` holds the profile.
    pub main_repo: String,
    /// Profile path under `<main_repo>/profiles/`; `None` = the first
    /// `stable` amd64 profile of `profiles.desc`.
    pub profile: Option<String>,
    /// make.conf variables (USE, ACCEPT_KEYWORDS, ACCEPT_LICENSE,
    /// USE_EXPAND variables such as PYTHON_TARGETS).
    pub make_conf: BTreeMap<String, String>,
    /// Manifest package.use / package.accept_keywords lines, in order.
    pub package_settings: Vec<PackageSettings>,
    /// What goes into the image.
    pub targets: Vec<Atom>,
    /// Versions to keep when they still fit (the versions an existing lock
    /// pins, for `staves update ATOM...`): such a version is tried before
    /// any other candidate of its package, like Cargo keeps locked
    /// versions. Empty for a fresh resolution.
    pub preferred: BTreeMap<PackageName, Version>,
}

/// Which root a package is installed into.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Root {
    /// The image (`--root`).
    Image,
    /// The builder's `/` (build dependencies).
    Builder,
}

/// A dependency class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DepClass {
    /// `DEPEND`.
    Depend,
    /// `RDEPEND`.
    Rdepend,
    /// `BDEPEND`.
    Bdepend,
    /// `PDEPEND`.
    Pdepend,
    /// `IDEPEND`.
    Idepend,
}

impl DepClass {
    /// The md5-cache key (`RDEPEND`).
    pub fn key(self) -> &'static str {
        match self {
            DepClass::Depend => "DEPEND",
            DepClass::Rdepend => "RDEPEND",
            DepClass::Bdepend => "BDEPEND",
            DepClass::Pdepend => "PDEPEND",
            DepClass::Idepend => "IDEPEND",
        }
    }
}

/// A resolved dependency edge.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct DepEdge {
    /// The class the atom comes from.
    pub class: DepClass,
    /// The atom as written in the entry.
    pub atom: String,
    /// The package that satisfies it.
    pub target: Cpv,
    /// The root `target` was selected in.
    pub root: Root,
}

/// One selected package version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedPackage {
    /// Name and version.
    pub cpv: Cpv,
    /// SLOT.
    pub slot: String,
    /// Sub-slot (equal to the slot when the entry has none).
    pub subslot: String,
    /// The repository it comes from.
    pub repo: String,
    /// Enabled USE flags, restricted to the package's IUSE.
    pub use_enabled: BTreeSet<String>,
    /// IUSE names (no `+`/`-`).
    pub iuse: BTreeSet<String>,
    /// Installed into the image.
    pub in_image: bool,
    /// Installed into the builder.
    pub in_builder: bool,
    /// Resolved edges, sorted.
    pub deps: Vec<DepEdge>,
    /// The md5-cache `_md5_`.
    pub md5: Option<String>,
    /// Why it is there ("requested", "RDEPEND of app-misc/hello-2.0"),
    /// sorted.
    pub reasons: Vec<String>,
}

/// The result of [`resolve`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolution {
    /// The profile used (path under the main repository's `profiles/`).
    pub profile: String,
    /// Every selected package, sorted by cpv (then repository).
    pub packages: Vec<ResolvedPackage>,
    /// Problems Portage would warn about and go on: profile lines skipped
    /// as invalid, IUSE entries ignored in the md5-cache entries read.
    /// Each names the file (and line, where there is one); for the caller
    /// to show.
    pub warnings: Vec<String>,
}

/// Resolves `req.targets` into the image root, with their build
/// dependencies in the builder root.
///
/// # Errors
/// Unreadable or corrupt repository files, a bad profile, or an
/// unsatisfiable dependency (see [`ResolveError`]).
pub fn resolve(req: &ResolveRequest) -> Result<Resolution, ResolveError> {
    let index = PackageIndex::new(&req.repos)?;
    let config = Config::load(&index, req)?;
    let uni = Universe::new(&index, &config, &req.preferred);
    let mut masks: BTreeSet<Mask> = BTreeSet::new();
    let mut attempt = 0;
    loop {
        let mut g = Graph::new(&uni, &masks);
        match g.run(&req.targets) {
            Ok(()) => return Ok(collect(&g, &config, &uni)),
            Err(Stop::Fail(e)) => return Err(e),
            Err(Stop::Backtrack(more, e)) => {
                let before = masks.len();
                masks.extend(more);
                attempt += 1;
                if masks.len() == before || attempt > MAX_BACKTRACK {
                    return Err(e);
                }
            }
        }
    }
}

fn collect(g: &Graph<'_, '_>, config: &Config, uni: &Universe<'_>) -> Resolution {
    // One entry per (cpv, repo), merging the two roots.
    let mut by_pkg: BTreeMap<(Cpv, String), ResolvedPackage> = BTreeMap::new();
    for n in &g.nodes {
        let c = n.cand();
        let entry = by_pkg
            .entry((c.cpv.clone(), c.repo_name.clone()))
            .or_insert_with(|| ResolvedPackage {
                cpv: c.cpv.clone(),
                slot: c.slot.clone(),
                subslot: c.subslot.clone(),
                repo: c.repo_name.clone(),
                use_enabled: c
                    .use_state
                    .enabled
                    .iter()
                    .filter(|f| c.use_state.iuse.contains(*f))
                    .cloned()
                    .collect(),
                iuse: c.use_state.iuse.clone(),
                in_image: false,
                in_builder: false,
                deps: Vec::new(),
                md5: c.md5.clone(),
                reasons: Vec::new(),
            });
        match n.root {
            Root::Image => entry.in_image = true,
            Root::Builder => entry.in_builder = true,
        }
        for r in &n.requirements {
            entry.reasons.push(match &r.by {
                Some(p) => format!("{} of {}", p.class.key(), g.nodes[p.node].cand().cpv),
                None => "requested".to_owned(),
            });
        }
    }
    for e in &g.edges {
        let from = g.nodes[e.from].cand();
        let to = &g.nodes[e.to];
        if let Some(p) = by_pkg.get_mut(&(from.cpv.clone(), from.repo_name.clone())) {
            p.deps.push(DepEdge {
                class: e.class,
                atom: e.atom.clone(),
                target: to.cand().cpv.clone(),
                root: to.root,
            });
        }
    }
    let packages = by_pkg
        .into_values()
        .map(|mut p| {
            p.deps.sort();
            p.deps.dedup();
            p.reasons.sort();
            p.reasons.dedup();
            p
        })
        .collect();
    let mut warnings = config.warnings.clone();
    warnings.extend(uni.warnings());
    Resolution {
        profile: config.profile.clone(),
        packages,
        warnings,
    }
}
