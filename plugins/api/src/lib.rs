//! The types of the Staves plugin ABI, version 1 (`plugins/README.md`).
//!
//! A plugin is a `wasm32-wasip1` command module. It reads one [`Request`]
//! as JSON on stdin and writes one [`Response`] as JSON on stdout. This crate
//! holds only those serde types (and the pure [`ConfigPatch::apply`]), so the
//! host (`staves-core`) and the plugin SDK (`staves-plugin-sdk`) agree on
//! them by construction. It builds for the host and for `wasm32-wasip1`.
//!
//! Readers tolerate unknown fields: a new optional field is not a new
//! version. [`API_VERSION`] changes only for a real break.

mod image;
mod request;
mod response;

pub use image::{ConfigPatch, ImageConfig, MapPatch, SetPatch};
pub use request::{BuildInfo, EntryKind, Hook, IndexEntry, Package, Paths, PluginInfo, Request};
pub use response::{Artifact, FileOp, Level, Message, Response};

/// The plugin API version this crate describes.
pub const API_VERSION: u32 = 1;
