//! The `staves.toml` manifest: a typed model, a strict parser with precise
//! errors, a format-preserving editor and the starter template.
//!
//! - [`Manifest::from_str_at`] / [`Manifest::load`] parse and validate. The
//!   model uses serde with `deny_unknown_fields`; the one exception is the
//!   original Staves' legacy form of package tables (a top-level table whose
//!   key contains `/`, like `['app-shells/bash']`), which is folded into
//!   [`Manifest::package`] before serde runs. Checks that types cannot
//!   express (atoms, names, references between tables, exclusive keys)
//!   run right after, against the span-preserving TOML tree, so every
//!   [`ManifestError`] has a line, a column, a key path and usually a help.
//! - [`edit::StavesTomlMut`] changes `packages` and package tables while
//!   keeping comments, order and formatting (`staves add` / `remove`).
//! - [`template::starter`] is the file `staves init` writes.
//! - [`json_schema`] is the JSON Schema committed as `docs/staves.schema.json`.
//! - [`Manifest::resolution_checksum`] is what `staves.lock` records to
//!   notice that the manifest changed.
//!
//! `docs/manifest.md` documents every key for users.

/// The manifest's file name.
pub const FILE_NAME: &str = "staves.toml";

mod atoms;
mod checksum;
pub mod edit;
mod error;
mod model;
mod parse;
mod spans;
pub mod template;
mod validate;

#[cfg(test)]
mod tests;

pub use error::{ErrorKind, Location, ManifestError};
pub use model::{
    Builder, BuilderSource, Command, Env, ExposedPort, GitRef, Hook, ImageConfig, Locale, Manifest,
    PackageConfig, Plugin, PluginLimits, ProjectKind, Protocol, Repository, RepositoryKind,
};

/// The JSON Schema of `staves.toml`, for editors (Taplo, VS Code's Even
/// Better TOML).
///
/// Generated from the serde model, plus what serde cannot express: the
/// legacy top-level package tables (any key containing `/`).
pub fn json_schema() -> serde_json::Value {
    let schema = schemars::generate::SchemaSettings::draft07()
        .into_generator()
        .into_root_schema_for::<Manifest>();
    let mut value = schema.to_value();
    if let Some(root) = value.as_object_mut() {
        root.insert(
            "patternProperties".to_owned(),
            serde_json::json!({
                "/": {
                    "description": "Legacy form of a package table (original Staves): ['category/name'] means the same as [package.\"category/name\"].",
                    "$ref": "#/definitions/PackageConfig"
                }
            }),
        );
    }
    value
}
