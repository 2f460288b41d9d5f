//! `staves.lock`: the exact state a build uses.
//!
//! Design goals, in order:
//! - **complete**: every repository commit and every package (name, full
//!   version, slot/sub-slot, repository, effective USE, role, dependency edges,
//!   ebuild hash) that the image and the builder need, so a build never has to
//!   re-resolve;
//! - **reproducible**: written by hand in a fixed order (not through serde's
//!   map order), sorted, LF line endings, a trailing newline, no timestamps of
//!   when it was written; locking twice gives byte-identical files;
//! - **small diffs**: one array element per line, dependency edges by name
//!   only (a version bump changes the package's own lines, not its
//!   dependents'), as Cargo does;
//! - **checkable without re-resolving**: `manifest-checksum` covers the
//!   resolution-relevant part of `staves.toml`, so a stale lock is detected
//!   by hashing the manifest alone;
//! - **versioned**: `version` is the first key; a reader refuses versions it
//!   does not know and says to upgrade staves.

mod builder;
#[cfg(test)]
mod fuzz_tests;
mod model;
mod plugins;
mod read;
mod write;

pub use builder::{LockedBuilder, RegistryBuilder};
pub use model::{DepClassSet, LockedPackage, LockedRepository, Lockfile, Role};
pub use plugins::LockedPlugin;
pub use read::{LockfileError, parse};
pub use write::to_toml;

/// The lock format version this staves writes and reads.
pub const FORMAT_VERSION: u32 = 1;

/// The file name of the lock, next to `staves.toml`.
pub const FILE_NAME: &str = "staves.lock";
