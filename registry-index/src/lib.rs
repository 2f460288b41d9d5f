//! The Staves builder index (in progress).
