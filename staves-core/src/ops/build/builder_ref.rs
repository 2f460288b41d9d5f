//! Which builder image a build runs in, and the credentials to pull it.
//!
//! `--builder-image` / `STAVES_BUILDER_IMAGE` win; otherwise the image the
//! lock pins for the engine's platform: a registry builder's
//! `[builder.images]` entry (`<oci>/<name>@sha256:…`), or the `pinned`
//! digest of an image builder. A path builder (`[builder] path`, a local
//! builder project) is built first, like a workspace member, and its image
//! id is used: its own lock pins its inputs.

use std::path::{Path, PathBuf};

use crate::builder::{Engine, RegistryAuth};
use crate::image::{Credentials, ImageRef, credentials_for};
use crate::lockfile::{LockedBuilder, Lockfile};
use crate::manifest::{BuilderSource, Manifest, ProjectKind};

use super::{BuildError, BuildOptions, BuildReporter, Context};

/// How many path builders may build on each other.
const MAX_PATH_DEPTH: usize = 8;

/// For a `[builder] path` project (and no `--builder-image`): builds the
/// builder project at that path (its own `staves.toml` and `staves.lock`),
/// loads it into the engine and returns its image id. `None` for the other
/// builder forms.
///
/// # Errors
/// A missing or non-builder project, a cycle of path builders, or any error
/// of its build.
pub(super) fn build_path_builder(
    ctx: &Context,
    manifest: &Manifest,
    options: &BuildOptions,
    reporter: &dyn BuildReporter,
) -> Result<Option<String>, BuildError> {
    if options
        .builder_image
        .as_ref()
        .is_some_and(|i| !i.is_empty())
    {
        return Ok(None);
    }
    let Some(BuilderSource::Path(path)) = manifest.builder.as_ref().and_then(|b| b.source()) else {
        return Ok(None);
    };
    let base = ctx.manifest_path.parent().unwrap_or(Path::new("."));
    let dir = base.join(path);
    let manifest_path = dir.join(crate::manifest::FILE_NAME);
    let not_a_builder = |why: &str| BuildError::NoBuilder {
        reason: format!("[builder] path = `{}` {why}", path.display()),
    };
    if !manifest_path.is_file() {
        return Err(not_a_builder(&format!(
            "has no {}",
            crate::manifest::FILE_NAME
        )));
    }
    let canonical = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
    let me = canonical(&ctx.manifest_path);
    let target = canonical(&manifest_path);
    let mut chain: Vec<PathBuf> = options.builder_chain.clone();
    chain.push(me);
    if chain.contains(&target) || chain.len() > MAX_PATH_DEPTH {
        let names: Vec<String> = chain
            .iter()
            .chain(std::iter::once(&target))
            .map(|p| p.display().to_string())
            .collect();
        return Err(not_a_builder(&format!(
            "makes a cycle of path builders: {}",
            names.join(" -> ")
        )));
    }
    let nested = super::super::workspace::load_manifest(&manifest_path)?.manifest;
    if nested.project_kind() != ProjectKind::Builder {
        return Err(not_a_builder(
            "is not a builder project (its staves.toml needs kind = \"builder\")",
        ));
    }
    reporter.status("Building", &format!("builder project {}", dir.display()));
    let nested_ctx = Context {
        manifest_path,
        ..ctx.clone()
    };
    let nested_options = BuildOptions {
        tag: None,
        load: true,
        outputs: Vec::new(),
        push: None,
        builder_image: None,
        force: false,
        artifacts_dir: None,
        builder_chain: chain,
        ..options.clone()
    };
    let outcome = super::build(&nested_ctx, &nested_options, reporter)?;
    Ok(Some(outcome.image_id.to_string()))
}

/// The engine's platform as OCI names it (`linux/amd64`).
pub(super) fn engine_platform(engine: &Engine) -> String {
    let info = engine.info();
    format!("{}/{}", info.os, info.arch)
}

/// The builder image reference for a build on `platform`.
pub(super) fn builder_reference(
    manifest: &Manifest,
    options: &BuildOptions,
    lock: &Lockfile,
    platform: &str,
) -> Result<String, BuildError> {
    if let Some(image) = options.builder_image.as_ref().filter(|i| !i.is_empty()) {
        return Ok(image.clone());
    }
    if let Some(locked) = &lock.builder
        && let Some(image) = locked.image_for(platform)
    {
        return Ok(image.to_owned());
    }
    let source = manifest.builder.as_ref().and_then(|b| b.source());
    let reason = match (&lock.builder, source) {
        // An image builder without a pin (a lock written before pins) still
        // names its image.
        (_, Some(BuilderSource::Image(image))) => return Ok(image.to_owned()),
        (Some(LockedBuilder::Registry(r)), _) => format!(
            "builder `{}` {} has no image for {platform} (it has: {})",
            r.name,
            r.version,
            r.images.keys().cloned().collect::<Vec<_>>().join(", ")
        ),
        (_, Some(BuilderSource::Path(path))) => format!(
            "[builder] path = `{}` has not been built into an image yet",
            path.display()
        ),
        (_, Some(BuilderSource::Registry { name, .. })) => {
            format!("staves.lock pins no image for builder `{name}`")
        }
        (_, None) => "staves.toml has no [builder]".to_owned(),
    };
    Err(BuildError::NoBuilder { reason })
}

/// Basic credentials from the Docker client config for the registry of
/// `reference`, for the engine's pull (token-based logins are left to the
/// engine's own configuration).
pub(super) fn pull_auth(reference: &str) -> Option<RegistryAuth> {
    let name = reference
        .split_once('@')
        .map_or(reference, |(name, _)| name);
    let parsed: ImageRef = name.parse().ok()?;
    match credentials_for(&parsed.registry).ok()?? {
        Credentials::Basic { username, password } => Some(RegistryAuth { username, password }),
        Credentials::IdentityToken(_) => None,
    }
}
