//! Errors of `staves build` and `staves cache prune`.

use std::path::PathBuf;

use crate::builder::{BuilderError, Mismatch};
use crate::image::{ArchiveError, AssembleError, LayerError, LayoutError, PushError, RefError};

/// A failed build.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// Locking, the manifest or a repository failed.
    #[error(transparent)]
    Project(#[from] super::super::Error),
    /// No builder image is configured.
    #[error("no builder image: {reason}")]
    NoBuilder {
        /// Why (`[builder]` missing, or a form that needs the registry index).
        reason: String,
    },
    /// `SOURCE_DATE_EPOCH` is not a number.
    #[error("SOURCE_DATE_EPOCH=`{value}` is not a number of seconds since 1970")]
    InvalidEpoch {
        /// The value.
        value: String,
    },
    /// An image reference (tag or `--push`) is invalid.
    #[error(transparent)]
    Reference(#[from] RefError),
    /// The container engine failed.
    #[error(transparent)]
    Builder(#[from] BuilderError),
    /// `emerge --pretend` refused the locked packages.
    #[error(
        "Portage cannot install the locked packages (emerge --pretend exited with {exit_code})"
    )]
    PortageRefused {
        /// Its exit status.
        exit_code: i64,
        /// The relevant part of its output.
        output: Vec<String>,
    },
    /// `emerge --fetchonly` failed (a source could not be downloaded or did
    /// not match the repository's Manifest).
    #[error("fetching the sources failed (emerge --fetchonly exited with {exit_code})")]
    FetchFailed {
        /// Its exit status.
        exit_code: i64,
        /// The last lines of its output.
        output: Vec<String>,
    },
    /// Sources are missing from the distfiles cache under `--offline`.
    #[error("the build needs sources that are not in the distfiles cache ({}), and --offline forbids fetching them", .distfiles.display())]
    FetchOffline {
        /// The distfiles cache.
        distfiles: PathBuf,
    },
    /// Portage's plan differs from the lock.
    #[error("Portage's plan differs from staves.lock ({} difference(s))", .mismatches.len())]
    PlanMismatch {
        /// The differences.
        mismatches: Vec<Mismatch>,
    },
    /// An ebuild failed to build.
    #[error("building {package} failed{}", .phase.as_ref().map(|p| format!(" in the {p} phase")).unwrap_or_default())]
    EmergeFailed {
        /// `cat/pkg-ver::repo`, or `emerge` when unknown.
        package: String,
        /// The failing phase, when Portage said.
        phase: Option<String>,
        /// The last lines of the package's build log (or of emerge's output).
        log_tail: Vec<String>,
        /// Where the full log was in the builder.
        log_path: Option<String>,
    },
    /// The root filesystem could not be turned into a layer.
    #[error("cannot turn the built root filesystem into an image layer: {0}")]
    Layer(#[from] LayerError),
    /// The image documents could not be written.
    #[error(transparent)]
    Assemble(#[from] AssembleError),
    /// An OCI layout output failed.
    #[error(transparent)]
    Layout(#[from] LayoutError),
    /// An archive output failed.
    #[error(transparent)]
    Archive(#[from] ArchiveError),
    /// A push failed.
    #[error(transparent)]
    Push(#[from] PushError),
    /// An `--output` value that is not `oci:DIR` or `docker-archive:FILE`.
    #[error("invalid --output `{0}`: use `oci:DIR` or `docker-archive:FILE`")]
    InvalidOutput(String),
    /// A file operation failed.
    #[error("cannot {action} `{}`: {source}", .path.display())]
    Io {
        /// What was being done.
        action: &'static str,
        /// The path.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

impl BuildError {
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Self {
        BuildError::Io {
            action,
            path: path.into(),
            source,
        }
    }

    /// Lines of advice for the user.
    pub fn help(&self) -> Vec<String> {
        match self {
            BuildError::Project(e) => e.help(),
            BuildError::NoBuilder { .. } => vec![
                "set `image = \"<reference>\"` in [builder] of staves.toml, pass --builder-image, or set STAVES_BUILDER_IMAGE".into(),
            ],
            BuildError::InvalidEpoch { .. } => vec!["unset it, or set it to e.g. 1767225600".into()],
            BuildError::PortageRefused { .. } => vec![
                "the repositories at the locked commits and staves.lock disagree; run `staves lock` (or `staves update`) and build again".into(),
            ],
            BuildError::PlanMismatch { .. } => vec![
                "staves.lock no longer matches what Portage would install; run `staves lock` to re-resolve, and report a resolver bug if the difference remains".into(),
            ],
            BuildError::EmergeFailed { .. } => vec![
                "run with --verbose to see the whole build output".into(),
            ],
            BuildError::FetchOffline { .. } => vec![
                "build once without --offline to fetch them (later builds of the same packages need no network)".into(),
            ],
            BuildError::FetchFailed { .. } => vec![
                "check the network (the fetch step uses the host's network) and that the sources still exist; for private sources over ssh, add the key to your ssh agent (`ssh-add`)".into(),
            ],
            BuildError::Builder(e) if e.is_no_engine() => vec![
                "staves build needs a Docker-compatible engine (Docker or Podman's Docker API)".into(),
            ],
            _ => Vec::new(),
        }
    }

    /// Detail lines shown under the error (differences, log tail).
    pub fn details(&self) -> Vec<String> {
        match self {
            BuildError::PortageRefused { output, .. } | BuildError::FetchFailed { output, .. } => {
                output.clone()
            }
            BuildError::PlanMismatch { mismatches } => {
                mismatches.iter().map(|m| format!("- {m}")).collect()
            }
            BuildError::EmergeFailed {
                log_tail, log_path, ..
            } => {
                let mut lines = Vec::new();
                if let Some(path) = log_path {
                    lines.push(format!(
                        "last {} lines of the build log ({path} in the builder):",
                        log_tail.len()
                    ));
                }
                lines.extend(log_tail.iter().map(|l| format!("  | {l}")));
                lines
            }
            _ => Vec::new(),
        }
    }
}
