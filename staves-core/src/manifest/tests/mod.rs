//! Tests of parsing, validation, errors, the checksum and the schema.

mod errors;
mod fuzz;
mod keys;
mod plugin_limits;
mod schema;

use std::path::Path;

use super::{Manifest, ManifestError};

pub(super) fn parse(text: &str) -> Manifest {
    Manifest::from_str_at(text, Path::new("staves.toml"))
        .unwrap_or_else(|err| panic!("{}", err.render_snippet(text)))
}

pub(super) fn parse_err(text: &str) -> ManifestError {
    match Manifest::from_str_at(text, Path::new("staves.toml")) {
        Ok(m) => panic!("expected an error, got {m:#?}"),
        Err(err) => err,
    }
}
