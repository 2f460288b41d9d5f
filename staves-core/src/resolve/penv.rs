//! Per-package configuration lines the way Portage stacks them: ordered by
//! atom specificity, and the named environments of `package.env`.
//!
//! What Portage 3.0.83 does with the variables of a named environment
//! (`/etc/portage/env/NAME`, applied through `package.env`), checked with
//! the agreement oracle (cases `penv-*` of
//! `tests/fixtures/agreement/cases.toml`):
//!
//! * `USE` joins the package's own configuration layer: the USE of every
//!   matching environment (less specific atoms first), then the package's
//!   `package.use` lines, all on top of make.conf USE. So an environment
//!   beats make.conf and the profile, and `package.use` beats an
//!   environment.
//! * A `USE_EXPAND` variable (`PYTHON_TARGETS`, …) replaces that
//!   variable's flags in the same layer, after the layer's USE tokens
//!   (even after `package.use`), like a make.conf assignment does for
//!   make.conf USE. The last environment that sets it wins.
//! * `ACCEPT_LICENSE` is stacked on the global ACCEPT_LICENSE for the
//!   package's own visibility (accepting and rejecting).
//! * `ACCEPT_KEYWORDS` is ignored for visibility (the package stays
//!   masked by keyword), so the resolver ignores it too.
//! * Other variables (`CFLAGS`, `FEATURES`, …) only matter at build time.

use std::collections::BTreeMap;

use crate::gentoo::atom::{Atom, Operator};
use crate::gentoo::version::Version;

use super::NamedEnv;
use super::config::PkgRef;

/// How specific an atom is for Portage's `best_match_to_list`:
/// `=cpv` 6, `~cpv` 5, `=cpv*` 4, `cp:slot` 3, `>`, `>=`, `<`, `<=` 2,
/// `cp` 1 (with a slot, at least 3).
fn specificity(atom: &Atom) -> i8 {
    let op = match atom.op {
        Some(Operator::Equal) => 6,
        Some(Operator::Approximate) => 5,
        Some(Operator::EqualGlob) => 4,
        Some(
            Operator::Greater | Operator::GreaterOrEqual | Operator::Less | Operator::LessOrEqual,
        ) => 2,
        None => 1,
    };
    if atom.slot.is_some() { op.max(3) } else { op }
}

/// The index in `atoms` of the most specific one for a package of version
/// `version`: the first of the highest [`specificity`], except that among
/// range atoms (`>`, `<`, …) one whose version lies between the current
/// best's and the package's is preferred (closer to the package).
fn best_match(atoms: &[&Atom], version: &Version) -> Option<usize> {
    let mut best: Option<(usize, i8)> = None;
    for (i, atom) in atoms.iter().enumerate() {
        let value = specificity(atom);
        match best {
            None => best = Some((i, value)),
            Some((_, max)) if value > max => best = Some((i, value)),
            Some((b, max)) if value == max && value == 2 => {
                if let (Some(bv), Some(xv)) = (&atoms[b].version, &atom.version) {
                    if bv == version || bv == xv {
                        continue;
                    }
                    let between = |lo: &Version, hi: &Version| lo < xv && xv < hi;
                    if xv == version || between(bv, version) || between(version, bv) {
                        best = Some((i, value));
                    }
                }
            }
            _ => {}
        }
    }
    best.map(|(i, _)| i)
}

/// The items of the lines whose atom matches `pkg`, in the order Portage
/// applies them (`ordered_by_atom_specificity`): less specific atoms
/// first, so that the most specific line wins; among equally specific
/// atoms the line written first is applied last.
pub(crate) fn ordered_matches<'a, T>(
    lines: &'a [(Atom, T)],
    pkg: PkgRef<'_>,
) -> impl Iterator<Item = &'a T> {
    let mut rest: Vec<&(Atom, T)> = lines.iter().filter(|(a, _)| pkg.matches(a)).collect();
    let mut out = Vec::with_capacity(rest.len());
    while !rest.is_empty() {
        let atoms: Vec<&Atom> = rest.iter().map(|(a, _)| a).collect();
        let Some(i) = best_match(&atoms, &pkg.cpv.version) else {
            break;
        };
        out.push(&rest.remove(i).1);
    }
    out.into_iter().rev()
}

/// What the named environments of one package change for resolution.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct PackageEnv {
    /// USE tokens, in order (before the package's package.use).
    pub(crate) use_tokens: Vec<String>,
    /// USE_EXPAND assignments as (flag prefix `python_targets_`, values),
    /// applied after package.use.
    pub(crate) expand: Vec<(String, Vec<String>)>,
    /// ACCEPT_LICENSE tokens on top of the global ones, if any
    /// environment sets it.
    pub(crate) accept_license: Option<Vec<String>>,
}

impl PackageEnv {
    /// Combines `envs` (in application order) as Portage's
    /// `_grab_pkg_env` does: USE (incremental) is concatenated, other
    /// variables are replaced by the last environment setting them.
    /// `use_expand` lists the USE_EXPAND variables of the profile.
    pub(crate) fn combine<'a>(
        envs: impl IntoIterator<Item = &'a NamedEnv>,
        use_expand: &[String],
    ) -> Self {
        let mut use_tokens = Vec::new();
        let mut last: BTreeMap<&str, &str> = BTreeMap::new();
        for env in envs {
            for (key, value) in &env.vars {
                if key == "USE" {
                    use_tokens.extend(value.split_whitespace().map(str::to_owned));
                } else {
                    last.insert(key, value);
                }
            }
        }
        let expand = use_expand
            .iter()
            .filter_map(|var| {
                let value = last.get(var.as_str())?;
                // Portage skips `+x`/`-x` in a non-incremental USE_EXPAND
                // variable (with a warning).
                let values = value
                    .split_whitespace()
                    .filter(|v| !v.starts_with(['+', '-']))
                    .map(str::to_owned)
                    .collect();
                Some((format!("{}_", var.to_lowercase()), values))
            })
            .collect();
        let accept_license = last
            .get("ACCEPT_LICENSE")
            .map(|v| v.split_whitespace().map(str::to_owned).collect());
        PackageEnv {
            use_tokens,
            expand,
            accept_license,
        }
    }
}
