//! The lock's `[builder]`: resolving the manifest's `[builder]` against the
//! index (or pinning its image), keeping what the old lock pins where it
//! still fits, as Cargo keeps locked versions.

use std::path::Path;

use registry_index::{IndexError, same_name};
use semver::VersionReq;

use crate::lockfile::{LockedBuilder, Lockfile, RegistryBuilder};
use crate::manifest::{BuilderSource, Manifest};

use super::super::Context;
use super::pin::pin_image;
use super::{BuilderIndexError, IndexChoice};

/// The `[builder]` of a new lock.
///
/// * Registry builders: the old lock's version is kept (without reading the
///   index) when the name and index are unchanged and it still matches the
///   requirement, so a version yanked since stays locked and buildable. With
///   `update`, or when it cannot be kept, the index picks the newest
///   matching version that is not yanked; `update` falls back to the old,
///   now yanked, version only when nothing else matches.
/// * Image builders: the old pin is kept while `image` is unchanged (and
///   not `update`); otherwise the image is pinned again (`pin` module).
/// * Path builders: recorded with the old pin while `path` is unchanged.
///
/// # Errors
/// The index cannot be read, has no matching version, or an image cannot be
/// pinned.
pub(crate) fn lock_builder(
    ctx: &Context,
    manifest: &Manifest,
    old: Option<&Lockfile>,
    update: bool,
) -> Result<Option<LockedBuilder>, BuilderIndexError> {
    let Some(builder) = manifest.builder.as_ref() else {
        return Ok(None);
    };
    let old = old.and_then(|l| l.builder.as_ref());
    let locked = match builder.source() {
        None => return Ok(None),
        Some(BuilderSource::Registry { name, version }) => {
            let base = ctx.manifest_path.parent().unwrap_or(Path::new("."));
            let choice = IndexChoice::for_project(builder.index.as_deref(), base);
            let old = match old {
                Some(LockedBuilder::Registry(r))
                    if same_name(&r.name, name) && r.index == choice.location =>
                {
                    Some(r)
                }
                _ => None,
            };
            LockedBuilder::Registry(resolve_registry(ctx, &choice, name, &version, old, update)?)
        }
        Some(BuilderSource::Image(image)) => match old {
            Some(LockedBuilder::Image { image: was, pinned }) if was == image && !update => {
                LockedBuilder::Image {
                    image: image.to_owned(),
                    pinned: pinned.clone(),
                }
            }
            _ => LockedBuilder::Image {
                image: image.to_owned(),
                pinned: pin_image(image, ctx.offline)?,
            },
        },
        Some(BuilderSource::Path(path)) => {
            let path = path.to_string_lossy().into_owned();
            let pinned = match old {
                Some(LockedBuilder::Path { path: was, pinned }) if *was == path => pinned.clone(),
                _ => None,
            };
            LockedBuilder::Path { path, pinned }
        }
    };
    Ok(Some(locked))
}

/// A registry builder: kept from `old`, or chosen from the index.
fn resolve_registry(
    ctx: &Context,
    choice: &IndexChoice,
    name: &str,
    req: &VersionReq,
    old: Option<&RegistryBuilder>,
    update: bool,
) -> Result<RegistryBuilder, BuilderIndexError> {
    let requirement = req.to_string();
    if let Some(old) = old
        && !update
        && req.matches(&old.version)
    {
        return Ok(RegistryBuilder {
            requirement,
            ..old.clone()
        });
    }
    let index = choice.open(&ctx.cache_dir, ctx.offline)?;
    let entry = match index.resolve(name, req, None) {
        Err(IndexError::NoMatch { .. }) if update && old.is_some() => {
            index.resolve(name, req, old.map(|o| &o.version))
        }
        other => other,
    };
    let entry = entry.map_err(|e| match e {
        IndexError::NotFound { .. } if choice.location.is_none() => {
            BuilderIndexError::NotInDefaultIndex {
                name: name.to_owned(),
            }
        }
        other => BuilderIndexError::in_index(choice, other),
    })?;
    let config = index
        .config()
        .map_err(|e| BuilderIndexError::in_index(choice, e))?;
    let images: std::collections::BTreeMap<String, String> = entry
        .images
        .keys()
        .filter_map(|platform| Some((platform.clone(), config.image_ref(&entry, platform)?)))
        .collect();
    if images.is_empty() {
        return Err(BuilderIndexError::NoImages {
            name: entry.name,
            version: entry.vers.to_string(),
            index: index.location(),
        });
    }
    Ok(RegistryBuilder {
        name: entry.name,
        version: entry.vers,
        requirement,
        index: choice.location.clone(),
        images,
    })
}

/// How the lock's builder changed, for the change summary: `None` sides are
/// "no builder". Equal locks give `None`.
pub(crate) fn builder_change(
    old: Option<&LockedBuilder>,
    new: Option<&LockedBuilder>,
) -> Option<BuilderChange> {
    (old != new).then(|| BuilderChange {
        from: old.map(describe),
        to: new.map(describe),
    })
}

/// A change of the locked builder (see [`builder_change`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuilderChange {
    /// The builder before (`name version`, or the image and its pin).
    pub from: Option<String>,
    /// The builder now.
    pub to: Option<String>,
}

/// `name version`, `image (pin)` or `path`.
fn describe(builder: &LockedBuilder) -> String {
    match builder {
        LockedBuilder::Registry(r) => format!("{} {}", r.name, r.version),
        LockedBuilder::Image { image, pinned } if image == pinned => image.clone(),
        LockedBuilder::Image { image, pinned } => format!("{image} ({pinned})"),
        LockedBuilder::Path { path, .. } => path.clone(),
    }
}
