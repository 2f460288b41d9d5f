//! Which builder image a build runs in, and the credentials to pull it.
//!
//! `--builder-image` / `STAVES_BUILDER_IMAGE` win; otherwise the image the
//! lock pins for the engine's platform: a registry builder's
//! `[builder.images]` entry (`<oci>/<name>@sha256:…`), or the `pinned`
//! digest of an image or path builder.

use crate::builder::{Engine, RegistryAuth};
use crate::image::{Credentials, ImageRef, credentials_for};
use crate::lockfile::{LockedBuilder, Lockfile};
use crate::manifest::{BuilderSource, Manifest};

use super::{BuildError, BuildOptions};

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
