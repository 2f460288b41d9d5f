//! Dependency specifications (`*DEPEND`, REQUIRED_USE, LICENSE-style):
//! parsing and evaluation never panic, and a parsed tree prints back to
//! text that parses to the same tree.
#![no_main]

use libfuzzer_sys::fuzz_target;
use staves_core::gentoo::depspec::{
    check_required_use, check_required_use_eapi, evaluate, format_nodes, parse_dependencies,
    parse_plain, parse_required_use,
};

/// A deterministic, input-independent choice of enabled flags.
fn enabled(flag: &str) -> bool {
    flag.len() % 2 == 0
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(tree) = parse_dependencies(text) {
        assert_eq!(parse_dependencies(&format_nodes(&tree)), Ok(tree.clone()));
        let _ = evaluate(&tree, &enabled);
    }
    if let Ok(tree) = parse_required_use(text) {
        assert_eq!(parse_required_use(&format_nodes(&tree)), Ok(tree.clone()));
        let _ = evaluate(&tree, &enabled);
        let _ = check_required_use(&tree, &enabled);
        let _ = check_required_use_eapi(&tree, &enabled, true);
    }
    if let Ok(tree) = parse_plain(text) {
        assert_eq!(parse_plain(&format_nodes(&tree)), Ok(tree.clone()));
        let _ = evaluate(&tree, &enabled);
    }
});
