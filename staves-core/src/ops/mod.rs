//! One function per user verb. Operations orchestrate the lower layers
//! (manifest, lockfile, sources, resolve) and return typed outcomes; they
//! never print. Progress goes through reporter traits the CLI implements.

pub mod add;
pub mod build;
pub mod builder_list;
pub mod builders;
mod error;
pub mod init;
pub mod lock;
mod plugins;
pub mod publish;
pub mod remove;
pub mod search;
pub mod tree;
mod workspace;
pub mod yank;

use std::path::PathBuf;

pub use error::Error;
pub use workspace::find_manifest;

/// What every operation on a project needs to know.
#[derive(Debug, Clone)]
pub struct Context {
    /// The project's `staves.toml`.
    pub manifest_path: PathBuf,
    /// The user's cache directory (repository clones live below it).
    pub cache_dir: PathBuf,
    /// `--offline`: use only cached repositories.
    pub offline: bool,
    /// `--locked`: fail when the lock is missing or would change.
    pub locked: bool,
}

impl Context {
    /// The lock file next to the manifest.
    pub fn lock_path(&self) -> PathBuf {
        self.manifest_path
            .with_file_name(crate::lockfile::FILE_NAME)
    }
}

/// Progress of an operation, for the CLI to show. Every method has an empty
/// default so a caller implements only what it displays.
pub trait Reporter {
    /// A repository is being fetched (or opened from the cache).
    fn fetching(&self, _repository: &str, _source: &str) {}
    /// Resolution starts.
    fn resolving(&self) {}
}

/// A reporter that shows nothing.
#[derive(Debug, Default, Clone, Copy)]
pub struct NoReporter;

impl Reporter for NoReporter {}
