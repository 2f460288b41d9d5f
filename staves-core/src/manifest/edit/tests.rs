use super::*;

fn edit(text: &str) -> StavesTomlMut {
    StavesTomlMut::parse(text).unwrap()
}

fn added(text: &str, atom: &str) -> String {
    let mut doc = edit(text);
    assert_eq!(doc.add_package(atom).unwrap(), AddOutcome::Added);
    doc.to_string()
}

/// Manifests written in many styles; every test below runs on all of them.
const FIXTURES: &[&str] = &[
    "name = \"x\"\npackages = []\n",
    "name = \"x\"\npackages = [ ]\n",
    "name = \"x\"\npackages = [\n]\n",
    "name = \"x\"\npackages = [\"app-shells/bash\"]\n",
    "name = \"x\"\npackages = ['app-shells/bash', 'sys-apps/coreutils']\n",
    "name = \"x\"\npackages = [\"sys-apps/coreutils\", \"app-shells/bash\"]  # unsorted\n",
    "name = \"x\"\npackages = [\"app-shells/bash\",]\n",
    "name = \"x\"\npackages = [\n    \"app-shells/bash\",\n    \"sys-apps/coreutils\",\n]\n",
    "name = \"x\"\npackages = [\n    \"app-shells/bash\",\n    \"sys-apps/coreutils\"\n]\n",
    "name = \"x\"\npackages = [\n  \"app-shells/bash\", # the shell\n  # tools\n  \"sys-apps/coreutils\", # ls and friends\n]\n",
    "# top comment\n\nname = \"x\" # the image\n\n# what goes in\npackages = [ # list\n\t\"=app-shells/bash-5.2_p37\",\n\t\"zzz-misc/last\",\n] # end\n\n[env]\nCFLAGS = \"-O2\"\n",
    "name = \"x\"\r\npackages = [\r\n    \"app-shells/bash\",\r\n    \"sys-apps/coreutils\",\r\n]\r\n\r\n[builder]\r\nname = \"x86_64-glibc\"\r\n",
    "name = \"x\"\npackages = [\"app-shells/bash\"]\n\n[package.\"app-shells/bash\"]\nuse = [\"-nls\"]\n\n[image]\nuser = \"app\"\n",
    "name = \"x\"\npackages = [\"app-shells/bash\"]\n\n['app-shells/bash']\nuse = ['-nls']\n",
    "name = \"x\"\npackages = [\"app-shells/bash\"]\npackage = { \"app-shells/bash\" = { use = [\"-nls\"] } }\n",
    "name = \"x\"\n",
    "name = \"x\"\n[[repositories]]\nname = \"gentoo\"\ntype = \"git\"\nuri = \"https://example.invalid/gentoo.git\"\n",
];

const NEW_ATOMS: &[&str] = &[
    "dev-lang/python",
    "=aaa-first/pkg-1.0",
    "zzzz-last/pkg",
    "dev-libs/openssl:0/3",
    "net-misc/curl[ssl]",
];

#[test]
fn add_then_remove_gives_back_the_original_bytes() {
    for fixture in FIXTURES {
        for atom in NEW_ATOMS {
            if !fixture.contains("packages") {
                // Adding creates `packages`; removing leaves an empty list.
                continue;
            }
            let mut doc = edit(fixture);
            assert_eq!(
                doc.add_package(atom).unwrap(),
                AddOutcome::Added,
                "{fixture}"
            );
            let with = doc.to_string();
            assert!(with.contains(atom), "{atom} missing from:\n{with}");
            let mut doc = edit(&with);
            assert_eq!(doc.remove_package(atom).unwrap(), vec![atom.to_string()]);
            assert_eq!(
                doc.to_string(),
                *fixture,
                "after adding and removing {atom}"
            );
        }
    }
}

#[test]
fn add_with_settings_then_remove_gives_back_the_original_bytes() {
    for fixture in FIXTURES {
        if !fixture.contains("packages") {
            continue;
        }
        let mut doc = edit(fixture);
        doc.add_package("dev-lang/python").unwrap();
        let changed = doc
            .set_package_config(
                "dev-lang/python",
                &["-ssl".into(), "sqlite".into()],
                &["~amd64".into()],
                &[],
            )
            .unwrap();
        assert!(changed);
        let with = doc.to_string();
        assert!(
            with.contains("[package.\"dev-lang/python\"]")
                || with.contains("\"dev-lang/python\" = {"),
            "{with}"
        );
        // The edited text still parses as a manifest (the env is not referenced).
        crate::manifest::Manifest::from_str_at(&with, std::path::Path::new("staves.toml"))
            .unwrap_or_else(|e| panic!("{}\n{with}", e.render_snippet(&with)));
        let mut doc = edit(&with);
        doc.remove_package("dev-lang/python").unwrap();
        assert_eq!(doc.to_string(), *fixture);
    }
}

#[test]
fn edited_text_always_parses_and_keeps_line_endings() {
    for fixture in FIXTURES {
        for atom in NEW_ATOMS {
            let mut doc = edit(fixture);
            doc.add_package(atom).unwrap();
            doc.set_package_config(atom, &["foo".into()], &[], &[])
                .unwrap();
            let text = doc.to_string();
            crate::manifest::Manifest::from_str_at(&text, std::path::Path::new("staves.toml"))
                .unwrap_or_else(|e| panic!("{}\n{text}", e.render_snippet(&text)));
            if fixture.contains("\r\n") {
                assert!(
                    !text.replace("\r\n", "").contains('\n'),
                    "lone LF in:\n{text:?}"
                );
            } else {
                assert!(!text.contains('\r'), "{text:?}");
            }
        }
    }
}

#[test]
fn sorted_lists_stay_sorted() {
    let text = "packages = [\"app-shells/bash\", \"sys-apps/coreutils\"]\n";
    assert_eq!(
        added(text, "dev-lang/python"),
        "packages = [\"app-shells/bash\", \"dev-lang/python\", \"sys-apps/coreutils\"]\n"
    );
    assert_eq!(
        added(text, "aaa/first"),
        "packages = [\"aaa/first\", \"app-shells/bash\", \"sys-apps/coreutils\"]\n"
    );
    // Operators do not count: the list is sorted by category/package.
    let text = "packages = [\">=app-shells/bash-5\", \"sys-apps/coreutils\"]\n";
    assert_eq!(
        added(text, "=dev-lang/python-3.12.8"),
        "packages = [\">=app-shells/bash-5\", \"=dev-lang/python-3.12.8\", \"sys-apps/coreutils\"]\n"
    );
}

#[test]
fn unsorted_lists_get_new_entries_at_the_end() {
    let text = "packages = [\"sys-apps/coreutils\", \"app-shells/bash\"]\n";
    assert_eq!(
        added(text, "dev-lang/python"),
        "packages = [\"sys-apps/coreutils\", \"app-shells/bash\", \"dev-lang/python\"]\n"
    );
}

#[test]
fn multi_line_arrays_get_a_line_per_element() {
    let text =
        "packages = [\n    \"app-shells/bash\", # the shell\n    \"sys-apps/coreutils\",\n]\n";
    assert_eq!(
        added(text, "dev-lang/python"),
        "packages = [\n    \"app-shells/bash\", # the shell\n    \"dev-lang/python\",\n    \"sys-apps/coreutils\",\n]\n"
    );
    assert_eq!(
        added(text, "zzz/last"),
        "packages = [\n    \"app-shells/bash\", # the shell\n    \"sys-apps/coreutils\",\n    \"zzz/last\",\n]\n"
    );
    let no_trailing_comma = "packages = [\n  \"a/b\",\n  \"c/d\"\n]\n";
    assert_eq!(
        added(no_trailing_comma, "e/f"),
        "packages = [\n  \"a/b\",\n  \"c/d\",\n  \"e/f\"\n]\n"
    );
    assert_eq!(
        added("packages = [\n]\n", "a/b"),
        "packages = [\n    \"a/b\",\n]\n"
    );
}

#[test]
fn comments_stay_on_their_lines() {
    let text = "packages = [\n  \"a/a\", # about a\n  \"c/c\", # about c\n]\n";
    assert_eq!(
        added(text, "b/b"),
        "packages = [\n  \"a/a\", # about a\n  \"b/b\",\n  \"c/c\", # about c\n]\n"
    );
    assert_eq!(
        added(text, "d/d"),
        "packages = [\n  \"a/a\", # about a\n  \"c/c\", # about c\n  \"d/d\",\n]\n"
    );
}

#[test]
fn literal_strings_stay_literal() {
    assert_eq!(
        added("packages = ['a/a']\n", "b/b"),
        "packages = ['a/a', 'b/b']\n"
    );
}

#[test]
fn empty_and_missing_lists() {
    assert_eq!(added("packages = []\n", "a/b"), "packages = [\"a/b\"]\n");
    assert_eq!(
        added("name = \"x\"\n", "a/b"),
        "name = \"x\"\npackages = [\"a/b\"]\n"
    );
}

#[test]
fn same_package_is_replaced_in_place() {
    let mut doc = edit("packages = [\"a/a\", \"app-shells/bash\", \"z/z\"] # keep\n");
    let outcome = doc.add_package("=app-shells/bash-5.2_p37").unwrap();
    assert_eq!(
        outcome,
        AddOutcome::Replaced {
            old: "app-shells/bash".into()
        }
    );
    assert_eq!(
        doc.to_string(),
        "packages = [\"a/a\", \"=app-shells/bash-5.2_p37\", \"z/z\"] # keep\n"
    );
    assert_eq!(
        doc.add_package("=app-shells/bash-5.2_p37").unwrap(),
        AddOutcome::AlreadyPresent
    );
}

#[test]
fn remove_by_category_and_name_takes_every_entry_and_the_table() {
    let text = "packages = [\"dev-lang/python:3.12\", \"a/a\", \"dev-lang/python:3.13\"]\n\n\
                [package.\"dev-lang/python\"]\nuse = [\"sqlite\"]\n\n['dev-lang/python:3.12']\nuse = ['-ssl']\n";
    let mut doc = edit(text);
    let removed = doc.remove_package("dev-lang/python").unwrap();
    assert_eq!(
        removed,
        vec!["dev-lang/python:3.12", "dev-lang/python:3.13"]
    );
    assert_eq!(doc.to_string(), "packages = [\"a/a\"]\n");
}

#[test]
fn remove_one_slot_keeps_the_table_of_the_other() {
    let text = "packages = [\"dev-lang/python:3.12\", \"dev-lang/python:3.13\"]\n\n\
                [package.\"dev-lang/python\"]\nuse = [\"sqlite\"]\n";
    let mut doc = edit(text);
    assert_eq!(
        doc.remove_package("dev-lang/python:3.12").unwrap(),
        vec!["dev-lang/python:3.12"]
    );
    assert!(doc.to_string().contains("[package.\"dev-lang/python\"]"));
}

#[test]
fn remove_of_an_absent_package_changes_nothing() {
    let text = "# c\npackages = [\"a/a\"]\n";
    let mut doc = edit(text);
    assert!(doc.remove_package("b/b").unwrap().is_empty());
    assert_eq!(doc.to_string(), text);
}

#[test]
fn settings_merge_into_existing_tables_of_either_form() {
    let text = "packages = [\"app-shells/bash\"]\n\n['app-shells/bash'] # legacy\nuse = ['nls', 'readline']\n";
    let mut doc = edit(text);
    assert!(
        doc.set_package_config(
            "app-shells/bash",
            &["-nls".into(), "static".into()],
            &["~amd64".into()],
            &[]
        )
        .unwrap()
    );
    assert_eq!(
        doc.to_string(),
        "packages = [\"app-shells/bash\"]\n\n['app-shells/bash'] # legacy\nuse = ['-nls', 'readline', 'static']\nkeywords = [\"~amd64\"]\n"
    );
    // Setting the same again changes nothing.
    assert!(
        !doc.set_package_config("app-shells/bash", &["-nls".into()], &["~amd64".into()], &[])
            .unwrap()
    );
}

#[test]
fn settings_create_a_table_only_when_needed() {
    let text = "packages = [\"a/b\"]\n";
    let mut doc = edit(text);
    assert!(!doc.set_package_config("a/b", &[], &[], &[]).unwrap());
    assert_eq!(doc.to_string(), text);
    assert!(
        doc.set_package_config("a/b", &[], &[], &["no-cache".into()])
            .unwrap()
    );
    assert_eq!(
        doc.to_string(),
        "packages = [\"a/b\"]\n\n[package.\"a/b\"]\nenv = [\"no-cache\"]\n"
    );
}

#[test]
fn new_tables_go_after_existing_tables() {
    let text = "packages = [\"a/b\"]\n\n[builder]\nname = \"x\"\n\n[[plugins]]\nname = \"p\"\n";
    let mut doc = edit(text);
    doc.set_package_config("a/b", &["x".into()], &[], &[])
        .unwrap();
    assert!(
        doc.to_string()
            .ends_with("name = \"p\"\n\n[package.\"a/b\"]\nuse = [\"x\"]\n"),
        "{doc}"
    );
}

#[test]
fn bad_input_is_an_error_not_a_panic() {
    assert!(matches!(
        StavesTomlMut::parse("packages = ["),
        Err(EditError::Parse(_))
    ));
    let mut doc = edit("packages = \"a/b\"\n");
    assert!(matches!(
        doc.add_package("c/d"),
        Err(EditError::Malformed { .. })
    ));
    let mut doc = edit("packages = [1]\n");
    assert!(matches!(
        doc.remove_package("c/d"),
        Err(EditError::Malformed { .. })
    ));
    let mut doc = edit("packages = []\n");
    assert!(matches!(
        doc.add_package("bash"),
        Err(EditError::InvalidAtom { .. })
    ));
    assert!(matches!(
        doc.add_package("!a/b"),
        Err(EditError::Blocker { .. })
    ));
    let mut doc = edit("package = 3\n");
    assert!(matches!(
        doc.set_package_config("a/b", &["x".into()], &[], &[]),
        Err(EditError::Malformed { .. })
    ));
    let mut doc = edit("[package.\"a/b\"]\nuse = \"x\"\n");
    assert!(matches!(
        doc.set_package_config("a/b", &["x".into()], &[], &[]),
        Err(EditError::Malformed { .. })
    ));
}
