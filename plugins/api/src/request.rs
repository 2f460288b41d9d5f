//! The request a plugin reads on stdin.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::ImageConfig;

/// Everything a plugin may know, as one JSON document on its stdin.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Request {
    /// The plugin API version of the host ([`crate::API_VERSION`]).
    pub api_version: u32,
    /// Which hook runs the plugin.
    pub hook: Hook,
    /// The plugin as the lock pins it.
    pub plugin: PluginInfo,
    /// Where the plugin finds the root filesystem and its output directory.
    pub paths: Paths,
    /// The image configuration after the plugins before this one.
    pub image: ImageConfig,
    /// The locked packages installed into the image root, sorted by name.
    #[serde(default)]
    pub packages: Vec<Package>,
    /// Metadata WASI cannot show (modes, owners, absolute symlink targets) for
    /// every entry of the root filesystem, sorted by path.
    #[serde(default)]
    pub index: Vec<IndexEntry>,
    /// The plugin's own `config` table from `staves.toml`, as JSON.
    #[serde(default = "empty_object")]
    pub config: serde_json::Value,
    /// Facts about the build.
    pub build: BuildInfo,
}

fn empty_object() -> serde_json::Value {
    serde_json::Value::Object(serde_json::Map::new())
}

/// When a plugin runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Hook {
    /// After the root filesystem is assembled, before the image is written.
    #[serde(rename = "post-build")]
    PostBuild,
}

/// The plugin being run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PluginInfo {
    /// Its name in `staves.toml`.
    pub name: String,
    /// The SHA-256 of its `.wasm` file, 64 lowercase hex digits.
    pub sha256: String,
}

/// Paths as the plugin sees them. Under the host these are `/rootfs` and
/// `/out`; the SDK's native harness points them at real directories, so a
/// plugin must take them from here rather than hard-code them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Paths {
    /// The root filesystem (read-write).
    pub rootfs: String,
    /// An empty directory for artifacts (read-write).
    pub out: String,
}

/// One locked package of the image root.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Package {
    /// `category/package`.
    pub name: String,
    /// The full version with revision (`5.2_p37-r4`).
    pub version: String,
    /// `SLOT`.
    pub slot: String,
    /// The sub-slot (equal to the slot when the ebuild declares none).
    pub subslot: String,
    /// Every IUSE flag: `flag` when enabled, `-flag` when disabled, sorted.
    #[serde(rename = "use", default)]
    pub use_flags: Vec<String>,
    /// The repository the ebuild comes from.
    pub repository: String,
    /// The locked commit of that repository (git repositories only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub repository_commit: Option<String>,
}

/// What kind of file system entry an [`IndexEntry`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EntryKind {
    /// A regular file.
    File,
    /// A directory.
    Dir,
    /// A symbolic link.
    Symlink,
    /// Anything else (device, FIFO, socket).
    Other,
}

impl EntryKind {
    /// The kind of an entry with this file type (from `symlink_metadata`,
    /// so a symbolic link is a link, not its target).
    pub fn of(file_type: std::fs::FileType) -> Self {
        if file_type.is_symlink() {
            EntryKind::Symlink
        } else if file_type.is_dir() {
            EntryKind::Dir
        } else if file_type.is_file() {
            EntryKind::File
        } else {
            EntryKind::Other
        }
    }
}

/// Metadata of one root filesystem entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexEntry {
    /// The path relative to the root, `/`-separated, without a leading `/`.
    pub path: String,
    /// The kind of entry.
    pub kind: EntryKind,
    /// Permission bits, including setuid/setgid/sticky (`0o7777` mask).
    pub mode: u32,
    /// The owner.
    pub uid: u32,
    /// The group.
    pub gid: u32,
    /// The size in bytes (regular files).
    #[serde(default)]
    pub size: u64,
    /// The link target, verbatim (symlinks only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
}

/// Facts about the build.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuildInfo {
    /// `SOURCE_DATE_EPOCH`: also the plugin's frozen wall clock.
    pub source_date_epoch: u64,
    /// The Staves version running the plugin.
    pub staves_version: String,
    /// The image architecture in OCI spelling (`amd64`, `arm64`).
    pub arch: String,
    /// Free-form extra facts, for forward compatibility.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extra: BTreeMap<String, String>,
}
