use super::*;

fn flags<'a>(on: &'a [&'a str]) -> impl Fn(&str) -> bool + 'a {
    move |f| on.contains(&f)
}

fn reduce(s: &str, on: &[&str]) -> String {
    let tree = parse_dependencies(s).unwrap_or_else(|e| panic!("{s}: {e:?}"));
    format_nodes(&evaluate(&tree, &flags(on)))
}

#[test]
fn use_reduce_matches_portage() {
    // Each expectation is Portage 3.0.83's use_reduce output, written in
    // dep-string notation (EAPI 8; `|| ( )` is its empty-any-of constant).
    let s = "a/b flag? ( c/d !other? ( e/f ) ) || ( g/h i/j ) !flag? ( k/l )";
    assert_eq!(reduce(s, &["flag"]), "a/b c/d e/f || ( g/h i/j )");
    assert_eq!(reduce(s, &["other"]), "a/b || ( g/h i/j ) k/l");
    for (s, on, want) in [
        ("|| ( a/b )", &[][..], "a/b"),
        ("|| ( a/b ( c/d e/f ) )", &[], "|| ( a/b ( c/d e/f ) )"),
        ("|| ( ( c/d e/f ) )", &[], "c/d e/f"),
        ("|| ( x? ( a/b ) c/d )", &[], "c/d"),
        ("|| ( x? ( a/b ) c/d )", &["x"], "|| ( a/b c/d )"),
        (
            "|| ( x? ( a/b c/d ) e/f )",
            &["x"],
            "|| ( ( a/b c/d ) e/f )",
        ),
        ("|| ( x? ( a/b ) )", &[], "|| ( )"),
        ("( ( a/b ) )", &[], "a/b"),
        ("|| ( a/b || ( c/d e/f ) )", &[], "|| ( a/b c/d e/f )"),
        ("|| ( ( a/b ) c/d )", &[], "|| ( a/b c/d )"),
        ("|| ( ( a/b ( c/d ) ) e/f )", &[], "|| ( ( a/b c/d ) e/f )"),
        (
            "|| ( ( a/b || ( c/d g/h ) ) e/f )",
            &[],
            "|| ( ( a/b || ( c/d g/h ) ) e/f )",
        ),
        ("|| ( x? ( a/b c/d ) )", &["x"], "a/b c/d"),
        ("|| ( || ( a/b c/d ) )", &[], "|| ( a/b c/d )"),
        (
            "|| ( a/b x? ( || ( c/d e/f ) ) )",
            &["x"],
            "|| ( a/b c/d e/f )",
        ),
        (
            "|| ( a/b x? ( c/d e/f ) )",
            &["x"],
            "|| ( a/b ( c/d e/f ) )",
        ),
        (
            "|| ( a/b x? ( y? ( c/d ) ) )",
            &["x", "y"],
            "|| ( a/b c/d )",
        ),
        ("|| ( a/b x? ( y? ( c/d ) ) )", &["x"], "a/b"),
        ("x? ( || ( a/b c/d ) )", &["x"], "|| ( a/b c/d )"),
        ("|| ( x? ( a/b ) y? ( c/d ) )", &[], "|| ( )"),
        ("|| ( ( || ( a/b c/d ) ) e/f )", &[], "|| ( a/b c/d e/f )"),
        ("|| ( a/b || ( x? ( c/d ) ) )", &[], "|| ( a/b || ( ) )"),
        ("|| ( a/b ( x? ( c/d ) ) )", &[], "a/b"),
        ("|| ( ( x? ( c/d ) ) )", &[], "|| ( )"),
        (
            "|| ( ( a/b c/d ) ( e/f g/h ) )",
            &[],
            "|| ( ( a/b c/d ) ( e/f g/h ) )",
        ),
        ("( || ( a/b c/d ) )", &[], "|| ( a/b c/d )"),
        ("x? ( || ( y? ( a/b ) ) ) c/d", &["x"], "|| ( ) c/d"),
    ] {
        assert_eq!(reduce(s, on), want, "{s} with {on:?}");
    }
}

#[test]
fn parses_real_ncurses_rdepend() {
    let tree =
        parse_dependencies("!<=sys-libs/ncurses-5.9-r4:5 !<sys-libs/slang-2.3.2_pre23").unwrap();
    assert_eq!(tree.len(), 2);
    assert!(matches!(&tree[0], DepNode::Item(a) if a.blocker.is_some()));
    assert_eq!(
        format_nodes(&tree),
        "!<=sys-libs/ncurses-5.9-r4:5 !<sys-libs/slang-2.3.2_pre23"
    );
}

#[test]
fn structure_and_round_trip() {
    let s = "a/b flag? ( c/d !other? ( e/f ) ) || ( g/h i/j ) !flag? ( k/l )";
    let tree = parse_dependencies(s).unwrap();
    assert_eq!(format_nodes(&tree), s);
    assert!(
        matches!(&tree[1], DepNode::UseConditional { flag, negated: false, children } if flag == "flag" && children.len() == 2)
    );
    assert!(matches!(
        &tree[3],
        DepNode::UseConditional { negated: true, .. }
    ));
    // Any whitespace separates tokens.
    let spaced = parse_dependencies("a/b\n\tflag?\n( c/d )").unwrap();
    assert_eq!(format_nodes(&spaced), "a/b flag? ( c/d )");
    assert_eq!(parse_dependencies("  ").unwrap(), []);
    assert_eq!(
        format_nodes(&parse_dependencies("|| ( )").unwrap()),
        "|| ( )"
    );
}

#[test]
fn syntax_errors_with_offsets() {
    for (s, offset) in [
        ("a/b (c/d )", 4), // `(c/d` is not an atom
        ("|| a/b", 0),     // operator without group
        ("flag? a/b", 0),
        ("( a/b", 5),
        ("a/b )", 4),
        ("^^ ( a/b )", 0),
        ("?? ( a/b )", 0),
        ("a/b ||", 4),
        ("a/b c/d-1", 4),
        ("fl.ag? ( a/b )", 0),
        ("x/y !? ( a/b )", 4),
        ("a/b >=c/d", 9),
    ] {
        let err = parse_dependencies(s).expect_err(s);
        assert_eq!(err.offset, Some(offset), "{s}: {}", err.message);
    }
}

#[test]
fn nesting_is_bounded() {
    let deep = "( ".repeat(MAX_DEPTH + 5) + &") ".repeat(MAX_DEPTH + 5);
    assert!(parse_dependencies(&deep).is_err());
    let ok = "( ".repeat(50) + "a/b " + &") ".repeat(50);
    assert_eq!(reduce(&ok, &[]), "a/b");
}

#[test]
fn plain_and_required_use_parsers() {
    let lic = parse_plain("GPL-2+ || ( MIT Apache-2.0 ) foo? ( bar )").unwrap();
    assert_eq!(
        format_nodes(&lic),
        "GPL-2+ || ( MIT Apache-2.0 ) foo? ( bar )"
    );
    assert!(parse_plain("^^ ( a b )").is_err());
    let ru = parse_required_use("^^ ( a !b ) ?? ( c d ) e? ( f )").unwrap();
    assert_eq!(format_nodes(&ru), "^^ ( a !b ) ?? ( c d ) e? ( f )");
    assert!(matches!(&ru[0], DepNode::ExactlyOneOf(c) if c.len() == 2));
    assert!(matches!(&ru[1], DepNode::AtMostOneOf(_)));
    assert_eq!(parse_required_use("a !_b").unwrap_err().offset, Some(2));
    assert_eq!(parse_required_use("a !").unwrap_err().offset, Some(2));
}

fn check(s: &str, on: &[&str]) -> Result<(), String> {
    check_required_use(&parse_required_use(s).unwrap(), &flags(on))
}

#[test]
fn required_use_checks() {
    assert_eq!(check("^^ ( a b )", &["a"]), Ok(()));
    assert_eq!(check("^^ ( a b )", &["a", "b"]), Err("^^ ( a b )".into()));
    assert_eq!(check("^^ ( a b )", &[]), Err("^^ ( a b )".into()));
    assert_eq!(check("?? ( a b )", &[]), Ok(()));
    assert_eq!(check("?? ( a b )", &["a", "b"]), Err("?? ( a b )".into()));
    assert_eq!(check("|| ( a b )", &["b"]), Ok(()));
    assert_eq!(check("|| ( a b )", &[]), Err("|| ( a b )".into()));
    assert_eq!(check("a? ( b )", &["a"]), Err("a? ( b )".into()));
    assert_eq!(check("a? ( b )", &[]), Ok(()));
    assert_eq!(check("!a? ( b )", &[]), Err("!a? ( b )".into()));
    assert_eq!(check("a !b", &["a", "b"]), Err("!b".into()));
    assert_eq!(check("c a? ( b ) d", &["a", "c"]), Err("a? ( b )".into()));
    // Conditionals inside groups: an inactive one does not count.
    assert_eq!(check("^^ ( x? ( a ) b )", &["b"]), Ok(()));
    assert_eq!(
        check("^^ ( x? ( a ) b )", &["a", "b", "x"]),
        Err("^^ ( x? ( a ) b )".into())
    );
    assert_eq!(check("|| ( x? ( a ) )", &[]), Err("|| ( x? ( a ) )".into()));
    // All-of members of a group.
    assert_eq!(check("^^ ( ( a b ) c )", &["a", "b"]), Ok(()));
    assert_eq!(
        check("^^ ( ( a b ) c )", &["a"]),
        Err("^^ ( ( a b ) c )".into())
    );
    // Empty groups: violated from EAPI 7 on, satisfied before.
    let empty = parse_required_use("|| ( ) ^^ ( )").unwrap();
    assert_eq!(
        check_required_use(&empty, &flags(&[])),
        Err("|| ( )".into())
    );
    assert_eq!(check_required_use_eapi(&empty, &flags(&[]), true), Ok(()));
    let emptied = parse_required_use("|| ( x? ( a ) )").unwrap();
    assert_eq!(check_required_use_eapi(&emptied, &flags(&[]), true), Ok(()));
    assert_eq!(check("?? ( )", &[]), Ok(()));
}

#[test]
fn evaluate_keeps_exactly_one_of_members() {
    let ru = parse_required_use("^^ ( ( a b ) x? ( c d ) !x? ( e ) )").unwrap();
    let got = evaluate(&ru, &flags(&["x"]));
    assert_eq!(format_nodes(&got), "^^ ( ( a b ) ( c d ) )");
}

#[test]
fn satisfaction_of_license_like_trees() {
    let lic = parse_plain("GPL-2+ || ( MIT Apache-2.0 ) foo? ( EULA )").unwrap();
    let ok = |l: &String| l != "EULA" && l != "MIT";
    assert!(is_satisfied(&lic, &ok, &flags(&[]), false));
    assert!(!is_satisfied(&lic, &ok, &flags(&["foo"]), false));
    let none = |_: &String| false;
    assert!(!is_satisfied(&lic, &none, &flags(&[]), false));
    let empty = parse_plain("|| ( )").unwrap();
    assert!(!is_satisfied(&empty, &none, &flags(&[]), false));
    assert!(is_satisfied(&empty, &none, &flags(&[]), true));
}

#[test]
fn collect_items_in_order() {
    let tree = parse_plain("a x? ( b || ( c d ) ) e ( f )").unwrap();
    let items: Vec<&str> = collect_items(&tree)
        .into_iter()
        .map(String::as_str)
        .collect();
    assert_eq!(items, ["a", "b", "c", "d", "e", "f"]);
}
