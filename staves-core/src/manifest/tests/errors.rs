//! One test per error class: message, position, key path and help.

use std::path::Path;

use super::parse_err;
use crate::manifest::{ErrorKind, Manifest};

/// (kind, line, column, key, message, help) of the error for `text`.
fn summary(text: &str) -> (ErrorKind, usize, usize, String, String, String) {
    let err = parse_err(text);
    (
        err.kind(),
        err.line().unwrap_or(0),
        err.column().unwrap_or(0),
        err.key().unwrap_or_default().to_owned(),
        err.message().to_owned(),
        err.help().unwrap_or_default().to_owned(),
    )
}

#[test]
fn unknown_key_suggests_the_closest() {
    let text = "name = \"x\"\npakages = [\"app-shells/bash\"]\n";
    let err = parse_err(text);
    assert_eq!(err.kind(), ErrorKind::UnknownKey);
    assert_eq!(
        err.render_snippet(text),
        "error: unknown key `pakages`\n --> staves.toml:2:1\n  |\n2 | pakages = [\"app-shells/bash\"]\n  | ^^^^^^^\n  |\n  = help: did you mean `packages`?\n"
    );
    assert_eq!(
        err.to_string(),
        "staves.toml:2:1: unknown key `pakages` (at `pakages`)"
    );
}

#[test]
fn unknown_key_in_a_nested_table_names_the_path() {
    let (kind, line, col, key, message, help) =
        summary("name = \"x\"\n[package.\"app-shells/bash\"]\nuse = []\nusex = [\"a\"]\n");
    assert_eq!(kind, ErrorKind::UnknownKey);
    assert_eq!((line, col), (4, 1));
    assert_eq!(key, "package.\"app-shells/bash\".usex");
    assert_eq!(message, "unknown key `usex`");
    assert_eq!(help, "did you mean `use`?");
}

#[test]
fn unknown_key_without_a_close_match_lists_the_valid_ones() {
    let (_, _, _, _, _, help) =
        summary("name = \"x\"\n[locale]\nname = \"C\"\ncharset = \"UTF-8\"\nzzzzzz = 1\n");
    assert_eq!(help, "valid keys here: `name`, `charset`");
}

#[test]
fn unknown_enum_value_suggests_the_closest() {
    let (kind, line, col, key, message, help) =
        summary("name = \"x\"\n[[repositories]]\nname = \"g\"\ntype = \"gti\"\nuri = \"u\"\n");
    assert_eq!(kind, ErrorKind::UnknownKey);
    assert_eq!((line, col), (4, 8));
    assert_eq!(key, "repositories[0].type");
    assert_eq!(message, "unknown value `gti`");
    assert_eq!(help, "did you mean `git`?");
}

#[test]
fn wrong_type_says_what_is_expected() {
    let text = "name = \"x\"\npackages = \"app-shells/bash\"\n";
    let err = parse_err(text);
    assert_eq!(err.kind(), ErrorKind::WrongType);
    assert_eq!(
        err.render_snippet(text),
        "error: expected an array of atoms, found a string (\"app-shells/bash\")\n --> staves.toml:2:12\n  |\n2 | packages = \"app-shells/bash\"\n  |            ^^^^^^^^^^^^^^^^^\n  |\n  = note: in `packages`\n  = help: for example: packages = [\"app-shells/bash\", \"=dev-lang/python-3.12.8\"]\n"
    );
    let (_, _, _, key, message, _) = summary("name = \"x\"\n[package.\"a/b\"]\nuse = \"x\"\n");
    assert_eq!(key, "package.\"a/b\".use");
    assert_eq!(
        message,
        "expected an array of strings, found a string (\"x\")"
    );
    let (_, _, _, _, message, _) = summary("name = \"x\"\n[env]\nA = 1\n");
    assert_eq!(
        message,
        "expected a string (a make.conf value) or a table (a named environment), found an integer (`1`)"
    );
    let (_, _, _, _, _, help) = summary("name = \"x\"\n[packages.\"a/b\"]\nuse = []\n");
    assert!(
        help.contains("[package.\\\"category/name\\\"]")
            || help.contains("[package.\"category/name\"]"),
        "{help}"
    );
}

#[test]
fn missing_key() {
    let (kind, line, col, key, message, help) = summary("packages = []\n");
    assert_eq!(kind, ErrorKind::MissingKey);
    assert_eq!(
        (line, col, key.as_str(), message.as_str()),
        (1, 1, "name", "missing key `name`")
    );
    assert_eq!(help, "add it, for example: name = \"my-image\"");
    let (_, line, _, key, _, _) =
        summary("name = \"x\"\n\n[[plugins]]\nname = \"p\"\npath = \"p.wasm\"\n");
    assert_eq!((line, key.as_str()), (3, "plugins[0].hook"));
}

#[test]
fn invalid_atom_points_inside_the_atom() {
    let text = "name = \"x\"\npackages = [\"dev-lang/python\", \"app-shells/ba$h\"]\n";
    let err = parse_err(text);
    assert_eq!(err.kind(), ErrorKind::InvalidValue);
    assert_eq!(err.key(), Some("packages[1]"));
    // The atom starts at column 33; `$` is its 14th character.
    assert_eq!((err.line(), err.column()), (Some(2), Some(33 + 13)));
    assert!(
        err.message()
            .starts_with("invalid atom `app-shells/ba$h`: "),
        "{}",
        err.message()
    );
    assert_eq!(
        err.render_snippet(text),
        format!(
            "error: {}\n --> staves.toml:2:46\n  |\n2 | packages = [\"dev-lang/python\", \"app-shells/ba$h\"]\n  |{}^\n  |\n  = note: in `packages[1]`\n  = help: atoms look like `category/name`, `=category/name-1.2.3` or `category/name:slot`\n",
            err.message(),
            " ".repeat(46)
        )
    );
    // A problem at the end of the atom points at the closing quote.
    let (_, _, col, _, _, _) = summary("name = \"x\"\npackages = [\"=app-shells/bash\"]\n");
    assert_eq!(col, 14 + 16);
    // With escapes the offset cannot be mapped, so the whole string is marked.
    let (_, _, col, _, _, _) = summary("name = \"x\"\npackages = [\"\\u0062ash\"]\n");
    assert_eq!(col, 13);
}

#[test]
fn invalid_package_table_key_and_blockers() {
    let (kind, line, _, key, _, _) = summary("name = \"x\"\n[package.\"bash\"]\nuse = []\n");
    assert_eq!(
        (kind, line, key.as_str()),
        (ErrorKind::InvalidValue, 2, "package.bash")
    );
    let (_, _, _, key, _, _) = summary("name = \"x\"\n['nope/']\nuse = []\n");
    assert_eq!(key, "\"nope/\"");
    let (_, _, _, _, message, help) = summary("name = \"x\"\npackages = [\"!app-shells/bash\"]\n");
    assert_eq!(message, "package `!app-shells/bash` is a blocker");
    assert!(help.contains("remove the `!`"));
}

#[test]
fn duplicate_repository() {
    let text = "name = \"x\"\n[[repositories]]\nname = \"gentoo\"\ntype = \"local\"\npath = \"a\"\n\
                [[repositories]]\nname = \"gentoo\"\ntype = \"local\"\npath = \"b\"\n";
    let (kind, line, col, key, message, help) = summary(text);
    assert_eq!(kind, ErrorKind::Duplicate);
    assert_eq!((line, col, key.as_str()), (7, 8, "repositories[1].name"));
    assert_eq!(message, "repository `gentoo` is defined twice");
    assert_eq!(
        help,
        "the first definition is on line 3; repository names must be unique"
    );
}

#[test]
fn unknown_environment_reference() {
    let text = "name = \"x\"\n[env.no-cache]\nFEATURES = \"-buildpkg\"\n[package.\"a/b\"]\nenv = [\"no-cahce\"]\n";
    let (kind, line, col, key, message, help) = summary(text);
    assert_eq!(kind, ErrorKind::UnknownReference);
    assert_eq!((line, col, key.as_str()), (5, 8, "package.\"a/b\".env[0]"));
    assert_eq!(message, "unknown environment `no-cahce`");
    assert_eq!(help, "did you mean `no-cache`?");
    let (_, _, _, _, _, help) = summary("name = \"x\"\n['a/b']\nenv = [\"fast\"]\n");
    assert!(
        help.starts_with("define it as a table: [env.fast]"),
        "{help}"
    );
}

#[test]
fn two_builder_forms() {
    let text = "name = \"x\"\n[builder]\nname = \"x86_64-glibc\"\nimage = \"ghcr.io/x/y\"\n";
    let (kind, line, col, key, message, help) = summary(text);
    assert_eq!(kind, ErrorKind::Conflict);
    assert_eq!((line, col, key.as_str()), (4, 1, "builder.image"));
    assert_eq!(message, "`[builder]` sets both `name` and `image`");
    assert_eq!(
        help,
        "use exactly one of `name` (with `version`), `image` or `path`"
    );
    let (kind, _, _, _, _, _) = summary("name = \"x\"\n[builder]\n");
    assert_eq!(kind, ErrorKind::MissingKey);
    let (kind, _, _, key, _, _) =
        summary("name = \"x\"\n[builder]\npath = \"b\"\nversion = \"1\"\n");
    assert_eq!(
        (kind, key.as_str()),
        (ErrorKind::Conflict, "builder.version")
    );
}

#[test]
fn bad_semver_requirement() {
    let (kind, line, col, key, message, help) =
        summary("name = \"x\"\n[builder]\nname = \"b\"\nversion = \"^1.x.banana\"\n");
    assert_eq!(kind, ErrorKind::InvalidValue);
    assert_eq!((line, col, key.as_str()), (4, 11, "builder.version"));
    assert!(
        message.starts_with("invalid version requirement `^1.x.banana`: "),
        "{message}"
    );
    assert!(help.contains("`^1.2`"));
}

#[test]
fn bad_expose() {
    for (entry, problem) in [
        ("80/sctp", "unknown protocol `sctp`"),
        ("0", "`0` is not a port number"),
        ("70000/tcp", "`70000` is not a port number"),
        ("http", "`http` is not a port number"),
    ] {
        let (kind, line, col, key, message, _) =
            summary(&format!("name = \"x\"\n[image]\nexpose = [\"{entry}\"]\n"));
        assert_eq!(
            (kind, line, col, key.as_str()),
            (ErrorKind::InvalidValue, 3, 11, "image.expose[0]")
        );
        assert!(message.contains(problem), "{message}");
    }
}

#[test]
fn legacy_and_canonical_table_for_the_same_package() {
    let text = "name = \"x\"\n[package.\"app-shells/bash\"]\nuse = [\"a\"]\n\n['app-shells/bash']\nuse = [\"b\"]\n";
    let (kind, line, col, key, message, help) = summary(text);
    assert_eq!(kind, ErrorKind::Duplicate);
    assert_eq!((line, col, key.as_str()), (5, 2, "\"app-shells/bash\""));
    assert_eq!(
        message,
        "package `app-shells/bash` has settings in two places"
    );
    assert!(
        help.starts_with("`[package.\"app-shells/bash\"]` on line 2 configures the same package"),
        "{help}"
    );
}

#[test]
fn legacy_key_that_is_not_a_table() {
    let (kind, _, _, key, _, _) = summary("name = \"x\"\n\"a/b\" = 3\n");
    assert_eq!((kind, key.as_str()), (ErrorKind::WrongType, "\"a/b\""));
}

#[test]
fn invalid_toml_and_non_utf8() {
    let text = "name = \"x\npackages = []\n";
    let (kind, line, col, _, message, _) = summary(text);
    assert_eq!((kind, line, col), (ErrorKind::Syntax, 1, 10));
    assert!(message.starts_with("invalid TOML: "), "{message}");
    let (kind, line, _, _, _, _) = summary("name = \"x\"\nname = \"y\"\n");
    assert_eq!((kind, line), (ErrorKind::Duplicate, 2));
    let bytes = b"name = \"x\"\npackages = [\"caf\xe9\"]\n";
    let err = Manifest::from_bytes_at(bytes, Path::new("staves.toml")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Syntax);
    assert_eq!((err.line(), err.column()), (Some(2), Some(17)));
    assert_eq!(err.message(), "the file is not valid UTF-8");
}

#[test]
fn other_value_checks() {
    let cases: &[(&str, &str)] = &[
        ("name = \"Bash Image\"\n", "name"),
        ("name = \"bash:1.0\"\n", "name"),
        ("name = \"x\"\nversion = \"1.0 beta\"\n", "version"),
        (
            "name = \"x\"\ncommand = \"/usr/bin/python -m http.server\"\n",
            "command",
        ),
        ("name = \"x\"\ncommand = []\n", "command"),
        ("name = \"x\"\nprofile = \"/abs/path\"\n", "profile"),
        ("name = \"x\"\nprofile = \"default/../x\"\n", "profile"),
        (
            "name = \"x\"\n[env]\n\"BAD NAME\" = \"1\"\n",
            "env.\"BAD NAME\"",
        ),
        ("name = \"x\"\n[env.\"a/b\"]\nX = \"1\"\n", "env.\"a/b\""),
        (
            "name = \"x\"\n[package.\"a/b\"]\nuse = [\"+bad\"]\n",
            "package.\"a/b\".use[0]",
        ),
        (
            "name = \"x\"\n[package.\"a/b\"]\nkeywords = [\"~ amd64\"]\n",
            "package.\"a/b\".keywords[0]",
        ),
        (
            "name = \"x\"\n[[repositories]]\nname = \"bad name\"\ntype = \"local\"\npath = \"p\"\n",
            "repositories[0].name",
        ),
        (
            "name = \"x\"\n[[repositories]]\nname = \"repo-1.0\"\ntype = \"local\"\npath = \"p\"\n",
            "repositories[0].name",
        ),
        (
            "name = \"x\"\n[[repositories]]\nname = \"g\"\ntype = \"git\"\n",
            "repositories[0].uri",
        ),
        (
            "name = \"x\"\n[[repositories]]\nname = \"g\"\ntype = \"git\"\nuri = \"u\"\nbranch = \"a\"\ntag = \"b\"\n",
            "repositories[0].tag",
        ),
        (
            "name = \"x\"\n[[repositories]]\nname = \"g\"\ntype = \"local\"\n",
            "repositories[0].path",
        ),
        (
            "name = \"x\"\n[[repositories]]\nname = \"g\"\ntype = \"local\"\npath = \"p\"\nuri = \"u\"\n",
            "repositories[0].uri",
        ),
        ("name = \"x\"\n[builder]\nname = \"X86\"\n", "builder.name"),
        (
            "name = \"x\"\n[builder]\nimage = \"x@sha256:abc\"\n",
            "builder.image",
        ),
        (
            "name = \"x\"\n[image]\nworkdir = \"srv\"\n",
            "image.workdir",
        ),
        ("name = \"x\"\n[image]\nuser = \"\"\n", "image.user"),
        (
            "name = \"x\"\n[image.env]\n\"A=B\" = \"1\"\n",
            "image.env.\"A=B\"",
        ),
        (
            "name = \"x\"\n[annotations]\na = \"1\"\n[image.labels]\na = \"2\"\n",
            "image.labels.a",
        ),
        (
            "name = \"x\"\n[locale]\nname = \"\"\ncharset = \"UTF-8\"\n",
            "locale.name",
        ),
        (
            "name = \"x\"\n[[plugins]]\nname = \"p\"\nhook = \"post-build\"\n",
            "plugins[0]",
        ),
        (
            "name = \"x\"\n[[plugins]]\nname = \"p\"\nhook = \"post-build\"\nurl = \"u\"\n",
            "plugins[0].url",
        ),
        (
            "name = \"x\"\n[[plugins]]\nname = \"p\"\nhook = \"post-build\"\nurl = \"u\"\npath = \"p\"\nsha256 = \"\"\n",
            "plugins[0].url",
        ),
        (
            "name = \"x\"\n[[plugins]]\nname = \"p\"\nhook = \"post-build\"\npath = \"p\"\nsha256 = \"abc\"\n",
            "plugins[0].sha256",
        ),
        (
            "name = \"x\"\n[[plugins]]\nname = \"p\"\nhook = \"pre-build\"\npath = \"p\"\n",
            "plugins[0].hook",
        ),
        (
            "name = \"x\"\n[[plugins]]\nname = \"p\"\nhook = \"post-build\"\npath = \"p\"\n[[plugins]]\nname = \"p\"\nhook = \"post-build\"\npath = \"q\"\n",
            "plugins[1].name",
        ),
        (
            "name = \"x\"\npackages = [\"a/b\", \"a/b\"]\n",
            "packages[1]",
        ),
    ];
    for (text, key) in cases {
        let err = parse_err(text);
        assert_eq!(
            err.key(),
            Some(*key),
            "{text}\n{}",
            err.render_snippet(text)
        );
        assert!(err.location().is_some(), "{text}");
        // Every error renders without panicking and shows its line.
        let snippet = err.render_snippet(text);
        assert!(snippet.contains(" --> staves.toml:"), "{snippet}");
    }
}
