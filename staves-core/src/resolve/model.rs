//! The seam between the resolver and the model in [`crate::gentoo`]: atom
//! matching, dependency-string evaluation and REQUIRED_USE.
//!
//! Dependency strings and REQUIRED_USE go through [`depspec`], atoms
//! through [`Atom`]'s matchers.

use std::collections::BTreeSet;
use std::sync::Arc;

use crate::gentoo::atom::Atom;
use crate::gentoo::depspec::{self, DepNode, UseFlagItem};
use crate::gentoo::name::{Cpv, PackageName};

use super::deps::{Dep, UseMiss};

/// Whether `atom` (ignoring blocker and USE deps) matches a package.
pub(crate) fn atom_matches(atom: &Atom, cpv: &Cpv, slot: &str, subslot: &str, repo: &str) -> bool {
    atom.matches_name(&cpv.name)
        && atom.matches_version(&cpv.version)
        && atom.matches_slot(slot, subslot)
        && atom.matches_repo(repo)
}

/// The package an atom names.
pub(crate) fn atom_name(atom: &Atom) -> &PackageName {
    &atom.name
}

/// Whether the atom is a blocker (`!` or `!!`).
pub(crate) fn atom_is_blocker(atom: &Atom) -> bool {
    atom.blocker.is_some()
}

/// The blocked atom of a blocker (the atom itself without `!`).
pub(crate) fn unblocked(atom: &Atom) -> Atom {
    Atom {
        blocker: None,
        ..atom.clone()
    }
}

/// Checks the USE dependencies of `atom`; the first failing one is
/// returned.
pub(crate) fn check_use_deps(
    atom: &Atom,
    depender: &dyn Fn(&str) -> bool,
    enabled: &dyn Fn(&str) -> bool,
    has: &dyn Fn(&str) -> bool,
) -> Result<(), UseMiss> {
    use crate::gentoo::atom::UseDepKind as K;
    for u in &atom.use_deps {
        let present = has(&u.flag);
        match u.is_satisfied(depender, present, present && enabled(&u.flag)) {
            Some(true) => {}
            verdict => {
                let want = match u.kind {
                    K::Enabled | K::IfEnabled => true,
                    K::Disabled | K::IfDisabled => false,
                    K::Equal => depender(&u.flag),
                    K::NotEqual => !depender(&u.flag),
                };
                return Err(UseMiss {
                    flag: u.flag.clone(),
                    want,
                    missing: verdict.is_none(),
                });
            }
        }
    }
    Ok(())
}

/// Whether `eapi` treats an empty `|| ( )` as satisfied (EAPI ≤ 6).
fn empty_any_of_ok(eapi: &str) -> bool {
    matches!(eapi.trim(), "0" | "1" | "2" | "3" | "4" | "5" | "6")
        || (eapi.starts_with(|c: char| ('0'..='6').contains(&c)) && eapi.contains('_'))
}

/// Parses a dependency string and evaluates its USE conditionals with
/// `enabled` ([`depspec::evaluate`]). An empty any-of group is dropped for
/// EAPI ≤ 6 (satisfied) and kept, unsatisfiable, from EAPI 7 on.
///
/// # Errors
/// A malformed group or atom, as a message.
pub(crate) fn evaluate_deps(
    text: &str,
    eapi: &str,
    enabled: &dyn Fn(&str) -> bool,
) -> Result<Vec<Dep>, String> {
    let nodes = depspec::parse_dependencies(text).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    for n in depspec::evaluate(&nodes, enabled) {
        if let Some(d) = lower(n, empty_any_of_ok(eapi)) {
            out.push(d);
        }
    }
    Ok(out)
}

fn lower(node: DepNode<Atom>, empty_ok: bool) -> Option<Dep> {
    let list = |v: Vec<DepNode<Atom>>| -> Vec<Dep> {
        v.into_iter().filter_map(|n| lower(n, empty_ok)).collect()
    };
    match node {
        DepNode::Item(atom) => Some(Dep::Atom(Arc::new(atom))),
        DepNode::AllOf(v) => Some(Dep::AllOf(list(v))),
        DepNode::AnyOf(v) if v.is_empty() && empty_ok => None,
        DepNode::AnyOf(v) => Some(Dep::AnyOf(list(v))),
        // `evaluate` already removed conditionals; `^^`/`??` are not
        // dependency syntax (the parser rejects them).
        DepNode::UseConditional { .. } | DepNode::ExactlyOneOf(_) | DepNode::AtMostOneOf(_) => None,
    }
}

/// The first top-level constraint of `required_use` that does not hold
/// with `enabled`, in Portage's notation (e.g. `^^ ( a b )`). A malformed
/// string is reported as violated, naming the problem.
pub(crate) fn required_use_violation(
    required_use: &str,
    eapi: &str,
    enabled: &BTreeSet<String>,
) -> Option<String> {
    let nodes = match depspec::parse_required_use(required_use) {
        Ok(n) => n,
        Err(e) => return Some(format!("{required_use} (malformed: {e})")),
    };
    let on = |f: &str| enabled.contains(f);
    depspec::check_required_use_eapi(&nodes, &on, empty_any_of_ok(eapi)).err()
}

/// A simple fix for a violated constraint as USE tokens for the manifest:
/// `flag` → `["flag"]`, `!flag` → `["-flag"]`, `|| ( a b )`/`^^ ( a b )`
/// with none enabled → `["a"]`, `cond? ( x )` → the fix of `x`.
pub(crate) fn required_use_fix(violation: &str, enabled: &BTreeSet<String>) -> Option<Vec<String>> {
    let nodes = depspec::parse_required_use(violation).ok()?;
    let [node] = nodes.as_slice() else {
        return None;
    };
    fix(node, enabled)
}

fn fix(node: &DepNode<UseFlagItem>, enabled: &BTreeSet<String>) -> Option<Vec<String>> {
    let token = |i: &UseFlagItem| {
        if i.negated {
            format!("-{}", i.flag)
        } else {
            i.flag.clone()
        }
    };
    match node {
        DepNode::Item(i) => Some(vec![token(i)]),
        DepNode::AnyOf(v) | DepNode::ExactlyOneOf(v) => {
            let none_on = v.iter().all(|n| match n {
                DepNode::Item(i) => !i.holds(&|f| enabled.contains(f)),
                _ => false,
            });
            match v.first()? {
                DepNode::Item(i) if none_on => Some(vec![token(i)]),
                _ => None,
            }
        }
        DepNode::UseConditional { children, .. } if children.len() == 1 => {
            fix(&children[0], enabled)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(flags: &[&str]) -> BTreeSet<String> {
        flags.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn evaluates_conditionals_and_keeps_any_of() {
        let on = |f: &str| f == "flag";
        let deps = evaluate_deps(
            "a/b flag? ( c/d !other? ( e/f ) ) || ( g/h i/j ) !flag? ( k/l ) || ( other? ( m/n ) o/p )",
            "8",
            &on,
        )
        .unwrap();
        let shown: Vec<String> = deps.iter().map(ToString::to_string).collect();
        assert_eq!(shown, ["a/b", "c/d", "e/f", "|| ( g/h i/j )", "o/p"]);
        assert!(evaluate_deps("a/b (", "8", &on).is_err());
        assert_eq!(evaluate_deps("|| ( )", "6", &on).unwrap().len(), 0);
        assert_eq!(evaluate_deps("|| ( )", "8", &on).unwrap().len(), 1);
        assert!(evaluate_deps("not-an-atom", "8", &on).is_err());
    }

    #[test]
    fn required_use_reports_the_violated_constraint_and_a_fix() {
        let ru = "ssl? ( !gnutls ) ^^ ( a b ) ?? ( c d )";
        assert_eq!(required_use_violation(ru, "8", &set(&["a"])), None);
        assert_eq!(
            required_use_violation(ru, "8", &set(&["a", "b"])).as_deref(),
            Some("^^ ( a b )")
        );
        assert_eq!(
            required_use_violation(ru, "8", &set(&["ssl", "gnutls", "a"])).as_deref(),
            Some("ssl? ( !gnutls )")
        );
        assert_eq!(
            required_use_fix("ssl? ( !gnutls )", &set(&[])),
            Some(vec!["-gnutls".to_owned()])
        );
        assert_eq!(
            required_use_fix("^^ ( a b )", &set(&[])),
            Some(vec!["a".to_owned()])
        );
        assert_eq!(required_use_fix("^^ ( a b )", &set(&["a", "b"])), None);
        assert_eq!(required_use_fix("?? ( a b )", &set(&[])), None);
    }
}
