//! Turning a failure of the closure into a [`ResolveError`] that says what
//! failed, how the package was reached, and what to change.

use std::collections::BTreeSet;

use crate::gentoo::atom::Atom;

use super::Root;
use super::candidates::{Invisible, PkgData};
use super::deps::{self, Dep};
use super::error::{Chain, ResolveError};
use super::graph::{Graph, Mask, Parent, Requirement, display_node};
use super::{DepClass, model};

fn root_suffix(root: Root) -> &'static str {
    match root {
        Root::Image => "",
        Root::Builder => " (in the builder)",
    }
}

/// "X needs ATOM" or "the manifest requests ATOM", and the chain.
fn who(g: &Graph<'_, '_>, parent: &Option<Parent>, atom: &Atom, root: Root) -> (String, Chain) {
    match parent {
        Some(p) => (
            format!(
                "{} needs {atom}{}",
                g.nodes[p.node].cand().cpv,
                root_suffix(root)
            ),
            g.chain(p.node),
        ),
        None => (format!("the manifest requests {atom}"), Chain::default()),
    }
}

fn invisible_reason(version: &str, why: &Invisible, arch: &str) -> String {
    match why {
        Invisible::Eapi(eapi) => {
            format!("{version} has EAPI {eapi}, which Portage does not support")
        }
        Invisible::Masked(origin) => format!("{version} is masked by {origin}"),
        Invisible::Invalid(why) => format!("{version} has invalid metadata: {why}"),
        Invisible::Keyword(k) if k.starts_with('~') => format!("{version} is keyworded {k}"),
        Invisible::Keyword(_) => format!("{version} has no keyword for {arch}"),
        Invisible::License(l) => format!(
            "{version} has a license that is not accepted: {}",
            l.join(" ")
        ),
    }
}

fn invisible_help(name: &str, why: &Invisible) -> Option<String> {
    match why {
        Invisible::Keyword(k) => Some(format!("add keywords = [\"{k}\"] for {name}")),
        Invisible::License(l) => Some(format!(
            "add {} to ACCEPT_LICENSE in [env]",
            l.iter()
                .map(|x| format!("\"{x}\""))
                .collect::<Vec<_>>()
                .join(" ")
        )),
        Invisible::Masked(_) | Invisible::Eapi(_) | Invisible::Invalid(_) => None,
    }
}

/// Nothing acceptable matches `atom`.
pub(crate) fn no_candidate(
    g: &Graph<'_, '_>,
    root: Root,
    pkg: &PkgData,
    atom: &Atom,
    parent: &Option<Parent>,
    masks: &BTreeSet<Mask>,
) -> ResolveError {
    let (head, chain) = who(g, parent, atom, root);
    let name = &pkg.name;
    let fail = |message: String, help: Option<String>| ResolveError::Unsatisfiable {
        message,
        chain: chain.clone(),
        help,
    };
    if pkg.cands.is_empty() {
        return fail(format!("{head} but no repository has {name}"), None);
    }
    let base: Vec<usize> = (0..pkg.cands.len())
        .filter(|&i| deps::matches_base(atom, &pkg.cands[i], &pkg.cands[i].repo_name))
        .collect();
    if base.is_empty() {
        let available: Vec<String> = pkg
            .cands
            .iter()
            .rev()
            .map(|c| c.cpv.version.to_string())
            .collect();
        return fail(
            format!(
                "{head} but no version matches (available: {})",
                available.join(", ")
            ),
            None,
        );
    }
    let usable: Vec<usize> = base
        .iter()
        .copied()
        .filter(|&i| pkg.cands[i].visible() && !masks.contains(&(root, name.clone(), i)))
        .collect();
    if usable.is_empty() {
        let visible: Vec<String> = pkg
            .cands
            .iter()
            .rev()
            .filter(|c| c.visible())
            .map(|c| c.cpv.version.to_string())
            .collect();
        let lead = if visible.is_empty() {
            format!("no version of {name} is visible")
        } else {
            format!("only {} is visible", visible.join(", "))
        };
        let arch = &g_config_arch(g);
        let mut reasons = Vec::new();
        let mut help = None;
        for &i in base.iter().take(3) {
            let c = &pkg.cands[i];
            let v = c.cpv.version.to_string();
            if c.invisible.is_empty() {
                reasons.push(format!(
                    "{v} conflicts with another requirement in its slot"
                ));
            }
            for why in &c.invisible {
                reasons.push(invisible_reason(&v, why, arch));
                if help.is_none() {
                    help = invisible_help(&name.to_string(), why);
                }
            }
        }
        return fail(format!("{head} but {lead} ({})", reasons.join("; ")), help);
    }
    let depender = |f: &str| {
        parent
            .as_ref()
            .is_some_and(|p| g.nodes[p.node].cand().use_state.enabled.contains(f))
    };
    let best = &pkg.cands[usable[0]];
    if let Err(miss) = deps::check_use(atom, best, &depender) {
        let state = &best.use_state;
        let flag = &miss.flag;
        let (what, help) = if miss.missing {
            (format!("{} has no USE flag {flag}", best.cpv), None)
        } else if miss.want && state.masked.contains(flag) {
            (
                format!("the profile masks USE flag {flag} for {}", best.cpv),
                None,
            )
        } else if !miss.want && state.forced.contains(flag) {
            (
                format!("the profile forces USE flag {flag} for {}", best.cpv),
                None,
            )
        } else {
            let sign = if miss.want { "" } else { "-" };
            let state_word = if miss.want { "disabled" } else { "enabled" };
            (
                format!("{} has USE flag {flag} {state_word}", best.cpv),
                Some(format!("add use = [\"{sign}{flag}\"] for {name}")),
            )
        };
        return fail(format!("{head} but {what}"), help);
    }
    let violation = best.required_use_violation().unwrap_or_default().to_owned();
    let enabled: Vec<&str> = best
        .use_state
        .enabled
        .iter()
        .filter(|f| best.use_state.iuse.contains(*f))
        .map(String::as_str)
        .collect();
    fail(
        format!(
            "{head} but {} violates its REQUIRED_USE constraint \"{violation}\" with USE=\"{}\"",
            best.cpv,
            enabled.join(" ")
        ),
        Some(
            match model::required_use_fix(&violation, &best.use_state.enabled) {
                Some(flags) => format!(
                    "add use = [{}] for {name}",
                    flags
                        .iter()
                        .map(|f| format!("\"{f}\""))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                None => format!("set use for {name} so that \"{violation}\" holds"),
            },
        ),
    )
}

fn g_config_arch(g: &Graph<'_, '_>) -> String {
    g.arch().to_owned()
}

fn requirer(g: &Graph<'_, '_>, r: &Requirement) -> String {
    match &r.by {
        Some(p) => format!(
            "{} ({} {})",
            g.nodes[p.node].cand().cpv,
            p.class.key(),
            r.atom
        ),
        None => format!("the manifest ({})", r.atom),
    }
}

/// `new` cannot be satisfied by the version already selected in its slot
/// and no version satisfies every requirement.
pub(crate) fn slot_conflict(g: &Graph<'_, '_>, existing: usize, new: &Requirement) -> ResolveError {
    let e = &g.nodes[existing];
    let first = e
        .requirements
        .first()
        .map(|r| requirer(g, r))
        .unwrap_or_default();
    let message = format!(
        "slot conflict: {}:{}{} is needed by {first} and by {}, and no version satisfies both (selected: {})",
        e.pkg.name,
        e.cand().slot,
        root_suffix(e.root),
        requirer(g, new),
        e.cand().cpv,
    );
    let chain = match &new.by {
        Some(p) => g.chain(p.node),
        None => g.chain(existing),
    };
    let help = {
        let c = e.cand();
        let depender = |f: &str| {
            new.by
                .as_ref()
                .is_some_and(|p| g.nodes[p.node].cand().use_state.enabled.contains(f))
        };
        match deps::check_use(&new.atom, c, &depender) {
            Err(miss) if !miss.missing && deps::matches_base(&new.atom, c, &c.repo_name) => {
                Some(format!(
                    "add use = [\"{}{}\"] for {}",
                    if miss.want { "" } else { "-" },
                    miss.flag,
                    e.pkg.name
                ))
            }
            _ => None,
        }
    };
    ResolveError::Unsatisfiable {
        message,
        chain,
        help,
    }
}

/// No alternative of an any-of group can be satisfied.
pub(crate) fn no_alternative(
    g: &Graph<'_, '_>,
    alternatives: &[Dep],
    root: Root,
    class: DepClass,
    from: usize,
) -> ResolveError {
    let alts: Vec<String> = alternatives.iter().map(ToString::to_string).collect();
    ResolveError::Unsatisfiable {
        message: format!(
            "{} needs one of || ( {} ) ({}){} but none of them can be installed",
            g.nodes[from].cand().cpv,
            alts.join(" "),
            class.key(),
            root_suffix(root)
        ),
        chain: g.chain(from),
        help: None,
    }
}

/// Selected node `victim` is blocked by `owner`'s `atom`.
pub(crate) fn blocked(g: &Graph<'_, '_>, owner: usize, atom: &Atom, victim: usize) -> ResolveError {
    let o = &g.nodes[owner];
    let v = &g.nodes[victim];
    let victim_by = g
        .chain(victim)
        .0
        .first()
        .map(|l| l.by.clone())
        .unwrap_or_default();
    ResolveError::Unsatisfiable {
        message: format!(
            "{} blocks {} ({atom}){}; {} is there because of: {victim_by}",
            display_node(o),
            v.cand().cpv,
            root_suffix(o.root),
            v.cand().cpv,
        ),
        chain: g.chain(owner),
        help: Some(format!(
            "remove one of {} and {} from the closure (drop the package or the USE flag that pulls it in)",
            o.pkg.name, v.pkg.name
        )),
    }
}
