//! The line format: parsing, errors with line numbers, forward
//! compatibility, and version selection.

mod common;

use common::{digest, entry};
use registry_index::{IndexConfig, IndexError, parse_file, search_hit, select};
use semver::{Version, VersionReq};

fn line(name: &str, vers: &str) -> String {
    entry(name, vers).to_line()
}

#[test]
fn a_line_round_trips_and_keeps_the_documented_field_order() {
    let e = entry("gentoo", "1.2.3");
    let text = e.to_line();
    assert!(
        text.starts_with(
            r#"{"v":1,"name":"gentoo","vers":"1.2.3","images":{"linux/amd64":"sha256:"#
        ),
        "{text}"
    );
    assert!(
        text.contains(r#""portage":"3.0.83","packages":["#),
        "{text}"
    );
    assert_eq!(parse_file(&text, "ge/nt/gentoo").unwrap(), vec![e]);
}

#[test]
fn malformed_lines_name_the_file_and_line() {
    let text = format!(
        "{}\n\n{}\n{{\"v\":1,\"name\":\n",
        line("abc", "1.0.0"),
        line("abc", "1.1.0")
    );
    let err = parse_file(&text, "3/a/abc").unwrap_err();
    match &err {
        IndexError::Malformed { path, line, .. } => {
            assert_eq!(path, "3/a/abc");
            assert_eq!(*line, 4, "blank lines count: {err}");
        }
        other => panic!("unexpected error {other}"),
    }
    assert!(err.to_string().starts_with("3/a/abc:4: "), "{err}");
}

#[test]
fn invalid_fields_are_errors_with_the_field_named() {
    let good = line("abc", "1.0.0");
    let cases = [
        (
            good.replace("\"vers\":\"1.0.0\"", "\"vers\":\"1.0\""),
            "vers",
        ),
        (good.replace(&digest(5), "sha256:abc"), "64 lowercase hex"),
        (good.replace("linux/amd64", "amd64"), "OCI platform"),
        (
            good.replace("\"arch\":\"amd64\"", "\"arch\":\"AMD 64\""),
            "`arch`",
        ),
        (good.replace("default/linux", "/default/linux"), "`profile`"),
        (
            good.replace("sys-apps/portage-3.0.83", "portage"),
            "`packages`",
        ),
        (
            good.replace("\"name\":\"abc\"", "\"name\":\"a.c\""),
            "`name`",
        ),
        (good.replace("\"v\":1", "\"v\":0"), "`v`"),
        (
            good.replace(",\"arch\":\"amd64\"", ""),
            "missing field `arch`",
        ),
        ("[1,2]".to_owned(), "one JSON object"),
    ];
    for (text, needle) in cases {
        let err = parse_file(&text, "3/a/abc").unwrap_err();
        assert!(
            matches!(err, IndexError::Malformed { line: 1, .. }),
            "{err}"
        );
        assert!(err.to_string().contains(needle), "`{needle}` not in: {err}");
    }
}

#[test]
fn lines_of_a_newer_schema_are_skipped() {
    let newer = r#"{"v":2,"name":"abc","vers":"2.0.0","something":"new"}"#;
    let text = format!(
        "{}\n{newer}\n{}\n",
        line("abc", "1.0.0"),
        line("abc", "1.1.0")
    );
    let entries = parse_file(&text, "3/a/abc").unwrap();
    let versions: Vec<String> = entries.iter().map(|e| e.vers.to_string()).collect();
    assert_eq!(versions, ["1.0.0", "1.1.0"]);
}

#[test]
fn unknown_fields_of_known_schemas_are_ignored() {
    let text = line("abc", "1.0.0").replace("\"yanked\"", "\"later\":{\"x\":1},\"yanked\"");
    assert_eq!(parse_file(&text, "3/a/abc").unwrap().len(), 1);
}

#[test]
fn a_missing_v_means_schema_one() {
    let text = line("abc", "1.0.0").replace("\"v\":1,", "");
    assert_eq!(parse_file(&text, "3/a/abc").unwrap()[0].v, 1);
}

#[test]
fn duplicate_versions_and_mixed_names_are_errors() {
    let dup = format!("{}\n{}\n", line("abc", "1.0.0"), line("abc", "1.0.0+build"));
    let err = parse_file(&dup, "3/a/abc").unwrap_err();
    assert!(
        matches!(err, IndexError::Malformed { line: 2, .. }),
        "{err}"
    );
    let mixed = format!("{}\n{}\n", line("a-b", "1.0.0"), line("a_b", "1.1.0"));
    let err = parse_file(&mixed, "3/a/a-b").unwrap_err();
    assert!(
        err.to_string().contains("in the file of builder `a-b`"),
        "{err}"
    );
}

#[test]
fn config_is_checked() {
    let ok = IndexConfig::parse(r#"{"oci":"ghcr.io/owner/builders"}"#, "idx").unwrap();
    assert_eq!(ok.api, None);
    let e = entry("gentoo", "1.0.0");
    assert_eq!(
        ok.image_ref(&e, "linux/amd64").unwrap(),
        format!("ghcr.io/owner/builders/gentoo@{}", digest(5))
    );
    assert_eq!(ok.image_ref(&e, "linux/arm64"), None);
    for bad in [
        r#"{"oci":"https://ghcr.io/x"}"#,
        r#"{"oci":"ghcr.io"}"#,
        r#"{"oci":"ghcr.io/x@sha256:1"}"#,
        r#"{}"#,
    ] {
        let err = IndexConfig::parse(bad, "idx").unwrap_err();
        assert!(err.to_string().starts_with("idx/config.json: "), "{err}");
    }
}

fn versions(list: &[(&str, bool)]) -> Vec<registry_index::IndexEntry> {
    list.iter()
        .map(|(v, yanked)| {
            let mut e = entry("gentoo", v);
            e.yanked = *yanked;
            e
        })
        .collect()
}

fn pick(
    entries: &[registry_index::IndexEntry],
    req: &str,
    locked: Option<&str>,
) -> Result<String, IndexError> {
    let req: VersionReq = req.parse().unwrap();
    let locked: Option<Version> = locked.map(|v| v.parse().unwrap());
    select("gentoo", "idx", entries, &req, locked.as_ref()).map(|e| e.vers.to_string())
}

#[test]
fn resolution_follows_cargo_semver() {
    let all = versions(&[
        ("0.2.3", false),
        ("0.2.9", false),
        ("0.3.0", false),
        ("1.2.0", false),
        ("1.9.1", false),
        ("2.0.0-rc.1", false),
        ("2.0.0", false),
    ]);
    assert_eq!(pick(&all, "0.2.3", None).unwrap(), "0.2.9");
    assert_eq!(pick(&all, "1.2", None).unwrap(), "1.9.1");
    assert_eq!(pick(&all, "~1.2", None).unwrap(), "1.2.0");
    assert_eq!(pick(&all, "*", None).unwrap(), "2.0.0");
    assert_eq!(pick(&all, "=2.0.0-rc.1", None).unwrap(), "2.0.0-rc.1");
    assert_eq!(pick(&all, ">=1, <2", None).unwrap(), "1.9.1");
    // A pre-release only matches a requirement that names one.
    let err = pick(&all[..6], "2", None).unwrap_err();
    assert!(matches!(err, IndexError::NoMatch { .. }), "{err}");
}

#[test]
fn yanked_versions_are_skipped_unless_locked() {
    let all = versions(&[("1.0.0", false), ("1.1.0", true), ("1.2.0", true)]);
    assert_eq!(pick(&all, "^1", None).unwrap(), "1.0.0");
    // The lock pins 1.1.0: it still resolves, although yanked.
    assert_eq!(pick(&all, "=1.1.0", Some("1.1.0")).unwrap(), "1.1.0");
    // Another locked version does not unlock 1.1.0.
    let err = pick(&all, "=1.1.0", Some("1.0.0")).unwrap_err();
    match &err {
        IndexError::NoMatch {
            available, yanked, ..
        } => {
            assert_eq!(available, &[Version::new(1, 0, 0)]);
            assert_eq!(yanked, &[Version::new(1, 1, 0)]);
        }
        other => panic!("unexpected {other}"),
    }
    assert!(err.to_string().contains("(yanked: 1.1.0)"), "{err}");
    assert!(err.help().unwrap().contains("yanked"));
    // Every version yanked: nothing for a new lock.
    let yanked = versions(&[("1.0.0", true)]);
    assert!(pick(&yanked, "*", None).is_err());
    assert!(matches!(
        pick(&[], "*", None),
        Err(IndexError::NotFound { .. })
    ));
}

#[test]
fn search_matches_every_word_in_name_or_summary() {
    let all = versions(&[("1.0.0", false), ("1.1.0", true)]);
    let hit = search_hit(&all, "GENTOO stage3").unwrap();
    assert_eq!(hit.latest.vers, Version::new(1, 0, 0));
    assert_eq!(hit.versions, 2);
    assert!(search_hit(&all, "").is_some());
    assert!(search_hit(&all, "gentoo musl").is_none());
    assert!(search_hit(&versions(&[("1.0.0", true)]), "").is_none());
}
