//! `staves yank NAME@VERSION [--undo]`: mark a published builder version as
//! yanked in the registry index (or clear the mark). New locks skip a yanked
//! version; locks that already pin it keep working. Only the line's `yanked`
//! field changes; the image stays in the registry.

use std::path::Path;

use registry_index::{IndexError, same_version};

use super::builders::{BuilderIndexError, IndexChoice};

/// What [`yank`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YankOutcome {
    /// The builder, spelled as published.
    pub name: String,
    /// The version.
    pub version: semver::Version,
    /// Whether the version is now yanked.
    pub yanked: bool,
    /// Whether the index changed (false: it already had that value).
    pub changed: bool,
    /// The index, as named in messages.
    pub index: String,
}

/// Why [`yank`] failed.
#[derive(Debug, thiserror::Error)]
pub enum YankError {
    /// The argument is not `NAME@VERSION`.
    #[error("`{given}` is not NAME@VERSION: {message}")]
    InvalidSpec {
        /// The argument.
        given: String,
        /// What is wrong.
        message: String,
    },
    /// The index has no such version.
    #[error("{index} has no {name} {version}")]
    NotPublished {
        /// The builder.
        name: String,
        /// The version.
        version: String,
        /// The index.
        index: String,
        /// The published versions.
        available: Vec<String>,
    },
    /// Opening, reading or writing the index failed.
    #[error(transparent)]
    Index(#[from] BuilderIndexError),
}

impl YankError {
    /// What the user can do about it.
    pub fn help(&self) -> Vec<String> {
        match self {
            YankError::InvalidSpec { .. } => {
                vec!["for example: staves yank x86_64-glibc@1.2.0".into()]
            }
            YankError::NotPublished { available, .. } if available.is_empty() => {
                vec!["no version of it is published there; check the name and --index".into()]
            }
            YankError::NotPublished { available, .. } => {
                vec![format!("published versions: {}", available.join(", "))]
            }
            YankError::Index(e) => e.help(),
        }
    }
}

/// Parses `NAME@VERSION`.
///
/// # Errors
/// [`YankError::InvalidSpec`].
pub fn parse_spec(given: &str) -> Result<(String, semver::Version), YankError> {
    let invalid = |message: String| YankError::InvalidSpec {
        given: given.to_owned(),
        message,
    };
    let (name, version) = given
        .split_once('@')
        .ok_or_else(|| invalid("there is no `@`".to_owned()))?;
    registry_index::validate_name(name).map_err(|e| invalid(format!("`{name}`: {e}")))?;
    let version = semver::Version::parse(version)
        .map_err(|e| invalid(format!("`{version}` is not a semver version: {e}")))?;
    Ok((name.to_owned(), version))
}

/// Sets (or with `undo` clears) the `yanked` mark of `spec` (`NAME@VERSION`)
/// in the index `index` (else `STAVES_INDEX`).
///
/// # Errors
/// Any [`YankError`].
pub fn yank(
    spec: &str,
    undo: bool,
    index: Option<&str>,
    cache_dir: &Path,
) -> Result<YankOutcome, YankError> {
    let (name, version) = parse_spec(spec)?;
    let choice = IndexChoice::from_env_or(index);
    let index_name = choice.describe();
    let opened = choice.open(cache_dir, false)?;
    let index_err = |e: IndexError| YankError::Index(BuilderIndexError::Index(e));
    let versions = opened.versions(&name).map_err(index_err)?;
    let Some(entry) = versions.iter().find(|e| same_version(&e.vers, &version)) else {
        return Err(YankError::NotPublished {
            name,
            version: version.to_string(),
            index: index_name,
            available: versions.iter().map(|e| e.vers.to_string()).collect(),
        });
    };
    let yanked = !undo;
    let changed = entry.yanked != yanked;
    if changed {
        opened
            .yank(&entry.name, &entry.vers, yanked)
            .map_err(index_err)?;
    }
    Ok(YankOutcome {
        name: entry.name.clone(),
        version: entry.vers.clone(),
        yanked,
        changed,
        index: index_name,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_parse() {
        let (name, version) = parse_spec("x86_64-glibc@1.2.0").unwrap();
        assert_eq!(name, "x86_64-glibc");
        assert_eq!(version, semver::Version::new(1, 2, 0));
        for bad in ["b", "b@1.2", "B@1.0.0", "@1.0.0"] {
            assert!(
                matches!(parse_spec(bad), Err(YankError::InvalidSpec { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn yanks_and_unyanks_in_a_directory_index() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("config.json"),
            "{\"oci\":\"127.0.0.1:5000/b\"}",
        )
        .unwrap();
        let index = registry_index::DirIndex::new(dir.path());
        let entry: registry_index::IndexEntry = serde_json::from_str(&format!(
            "{{\"name\":\"tb\",\"vers\":\"1.0.0\",\"images\":{{\"linux/amd64\":\"sha256:{}\"}},\"arch\":\"amd64\",\"libc\":\"glibc\",\"profile\":\"demo/amd64\",\"portage\":\"3.0.83\"}}",
            "a".repeat(64)
        ))
        .unwrap();
        registry_index::Index::publish(&index, &entry).unwrap();
        let location = format!("dir+{}", dir.path().display());
        let cache = dir.path().join("cache");
        let out = yank("tb@1.0.0", false, Some(&location), &cache).unwrap();
        assert!(out.yanked && out.changed);
        let again = yank("tb@1.0.0", false, Some(&location), &cache).unwrap();
        assert!(!again.changed);
        let undone = yank("tb@1.0.0", true, Some(&location), &cache).unwrap();
        assert!(!undone.yanked && undone.changed);
        let err = yank("tb@2.0.0", false, Some(&location), &cache).unwrap_err();
        assert!(err.to_string().contains("has no tb 2.0.0"), "{err}");
        assert_eq!(err.help(), ["published versions: 1.0.0"]);
    }
}
