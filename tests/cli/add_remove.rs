//! `staves add` and `staves remove`: formatting survives, output is
//! cargo-like, failures leave the manifest byte-identical.

use crate::common::{TestContext, assert_success, run};
use crate::staves_snapshot;

/// A manifest with comments, a sorted multi-line list, an inline table and
/// a package table, as a user would write it.
fn commented(ctx: &TestContext) -> String {
    format!(
        r#"# The demo image.
name = "demo"   # shown in `docker images`

# What goes into the image (kept sorted).
packages = [
    "app-misc/hello",   # the greeter
    "sys-apps/busybox",
]
command = ["/usr/bin/hello"]

[image]
labels = {{ "org.example.team" = "platform" }}

[package."app-misc/hello"]
use = ["extras"]  # keep the extras

[[repositories]]
name = "staves-demo"
type = "git"
uri = "{}"
branch = "main"
"#,
        ctx.repo_url
    )
}

#[test]
fn init_then_add_bash() {
    let ctx = TestContext::new();
    let out = ctx
        .staves()
        .args(["init", "--name", "bash-image"])
        .output()
        .unwrap();
    assert!(out.status.success());
    // Point the starter's repository at the local demo repository.
    let manifest = ctx.read("staves.toml");
    let manifest = manifest
        .replace("https://github.com/gentoo-mirror/gentoo.git", &ctx.repo_url)
        .replace("name = \"gentoo\"", "name = \"staves-demo\"")
        .replace("branch = \"stable\"", "branch = \"main\"");
    ctx.write_manifest(&manifest);
    staves_snapshot!(ctx, ctx.staves().args(["add", "app-shells/bash"]), @"
    success: true
    exit_code: 0
    ----- stdout -----

    ----- stderr -----
          Adding app-shells/bash (5.2_p37-r4)
                 USE flags:
                 + nls
                 + readline
          Locked 8 packages (6 in the image, 2 for the builder only) in [TIME]
    ");
    assert!(
        ctx.read("staves.toml")
            .contains("packages = [\"app-shells/bash\"]")
    );
    let lock = ctx.read("staves.lock");
    assert!(
        lock.contains("name = \"app-shells/bash\"\nversion = \"5.2_p37-r4\""),
        "{lock}"
    );
    assert!(
        lock.contains("name = \"dev-util/gperf\""),
        "the BDEPEND is locked for the builder:\n{lock}"
    );
}

#[test]
fn add_then_remove_gives_the_same_bytes() {
    let ctx = TestContext::new();
    let original = commented(&ctx);
    ctx.write_manifest(&original);
    staves_snapshot!(ctx, ctx.staves().args(["add", "app-shells/bash", "--use", "-nls"]), @"
    success: true
    exit_code: 0
    ----- stdout -----

    ----- stderr -----
          Adding app-shells/bash (5.2_p37-r4)
                 USE flags:
                 + readline
                 - nls
          Locked 10 packages (8 in the image, 2 for the builder only) in [TIME]
    ");
    let added = ctx.read("staves.toml");
    assert!(
        added.contains("    \"app-shells/bash\",\n"),
        "sorted position:\n{added}"
    );
    assert!(
        added.contains("[package.\"app-shells/bash\"]\nuse = [\"-nls\"]"),
        "{added}"
    );
    staves_snapshot!(ctx, ctx.staves().args(["remove", "app-shells/bash"]), @"
    success: true
    exit_code: 0
    ----- stdout -----

    ----- stderr -----
        Removing app-shells/bash from packages
          Locked 10 packages (8 in the image, 2 for the builder only) in [TIME]
    ");
    assert_eq!(ctx.read("staves.toml"), original);
}

#[test]
fn crlf_manifest_survives() {
    let ctx = TestContext::new();
    let original = commented(&ctx).replace('\n', "\r\n");
    ctx.write_manifest(&original);
    assert_success(&run(ctx.staves().args(["add", "app-shells/bash"])));
    let added = ctx.read("staves.toml");
    assert!(
        !added.replace("\r\n", "").contains('\n'),
        "every line ends in CRLF:\n{added:?}"
    );
    assert_success(&run(ctx.staves().args(["remove", "app-shells/bash"])));
    assert_eq!(ctx.read("staves.toml"), original);
}

/// `staves add ATOM` on the demo manifest with `packages` leaves
/// `packages = EXPECTED` in it.
fn add_gives(packages: &str, atom: &str, expected: &str) {
    let ctx = TestContext::new();
    ctx.write_manifest(&ctx.demo_manifest(packages));
    assert_success(&run(ctx.staves().args(["add", atom])));
    let manifest = ctx.read("staves.toml");
    assert!(
        manifest.contains(&format!("packages = {expected}\n")),
        "{manifest}"
    );
}

#[test]
fn unsorted_list_gets_the_new_entry_at_the_end() {
    add_gives(
        "[\"sys-apps/busybox\", \"app-misc/hello\"]",
        "app-shells/bash",
        "[\"sys-apps/busybox\", \"app-misc/hello\", \"app-shells/bash\"]",
    );
}

#[test]
fn unknown_package_suggests_a_near_name() {
    let ctx = TestContext::new();
    let original = ctx.demo_manifest("[]");
    ctx.write_manifest(&original);
    staves_snapshot!(ctx, ctx.staves().args(["add", "app-shells/bsh"]), @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: package `app-shells/bsh` was not found in the configured repositories (staves-demo)
    help: a package with a similar name exists: `app-shells/bash`
    ");
    assert_eq!(
        ctx.read("staves.toml"),
        original,
        "a failed add leaves the file byte-identical"
    );
    assert!(!ctx.project.join("staves.lock").exists());
}

#[test]
fn bare_name_in_several_categories_asks_which() {
    let ctx = TestContext::new();
    ctx.write_manifest(&ctx.demo_manifest("[]"));
    staves_snapshot!(ctx, ctx.staves().args(["add", "hello"]), @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: `hello` is ambiguous: it exists in 2 categories
    help: say which one you mean: `app-misc/hello`, `games-misc/hello`
    ");
}

#[test]
fn bare_name_in_one_category_is_qualified() {
    add_gives("[]", "bash", "[\"app-shells/bash\"]");
}

#[test]
fn unsatisfiable_add_explains_and_writes_nothing() {
    let ctx = TestContext::new();
    let original = ctx.demo_manifest("[]");
    ctx.write_manifest(&original);
    staves_snapshot!(ctx, ctx.staves().args(["add", "=app-shells/bash-5.3_p3"]), @r#"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: the manifest requests =app-shells/bash-5.3_p3 but only 5.2_p37-r4 is visible (5.3_p3 is keyworded ~amd64)
    help: add keywords = ["~amd64"] for app-shells/bash
    "#);
    assert_eq!(ctx.read("staves.toml"), original);
}

#[test]
fn dry_run_writes_nothing() {
    let ctx = TestContext::new();
    let original = ctx.demo_manifest("[]");
    ctx.write_manifest(&original);
    staves_snapshot!(ctx, ctx.staves().args(["add", "app-misc/hello", "--dry-run"]), @"
    success: true
    exit_code: 0
    ----- stdout -----

    ----- stderr -----
          Adding app-misc/hello (2.0)
                 USE flags:
                 + extras
        Resolved 10 packages (8 in the image, 2 for the builder only) in [TIME]
    warning: aborting add due to dry run; nothing was written
    ");
    assert_eq!(ctx.read("staves.toml"), original);
    assert!(!ctx.project.join("staves.lock").exists());
}

#[test]
fn remove_of_an_absent_package_fails() {
    let ctx = TestContext::new();
    ctx.write_manifest(&ctx.demo_manifest("[\"app-misc/hello\"]"));
    staves_snapshot!(ctx, ctx.staves().args(["remove", "app-shells/bash"]), @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: package `app-shells/bash` is not in `packages` of `[SANDBOX]/project/staves.toml`
    help: `staves tree` lists what the manifest asks for
    ");
}
