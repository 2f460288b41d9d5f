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
        Some(b) => Some(b.into_locked().map_err(|problem| {
            let offset = problem.offset.unwrap_or_else(|| builder_offset(text));
            malformed(offset, problem.message)
        })?),
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

/// Where the builder is declared: the first `[builder` table header
/// (`[builder]`, `[builder.images]`) or top-level `builder =` key; 0 when
/// neither is found.
fn builder_offset(text: &str) -> usize {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        let header = trimmed
            .strip_prefix('[')
            .map(str::trim_start)
            .and_then(|rest| rest.strip_prefix("builder"))
            .map(str::trim_start)
            .is_some_and(|rest| rest.starts_with(']') || rest.starts_with('.'));
        let key = trimmed
            .strip_prefix("builder")
            .map(str::trim_start)
            .is_some_and(|rest| rest.starts_with('=') || rest.starts_with('.'));
        if header || key {
            return offset + (line.len() - trimmed.len());
        }
        offset += line.len();
    }
    0
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

    /// The head of a lock without a builder, for the builder tests below.
    const HEAD: &str =
        "version = 1\nmanifest-checksum = \"sha256:00\"\nprofile = \"default/linux/amd64/23.0\"\n";

    fn malformed_line(text: &str) -> (usize, String) {
        match parse(text, Path::new("staves.lock")).unwrap_err() {
            LockfileError::Malformed { line, message, .. } => (line, message),
            other => panic!("{other}"),
        }
    }

    #[test]
    fn a_builder_error_points_at_its_header_or_key() {
        // Only `[builder.images]`: the table is implied, and lacks `name`.
        let text = format!(
            "{HEAD}\n[builder.images]\n\"linux/amd64\" = \"r/b@sha256:{}\"\n",
            "a".repeat(64)
        );
        assert_eq!(malformed_line(&text).0, 5);
        // An inline table.
        let text = format!("{HEAD}\nbuilder = {{ path = \"b\", version = \"1.0.0\" }}\n");
        let (line, message) = malformed_line(&text);
        assert_eq!(line, 5, "{message}");
        assert!(message.contains("`version`"), "{message}");
        // A plain header after other tables (`image` without `pinned`).
        let text = format!("{}\n[builder]\nimage = \"x\"\n", to_toml(&sample()));
        let header = text.lines().position(|l| l == "[builder]").unwrap() + 1;
        assert!(header > 10);
        let (line, message) = malformed_line(&text);
        assert_eq!(line, header, "{message}");
        assert!(message.contains("needs `pinned`"), "{message}");
        assert_eq!(builder_offset("[[repository]]\nname = \"builder\"\n"), 0);
    }

    #[test]
    fn builder_images_must_be_pinned_by_digest() {
        let good = format!("r.example/b/x@sha256:{}", "a".repeat(64));
        let text = format!(
            "{HEAD}\n[builder]\nname = \"x\"\nversion = \"1.0.0\"\n\n[builder.images]\n\
             \"linux/amd64\" = \"{good}\"\n\"linux/arm64\" = \"r.example/b/x:1\"\n"
        );
        let (line, message) = malformed_line(&text);
        assert_eq!(line, 11, "{message}");
        assert!(message.contains("\"linux/arm64\""), "{message}");
        assert!(message.contains("run `staves update`"), "{message}");
        // Pinned, the same lock reads.
        let text = text.replace("r.example/b/x:1", &good);
        assert!(parse(&text, Path::new("staves.lock")).is_ok());
    }

    #[test]
    fn a_builder_pin_must_be_a_digest_or_an_image_id() {
        let id = format!("sha256:{}", "b".repeat(64));
        let by_digest = format!("ghcr.io/o/b@{id}");
        for (pinned, ok) in [
            (id.as_str(), true),
            (by_digest.as_str(), true),
            ("ghcr.io/o/b:1", false),
            ("ghcr.io/o/b@sha256:abc", false),
            (
                "@sha256:0000000000000000000000000000000000000000000000000000000000000000",
                false,
            ),
            (
                "sha256:BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB",
                false,
            ),
        ] {
            for form in ["image = \"ghcr.io/o/b:1\"", "path = \"builders/b\""] {
                let text = format!("{HEAD}\n[builder]\n{form}\npinned = \"{pinned}\"\n");
                match parse(&text, Path::new("staves.lock")) {
                    Ok(_) => assert!(ok, "{pinned} was accepted"),
                    Err(LockfileError::Malformed { line, message, .. }) => {
                        assert!(!ok, "{pinned}: {message}");
                        assert_eq!(line, 7, "{message}");
                        assert!(message.contains("`[builder] pinned`"), "{message}");
                        assert!(message.contains("run `staves update`"), "{message}");
                    }
                    Err(other) => panic!("{other}"),
                }
            }
        }
    }
}
