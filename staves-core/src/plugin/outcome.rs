//! What a successful plugin run returns.

use std::path::PathBuf;
use std::time::Duration;

use staves_plugin_api::{ConfigPatch, ImageConfig, Message};

/// An artifact the plugin wrote under the output directory, checked and
/// hashed by the host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutputArtifact {
    /// The file on the host (inside the `out_dir` given to the run).
    pub path: PathBuf,
    /// Its media type, as the plugin declared it.
    pub media_type: String,
    /// `sha256:<hex>` of its bytes.
    pub digest: String,
    /// Its size in bytes.
    pub size: u64,
}

/// The checked result of a plugin run. File operations are already applied.
#[derive(Debug, Clone, PartialEq)]
pub struct PluginOutcome {
    /// The plugin's configuration patch.
    pub patch: ConfigPatch,
    /// The image configuration of the request with the patch applied.
    pub image: ImageConfig,
    /// Artifacts under `out_dir`.
    pub artifacts: Vec<OutputArtifact>,
    /// Info and warning messages (errors fail the run instead).
    pub messages: Vec<Message>,
    /// How many file operations were applied.
    pub file_ops_applied: usize,
    /// Its stderr (at most `Limits::stderr_bytes`).
    pub stderr: String,
    /// Fuel consumed.
    pub fuel_used: u64,
    /// Whether the compiled module came from the cache.
    pub from_cache: bool,
    /// Wall time from reading the `.wasm` to the applied answer.
    pub elapsed: Duration,
}
