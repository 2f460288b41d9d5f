//! Write Staves post-build plugins in Rust.
//!
//! A plugin is an ordinary binary built for `wasm32-wasip1`:
//!
//! ```no_run
//! use staves_plugin_sdk::{Request, Response};
//!
//! fn handle(req: &Request) -> Result<Response, staves_plugin_sdk::Error> {
//!     let mut response = Response::new();
//!     response.config.labels.set.insert("built-by".into(), req.plugin.name.clone());
//!     Ok(response)
//! }
//!
//! fn main() {
//!     staves_plugin_sdk::run(handle)
//! }
//! ```
//!
//! * [`run`] reads the request from stdin, calls the handler and writes the
//!   response (or an error message and exit status 1) to stdout.
//! * [`walk`] lists a tree sorted and without following symlinks, so output
//!   does not depend on directory order.
//! * [`harness`] (native builds only) runs a handler against a directory on
//!   the host, for `cargo test`; it enforces none of the sandbox.
//!
//! Plugins must take paths from [`Request::paths`] (`/rootfs` and `/out`
//! under the host, real directories under the harness).

pub use staves_plugin_api as api;
pub use staves_plugin_api::{
    API_VERSION, Artifact, ConfigPatch, EntryKind, FileOp, ImageConfig, IndexEntry, Level,
    MapPatch, Message, Package, Request, Response, SetPatch,
};

mod error;
#[cfg(not(target_os = "wasi"))]
pub mod harness;
mod run;
mod walk;

pub use error::Error;
pub use run::{log, run};
pub use walk::{Entry, walk};
