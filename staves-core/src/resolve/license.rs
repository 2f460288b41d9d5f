//! ACCEPT_LICENSE: expanding `@GROUP`s and checking a package's LICENSE
//! spec (names, `|| ( … )`, `( … )`, `flag? ( … )`, `!flag? ( … )`).

use std::collections::{BTreeMap, BTreeSet};

/// The accepted licenses after applying ACCEPT_LICENSE tokens in order.
#[derive(Debug, Clone, Default)]
pub(crate) struct Accept {
    all: bool,
    names: BTreeSet<String>,
    removed: BTreeSet<String>,
}

impl Accept {
    /// Applies `tokens` (`*`, `-*`, `NAME`, `-NAME`, `@GROUP`, `-@GROUP`);
    /// `groups` maps a group name to its members (which may be `@GROUP`s).
    pub(crate) fn new(tokens: &[String], groups: &BTreeMap<String, Vec<String>>) -> Self {
        let mut acc = Accept::default();
        for t in tokens {
            let (neg, body) = match t.strip_prefix('-') {
                Some(b) => (true, b),
                None => (false, t.as_str()),
            };
            if body == "*" {
                acc.all = !neg;
                acc.names.clear();
                acc.removed.clear();
                continue;
            }
            for name in expand(body, groups) {
                if neg {
                    acc.names.remove(&name);
                    acc.removed.insert(name);
                } else {
                    acc.removed.remove(&name);
                    acc.names.insert(name);
                }
            }
        }
        acc
    }

    fn accepts(&self, name: &str) -> bool {
        if self.all {
            !self.removed.contains(name)
        } else {
            self.names.contains(name)
        }
    }
}

fn expand(token: &str, groups: &BTreeMap<String, Vec<String>>) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut stack = vec![token.to_owned()];
    let mut seen = BTreeSet::new();
    while let Some(t) = stack.pop() {
        match t.strip_prefix('@') {
            Some(group) => {
                if seen.insert(group.to_owned()) {
                    stack.extend(groups.get(group).into_iter().flatten().cloned());
                }
            }
            None => {
                out.insert(t);
            }
        }
    }
    out
}

/// The licenses of the spec `license` that keep it from being accepted
/// (for an unsatisfied `||`, all of its names); empty when accepted.
/// Unbalanced parentheses are treated leniently (the rest of the spec is
/// still checked).
pub(crate) fn rejected(
    license: &str,
    accept: &Accept,
    enabled: &dyn Fn(&str) -> bool,
) -> Vec<String> {
    let tokens: Vec<&str> = license.split_whitespace().collect();
    let mut pos = 0;
    let mut out = BTreeSet::new();
    all_of(&tokens, &mut pos, accept, enabled, &mut out);
    out.into_iter().collect()
}

/// Evaluates items until `)` or the end; returns whether all are accepted,
/// collecting rejected names.
fn all_of(
    t: &[&str],
    pos: &mut usize,
    acc: &Accept,
    en: &dyn Fn(&str) -> bool,
    out: &mut BTreeSet<String>,
) -> bool {
    let mut ok = true;
    while *pos < t.len() {
        let tok = t[*pos];
        *pos += 1;
        match tok {
            ")" => return ok,
            "(" => ok &= all_of(t, pos, acc, en, out),
            "||" => {
                if t.get(*pos) == Some(&"(") {
                    *pos += 1;
                }
                let mut alts = BTreeSet::new();
                let any = any_of(t, pos, acc, en, &mut alts);
                if !any {
                    out.extend(alts);
                    ok = false;
                }
            }
            cond if cond.ends_with('?') => {
                if t.get(*pos) == Some(&"(") {
                    *pos += 1;
                }
                let flag = &cond[..cond.len() - 1];
                let active = match flag.strip_prefix('!') {
                    Some(f) => !en(f),
                    None => en(flag),
                };
                let mut sub = BTreeSet::new();
                let sub_ok = all_of(t, pos, acc, en, &mut sub);
                if active && !sub_ok {
                    out.extend(sub);
                    ok = false;
                }
            }
            name => {
                if !acc.accepts(name) {
                    out.insert(name.to_owned());
                    ok = false;
                }
            }
        }
    }
    ok
}

/// Evaluates the members of an any-of group up to its `)`.
fn any_of(
    t: &[&str],
    pos: &mut usize,
    acc: &Accept,
    en: &dyn Fn(&str) -> bool,
    out: &mut BTreeSet<String>,
) -> bool {
    let mut any = false;
    let mut empty = true;
    while *pos < t.len() {
        let tok = t[*pos];
        if tok == ")" {
            *pos += 1;
            break;
        }
        let mut one = BTreeSet::new();
        // Each member is one item: evaluate exactly one token's worth.
        let member_ok = one_item(t, pos, acc, en, &mut one);
        if let Some(present) = member_ok {
            empty = false;
            if present {
                any = true;
            } else {
                out.extend(one);
            }
        }
    }
    any || empty
}

/// Evaluates one item at `pos`; `None` for a conditional whose flag is off
/// (dropped from an any-of group).
fn one_item(
    t: &[&str],
    pos: &mut usize,
    acc: &Accept,
    en: &dyn Fn(&str) -> bool,
    out: &mut BTreeSet<String>,
) -> Option<bool> {
    let tok = t[*pos];
    *pos += 1;
    match tok {
        "(" => Some(all_of(t, pos, acc, en, out)),
        "||" => {
            if t.get(*pos) == Some(&"(") {
                *pos += 1;
            }
            Some(any_of(t, pos, acc, en, out))
        }
        cond if cond.ends_with('?') => {
            if t.get(*pos) == Some(&"(") {
                *pos += 1;
            }
            let flag = &cond[..cond.len() - 1];
            let active = match flag.strip_prefix('!') {
                Some(f) => !en(f),
                None => en(flag),
            };
            let ok = all_of(t, pos, acc, en, out);
            active.then_some(ok)
        }
        name => {
            let ok = acc.accepts(name);
            if !ok {
                out.insert(name.to_owned());
            }
            Some(ok)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(tokens: &str) -> Accept {
        let mut groups = BTreeMap::new();
        groups.insert("FREE".to_owned(), vec!["MIT".to_owned(), "@GPL".to_owned()]);
        groups.insert(
            "GPL".to_owned(),
            vec!["GPL-2".to_owned(), "GPL-3".to_owned()],
        );
        let tokens: Vec<String> = tokens.split_whitespace().map(str::to_owned).collect();
        Accept::new(&tokens, &groups)
    }

    #[test]
    fn groups_nest_and_negations_apply_in_order() {
        let acc = accept("-* @FREE -GPL-3");
        let none = |_: &str| false;
        assert!(rejected("MIT GPL-2", &acc, &none).is_empty());
        assert_eq!(rejected("GPL-3", &acc, &none), ["GPL-3"]);
        assert_eq!(rejected("EULA", &accept("* -EULA"), &none), ["EULA"]);
        assert!(rejected("EULA", &accept("*"), &none).is_empty());
    }

    #[test]
    fn any_of_and_conditionals() {
        let acc = accept("-* @FREE");
        let bin = |f: &str| f == "bindist";
        assert!(rejected("|| ( EULA MIT )", &acc, &bin).is_empty());
        assert_eq!(rejected("|| ( EULA Other )", &acc, &bin), ["EULA", "Other"]);
        assert!(rejected("!bindist? ( EULA ) MIT", &acc, &bin).is_empty());
        assert_eq!(rejected("bindist? ( EULA ) MIT", &acc, &bin), ["EULA"]);
        assert!(rejected("|| ( !bindist? ( EULA ) MIT )", &acc, &bin).is_empty());
    }
}
