//! [`ResolveError`]: why a resolution failed, with the chain of requirers
//! from a requested package down to the failure and, where one exists, a
//! concrete fix for the manifest.

use std::fmt;

/// One link of a dependency chain, from the failing package up towards what
/// was requested: `pkg` was pulled in because `by` needs `atom` (`class`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainLink {
    /// The package (`cat/pkg-ver`) or, for the first link, the requested atom.
    pub pkg: String,
    /// Who pulled it in, e.g. `"RDEPEND of app-misc/hello-2.0"`, or
    /// `"requested"`.
    pub by: String,
}

/// A chain of requirers, innermost first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Chain(pub Vec<ChainLink>);

impl fmt::Display for Chain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for link in &self.0 {
            write!(f, "\n  {} ({})", link.pkg, link.by)?;
        }
        Ok(())
    }
}

/// Why [`resolve`](super::resolve) or [`PackageIndex`](super::PackageIndex)
/// failed.
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    /// Reading a repository file failed (not "not found": an I/O or
    /// object-database error).
    #[error("cannot read {path} in repository {repo}: {source}")]
    Io {
        /// The repository's name.
        repo: String,
        /// The path inside the repository.
        path: String,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
    /// A repository file is malformed (md5-cache entry, `layout.conf`,
    /// profile file...).
    #[error("{repo}: {path}{}: {message}", line.map(|l| format!(":{l}")).unwrap_or_default())]
    Corrupt {
        /// The repository's name.
        repo: String,
        /// The path inside the repository.
        path: String,
        /// 1-based line number, when known.
        line: Option<usize>,
        /// What is wrong.
        message: String,
    },
    /// The profile does not load: a missing profile or parent, an unknown
    /// repository, a malformed `make.defaults`, `parent` or `profiles.desc`
    /// (the source names the file and line).
    #[error("cannot load profile {profile} of repository {repo}: {source}")]
    Profile {
        /// The main repository.
        repo: String,
        /// The profile path under `profiles/` (`(default)` while looking
        /// for the default one).
        profile: String,
        /// What went wrong.
        #[source]
        source: Box<crate::gentoo::ProfileError>,
    },
    /// The request itself is inconsistent (unknown main repository, bad
    /// atom in the settings, no profile...).
    #[error("{message}")]
    Config {
        /// What is wrong.
        message: String,
        /// What to do about it.
        help: Option<String>,
    },
    /// A dependency cannot be satisfied: nothing visible matches, a USE
    /// dependency or `REQUIRED_USE` does not hold, two requirements conflict
    /// within one slot, or two selected packages block each other.
    #[error("{message}{chain}")]
    Unsatisfiable {
        /// One sentence saying what failed.
        message: String,
        /// How the failing package was reached, innermost first.
        chain: Chain,
        /// A concrete fix, e.g. `add keywords = ["~amd64"] for dev-libs/foo`.
        help: Option<String>,
    },
}

impl ResolveError {
    /// A suggested fix for the manifest, when one is known.
    pub fn help(&self) -> Option<String> {
        match self {
            ResolveError::Config { help, .. } | ResolveError::Unsatisfiable { help, .. } => {
                help.clone()
            }
            ResolveError::Corrupt { .. } => Some(
                "regenerate the repository's metadata (egencache --update) or pin an earlier commit"
                    .to_owned(),
            ),
            ResolveError::Profile { source, .. } => Some(profile_help(source)),
            ResolveError::Io { .. } => None,
        }
    }

    pub(crate) fn config(message: impl Into<String>, help: Option<String>) -> Self {
        ResolveError::Config {
            message: message.into(),
            help,
        }
    }
}

fn profile_help(e: &crate::gentoo::ProfileError) -> String {
    use crate::gentoo::ProfileError as P;
    match e {
        P::MissingProfile { .. } => "set profile = \"…\" in the manifest to one listed in the \
             repository's profiles/profiles.desc, or remove it to use the first stable amd64 one"
            .to_owned(),
        P::UnknownRepo { .. } => "add the repository to the manifest's [repositories]".to_owned(),
        P::Io { .. } => "check that the repository's files are readable".to_owned(),
        P::MissingParent { .. }
        | P::BadParent { .. }
        | P::EmptyParent { .. }
        | P::Cycle { .. }
        | P::UnsupportedEapi { .. }
        | P::Parse { .. }
        | P::Layout { .. } => "fix the named file in the repository, pin a repository commit \
             where the profile loads, or choose another profile"
            .to_owned(),
    }
}
