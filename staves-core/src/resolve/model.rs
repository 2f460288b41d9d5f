//! The seam between the resolver and the model in [`crate::gentoo`]: atom
//! matching, dependency-string evaluation, IUSE and REQUIRED_USE.
//!
//! Dependency strings and REQUIRED_USE are parsed here by a small private
//! reader of the PMS group syntax (`( )`, `|| ( )`, `^^ ( )`, `?? ( )`,
//! `flag? ( )`, `!flag? ( )`); atoms go through [`Atom::parse`].

use std::collections::BTreeSet;
use std::sync::Arc;

use crate::gentoo::atom::Atom;
use crate::gentoo::name::{Cpv, PackageName};

use super::deps::{Dep, UseMiss};

pub(crate) use super::profile_view::{ProfileView, load_profile};

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

/// `(flag, default)` for each IUSE token: `+x` → `Some(true)`, `-x` →
/// `Some(false)`, `x` → `None`.
pub(crate) fn parse_iuse(iuse: &str) -> Vec<(String, Option<bool>)> {
    iuse.split_whitespace()
        .map(|t| match t.as_bytes()[0] {
            b'+' => (t[1..].to_owned(), Some(true)),
            b'-' => (t[1..].to_owned(), Some(false)),
            _ => (t.to_owned(), None),
        })
        .collect()
}

/// A parsed group expression.
#[derive(Debug, Clone)]
enum Expr {
    Leaf(String),
    All(Vec<Expr>),
    Any(Vec<Expr>),
    ExactlyOne(Vec<Expr>),
    AtMostOne(Vec<Expr>),
    Cond {
        flag: String,
        negate: bool,
        body: Vec<Expr>,
    },
}

fn parse_expr(text: &str) -> Result<Vec<Expr>, String> {
    let tokens: Vec<&str> = text.split_whitespace().collect();
    let mut pos = 0;
    let out = parse_seq(&tokens, &mut pos, false)?;
    if pos < tokens.len() {
        return Err(format!("unbalanced `)` at token {}", pos + 1));
    }
    Ok(out)
}

fn parse_seq(t: &[&str], pos: &mut usize, nested: bool) -> Result<Vec<Expr>, String> {
    let mut out = Vec::new();
    while *pos < t.len() {
        let tok = t[*pos];
        *pos += 1;
        let group = |pos: &mut usize| -> Result<Vec<Expr>, String> {
            if t.get(*pos) != Some(&"(") {
                return Err(format!("`{tok}` must be followed by `(`"));
            }
            *pos += 1;
            parse_seq(t, pos, true)
        };
        out.push(match tok {
            ")" if nested => return Ok(out),
            ")" => {
                *pos -= 1;
                return Ok(out);
            }
            "(" => Expr::All(parse_seq(t, pos, true)?),
            "||" => Expr::Any(group(pos)?),
            "^^" => Expr::ExactlyOne(group(pos)?),
            "??" => Expr::AtMostOne(group(pos)?),
            c if c.ends_with('?') && c.len() > 1 => {
                let body = group(pos)?;
                let flag = &c[..c.len() - 1];
                match flag.strip_prefix('!') {
                    Some(f) => Expr::Cond {
                        flag: f.to_owned(),
                        negate: true,
                        body,
                    },
                    None => Expr::Cond {
                        flag: flag.to_owned(),
                        negate: false,
                        body,
                    },
                }
            }
            leaf => Expr::Leaf(leaf.to_owned()),
        });
    }
    if nested {
        return Err("missing `)`".to_owned());
    }
    Ok(out)
}

/// Parses a dependency string and evaluates its USE conditionals with
/// `enabled`. Empty any-of groups are kept (they are satisfied for EAPI
/// ≤ 6 and not after; [`Dep::AnyOf`] with no member is treated as
/// satisfied by the resolver, which only matters for EAPI ≤ 6 entries).
///
/// # Errors
/// A malformed group or atom, as a message.
pub(crate) fn evaluate_deps(
    text: &str,
    _eapi: &str,
    enabled: &dyn Fn(&str) -> bool,
) -> Result<Vec<Dep>, String> {
    let exprs = parse_expr(text)?;
    let mut out = Vec::new();
    lower(&exprs, enabled, &mut out)?;
    Ok(out)
}

fn lower(exprs: &[Expr], enabled: &dyn Fn(&str) -> bool, out: &mut Vec<Dep>) -> Result<(), String> {
    for e in exprs {
        match e {
            Expr::Leaf(s) => {
                let atom = Atom::parse(s).map_err(|err| format!("invalid atom `{s}`: {err}"))?;
                out.push(Dep::Atom(Arc::new(atom)));
            }
            Expr::All(v) => lower(v, enabled, out)?,
            Expr::Cond { flag, negate, body } => {
                if enabled(flag) != *negate {
                    lower(body, enabled, out)?;
                }
            }
            Expr::Any(v) => {
                let mut alts = Vec::new();
                for member in v {
                    let mut one = Vec::new();
                    lower(std::slice::from_ref(member), enabled, &mut one)?;
                    // A conditional whose flag is off drops out of the group.
                    match one.len() {
                        0 if matches!(member, Expr::Cond { .. }) => {}
                        1 => alts.extend(one),
                        _ => alts.push(Dep::AllOf(one)),
                    }
                }
                if alts.len() == 1 {
                    out.extend(alts);
                } else {
                    out.push(Dep::AnyOf(alts));
                }
            }
            Expr::ExactlyOne(_) | Expr::AtMostOne(_) => {
                return Err("`^^`/`??` groups are only allowed in REQUIRED_USE".to_owned());
            }
        }
    }
    Ok(())
}

/// The first top-level constraint of `required_use` that does not hold
/// with `enabled`, as written (e.g. `^^ ( a b )`). A malformed string is
/// reported as violated, naming the problem.
pub(crate) fn required_use_violation(
    required_use: &str,
    enabled: &BTreeSet<String>,
) -> Option<String> {
    let exprs = match parse_expr(required_use) {
        Ok(e) => e,
        Err(e) => return Some(format!("{required_use} (malformed: {e})")),
    };
    let on = |f: &str| enabled.contains(f);
    exprs.iter().find(|e| !holds(e, &on)).map(render)
}

fn holds(e: &Expr, on: &dyn Fn(&str) -> bool) -> bool {
    let count = |v: &[Expr]| v.iter().filter(|x| holds(x, on)).count();
    match e {
        Expr::Leaf(s) => match s.strip_prefix('!') {
            Some(f) => !on(f),
            None => on(s),
        },
        Expr::All(v) => v.iter().all(|x| holds(x, on)),
        Expr::Any(v) => v.is_empty() || count(v) >= 1,
        Expr::ExactlyOne(v) => v.is_empty() || count(v) == 1,
        Expr::AtMostOne(v) => count(v) <= 1,
        Expr::Cond { flag, negate, body } => {
            on(flag) == *negate || body.iter().all(|x| holds(x, on))
        }
    }
}

fn render(e: &Expr) -> String {
    let group = |op: &str, v: &[Expr]| {
        let inner: Vec<String> = v.iter().map(render).collect();
        format!("{op}( {} )", inner.join(" "))
    };
    match e {
        Expr::Leaf(s) => s.clone(),
        Expr::All(v) => group("", v),
        Expr::Any(v) => group("|| ", v),
        Expr::ExactlyOne(v) => group("^^ ", v),
        Expr::AtMostOne(v) => group("?? ", v),
        Expr::Cond { flag, negate, body } => {
            group(&format!("{}{flag}? ", if *negate { "!" } else { "" }), body)
        }
    }
}

/// A simple fix for a violated constraint as USE tokens for the manifest:
/// `flag` → `["flag"]`, `!flag` → `["-flag"]`, `|| ( a b )`/`^^ ( a b )`
/// → `["a"]` (when a is a plain flag), `cond? ( x )` → the fix of `x`.
pub(crate) fn required_use_fix(violation: &str) -> Option<Vec<String>> {
    let exprs = parse_expr(violation).ok()?;
    let [e] = exprs.as_slice() else { return None };
    fix(e)
}

fn fix(e: &Expr) -> Option<Vec<String>> {
    match e {
        Expr::Leaf(s) => Some(vec![match s.strip_prefix('!') {
            Some(f) => format!("-{f}"),
            None => s.clone(),
        }]),
        Expr::Any(v) | Expr::ExactlyOne(v) => match v.first()? {
            Expr::Leaf(s) if !s.starts_with('!') => Some(vec![s.clone()]),
            _ => None,
        },
        Expr::Cond { body, .. } if body.len() == 1 => fix(&body[0]),
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
        assert!(evaluate_deps("not-an-atom", "8", &on).is_err());
    }

    #[test]
    fn required_use_reports_the_violated_constraint_and_a_fix() {
        let ru = "ssl? ( !gnutls ) ^^ ( a b ) ?? ( c d )";
        assert_eq!(required_use_violation(ru, &set(&["a"])), None);
        assert_eq!(
            required_use_violation(ru, &set(&["a", "b"])).as_deref(),
            Some("^^ ( a b )")
        );
        assert_eq!(
            required_use_violation(ru, &set(&["ssl", "gnutls", "a"])).as_deref(),
            Some("ssl? ( !gnutls )")
        );
        assert_eq!(
            required_use_fix("ssl? ( !gnutls )"),
            Some(vec!["-gnutls".to_owned()])
        );
        assert_eq!(required_use_fix("^^ ( a b )"), Some(vec!["a".to_owned()]));
        assert_eq!(required_use_fix("?? ( a b )"), None);
    }
}
