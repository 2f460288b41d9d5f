//! The profile as the resolver needs it: the stacked make.defaults
//! variables, masks, USE masks/forces and per-package lines, read through
//! [`RepoFiles`](crate::gentoo::RepoFiles).
//!
//! This is a private reader (gentoo.md §5): profile nodes depth-first from
//! `parent` files (relative paths and `repo:path`), the main repository's
//! `profiles/` as the left-most node, and every repository's
//! `profiles/package.mask`.

use std::collections::{BTreeMap, BTreeSet};

use crate::gentoo::atom::Atom;
use crate::gentoo::pkgfiles::{Line, read_lines};

use super::config::{MaskSource, apply_incremental};
use super::error::ResolveError;
use super::{PackageIndex, ResolveRequest};

/// Variables whose values stack across profile nodes (PMS plus Portage's).
const INCREMENTALS: &[&str] = &[
    "USE",
    "USE_EXPAND",
    "USE_EXPAND_HIDDEN",
    "CONFIG_PROTECT",
    "CONFIG_PROTECT_MASK",
    "IUSE_IMPLICIT",
    "USE_EXPAND_IMPLICIT",
    "USE_EXPAND_UNPREFIXED",
    "ENV_UNSET",
    "ACCEPT_KEYWORDS",
    "FEATURES",
    "PROFILE_ONLY_VARIABLES",
];

/// The profile, flattened.
#[derive(Debug, Default)]
pub(crate) struct ProfileView {
    /// Path under the main repository's `profiles/`.
    pub(crate) path: String,
    /// make.defaults variables after stacking.
    pub(crate) vars: BTreeMap<String, String>,
    /// USE tokens in profile order (with `-flag`), followed by the flags
    /// of the USE_EXPAND and USE_EXPAND_UNPREFIXED variables.
    pub(crate) use_tokens: Vec<String>,
    /// ACCEPT_KEYWORDS tokens in profile order.
    pub(crate) accept_keywords: Vec<String>,
    pub(crate) package_accept_keywords: Vec<(Atom, Vec<String>)>,
    pub(crate) package_mask: Vec<(Atom, MaskSource)>,
    pub(crate) package_unmask: Vec<Atom>,
    pub(crate) package_use: Vec<(Atom, Vec<String>)>,
    pub(crate) package_use_mask: Vec<(Atom, Vec<String>)>,
    pub(crate) package_use_force: Vec<(Atom, Vec<String>)>,
    pub(crate) use_mask: BTreeSet<String>,
    pub(crate) use_force: BTreeSet<String>,
    pub(crate) license_groups: BTreeMap<String, Vec<String>>,
    /// Every assignment's tokens per variable, in profile order (USE_EXPAND
    /// variables stack like incrementals once USE_EXPAND is known).
    history: BTreeMap<String, Vec<String>>,
}

struct Reader<'a> {
    index: &'a PackageIndex,
}

impl Reader<'_> {
    fn lines(&self, repo: usize, path: &str) -> Result<Vec<Line>, ResolveError> {
        let r = &self.index.repos()[repo];
        read_lines(r.files.as_ref(), path, true).map_err(|source| ResolveError::Io {
            repo: r.name.clone(),
            path: path.to_owned(),
            source,
        })
    }

    fn text(&self, repo: usize, path: &str) -> Result<Option<String>, ResolveError> {
        let r = &self.index.repos()[repo];
        let bytes = r.files.read(path).map_err(|source| ResolveError::Io {
            repo: r.name.clone(),
            path: path.to_owned(),
            source,
        })?;
        Ok(bytes.map(|b| String::from_utf8_lossy(&b).into_owned()))
    }

    fn atom(&self, repo: usize, l: &Line, word: &str) -> Result<Atom, ResolveError> {
        Atom::parse(word).map_err(|e| ResolveError::Corrupt {
            repo: self.index.repos()[repo].name.clone(),
            path: l.file.clone(),
            line: Some(l.line),
            message: format!("invalid atom `{word}`: {e}"),
        })
    }

    /// The profile nodes of `dir` (`profiles/...`), parents first.
    fn stack(
        &self,
        repo: usize,
        dir: &str,
        depth: usize,
        out: &mut Vec<(usize, String)>,
    ) -> Result<(), ResolveError> {
        if depth > 64 {
            return Err(ResolveError::Corrupt {
                repo: self.index.repos()[repo].name.clone(),
                path: format!("{dir}/parent"),
                line: None,
                message: "profile parents nest deeper than 64 levels (a cycle?)".to_owned(),
            });
        }
        for l in self.lines(repo, &format!("{dir}/parent"))? {
            let Some(p) = l.words.first() else { continue };
            let (prepo, pdir) = match p.split_once(':') {
                Some((name, path)) => {
                    let Some(i) = self.index.repo_index(name) else {
                        return Err(ResolveError::Corrupt {
                            repo: self.index.repos()[repo].name.clone(),
                            path: l.file.clone(),
                            line: Some(l.line),
                            message: format!("parent `{p}` names an unknown repository {name}"),
                        });
                    };
                    (i, normalize(&format!("profiles/{path}")))
                }
                None => (repo, normalize(&format!("{dir}/{p}"))),
            };
            self.stack(prepo, &pdir, depth + 1, out)?;
        }
        out.push((repo, dir.to_owned()));
        Ok(())
    }

    fn make_defaults(
        &self,
        repo: usize,
        dir: &str,
        view: &mut ProfileView,
    ) -> Result<(), ResolveError> {
        let path = format!("{dir}/make.defaults");
        let Some(text) = self.text(repo, &path)? else {
            return Ok(());
        };
        for (key, value) in parse_make_defaults(&text, &view.vars) {
            view.history
                .entry(key.clone())
                .or_default()
                .extend(value.split_whitespace().map(str::to_owned));
            if INCREMENTALS.contains(&key.as_str()) {
                let tokens: Vec<String> = value.split_whitespace().map(str::to_owned).collect();
                match key.as_str() {
                    "USE" => view.use_tokens.extend(tokens.iter().cloned()),
                    "ACCEPT_KEYWORDS" => view.accept_keywords.extend(tokens.iter().cloned()),
                    _ => {}
                }
                let mut set: BTreeSet<String> = view
                    .vars
                    .get(&key)
                    .map(|v| v.split_whitespace().map(str::to_owned).collect())
                    .unwrap_or_default();
                apply_incremental(&mut set, &tokens);
                view.vars
                    .insert(key, set.into_iter().collect::<Vec<_>>().join(" "));
            } else {
                view.vars.insert(key, value);
            }
        }
        Ok(())
    }

    fn atom_lines(
        &self,
        repo: usize,
        path: &str,
        out: &mut Vec<(Atom, Vec<String>)>,
    ) -> Result<(), ResolveError> {
        for l in self.lines(repo, path)? {
            let Some((first, rest)) = l.words.split_first() else {
                continue;
            };
            let atom = self.atom(repo, &l, first)?;
            out.push((atom, rest.to_vec()));
        }
        Ok(())
    }

    fn masks(&self, repo: usize, path: &str, view: &mut ProfileView) -> Result<(), ResolveError> {
        for l in self.lines(repo, path)? {
            let Some(word) = l.words.first() else {
                continue;
            };
            if let Some(undo) = word.strip_prefix('-') {
                let atom = self.atom(repo, &l, undo)?;
                view.package_mask.retain(|(a, _)| *a != atom);
                continue;
            }
            let atom = self.atom(repo, &l, word)?;
            view.package_mask.push((
                atom,
                MaskSource {
                    file: l.file.clone(),
                    line: l.line,
                },
            ));
        }
        Ok(())
    }

    fn flag_set(
        &self,
        repo: usize,
        path: &str,
        set: &mut BTreeSet<String>,
    ) -> Result<(), ResolveError> {
        let tokens: Vec<String> = self
            .lines(repo, path)?
            .into_iter()
            .flat_map(|l| l.words)
            .collect();
        apply_incremental(set, &tokens);
        Ok(())
    }
}

/// Resolves `.` and `..` in a `/`-separated path.
fn normalize(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for p in path.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}

/// `KEY=value` assignments of a make.defaults file, in order, with `${VAR}`
/// and `$VAR` expanded from `env` and earlier assignments.
fn parse_make_defaults(text: &str, env: &BTreeMap<String, String>) -> Vec<(String, String)> {
    let mut local: BTreeMap<String, String> = BTreeMap::new();
    let mut out = Vec::new();
    let joined = text.replace("\\\n", " ");
    for raw in joined.lines() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line.strip_prefix("export ").unwrap_or(line);
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let key = key.trim().to_owned();
        let value = value.trim();
        let unquoted = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .or_else(|| value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
            .unwrap_or(value);
        let expanded = expand(unquoted, &|name| {
            local
                .get(name)
                .or_else(|| env.get(name))
                .cloned()
                .unwrap_or_default()
        });
        local.insert(key.clone(), expanded.clone());
        out.push((key, expanded));
    }
    out
}

fn expand(s: &str, lookup: &dyn Fn(&str) -> String) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let (name, tail) = if let Some(b) = after.strip_prefix('{') {
            match b.find('}') {
                Some(j) => (&b[..j], &b[j + 1..]),
                None => ("", after),
            }
        } else {
            let j = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            (&after[..j], &after[j..])
        };
        if name.is_empty() {
            out.push('$');
            rest = after;
        } else {
            out.push_str(&lookup(name));
            rest = tail;
        }
    }
    out.push_str(rest);
    out
}

/// The first `stable` profile for `arch` in `profiles/profiles.desc`.
fn default_profile(
    reader: &Reader<'_>,
    repo: usize,
    arch: &str,
) -> Result<Option<String>, ResolveError> {
    let lines = reader.lines(repo, "profiles/profiles.desc")?;
    Ok(lines
        .into_iter()
        .find(|l| l.words.len() >= 3 && l.words[0] == arch && l.words[2] == "stable")
        .map(|l| l.words[1].clone()))
}

/// Loads the profile of `req` from `index`.
///
/// # Errors
/// Unknown main repository, no profile, unreadable or malformed files.
pub(crate) fn load_profile(
    index: &PackageIndex,
    req: &ResolveRequest,
) -> Result<ProfileView, ResolveError> {
    let reader = Reader { index };
    let Some(main) = index.repo_index(&req.main_repo) else {
        return Err(ResolveError::config(
            format!(
                "the main repository {} is not among the configured repositories",
                req.main_repo
            ),
            Some("add it to [repositories] or fix main_repo".to_owned()),
        ));
    };
    let path = match &req.profile {
        Some(p) => p.trim_matches('/').to_owned(),
        None => default_profile(&reader, main, "amd64")?.ok_or_else(|| {
            ResolveError::config(
                format!(
                    "{}'s profiles/profiles.desc lists no stable amd64 profile",
                    req.main_repo
                ),
                Some("set profile = \"…\" in the manifest".to_owned()),
            )
        })?,
    };
    let dir = format!("profiles/{path}");
    if index.repos()[main]
        .files
        .list(&dir)
        .ok()
        .flatten()
        .is_none()
    {
        return Err(ResolveError::config(
            format!(
                "profile {path} does not exist in repository {}",
                req.main_repo
            ),
            Some("pick one listed in profiles/profiles.desc".to_owned()),
        ));
    }
    let mut nodes = vec![(main, "profiles".to_owned())];
    reader.stack(main, &dir, 0, &mut nodes)?;

    let mut view = ProfileView {
        path,
        ..ProfileView::default()
    };
    // Every repository's own package.mask applies (Portage), the main
    // repository's as part of its left-most node below.
    for repo in 0..index.repos().len() {
        if repo != main {
            reader.masks(repo, "profiles/package.mask", &mut view)?;
        }
    }
    for (repo, dir) in &nodes {
        let (repo, dir) = (*repo, dir.as_str());
        reader.make_defaults(repo, dir, &mut view)?;
        reader.masks(repo, &format!("{dir}/package.mask"), &mut view)?;
        for l in reader.lines(repo, &format!("{dir}/package.unmask"))? {
            if let Some(word) = l.words.first() {
                view.package_unmask.push(reader.atom(repo, &l, word)?);
            }
        }
        reader.flag_set(repo, &format!("{dir}/use.mask"), &mut view.use_mask)?;
        reader.flag_set(repo, &format!("{dir}/use.force"), &mut view.use_force)?;
        reader.atom_lines(repo, &format!("{dir}/package.use"), &mut view.package_use)?;
        reader.atom_lines(
            repo,
            &format!("{dir}/package.use.mask"),
            &mut view.package_use_mask,
        )?;
        reader.atom_lines(
            repo,
            &format!("{dir}/package.use.force"),
            &mut view.package_use_force,
        )?;
        reader.atom_lines(
            repo,
            &format!("{dir}/package.accept_keywords"),
            &mut view.package_accept_keywords,
        )?;
    }
    // Portage stacks USE_EXPAND variables across the profile like
    // incrementals (a child's PYTHON_TARGETS adds to its parent's).
    let expand_vars: Vec<String> = view
        .vars
        .get("USE_EXPAND")
        .map(|v| v.split_whitespace().map(str::to_owned).collect())
        .unwrap_or_default();
    for var in expand_vars {
        if let Some(tokens) = view.history.get(&var) {
            let mut set = BTreeSet::new();
            apply_incremental(&mut set, tokens);
            view.vars
                .insert(var, set.into_iter().collect::<Vec<_>>().join(" "));
        }
    }
    // USE_EXPAND variables become prefixed flags, USE_EXPAND_UNPREFIXED
    // ones (ARCH) plain flags.
    let words = |k: &str| -> Vec<String> {
        view.vars
            .get(k)
            .map(|v| v.split_whitespace().map(str::to_owned).collect())
            .unwrap_or_default()
    };
    let mut expanded = Vec::new();
    for var in words("USE_EXPAND") {
        let prefix = var.to_lowercase();
        expanded.extend(words(&var).into_iter().map(|v| format!("{prefix}_{v}")));
    }
    for var in words("USE_EXPAND_UNPREFIXED") {
        expanded.extend(words(&var));
    }
    view.use_tokens.extend(expanded);

    for repo in 0..index.repos().len() {
        for l in reader.lines(repo, "profiles/license_groups")? {
            let Some((name, members)) = l.words.split_first() else {
                continue;
            };
            view.license_groups.insert(name.clone(), members.to_vec());
        }
    }
    Ok(view)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn make_defaults_expands_and_joins_continuations() {
        let mut env = BTreeMap::new();
        env.insert("ARCH".to_owned(), "amd64".to_owned());
        let got = parse_make_defaults(
            "# c\nACCEPT_KEYWORDS=\"${ARCH}\"\nUSE=\"a \\\nb\"\nX=$ARCH-y\nY='$'\n",
            &env,
        );
        assert_eq!(
            got,
            [
                ("ACCEPT_KEYWORDS".to_owned(), "amd64".to_owned()),
                ("USE".to_owned(), "a  b".to_owned()),
                ("X".to_owned(), "amd64-y".to_owned()),
                ("Y".to_owned(), "$".to_owned()),
            ]
        );
        assert_eq!(normalize("profiles/a/b/../../c/./d"), "profiles/c/d");
    }
}
