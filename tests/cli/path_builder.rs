//! `[builder] path`: a local builder project is built first (with its own
//! lock), loaded into the engine, and the image project builds in it; a path
//! that is not a builder project is refused. Real engine, test builder and
//! git repository, as in `build.rs`.

use std::process::Output;

use crate::build::{docker, services, stdout};
use crate::common::TestContext;

/// `staves build` with the engine but no builder override.
fn build(ctx: &TestContext) -> Output {
    let vars = services().expect("services");
    ctx.staves()
        .arg("build")
        .env("DOCKER_HOST", &vars["DOCKER_HOST"])
        .output()
        .expect("run staves build")
}

#[test]
fn a_path_builder_is_built_first_and_used() {
    let Some(vars) = services() else { return };
    let ctx = TestContext::new();
    let dir = ctx.project.join("builders/with-extras");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("staves.toml"),
        format!(
            "kind = \"builder\"\nname = \"e2e-path-builder\"\nversion = \"0.1.0\"\npackages = [\"app-misc/hello-extras\"]\n\n[[repositories]]\nname = \"staves-demo\"\ntype = \"git\"\nuri = \"{}\"\nbranch = \"main\"\n\n[builder]\nimage = \"{}\"\n",
            ctx.repo_url, vars["BUILDER"]
        ),
    )
    .unwrap();
    ctx.write_manifest(&format!(
        "{}\n[builder]\npath = \"builders/with-extras\"\n",
        ctx.demo_manifest("[\"app-misc/hello\"]")
            .replace("name = \"demo\"", "name = \"staves-e2e/path-app\"")
    ));

    let out = build(&ctx);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("Building builder project"), "{stderr}");
    assert!(dir.join("staves.lock").is_file());
    let lock = std::fs::read_to_string(ctx.project.join("staves.lock")).unwrap();
    assert!(lock.contains("path = \"builders/with-extras\""), "{lock}");
    // The builder project's image is in the engine, with its labels, and
    // the image built in it runs.
    let label = stdout(&docker(&[
        "image",
        "inspect",
        "-f",
        "{{index .Config.Labels \"dev.staves.builder.name\"}}",
        "e2e-path-builder:0.1.0",
    ]));
    assert_eq!(label, "e2e-path-builder");
    let run = docker(&["run", "--rm", "staves-e2e/path-app:latest"]);
    assert!(
        stdout(&run).starts_with("Hello from a Staves image (hello 2.0)"),
        "{}",
        stdout(&run)
    );

    // A second build reuses both (no container, same digest).
    let first = stdout(&out);
    let again = build(&ctx);
    assert!(again.status.success());
    assert_eq!(stdout(&again), first);

    // A path that is not a builder project is refused.
    std::fs::write(
        dir.join("staves.toml"),
        format!(
            "name = \"not-a-builder\"\npackages = []\n\n[[repositories]]\nname = \"staves-demo\"\ntype = \"git\"\nuri = \"{}\"\nbranch = \"main\"\n",
            ctx.repo_url
        ),
    )
    .unwrap();
    let refused = build(&ctx);
    assert_eq!(refused.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        stderr.contains("[builder] path = `builders/with-extras` is not a builder project"),
        "{stderr}"
    );
}
