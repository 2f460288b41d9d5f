//! The error every operation returns: each variant names what failed and
//! knows what the user can do about it ([`Error::help`]).

use std::path::PathBuf;

use crate::lockfile::LockfileError;
use crate::manifest::ManifestError;
use crate::resolve::ResolveError;
use crate::sources::SourceError;

/// A failed operation.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// No `staves.toml` where one was expected.
    #[error("could not find `staves.toml` in `{}` or any parent directory", .dir.display())]
    ManifestNotFound {
        /// Where the search started.
        dir: PathBuf,
    },
    /// `staves init` would overwrite a manifest.
    #[error("`{}` already exists", .path.display())]
    ManifestExists {
        /// The existing manifest.
        path: PathBuf,
    },
    /// `staves.toml` is invalid.
    #[error("{}", if .source_text.is_some() { .error.message().to_owned() } else { .error.to_string() })]
    Manifest {
        /// The positioned error.
        error: Box<ManifestError>,
        /// The text it was parsed from, for the snippet.
        source_text: Option<String>,
    },
    /// `staves.lock` is invalid.
    #[error(transparent)]
    Lockfile(#[from] LockfileError),
    /// A repository could not be fetched or read.
    #[error(transparent)]
    Source(#[from] SourceError),
    /// The packages cannot be resolved.
    #[error(transparent)]
    Resolve(#[from] ResolveError),
    /// `--locked` and the lock is missing.
    #[error("`{}` is missing and --locked was passed to prevent writing it", .path.display())]
    LockMissing {
        /// Where the lock should be.
        path: PathBuf,
    },
    /// `--locked` and the lock would change.
    #[error("`{}` needs to be updated but --locked was passed to prevent this", .path.display())]
    LockOutdated {
        /// The lock file.
        path: PathBuf,
        /// Why: the manifest changed, or what moved.
        reason: String,
    },
    /// A command-line atom is not a valid atom.
    #[error("invalid package `{input}`: {message}")]
    InvalidAtom {
        /// What the user typed.
        input: String,
        /// What is wrong with it.
        message: String,
    },
    /// No repository has the package.
    #[error("package `{name}` was not found in the configured repositories ({repos})")]
    UnknownPackage {
        /// The package asked for.
        name: String,
        /// The repositories searched.
        repos: String,
        /// A package with a similar name.
        suggestion: Option<String>,
    },
    /// A bare name matches packages in several categories.
    #[error("`{name}` is ambiguous: it exists in {} categories", .candidates.len())]
    AmbiguousName {
        /// The bare name.
        name: String,
        /// Every `category/name` that matches.
        candidates: Vec<String>,
    },
    /// `staves remove` of something that is not in the manifest.
    #[error("package `{name}` is not in `packages` of `{}`", .path.display())]
    NotInManifest {
        /// What was asked to be removed.
        name: String,
        /// The manifest.
        path: PathBuf,
    },
    /// `staves update ATOM` of a package that is not locked.
    #[error("package `{name}` is not in `{}`", .path.display())]
    NotLocked {
        /// The package asked for.
        name: String,
        /// The lock file.
        path: PathBuf,
    },
    /// The manifest has no repository to resolve against.
    #[error("`{}` has no [[repositories]]; staves needs at least one ebuild repository", .path.display())]
    NoRepositories {
        /// The manifest.
        path: PathBuf,
    },
    /// A post-build plugin could not be pinned, fetched or run.
    #[error(transparent)]
    Plugin(#[from] crate::plugin::PluginError),
    /// The builder could not be resolved from its index or pinned.
    #[error(transparent)]
    Builder(#[from] super::builders::BuilderIndexError),
    /// The manifest could not be edited.
    #[error(transparent)]
    Edit(#[from] crate::manifest::edit::EditError),
    /// A file could not be read or written.
    #[error("cannot {action} `{}`", .path.display())]
    Io {
        /// What was being done ("write", "read").
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    /// Lines of advice for the user (rendered as `help:`).
    pub fn help(&self) -> Vec<String> {
        match self {
            Error::ManifestNotFound { .. } => vec!["run `staves init` to create one".into()],
            Error::ManifestExists { .. } => {
                vec!["edit it, or remove it first if you really want a new one".into()]
            }
            // The snippet already carries the manifest error's help.
            Error::Manifest { source_text: Some(_), .. } => Vec::new(),
            Error::Manifest { error, source_text: None } => error.help().map(str::to_owned).into_iter().collect(),
            Error::Lockfile(e) => e.help().into_iter().collect(),
            Error::Source(e) => e.help().into_iter().collect(),
            Error::Resolve(e) => e.help().into_iter().collect(),
            Error::LockMissing { .. } => {
                vec!["run `staves lock` to create it (without --locked / --frozen)".into()]
            }
            Error::LockOutdated { reason, .. } => vec![
                reason.clone(),
                "run `staves lock` without --locked (or --frozen) to update it, then commit it".into(),
            ],
            Error::InvalidAtom { .. } => vec![
                "write `category/name`, optionally with a version operator: `>=dev-lang/python-3.12`".into(),
            ],
            Error::UnknownPackage { suggestion: Some(s), .. } => {
                vec![format!("a package with a similar name exists: `{s}`")]
            }
            Error::UnknownPackage { suggestion: None, .. } => {
                vec!["check the name, or add the repository that has it to [[repositories]]".into()]
            }
            Error::AmbiguousName { candidates, .. } => vec![format!(
                "say which one you mean: {}",
                candidates.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", ")
            )],
            Error::NotInManifest { .. } => vec!["`staves tree` lists what the manifest asks for".into()],
            Error::NotLocked { .. } => vec![
                "`staves tree` lists the locked packages; `staves update` without arguments moves every one".into(),
            ],
            Error::NoRepositories { .. } => vec![
                "add one, e.g.\n[[repositories]]\nname = \"gentoo\"\ntype = \"git\"\nuri = \"https://github.com/gentoo-mirror/gentoo.git\"\nbranch = \"stable\"".into(),
            ],
            Error::Plugin(e) => e.help(),
            Error::Builder(e) => e.help(),
            Error::Edit(_) | Error::Io { .. } => Vec::new(),
        }
    }

    /// A rustc-style snippet of the manifest around the problem, when there
    /// is one.
    pub fn snippet(&self) -> Option<String> {
        match self {
            Error::Manifest {
                error,
                source_text: Some(text),
            } => {
                let rendered = error.render_snippet(text);
                // The first line repeats the message; the CLI prints its own.
                Some(rendered.lines().skip(1).collect::<Vec<_>>().join("\n"))
            }
            _ => None,
        }
    }

    pub(crate) fn manifest(error: ManifestError, source_text: Option<String>) -> Self {
        Error::Manifest {
            error: Box::new(error),
            source_text,
        }
    }

    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Self {
        Error::Io {
            action,
            path: path.into(),
            source,
        }
    }
}
