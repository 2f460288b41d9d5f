use super::*;

fn a(s: &str) -> Atom {
    Atom::parse(s).unwrap_or_else(|e| panic!("{s}: {e:?}"))
}

fn v(s: &str) -> Version {
    s.parse().unwrap()
}

#[test]
fn full_grammar_example_parses_and_round_trips() {
    // gentoo.md §2.2
    let x = a("<=cat/pkg-1.0:2/2.1=::repo[foo]");
    assert_eq!(x.op, Some(Operator::LessOrEqual));
    assert_eq!(x.name.to_string(), "cat/pkg");
    assert_eq!(x.version.as_ref().map(Version::as_str), Some("1.0"));
    assert_eq!(
        x.slot,
        Some(SlotDep {
            slot: Some("2".into()),
            subslot: Some("2.1".into()),
            op: Some(SlotOperator::Equal)
        })
    );
    assert_eq!(x.repo.as_deref(), Some("repo"));
    assert_eq!(
        x.use_deps,
        [UseDep {
            flag: "foo".into(),
            kind: UseDepKind::Enabled,
            default: None
        }]
    );
    assert_eq!(x.to_string(), "<=cat/pkg-1.0:2/2.1=::repo[foo]");
}

#[test]
fn round_trips() {
    for s in [
        "cat/pkg",
        "!cat/pkg",
        "!!>=cat/pkg-1.0-r1",
        "=cat/pkg-1.0_rc*",
        "=cat/pkg-1.0-r1*",
        "~cat/pkg-1.2",
        "<cat/pkg-2",
        ">cat/pkg-2",
        "cat/pkg:=",
        "cat/pkg:*",
        "cat/pkg:0",
        "cat/pkg:0=",
        "cat/pkg:0/6=",
        "cat/pkg::gentoo",
        "cat/pkg[sqlite,-tk,ssl(+),xml(-)?,!bluetooth=,a=,!b?]",
        "sys-libs/gpm[abi_x86_32(-)?,abi_x86_64(-)?]",
        "!<=sys-libs/ncurses-5.9-r4:5",
        ">=sys-libs/ncurses-5.9-r3:0/6=",
    ] {
        assert_eq!(a(s).to_string(), s);
        assert_eq!(s.parse::<Atom>().unwrap(), a(s));
    }
}

#[test]
fn invalid_atoms_with_offsets() {
    for (s, offset) in [
        ("cat/pkg::repo:2", 9),       // repo before slot
        ("cat/pkg:2[foo]::repo", 14), // use before repo
        ("cat/pkg:2/=", 10),          // empty sub-slot
        ("cat/pkg[-foo?]", 8),        // not one of the six forms
        ("cat/pkg-1.2", 0),           // version without operator
        (">=cat/pkg", 9),             // operator without version
        (">=cat/pkg-1.0*", 13),       // glob only with =
        ("cat/pkg*", 7),
        ("cat/pkg:", 8),
        ("cat/pkg:2*", 9),
        ("cat/pkg[]", 8),
        ("cat/pkg[a,,b]", 10),
        ("cat/pkg[foo", 11),
        ("cat/pkg[foo]x", 12),
        ("cat/pkg[a(+),a(-)]", 13),
        ("cat/pkg[a,a(+)]", 10),
        ("cat/pkg:2:3", 9),
        ("catpkg", 0),
        ("=cat/pkg-1.0x_y", 14),
        ("cat/p kg", 5),
        ("-cat/pkg", 0),
        ("=cat/pkg-1.0-2", 10),
        ("cat/pkg::", 9),
        ("cat/pkg::re.po", 9),
        ("cat/pkg:/2", 8),
        ("", 0),
    ] {
        let err = Atom::parse(s).expect_err(s);
        assert_eq!(err.offset, Some(offset), "{s}: {}", err.message);
    }
}

#[test]
fn operator_table_from_gentoo_md() {
    // gentoo.md §2.3, Portage's match_from_list results.
    let candidates = [
        "1.02", "1.2", "1.2-r3", "1.2.3", "1.2_rc1", "1.2b", "1.20", "1.3",
    ];
    let matching = |atom: &str| -> Vec<&str> {
        let atom = a(atom);
        candidates
            .iter()
            .copied()
            .filter(|c| atom.matches_version(&v(c)))
            .collect()
    };
    assert_eq!(matching("<c/p-1.2"), ["1.02", "1.2_rc1"]);
    assert_eq!(matching("<=c/p-1.2"), ["1.02", "1.2", "1.2_rc1"]);
    assert_eq!(matching("=c/p-1.2"), ["1.2"]);
    assert_eq!(
        matching("=c/p-1.2*"),
        ["1.2", "1.2-r3", "1.2.3", "1.2_rc1", "1.2b"]
    );
    assert_eq!(matching("~c/p-1.2"), ["1.2", "1.2-r3"]);
    assert_eq!(matching("~c/p-1.2-r1"), ["1.2", "1.2-r3"]);
    assert_eq!(
        matching(">c/p-1.2"),
        ["1.2-r3", "1.2.3", "1.2b", "1.20", "1.3"]
    );
    assert_eq!(
        matching(">=c/p-1.2"),
        ["1.2", "1.2-r3", "1.2.3", "1.2b", "1.20", "1.3"]
    );
    assert_eq!(matching("c/p").len(), candidates.len());
    assert!(a("=c/p-1.2-r0").matches_version(&v("1.2")));
}

#[test]
fn slot_repo_and_name_matching() {
    assert!(a("c/p").matches_slot("0", "0"));
    assert!(a("c/p:=").matches_slot("3", "3.1"));
    assert!(a("c/p:*").matches_slot("3", "3.1"));
    assert!(a("c/p:0").matches_slot("0", "6"));
    assert!(!a("c/p:0").matches_slot("5", "5"));
    assert!(a("c/p:0/6=").matches_slot("0", "6"));
    assert!(!a("c/p:0/6").matches_slot("0", "5"));
    assert!(a("c/p::gentoo").matches_repo("gentoo"));
    assert!(!a("c/p::gentoo").matches_repo("guru"));
    assert!(a("c/p").matches_repo("guru"));
    assert!(a("!c/p").matches_name(&"c/p".parse().unwrap()));
    assert!(!a("c/p").matches_name(&"c/q".parse().unwrap()));
}

#[test]
fn blockers() {
    assert_eq!(a("!c/p").blocker, Some(Blocker::Weak));
    assert_eq!(a("!!c/p").blocker, Some(Blocker::Strong));
    assert_eq!(a("c/p").blocker, None);
    assert!(Atom::parse("!!!c/p").is_err());
}

#[test]
fn without_use_deps_keeps_the_rest() {
    let x = a(">=c/p-1:2::r[foo,-bar]").without_use_deps();
    assert_eq!(x.to_string(), ">=c/p-1:2::r");
}

fn dep(s: &str) -> UseDep {
    a(&format!("c/p[{s}]")).use_deps.remove(0)
}

#[test]
fn use_dep_evaluation() {
    let on = |_: &str| true;
    let off = |_: &str| false;
    // (parent, target_has, target_on) → result, per PMS §8.3.4.
    assert_eq!(dep("foo").is_satisfied(&off, true, true), Some(true));
    assert_eq!(dep("foo").is_satisfied(&off, true, false), Some(false));
    assert_eq!(dep("-foo").is_satisfied(&off, true, false), Some(true));
    assert_eq!(dep("-foo").is_satisfied(&off, true, true), Some(false));
    assert_eq!(dep("foo=").is_satisfied(&on, true, true), Some(true));
    assert_eq!(dep("foo=").is_satisfied(&off, true, true), Some(false));
    assert_eq!(dep("!foo=").is_satisfied(&on, true, false), Some(true));
    assert_eq!(dep("!foo=").is_satisfied(&on, true, true), Some(false));
    assert_eq!(dep("foo?").is_satisfied(&on, true, false), Some(false));
    assert_eq!(dep("foo?").is_satisfied(&off, true, false), Some(true));
    assert_eq!(dep("!foo?").is_satisfied(&off, true, true), Some(false));
    assert_eq!(dep("!foo?").is_satisfied(&on, true, true), Some(true));
    // Missing flag: defaults, or None without one.
    assert_eq!(dep("foo").is_satisfied(&off, false, false), None);
    assert_eq!(dep("foo(+)").is_satisfied(&off, false, false), Some(true));
    assert_eq!(dep("foo(-)").is_satisfied(&off, false, false), Some(false));
    assert_eq!(dep("foo(-)?").is_satisfied(&off, false, false), Some(true));
    assert_eq!(dep("foo(-)?").is_satisfied(&on, false, false), Some(false));
    assert_eq!(dep("foo?").is_satisfied(&off, false, false), Some(true));
    assert_eq!(dep("-foo(+)").is_satisfied(&off, false, false), Some(false));
    assert_eq!(dep("!foo(+)=").is_satisfied(&off, false, false), Some(true));
    // The parent closure is asked about this dependency's flag.
    let only_foo = |f: &str| f == "foo";
    assert_eq!(dep("foo=").is_satisfied(&only_foo, true, true), Some(true));
    assert_eq!(dep("bar=").is_satisfied(&only_foo, true, true), Some(false));
}
