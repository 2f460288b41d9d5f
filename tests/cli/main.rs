//! End-to-end tests of the real `staves` binary: every test runs it in a
//! sandbox (temporary project, isolated HOME and cache, a real git
//! repository) and snapshots stdout, stderr and the exit status.

mod add_remove;
mod build;
mod builders;
mod common;
mod fetch;
mod init;
mod lock;
mod manifest_errors;
mod path_builder;
mod plugins;
mod publish;
