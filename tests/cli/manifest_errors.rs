//! One case for every class of manifest error: each gets a positioned
//! message, exit status 1, and never a panic.

use crate::common::TestContext;
use crate::staves_snapshot;

fn check(manifest: &str) -> (TestContext, std::process::Command) {
    let ctx = TestContext::new();
    ctx.write_manifest(manifest);
    let mut cmd = ctx.staves();
    cmd.arg("lock");
    (ctx, cmd)
}

#[test]
fn unknown_key_suggests_the_near_one() {
    let (ctx, mut cmd) = check("name = \"x\"\npakages = [\"app-shells/bash\"]\n");
    staves_snapshot!(ctx, cmd, @r#"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: unknown key `pakages`
     --> [SANDBOX]/project/staves.toml:2:1
      |
    2 | pakages = ["app-shells/bash"]
      | ^^^^^^^
      |
      = help: did you mean `packages`?
    "#);
}

#[test]
fn wrong_type() {
    let (ctx, mut cmd) = check("name = \"x\"\npackages = \"app-shells/bash\"\n");
    staves_snapshot!(ctx, cmd, @r#"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: expected an array of atoms, found a string ("app-shells/bash")
     --> [SANDBOX]/project/staves.toml:2:12
      |
    2 | packages = "app-shells/bash"
      |            ^^^^^^^^^^^^^^^^^
      |
      = note: in `packages`
      = help: for example: packages = ["app-shells/bash", "=dev-lang/python-3.12.8"]
    "#);
}

#[test]
fn invalid_atom_points_inside_the_atom() {
    let (ctx, mut cmd) =
        check("name = \"x\"\npackages = [\"app-shells/bash\", \">=dev-lang/python\"]\n");
    staves_snapshot!(ctx, cmd, @r#"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: invalid atom `>=dev-lang/python`: operator `>=` needs a version (`dev-lang/python` has none)
     --> [SANDBOX]/project/staves.toml:2:50
      |
    2 | packages = ["app-shells/bash", ">=dev-lang/python"]
      |                                                  ^
      |
      = note: in `packages[1]`
      = help: atoms look like `category/name`, `=category/name-1.2.3` or `category/name:slot`
    "#);
}

#[test]
fn invalid_toml_syntax() {
    let (ctx, mut cmd) = check("name = \"x\"\npackages = [\"app-shells/bash\"\n");
    staves_snapshot!(ctx, cmd, @r#"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: invalid TOML: unclosed array, expected `]`
     --> [SANDBOX]/project/staves.toml:2:30
      |
    2 | packages = ["app-shells/bash"
      |                              ^
    "#);
}

#[test]
fn unknown_named_environment() {
    let (ctx, mut cmd) = check(
        "name = \"x\"\npackages = [\"app-shells/bash\"]\n\n[package.\"app-shells/bash\"]\nenv = [\"no-cahce\"]\n\n[env.no-cache]\nFEATURES = \"-buildpkg\"\n",
    );
    staves_snapshot!(ctx, cmd, @r#"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: unknown environment `no-cahce`
     --> [SANDBOX]/project/staves.toml:5:8
      |
    5 | env = ["no-cahce"]
      |        ^^^^^^^^^^
      |
      = note: in `package."app-shells/bash".env[0]`
      = help: did you mean `no-cache`?
    "#);
}

#[test]
fn duplicate_repository() {
    let (ctx, mut cmd) = check(
        "name = \"x\"\n\n[[repositories]]\nname = \"gentoo\"\ntype = \"local\"\npath = \"a\"\n\n[[repositories]]\nname = \"gentoo\"\ntype = \"local\"\npath = \"b\"\n",
    );
    staves_snapshot!(ctx, cmd, @r#"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: repository `gentoo` is defined twice
     --> [SANDBOX]/project/staves.toml:9:8
      |
    9 | name = "gentoo"
      |        ^^^^^^^^
      |
      = note: in `repositories[1].name`
      = help: the first definition is on line 4; repository names must be unique
    "#);
}

#[test]
fn two_builder_forms() {
    let (ctx, mut cmd) = check(
        "name = \"x\"\n\n[builder]\nname = \"x86_64-glibc\"\nimage = \"ghcr.io/x/y@sha256:00\"\n",
    );
    staves_snapshot!(ctx, cmd, @r#"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: `[builder]` sets both `name` and `image`
     --> [SANDBOX]/project/staves.toml:5:1
      |
    5 | image = "ghcr.io/x/y@sha256:00"
      | ^^^^^
      |
      = note: in `builder.image`
      = help: use exactly one of `name` (with `version`), `image` or `path`
    "#);
}

#[test]
fn bad_semver_requirement() {
    let (ctx, mut cmd) =
        check("name = \"x\"\n\n[builder]\nname = \"x86_64-glibc\"\nversion = \"^1.x.banana\"\n");
    staves_snapshot!(ctx, cmd, @r#"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: invalid version requirement `^1.x.banana`: unexpected character after wildcard in version req
     --> [SANDBOX]/project/staves.toml:5:11
      |
    5 | version = "^1.x.banana"
      |           ^^^^^^^^^^^^^
      |
      = note: in `builder.version`
      = help: use a semver requirement such as `^1.2`, `~1.2.3` or `>=1.0, <2`
    "#);
}

#[test]
fn bad_expose() {
    let (ctx, mut cmd) = check("name = \"x\"\n\n[image]\nexpose = [\"http\"]\n");
    staves_snapshot!(ctx, cmd, @r#"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: invalid exposed port `http`: `http` is not a port number (1 to 65535)
     --> [SANDBOX]/project/staves.toml:4:11
      |
    4 | expose = ["http"]
      |           ^^^^^^
      |
      = note: in `image.expose[0]`
      = help: write `PORT`, `PORT/tcp` or `PORT/udp`, e.g. "8080/tcp"
    "#);
}

#[test]
fn legacy_and_canonical_package_table_for_the_same_package() {
    let (ctx, mut cmd) = check(
        "name = \"x\"\npackages = [\"app-shells/bash\"]\n\n['app-shells/bash']\nuse = [\"-nls\"]\n\n[package.\"app-shells/bash\"]\nuse = [\"nls\"]\n",
    );
    staves_snapshot!(ctx, cmd, @r#"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: package `app-shells/bash` has settings in two places
     --> [SANDBOX]/project/staves.toml:4:2
      |
    4 | ['app-shells/bash']
      |  ^^^^^^^^^^^^^^^^^
      |
      = note: in `"app-shells/bash"`
      = help: `[package."app-shells/bash"]` on line 7 configures the same package; merge the two tables into `[package."app-shells/bash"]`
    "#);
}

#[test]
fn not_utf8() {
    let ctx = TestContext::new();
    std::fs::write(ctx.project.join("staves.toml"), b"name = \"\xff\xfe\"\n").unwrap();
    let mut cmd = ctx.staves();
    cmd.arg("lock");
    staves_snapshot!(ctx, cmd, @r#"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: the file is not valid UTF-8
     --> [SANDBOX]/project/staves.toml:1:9
      |
    1 | name = "��"
      |         ^
      |
      = help: save `staves.toml` as UTF-8
    "#);
}

#[test]
fn missing_repositories() {
    let (ctx, mut cmd) = check("name = \"x\"\npackages = [\"app-shells/bash\"]\n");
    staves_snapshot!(ctx, cmd, @r#"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: `[SANDBOX]/project/staves.toml` has no [[repositories]]; staves needs at least one ebuild repository
    help: add one, e.g.
    [[repositories]]
    name = "gentoo"
    type = "git"
    uri = "https://github.com/gentoo-mirror/gentoo.git"
    branch = "stable"
    "#);
}

/// Mutations of a valid manifest: none may make staves panic (exit 101).
#[test]
fn no_manifest_mutation_panics() {
    let ctx = TestContext::new();
    let base = ctx.demo_manifest("[\"app-shells/bash\"]");
    let mut cases = Vec::new();
    for (i, _) in base.char_indices().step_by(7) {
        let mut cut = base.clone();
        cut.truncate(i);
        cases.push(cut);
        let mut doubled = base.clone();
        doubled.insert(i, '[');
        cases.push(doubled);
    }
    for text in cases {
        ctx.write_manifest(&text);
        let out = ctx.staves().args(["lock", "--offline"]).output().unwrap();
        assert_ne!(
            out.status.code(),
            Some(101),
            "panic on:\n{text}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        if !out.status.success() {
            assert_eq!(out.status.code(), Some(1), "{text}");
            assert!(
                String::from_utf8_lossy(&out.stderr).starts_with("error: "),
                "{text}"
            );
        }
    }
}
