//! The Gentoo package-manager model (PMS): versions, names, atoms,
//! dependency specifications, md5-cache entries, `layout.conf`, profiles,
//! keywords and USE flags.
//!
//! Everything here is pure: parsers take strings or bytes and return typed
//! values or a [`ParseError`] with the position of the problem; they never
//! panic on any input (see the fuzz targets in `fuzz/`). Reading a
//! repository's files goes through the [`RepoFiles`] trait, which the
//! `sources` module implements for git trees and local directories.

pub mod atom;
pub mod depspec;
pub mod error;
pub mod iuse;
pub mod keywords;
pub mod layout;
pub mod makedefaults;
pub mod md5cache;
pub mod name;
pub mod pkgfiles;
pub mod profile;
mod profile_desc;
mod profile_error;
mod profile_lists;
#[cfg(test)]
mod profile_tests;
mod profile_vars;
mod profile_walk;
pub mod tree;
pub mod version;

pub use atom::{Atom, Blocker, Operator, SlotDep, SlotOperator, UseDep, UseDepKind};
pub use depspec::{DepNode, UseFlagItem};
pub use error::ParseError;
pub use iuse::IuseFlag;
pub use keywords::AcceptKeywords;
pub use layout::LayoutConf;
pub use md5cache::CacheEntry;
pub use name::{Category, Cpv, PackageName};
pub use profile::{ProfileDesc, ProfileError, ProfileStack};
pub use tree::{DirEntry, EntryKind, MemFiles, RepoFiles};
pub use version::Version;
