//! `staves publish`: build a builder project, prove the new builder builds
//! an image, push it to `<index oci>/<name>:<version>` and append its line
//! to the registry index.
//!
//! The order matters and is the same as Cargo's: everything that can be
//! checked is checked before anything is written anywhere (the project is a
//! builder, the working tree is clean unless `allow_dirty`, the version is
//! not in the index yet, the builder builds, a smoke image builds with it,
//! the index entry is valid). Then the image is pushed, and only when the
//! registry accepted it is the index line written (for a git index: one
//! commit, pushed). A failed push therefore never leaves an index line
//! pointing at an image that is not there. `dry_run` stops before the push.
//!
//! The smoke image is a throw-away project next to the build's scratch
//! space: the builder project's repositories and profile, no packages
//! beyond the implicit `virtual/libc`, built with the new builder.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use registry_index::{BaseRef, Index, IndexEntry, IndexError, SCHEMA_VERSION, same_version};

use super::build::{
    self, BUILDER_LABEL_PREFIX, BuildError, BuildOptions, BuildReporter, OutputTarget,
};
use super::builders::{BuilderIndexError, IndexChoice};
use super::{Context, workspace};
use crate::builder::Engine;
use crate::manifest::{Manifest, ProjectKind, RepositoryKind};

/// Options of [`publish`].
#[derive(Debug, Clone, Default)]
pub struct PublishOptions {
    /// `--index`: the index location (else `STAVES_INDEX`, else the shipped
    /// index, which cannot be written).
    pub index: Option<String>,
    /// Do everything except the push and the index write.
    pub dry_run: bool,
    /// Publish even when the project's git working tree has changes.
    pub allow_dirty: bool,
    /// How to build (builder image override, jobs, verbosity, interrupt,
    /// `SOURCE_DATE_EPOCH`). Tag, outputs, load and push are set by publish.
    pub build: BuildOptions,
}

/// What [`publish`] did.
#[derive(Debug, Clone)]
pub struct PublishOutcome {
    /// The index entry (written unless `dry_run`).
    pub entry: IndexEntry,
    /// The index, as named in messages.
    pub index: String,
    /// Where the image went (or would go): `<oci>/<name>:<version>`.
    pub image: String,
    /// The builder image's manifest digest.
    pub digest: String,
    /// The smoke image's manifest digest.
    pub smoke_digest: String,
    /// Whether this was a dry run (nothing pushed or written).
    pub dry_run: bool,
}

/// Why [`publish`] failed.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// The project, its lock or its repositories.
    #[error(transparent)]
    Project(#[from] super::Error),
    /// The manifest is not a builder project.
    #[error("`{}` is not a builder project; only builders are published", .path.display())]
    NotABuilder {
        /// The manifest.
        path: PathBuf,
    },
    /// The git working tree has uncommitted changes.
    #[error("{} file(s) in the working tree of `{}` have uncommitted changes: {}", .files.len(), .dir.display(), .files.join(", "))]
    Dirty {
        /// The project directory.
        dir: PathBuf,
        /// The changed files, relative to the repository.
        files: Vec<String>,
    },
    /// The version is already in the index.
    #[error("{name} {version} is already in {index}")]
    VersionExists {
        /// The builder.
        name: String,
        /// The version.
        version: String,
        /// The index.
        index: String,
    },
    /// The index could not be opened, read or written.
    #[error(transparent)]
    Index(#[from] BuilderIndexError),
    /// Building the builder failed.
    #[error(transparent)]
    Build(BuildError),
    /// The smoke image could not be built with the new builder.
    #[error("the new builder could not build a smoke image ({packages}): {source}")]
    Smoke {
        /// What the smoke image asked for.
        packages: String,
        /// Why.
        #[source]
        source: Box<BuildError>,
    },
    /// Pushing the builder image failed (nothing was written to the index).
    #[error("pushing the builder image to {image} failed; the index was not changed: {source}")]
    Push {
        /// The target reference.
        image: String,
        /// Why.
        #[source]
        source: Box<BuildError>,
    },
    /// The built image lacks a label publish needs.
    #[error("the built builder image has no `{label}` label")]
    MissingLabel {
        /// The label.
        label: String,
    },
    /// The entry would not be a valid index line.
    #[error("the index entry for {name} {version} is not valid: {message}")]
    InvalidEntry {
        /// The builder.
        name: String,
        /// The version.
        version: String,
        /// What is wrong.
        message: String,
    },
    /// A file could not be written.
    #[error("cannot write `{}`: {source}", .path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

impl PublishError {
    /// What the user can do about it.
    pub fn help(&self) -> Vec<String> {
        match self {
            PublishError::NotABuilder { .. } => vec![
                "add kind = \"builder\" (with a semver `version`) to staves.toml, or build images with `staves build`".into(),
            ],
            PublishError::Dirty { .. } => {
                vec!["commit the changes, or pass --allow-dirty to publish anyway".into()]
            }
            PublishError::VersionExists { .. } => vec![
                "versions are immutable: raise `version` in staves.toml (yank the old one with `staves yank` if it is broken)".into(),
            ],
            PublishError::Index(e) => e.help(),
            PublishError::Push { .. } => vec![
                "log in with `docker login <registry>` (credentials come from ~/.docker/config.json and its credential helpers), then publish again".into(),
            ],
            _ => Vec::new(),
        }
    }
}

/// Publishes the builder project of `ctx` (see the module documentation).
///
/// # Errors
/// Any [`PublishError`]; nothing is pushed or written unless every check
/// and build before it succeeded.
pub fn publish(
    ctx: &Context,
    options: &PublishOptions,
    reporter: &dyn BuildReporter,
) -> Result<PublishOutcome, PublishError> {
    let manifest = workspace::load_manifest(&ctx.manifest_path)?.manifest;
    if manifest.project_kind() != ProjectKind::Builder {
        return Err(PublishError::NotABuilder {
            path: ctx.manifest_path.clone(),
        });
    }
    let name = manifest.name.get_ref().clone();
    let version_text = manifest
        .version
        .as_ref()
        .map(|v| v.get_ref().clone())
        .unwrap_or_default();
    // Validation guarantees a semver version for builders.
    let version =
        semver::Version::parse(&version_text).map_err(|e| PublishError::InvalidEntry {
            name: name.clone(),
            version: version_text.clone(),
            message: e.to_string(),
        })?;
    let project_dir = ctx
        .manifest_path
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_owned);
    if !options.allow_dirty {
        check_clean(&project_dir)?;
    }

    // The index: where images go, and whether the version is free.
    let choice = IndexChoice::from_env_or(options.index.as_deref());
    let index_name = choice.describe();
    let index = choice.open(&ctx.cache_dir, ctx.offline)?;
    reporter.status("Checking", &format!("{name} {version} in {index_name}"));
    let index_err = |e: IndexError| PublishError::Index(BuilderIndexError::Index(e));
    let config = index.config().map_err(index_err)?;
    if index
        .versions(&name)
        .map_err(index_err)?
        .iter()
        .any(|e| same_version(&e.vers, &version))
    {
        return Err(PublishError::VersionExists {
            name,
            version: version.to_string(),
            index: index_name,
        });
    }
    let image = format!("{}/{name}:{version}", config.oci);

    // The builder's own build, tagged with its version: loaded into the
    // engine to verify it, later pushed.
    let build_builder = |load: bool, push: Option<String>| {
        build::build(
            ctx,
            &BuildOptions {
                tag: Some(version.to_string()),
                load,
                outputs: Vec::new(),
                push,
                ..options.build.clone()
            },
            reporter,
        )
    };

    // Verify: build the builder (loaded into the engine), then a smoke image with it.
    let built = build_builder(true, None).map_err(PublishError::Build)?;
    let local = built.reference.familiar();
    let engine = Engine::connect()
        .map_err(|e| PublishError::Build(BuildError::from(e)))?
        .with_interrupt(options.build.interrupt.clone());
    let info = engine
        .inspect_image(&local)
        .map_err(|e| PublishError::Build(BuildError::from(e)))?
        .ok_or_else(|| PublishError::MissingLabel {
            label: format!("(the image {local} is not in the engine)"),
        })?;
    let smoke_digest = smoke(
        ctx,
        &manifest,
        &built.lock.lock.profile,
        &local,
        options,
        reporter,
    )?;

    // The entry, checked before anything is pushed.
    let label = |key: &str| -> Result<String, PublishError> {
        let full = format!("{BUILDER_LABEL_PREFIX}{key}");
        info.labels
            .get(&full)
            .cloned()
            .ok_or(PublishError::MissingLabel { label: full })
    };
    let base = match (
        info.labels.get(&format!("{BUILDER_LABEL_PREFIX}base.name")),
        info.labels
            .get(&format!("{BUILDER_LABEL_PREFIX}base.version")),
    ) {
        (Some(base_name), Some(base_version)) => {
            semver::Version::parse(base_version)
                .ok()
                .map(|vers| BaseRef {
                    name: base_name.clone(),
                    vers,
                })
        }
        _ => None,
    };
    let mut entry = IndexEntry {
        v: SCHEMA_VERSION,
        name: name.clone(),
        vers: version.clone(),
        images: BTreeMap::from([(info.platform.clone(), built.digest.to_string())]),
        arch: label("arch")?,
        libc: label("libc")?,
        profile: label("profile")?,
        base,
        portage: label("portage")?,
        packages: built.lock.lock.packages.iter().map(|p| p.cpv()).collect(),
        yanked: false,
        summary: manifest.description.clone(),
    };
    entry
        .validate()
        .map_err(|message| PublishError::InvalidEntry {
            name: name.clone(),
            version: version.to_string(),
            message,
        })?;
    if options.dry_run {
        return Ok(PublishOutcome {
            entry,
            index: index_name,
            image,
            digest: built.digest.to_string(),
            smoke_digest,
            dry_run: true,
        });
    }

    // Push (the same build again: a cache hit, delivered to the registry).
    reporter.status("Publishing", &format!("{image} to the registry"));
    let pushed =
        build_builder(false, Some(image.clone())).map_err(|source| PublishError::Push {
            image: image.clone(),
            source: Box::new(source),
        })?;
    let digest = pushed.delivered.pushed.as_ref().map_or_else(
        || pushed.digest.to_string(),
        |(_, r)| r.manifest_digest.to_string(),
    );
    entry.images = BTreeMap::from([(info.platform.clone(), digest.clone())]);

    reporter.status("Indexing", &format!("{name} {version} in {index_name}"));
    write_entry(index.as_ref(), &entry)?;
    Ok(PublishOutcome {
        entry,
        index: index_name,
        image,
        digest,
        smoke_digest,
        dry_run: false,
    })
}

fn write_entry(index: &dyn Index, entry: &IndexEntry) -> Result<(), PublishError> {
    match index.publish(entry) {
        Ok(()) => Ok(()),
        Err(IndexError::VersionExists { .. }) => Err(PublishError::VersionExists {
            name: entry.name.clone(),
            version: entry.vers.to_string(),
            index: index.location(),
        }),
        Err(e) => Err(PublishError::Index(BuilderIndexError::Index(e))),
    }
}

/// Refuses a project whose git working tree has changes (no git: fine).
fn check_clean(project_dir: &Path) -> Result<(), PublishError> {
    let Ok(repo) = git2::Repository::discover(project_dir) else {
        return Ok(());
    };
    let Some(workdir) = repo.workdir().and_then(|w| w.canonicalize().ok()) else {
        return Ok(());
    };
    let dir = project_dir
        .canonicalize()
        .unwrap_or_else(|_| project_dir.to_owned());
    let prefix = dir.strip_prefix(&workdir).unwrap_or(Path::new(""));
    let mut status_options = git2::StatusOptions::new();
    status_options
        .include_untracked(true)
        .recurse_untracked_dirs(true)
        .include_ignored(false);
    let Ok(statuses) = repo.statuses(Some(&mut status_options)) else {
        return Ok(());
    };
    let files: Vec<String> = statuses
        .iter()
        .filter(|s| s.status() != git2::Status::CURRENT)
        .filter_map(|s| s.path().ok().map(str::to_owned))
        .filter(|p| Path::new(p).starts_with(prefix))
        .collect();
    if files.is_empty() {
        Ok(())
    } else {
        Err(PublishError::Dirty { dir, files })
    }
}

/// Builds a throw-away image project with the new builder `builder` (by its
/// local reference): the builder project's repositories and profile, only
/// the implicit `virtual/libc`. Returns the image's manifest digest.
fn smoke(
    ctx: &Context,
    manifest: &Manifest,
    profile: &str,
    builder: &str,
    options: &PublishOptions,
    reporter: &dyn BuildReporter,
) -> Result<String, PublishError> {
    let project_dir = ctx
        .manifest_path
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_owned);
    let scratch = tempfile::Builder::new()
        .prefix("publish-smoke-")
        .tempdir_in(ctx.cache_dir.join("builds"))
        .or_else(|_| tempfile::tempdir())
        .map_err(|source| PublishError::Io {
            path: ctx.cache_dir.join("builds"),
            source,
        })?;
    let text = smoke_manifest(manifest, profile, &project_dir);
    let path = scratch.path().join("staves.toml");
    fs_err::write(&path, text).map_err(|source| PublishError::Io {
        path: path.clone(),
        source,
    })?;
    reporter.status(
        "Verifying",
        &format!("the new builder by building virtual/libc with {builder}"),
    );
    let smoke_ctx = Context {
        manifest_path: path,
        cache_dir: ctx.cache_dir.clone(),
        offline: ctx.offline,
        locked: false,
    };
    let oci = scratch.path().join("oci");
    let outcome = build::build(
        &smoke_ctx,
        &BuildOptions {
            tag: Some("smoke".to_owned()),
            load: false,
            outputs: vec![OutputTarget::Oci(oci)],
            push: None,
            builder_image: Some(builder.to_owned()),
            ..options.build.clone()
        },
        reporter,
    )
    .map_err(|source| PublishError::Smoke {
        packages: "virtual/libc".to_owned(),
        source: Box::new(source),
    })?;
    Ok(outcome.digest.to_string())
}

/// The smoke project's `staves.toml`.
fn smoke_manifest(manifest: &Manifest, profile: &str, project_dir: &Path) -> String {
    let mut root = toml::Table::new();
    root.insert(
        "name".into(),
        format!("{}-smoke", manifest.name.get_ref()).into(),
    );
    root.insert("profile".into(), profile.to_owned().into());
    let mut repos = Vec::new();
    for repo in &manifest.repositories {
        let mut table = toml::Table::new();
        table.insert("name".into(), repo.name.get_ref().clone().into());
        let kind = match repo.kind {
            RepositoryKind::Git => "git",
            RepositoryKind::Local => "local",
        };
        table.insert("type".into(), kind.into());
        for (key, value) in [
            ("uri", &repo.uri),
            ("branch", &repo.branch),
            ("tag", &repo.tag),
            ("rev", &repo.rev),
        ] {
            if let Some(value) = value {
                table.insert(key.into(), value.clone().into());
            }
        }
        if let Some(path) = &repo.path {
            let absolute = project_dir.join(path);
            table.insert("path".into(), absolute.display().to_string().into());
        }
        repos.push(toml::Value::Table(table));
    }
    root.insert("repositories".into(), toml::Value::Array(repos));
    toml::to_string(&root).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_smoke_project_reuses_repositories_and_profile() {
        let manifest = Manifest::from_str_at(
            "name = \"b\"\nversion = \"1.0.0\"\nkind = \"builder\"\npackages = [\"app-misc/hello\"]\n\n[[repositories]]\nname = \"gentoo\"\ntype = \"git\"\nuri = \"https://example.org/gentoo.git\"\nbranch = \"stable\"\n\n[[repositories]]\nname = \"mine\"\ntype = \"local\"\npath = \"overlay\"\n",
            Path::new("staves.toml"),
        )
        .unwrap();
        let text = smoke_manifest(&manifest, "default/linux/amd64/23.0", Path::new("/p"));
        let smoke = Manifest::from_str_at(&text, Path::new("staves.toml")).unwrap();
        assert_eq!(smoke.name.get_ref(), "b-smoke");
        assert!(smoke.packages.is_empty());
        assert_eq!(
            smoke.profile.as_ref().map(|p| p.get_ref().as_str()),
            Some("default/linux/amd64/23.0")
        );
        assert_eq!(smoke.repositories.len(), 2);
        assert_eq!(smoke.repositories[0].branch.as_deref(), Some("stable"));
        assert_eq!(
            smoke.repositories[1].path.as_deref(),
            Some(Path::new("/p/overlay"))
        );
    }

    #[test]
    fn examples_builders_parse() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/builders");
        for (name, libc) in [("x86_64-glibc", "glibc"), ("x86_64-musl", "musl")] {
            let path = dir.join(name).join("staves.toml");
            let manifest = Manifest::load(&path).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(manifest.project_kind(), ProjectKind::Builder);
            assert_eq!(manifest.name.get_ref(), name);
            let version = manifest.version.as_ref().unwrap().get_ref();
            semver::Version::parse(version).unwrap();
            let image = manifest.builder.as_ref().unwrap().image.as_deref().unwrap();
            assert!(image.starts_with("docker.io/gentoo/stage3:"), "{image}");
            let profile = manifest.profile.as_ref().unwrap().get_ref();
            assert_eq!(profile.ends_with("/musl"), libc == "musl", "{profile}");
            assert!(manifest.description.is_some());
            assert!(dir.join(name).join("README.md").is_file());
        }
    }

    #[test]
    fn a_clean_tree_passes_and_changes_are_listed() {
        let dir = tempfile::tempdir().unwrap();
        let repo = git2::Repository::init(dir.path()).unwrap();
        std::fs::create_dir(dir.path().join("proj")).unwrap();
        std::fs::write(dir.path().join("proj/staves.toml"), "name = \"b\"\n").unwrap();
        std::fs::write(dir.path().join("elsewhere"), "x").unwrap();
        let err = check_clean(&dir.path().join("proj")).unwrap_err();
        assert!(
            matches!(&err, PublishError::Dirty { files, .. } if files == &["proj/staves.toml"]),
            "{err}"
        );
        let mut index = repo.index().unwrap();
        index.add_path(Path::new("proj/staves.toml")).unwrap();
        index.write().unwrap();
        let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
        let sig = git2::Signature::now("t", "t@t").unwrap();
        repo.commit(Some("HEAD"), &sig, &sig, "c", &tree, &[])
            .unwrap();
        check_clean(&dir.path().join("proj")).unwrap();
        let no_git = tempfile::tempdir().unwrap();
        check_clean(no_git.path()).unwrap();
    }
}
