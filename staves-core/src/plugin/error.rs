//! Errors of plugin runs.

use std::fmt::Write as _;
use std::path::PathBuf;

/// Why a plugin could not be pinned, loaded or run, or why its answer was
/// refused. Every variant names the plugin; run failures carry the tail of
/// its stderr, which the message shows.
#[derive(Debug, thiserror::Error)]
pub enum PluginError {
    /// The `.wasm` file cannot be read.
    #[error("plugin `{name}`: cannot read {}: {source}", path.display())]
    Read {
        /// The plugin.
        name: String,
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The manifest entry has no usable source.
    #[error("plugin `{name}`: {message}")]
    Source {
        /// The plugin.
        name: String,
        /// What is wrong and what to do.
        message: String,
    },
    /// A `url` plugin could not be downloaded, or the download does not
    /// have the pinned SHA-256.
    #[error("plugin `{name}`: cannot download {url}: {message}")]
    Download {
        /// The plugin.
        name: String,
        /// The URL.
        url: String,
        /// What went wrong.
        message: String,
    },
    /// `--offline` and a `url` plugin is not in the cache.
    #[error("plugin `{name}`: {url} is not in the cache and --offline forbids downloading it")]
    Offline {
        /// The plugin.
        name: String,
        /// The URL.
        url: String,
    },
    /// The lock has no row for a plugin of the manifest (or a different
    /// source), and the lock may not change.
    #[error("plugin `{name}` is not pinned in staves.lock")]
    NotLocked {
        /// The plugin.
        name: String,
    },
    /// The file is not the one the lock pins.
    #[error(
        "plugin `{name}` changed since it was locked: {} has sha256 {actual}, the lock has {expected}; \
         run `staves lock` to accept the new file",
        path.display()
    )]
    Changed {
        /// The plugin.
        name: String,
        /// The file.
        path: PathBuf,
        /// The pinned SHA-256.
        expected: String,
        /// The file's SHA-256.
        actual: String,
    },
    /// The file is not a plugin module of API 1.
    #[error("plugin `{name}`: {message}")]
    NotAPlugin {
        /// The plugin.
        name: String,
        /// What is wrong.
        message: String,
    },
    /// Compiling, caching or instantiating the module failed.
    #[error("plugin `{name}`: {message}")]
    Load {
        /// The plugin.
        name: String,
        /// The runtime's message.
        message: String,
    },
    /// A `limits` key is invalid.
    #[error("plugin `{name}`: invalid limit `{key}`: {message}")]
    Limits {
        /// The plugin.
        name: String,
        /// The key.
        key: String,
        /// What is wrong.
        message: String,
    },
    /// The plugin was stopped by a limit or trapped.
    #[error("plugin `{name}` was stopped: {reason}{}", tail(stderr))]
    Stopped {
        /// The plugin.
        name: String,
        /// Which limit, or the trap, and what to do.
        reason: String,
        /// Its stderr.
        stderr: String,
    },
    /// The plugin exited with a non-zero status.
    #[error(
        "plugin `{name}` failed (exit status {code}){}{}",
        messages_text(messages),
        tail(stderr)
    )]
    Failed {
        /// The plugin.
        name: String,
        /// The exit status.
        code: i32,
        /// Its error messages, when its stdout still held a response.
        messages: Vec<String>,
        /// Its stderr.
        stderr: String,
    },
    /// The plugin's answer is not a valid response.
    #[error("plugin `{name}` broke the plugin protocol: {message}{}", tail(stderr))]
    Protocol {
        /// The plugin.
        name: String,
        /// What is wrong.
        message: String,
        /// Its stderr.
        stderr: String,
    },
    /// The plugin reported errors (and exited 0).
    #[error("plugin `{name}` reported {} error(s){}{}", messages.len(), messages_text(messages), tail(stderr))]
    Reported {
        /// The plugin.
        name: String,
        /// The error messages.
        messages: Vec<String>,
        /// Its stderr.
        stderr: String,
    },
    /// A file operation, artifact or config change of the answer is refused;
    /// no file operation was applied.
    #[error("plugin `{name}`: {what} refused, nothing was applied: {message}")]
    Refused {
        /// The plugin.
        name: String,
        /// Which item (`file operation 3 (chmod usr/bin/x)`).
        what: String,
        /// Why.
        message: String,
    },
    /// Host-side I/O failed (preparing the run, reading the tree).
    #[error("plugin `{name}`: {action}: {source}")]
    Io {
        /// The plugin.
        name: String,
        /// What was being done, with the path.
        action: String,
        /// The I/O error.
        source: std::io::Error,
    },
}

impl PluginError {
    /// What the user can do about it (lines rendered as `help:`).
    pub fn help(&self) -> Vec<String> {
        match self {
            PluginError::Download { .. } => vec![
                "check the URL and the network; `sha256` in staves.toml must be the file's SHA-256".into(),
            ],
            PluginError::Offline { .. } => {
                vec!["run the command once without --offline to download it into the cache".into()]
            }
            PluginError::NotLocked { .. } => {
                vec!["run `staves lock` (without --locked / --frozen) to pin it".into()]
            }
            PluginError::Limits { .. } | PluginError::Stopped { .. } => vec![
                "limits can be raised per plugin: limits = { memory = \"1GiB\", fuel = 1e12, timeout = \"10m\" }".into(),
            ],
            _ => Vec::new(),
        }
    }

    /// The plugin's stderr, for the variants that ran it.
    pub fn stderr(&self) -> Option<&str> {
        match self {
            PluginError::Stopped { stderr, .. }
            | PluginError::Failed { stderr, .. }
            | PluginError::Protocol { stderr, .. }
            | PluginError::Reported { stderr, .. } => Some(stderr),
            _ => None,
        }
    }
}

fn messages_text(messages: &[String]) -> String {
    let mut out = String::new();
    for m in messages {
        let _ = write!(out, "\n  error: {m}");
    }
    out
}

/// The last lines of stderr, indented, or nothing when it is empty.
fn tail(stderr: &str) -> String {
    const LINES: usize = 20;
    let lines: Vec<&str> = stderr.trim_end().lines().collect();
    if lines.is_empty() {
        return String::new();
    }
    let start = lines.len().saturating_sub(LINES);
    let mut out = String::from("\n  stderr");
    if start > 0 {
        let _ = write!(out, " (last {LINES} of {} lines)", lines.len());
    }
    out.push(':');
    for line in &lines[start..] {
        let _ = write!(out, "\n  | {line}");
    }
    out
}
