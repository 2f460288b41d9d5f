//! Pinning `[builder] image = "ref"` to a digest at lock time.
//!
//! In order:
//! 1. a reference that already names a digest (`repo@sha256:…`) is its own pin;
//! 2. the local engine (`DOCKER_HOST`), when it has the image: the
//!    `RepoDigests` entry of the same repository (`repo@sha256:<manifest
//!    digest>`, what a registry serves), else the image id (`sha256:…`) for
//!    an image that only this engine has (built or loaded locally; such a
//!    lock only builds where that image exists);
//! 3. the registry (not under `--offline`): a manifest GET with the Docker
//!    client's credentials, pinned to the digest of the bytes it returns
//!    (an image index when the tag is multi-platform).

use crate::builder::Engine;
use crate::image::{Digest, ImageRef, PushOptions, Registry};

use super::BuilderIndexError;

/// The media types a manifest GET accepts: indexes and single manifests.
const MANIFEST_TYPES: &[&str] = &[
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
];

/// The digest-pinned form of `image` (see the module documentation).
pub(super) fn pin_image(image: &str, offline: bool) -> Result<String, BuilderIndexError> {
    if image.contains("@sha256:") {
        return Ok(image.to_owned());
    }
    let fail = |message: String| BuilderIndexError::Pin {
        image: image.to_owned(),
        message,
    };
    let wanted: ImageRef = image
        .parse()
        .map_err(|e: crate::image::RefError| fail(e.to_string()))?;
    let engine_note = match Engine::connect() {
        Ok(engine) => match engine.inspect_image(image) {
            Ok(Some(info)) => {
                let same_repo = info.repo_digests.iter().find(|d| {
                    d.split_once('@')
                        .and_then(|(name, _)| name.parse::<ImageRef>().ok())
                        .is_some_and(|r| {
                            r.registry == wanted.registry && r.repository == wanted.repository
                        })
                });
                return Ok(same_repo.cloned().unwrap_or(info.id));
            }
            Ok(None) => "the engine does not have it".to_owned(),
            Err(e) => e.to_string(),
        },
        Err(e) => e.to_string(),
    };
    if offline {
        return Err(fail(format!(
            "{engine_note}, and --offline keeps staves off the registry"
        )));
    }
    let mut registry = Registry::new(&wanted, &PushOptions::default())
        .map_err(|e| fail(format!("{engine_note}; {e}")))?;
    let (bytes, _media_type) = registry
        .get_manifest(&wanted.tag, MANIFEST_TYPES)
        .map_err(|e| fail(format!("{engine_note}; {e}")))?;
    let digest = Digest::of(&bytes);
    Ok(format!(
        "{}/{}@{digest}",
        wanted.registry, wanted.repository
    ))
}
