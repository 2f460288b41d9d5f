//! The `[[plugin]]` rows of `staves.lock`: each post-build plugin pinned by
//! the SHA-256 of its `.wasm` file.
//!
//! ```toml
//! [[plugin]]
//! name = "strip-docs"
//! source = "path+plugins/strip-docs.wasm"   # relative to staves.toml
//! sha256 = "<64 hex>"
//!
//! [[plugin]]
//! name = "sbom"
//! source = "url+https://example.org/sbom.wasm"
//! sha256 = "<64 hex>"
//! ```
//!
//! Rows are written in manifest order, which is the order the plugins run
//! in (reordering them changes the image, so it shows in the lock's diff).
//! A plugin's `config` and `limits` are not in the lock: they do not change
//! which file runs, and the build's cache key covers them.

use std::fmt::Write as _;

use serde::Deserialize;

/// One pinned plugin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockedPlugin {
    /// The plugin's name in `staves.toml`.
    pub name: String,
    /// `path+<path relative to staves.toml>` or `url+<url>`.
    pub source: String,
    /// The SHA-256 of the `.wasm` file, 64 lowercase hex digits.
    pub sha256: String,
}

/// A `[[plugin]]` row as read.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPlugin {
    name: String,
    source: String,
    sha256: String,
}

impl From<RawPlugin> for LockedPlugin {
    fn from(raw: RawPlugin) -> LockedPlugin {
        LockedPlugin {
            name: raw.name,
            source: raw.source,
            sha256: raw.sha256,
        }
    }
}

/// Appends the `[[plugin]]` rows, in the given (manifest) order.
pub(super) fn write(out: &mut String, plugins: &[LockedPlugin]) {
    for plugin in plugins {
        out.push_str("\n[[plugin]]\n");
        let _ = writeln!(out, "name = {}", super::write::quote(&plugin.name));
        let _ = writeln!(out, "source = {}", super::write::quote(&plugin.source));
        let _ = writeln!(out, "sha256 = {}", super::write::quote(&plugin.sha256));
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::LockedPlugin;
    use crate::lockfile::{Lockfile, parse, to_toml};

    #[test]
    fn plugin_rows_round_trip_in_manifest_order() {
        let plugin = |name: &str, source: &str, byte: char| LockedPlugin {
            name: name.into(),
            source: source.into(),
            sha256: byte.to_string().repeat(64),
        };
        let lock = Lockfile {
            manifest_checksum: "sha256:00".into(),
            profile: "p".into(),
            plugins: vec![
                plugin("strip-docs", "path+plugins/strip-docs.wasm", 'b'),
                plugin("a-sbom", "url+https://example.org/sbom.wasm", 'a'),
            ],
            ..Lockfile::default()
        };
        let text = to_toml(&lock);
        let rows = text
            .split_once("\n[[plugin]]")
            .map(|(_, rest)| rest)
            .unwrap();
        assert_eq!(
            rows,
            format!(
                "\nname = \"strip-docs\"\nsource = \"path+plugins/strip-docs.wasm\"\nsha256 = \"{}\"\n\
                 \n[[plugin]]\nname = \"a-sbom\"\nsource = \"url+https://example.org/sbom.wasm\"\nsha256 = \"{}\"\n",
                "b".repeat(64),
                "a".repeat(64)
            )
        );
        let back = parse(&text, Path::new("staves.lock")).unwrap();
        assert_eq!(back.plugins, lock.plugins);
        assert_eq!(to_toml(&back), text);
    }

    #[test]
    fn unknown_plugin_keys_are_malformed() {
        let text = "version = 1\nmanifest-checksum = \"x\"\nprofile = \"p\"\n\n[[plugin]]\nname = \"a\"\nsource = \"path+a.wasm\"\nsha256 = \"00\"\nconfig = 1\n";
        let err = parse(text, Path::new("staves.lock")).unwrap_err();
        assert!(err.to_string().contains("staves.lock:9:"), "{err}");
    }
}
