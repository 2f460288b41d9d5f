//! `staves tree`: the locked dependency graph, and why each package is
//! there.

use std::collections::{BTreeMap, BTreeSet};

use crate::gentoo::atom::Atom;
use crate::lockfile::{LockedPackage, Lockfile};

use super::lock::{LockOutcome, relock};
use super::workspace::{self, IMPLICIT_TARGETS};
use super::{Context, Error, Reporter};

/// Options of [`tree`].
#[derive(Debug, Clone, Default)]
pub struct TreeOptions {
    /// Show what depends on this package (`category/package`) instead.
    pub invert: Option<String>,
    /// Include build dependencies (the builder's packages).
    pub builder: bool,
}

/// Resolves (relocking if needed, as `staves lock` would) and renders the
/// tree as text lines.
///
/// # Errors
/// Whatever [`super::lock::lock`] can fail with, and an unknown `--invert`
/// package.
pub fn tree(
    ctx: &Context,
    options: &TreeOptions,
    reporter: &dyn Reporter,
) -> Result<(LockOutcome, Vec<String>), Error> {
    let loaded = workspace::load_manifest(&ctx.manifest_path)?;
    let outcome = relock(ctx, &loaded.manifest, false, reporter)?;
    let mut roots: Vec<String> = loaded
        .manifest
        .packages
        .iter()
        .filter_map(|p| Atom::parse(p.get_ref()).ok().map(|a| a.name.to_string()))
        .collect();
    roots.extend(IMPLICIT_TARGETS.iter().map(|s| (*s).to_owned()));
    let lines = match &options.invert {
        Some(name) => {
            render_inverted(&outcome.lock, name, &roots).ok_or_else(|| Error::NotInManifest {
                name: name.clone(),
                path: ctx.lock_path(),
            })?
        }
        None => render(&outcome.lock, &roots, options.builder),
    };
    Ok((outcome, lines))
}

/// Renders the forest under `roots`, following image edges (and build
/// edges with `builder`). Repeated subtrees are shown once and marked `(*)`.
pub fn render(lock: &Lockfile, roots: &[String], builder: bool) -> Vec<String> {
    let by_name: BTreeMap<String, &LockedPackage> =
        lock.packages.iter().map(|p| (p.name.clone(), p)).collect();
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for root in roots {
        let Some(pkg) = lookup(&by_name, root) else {
            continue;
        };
        walk(
            &by_name,
            pkg,
            "",
            "",
            builder,
            &mut seen,
            &mut out,
            &BTreeSet::new(),
        );
    }
    if !builder {
        let n = lock.packages.iter().filter(|p| !p.role.in_image()).count();
        if n > 0 {
            out.push(format!(
                "({n} build-only packages not shown; use --builder)"
            ));
        }
    }
    out
}

fn lookup<'a>(
    by_name: &BTreeMap<String, &'a LockedPackage>,
    dep: &str,
) -> Option<&'a LockedPackage> {
    if let Some(p) = by_name.get(dep) {
        return Some(p);
    }
    // `name-version` edges (when several versions are locked).
    by_name.values().find(|p| p.cpv() == dep).copied()
}

#[allow(clippy::too_many_arguments)]
fn walk(
    by_name: &BTreeMap<String, &LockedPackage>,
    pkg: &LockedPackage,
    prefix: &str,
    child_prefix: &str,
    builder: bool,
    seen: &mut BTreeSet<String>,
    out: &mut Vec<String>,
    path: &BTreeSet<String>,
) {
    let id = pkg.cpv();
    let repeated = !seen.insert(id.clone());
    let mut line = format!("{prefix}{id} ({})", pkg.role.as_str());
    if repeated {
        line.push_str(" (*)");
        out.push(line);
        return;
    }
    out.push(line);
    let children: Vec<(&str, String)> = pkg
        .dependencies
        .iter()
        .filter(|(_, classes)| builder || classes.iter().any(|c| c == "rdepend" || c == "pdepend"))
        .map(|(dep, classes)| {
            (
                dep.as_str(),
                classes.iter().cloned().collect::<Vec<_>>().join(", "),
            )
        })
        .collect();
    let mut path = path.clone();
    path.insert(id);
    for (i, (dep, classes)) in children.iter().enumerate() {
        let Some(child) = lookup(by_name, dep) else {
            continue;
        };
        if path.contains(&child.cpv()) {
            continue;
        }
        let last = i + 1 == children.len();
        let (branch, cont) = if last {
            ("└── ", "    ")
        } else {
            ("├── ", "│   ")
        };
        let mut sub = Vec::new();
        walk(
            by_name,
            child,
            &format!("{child_prefix}{branch}"),
            &format!("{child_prefix}{cont}"),
            builder,
            seen,
            &mut sub,
            &path,
        );
        if let Some(first) = sub.first_mut() {
            first.push_str(&format!(" [{classes}]"));
        }
        out.extend(sub);
    }
}

/// Every chain from a root down to `name`: why the package is there.
pub fn render_inverted(lock: &Lockfile, name: &str, roots: &[String]) -> Option<Vec<String>> {
    let target = lock
        .packages
        .iter()
        .find(|p| p.name == name || p.cpv() == name)?;
    let mut parents: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for p in &lock.packages {
        for (dep, classes) in &p.dependencies {
            let classes = classes.iter().cloned().collect::<Vec<_>>().join(", ");
            let dep_id = lock
                .packages
                .iter()
                .find(|q| &q.name == dep || &q.cpv() == dep)
                .map(LockedPackage::cpv)
                .unwrap_or_else(|| dep.clone());
            parents.entry(dep_id).or_default().push((p.cpv(), classes));
        }
    }
    let mut out = vec![format!("{} ({})", target.cpv(), target.role.as_str())];
    let root_ids: BTreeSet<String> = lock
        .packages
        .iter()
        .filter(|p| roots.iter().any(|r| r == &p.name))
        .map(LockedPackage::cpv)
        .collect();
    if root_ids.contains(&target.cpv()) {
        out.push("└── requested in staves.toml".to_owned());
    }
    let mut seen = BTreeSet::new();
    up(&parents, &root_ids, &target.cpv(), "", &mut seen, &mut out);
    Some(out)
}

fn up(
    parents: &BTreeMap<String, Vec<(String, String)>>,
    roots: &BTreeSet<String>,
    id: &str,
    prefix: &str,
    seen: &mut BTreeSet<String>,
    out: &mut Vec<String>,
) {
    let Some(ps) = parents.get(id) else { return };
    for (i, (parent, classes)) in ps.iter().enumerate() {
        let last = i + 1 == ps.len();
        let (branch, cont) = if last {
            ("└── ", "    ")
        } else {
            ("├── ", "│   ")
        };
        let mark = if roots.contains(parent) {
            " (requested)"
        } else {
            ""
        };
        if !seen.insert(parent.clone()) {
            out.push(format!("{prefix}{branch}{parent} [{classes}]{mark} (*)"));
            continue;
        }
        out.push(format!("{prefix}{branch}{parent} [{classes}]{mark}"));
        up(
            parents,
            roots,
            parent,
            &format!("{prefix}{cont}"),
            seen,
            out,
        );
    }
}
