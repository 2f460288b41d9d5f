//! `staves init`.

use crate::common::TestContext;
use crate::staves_snapshot;

#[test]
fn init_writes_a_starter_manifest_and_gitignore() {
    let ctx = TestContext::new();
    staves_snapshot!(ctx, ctx.staves().args(["init", "--name", "web"]), @"
    success: true
    exit_code: 0
    ----- stdout -----

    ----- stderr -----
         Created `web` (./staves.toml)
                 added `/.staves/` to .gitignore
                 next: `staves add <category/package>`, then `staves build`
    ");
    let manifest = ctx.read("staves.toml");
    assert!(manifest.contains("name = \"web\""), "{manifest}");
    assert!(manifest.contains("[[repositories]]"), "{manifest}");
    assert!(manifest.contains("[builder]"), "{manifest}");
    assert_eq!(ctx.read(".gitignore"), "/.staves/\n");
}

#[test]
fn init_refuses_to_overwrite() {
    let ctx = TestContext::new();
    ctx.write_manifest("name = \"mine\"\n");
    staves_snapshot!(ctx, ctx.staves().arg("init"), @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: `./staves.toml` already exists
    help: edit it, or remove it first if you really want a new one
    ");
    assert_eq!(ctx.read("staves.toml"), "name = \"mine\"\n");
}

#[test]
fn init_into_a_new_directory_names_the_image_after_it() {
    let ctx = TestContext::new();
    staves_snapshot!(ctx, ctx.staves().args(["init", "My App"]), @"
    success: true
    exit_code: 0
    ----- stdout -----

    ----- stderr -----
         Created `my-app` (My App/staves.toml)
                 added `/.staves/` to .gitignore
                 next: `staves add <category/package>`, then `staves build`
    ");
    let manifest = std::fs::read_to_string(ctx.project.join("My App/staves.toml")).unwrap();
    assert!(manifest.contains("name = \"my-app\""), "{manifest}");
}

#[test]
fn commands_without_a_manifest_say_how_to_make_one() {
    let ctx = TestContext::new();
    staves_snapshot!(ctx, ctx.staves().arg("lock"), @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: could not find `staves.toml` in `[SANDBOX]/project` or any parent directory
    help: run `staves init` to create one
    ");
}
