//! Reading `staves.lock` back, with errors that name the file and line.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::FORMAT_VERSION;
use super::model::{LockedPackage, LockedRepository, Lockfile, Role};

/// Why a lock file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum LockfileError {
    /// Not TOML, or not the shape of a lock.
    #[error("{path}:{line}:{column}: {message}", path = .path.display())]
    Malformed {
        /// The lock file.
        path: PathBuf,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What is wrong.
        message: String,
    },
    /// Written by a newer staves.
    #[error(
        "{path} has lock format version {found}, but this staves understands version {supported} only",
        path = .path.display()
    )]
    UnsupportedVersion {
        /// The lock file.
        path: PathBuf,
        /// The version in the file.
        found: u64,
        /// The version this staves writes.
        supported: u32,
    },
}

impl LockfileError {
    /// What the user can do about it.
    pub fn help(&self) -> Option<String> {
        match self {
            LockfileError::Malformed { .. } => Some(
                "staves.lock is generated: delete it and run `staves lock` to write it again"
                    .into(),
            ),
            LockfileError::UnsupportedVersion { .. } => {
                Some("upgrade staves, or delete staves.lock and run `staves lock`".into())
            }
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawLock {
    version: u64,
    manifest_checksum: String,
    profile: String,
    builder: Option<super::builder::RawBuilder>,
    #[serde(default)]
    repository: Vec<RawRepo>,
    #[serde(default)]
    plugin: Vec<super::plugins::RawPlugin>,
    #[serde(default)]
    package: Vec<RawPackage>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawRepo {
    name: String,
    source: String,
    commit: Option<String>,
    commit_time: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawPackage {
    name: String,
    version: String,
    slot: String,
    repository: String,
    role: String,
    ebuild: Option<String>,
    #[serde(rename = "use", default)]
    use_flags: Vec<String>,
    #[serde(default)]
    dependencies: Vec<String>,
}

#[derive(Deserialize)]
struct VersionOnly {
    version: Option<u64>,
}

/// Parses the text of a lock file; `path` is only used in messages.
///
/// # Errors
/// [`LockfileError`] with the file position of the problem.
pub fn parse(text: &str, path: &Path) -> Result<Lockfile, LockfileError> {
    let malformed = |offset: usize, message: String| {
        let (line, column) = line_column(text, offset);
        LockfileError::Malformed {
            path: path.to_owned(),
            line,
            column,
            message,
        }
    };
    // Check the version first, so a newer format gives the upgrade message
    // rather than a complaint about a field this staves does not know.
    if let Ok(VersionOnly {
        version: Some(found),
    }) = toml::from_str::<VersionOnly>(text)
        && found != u64::from(FORMAT_VERSION)
    {
        return Err(LockfileError::UnsupportedVersion {
            path: path.to_owned(),
            found,
            supported: FORMAT_VERSION,
        });
    }
    let raw: RawLock = toml::from_str(text).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start);
        malformed(offset, e.message().to_owned())
    })?;
    let _ = raw.version;
    let builder = match raw.builder {
        Some(b) => Some(
            b.into_locked()
                .map_err(|message| malformed(text.find("[builder]").unwrap_or(0), message))?,
        ),
        None => None,
    };
    let repositories = raw
        .repository
        .into_iter()
        .map(|r| LockedRepository {
            name: r.name,
            source: r.source,
            commit: r.commit,
            commit_time: r.commit_time,
        })
        .collect();
    let mut packages = Vec::with_capacity(raw.package.len());
    for p in raw.package {
        let role = Role::parse(&p.role).ok_or_else(|| {
            malformed(
                text.find(&format!("role = \"{}\"", p.role)).unwrap_or(0),
                format!("unknown role `{}` of package `{}`", p.role, p.name),
            )
        })?;
        let (slot, subslot) = match p.slot.split_once('/') {
            Some((s, sub)) => (s.to_owned(), sub.to_owned()),
            None => (p.slot.clone(), p.slot.clone()),
        };
        let mut dependencies = Vec::with_capacity(p.dependencies.len());
        for d in &p.dependencies {
            let parsed = d.split_once(" (").and_then(|(name, rest)| {
                let classes = rest.strip_suffix(')')?;
                let set: BTreeSet<String> = classes.split_whitespace().map(str::to_owned).collect();
                Some((name.to_owned(), set))
            });
            dependencies.push(parsed.ok_or_else(|| {
                malformed(
                    text.find(d.as_str()).unwrap_or(0),
                    format!(
                        "dependency `{d}` of package `{}` is not `name (classes)`",
                        p.name
                    ),
                )
            })?);
        }
        packages.push(LockedPackage {
            name: p.name,
            version: p.version,
            slot,
            subslot,
            repository: p.repository,
            role,
            use_flags: p.use_flags,
            ebuild: p.ebuild,
            dependencies,
        });
    }
    Ok(Lockfile {
        manifest_checksum: raw.manifest_checksum,
        profile: raw.profile,
        builder,
        repositories,
        plugins: raw.plugin.into_iter().map(Into::into).collect(),
        packages,
    })
}

/// 1-based line and column of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..text.floor_char_boundary(offset)];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, column)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lockfile::to_toml;

    fn sample() -> Lockfile {
        Lockfile {
            manifest_checksum: "sha256:00".into(),
            profile: "oracle/amd64".into(),
            builder: None,
            repositories: vec![LockedRepository {
                name: "oracle".into(),
                source: "git+file:///tmp/x?branch=main".into(),
                commit: Some("a".repeat(40)),
                commit_time: Some(1_700_000_000),
            }],
            plugins: Vec::new(),
            packages: vec![
                LockedPackage {
                    name: "dev-libs/libfoo".into(),
                    version: "2.0".into(),
                    slot: "2".into(),
                    subslot: "2.0".into(),
                    repository: "oracle".into(),
                    role: Role::Both,
                    use_flags: vec![],
                    ebuild: Some("md5:0123".into()),
                    dependencies: vec![],
                },
                LockedPackage {
                    name: "app-misc/hello".into(),
                    version: "2.0".into(),
                    slot: "0".into(),
                    subslot: "0".into(),
                    repository: "oracle".into(),
                    role: Role::Image,
                    use_flags: vec!["extras".into(), "-doc".into()],
                    ebuild: None,
                    dependencies: vec![(
                        "dev-libs/libfoo".into(),
                        ["depend".to_owned(), "rdepend".to_owned()]
                            .into_iter()
                            .collect(),
                    )],
                },
            ],
        }
    }

    #[test]
    fn round_trips_and_sorts() {
        let text = to_toml(&sample());
        insta::assert_snapshot!(text, @r#"
        # This file is @generated by staves. It is not meant to be edited by hand.
        # It pins the repositories and packages that `staves build` uses: commit it.
        version = 1
        manifest-checksum = "sha256:00"
        profile = "oracle/amd64"

        [[repository]]
        name = "oracle"
        source = "git+file:///tmp/x?branch=main"
        commit = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
        commit-time = 1700000000

        [[package]]
        name = "app-misc/hello"
        version = "2.0"
        slot = "0"
        repository = "oracle"
        role = "image"
        use = [
            "-doc",
            "extras",
        ]
        dependencies = [
            "dev-libs/libfoo (depend rdepend)",
        ]

        [[package]]
        name = "dev-libs/libfoo"
        version = "2.0"
        slot = "2/2.0"
        repository = "oracle"
        role = "both"
        ebuild = "md5:0123"
        use = []
        dependencies = []
        "#);
        let back = parse(&text, Path::new("staves.lock")).unwrap();
        assert_eq!(to_toml(&back), text);
        assert_eq!(back.packages.len(), 2);
    }

    #[test]
    fn newer_version_asks_for_an_upgrade() {
        let err = parse("version = 7\n", Path::new("staves.lock")).unwrap_err();
        assert!(
            matches!(err, LockfileError::UnsupportedVersion { found: 7, .. }),
            "{err}"
        );
    }

    #[test]
    fn malformed_points_at_the_line() {
        let text = to_toml(&sample()).replace("role = \"image\"", "role = 3");
        let err = parse(&text, Path::new("staves.lock")).unwrap_err();
        let LockfileError::Malformed { line, .. } = err else {
            panic!("{err}")
        };
        assert_eq!(line, 18);
    }
}
