//! staves.lock: parsing any text never panics, and a lock that parses is
//! written back to text that parses to the same lock.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use staves_core::lockfile;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(lock) = lockfile::parse(text, Path::new("staves.lock")) else { return };
    let written = lockfile::to_toml(&lock);
    let again = lockfile::parse(&written, Path::new("staves.lock")).expect("written lock parses");
    assert_eq!(lockfile::to_toml(&again), written);
});
