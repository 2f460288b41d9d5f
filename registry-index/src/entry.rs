//! The index format: `config.json` and the one-JSON-object-per-line builder
//! files.

use std::collections::BTreeMap;

use semver::Version;
use serde::{Deserialize, Serialize};

use crate::error::IndexError;
use crate::name::validate_name;

/// The newest entry schema (`v`) this crate reads and writes. Lines with a
/// newer `v` are skipped, as Cargo does, so that old clients keep working
/// when the format grows.
pub const SCHEMA_VERSION: u32 = 1;

/// The longest `summary` allowed, in characters.
pub const MAX_SUMMARY_LEN: usize = 256;

/// `config.json` at the root of an index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexConfig {
    /// Where the builder images live: `<registry>/<namespace>`, e.g.
    /// `ghcr.io/owner/builders`. A builder's image is
    /// `<oci>/<name>@<digest>` (see [`IndexConfig::image_ref`]).
    pub oci: String,
    /// The base URL of a publish API, when the index is run by a service.
    /// Absent for indexes that are written directly (a directory or git).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api: Option<String>,
}

impl IndexConfig {
    /// Parses and checks `config.json`; `location` names the index in errors.
    pub fn parse(text: &str, location: &str) -> Result<Self, IndexError> {
        let config: Self = serde_json::from_str(text).map_err(|e| IndexError::Config {
            location: location.to_owned(),
            message: e.to_string(),
        })?;
        config.check().map_err(|message| IndexError::Config {
            location: location.to_owned(),
            message,
        })?;
        Ok(config)
    }

    /// Checks the fields; the error says what is wrong.
    fn check(&self) -> Result<(), String> {
        let oci = &self.oci;
        let ok = !oci.is_empty()
            && !oci.contains("://")
            && !oci.starts_with('/')
            && !oci.ends_with('/')
            && !oci.contains(['@', ' ', '\t', '\n'])
            && oci.contains('/');
        if !ok {
            return Err(format!(
                "`oci` must be `<registry>/<namespace>` without a scheme, tag or digest, e.g. \
                 `ghcr.io/owner/builders`, not `{oci}`"
            ));
        }
        Ok(())
    }

    /// The image reference of `entry` on `platform` (`linux/amd64`), pinned by
    /// digest: `<oci>/<name>@sha256:…`. `None` when the entry has no image
    /// for that platform.
    pub fn image_ref(&self, entry: &IndexEntry, platform: &str) -> Option<String> {
        let digest = entry.images.get(platform)?;
        Some(format!("{}/{}@{digest}", self.oci, entry.name))
    }
}

/// The builder a builder was built from (its `[builder]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BaseRef {
    /// The base builder's name.
    pub name: String,
    /// The base builder's exact version.
    pub vers: Version,
}

/// One line of a builder file: one published version of a builder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexEntry {
    /// The entry schema; 1 for now ([`SCHEMA_VERSION`]). Absent means 1.
    #[serde(default = "schema_one")]
    pub v: u32,
    /// The builder name, spelled as first published.
    pub name: String,
    /// The version.
    pub vers: Version,
    /// OCI platform (`linux/amd64`) → manifest digest (`sha256:<64 hex>`).
    pub images: BTreeMap<String, String>,
    /// The Gentoo architecture keyword the builder targets (`amd64`, `arm64`).
    pub arch: String,
    /// The C library (`glibc`, `musl`).
    pub libc: String,
    /// The Portage profile the builder is set up with, relative to the main
    /// repository's `profiles/` (`default/linux/amd64/23.0`).
    pub profile: String,
    /// The builder this one was built from, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base: Option<BaseRef>,
    /// The Portage version inside the builder (`3.0.83`; Gentoo versions are
    /// not semver, so this is a string).
    pub portage: String,
    /// What the builder has installed, as `category/name-version` strings, for
    /// search and display only (resolution reads the builder itself).
    #[serde(default)]
    pub packages: Vec<String>,
    /// Yanked versions are skipped by new resolutions but still used by locks
    /// that pin them. The only field that ever changes.
    #[serde(default)]
    pub yanked: bool,
    /// One line describing the builder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
}

fn schema_one() -> u32 {
    1
}

impl IndexEntry {
    /// The entry as one line of JSON, without the newline.
    pub fn to_line(&self) -> String {
        // Serialising plain strings, maps and numbers cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Checks every field; the error says which field is wrong and why.
    pub fn validate(&self) -> Result<(), String> {
        if self.v != SCHEMA_VERSION {
            return Err(format!(
                "`v` is {}, this version writes {SCHEMA_VERSION}",
                self.v
            ));
        }
        validate_name(&self.name).map_err(|e| format!("`name` `{}`: {e}", self.name))?;
        if self.images.is_empty() {
            return Err("`images` is empty; a builder has at least one platform image".to_owned());
        }
        for (platform, digest) in &self.images {
            check_platform(platform)?;
            check_digest(digest).map_err(|e| format!("`images.\"{platform}\"`: {e}"))?;
        }
        check_word("arch", &self.arch)?;
        check_word("libc", &self.libc)?;
        check_profile(&self.profile)?;
        if let Some(base) = &self.base {
            validate_name(&base.name).map_err(|e| format!("`base.name` `{}`: {e}", base.name))?;
        }
        if self.portage.is_empty() || self.portage.contains(char::is_whitespace) {
            return Err(format!(
                "`portage` must be a version such as `3.0.83`, not `{}`",
                self.portage
            ));
        }
        for package in &self.packages {
            check_package(package)?;
        }
        if let Some(summary) = &self.summary {
            let len = summary.chars().count();
            if len > MAX_SUMMARY_LEN || summary.contains(['\n', '\r']) {
                return Err(format!(
                    "`summary` must be one line of at most {MAX_SUMMARY_LEN} characters"
                ));
            }
        }
        Ok(())
    }
}

/// Whether two versions are the same version for the index: build metadata
/// (`+…`) is ignored, as Cargo does, so `1.0.0+a` and `1.0.0+b` cannot both
/// be published.
pub fn same_version(a: &Version, b: &Version) -> bool {
    a.major == b.major && a.minor == b.minor && a.patch == b.patch && a.pre == b.pre
}

/// `os/arch` or `os/arch/variant`, lowercase.
fn check_platform(platform: &str) -> Result<(), String> {
    let parts: Vec<&str> = platform.split('/').collect();
    let ok = (2..=3).contains(&parts.len())
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        });
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`images` key `{platform}` is not an OCI platform such as `linux/amd64` or `linux/arm/v7`"
        ))
    }
}

/// `sha256:` and 64 lowercase hex digits.
pub(crate) fn check_digest(digest: &str) -> Result<(), String> {
    let ok = digest.strip_prefix("sha256:").is_some_and(|hex| {
        hex.len() == 64
            && hex
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    });
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{digest}` is not `sha256:` followed by 64 lowercase hex digits"
        ))
    }
}

fn check_word(field: &str, value: &str) -> Result<(), String> {
    let ok = !value.is_empty()
        && value
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{field}` must be a lowercase word such as `amd64` or `glibc`, not `{value}`"
        ))
    }
}

fn check_profile(profile: &str) -> Result<(), String> {
    let ok = !profile.is_empty()
        && !profile.starts_with('/')
        && !profile.contains(char::is_whitespace)
        && profile
            .split('/')
            .all(|c| !c.is_empty() && c != "." && c != "..");
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`profile` must be a path under `profiles/` such as `default/linux/amd64/23.0`, not `{profile}`"
        ))
    }
}

/// `category/name-version`: one `/`, and a `-` followed by a digit after it.
/// The full PMS grammar is checked where packages are resolved, not here.
fn check_package(package: &str) -> Result<(), String> {
    let ok = package.split_once('/').is_some_and(|(cat, pv)| {
        !cat.is_empty()
            && !pv.contains('/')
            && !package.contains(char::is_whitespace)
            && pv
                .match_indices('-')
                .any(|(i, _)| i > 0 && pv[i + 1..].starts_with(|c: char| c.is_ascii_digit()))
    });
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`packages` item `{package}` is not `category/name-version`"
        ))
    }
}

/// Just enough of a line to read its schema version.
#[derive(Deserialize)]
struct Probe {
    #[serde(default)]
    v: Option<u64>,
}

/// Parses a builder file: one JSON object per line, blank lines ignored.
///
/// Lines with a schema version `v` newer than [`SCHEMA_VERSION`] are skipped.
/// Anything else that is not a valid entry is an error naming `path` and the
/// 1-based line number; so are lines of different builders (or spellings) in
/// one file and versions published twice.
pub fn parse_file(text: &str, path: &str) -> Result<Vec<IndexEntry>, IndexError> {
    let mut entries: Vec<IndexEntry> = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let at = |message: String| IndexError::Malformed {
            path: path.to_owned(),
            line: number + 1,
            message,
        };
        if line.trim().is_empty() {
            continue;
        }
        if !line.trim_start().starts_with('{') {
            return Err(at("a line is one JSON object, `{…}`".to_owned()));
        }
        let probe: Probe = serde_json::from_str(line).map_err(|e| at(json_message(&e)))?;
        match probe.v {
            Some(0) => return Err(at("`v` must be 1 or more".to_owned())),
            Some(v) if v > u64::from(SCHEMA_VERSION) => continue,
            _ => {}
        }
        let entry: IndexEntry = serde_json::from_str(line).map_err(|e| at(json_message(&e)))?;
        entry.validate().map_err(at)?;
        if let Some(first) = entries.first()
            && first.name != entry.name
        {
            return Err(at(format!(
                "builder `{}` in the file of builder `{}`",
                entry.name, first.name
            )));
        }
        if entries.iter().any(|e| same_version(&e.vers, &entry.vers)) {
            return Err(at(format!("version {} appears twice", entry.vers)));
        }
        entries.push(entry);
    }
    Ok(entries)
}

/// serde_json's message without its "at line 1 column N" suffix (a line is
/// always line 1 for it), with the column kept.
fn json_message(error: &serde_json::Error) -> String {
    let text = error.to_string();
    let message = text
        .rsplit_once(" at line ")
        .map_or(text.as_str(), |(m, _)| m);
    format!("{message} (column {})", error.column())
}
