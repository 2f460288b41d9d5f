//! Post-build plugins: sandboxed WebAssembly run on the assembled root.
//!
//! A plugin is a `wasm32-wasip1` command module speaking the JSON ABI of
//! `plugins/README.md` (types in the `staves-plugin-api` crate). The
//! [`PluginHost`] compiles it once (cached by SHA-256 under
//! `<cache>/plugins/`), runs it with `/rootfs` (read-write) and `/out`
//! preopened and nothing else (no network, no host environment, a frozen
//! clock, seeded randomness) under a memory limit, a fuel budget and a
//! wall-clock limit ([`Limits`]), then checks its answer: the configuration
//! patch, the artifacts and the file operations. All file operations are
//! validated before any is applied, never through a symlink, and undone if
//! one fails while applying.
//!
//! Runtime: wasmtime 48 (LTS) with `cranelift`, `runtime` and `std` only,
//! and wasmtime-wasi's `p1`. Compiled code is cached by the
//! `staves-plugin-module-cache` crate, which holds the one `unsafe` call.

mod answer;
mod error;
mod fileops;
mod host;
mod index;
mod limits;
mod outcome;
mod pin;
mod request;
mod sandbox;

pub use error::PluginError;
pub use host::{PluginHost, PluginSpec};
pub use index::build_index;
pub use limits::Limits;
pub use outcome::{OutputArtifact, PluginOutcome};
pub use pin::{PluginPin, pin, sha256_file};
pub use request::{PluginRequest, packages_from_lock};
pub use staves_plugin_api as api;

#[cfg(test)]
mod tests;
