//! The `[builder]` table of `staves.lock`: which builder image a build runs
//! in, pinned by digest.
//!
//! Three forms, matching the manifest's `[builder]`:
//!
//! ```toml
//! # A builder from a registry index (`[builder] name`, `version`):
//! [builder]
//! name = "x86_64-glibc"
//! version = "1.2.0"          # the exact version chosen
//! requirement = "^1.2"       # the requirement it was chosen for
//! index = "git+https://…"    # absent: the index that ships with Staves
//!
//! [builder.images]           # platform -> image pinned by digest
//! "linux/amd64" = "ghcr.io/owner/builders/x86_64-glibc@sha256:…"
//!
//! # An image reference (`[builder] image`):
//! [builder]
//! image = "ghcr.io/owner/builder:1"
//! pinned = "ghcr.io/owner/builder@sha256:…"   # or `sha256:<image id>`
//!
//! # A builder project (`[builder] path`):
//! [builder]
//! path = "builders/python"
//! pinned = "sha256:…"        # optional
//! ```

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Deserialize;
use toml::Spanned;

/// The builder a lock pins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LockedBuilder {
    /// A named builder resolved from a registry index.
    Registry(RegistryBuilder),
    /// An image reference, pinned to a digest when locked.
    Image {
        /// The reference as written in `staves.toml`.
        image: String,
        /// What a build runs: `<repository>@sha256:<manifest digest>` (from
        /// the registry, or the engine's `RepoDigests`), or `sha256:<image
        /// id>` for an image only the local engine has.
        pinned: String,
    },
    /// A local builder project.
    Path {
        /// The directory as written in `staves.toml`.
        path: String,
        /// The image built from it, when known.
        pinned: Option<String>,
    },
}

/// A builder chosen from a registry index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryBuilder {
    /// The builder name, spelled as the index publishes it.
    pub name: String,
    /// The exact version chosen.
    pub version: semver::Version,
    /// The requirement from `staves.toml` (`*` when none), for diagnostics
    /// and to tell whether a relock may keep `version`.
    pub requirement: String,
    /// The index location (`dir+…`, `git+…`, `sparse+…`) as configured;
    /// `None` for the index that ships with Staves.
    pub index: Option<String>,
    /// OCI platform (`linux/amd64`) → image pinned by digest
    /// (`<oci>/<name>@sha256:…`).
    pub images: BTreeMap<String, String>,
}

impl LockedBuilder {
    /// The image to run on `platform` (`linux/amd64`), if the lock has one.
    /// Image and path builders run their pinned image on every platform.
    pub fn image_for(&self, platform: &str) -> Option<&str> {
        match self {
            LockedBuilder::Registry(r) => r.images.get(platform).map(String::as_str),
            LockedBuilder::Image { pinned, .. } => Some(pinned),
            LockedBuilder::Path { pinned, .. } => pinned.as_deref(),
        }
    }
}

/// Appends the `[builder]` table (preceded by a blank line).
pub(super) fn write(out: &mut String, builder: &LockedBuilder) {
    out.push_str("\n[builder]\n");
    match builder {
        LockedBuilder::Registry(r) => {
            let _ = writeln!(out, "name = {}", quote(&r.name));
            let _ = writeln!(out, "version = {}", quote(&r.version.to_string()));
            let _ = writeln!(out, "requirement = {}", quote(&r.requirement));
            if let Some(index) = &r.index {
                let _ = writeln!(out, "index = {}", quote(index));
            }
            out.push_str("\n[builder.images]\n");
            for (platform, image) in &r.images {
                let _ = writeln!(out, "{} = {}", quote(platform), quote(image));
            }
        }
        LockedBuilder::Image { image, pinned } => {
            let _ = writeln!(out, "image = {}", quote(image));
            let _ = writeln!(out, "pinned = {}", quote(pinned));
        }
        LockedBuilder::Path { path, pinned } => {
            let _ = writeln!(out, "path = {}", quote(path));
            if let Some(pinned) = pinned {
                let _ = writeln!(out, "pinned = {}", quote(pinned));
            }
        }
    }
}

/// A TOML basic string with the escapes TOML requires.
fn quote(s: &str) -> String {
    toml_edit::Value::from(s).to_string()
}

/// `[builder]` as it is in the file, before the form is checked.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawBuilder {
    name: Option<String>,
    version: Option<String>,
    requirement: Option<String>,
    index: Option<String>,
    image: Option<String>,
    path: Option<String>,
    pinned: Option<Spanned<String>>,
    #[serde(default)]
    images: BTreeMap<String, Spanned<String>>,
}

/// What is wrong with a lock's `[builder]`, and where when it is one value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct BuilderProblem {
    /// The message (names the key).
    pub(super) message: String,
    /// The byte offset of the offending value; `None`: the table as a whole.
    pub(super) offset: Option<usize>,
}

impl From<String> for BuilderProblem {
    fn from(message: String) -> Self {
        Self {
            message,
            offset: None,
        }
    }
}

impl From<&str> for BuilderProblem {
    fn from(message: &str) -> Self {
        message.to_owned().into()
    }
}

/// `sha256:` followed by 64 lowercase hex digits.
fn is_sha256_digest(text: &str) -> bool {
    text.strip_prefix("sha256:").is_some_and(|hex| {
        hex.len() == 64 && hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
    })
}

/// `<reference>@sha256:<64 hex>`: an image reference pinned by digest.
fn is_pinned_ref(text: &str) -> bool {
    text.rsplit_once('@')
        .is_some_and(|(name, digest)| !name.is_empty() && is_sha256_digest(digest))
}

/// The value of `key` unless it is not pinned by digest (`allow_id`: a local
/// image id `sha256:<64 hex>` is also accepted).
fn pinned_value(
    key: &str,
    value: Spanned<String>,
    allow_id: bool,
) -> Result<String, BuilderProblem> {
    let text = value.get_ref();
    if is_pinned_ref(text) || (allow_id && is_sha256_digest(text)) {
        return Ok(value.into_inner());
    }
    let wanted = if allow_id {
        "`<image>@sha256:<64 hex digits>` or a local image id `sha256:<64 hex digits>`"
    } else {
        "`<image>@sha256:<64 hex digits>`"
    };
    Err(BuilderProblem {
        message: format!(
            "`{key}` = \"{text}\" is not pinned by digest (expected {wanted}); \
             the lock may have been edited by hand: run `staves update` to pin the builder again"
        ),
        offset: Some(value.span().start),
    })
}

impl RawBuilder {
    /// The typed table, or what is wrong with it.
    pub(super) fn into_locked(self) -> Result<LockedBuilder, BuilderProblem> {
        // Checked before `match` takes the table apart; only the `image`
        // and `path` forms ask for it.
        let no_named_fields = self.reject_named_fields();
        match (self.name, self.image, self.path) {
            (Some(name), None, None) => {
                if self.pinned.is_some() {
                    return Err(
                        "a named builder is pinned by `[builder.images]`, not `pinned`".into(),
                    );
                }
                let version = self
                    .version
                    .ok_or("`[builder]` with `name` needs `version`")?;
                let version = version
                    .parse()
                    .map_err(|e| format!("`[builder]` version `{version}`: {e}"))?;
                let requirement = self.requirement.unwrap_or_else(|| "*".to_owned());
                if self.images.is_empty() {
                    return Err(format!(
                        "`[builder.images]` of builder `{name}` is empty; it pins an image per platform"
                    )
                    .into());
                }
                let mut images = BTreeMap::new();
                for (platform, image) in self.images {
                    let key = format!("[builder.images] \"{platform}\"");
                    let image = pinned_value(&key, image, false)?;
                    images.insert(platform, image);
                }
                Ok(LockedBuilder::Registry(RegistryBuilder {
                    name,
                    version,
                    requirement,
                    index: self.index,
                    images,
                }))
            }
            (None, Some(image), None) => {
                no_named_fields?;
                let pinned = self
                    .pinned
                    .ok_or("`[builder]` with `image` needs `pinned`")?;
                let pinned = pinned_value("[builder] pinned", pinned, true)?;
                Ok(LockedBuilder::Image { image, pinned })
            }
            (None, None, Some(path)) => {
                no_named_fields?;
                let pinned = self
                    .pinned
                    .map(|p| pinned_value("[builder] pinned", p, true))
                    .transpose()?;
                Ok(LockedBuilder::Path { path, pinned })
            }
            _ => Err("`[builder]` has exactly one of `name`, `image` or `path`".into()),
        }
    }

    /// An error naming the first field only a named builder (`name`) may
    /// have, when one is set.
    fn reject_named_fields(&self) -> Result<(), BuilderProblem> {
        let extra = [
            ("version", self.version.is_some()),
            ("requirement", self.requirement.is_some()),
            ("index", self.index.is_some()),
            ("images", !self.images.is_empty()),
        ]
        .into_iter()
        .find(|(_, set)| *set);
        match extra {
            Some((field, _)) => {
                Err(format!("`[builder]` `{field}` belongs to a named builder (`name`)").into())
            }
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registry() -> LockedBuilder {
        LockedBuilder::Registry(RegistryBuilder {
            name: "x86_64-glibc".into(),
            version: "1.2.0".parse().unwrap(),
            requirement: "^1.2".into(),
            index: Some("git+file:///srv/index".into()),
            images: [(
                "linux/amd64".to_owned(),
                format!("ghcr.io/o/b/x86_64-glibc@sha256:{}", "a".repeat(64)),
            )]
            .into_iter()
            .collect(),
        })
    }

    fn round_trip(builder: &LockedBuilder) -> LockedBuilder {
        let mut text = String::new();
        write(&mut text, builder);
        #[derive(Deserialize)]
        struct Doc {
            builder: RawBuilder,
        }
        let doc: Doc = toml::from_str(&text).unwrap();
        doc.builder.into_locked().unwrap()
    }

    #[test]
    fn every_form_round_trips() {
        for builder in [
            registry(),
            LockedBuilder::Image {
                image: "ghcr.io/o/b:1".into(),
                pinned: format!("ghcr.io/o/b@sha256:{}", "b".repeat(64)),
            },
            LockedBuilder::Path {
                path: "builders/py".into(),
                pinned: None,
            },
        ] {
            assert_eq!(round_trip(&builder), builder);
        }
    }

    #[test]
    fn the_image_for_a_platform() {
        let b = registry();
        assert!(b.image_for("linux/amd64").unwrap().contains("@sha256:"));
        assert_eq!(b.image_for("linux/arm64"), None);
    }

    #[test]
    fn mixed_forms_are_refused() {
        let raw: RawBuilder =
            toml::from_str("image = \"x\"\npinned = \"y\"\nversion = \"1.0.0\"\n").unwrap();
        let err = raw.into_locked().unwrap_err().message;
        assert!(err.contains("`version`"), "{err}");
        let raw: RawBuilder = toml::from_str("name = \"x\"\nversion = \"1.0.0\"\n").unwrap();
        let err = raw.into_locked().unwrap_err().message;
        assert!(err.contains("empty"), "{err}");
    }
}
