//! The checksum of the resolution-relevant part of the manifest, stored in
//! `staves.lock` to detect a stale lock.
//!
//! Included (and nothing else), as a canonical JSON document with sorted
//! object keys and no whitespace, hashed with SHA-256:
//!
//! - `packages`: the atoms, sorted (their order does not change the result);
//! - `env`: every `[env]` variable and every named environment;
//! - `package`: every package table (legacy tables included, under their
//!   key) with `use`, `keywords` and `env` in the order written (later USE
//!   flags override earlier ones);
//! - `profile` (or `null`);
//! - `repositories`: in order, each with `name`, `type`, `uri`, `branch`,
//!   `tag`, `rev` and `path` (`null` when absent);
//! - `builder`: `{"name", "version"}` (the requirement normalised by
//!   `semver`, `*` when absent; plus `"index"` when the manifest sets it),
//!   `{"image"}` or `{"path"}`, or `null`;
//! - `plugins`: in order, each with `name`, `hook`, `path`, `url` and
//!   `sha256` (not `config`, which does not change what gets locked).
//!
//! Not included: `name`, `version`, `command`, `[image]`, `[locale]`,
//! `[annotations]` and plugin `config`; changing them never makes a lock
//! stale. The document carries `"checksum-version": 1` so the format can
//! change later.

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::model::{BuilderSource, Manifest};

/// Version of the canonical document hashed by
/// [`Manifest::resolution_checksum`].
const CHECKSUM_VERSION: u64 = 1;

impl Manifest {
    /// `sha256:<hex>` over the resolution-relevant parts of the manifest
    /// (see the [module documentation](self) for exactly which).
    pub fn resolution_checksum(&self) -> String {
        let digest = Sha256::digest(self.resolution_document().as_bytes());
        format!("sha256:{}", hex::encode(digest))
    }

    /// The canonical JSON text hashed by [`Manifest::resolution_checksum`].
    pub fn resolution_document(&self) -> String {
        let mut packages: Vec<&str> = self.packages.iter().map(|p| p.get_ref().as_str()).collect();
        packages.sort_unstable();
        let strings = |items: &[toml::Spanned<String>]| -> Vec<String> {
            items.iter().map(|s| s.get_ref().clone()).collect()
        };
        let package: serde_json::Map<String, Value> = self
            .package
            .iter()
            .map(|(key, config)| {
                let value = json!({
                    "use": strings(&config.use_flags),
                    "keywords": strings(&config.keywords),
                    "env": strings(&config.env),
                });
                (key.get_ref().clone(), value)
            })
            .collect();
        let repositories: Vec<Value> = self
            .repositories
            .iter()
            .map(|repo| {
                json!({
                    "name": repo.name.get_ref(),
                    "type": match repo.kind {
                        super::RepositoryKind::Git => "git",
                        super::RepositoryKind::Local => "local",
                    },
                    "uri": repo.uri,
                    "branch": repo.branch,
                    "tag": repo.tag,
                    "rev": repo.rev,
                    "path": repo.path.as_ref().map(|p| p.to_string_lossy()),
                })
            })
            .collect();
        let builder = match self.builder.as_ref().and_then(|b| b.source()) {
            None => Value::Null,
            Some(BuilderSource::Registry { name, version }) => {
                let mut value = json!({ "name": name, "version": version.to_string() });
                // Only when set, so manifests without it keep their checksum.
                if let Some(index) = self.builder.as_ref().and_then(|b| b.index.as_ref()) {
                    value["index"] = json!(index);
                }
                value
            }
            Some(BuilderSource::Image(image)) => json!({ "image": image }),
            Some(BuilderSource::Path(path)) => json!({ "path": path.to_string_lossy() }),
        };
        let plugins: Vec<Value> = self
            .plugins
            .iter()
            .map(|plugin| {
                json!({
                    "name": plugin.name.get_ref(),
                    "hook": plugin.hook.as_str(),
                    "path": plugin.path.as_ref().map(|p| p.to_string_lossy()),
                    "url": plugin.url,
                    "sha256": plugin.sha256.as_ref().map(|s| s.get_ref().to_ascii_lowercase()),
                })
            })
            .collect();
        let document = json!({
            "checksum-version": CHECKSUM_VERSION,
            "packages": packages,
            "env": { "vars": self.env.vars, "named": self.env.named },
            "package": package,
            "profile": self.profile.as_ref().map(|p| p.get_ref()),
            "repositories": repositories,
            "builder": builder,
            "plugins": plugins,
        });
        let mut text = String::new();
        write_canonical(&document, &mut text);
        text
    }
}

/// Writes JSON with object keys sorted and no whitespace, whatever order
/// `serde_json` keeps maps in.
fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (key, value)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                write_canonical(value, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}
