//! The response a plugin writes on stdout.

use serde::{Deserialize, Serialize};

use crate::ConfigPatch;

/// What a plugin answers, as one JSON document on its stdout.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Response {
    /// The plugin API version the plugin speaks ([`crate::API_VERSION`]).
    pub api_version: u32,
    /// Changes to the image configuration.
    #[serde(default, skip_serializing_if = "ConfigPatch::is_empty")]
    pub config: ConfigPatch,
    /// Files the plugin wrote under the output directory.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub artifacts: Vec<Artifact>,
    /// File operations WASI cannot express, applied by the host in order
    /// after the plugin exits; all are checked before any is applied.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub file_ops: Vec<FileOp>,
    /// Messages for the user; any `error` fails the build.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub messages: Vec<Message>,
}

impl Response {
    /// An empty response of the current API version.
    pub fn new() -> Response {
        Response {
            api_version: crate::API_VERSION,
            ..Response::default()
        }
    }
}

/// A file the plugin produced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Artifact {
    /// Its path relative to the output directory (`sbom.spdx.json`).
    pub path: String,
    /// Its media type (`application/spdx+json`).
    pub media_type: String,
}

/// A file operation the host applies inside the root filesystem. Paths are
/// relative to the root (a leading `/` is allowed and means the same).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "lowercase")]
pub enum FileOp {
    /// Sets the permission bits (`0o7777` mask) without following a symlink.
    Chmod {
        /// The entry to change.
        path: String,
        /// The new mode.
        mode: u32,
    },
    /// Sets the owner and group without following a symlink.
    Chown {
        /// The entry to change.
        path: String,
        /// The new owner.
        uid: u32,
        /// The new group.
        gid: u32,
    },
    /// Creates a symlink (absolute targets are allowed: they resolve inside
    /// the container). The path must not exist yet.
    Symlink {
        /// Where to create the link.
        path: String,
        /// The link target, stored verbatim.
        target: String,
    },
}

/// How serious a [`Message`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// Informational.
    Info,
    /// Something the user should look at.
    Warning,
    /// The build must fail.
    Error,
}

/// A message from the plugin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// How serious it is.
    pub level: Level,
    /// The text.
    pub text: String,
    /// The root filesystem path it is about, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
}
