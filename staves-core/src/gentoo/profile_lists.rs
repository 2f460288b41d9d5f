//! Parsing and stacking the atom and flag lists of profile nodes, copying
//! Portage's `grabfile_package`, `grabdict_package` and `stack_lists`
//! (`portage/util/__init__.py`): a later `-X` removes an earlier identical
//! `X`, `-*` (only in `packages`) removes everything earlier, and a
//! duplicate keeps its first position.

use std::collections::HashMap;

use super::atom::Atom;
use super::name::is_valid_use_flag;
use super::pkgfiles::Line;
use super::profile::ProfileWarning;

/// Where a line of a profile file comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineOrigin {
    /// Repository name.
    pub repo: String,
    /// File path from the repository root (the file inside a directory
    /// when the list is a directory).
    pub path: String,
    /// 1-based line number.
    pub line: usize,
}

impl std::fmt::Display for LineOrigin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "`{}` line {} of repository `{}`",
            self.path, self.line, self.repo
        )
    }
}

/// An atom of a stacked profile list (`package.mask`, `package.unmask`)
/// with the line that put it there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedAtom {
    /// The atom (repository-level masks carry the repository as `::repo`).
    pub atom: Atom,
    /// Where it was written.
    pub origin: LineOrigin,
}

/// An atom together with the text it was written as (Portage compares
/// list entries by their text).
#[derive(Debug, Clone)]
pub(crate) struct AtomEntry {
    pub(crate) text: String,
    pub(crate) atom: Atom,
    pub(crate) origin: LineOrigin,
}

impl AtomEntry {
    /// The entry restricted to repository `repo` (Portage's `append_repo`:
    /// an atom that already names a repository is kept as it is).
    pub(crate) fn with_repo(&self, repo: &str) -> AtomEntry {
        if self.atom.repo.is_some() {
            return self.clone();
        }
        let mut atom = self.atom.clone();
        atom.repo = Some(repo.to_owned());
        let text = match self.text.find('[') {
            Some(i) => format!("{}::{repo}{}", &self.text[..i], &self.text[i..]),
            None => format!("{}::{repo}", self.text),
        };
        AtomEntry {
            text,
            atom,
            origin: self.origin.clone(),
        }
    }

    /// The atom with its origin.
    pub(crate) fn listed(self) -> ListedAtom {
        ListedAtom {
            atom: self.atom,
            origin: self.origin,
        }
    }

    /// The text without its `::repo` part.
    fn text_without_repo(&self) -> String {
        match &self.atom.repo {
            Some(r) => self.text.replacen(&format!("::{r}"), "", 1),
            None => self.text.clone(),
        }
    }
}

/// One line of a list file, before stacking.
#[derive(Debug, Clone)]
pub(crate) enum ListToken<T> {
    Add(String, T),
    Remove(String),
    ClearAll,
}

/// Rules for atoms in a particular file.
#[derive(Debug, Clone, Copy)]
pub(crate) struct AtomRules {
    /// `profile-repo-deps`: atoms may carry `::repo`.
    pub(crate) allow_repo: bool,
    /// Atoms may carry `[use]` dependencies (not in `package.use*`).
    pub(crate) allow_use: bool,
    /// The file's EAPI as a number (see [`eapi_level`](super::layout::eapi_level)).
    pub(crate) eapi: u32,
}

/// Why a valid atom is not allowed in a profile file (Portage's
/// `Atom(…, allow_repo=…, eapi=…)` checks and `allow_use=False`).
fn atom_problem(a: &Atom, rules: AtomRules) -> Option<String> {
    let eapi = rules.eapi;
    if a.blocker.is_some() {
        return Some("blockers are not allowed here".to_owned());
    }
    if a.repo.is_some() && !rules.allow_repo {
        return Some("a `::repo` part needs `profile-formats = profile-repo-deps`".to_owned());
    }
    if !a.use_deps.is_empty() && !rules.allow_use {
        return Some("USE dependencies are not allowed in this file".to_owned());
    }
    if let Some(slot) = &a.slot {
        if eapi < 1 {
            return Some(format!(
                "slot dependencies need EAPI 1 (this file's EAPI is {eapi})"
            ));
        }
        if eapi < 5 && (slot.op.is_some() || slot.subslot.is_some()) {
            return Some(format!(
                "sub-slots and slot operators need EAPI 5 (this file's EAPI is {eapi})"
            ));
        }
    }
    if !a.use_deps.is_empty() {
        if eapi < 2 {
            return Some(format!(
                "USE dependencies need EAPI 2 (this file's EAPI is {eapi})"
            ));
        }
        if eapi < 4 && a.use_deps.iter().any(|u| u.default.is_some()) {
            return Some(format!(
                "USE dependency defaults need EAPI 4 (this file's EAPI is {eapi})"
            ));
        }
    }
    None
}

fn parse_atom(
    text: &str,
    rules: AtomRules,
    repo: &str,
    line: &Line,
    warnings: &mut Vec<ProfileWarning>,
) -> Option<Atom> {
    let problem = match Atom::parse(text) {
        Err(e) => format!("invalid atom `{text}`: {}", e.message),
        Ok(a) => match atom_problem(&a, rules) {
            None => return Some(a),
            Some(p) => format!("`{text}`: {p}"),
        },
    };
    warnings.push(ProfileWarning {
        repo: repo.to_owned(),
        path: line.file.clone(),
        line: line.line,
        message: format!("{problem}; the line is ignored (as Portage does)"),
    });
    None
}

/// `grabfile_package`: one atom per line, `-atom` removals; in `packages`
/// files also `*atom`, `-*atom` and `-*`. Keys keep the `*` prefix.
pub(crate) fn atom_tokens(
    lines: &[Line],
    packages_file: bool,
    rules: AtomRules,
    repo: &str,
    warnings: &mut Vec<ProfileWarning>,
) -> Vec<ListToken<AtomEntry>> {
    let mut out = Vec::new();
    for l in lines {
        let word = l.words.join(" ");
        if packages_file && word == "-*" {
            out.push(ListToken::ClearAll);
            continue;
        }
        let (negative, rest) = match word.strip_prefix('-') {
            Some(r) => (true, r),
            None => (false, word.as_str()),
        };
        let bare = if packages_file {
            rest.strip_prefix('*').unwrap_or(rest)
        } else {
            rest
        };
        let Some(atom) = parse_atom(bare, rules, repo, l, warnings) else {
            continue;
        };
        if negative {
            out.push(ListToken::Remove(rest.to_owned()));
        } else {
            out.push(ListToken::Add(
                rest.to_owned(),
                AtomEntry {
                    text: rest.to_owned(),
                    atom,
                    origin: LineOrigin {
                        repo: repo.to_owned(),
                        path: l.file.clone(),
                        line: l.line,
                    },
                },
            ));
        }
    }
    out
}

/// `stack_lists(lists, incremental=1, ignore_repo=…)` over atom entries.
pub(crate) fn stack_atoms(
    lists: &[Vec<ListToken<AtomEntry>>],
    ignore_repo: bool,
) -> Vec<AtomEntry> {
    let mut slots: Vec<Option<AtomEntry>> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for list in lists {
        for token in list {
            match token {
                ListToken::ClearAll => {
                    slots.clear();
                    index.clear();
                }
                ListToken::Add(key, entry) => {
                    if !index.contains_key(key) {
                        index.insert(key.clone(), slots.len());
                        slots.push(Some(entry.clone()));
                    }
                }
                ListToken::Remove(key) => {
                    if ignore_repo && !key.contains("::") {
                        for slot in &mut slots {
                            if slot.as_ref().is_some_and(|e| e.text_without_repo() == *key)
                                && let Some(e) = slot.take()
                            {
                                index.remove(&e.text);
                            }
                        }
                    } else if let Some(i) = index.remove(key) {
                        slots[i] = None;
                    }
                }
            }
        }
    }
    slots.into_iter().flatten().collect()
}

/// `stack_lists` over plain strings (USE flags, `package.provided`).
pub(crate) fn stack_strings(lists: &[Vec<String>]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for list in lists {
        for t in list {
            if t == "-*" {
                out.clear();
            } else if let Some(r) = t.strip_prefix('-') {
                out.retain(|x| x != r);
            } else if !out.contains(t) {
                out.push(t.clone());
            }
        }
    }
    out
}

/// `use.mask`/`use.force`: one flag or `-flag` per line; invalid flags are
/// dropped with a warning (Portage's `_parse_file_to_tuple`).
pub(crate) fn flag_tokens(
    lines: &[Line],
    repo: &str,
    warnings: &mut Vec<ProfileWarning>,
) -> Vec<String> {
    let mut out = Vec::new();
    for l in lines {
        for w in &l.words {
            let flag = w.strip_prefix('-').unwrap_or(w);
            if is_valid_use_flag(flag) {
                out.push(w.clone());
            } else {
                warnings.push(ProfileWarning {
                    repo: repo.to_owned(),
                    path: l.file.clone(),
                    line: l.line,
                    message: format!("invalid USE flag `{w}`; ignored (as Portage does)"),
                });
            }
        }
    }
    out
}

/// `grabdict_package`: `atom value…` lines; the values of repeated atoms
/// (same text) are merged in file order. With `flags`, values must be
/// (optionally `-`-prefixed) USE flags.
pub(crate) fn atom_dict(
    lines: &[Line],
    rules: AtomRules,
    flags: bool,
    repo: &str,
    warnings: &mut Vec<ProfileWarning>,
) -> Vec<(Atom, Vec<String>)> {
    let mut out: Vec<(String, Atom, Vec<String>)> = Vec::new();
    for l in lines {
        let Some(atom) = parse_atom(&l.words[0], rules, repo, l, warnings) else {
            continue;
        };
        let mut values = Vec::new();
        for v in &l.words[1..] {
            if flags && !is_valid_use_flag(v.strip_prefix('-').unwrap_or(v)) {
                warnings.push(ProfileWarning {
                    repo: repo.to_owned(),
                    path: l.file.clone(),
                    line: l.line,
                    message: format!("invalid USE flag `{v}` for `{}`; ignored", l.words[0]),
                });
                continue;
            }
            values.push(v.clone());
        }
        match out.iter_mut().find(|(t, _, _)| *t == l.words[0]) {
            Some((_, _, existing)) => existing.extend(values),
            None => out.push((l.words[0].clone(), atom, values)),
        }
    }
    out.into_iter().map(|(_, a, v)| (a, v)).collect()
}
