//! staves.toml: parsing any bytes never panics, and a valid manifest's
//! error-free parse gives a stable resolution checksum.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use staves_core::manifest::Manifest;

fuzz_target!(|data: &[u8]| {
    match Manifest::from_bytes_at(data, Path::new("staves.toml")) {
        Ok(manifest) => {
            assert_eq!(manifest.resolution_checksum(), manifest.resolution_checksum());
        }
        Err(err) => {
            let text = String::from_utf8_lossy(data);
            let _ = err.render_snippet(&text);
        }
    }
});
