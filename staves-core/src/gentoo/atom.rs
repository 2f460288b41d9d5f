//! Package dependency atoms (PMS §8.3) with Portage's extensions (`::repo`).
//!
//! Grammar and order, as Portage accepts it (gentoo.md §2.2):
//!
//! ```text
//! [!|!!] [op] category/package[-version[*]] [:slot-part] [::repo] [[usedeps]]
//! ```
//!
//! The operator is required iff a version is given; `*` only follows `=`.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use super::ParseError;
use super::name::{PackageName, is_valid_repo_name, is_valid_slot, is_valid_use_flag, shift};
use super::version::Version;

/// Strength of a blocker (`!` weak, `!!` strong).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Blocker {
    /// `!atom`: the blocked package may be removed after the blocker is merged.
    Weak,
    /// `!!atom`: the blocked package must be gone before the merge.
    Strong,
}

/// A version operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Operator {
    /// `<`
    Less,
    /// `<=`
    LessOrEqual,
    /// `=` (revision included; no revision means `-r0`)
    Equal,
    /// `=…*`: component-prefix match
    EqualGlob,
    /// `~`: equal ignoring the revision
    Approximate,
    /// `>=`
    GreaterOrEqual,
    /// `>`
    Greater,
}

impl Operator {
    /// The operator as written before the name (`EqualGlob` is `=`; its `*`
    /// goes after the version).
    pub fn as_str(self) -> &'static str {
        match self {
            Operator::Less => "<",
            Operator::LessOrEqual => "<=",
            Operator::Equal | Operator::EqualGlob => "=",
            Operator::Approximate => "~",
            Operator::GreaterOrEqual => ">=",
            Operator::Greater => ">",
        }
    }
}

/// The slot operator of a slot dependency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SlotOperator {
    /// `:*`: any slot, no rebuild on change.
    Any,
    /// `:=` or `:SLOT=`: rebuild when the slot/sub-slot built against changes.
    Equal,
}

/// The `:slot-part` of an atom.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SlotDep {
    /// The slot name, if one is given.
    pub slot: Option<String>,
    /// The sub-slot (`:SLOT/SUB`), only with a slot.
    pub subslot: Option<String>,
    /// `*` or `=`, if given.
    pub op: Option<SlotOperator>,
}

/// The six PMS forms of a USE dependency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UseDepKind {
    /// `foo`: must be enabled.
    Enabled,
    /// `-foo`: must be disabled.
    Disabled,
    /// `foo=`: same state as in the depending package.
    Equal,
    /// `!foo=`: opposite state to the depending package.
    NotEqual,
    /// `foo?`: enabled if enabled in the depending package.
    IfEnabled,
    /// `!foo?`: disabled if disabled in the depending package.
    IfDisabled,
}

/// One item of an atom's `[...]` USE dependencies.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UseDep {
    /// The flag name.
    pub flag: String,
    /// Which of the six forms.
    pub kind: UseDepKind,
    /// `(+)` = `Some(true)`, `(-)` = `Some(false)`: how to treat a target that
    /// lacks the flag.
    pub default: Option<bool>,
}

impl UseDep {
    /// Whether the target package satisfies this USE dependency.
    ///
    /// `parent_enabled` tells whether a flag is enabled in the depending
    /// package; `target_has_flag`/`target_enabled` describe the flag in the
    /// candidate. Returns `None` when the dependency applies, the target
    /// lacks the flag and there is no `(+)`/`(-)` default (an error in PMS
    /// terms: the dependency references a flag the target does not have).
    pub fn is_satisfied(
        &self,
        parent_enabled: &dyn Fn(&str) -> bool,
        target_has_flag: bool,
        target_enabled: bool,
    ) -> Option<bool> {
        let parent = || parent_enabled(&self.flag);
        // Conditional forms that do not apply require nothing.
        match self.kind {
            UseDepKind::IfEnabled if !parent() => return Some(true),
            UseDepKind::IfDisabled if parent() => return Some(true),
            _ => {}
        }
        let target = if target_has_flag {
            target_enabled
        } else {
            self.default?
        };
        Some(match self.kind {
            UseDepKind::Enabled | UseDepKind::IfEnabled => target,
            UseDepKind::Disabled | UseDepKind::IfDisabled => !target,
            UseDepKind::Equal => target == parent(),
            UseDepKind::NotEqual => target != parent(),
        })
    }

    /// Parses one item such as `!foo(+)=`. Offsets are relative to `s`.
    fn parse(s: &str) -> Result<UseDep, ParseError> {
        let (prefix, rest) = match s.as_bytes().first() {
            Some(b'!') => (Some('!'), &s[1..]),
            Some(b'-') => (Some('-'), &s[1..]),
            _ => (None, s),
        };
        let start = s.len() - rest.len();
        let (rest, suffix) = match rest.as_bytes().last() {
            Some(b'=') => (&rest[..rest.len() - 1], Some('=')),
            Some(b'?') => (&rest[..rest.len() - 1], Some('?')),
            _ => (rest, None),
        };
        let (flag, default) = if let Some(f) = rest.strip_suffix("(+)") {
            (f, Some(true))
        } else if let Some(f) = rest.strip_suffix("(-)") {
            (f, Some(false))
        } else {
            (rest, None)
        };
        if !is_valid_use_flag(flag) {
            return Err(ParseError::at(
                start,
                format!("invalid USE dependency `{s}`: `{flag}` is not a valid USE flag name"),
            ));
        }
        let kind = match (prefix, suffix) {
            (None, None) => UseDepKind::Enabled,
            (Some('-'), None) => UseDepKind::Disabled,
            (None, Some('=')) => UseDepKind::Equal,
            (Some('!'), Some('=')) => UseDepKind::NotEqual,
            (None, Some('?')) => UseDepKind::IfEnabled,
            (Some('!'), Some('?')) => UseDepKind::IfDisabled,
            _ => {
                return Err(ParseError::at(
                    0,
                    format!(
                        "invalid USE dependency `{s}`: allowed forms are foo, -foo, foo=, !foo=, foo?, !foo?"
                    ),
                ));
            }
        };
        Ok(UseDep {
            flag: flag.to_owned(),
            kind,
            default,
        })
    }
}

impl fmt::Display for UseDep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (prefix, suffix) = match self.kind {
            UseDepKind::Enabled => ("", ""),
            UseDepKind::Disabled => ("-", ""),
            UseDepKind::Equal => ("", "="),
            UseDepKind::NotEqual => ("!", "="),
            UseDepKind::IfEnabled => ("", "?"),
            UseDepKind::IfDisabled => ("!", "?"),
        };
        let default = match self.default {
            None => "",
            Some(true) => "(+)",
            Some(false) => "(-)",
        };
        write!(f, "{prefix}{}{default}{suffix}", self.flag)
    }
}

/// A package dependency specification such as `>=dev-libs/foo-1.2:0/1=[ssl]`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Atom {
    /// `!` or `!!`, if this is a blocker.
    pub blocker: Option<Blocker>,
    /// The version operator; present iff `version` is.
    pub op: Option<Operator>,
    /// The package.
    pub name: PackageName,
    /// The version, if any.
    pub version: Option<Version>,
    /// The `:slot-part`, if any.
    pub slot: Option<SlotDep>,
    /// The `::repo` restriction (Portage extension), if any.
    pub repo: Option<String>,
    /// The `[...]` USE dependencies, in written order.
    pub use_deps: Vec<UseDep>,
}

/// Reads the operator at the start of `s`.
fn lex_operator(s: &str) -> (Option<Operator>, usize) {
    for (text, op) in [
        ("<=", Operator::LessOrEqual),
        (">=", Operator::GreaterOrEqual),
        ("<", Operator::Less),
        (">", Operator::Greater),
        ("=", Operator::Equal),
        ("~", Operator::Approximate),
    ] {
        if s.starts_with(text) {
            return (Some(op), text.len());
        }
    }
    (None, 0)
}

/// Parses a slot part (the text after `:`); offsets relative to `s`.
fn parse_slot(s: &str) -> Result<SlotDep, ParseError> {
    let (names, op) = match s.as_bytes().last() {
        Some(b'*') => (&s[..s.len() - 1], Some(SlotOperator::Any)),
        Some(b'=') => (&s[..s.len() - 1], Some(SlotOperator::Equal)),
        _ => (s, None),
    };
    if names.is_empty() {
        return match op {
            Some(_) => Ok(SlotDep {
                slot: None,
                subslot: None,
                op,
            }),
            None => Err(ParseError::at(0, "empty slot after `:`")),
        };
    }
    if op == Some(SlotOperator::Any) {
        return Err(ParseError::at(
            names.len(),
            "`:*` cannot follow a slot name (use `:SLOT` or `:*`)",
        ));
    }
    let (slot, subslot) = match names.split_once('/') {
        Some((slot, sub)) => (slot, Some(sub)),
        None => (names, None),
    };
    if !is_valid_slot(slot) {
        return Err(ParseError::at(0, format!("invalid slot name `{slot}`")));
    }
    if let Some(sub) = subslot.filter(|sub| !is_valid_slot(sub)) {
        return Err(ParseError::at(
            slot.len() + 1,
            format!("invalid sub-slot name `{sub}`"),
        ));
    }
    Ok(SlotDep {
        slot: Some(slot.to_owned()),
        subslot: subslot.map(str::to_owned),
        op,
    })
}

/// Parses `[a,b(+)=,…]` contents; offsets relative to `s`.
fn parse_use_deps(s: &str) -> Result<Vec<UseDep>, ParseError> {
    let mut out: Vec<UseDep> = Vec::new();
    let mut pos = 0;
    for item in s.split(',') {
        let dep = UseDep::parse(item).map_err(|e| shift(e, pos))?;
        // Portage: one flag must not mix `(+)`, `(-)` and no default.
        if out
            .iter()
            .any(|d| d.flag == dep.flag && d.default != dep.default)
        {
            return Err(ParseError::at(
                pos,
                format!("conflicting defaults for USE flag `{}`", dep.flag),
            ));
        }
        out.push(dep);
        pos += item.len() + 1;
    }
    Ok(out)
}

impl Atom {
    /// Parses an atom; errors carry the byte offset of the problem.
    pub fn parse(s: &str) -> Result<Atom, ParseError> {
        let (blocker, mut pos) = if s.starts_with("!!") {
            (Some(Blocker::Strong), 2)
        } else if s.starts_with('!') {
            (Some(Blocker::Weak), 1)
        } else {
            (None, 0)
        };
        let (mut op, op_len) = lex_operator(&s[pos..]);
        pos += op_len;
        let body_start = pos;
        let body_end = s[pos..].find([':', '[']).map_or(s.len(), |i| pos + i);
        let body = &s[body_start..body_end];
        let (name, version) = Self::parse_body(body, &mut op).map_err(|e| shift(e, body_start))?;

        pos = body_end;
        let mut slot = None;
        let mut repo = None;
        let rest = &s[pos..];
        if rest.starts_with(':') && !rest.starts_with("::") {
            let end = rest[1..].find([':', '[']).map_or(rest.len(), |i| i + 1);
            slot = Some(parse_slot(&rest[1..end]).map_err(|e| shift(e, pos + 1))?);
            pos += end;
        }
        let rest = &s[pos..];
        if let Some(r) = rest.strip_prefix("::") {
            let end = r.find('[').unwrap_or(r.len());
            if !is_valid_repo_name(&r[..end]) {
                return Err(ParseError::at(
                    pos + 2,
                    format!("invalid repository name `{}`", &r[..end]),
                ));
            }
            repo = Some(r[..end].to_owned());
            pos += 2 + end;
        }
        let rest = &s[pos..];
        let mut use_deps = Vec::new();
        if let Some(inner) = rest.strip_prefix('[') {
            let Some(inner) = inner.strip_suffix(']') else {
                return Err(match inner.find(']') {
                    Some(i) => ParseError::at(
                        pos + i + 2,
                        "unexpected text after `]`; the order is `:slot`, then `::repo`, then `[use]`",
                    ),
                    None => {
                        ParseError::at(s.len(), "missing `]` at the end of the USE dependencies")
                    }
                });
            };
            use_deps = parse_use_deps(inner).map_err(|e| shift(e, pos + 1))?;
        } else if !rest.is_empty() {
            let msg = if rest.starts_with(':') {
                "misplaced `:`; the order is `:slot`, then `::repo`, then `[use]`"
            } else {
                "unexpected text after the atom"
            };
            return Err(ParseError::at(pos, msg));
        }
        Ok(Atom {
            blocker,
            op,
            name,
            version,
            slot,
            repo,
            use_deps,
        })
    }

    /// Parses `cat/pkg[-ver[*]]`, upgrading `op` to `EqualGlob` for `=…*`.
    fn parse_body(
        body: &str,
        op: &mut Option<Operator>,
    ) -> Result<(PackageName, Option<Version>), ParseError> {
        let Some((category, pv)) = body.split_once('/') else {
            return Err(ParseError::at(
                0,
                format!("`{body}` is not `category/package`"),
            ));
        };
        let pv_start = category.len() + 1;
        let Some(operator) = *op else {
            if pv.ends_with('*') {
                return Err(ParseError::at(
                    body.len() - 1,
                    "`*` is only allowed after `=`",
                ));
            }
            let name = PackageName::new(category, pv).map_err(|e| {
                if super::name::split_pf(pv).is_ok() {
                    ParseError::at(
                        0,
                        format!(
                            "a version needs an operator: write `={body}` (or `>=`, `~`, …) or drop the version"
                        ),
                    )
                } else {
                    e
                }
            })?;
            return Ok((name, None));
        };
        let pv = match pv.strip_suffix('*') {
            Some(p) if operator == Operator::Equal => {
                *op = Some(Operator::EqualGlob);
                p
            }
            Some(_) => {
                return Err(ParseError::at(
                    body.len() - 1,
                    "`*` is only allowed after `=`",
                ));
            }
            None => pv,
        };
        super::name::check_category(category)?;
        let (package, version) = super::name::split_pf(pv).map_err(|e| {
            if e.offset != Some(pv.len()) {
                return shift(e, pv_start);
            }
            // No valid version tail: report the version's own error when
            // something version-like follows a hyphen.
            let versionish = pv
                .match_indices('-')
                .find(|&(i, _)| i > 0 && pv[i + 1..].starts_with(|c: char| c.is_ascii_digit()));
            match versionish.and_then(|(i, _)| Version::parse(&pv[i + 1..]).err().map(|e| (i, e))) {
                Some((i, e)) => shift(e, pv_start + i + 1),
                None => ParseError::at(
                    pv_start + pv.len(),
                    format!(
                        "operator `{}` needs a version (`{body}` has none)",
                        operator.as_str()
                    ),
                ),
            }
        })?;
        let name = PackageName {
            category: category.to_owned(),
            package: package.to_owned(),
        };
        Ok((name, Some(version)))
    }

    /// This atom without its `[...]` USE dependencies.
    pub fn without_use_deps(&self) -> Atom {
        Atom {
            use_deps: Vec::new(),
            ..self.clone()
        }
    }

    /// Whether the package name matches.
    pub fn matches_name(&self, name: &PackageName) -> bool {
        self.name == *name
    }

    /// Whether `v` satisfies the version restriction (true without one).
    /// `~` ignores revisions on both sides; `=…*` is Portage's
    /// component-prefix match ([`Version::starts_with_components`]).
    /// (Portage's `~` also wants the version *text* to be identical, so
    /// `~c/p-1.0` skips `1.00`; a repository cannot hold two spellings of
    /// one version, so the difference is theoretical.)
    pub fn matches_version(&self, v: &Version) -> bool {
        let (Some(op), Some(want)) = (self.op, &self.version) else {
            return true;
        };
        match op {
            Operator::Less => v < want,
            Operator::LessOrEqual => v <= want,
            Operator::Equal => v == want,
            Operator::EqualGlob => v.starts_with_components(want),
            Operator::Approximate => v.cmp_without_revision(want) == Ordering::Equal,
            Operator::GreaterOrEqual => v >= want,
            Operator::Greater => v > want,
        }
    }

    /// Whether a package with `SLOT=slot/subslot` satisfies the slot part.
    /// Pass `subslot == slot` for a `SLOT` without `/`. `:=` and `:*` alone
    /// match any slot.
    pub fn matches_slot(&self, slot: &str, subslot: &str) -> bool {
        let Some(SlotDep {
            slot: Some(want),
            subslot: want_sub,
            ..
        }) = &self.slot
        else {
            return true;
        };
        want == slot && want_sub.as_deref().is_none_or(|w| w == subslot)
    }

    /// Whether a package from repository `repo` satisfies `::repo`.
    pub fn matches_repo(&self, repo: &str) -> bool {
        self.repo.as_deref().is_none_or(|r| r == repo)
    }
}

impl FromStr for Atom {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Atom::parse(s)
    }
}

impl fmt::Display for Atom {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.blocker {
            Some(Blocker::Weak) => f.write_str("!")?,
            Some(Blocker::Strong) => f.write_str("!!")?,
            None => {}
        }
        if let (Some(op), Some(v)) = (self.op, &self.version) {
            write!(f, "{}{}-{v}", op.as_str(), self.name)?;
            if op == Operator::EqualGlob {
                f.write_str("*")?;
            }
        } else {
            write!(f, "{}", self.name)?;
        }
        if let Some(slot) = &self.slot {
            f.write_str(":")?;
            if let Some(s) = &slot.slot {
                f.write_str(s)?;
            }
            if let Some(sub) = &slot.subslot {
                write!(f, "/{sub}")?;
            }
            match slot.op {
                Some(SlotOperator::Any) => f.write_str("*")?,
                Some(SlotOperator::Equal) => f.write_str("=")?,
                None => {}
            }
        }
        if let Some(repo) = &self.repo {
            write!(f, "::{repo}")?;
        }
        if !self.use_deps.is_empty() {
            f.write_str("[")?;
            for (i, dep) in self.use_deps.iter().enumerate() {
                if i > 0 {
                    f.write_str(",")?;
                }
                write!(f, "{dep}")?;
            }
            f.write_str("]")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
