//! Root filesystem → reproducible OCI image, and the image's outputs.
//!
//! The flow of `staves build` after the builder has filled a root:
//!
//! 1. [`build_layer`] (from a directory) or [`layer_from_tar`] (from the
//!    engine's archive stream) writes a normalised, sorted, mtime-clamped tar
//!    through the compressor into a [`BlobStore`];
//! 2. [`assemble`] writes the canonical-JSON config and manifest blobs;
//! 3. the image goes out as an OCI layout directory
//!    ([`write_layout`]), a tar that both `docker load` (Docker ≥ 20.10) and
//!    Podman accept ([`write_archive`]), or a registry push ([`push`]).
//!
//! Same inputs + same epoch + same compressor ⇒ same digests. The rules that
//! make this true are listed in the `tarout` and [`oci`] module docs.

mod archive;
mod assemble;
mod auth;
mod compress;
mod digest;
mod from_tar;
mod layer;
mod layout;
pub mod oci;
mod push;
mod push_auth;
mod push_error;
mod reference;
mod tarout;

pub use archive::{ArchiveError, archive_to_writer, write_archive};
pub use assemble::{AssembleError, Image, ImageSpec, assemble};
pub use auth::{AuthError, Credentials, credentials_for, docker_config_dir};
pub use compress::{Compression, CompressionParseError, FLATE2_CRATE_VERSION, ZSTD_CRATE_VERSION};
pub use digest::{BlobStore, Digest, DigestError};
pub use layer::{Layer, LayerError, LayerOptions, TarInput, build_layer, layer_from_tar};
pub use layout::{LayoutError, write_layout};
pub use push::{PushError, PushOptions, PushReport, Registry, push};
pub use reference::{DEFAULT_REGISTRY, ImageRef, RefError};
