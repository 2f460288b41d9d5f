//! `staves build`: lock, build the image root in a builder container,
//! assemble a reproducible image and deliver it.
//!
//! Steps:
//!
//! 1. lock like `staves lock` (under `--locked`/`--frozen` the lock must
//!    not change);
//! 2. the builder image (`--builder-image`, else `STAVES_BUILDER_IMAGE` as
//!    passed in [`BuildOptions::builder_image`], else `[builder] image`) is
//!    made present in the engine (pulled when missing);
//! 3. the cache key (lock text, builder image id, generated Portage
//!    configuration, epoch, compression, Staves version) is looked up in the
//!    rootfs cache: a hit skips the containers entirely (unchanged rebuild);
//! 4. otherwise every repository is exported at its locked commit (cached
//!    per commit; local repositories are mounted as they are, and their
//!    builds are never cached), `/etc/portage` is generated
//!    ([`crate::builder::portage_config`]), `emerge --pretend` must agree
//!    with the lock, and the real emerge installs the requested packages at
//!    their locked versions with their dependencies (`--root=/staves/root`,
//!    binary packages from and into the cache);
//! 5. `/staves/root` is streamed out, cleaned (see the `rootfs` module) and
//!    turned into one layer; config and manifest are canonical JSON with
//!    `created` and the mtimes at `SOURCE_DATE_EPOCH` (default: the newest
//!    locked commit time);
//! 6. outputs: load into the engine, OCI layout, docker archive, push.
//!
//! The same lock and the same builder give the same image digest.

mod builder_image;
mod builder_ref;
mod cache;
mod error;
mod fetch;
mod outputs;
mod plugin_root;
mod plugins;
mod rootfs;
mod run;

use std::path::PathBuf;

use sha2::{Digest as _, Sha256};

use crate::builder::portage_config::{
    self, ConfigInput, LockedAtom, PackageSettings, PortageConfig,
};
use crate::builder::{Engine, Interrupt, PullEvent, PullReporter};
use crate::image::{Compression, Digest, ImageRef, ImageSpec, LayerOptions, assemble};
use crate::lockfile::Lockfile;
use crate::manifest::{Manifest, ProjectKind};
use crate::sources::RepoLocation;

use super::lock::{LockOutcome, prepare_with};
use super::workspace::{self, Refresh};
use super::{Context, Reporter};

pub use builder_image::BUILDER_LABEL_PREFIX;
pub use cache::{PruneOutcome, prune};
pub use error::BuildError;
pub use outputs::{Delivered, LOCK_CHECKSUM_LABEL, OutputTarget};
pub use plugins::BuildArtifact;

/// Layer compression of built images: gzip (Docker 20.10 cannot load zstd).
const COMPRESSION: Compression = Compression::Gzip { level: 6 };
/// Bumped whenever the root filesystem processing changes (cache keys).
const ROOTFS_FORMAT: &str = "staves-rootfs-2";

/// Progress of a build. Every method has an empty default.
pub trait BuildReporter: Reporter {
    /// A step starts (`Pulling`, `Checking`, `Building`, `Packing`, …).
    fn status(&self, _verb: &str, _message: &str) {}
    /// Portage's plan has this many merges; the emerge starts.
    fn emerge_start(&self, _merges: usize) {}
    /// `>>> Emerging (index of total) package`.
    fn emerging(&self, _index: usize, _total: usize, _package: &str, _binary: bool) {}
    /// A raw line of builder output.
    fn log_line(&self, _line: &str) {}
    /// The emerge ended (successfully or not).
    fn emerge_end(&self) {}
    /// Builder image pull progress.
    fn pull(&self, _event: &PullEvent<'_>) {}
    /// A post-build plugin starts.
    fn plugin(&self, _name: &str) {}
    /// A plugin's `info` or `warning` message (`level`).
    fn plugin_message(&self, _plugin: &str, _level: &str, _text: &str) {}
}

/// Options of [`build`].
#[derive(Debug, Clone, Default)]
pub struct BuildOptions {
    /// The tag (default: the manifest's `version`, else `latest`).
    pub tag: Option<String>,
    /// Load into the engine (the default when nothing else is asked for).
    pub load: bool,
    /// `--output` targets.
    pub outputs: Vec<OutputTarget>,
    /// `--push REF`.
    pub push: Option<String>,
    /// The builder image from the command line or `STAVES_BUILDER_IMAGE`.
    pub builder_image: Option<String>,
    /// `emerge --jobs`.
    pub jobs: Option<u32>,
    /// Run the builder even when an identical build is cached.
    pub force: bool,
    /// Show the whole build output (`--quiet-build=n`).
    pub verbose: bool,
    /// `SOURCE_DATE_EPOCH` as given in the environment.
    pub source_date_epoch: Option<String>,
    /// Ctrl-C flag for the engine calls.
    pub interrupt: Interrupt,
    /// Where plugin artifacts go (default: `target/staves/artifacts/<name>`
    /// next to `staves.toml`), one directory per plugin.
    pub artifacts_dir: Option<PathBuf>,
    /// The manifests of the builds waiting for this one (a build of a
    /// `[builder] path` project); a path builder among them is a cycle.
    pub builder_chain: Vec<PathBuf>,
}

/// What [`build`] did.
#[derive(Debug, Clone)]
pub struct BuildOutcome {
    /// The lock step.
    pub lock: LockOutcome,
    /// `name:tag`.
    pub reference: ImageRef,
    /// The manifest digest (what a registry serves the image as).
    pub digest: Digest,
    /// The image id (config digest), as engines show it.
    pub image_id: Digest,
    /// The builder image used and its id.
    pub builder: (String, String),
    /// Whether the root filesystem came from the cache (no container ran).
    pub reused: bool,
    /// Merges Portage planned (0 when reused).
    pub merges: usize,
    /// Compressed size of the image's layer.
    pub layer_size: u64,
    /// Where the image went.
    pub delivered: Delivered,
    /// The epoch used.
    pub epoch: u64,
    /// Files the post-build plugins produced.
    pub artifacts: Vec<BuildArtifact>,
}

struct PullAdapter<'a>(&'a dyn BuildReporter);

impl PullReporter for PullAdapter<'_> {
    fn event(&mut self, event: &PullEvent<'_>) {
        self.0.pull(event);
    }
}

/// The host's ssh agent socket (`SSH_AUTH_SOCK`), for the fetch step, when
/// a repository comes over ssh (its ebuilds may fetch from the same private
/// hosts). Never key files.
fn ssh_agent(manifest: &Manifest) -> Option<PathBuf> {
    let over_ssh = manifest.repositories.iter().any(|r| {
        r.uri.as_deref().is_some_and(|uri| {
            uri.starts_with("ssh://")
                || uri.starts_with("git+ssh://")
                || (!uri.contains("://") && uri.contains('@') && uri.contains(':'))
        })
    });
    let socket = PathBuf::from(std::env::var_os("SSH_AUTH_SOCK")?);
    (over_ssh && socket.exists()).then_some(socket)
}

/// `SOURCE_DATE_EPOCH`, else the newest locked commit time, else 0.
fn epoch(lock: &Lockfile, given: Option<&str>) -> Result<u64, BuildError> {
    if let Some(value) = given.filter(|v| !v.is_empty()) {
        return value.trim().parse().map_err(|_| BuildError::InvalidEpoch {
            value: value.to_owned(),
        });
    }
    Ok(lock
        .repositories
        .iter()
        .filter_map(|r| r.commit_time)
        .max()
        .and_then(|t| u64::try_from(t).ok())
        .unwrap_or(0))
}

/// The Portage configuration input for a manifest and its lock.
fn config_input(manifest: &Manifest, lock: &Lockfile) -> ConfigInput {
    ConfigInput {
        repositories: manifest
            .repositories
            .iter()
            .map(|r| r.name.get_ref().clone())
            .collect(),
        profile: lock.profile.clone(),
        make_conf: manifest.env.vars.clone(),
        named_envs: manifest.env.named.clone(),
        packages: manifest
            .package
            .iter()
            .map(|(atom, c)| PackageSettings {
                atom: atom.get_ref().clone(),
                use_flags: c.use_flags.iter().map(|f| f.get_ref().clone()).collect(),
                keywords: c.keywords.iter().map(|k| k.get_ref().clone()).collect(),
                envs: c.env.iter().map(|e| e.get_ref().clone()).collect(),
            })
            .collect(),
        locked: lock
            .packages
            .iter()
            .map(|p| LockedAtom {
                name: p.name.clone(),
                version: p.version.clone(),
                repository: p.repository.clone(),
            })
            .collect(),
    }
}

fn sha256_hex(parts: &[&str]) -> String {
    let mut hash = Sha256::new();
    for part in parts {
        hash.update(part.len().to_le_bytes());
        hash.update(part.as_bytes());
    }
    format!("sha256:{}", hex::encode(hash.finalize()))
}

/// Locks, builds and delivers the image.
///
/// # Errors
/// Any [`BuildError`]; containers are removed and no output is half-written.
pub fn build(
    ctx: &Context,
    options: &BuildOptions,
    reporter: &dyn BuildReporter,
) -> Result<BuildOutcome, BuildError> {
    // 1. Lock.
    let loaded = workspace::load_manifest(&ctx.manifest_path)?;
    let manifest = loaded.manifest;
    let old = workspace::read_lock(&ctx.lock_path())?;
    if ctx.locked && old.is_none() {
        return Err(super::Error::LockMissing {
            path: ctx.lock_path(),
        }
        .into());
    }
    let repos =
        workspace::open_repositories(ctx, &manifest, old.as_ref(), &Refresh::Pinned, reporter)?;
    let (mut lock_outcome, text) = prepare_with(ctx, &manifest, &repos, old.as_ref(), reporter)?;
    let lock_path = ctx.lock_path();
    let lock_text = match text {
        Some(text) => {
            crate::util::fs::write_atomic(&lock_path, text.as_bytes())
                .map_err(|e| BuildError::io("write", &lock_path, e))?;
            lock_outcome.written = true;
            text
        }
        None => crate::lockfile::to_toml(&lock_outcome.lock),
    };
    let lock = lock_outcome.lock.clone();
    let lock_checksum = sha256_hex(&[&lock_text]);

    let tag = options
        .tag
        .clone()
        .or_else(|| manifest.version.as_ref().map(|v| v.get_ref().clone()))
        .unwrap_or_else(|| "latest".to_owned());
    let reference: ImageRef = format!("{}:{tag}", manifest.name.get_ref()).parse()?;
    let push_ref = options
        .push
        .as_deref()
        .map(|p| outputs::push_reference(p, &tag))
        .transpose()?;
    let plugin_specs = super::plugins::specs(ctx, &manifest, &lock).map_err(super::Error::from)?;
    let epoch = epoch(&lock, options.source_date_epoch.as_deref())?;

    // 2. The builder image.
    let engine = Engine::connect()?.with_interrupt(options.interrupt.clone());
    let platform = builder_ref::engine_platform(&engine);
    let builder_ref = match builder_ref::build_path_builder(ctx, &manifest, options, reporter)? {
        Some(image_id) => image_id,
        None => builder_ref::builder_reference(&manifest, options, &lock, &platform)?,
    };
    let auth = builder_ref::pull_auth(&builder_ref);
    let builder = engine.ensure_image(&builder_ref, auth.as_ref(), &mut PullAdapter(reporter))?;

    // 3. The rootfs cache.
    let is_builder = manifest.project_kind() == ProjectKind::Builder;
    let input = config_input(&manifest, &lock);
    let config = PortageConfig::generate(&input);
    let cache = cache::BuildCache::new(&ctx.cache_dir);
    let store = cache.blob_store()?;
    let layer_options = LayerOptions {
        epoch,
        compression: COMPRESSION,
    };
    // The requested packages (and the implicit ones), pinned to their locked
    // versions; Portage pulls in their dependencies itself, so a locked
    // package it would not install shows up as a difference.
    let requested: std::collections::BTreeSet<String> = manifest
        .packages
        .iter()
        .map(|p| p.get_ref().as_str())
        .chain(workspace::IMPLICIT_TARGETS.iter().copied())
        .filter_map(|a| crate::gentoo::Atom::parse(a).ok())
        .map(|a| a.name.to_string())
        .collect();
    let targets: Vec<String> = lock
        .packages
        .iter()
        .filter(|p| (is_builder || p.role.in_image()) && requested.contains(&p.name))
        .map(|p| format!("={}::{}", p.cpv(), p.repository))
        .collect();
    let key = sha256_hex(&[
        ROOTFS_FORMAT,
        env!("CARGO_PKG_VERSION"),
        // Without the plugin rows: the plugins' own cache record covers them.
        &plugins::lock_text_without_plugins(&lock),
        &builder.id,
        &builder.platform,
        &config.digest(),
        &epoch.to_string(),
        &COMPRESSION.identity(),
        &targets.join(" "),
        &manifest.image.runtime_libs.join(" "),
        if is_builder { "builder" } else { "image" },
    ]);
    // A builder's root is reused only together with what was detected in it.
    let mut facts = is_builder
        .then(|| builder_image::cached_facts(&ctx.cache_dir, &key))
        .flatten();
    let cacheable = repos.iter().all(|(_, s)| s.commit.is_some());
    let cached = (cacheable && !options.force)
        .then(|| cache.cached_rootfs(&key, &store))
        .flatten()
        .filter(|_| !is_builder || facts.is_some());
    let scratch = cache.scratch()?;
    let (layer, reused, merges) = match cached {
        Some(layer) => (layer, true, 0),
        None => {
            // 4. Export, configure, check the plan, emerge.
            reporter.status("Preparing", "repositories at their locked commits");
            let mut mounts = Vec::new();
            for (spec, snapshot) in &repos {
                let dir = match (&snapshot.commit, &spec.location) {
                    (Some(commit), _) => {
                        let dir = cache.export_path(&spec.name, commit)?;
                        if !dir.is_dir()
                            && let Err(e) = crate::sources::export(snapshot, &dir)
                            // A concurrent build may have exported it first.
                            && !dir.is_dir()
                        {
                            return Err(super::Error::from(e).into());
                        }
                        dir
                    }
                    (None, RepoLocation::Local { path }) => path.clone(),
                    (None, RepoLocation::Git { .. }) => {
                        let dir = scratch.path().join("repos").join(&spec.name);
                        crate::sources::export(snapshot, &dir).map_err(super::Error::from)?;
                        dir
                    }
                };
                mounts.push((dir, spec.name.clone()));
            }
            let config_dir = scratch.path().join("etc/portage");
            fs_err::create_dir_all(&config_dir)
                .map_err(|e| BuildError::io("create", &config_dir, e))?;
            config.write_to(&config_dir).map_err(|e| {
                BuildError::io("write the Portage configuration into", &config_dir, e)
            })?;
            let target = if is_builder {
                run::Target::Builder {
                    extra_dir: scratch.path().join("builder"),
                }
            } else {
                run::Target::Image {
                    runtime_libs: manifest.image.runtime_libs.clone(),
                }
            };
            let run = run::BuildRun {
                engine: &engine,
                image: builder_ref.clone(),
                build_id: format!(
                    "{}-{}",
                    manifest.name.get_ref().replace('/', "-"),
                    &scratch
                        .path()
                        .file_name()
                        .unwrap_or_default()
                        .to_string_lossy()
                ),
                repos: mounts,
                config_dir,
                binpkgs: cache.binpkgs(&builder.id, &builder.platform)?,
                distfiles: cache.distfiles()?,
                ssh_agent: ssh_agent(&manifest),
                offline: ctx.offline,
                target,
                targets: targets.clone(),
                no_cache: portage_config::no_cache_atoms(&input),
                jobs: options.jobs,
                verbose: options.verbose,
            };
            builder_image::write_make_conf(&run, &manifest)?;
            let snapshots = repos.iter().map(|(_, snapshot)| snapshot);
            let merges = run.prepare(&lock, snapshots, reporter)?;
            reporter.emerge_start(merges);
            let result = run.emerge_and_pack(&store, &layer_options, scratch.path(), reporter);
            reporter.emerge_end();
            let (layer, found) = result?;
            if cacheable {
                if let Some(found) = &found {
                    builder_image::store_facts(&ctx.cache_dir, &key, found)?;
                }
                cache.store_rootfs(&key, &cache::RootfsRecord::from_layer(&layer, &builder.id))?;
            }
            if found.is_some() {
                facts = found;
            }
            (layer, false, merges)
        }
    };

    // 5. Assemble.
    let architecture = builder
        .platform
        .split_once('/')
        .map_or(builder.platform.as_str(), |(_, arch)| arch)
        .to_owned();
    let mut spec = ImageSpec {
        architecture,
        variant: None,
        epoch,
        runtime: outputs::runtime_config(&manifest, &tag, epoch, &lock_checksum),
        annotations: Default::default(),
        history: vec![format!("staves build ({} packages)", targets.len())],
    };
    if let Some(facts) = &facts {
        let base_runtime = engine.image_runtime(&builder_ref)?.unwrap_or_default();
        spec.runtime = builder_image::runtime_config(
            &manifest,
            &builder_ref,
            &builder,
            base_runtime,
            &tag,
            epoch,
            &lock,
            &lock_checksum,
            facts,
        );
    }
    let mut layer = layer;
    let post_build = plugins::PostBuild {
        specs: &plugin_specs,
        cache_dir: &ctx.cache_dir,
        store: &store,
        layer_options: &layer_options,
        scratch: scratch.path(),
        artifacts_dir: &(options.artifacts_dir.clone())
            .unwrap_or_else(|| plugins::default_artifacts_dir(ctx, manifest.name.get_ref())),
        rootfs_key: cacheable.then_some(key.as_str()),
        force: options.force,
    };
    let artifacts = plugins::post_build(&lock, &post_build, &mut layer, &mut spec, reporter)?;
    let image = assemble(&store, &spec, std::slice::from_ref(&layer))?;

    // 6. Deliver.
    let mut delivered = Delivered::default();
    for target in &options.outputs {
        outputs::write_output(target, &image, &store, &reference)?;
        delivered.written.push(target.clone());
    }
    if let Some(push_ref) = &push_ref {
        reporter.status("Pushing", &push_ref.to_string());
        let report = outputs::push_image(&image, &store, push_ref)?;
        delivered.pushed = Some((push_ref.clone(), report));
    }
    let load = options.load || (options.outputs.is_empty() && push_ref.is_none());
    if load {
        let loaded = outputs::load(&engine, &image, &store, &reference, scratch.path())?;
        delivered.loaded = Some(reference.familiar());
        delivered.already_loaded = !loaded;
    }
    Ok(BuildOutcome {
        lock: lock_outcome,
        reference,
        digest: image.manifest_descriptor.digest.clone(),
        image_id: image.id().clone(),
        builder: (builder_ref, builder.id.clone()),
        reused,
        merges,
        layer_size: layer.size,
        delivered,
        epoch,
        artifacts,
    })
}

/// The cache directory `staves cache prune` works on, and the builder whose
/// binary packages it keeps.
#[derive(Debug, Clone)]
pub struct PruneOptions {
    /// The user's cache directory.
    pub cache_dir: PathBuf,
    /// Remove the current builder's binary packages too.
    pub all: bool,
    /// The current builder image (resolved by the caller), if any.
    pub current_builder: Option<String>,
}

/// `staves cache prune`: resolves the current builder's id through the
/// engine (when reachable) and removes the other builders' binary packages
/// and every other build cache; with `all`, everything.
///
/// # Errors
/// [`BuildError::Io`] when a cache entry cannot be removed.
pub fn prune_cache(options: &PruneOptions) -> Result<PruneOutcome, BuildError> {
    let keep = if options.all {
        None
    } else {
        let engine = Engine::connect().ok();
        options
            .current_builder
            .as_deref()
            .zip(engine.as_ref())
            .and_then(|(r, e)| e.image_digest(r).ok().flatten())
    };
    prune(&options.cache_dir, keep.as_deref(), options.all)
}
