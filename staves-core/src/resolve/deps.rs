//! Dependency strings after USE evaluation, and atom matching against
//! candidates (version, slot, repository and USE dependencies).

use std::sync::Arc;

use crate::gentoo::atom::Atom;

use super::candidates::Cand;
use super::model;

/// A dependency after USE conditionals were evaluated: atoms, all-of groups
/// flattened into their parent, any-of groups kept for the resolver.
#[derive(Debug, Clone)]
pub(crate) enum Dep {
    /// One atom (possibly a blocker).
    Atom(Arc<Atom>),
    /// `|| ( … )`: one alternative must hold.
    AnyOf(Vec<Dep>),
    /// `( … )` inside an any-of group: all must hold.
    AllOf(Vec<Dep>),
}

/// Why a candidate fails an atom's USE dependencies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UseMiss {
    /// The flag.
    pub(crate) flag: String,
    /// Whether the atom wants it enabled.
    pub(crate) want: bool,
    /// The flag is not in the candidate's IUSE and the atom gives no
    /// `(+)`/`(-)` default.
    pub(crate) missing: bool,
}

/// Whether `cand` matches `atom` ignoring USE dependencies (name, version,
/// slot, sub-slot, repository).
pub(crate) fn matches_base(atom: &Atom, cand: &Cand, repo_name: &str) -> bool {
    model::atom_matches(atom, &cand.cpv, &cand.slot, &cand.subslot, repo_name)
}

/// Checks `atom`'s USE dependencies against `cand`'s configuration;
/// `depender` is the enabled-flag test of the package that carries the
/// dependency (conditional forms `[foo?]`, `[foo=]` read it; for requested
/// atoms every depender flag counts as disabled).
pub(crate) fn check_use(
    atom: &Atom,
    cand: &Cand,
    depender: &dyn Fn(&str) -> bool,
) -> Result<(), UseMiss> {
    model::check_use_deps(
        atom,
        depender,
        &|flag| cand.use_state.enabled.contains(flag),
        &|flag| cand.use_state.has_flag(flag),
    )
}

impl std::fmt::Display for Dep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Dep::Atom(a) => write!(f, "{a}"),
            Dep::AnyOf(v) | Dep::AllOf(v) => {
                if matches!(self, Dep::AnyOf(_)) {
                    f.write_str("|| ")?;
                }
                f.write_str("(")?;
                for d in v {
                    write!(f, " {d}")?;
                }
                f.write_str(" )")
            }
        }
    }
}
