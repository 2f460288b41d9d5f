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
///   index) when the name and `[builder] index` are unchanged and it still
///   matches the requirement, so a version yanked since stays locked and
///   buildable. Only `[builder] index` is recorded: an index from
///   `STAVES_INDEX` is used to resolve but never written, and differing
///   from the lock's never counts as a change (see [`Registry`]). With
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
            let registry = Registry {
                choice: IndexChoice::for_project(builder.index.as_deref(), base),
                recorded: builder.index.clone(),
            };
            let old = match old {
                Some(LockedBuilder::Registry(r))
                    if same_name(&r.name, name) && registry.fits_locked(r.index.as_deref()) =>
                {
                    Some(r)
                }
                _ => None,
            };
            LockedBuilder::Registry(resolve_registry(
                ctx, &registry, name, &version, old, update,
            )?)
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

/// The index a registry builder is resolved in, and what the lock records
/// of it.
#[derive(Debug, Clone)]
struct Registry {
    /// The index used: `[builder] index`, else `STAVES_INDEX`, else the
    /// shipped one.
    choice: IndexChoice,
    /// The lock's `index`: the manifest's `[builder] index` only, so a
    /// machine's `STAVES_INDEX` (maybe with credentials in it) never lands
    /// in `staves.lock` and another machine's `--locked` still holds.
    recorded: Option<String>,
}

impl Registry {
    /// Whether a builder locked with `index` may be kept: the lock records
    /// the same `[builder] index`. A lock written before environment
    /// indexes stopped being recorded also fits when it names the index
    /// used now (it is then rewritten without it).
    fn fits_locked(&self, index: Option<&str>) -> bool {
        index == self.recorded.as_deref()
            || (self.recorded.is_none()
                && index.is_some()
                && index == self.choice.location.as_deref())
    }
}

/// A registry builder: kept from `old`, or chosen from the index.
fn resolve_registry(
    ctx: &Context,
    registry: &Registry,
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
            index: registry.recorded.clone(),
            ..old.clone()
        });
    }
    let choice = &registry.choice;
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
            index: choice.describe(),
        });
    }
    Ok(RegistryBuilder {
        name: entry.name,
        version: entry.vers,
        requirement,
        index: registry.recorded.clone(),
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

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    /// A directory index holding builder `tb` 1.0.0 (amd64), in `dir/idx`.
    fn dir_index(dir: &Path) -> String {
        let root = dir.join("idx");
        std::fs::create_dir_all(&root).unwrap();
        std::fs::write(root.join("config.json"), "{\"oci\":\"127.0.0.1:5000/b\"}").unwrap();
        let entry: registry_index::IndexEntry = serde_json::from_str(&format!(
            "{{\"name\":\"tb\",\"vers\":\"1.0.0\",\"images\":{{\"linux/amd64\":\"sha256:{}\"}},\
             \"arch\":\"amd64\",\"libc\":\"glibc\",\"profile\":\"demo/amd64\",\"portage\":\"3.0.83\"}}",
            "a".repeat(64)
        ))
        .unwrap();
        registry_index::Index::publish(&registry_index::DirIndex::new(&root), &entry).unwrap();
        format!("dir+{}", root.display())
    }

    fn ctx(dir: &Path) -> Context {
        Context {
            manifest_path: dir.join("staves.toml"),
            cache_dir: dir.join("cache"),
            offline: true,
            locked: false,
        }
    }

    /// How `STAVES_INDEX` (or no index at all) reaches the resolver.
    fn from_env(location: Option<&str>) -> Registry {
        Registry {
            choice: IndexChoice {
                location: location.map(str::to_owned),
                base: PathBuf::from("/"),
            },
            recorded: None,
        }
    }

    fn locked(index: Option<&str>) -> RegistryBuilder {
        RegistryBuilder {
            name: "tb".into(),
            version: "1.0.0".parse().unwrap(),
            requirement: "^1".into(),
            index: index.map(str::to_owned),
            images: [(
                "linux/amd64".to_owned(),
                format!("r/tb@sha256:{}", "c".repeat(64)),
            )]
            .into_iter()
            .collect(),
        }
    }

    #[test]
    fn an_index_from_the_environment_resolves_but_is_not_recorded() {
        let dir = tempfile::tempdir().unwrap();
        let location = dir_index(dir.path());
        let req: VersionReq = "^1".parse().unwrap();
        let got = resolve_registry(
            &ctx(dir.path()),
            &from_env(Some(&location)),
            "tb",
            &req,
            None,
            false,
        )
        .unwrap();
        assert_eq!(got.version.to_string(), "1.0.0");
        assert_eq!(got.index, None);
        assert!(got.images["linux/amd64"].starts_with("127.0.0.1:5000/b/tb@sha256:"));
    }

    #[test]
    fn the_manifest_index_is_recorded() {
        let dir = tempfile::tempdir().unwrap();
        let location = dir_index(dir.path());
        let text = format!(
            "name = \"x\"\n[builder]\nname = \"tb\"\nversion = \"^1\"\nindex = \"{location}\"\n"
        );
        let ctx = ctx(dir.path());
        std::fs::write(&ctx.manifest_path, &text).unwrap();
        let manifest = Manifest::from_str_at(&text, &ctx.manifest_path).unwrap();
        let Some(LockedBuilder::Registry(got)) =
            lock_builder(&ctx, &manifest, None, false).unwrap()
        else {
            panic!("not a registry builder")
        };
        assert_eq!(got.index.as_deref(), Some(location.as_str()));
    }

    #[test]
    fn another_machines_environment_index_keeps_the_pin() {
        let dir = tempfile::tempdir().unwrap();
        let req: VersionReq = "^1".parse().unwrap();
        // The lock was written elsewhere (no index recorded); here
        // STAVES_INDEX names an index that is not even readable: the pin is
        // kept without reading it, and nothing changes.
        let old = locked(None);
        let here = from_env(Some("dir+/nonexistent/index"));
        assert!(here.fits_locked(None));
        let got = resolve_registry(&ctx(dir.path()), &here, "tb", &req, Some(&old), false).unwrap();
        assert_eq!(got, old);
        assert_eq!(
            builder_change(
                Some(&LockedBuilder::Registry(old.clone())),
                Some(&LockedBuilder::Registry(got))
            ),
            None
        );
        // A lock from before this fix, naming the same environment index:
        // kept, and rewritten without the index.
        let legacy = locked(Some("dir+/nonexistent/index"));
        assert!(here.fits_locked(legacy.index.as_deref()));
        let got =
            resolve_registry(&ctx(dir.path()), &here, "tb", &req, Some(&legacy), false).unwrap();
        assert_eq!(got, old);
    }

    #[test]
    fn a_changed_manifest_index_does_not_keep_the_pin() {
        let manifest = Registry {
            choice: IndexChoice {
                location: Some("dir+new".into()),
                base: PathBuf::from("/"),
            },
            recorded: Some("dir+new".into()),
        };
        assert!(manifest.fits_locked(Some("dir+new")));
        assert!(!manifest.fits_locked(Some("dir+old")));
        assert!(!manifest.fits_locked(None));
        // Without `[builder] index`, a lock naming some other index (it was
        // the manifest's then) resolves again.
        assert!(!from_env(Some("dir+env")).fits_locked(Some("dir+old")));
        assert!(!from_env(None).fits_locked(Some("dir+old")));
        assert!(from_env(None).fits_locked(None));
    }

    #[test]
    fn credentials_in_an_index_are_never_shown() {
        let secret = "git+https://user:TOKEN@host.example/idx";
        let choice = IndexChoice {
            location: Some(secret.into()),
            base: PathBuf::from("/"),
        };
        assert_eq!(choice.describe(), "git+https://***@host.example/idx");
        // No `source()`: the CLI prints sources as `caused by:`, unredacted.
        let shown = |e: BuilderIndexError| {
            assert!(std::error::Error::source(&e).is_none(), "{e}");
            format!("{e} {:?}", e.help())
        };
        let err = BuilderIndexError::in_index(
            &choice,
            IndexError::NotFound {
                name: "tb".into(),
                location: secret.into(),
            },
        );
        let text = shown(err);
        assert!(
            !text.contains("TOKEN") && text.contains("***@host.example"),
            "{text}"
        );
        let err = BuilderIndexError::in_index(
            &choice,
            IndexError::Config {
                location: secret.into(),
                message: "not JSON".into(),
            },
        );
        assert!(matches!(err, BuilderIndexError::Broken { .. }), "{err}");
        let text = shown(err);
        assert!(
            !text.contains("TOKEN") && text.contains("***@host.example"),
            "{text}"
        );
        let bad = IndexChoice {
            location: Some("nope+https://user:TOKEN@host.example/idx".into()),
            base: PathBuf::from("/"),
        };
        let err = bad.open(Path::new("/nonexistent"), true).err().unwrap();
        let text = shown(err);
        assert!(
            !text.contains("TOKEN") && text.contains("***@host.example"),
            "{text}"
        );
    }
}
