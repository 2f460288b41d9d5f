//! The in-memory lock model.

use std::collections::BTreeSet;

/// A whole `staves.lock`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Lockfile {
    /// `sha256:<hex>` of the resolution-relevant part of the manifest.
    pub manifest_checksum: String,
    /// The profile the resolution used (a path under the main repository's `profiles/`).
    pub profile: String,
    /// The builder, pinned by digest (`None` when the manifest names none).
    pub builder: Option<super::LockedBuilder>,
    /// Every repository, sorted by name.
    pub repositories: Vec<LockedRepository>,
    /// The post-build plugins, in manifest (run) order.
    pub plugins: Vec<super::LockedPlugin>,
    /// Every package of the image and the builder, sorted by name then version.
    pub packages: Vec<LockedPackage>,
}

/// One pinned repository.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct LockedRepository {
    /// The repository's name (`gentoo`, an overlay's `repo_name`).
    pub name: String,
    /// Where it comes from: `git+<uri>` with `?branch=`/`?tag=`/`?rev=`, or `local+<path>`.
    pub source: String,
    /// The 40-hex commit, for git repositories.
    pub commit: Option<String>,
    /// The commit's committer time (Unix seconds), for git repositories.
    pub commit_time: Option<i64>,
}

/// Where a package is installed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// Only into the image root (a runtime dependency).
    Image,
    /// Only into the builder (a build-time dependency).
    Builder,
    /// Into both.
    Both,
}

impl Role {
    /// The lock file spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Image => "image",
            Role::Builder => "builder",
            Role::Both => "both",
        }
    }

    /// Parses the lock file spelling.
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "image" => Some(Role::Image),
            "builder" => Some(Role::Builder),
            "both" => Some(Role::Both),
            _ => None,
        }
    }

    /// Whether the package goes into the image root.
    pub fn in_image(self) -> bool {
        matches!(self, Role::Image | Role::Both)
    }

    /// Whether the package goes into the builder.
    pub fn in_builder(self) -> bool {
        matches!(self, Role::Builder | Role::Both)
    }
}

/// The dependency classes through which one package depends on another,
/// written in lowercase (`bdepend`, `depend`, `idepend`, `pdepend`, `rdepend`).
pub type DepClassSet = BTreeSet<String>;

/// One locked package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockedPackage {
    /// `category/package`.
    pub name: String,
    /// The full version including the revision (`5.2_p37-r4`).
    pub version: String,
    /// `SLOT`.
    pub slot: String,
    /// The sub-slot (equal to the slot when the ebuild declares none).
    pub subslot: String,
    /// The repository it comes from.
    pub repository: String,
    /// Image, builder or both.
    pub role: Role,
    /// Every flag of the package's IUSE: `flag` when enabled, `-flag` when
    /// disabled, sorted by flag name.
    pub use_flags: Vec<String>,
    /// The ebuild's hash (`md5:<hex>` from the md5-cache entry's `_md5_`).
    pub ebuild: Option<String>,
    /// Dependency edges: target `category/package` (plus `-version` when the
    /// lock holds several versions of it) and the classes of the edge.
    pub dependencies: Vec<(String, DepClassSet)>,
}

impl LockedPackage {
    /// `category/package-version`.
    pub fn cpv(&self) -> String {
        format!("{}-{}", self.name, self.version)
    }
}
