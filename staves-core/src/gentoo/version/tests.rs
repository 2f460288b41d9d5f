use std::cmp::Ordering;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use super::*;

fn v(s: &str) -> Version {
    s.parse().unwrap_or_else(|e| panic!("{s}: {e:?}"))
}

fn hash(v: &Version) -> u64 {
    let mut h = DefaultHasher::new();
    v.hash(&mut h);
    h.finish()
}

/// Every row of gentoo.md §1.3 (verified against Portage's vercmp).
/// PMS/Portage say `0001.0 == 1.0` (pkgcore differs; we follow Portage).
const TABLE: &[(&str, Ordering, &str)] = &[
    ("1.0", Ordering::Less, "1.0.0"),
    ("1.0.0_alpha", Ordering::Greater, "1.0"),
    ("1.0_rc9", Ordering::Less, "1.0"),
    ("1.0", Ordering::Less, "1.0_p0"),
    ("1.0_p", Ordering::Equal, "1.0_p0"),
    ("1.0_alpha1", Ordering::Less, "1.0_beta"),
    ("1.0a", Ordering::Greater, "1.0"),
    ("1.0z", Ordering::Less, "1.0.1"),
    ("1.0_p1", Ordering::Less, "1.0a"),
    ("1.01", Ordering::Less, "1.1"),
    ("1.01", Ordering::Equal, "1.010"),
    ("1.010", Ordering::Less, "1.1"),
    ("1.10", Ordering::Greater, "1.9"),
    ("1.0-r2", Ordering::Less, "1.0-r10"),
    ("1.0-r01", Ordering::Equal, "1.0-r1"),
    ("1.0_rc1_pre2", Ordering::Less, "1.0_rc1"),
    ("5.2_p37-r4", Ordering::Greater, "5.2_p37"),
    ("5.3_p3", Ordering::Greater, "5.2_p37-r4"),
    ("6.5_p20250531-r1", Ordering::Less, "6.5_p20250802"),
    ("8.3_alpha_p20241011", Ordering::Greater, "8.3_alpha"),
    ("8.3_alpha_p20241011", Ordering::Less, "8.3_beta_p20250128"),
    ("8.4_alpha_pre20250805", Ordering::Less, "8.4_alpha"),
    ("8.3-r1", Ordering::Less, "8.3_p1"),
    ("0.3.14.6", Ordering::Less, "3.13.9"),
    ("9999", Ordering::Greater, "8.4_alpha_pre20251007"),
    ("3.13.9999", Ordering::Less, "3.14.0_alpha1"),
    ("0001.0", Ordering::Equal, "1.0"),
];

#[test]
fn gentoo_md_table() {
    for &(a, want, b) in TABLE {
        let (va, vb) = (v(a), v(b));
        assert_eq!(va.cmp(&vb), want, "{a} vs {b}");
        assert_eq!(vb.cmp(&va), want.reverse(), "{b} vs {a}");
        assert_eq!(va == vb, want == Ordering::Equal, "{a} == {b}");
        if want == Ordering::Equal {
            assert_eq!(hash(&va), hash(&vb), "hash {a} vs {b}");
        }
    }
}

#[test]
fn more_equalities_hash_alike() {
    for (a, b) in [
        ("1.0", "1.0-r0"),
        ("1.0-r0", "1.0-r00"),
        ("1.0", "1.00"),
        ("1.0", "1.000"),
        ("01.2", "1.2"),
        ("0", "000"),
        ("1.0_p", "1.0_p000"),
        ("1.0_rc01", "1.0_rc1"),
        (
            "123456789012345678901234567890",
            "000123456789012345678901234567890",
        ),
    ] {
        assert_eq!(v(a), v(b), "{a} == {b}");
        assert_eq!(hash(&v(a)), hash(&v(b)), "hash {a} {b}");
    }
    assert_ne!(v("1.1"), v("1.10"));
    assert_ne!(v("1.0"), v("1.0.0"));
    assert_ne!(v("1.0a"), v("1.0_p"));
}

#[test]
fn huge_numbers_compare_as_digit_strings() {
    assert!(v("99999999999999999999999") < v("100000000000000000000000"));
    assert!(v("1.2_p99999999999999999999") < v("1.2_p100000000000000000000"));
    assert!(v("1-r99999999999999999999") < v("1-r100000000000000000000"));
    assert!(v("1.99999999999999999999") < v("1.100000000000000000000"));
}

#[test]
fn display_round_trips_original_text() {
    for s in ["1.0-r00", "0001.2", "1.0_p", "2.3b_alpha_p4-r5"] {
        assert_eq!(v(s).to_string(), s);
    }
}

#[test]
fn parts_are_exposed() {
    let x = v("1.02.3b_rc4_p-r06");
    assert_eq!(x.numbers().collect::<Vec<_>>(), ["1", "02", "3"]);
    assert_eq!(x.letter(), Some('b'));
    assert_eq!(
        x.suffixes().collect::<Vec<_>>(),
        [(SuffixKind::Rc, "4"), (SuffixKind::P, "")]
    );
    assert_eq!(x.revision(), "6");
    assert!(x.has_revision());
    assert_eq!(x.without_revision().to_string(), "1.02.3b_rc4_p");
    assert_eq!(x.without_revision().revision(), "0");
    assert_eq!(v("1.0").revision(), "0");
    assert_eq!(v("1.0-r000").revision(), "0");
}

#[test]
fn invalid_versions_report_offsets() {
    for (s, offset) in [
        ("", 0),
        (".1", 0),
        ("1..2", 2),
        ("1.", 2),
        ("1.0A", 3),
        ("1.0ab", 4),
        ("1.0_p1a", 6),
        ("1.0_x", 4),
        ("1.0_", 4),
        ("1.0-r", 5),
        ("1.0-1", 3),
        ("1.0-r1-r2", 6),
        ("1.0 ", 3),
        ("a1", 0),
        ("1_p-r1a", 6),
        ("1_pr1", 3),
        ("١", 0),
    ] {
        let err = Version::parse(s).expect_err(s);
        assert_eq!(err.offset, Some(offset), "{s}: {}", err.message);
    }
}

#[test]
fn glob_prefix_matches_portage_match_from_list() {
    // gentoo.md §2.3: `=c/p-1.2*` against the candidates listed there.
    let prefix = v("1.2");
    let got: Vec<&str> = [
        "1.02", "1.2", "1.2-r3", "1.2.3", "1.2_rc1", "1.2b", "1.20", "1.3",
    ]
    .into_iter()
    .filter(|c| v(c).starts_with_components(&prefix))
    .collect();
    assert_eq!(got, ["1.2", "1.2-r3", "1.2.3", "1.2_rc1", "1.2b"]);

    assert!(v("1.0_rc1").starts_with_components(&v("1.0_rc")));
    assert!(!v("1.0_pre1").starts_with_components(&v("1.0_p")));
    assert!(v("1.0-r1").starts_with_components(&v("1.0-r1")));
    assert!(!v("1.0-r10").starts_with_components(&v("1.0-r1")));
    assert!(v("0.3.14").starts_with_components(&v("0.3")));
    assert!(v("007.1").starts_with_components(&v("7")));
    assert!(v("7.1").starts_with_components(&v("007")));
    assert!(v("0.1").starts_with_components(&v("00")));
    assert!(!v("10").starts_with_components(&v("1")));
    assert!(v("1a").starts_with_components(&v("1")));
}

#[test]
fn live_versions() {
    assert!(v("9999").is_live());
    assert!(v("3.13.9999").is_live());
    assert!(v("99999-r1").is_live());
    assert!(!v("999").is_live());
    assert!(!v("1.0_p9999").is_live());
    assert!(!v("19999").is_live());
}

#[test]
fn approximate_ignores_revision() {
    assert_eq!(v("1.2-r3").cmp_without_revision(&v("1.2")), Ordering::Equal);
    assert_eq!(
        v("1.2b-r3").cmp_without_revision(&v("1.2")),
        Ordering::Greater
    );
}

#[test]
fn sorting_is_total_on_a_mixed_list() {
    let mut list: Vec<Version> = [
        "1.0",
        "1.0-r1",
        "1.0_p1",
        "1.0a",
        "1.0.0",
        "1.0_rc1",
        "1.0_alpha",
        "1.01",
        "1.1",
        "0.9",
    ]
    .into_iter()
    .map(v)
    .collect();
    list.sort();
    let text: Vec<String> = list.iter().map(ToString::to_string).collect();
    assert_eq!(
        text,
        [
            "0.9",
            "1.0_alpha",
            "1.0_rc1",
            "1.0",
            "1.0-r1",
            "1.0_p1",
            "1.0a",
            "1.0.0",
            "1.01",
            "1.1"
        ]
    );
}
