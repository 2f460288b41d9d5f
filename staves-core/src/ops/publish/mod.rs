//! `staves publish`: build a builder project, prove the new builder builds
//! an image, push it to `<index oci>/<name>:<version>` and append its line
//! to the registry index.
//!
//! The order matters and is the same as Cargo's: everything that can be
//! checked is checked before anything is written anywhere (the project is a
//! builder, the index is not the shipped read-only one, the network may be
//! used, the working tree is clean unless `allow_dirty`, the version is not
//! in the index yet, the builder builds without rewriting a committed
//! `staves.lock`, a smoke image builds with it, the index entry is valid).
//! Then the image is pushed, and only when the registry accepted it, and it
//! is the image that was verified, is the index line written (for a git
//! index: one commit, pushed). A failed push therefore never leaves an index
//! line pointing at an image that is not there. `dry_run` stops before the
//! push.
//!
//! The smoke image (see `smoke.rs`) is a throw-away project built with the new
//! builder.

mod checks;
mod error;
mod smoke;

use std::collections::BTreeMap;

use registry_index::{BaseRef, Index, IndexEntry, IndexError, SCHEMA_VERSION, same_version};

pub use self::error::PublishError;
use super::build::{self, BUILDER_LABEL_PREFIX, BuildError, BuildOptions, BuildReporter};
use super::builders::{BuilderIndexError, IndexChoice};
use super::{Context, workspace};
use crate::builder::Engine;
use crate::manifest::ProjectKind;

/// Options of [`publish`].
#[derive(Debug, Clone, Default)]
pub struct PublishOptions {
    /// `--index`: the index location (else `STAVES_INDEX`; neither is
    /// refused, as the shipped index cannot be written).
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
    let choice = IndexChoice::from_env_or(options.index.as_deref());
    checks::preflight(&choice, ctx.offline, options.dry_run)?;
    let project_dir = checks::project_dir(&ctx.manifest_path);
    if !options.allow_dirty {
        checks::check_clean(&project_dir)?;
    }

    // The index: where images go, and whether the version is free.
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
    if built.lock.written && !options.allow_dirty {
        checks::check_lock_committed(&project_dir)?;
    }
    let local = built.reference.familiar();
    let engine = Engine::connect()
        .map_err(|e| PublishError::Build(BuildError::from(e)))?
        .with_interrupt(options.build.interrupt.clone());
    let info = engine
        .inspect_image(&local)
        .map_err(|e| PublishError::Build(BuildError::from(e)))?
        .ok_or_else(|| PublishError::NotInEngine {
            image: local.clone(),
        })?;
    let smoke_digest = smoke::smoke(
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

    // Push (the same build again: a cache hit, delivered to the registry;
    // an uncacheable project is built again, so its image is compared).
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
    checks::check_same_digest(&image, &built.digest.to_string(), &digest)?;
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
            index: crate::ops::builders::redact_userinfo(&index.location()),
        }),
        Err(e) => Err(PublishError::Index(BuilderIndexError::Index(e))),
    }
}
