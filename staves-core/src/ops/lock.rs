//! `staves lock` and `staves update`: resolve the manifest and write
//! `staves.lock` (only when its content changes).

use std::collections::BTreeMap;

use crate::gentoo::atom::Atom;
use crate::gentoo::name::PackageName;
use crate::gentoo::version::Version;

use crate::lockfile::{self, Lockfile};
use crate::manifest::Manifest;
use crate::resolve::Resolution;
use crate::sources::{RepoSpec, Snapshot};
use crate::util::fs::write_atomic;

use super::workspace::{self, Refresh};
use super::{Context, Error, Reporter};

/// Options of [`lock`].
#[derive(Debug, Clone, Default)]
pub struct LockOptions {
    /// Move every repository to the newest commit of its branch/tag
    /// (`staves update`) instead of keeping the commits the lock pins.
    pub update: bool,
    /// With `update`: only these packages (`category/name`) may change
    /// version; every other package keeps its locked version while it still
    /// fits (`staves update ATOM...`). Empty: everything may move.
    pub only: Vec<String>,
}

/// One line of the change summary.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum PackageChange {
    /// A package that was not in the lock.
    Added {
        /// `category/package`.
        name: String,
        /// Its version.
        version: String,
    },
    /// A package that left the lock.
    Removed {
        /// `category/package`.
        name: String,
        /// Its version.
        version: String,
    },
    /// A package whose version changed.
    Updated {
        /// `category/package`.
        name: String,
        /// The version in the old lock.
        from: String,
        /// The version now.
        to: String,
    },
}

/// What [`lock`] did.
#[derive(Debug, Clone)]
pub struct LockOutcome {
    /// The new lock.
    pub lock: Lockfile,
    /// The resolution it came from.
    pub resolution: Resolution,
    /// Whether the file was (re)written.
    pub written: bool,
    /// Package changes against the previous lock (empty when there was none).
    pub changes: Vec<PackageChange>,
    /// Whether there was a lock before.
    pub had_lock: bool,
    /// How the locked builder changed (`None`: it did not).
    pub builder_change: Option<super::builders::BuilderChange>,
}

/// Resolves the manifest and writes `staves.lock` when it changed.
///
/// # Errors
/// A manifest, repository or resolution error; under `--locked`, a lock that
/// is missing or would change.
pub fn lock(
    ctx: &Context,
    options: &LockOptions,
    reporter: &dyn Reporter,
) -> Result<LockOutcome, Error> {
    let loaded = workspace::load_manifest(&ctx.manifest_path)?;
    let (outcome, text) = prepare_opts(ctx, &loaded.manifest, options, reporter)?;
    write_lock(ctx, outcome, text)
}

/// Resolves `manifest` (possibly edited, not yet written) and writes the lock.
pub(crate) fn relock(
    ctx: &Context,
    manifest: &Manifest,
    update: bool,
    reporter: &dyn Reporter,
) -> Result<LockOutcome, Error> {
    let (outcome, text) = prepare(ctx, manifest, update, reporter)?;
    write_lock(ctx, outcome, text)
}

/// Writes the lock text [`prepare`] returned, when there is one.
fn write_lock(
    ctx: &Context,
    outcome: LockOutcome,
    text: Option<String>,
) -> Result<LockOutcome, Error> {
    if let Some(text) = text {
        let path = ctx.lock_path();
        write_atomic(&path, text.as_bytes()).map_err(|e| Error::io("write", &path, e))?;
        return Ok(LockOutcome {
            written: true,
            ..outcome
        });
    }
    Ok(outcome)
}

/// Resolves and compares with the current lock; returns the text to write
/// when it changed (and `--locked` allows it), without writing it.
pub(crate) fn prepare(
    ctx: &Context,
    manifest: &Manifest,
    update: bool,
    reporter: &dyn Reporter,
) -> Result<(LockOutcome, Option<String>), Error> {
    let options = LockOptions {
        update,
        only: Vec::new(),
    };
    prepare_opts(ctx, manifest, &options, reporter)
}

/// [`prepare`] with every [`LockOptions`].
fn prepare_opts(
    ctx: &Context,
    manifest: &Manifest,
    options: &LockOptions,
    reporter: &dyn Reporter,
) -> Result<(LockOutcome, Option<String>), Error> {
    let update = options.update;
    let old = workspace::read_lock(&ctx.lock_path())?;
    if ctx.locked && old.is_none() {
        return Err(Error::LockMissing {
            path: ctx.lock_path(),
        });
    }
    let refresh = if update {
        Refresh::All
    } else {
        Refresh::Pinned
    };
    let repos = workspace::open_repositories(ctx, manifest, old.as_ref(), &refresh, reporter)?;
    let keep = match &old {
        Some(old) if update && !options.only.is_empty() => kept_versions(ctx, old, &options.only)?,
        _ => BTreeMap::new(),
    };
    // `staves update ATOM...` moves only those packages, not the builder.
    let builder_update = update && options.only.is_empty();
    finish(
        ctx,
        manifest,
        &repos,
        old.as_ref(),
        &keep,
        builder_update,
        reporter,
    )
}

/// The locked version of every package except those in `only` (which must
/// be in the lock).
fn kept_versions(
    ctx: &Context,
    old: &Lockfile,
    only: &[String],
) -> Result<BTreeMap<PackageName, Version>, Error> {
    let mut names = Vec::new();
    for input in only {
        let name = match Atom::parse(input) {
            Ok(atom) => atom.name,
            Err(_) => input
                .parse::<PackageName>()
                .map_err(|e| Error::InvalidAtom {
                    input: input.clone(),
                    message: e.message,
                })?,
        };
        if !old.packages.iter().any(|p| p.name == name.to_string()) {
            return Err(Error::NotLocked {
                name: name.to_string(),
                path: ctx.lock_path(),
            });
        }
        names.push(name);
    }
    let mut keep = BTreeMap::new();
    for p in &old.packages {
        let (Ok(name), Ok(version)) = (p.name.parse::<PackageName>(), p.version.parse::<Version>())
        else {
            continue;
        };
        if !names.contains(&name) {
            keep.insert(name, version);
        }
    }
    Ok(keep)
}

/// [`prepare`] against repositories that are already open.
pub(crate) fn prepare_with(
    ctx: &Context,
    manifest: &Manifest,
    repos: &[(RepoSpec, Snapshot)],
    old: Option<&Lockfile>,
    reporter: &dyn Reporter,
) -> Result<(LockOutcome, Option<String>), Error> {
    finish(ctx, manifest, repos, old, &BTreeMap::new(), false, reporter)
}

/// Resolves (keeping `keep` versions where they fit, and the locked builder
/// unless `builder_update`), compares with the old lock and enforces
/// `--locked`.
fn finish(
    ctx: &Context,
    manifest: &Manifest,
    repos: &[(RepoSpec, Snapshot)],
    old: Option<&Lockfile>,
    keep: &BTreeMap<PackageName, Version>,
    builder_update: bool,
    reporter: &dyn Reporter,
) -> Result<(LockOutcome, Option<String>), Error> {
    let lock_path = ctx.lock_path();
    if ctx.locked && old.is_none() {
        return Err(Error::LockMissing { path: lock_path });
    }
    let resolution = workspace::resolve_manifest(manifest, repos, keep, reporter)?;
    let mut new = workspace::to_lockfile(manifest, &ctx.manifest_path, repos, &resolution);
    new.plugins = super::plugins::pin_all(ctx, manifest, old)?;
    new.builder = super::builders::lock_builder(ctx, manifest, old, builder_update)?;
    let text = lockfile::to_toml(&new);
    let old_text = fs_err::read_to_string(&lock_path).ok();
    let changed = old_text.as_deref() != Some(text.as_str());
    let changes = old.map(|o| diff(o, &new)).unwrap_or_default();
    let builder_change =
        super::builders::builder_change(old.and_then(|o| o.builder.as_ref()), new.builder.as_ref());
    if changed && ctx.locked {
        let reason = match old {
            Some(o) if o.manifest_checksum != new.manifest_checksum => {
                "staves.toml changed since the lock was written".to_owned()
            }
            _ if !changes.is_empty() => format!("{} package(s) would change", changes.len()),
            _ if builder_change.is_some() => "the locked builder would change".to_owned(),
            _ => "the lock's content would change".to_owned(),
        };
        return Err(Error::LockOutdated {
            path: lock_path,
            reason,
        });
    }
    let outcome = LockOutcome {
        lock: new,
        resolution,
        written: false,
        changes,
        had_lock: old.is_some(),
        builder_change,
    };
    Ok((outcome, changed.then_some(text)))
}

/// Package-level differences between two locks, sorted by name.
pub fn diff(old: &Lockfile, new: &Lockfile) -> Vec<PackageChange> {
    let index = |l: &Lockfile| {
        let mut m: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
        for p in &l.packages {
            m.entry((p.name.clone(), p.slot.clone()))
                .or_default()
                .push(p.version.clone());
        }
        m
    };
    let (before, after) = (index(old), index(new));
    let mut changes = Vec::new();
    for ((name, slot), versions) in &after {
        match before.get(&(name.clone(), slot.clone())) {
            None => changes.extend(versions.iter().map(|v| PackageChange::Added {
                name: name.clone(),
                version: v.clone(),
            })),
            Some(old_versions) if old_versions != versions => {
                changes.push(PackageChange::Updated {
                    name: name.clone(),
                    from: old_versions.join(", "),
                    to: versions.join(", "),
                });
            }
            Some(_) => {}
        }
    }
    for ((name, slot), versions) in &before {
        if !after.contains_key(&(name.clone(), slot.clone())) {
            changes.extend(versions.iter().map(|v| PackageChange::Removed {
                name: name.clone(),
                version: v.clone(),
            }));
        }
    }
    changes.sort_by(|a, b| change_name(a).cmp(change_name(b)));
    changes
}

fn change_name(c: &PackageChange) -> &str {
    match c {
        PackageChange::Added { name, .. }
        | PackageChange::Removed { name, .. }
        | PackageChange::Updated { name, .. } => name,
    }
}
