//! Small helpers shared by the rest of the crate: "did you mean" suggestions
//! ([`suggest`]) and crash-safe file writes ([`fs`]).

pub mod fs;
#[cfg(test)]
pub(crate) mod mutate;
pub mod suggest;
