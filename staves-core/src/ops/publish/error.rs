//! Why `staves publish` failed, and what the user can do about it.

use std::path::PathBuf;

use super::super::build::BuildError;
use super::super::builders::BuilderIndexError;
use crate::image::PushError;

/// Why [`publish`](super::publish) failed.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// The project, its lock or its repositories.
    #[error(transparent)]
    Project(#[from] super::super::Error),
    /// The manifest is not a builder project.
    #[error("`{}` is not a builder project; only builders are published", .path.display())]
    NotABuilder {
        /// The manifest.
        path: PathBuf,
    },
    /// No `--index` and no `STAVES_INDEX`: the shipped index is read-only.
    #[error("no index to publish to: the shipped default index ({index}) is read-only")]
    DefaultIndex {
        /// The shipped index, as named in messages.
        index: String,
    },
    /// `--offline` without `--dry-run`: the push and the index need the network.
    #[error(
        "--offline cannot publish: the push to the registry and the index update need the network"
    )]
    Offline,
    /// The git working tree has uncommitted changes.
    #[error("{} file(s) in the working tree of `{}` have uncommitted changes: {}", .files.len(), .dir.display(), .files.join(", "))]
    Dirty {
        /// The project directory.
        dir: PathBuf,
        /// The changed files, relative to the repository.
        files: Vec<String>,
    },
    /// The build rewrote `staves.lock`, so the builder would match a lock
    /// that is not committed.
    #[error("staves.lock was out of date; commit the updated staves.lock (or pass --allow-dirty)")]
    LockOutOfDate {
        /// The lock file.
        path: PathBuf,
    },
    /// The version is already in the index.
    #[error("{name} {version} is already in {index}")]
    VersionExists {
        /// The builder.
        name: String,
        /// The version.
        version: String,
        /// The index.
        index: String,
    },
    /// The index could not be opened, read or written.
    #[error(transparent)]
    Index(#[from] BuilderIndexError),
    /// Building the builder failed.
    #[error(transparent)]
    Build(BuildError),
    /// The builder image was built and loaded, but the engine does not
    /// have it when publish inspects it.
    #[error("the engine does not have the builder image `{image}` that was just built and loaded")]
    NotInEngine {
        /// The local reference.
        image: String,
    },
    /// The smoke image could not be built with the new builder.
    #[error("the new builder could not build a smoke image ({packages}): {source}")]
    Smoke {
        /// What the smoke image asked for.
        packages: String,
        /// Why.
        #[source]
        source: Box<BuildError>,
    },
    /// Pushing the builder image failed (nothing was written to the index).
    #[error("pushing the builder image to {image} failed; the index was not changed: {source}")]
    Push {
        /// The target reference.
        image: String,
        /// Why.
        #[source]
        source: Box<BuildError>,
    },
    /// The build that pushed produced another image than the build that
    /// was verified (the build is not reproducible).
    #[error(
        "the image pushed to {image} ({pushed}) is not the image that was verified ({verified}): \
         building the builder again gave a different image; the index was not changed"
    )]
    DigestMismatch {
        /// The target reference.
        image: String,
        /// The verified (smoke-tested) image's manifest digest.
        verified: String,
        /// The pushed image's manifest digest.
        pushed: String,
    },
    /// The built image lacks a label publish needs.
    #[error("the built builder image has no `{label}` label")]
    MissingLabel {
        /// The label.
        label: String,
    },
    /// The entry would not be a valid index line.
    #[error("the index entry for {name} {version} is not valid: {message}")]
    InvalidEntry {
        /// The builder.
        name: String,
        /// The version.
        version: String,
        /// What is wrong.
        message: String,
    },
    /// A file could not be written.
    #[error("cannot write `{}`: {source}", .path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

impl PublishError {
    /// What the user can do about it.
    pub fn help(&self) -> Vec<String> {
        match self {
            PublishError::NotABuilder { .. } => vec![
                "add kind = \"builder\" (with a semver `version`) to staves.toml, or build images with `staves build`".into(),
            ],
            PublishError::DefaultIndex { .. } => vec![
                "pass --index LOC or set STAVES_INDEX to an index you can write: \"dir+PATH\" or \"git+URL[#branch]\"".into(),
            ],
            PublishError::Offline => vec![
                "drop --offline (or --frozen) to publish, or add --dry-run to check everything without publishing".into(),
            ],
            PublishError::Dirty { .. } => {
                vec!["commit the changes, or pass --allow-dirty to publish anyway".into()]
            }
            PublishError::LockOutOfDate { path } => vec![format!(
                "the build rewrote `{}` to match staves.toml and the repositories; the builder is built from it, so commit it and publish again",
                path.display()
            )],
            PublishError::VersionExists { .. } => vec![
                "versions are immutable: raise `version` in staves.toml (yank the old one with `staves yank` if it is broken)".into(),
            ],
            PublishError::Index(e) => e.help(),
            PublishError::NotInEngine { .. } => vec![
                "something removed the image from the engine during publish (e.g. `docker image prune`); publish again".into(),
            ],
            PublishError::Push { image, source } => push_help(image, source),
            PublishError::DigestMismatch { image, .. } => vec![
                "the builder's build is not reproducible: a `type = \"local\"` repository is built again instead of reused from the cache, and its result differed".into(),
                format!(
                    "the tag {image} now points at the unverified image: delete it in the registry (or overwrite it by publishing again) before anyone pulls it"
                ),
                "publish from git repositories (pinned in staves.lock) so the pushed image is the verified one".into(),
            ],
            PublishError::MissingLabel { .. } => vec![
                "the builder image is built by staves, which sets these labels; build it with this staves version and publish again".into(),
            ],
            _ => Vec::new(),
        }
    }
}

/// Help for a failed push: `docker login` only when the registry refused
/// or lacked credentials; otherwise the inner error's help.
fn push_help(image: &str, source: &BuildError) -> Vec<String> {
    let registry = image.split('/').next().unwrap_or(image);
    match source {
        BuildError::Push(
            PushError::Unauthorized { .. }
            | PushError::NoCredentials { .. }
            | PushError::Credentials(_),
        ) => vec![format!(
            "log in with `docker login {registry}` (credentials come from ~/.docker/config.json and its credential helpers), then publish again"
        )],
        BuildError::Push(_) => vec![format!(
            "check that the registry {registry} is reachable and accepts pushes to {image} (the index's config.json names it in `oci`), then publish again"
        )],
        other => {
            let mut help = other.help();
            help.push("nothing was published; publish again once the cause is fixed".into());
            help
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn push(error: PushError) -> PublishError {
        PublishError::Push {
            image: "registry.example:5000/builders/b:1.0.0".into(),
            source: Box::new(BuildError::Push(error)),
        }
    }

    #[test]
    fn push_help_mentions_docker_login_only_for_auth_failures() {
        let denied = push(PushError::Unauthorized {
            registry: "registry.example:5000".into(),
            repository: "builders/b".into(),
            action: "upload".into(),
            detail: "HTTP 401".into(),
        })
        .help();
        assert_eq!(denied.len(), 1);
        assert!(
            denied[0].contains("docker login registry.example:5000"),
            "{denied:?}"
        );
        let anonymous = push(PushError::NoCredentials {
            registry: "registry.example:5000".into(),
        })
        .help();
        assert!(anonymous[0].contains("docker login"), "{anonymous:?}");

        let unreachable = push(PushError::Transport {
            registry: "registry.example:5000".into(),
            repository: "builders/b".into(),
            action: "ping".into(),
            message: "connection refused".into(),
        })
        .help();
        assert!(
            unreachable.iter().all(|h| !h.contains("docker login")),
            "{unreachable:?}"
        );
        assert!(
            unreachable[0].contains("registry.example:5000 is reachable"),
            "{unreachable:?}"
        );

        let not_a_push = PublishError::Push {
            image: "r/b:1".into(),
            source: Box::new(BuildError::InvalidEpoch { value: "x".into() }),
        }
        .help();
        assert!(
            not_a_push.iter().all(|h| !h.contains("docker login")),
            "{not_a_push:?}"
        );
        assert!(not_a_push[0].contains("SOURCE_DATE_EPOCH") || not_a_push[0].contains("unset"));
    }

    #[test]
    fn an_image_missing_from_the_engine_is_not_called_a_missing_label() {
        let err = PublishError::NotInEngine {
            image: "b:1.0.0".into(),
        };
        let text = err.to_string();
        assert!(text.contains("`b:1.0.0`"), "{text}");
        assert!(!text.contains("label"), "{text}");
        assert!(err.help()[0].contains("publish again"));
    }
}
