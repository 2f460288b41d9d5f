//! ACCEPT_LICENSE: expanding `@GROUP`s and checking a package's LICENSE
//! spec (names, `|| ( … )`, `( … )`, `flag? ( … )`, `!flag? ( … )`).

use std::collections::{BTreeMap, BTreeSet};

use crate::gentoo::depspec::{self, DepNode};

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
/// (for an unsatisfied `||`, all of its names); empty when accepted. The
/// spec is parsed and USE-reduced by [`depspec`]; a spec that does not
/// parse is rejected as a whole (Portage masks invalid metadata).
pub(crate) fn rejected(
    license: &str,
    accept: &Accept,
    enabled: &dyn Fn(&str) -> bool,
) -> Vec<String> {
    let Ok(nodes) = depspec::parse_plain(license) else {
        return vec![license.to_owned()];
    };
    let mut out = BTreeSet::new();
    all_accepted(&depspec::evaluate(&nodes, enabled), accept, &mut out);
    out.into_iter().collect()
}

/// Whether every node is accepted, collecting the rejected names.
fn all_accepted(nodes: &[DepNode<String>], acc: &Accept, out: &mut BTreeSet<String>) -> bool {
    let mut ok = true;
    for node in nodes {
        ok &= accepted(node, acc, out);
    }
    ok
}

fn accepted(node: &DepNode<String>, acc: &Accept, out: &mut BTreeSet<String>) -> bool {
    match node {
        DepNode::Item(name) => {
            let ok = acc.accepts(name);
            if !ok {
                out.insert(name.clone());
            }
            ok
        }
        // An empty any-of (all its members were conditionals that are off)
        // does not reject; otherwise one accepted member is enough, and
        // when none is, every member's names are the reason.
        DepNode::AnyOf(members) => {
            let mut names = BTreeSet::new();
            let mut any = members.is_empty();
            for member in members {
                any |= accepted(member, acc, &mut names);
            }
            if !any {
                out.extend(names);
            }
            any
        }
        DepNode::AllOf(children)
        | DepNode::ExactlyOneOf(children)
        | DepNode::AtMostOneOf(children)
        | DepNode::UseConditional { children, .. } => all_accepted(children, acc, out),
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
