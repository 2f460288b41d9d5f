//! Shared steps of the project operations: finding and loading the
//! manifest, opening the repositories it names (pinned by the lock, or at
//! their newest commits) and turning a resolution into a lock.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::gentoo::atom::Atom;
use crate::gentoo::name::PackageName;
use crate::gentoo::version::Version;
use crate::lockfile::{self, LockedPackage, LockedRepository, Lockfile, Role};
use crate::manifest::{GitRef, Manifest, RepositoryKind};
use crate::resolve::{self, PackageSettings, RepoInput, Resolution, ResolveRequest};
use crate::sources::{self, FetchMode, GitReference, RepoLocation, RepoSpec, Snapshot};

use super::{Context, Error, Reporter};

/// The nearest `staves.toml` in `dir` or its parents.
///
/// # Errors
/// [`Error::ManifestNotFound`] when there is none.
pub fn find_manifest(dir: &Path) -> Result<PathBuf, Error> {
    let mut current = Some(dir);
    while let Some(d) = current {
        let candidate = d.join("staves.toml");
        if candidate.is_file() {
            return Ok(candidate);
        }
        current = d.parent();
    }
    Err(Error::ManifestNotFound {
        dir: dir.to_owned(),
    })
}

/// A loaded manifest with the text it came from.
pub(crate) struct Loaded {
    pub(crate) text: String,
    pub(crate) manifest: Manifest,
}

/// Reads and validates the manifest.
pub(crate) fn load_manifest(path: &Path) -> Result<Loaded, Error> {
    let bytes = fs_err::read(path).map_err(|e| Error::io("read", path, e))?;
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let manifest = Manifest::from_bytes_at(&bytes, path)
        .map_err(|e| Error::manifest(e, Some(text.clone())))?;
    Ok(Loaded { text, manifest })
}

/// Parses manifest text that an operation produced (after an edit).
pub(crate) fn parse_manifest(text: &str, path: &Path) -> Result<Manifest, Error> {
    Manifest::from_str_at(text, path).map_err(|e| Error::manifest(e, Some(text.to_owned())))
}

/// Reads the existing lock, if there is one.
pub(crate) fn read_lock(path: &Path) -> Result<Option<Lockfile>, Error> {
    match fs_err::read_to_string(path) {
        Ok(text) => Ok(Some(lockfile::parse(&text, path)?)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io("read", path, e)),
    }
}

/// The repository specs of a manifest, with local paths made absolute
/// (relative to the manifest's directory).
pub(crate) fn repo_specs(manifest: &Manifest, manifest_path: &Path) -> Vec<RepoSpec> {
    let base = manifest_path.parent().unwrap_or(Path::new("."));
    manifest
        .repositories
        .iter()
        .map(|r| {
            let location = match r.kind {
                RepositoryKind::Git => RepoLocation::Git {
                    uri: r.uri.clone().unwrap_or_default(),
                    reference: match r.git_ref() {
                        GitRef::DefaultBranch => GitReference::DefaultBranch,
                        GitRef::Branch(b) => GitReference::Branch(b.to_owned()),
                        GitRef::Tag(t) => GitReference::Tag(t.to_owned()),
                        GitRef::Rev(v) => GitReference::Rev(v.to_owned()),
                    },
                },
                RepositoryKind::Local => RepoLocation::Local {
                    path: base.join(r.path.clone().unwrap_or_default()),
                },
            };
            RepoSpec {
                name: r.name.get_ref().clone(),
                location,
            }
        })
        .collect()
}

/// How a spec is written in the lock's `source`; a change of it unpins the
/// repository.
pub(crate) fn source_string(spec: &RepoSpec, manifest_path: &Path) -> String {
    match &spec.location {
        RepoLocation::Git { uri, reference } => match reference {
            GitReference::DefaultBranch => format!("git+{uri}"),
            GitReference::Branch(b) => format!("git+{uri}?branch={b}"),
            GitReference::Tag(t) => format!("git+{uri}?tag={t}"),
            GitReference::Rev(r) => format!("git+{uri}?rev={r}"),
        },
        RepoLocation::Local { path } => {
            // Portable: relative to the manifest, as written.
            let base = manifest_path.parent().unwrap_or(Path::new("."));
            let shown = path.strip_prefix(base).unwrap_or(path);
            format!("local+{}", shown.display())
        }
    }
}

/// Which repositories move to their newest commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refresh {
    /// Keep every commit the lock pins (fetch only what is not pinned).
    Pinned,
    /// Move every repository to its newest commit.
    All,
}

/// Opens every repository of the manifest: at the commit the lock pins when
/// the lock has the same source and `refresh` allows it, else at the newest
/// commit of its reference.
pub(crate) fn open_repositories(
    ctx: &Context,
    manifest: &Manifest,
    lock: Option<&Lockfile>,
    refresh: &Refresh,
    reporter: &dyn Reporter,
) -> Result<Vec<(RepoSpec, Snapshot)>, Error> {
    if manifest.repositories.is_empty() {
        return Err(Error::NoRepositories {
            path: ctx.manifest_path.clone(),
        });
    }
    let mode = if ctx.offline {
        FetchMode::Offline
    } else {
        FetchMode::Online
    };
    let mut out = Vec::new();
    for spec in repo_specs(manifest, &ctx.manifest_path) {
        let source = source_string(&spec, &ctx.manifest_path);
        reporter.fetching(&spec.name, &source);
        let pinned = lock
            .filter(|_| *refresh == Refresh::Pinned)
            .and_then(|l| {
                l.repositories
                    .iter()
                    .find(|r| r.name == spec.name && r.source == source)
            })
            .and_then(|r| r.commit.clone());
        let snapshot = match pinned {
            Some(commit) => sources::fetch_pinned(&spec, &commit, &ctx.cache_dir, mode)?,
            None => sources::fetch_latest(&spec, &ctx.cache_dir, mode)?,
        };
        sources::require_md5_cache(&snapshot)?;
        out.push((spec, snapshot));
    }
    Ok(out)
}

/// The resolver's view of the opened repositories.
pub(crate) fn repo_inputs(repos: &[(RepoSpec, Snapshot)]) -> Vec<RepoInput> {
    repos
        .iter()
        .map(|(spec, snap)| RepoInput {
            name: spec.name.clone(),
            files: snap.files.clone(),
        })
        .collect()
}

/// Atoms that every image gets although no ebuild depends on them.
pub(crate) const IMPLICIT_TARGETS: &[&str] = &["virtual/libc"];

/// Builds the resolver request from the manifest.
pub(crate) fn resolve_request(
    manifest: &Manifest,
    repos: &[(RepoSpec, Snapshot)],
    keep: &BTreeMap<PackageName, Version>,
) -> Result<ResolveRequest, Error> {
    let parse = |text: &str| {
        Atom::parse(text).map_err(|e| Error::InvalidAtom {
            input: text.to_owned(),
            message: e.message,
        })
    };
    let mut targets = Vec::new();
    for p in &manifest.packages {
        targets.push(parse(p.get_ref())?);
    }
    for implicit in IMPLICIT_TARGETS {
        targets.push(parse(implicit)?);
    }
    let mut package_settings = Vec::new();
    for (key, config) in &manifest.package {
        // The named environments' variables, as `staves build` writes them
        // to /etc/portage/env/ (validation guarantees every name exists).
        let env = config
            .env
            .iter()
            .map(|name| resolve::NamedEnv {
                name: name.get_ref().clone(),
                vars: manifest
                    .env
                    .named
                    .get(name.get_ref())
                    .cloned()
                    .unwrap_or_default(),
            })
            .collect();
        package_settings.push(PackageSettings {
            atom: parse(key.get_ref())?,
            use_flags: config
                .use_flags
                .iter()
                .map(|f| f.get_ref().clone())
                .collect(),
            keywords: config
                .keywords
                .iter()
                .map(|k| k.get_ref().clone())
                .collect(),
            env,
        });
    }
    Ok(ResolveRequest {
        repos: repo_inputs(repos),
        main_repo: repos
            .first()
            .map(|(s, _)| s.name.clone())
            .unwrap_or_default(),
        profile: manifest.profile.as_ref().map(|p| p.get_ref().clone()),
        make_conf: manifest.env.vars.clone(),
        package_settings,
        targets,
        preferred: keep.clone(),
    })
}

/// Turns a resolution into the lock model.
pub(crate) fn to_lockfile(
    manifest: &Manifest,
    manifest_path: &Path,
    repos: &[(RepoSpec, Snapshot)],
    resolution: &Resolution,
) -> Lockfile {
    let repositories = repos
        .iter()
        .map(|(spec, snap)| LockedRepository {
            name: spec.name.clone(),
            source: source_string(spec, manifest_path),
            commit: snap.commit.clone(),
            commit_time: snap.commit_time,
        })
        .collect();
    // Edges name the target by `category/package`, plus the version when
    // the lock holds several versions of that name.
    let mut versions_of: BTreeMap<String, usize> = BTreeMap::new();
    for p in &resolution.packages {
        *versions_of.entry(p.cpv.name.to_string()).or_default() += 1;
    }
    let packages = resolution
        .packages
        .iter()
        .map(|p| {
            let mut deps: BTreeMap<String, lockfile::DepClassSet> = BTreeMap::new();
            for edge in &p.deps {
                let name = edge.target.name.to_string();
                let key = if versions_of.get(&name).copied().unwrap_or(0) > 1 {
                    edge.target.to_string()
                } else {
                    name
                };
                deps.entry(key)
                    .or_default()
                    .insert(edge.class.key().to_ascii_lowercase());
            }
            let use_flags = p
                .iuse
                .iter()
                .map(|f| {
                    if p.use_enabled.contains(f) {
                        f.clone()
                    } else {
                        format!("-{f}")
                    }
                })
                .collect();
            LockedPackage {
                name: p.cpv.name.to_string(),
                version: p.cpv.version.to_string(),
                slot: p.slot.clone(),
                subslot: p.subslot.clone(),
                repository: p.repo.clone(),
                role: match (p.in_image, p.in_builder) {
                    (true, true) => Role::Both,
                    (true, false) => Role::Image,
                    _ => Role::Builder,
                },
                use_flags,
                ebuild: p.md5.as_ref().map(|m| format!("md5:{m}")),
                dependencies: deps.into_iter().collect(),
            }
        })
        .collect();
    Lockfile {
        manifest_checksum: manifest.resolution_checksum(),
        profile: resolution.profile.clone(),
        builder: None,
        repositories,
        // Pinned by `ops::lock` (hashing can fail; this cannot).
        plugins: Vec::new(),
        packages,
    }
}

/// Resolves the manifest against opened repositories.
pub(crate) fn resolve_manifest(
    manifest: &Manifest,
    repos: &[(RepoSpec, Snapshot)],
    keep: &BTreeMap<PackageName, Version>,
    reporter: &dyn Reporter,
) -> Result<Resolution, Error> {
    let request = resolve_request(manifest, repos, keep)?;
    reporter.resolving();
    Ok(resolve::resolve(&request)?)
}
