//! Dependency specifications (PMS §8.2): the trees behind `*DEPEND`,
//! `REQUIRED_USE`, `LICENSE`, `RESTRICT` and `PROPERTIES`.
//!
//! Syntax: whitespace-separated tokens, with whitespace mandatory around
//! every parenthesis. Groups are all-of `( … )`, any-of `|| ( … )`,
//! USE-conditional `flag? ( … )` / `!flag? ( … )`, and in `REQUIRED_USE`
//! only exactly-one-of `^^ ( … )` and at-most-one-of `?? ( … )`. Empty
//! groups are accepted (PMS allows them; Portage 3.0.83 rejects a literally
//! empty group in dependency strings, the tree never has one).
//!
//! [`evaluate`] reproduces Portage's `use_reduce` shape (gentoo.md §2.8).

use std::fmt;

use super::ParseError;
use super::atom::Atom;
use super::name::{is_valid_use_flag, shift};

/// Deepest group nesting accepted (real trees nest a handful of levels);
/// keeps recursion in evaluation, printing and dropping bounded.
pub const MAX_DEPTH: usize = 200;

/// A node of a dependency specification tree.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DepNode<T> {
    /// A leaf: an atom, a license name, a flag, …
    Item(T),
    /// `( … )`: every child must hold.
    AllOf(Vec<DepNode<T>>),
    /// `|| ( … )`: at least one child must hold.
    AnyOf(Vec<DepNode<T>>),
    /// `^^ ( … )` (REQUIRED_USE only): exactly one child must hold.
    ExactlyOneOf(Vec<DepNode<T>>),
    /// `?? ( … )` (REQUIRED_USE only): at most one child may hold.
    AtMostOneOf(Vec<DepNode<T>>),
    /// `flag? ( … )`, or `!flag? ( … )` when `negated`.
    UseConditional {
        /// The controlling USE flag.
        flag: String,
        /// True for `!flag?`.
        negated: bool,
        /// The children, in effect when the condition holds.
        children: Vec<DepNode<T>>,
    },
}

/// A `REQUIRED_USE` leaf: `flag` or `!flag`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UseFlagItem {
    /// The flag name.
    pub flag: String,
    /// True for `!flag`.
    pub negated: bool,
}

impl UseFlagItem {
    /// Whether this leaf holds under `enabled`.
    pub fn holds(&self, enabled: &dyn Fn(&str) -> bool) -> bool {
        enabled(&self.flag) != self.negated
    }
}

impl fmt::Display for UseFlagItem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.negated {
            f.write_str("!")?;
        }
        f.write_str(&self.flag)
    }
}

/// Writes nodes separated by single spaces, Portage style.
pub fn format_nodes<T: fmt::Display>(nodes: &[DepNode<T>]) -> String {
    nodes
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}

impl<T: fmt::Display> fmt::Display for DepNode<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (head, children) = match self {
            DepNode::Item(item) => return write!(f, "{item}"),
            DepNode::AllOf(c) => (String::new(), c),
            DepNode::AnyOf(c) => ("|| ".to_owned(), c),
            DepNode::ExactlyOneOf(c) => ("^^ ".to_owned(), c),
            DepNode::AtMostOneOf(c) => ("?? ".to_owned(), c),
            DepNode::UseConditional {
                flag,
                negated,
                children,
            } => (
                format!("{}{flag}? ", if *negated { "!" } else { "" }),
                children,
            ),
        };
        write!(f, "{head}(")?;
        for child in children {
            write!(f, " {child}")?;
        }
        f.write_str(" )")
    }
}

/// What an open group will become when it closes.
enum GroupKind {
    AllOf,
    AnyOf,
    ExactlyOneOf,
    AtMostOneOf,
    Conditional { flag: String, negated: bool },
}

struct Frame<T> {
    kind: GroupKind,
    children: Vec<DepNode<T>>,
}

/// Splits on ASCII whitespace, yielding `(offset, token)`.
fn tokens(s: &str) -> impl Iterator<Item = (usize, &str)> {
    let b = s.as_bytes();
    let mut pos = 0;
    std::iter::from_fn(move || {
        while pos < b.len() && b[pos].is_ascii_whitespace() {
            pos += 1;
        }
        if pos == b.len() {
            return None;
        }
        let start = pos;
        while pos < b.len() && !b[pos].is_ascii_whitespace() {
            pos += 1;
        }
        Some((start, &s[start..pos]))
    })
}

/// The shared parser; `required_use` enables `^^` and `??`.
fn parse_tree<T>(
    s: &str,
    required_use: bool,
    leaf: &dyn Fn(&str) -> Result<T, ParseError>,
) -> Result<Vec<DepNode<T>>, ParseError> {
    let mut stack: Vec<Frame<T>> = vec![Frame {
        kind: GroupKind::AllOf,
        children: Vec::new(),
    }];
    // An operator (`||`, `flag?`, …) waiting for its `(`.
    let mut pending: Option<(usize, GroupKind)> = None;
    for (offset, token) in tokens(s) {
        if token == "(" {
            if stack.len() > MAX_DEPTH {
                return Err(ParseError::at(offset, "groups are nested too deeply"));
            }
            let kind = pending.take().map_or(GroupKind::AllOf, |(_, k)| k);
            stack.push(Frame {
                kind,
                children: Vec::new(),
            });
            continue;
        }
        if let Some((op_offset, _)) = pending {
            return Err(ParseError::at(
                op_offset,
                format!(
                    "`{}` must be followed by ` ( `",
                    tokens(&s[op_offset..]).next().map_or("", |t| t.1)
                ),
            ));
        }
        let kind = match token {
            ")" => {
                if stack.len() == 1 {
                    return Err(ParseError::at(offset, "unmatched `)`"));
                }
                let Some(frame) = stack.pop() else { break };
                let c = frame.children;
                let node = match frame.kind {
                    GroupKind::AllOf => DepNode::AllOf(c),
                    GroupKind::AnyOf => DepNode::AnyOf(c),
                    GroupKind::ExactlyOneOf => DepNode::ExactlyOneOf(c),
                    GroupKind::AtMostOneOf => DepNode::AtMostOneOf(c),
                    GroupKind::Conditional { flag, negated } => DepNode::UseConditional {
                        flag,
                        negated,
                        children: c,
                    },
                };
                if let Some(parent) = stack.last_mut() {
                    parent.children.push(node);
                }
                continue;
            }
            "||" => GroupKind::AnyOf,
            "^^" | "??" if !required_use => {
                return Err(ParseError::at(
                    offset,
                    format!("`{token}` groups are only allowed in REQUIRED_USE"),
                ));
            }
            "^^" => GroupKind::ExactlyOneOf,
            "??" => GroupKind::AtMostOneOf,
            t if t.len() > 1 && t.ends_with('?') => {
                let cond = &t[..t.len() - 1];
                let (flag, negated) = match cond.strip_prefix('!') {
                    Some(f) => (f, true),
                    None => (cond, false),
                };
                if !is_valid_use_flag(flag) {
                    return Err(ParseError::at(
                        offset,
                        format!("invalid USE flag `{flag}` in conditional `{t}`"),
                    ));
                }
                GroupKind::Conditional {
                    flag: flag.to_owned(),
                    negated,
                }
            }
            t => {
                let item = leaf(t).map_err(|e| shift(e, offset))?;
                if let Some(top) = stack.last_mut() {
                    top.children.push(DepNode::Item(item));
                }
                continue;
            }
        };
        pending = Some((offset, kind));
    }
    if let Some((offset, _)) = pending {
        return Err(ParseError::at(offset, "group operator without ` ( … )`"));
    }
    if stack.len() > 1 {
        return Err(ParseError::at(s.len(), "missing `)`"));
    }
    Ok(stack.pop().map(|f| f.children).unwrap_or_default())
}

/// Parses a `*DEPEND` value into a tree of atoms (blockers included).
/// `^^` and `??` are rejected here.
pub fn parse_dependencies(s: &str) -> Result<Vec<DepNode<Atom>>, ParseError> {
    parse_tree(s, false, &Atom::parse)
}

/// Parses `REQUIRED_USE`: leaves are `flag` or `!flag`.
pub fn parse_required_use(s: &str) -> Result<Vec<DepNode<UseFlagItem>>, ParseError> {
    parse_tree(s, true, &|t| {
        let (flag, negated) = match t.strip_prefix('!') {
            Some(f) => (f, true),
            None => (t, false),
        };
        if !is_valid_use_flag(flag) {
            return Err(ParseError::at(0, format!("invalid USE flag `{t}`")));
        }
        Ok(UseFlagItem {
            flag: flag.to_owned(),
            negated,
        })
    })
}

/// Parses `LICENSE`, `RESTRICT` or `PROPERTIES`: leaves are plain tokens.
pub fn parse_plain(s: &str) -> Result<Vec<DepNode<String>>, ParseError> {
    parse_tree(s, false, &|t| Ok(t.to_owned()))
}

/// Evaluates USE conditionals the way Portage's `use_reduce` does.
///
/// False conditionals are dropped, true ones spliced in; all-of groups are
/// flattened everywhere except as direct alternatives of an any-of. Any-of
/// groups keep their (evaluated) alternatives; nested any-ofs are merged
/// into their parent; an any-of left with one alternative is replaced by it;
/// an any-of left with none stays as `AnyOf(vec![])`, which the caller must
/// judge per EAPI (satisfied in EAPI ≤ 6, unsatisfiable from EAPI 7 on).
/// `^^`/`??` groups (REQUIRED_USE only) keep their evaluated children.
pub fn evaluate<T: Clone>(nodes: &[DepNode<T>], enabled: &dyn Fn(&str) -> bool) -> Vec<DepNode<T>> {
    let mut out = Vec::new();
    eval_all_of(nodes, enabled, &mut out);
    out
}

fn eval_all_of<T: Clone>(
    nodes: &[DepNode<T>],
    enabled: &dyn Fn(&str) -> bool,
    out: &mut Vec<DepNode<T>>,
) {
    for node in nodes {
        match node {
            DepNode::Item(_) => out.push(node.clone()),
            DepNode::AllOf(c) => eval_all_of(c, enabled, out),
            DepNode::UseConditional {
                flag,
                negated,
                children,
            } => {
                if enabled(flag) != *negated {
                    eval_all_of(children, enabled, out);
                }
            }
            DepNode::AnyOf(c) => {
                let mut alternatives = Vec::new();
                eval_any_of(c, enabled, &mut alternatives);
                if alternatives.len() == 1 {
                    match alternatives.pop() {
                        Some(DepNode::AllOf(inner)) => out.extend(inner),
                        Some(only) => out.push(only),
                        None => {}
                    }
                } else {
                    out.push(DepNode::AnyOf(alternatives));
                }
            }
            DepNode::ExactlyOneOf(c) => out.push(DepNode::ExactlyOneOf(eval_group(c, enabled))),
            DepNode::AtMostOneOf(c) => out.push(DepNode::AtMostOneOf(eval_group(c, enabled))),
        }
    }
}

/// Evaluates the children of `^^`/`??` without merging them: each child
/// stays one member (an all-of when it has several parts).
fn eval_group<T: Clone>(nodes: &[DepNode<T>], enabled: &dyn Fn(&str) -> bool) -> Vec<DepNode<T>> {
    let mut out = Vec::new();
    for node in nodes {
        let mut flat = match node {
            DepNode::UseConditional {
                flag,
                negated,
                children,
            } => {
                if enabled(flag) == *negated {
                    continue;
                }
                evaluate(children, enabled)
            }
            DepNode::AllOf(children) => evaluate(children, enabled),
            _ => evaluate(std::slice::from_ref(node), enabled),
        };
        match flat.len() {
            0 => {}
            1 => out.extend(flat.pop()),
            _ => out.push(DepNode::AllOf(flat)),
        }
    }
    out
}

/// Evaluates the children of an any-of into a list of alternatives.
fn eval_any_of<T: Clone>(
    nodes: &[DepNode<T>],
    enabled: &dyn Fn(&str) -> bool,
    out: &mut Vec<DepNode<T>>,
) {
    for node in nodes {
        let group = match node {
            DepNode::Item(_) => {
                out.push(node.clone());
                continue;
            }
            DepNode::AnyOf(c) => {
                let before = out.len();
                eval_any_of(c, enabled, out);
                if out.len() == before {
                    // An unsatisfiable (EAPI 7+) alternative, as Portage keeps it.
                    out.push(DepNode::AnyOf(Vec::new()));
                }
                continue;
            }
            DepNode::UseConditional {
                flag,
                negated,
                children,
            } => {
                if enabled(flag) == *negated {
                    continue;
                }
                children
            }
            DepNode::AllOf(c) => c,
            DepNode::ExactlyOneOf(_) | DepNode::AtMostOneOf(_) => {
                out.extend(evaluate(std::slice::from_ref(node), enabled));
                continue;
            }
        };
        let mut flat = evaluate(group, enabled);
        match flat.len() {
            0 => {}
            1 => match flat.pop() {
                Some(DepNode::AnyOf(inner)) if !inner.is_empty() => out.extend(inner),
                Some(only) => out.push(only),
                None => {}
            },
            _ => out.push(DepNode::AllOf(flat)),
        }
    }
}

/// Whether an (evaluated or not) tree holds: `item` judges leaves,
/// conditionals are evaluated with `enabled`, and an empty any-of or
/// exactly-one-of holds only if `empty_groups_satisfied` (EAPI ≤ 6).
pub fn is_satisfied<T>(
    nodes: &[DepNode<T>],
    item: &dyn Fn(&T) -> bool,
    enabled: &dyn Fn(&str) -> bool,
    empty_groups_satisfied: bool,
) -> bool {
    nodes
        .iter()
        .all(|n| node_value(n, item, enabled, empty_groups_satisfied) != Some(false))
}

/// A node's truth value; `None` when it contributes nothing to its parent
/// (an inactive conditional, an empty all-of), as in Portage's
/// `check_required_use`.
fn node_value<T>(
    node: &DepNode<T>,
    item: &dyn Fn(&T) -> bool,
    enabled: &dyn Fn(&str) -> bool,
    empty_ok: bool,
) -> Option<bool> {
    let values = |c: &[DepNode<T>]| -> Vec<bool> {
        c.iter()
            .filter_map(|n| node_value(n, item, enabled, empty_ok))
            .collect()
    };
    match node {
        DepNode::Item(t) => Some(item(t)),
        DepNode::AllOf(c) => {
            let v = values(c);
            (!v.is_empty()).then(|| v.iter().all(|&x| x))
        }
        DepNode::UseConditional {
            flag,
            negated,
            children,
        } => (enabled(flag) != *negated).then(|| values(children).iter().all(|&x| x)),
        DepNode::AnyOf(c) | DepNode::ExactlyOneOf(c) | DepNode::AtMostOneOf(c) => {
            let v = values(c);
            if v.is_empty() && empty_ok {
                return Some(true);
            }
            let count = v.iter().filter(|&&x| x).count();
            Some(match node {
                DepNode::AnyOf(_) => count >= 1,
                DepNode::ExactlyOneOf(_) => count == 1,
                _ => count <= 1,
            })
        }
    }
}

/// Checks `REQUIRED_USE` with EAPI 7+ semantics (an empty `|| ( )` or
/// `^^ ( )` is violated). On failure the error is the first violated
/// top-level constraint in Portage's notation, e.g. `^^ ( a b )` or
/// `foo? ( bar )`. Flags missing from IUSE are not detected here.
pub fn check_required_use(
    nodes: &[DepNode<UseFlagItem>],
    enabled: &dyn Fn(&str) -> bool,
) -> Result<(), String> {
    check_required_use_eapi(nodes, enabled, false)
}

/// [`check_required_use`] with the EAPI's empty-group rule:
/// `eapi_allows_empty_any_of` is true for EAPI ≤ 6, where an empty (or
/// emptied by conditionals) `|| ( )` / `^^ ( )` is satisfied.
pub fn check_required_use_eapi(
    nodes: &[DepNode<UseFlagItem>],
    enabled: &dyn Fn(&str) -> bool,
    eapi_allows_empty_any_of: bool,
) -> Result<(), String> {
    let item = |i: &UseFlagItem| i.holds(enabled);
    match nodes
        .iter()
        .find(|n| node_value(n, &item, enabled, eapi_allows_empty_any_of) == Some(false))
    {
        Some(violated) => Err(violated.to_string()),
        None => Ok(()),
    }
}

/// Every leaf of a tree, in order, conditionals included.
pub fn collect_items<T>(nodes: &[DepNode<T>]) -> Vec<&T> {
    let mut out = Vec::new();
    let mut stack: Vec<&[DepNode<T>]> = vec![nodes];
    while let Some(list) = stack.pop() {
        for (i, node) in list.iter().enumerate() {
            match node {
                DepNode::Item(t) => out.push(t),
                DepNode::AllOf(c)
                | DepNode::AnyOf(c)
                | DepNode::ExactlyOneOf(c)
                | DepNode::AtMostOneOf(c)
                | DepNode::UseConditional { children: c, .. } => {
                    // Finish this list after the child, keeping leaf order.
                    stack.push(&list[i + 1..]);
                    stack.push(c);
                    break;
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests;
