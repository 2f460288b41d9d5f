//! IUSE: parsing never panics, and parsed flags print back to an
//! equivalent list.
#![no_main]

use libfuzzer_sys::fuzz_target;
use staves_core::gentoo::iuse::parse_iuse;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(flags) = parse_iuse(text) else { return };
    let shown: Vec<String> = flags.iter().map(ToString::to_string).collect();
    assert_eq!(parse_iuse(&shown.join(" ")), Ok(flags));
});
