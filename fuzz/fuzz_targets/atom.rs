//! Atoms: parsing never panics, and a valid atom prints back to text that
//! parses to the same atom.
#![no_main]

use libfuzzer_sys::fuzz_target;
use staves_core::gentoo::atom::Atom;
use staves_core::gentoo::version::Version;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(atom) = Atom::parse(text) else { return };
    let shown = atom.to_string();
    assert_eq!(shown, text);
    assert_eq!(Atom::parse(&shown).as_ref(), Ok(&atom));
    let probe = Version::parse("1.2.3_rc1-r2").expect("valid version");
    let _ = atom.matches_version(&probe);
    if let Some(v) = &atom.version {
        let _ = atom.matches_version(v);
    }
    let _ = (atom.matches_slot("0", "0"), atom.matches_repo("gentoo"));
    let _ = atom.without_use_deps();
});
