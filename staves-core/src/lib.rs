//! The Staves library.
//!
//! Staves turns a declarative `staves.toml` into a small, reproducible container
//! image built from Gentoo ebuilds. This crate holds everything except the
//! command line: it never prints, and reports progress through traits.
//!
//! Calls go one way: [`ops`] (one function per user verb) calls [`resolve`]
//! (and later the builder, image and plugin layers), which call the model
//! modules [`gentoo`], [`manifest`], [`lockfile`] and the repository
//! [`sources`]. Model modules do no I/O beyond reading what they are given.

pub mod builder;
pub mod gentoo;
pub mod image;
pub mod lockfile;
pub mod manifest;
pub mod ops;
pub mod plugin;
pub mod resolve;
pub mod sources;
pub mod util;
