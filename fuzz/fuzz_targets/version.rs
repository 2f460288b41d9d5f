//! Versions: parsing never panics, and the ordering is a consistent total
//! order whose equality agrees with hashing.
#![no_main]

use std::cmp::Ordering;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use libfuzzer_sys::fuzz_target;
use staves_core::gentoo::version::Version;

fn hash(v: &Version) -> u64 {
    let mut h = DefaultHasher::new();
    v.hash(&mut h);
    h.finish()
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    // Two versions separated by a space; each half is also parsed alone.
    let (left, right) = text.split_once(' ').unwrap_or((text, text));
    let (Ok(a), Ok(b)) = (Version::parse(left), Version::parse(right)) else {
        return;
    };
    assert_eq!(a.to_string(), left);
    let ab = a.cmp(&b);
    assert_eq!(b.cmp(&a), ab.reverse());
    assert_eq!(a <= b && b <= a, a == b);
    if ab == Ordering::Equal {
        assert_eq!(hash(&a), hash(&b), "{left} == {right} but hashes differ");
        assert_eq!(a.revision(), b.revision());
    }
    assert_eq!(a.cmp(&a), Ordering::Equal);
    let bare = a.without_revision();
    assert!(bare <= a);
    assert_eq!(bare.cmp_without_revision(&a), Ordering::Equal);
    assert!(a.starts_with_components(&a));
    let _ = (a.starts_with_components(&b), a.is_live());
});
