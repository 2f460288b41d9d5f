//! Builder projects and `staves publish` / `staves yank` end to end, with
//! the real engine, the test builder as the base, the local registries (one
//! anonymous, one with htpasswd auth and a `~/.docker/config.json` in the
//! sandbox's HOME) and registry indexes in bare git repositories
//! (`file://`):
//!
//! publish → another project asks for `^1.0` → its lock pins the published
//! digest → it builds an image with the builder that runs; publishing an
//! existing version is refused before building; an index line whose digest
//! the registry does not have stops the build at the pull; a registry that refuses the
//! credentials leaves the index without a new commit; a yanked version is
//! skipped by a new lock while the old lock still builds; a dirty working
//! tree is refused unless `--allow-dirty`.
//!
//! Everything but the dirty-tree checks needs the CI services (see
//! `build.rs`: under `CI=true` a missing part fails the test).

use std::path::{Path, PathBuf};

use crate::build::{assert_ok, docker, services, staves_on_engine, stdout};
use crate::common::{TestContext, assert_success, docker_auth_config, git, run, stderr};

/// A bare git repository holding an index whose images go to `oci`;
/// returns its location string (`git+file://…`).
fn git_index(root: &Path, oci: &str) -> (PathBuf, String) {
    let bare = root.join("index.git");
    let work = root.join("index-work");
    std::fs::create_dir_all(&work).unwrap();
    git(root, &["init", "-q", "--bare", "-b", "main", "index.git"]);
    git(&work, &["init", "-q", "-b", "main"]);
    std::fs::write(work.join("config.json"), format!("{{\"oci\":\"{oci}\"}}\n")).unwrap();
    git(&work, &["add", "config.json"]);
    git(&work, &["commit", "-q", "-m", "index"]);
    git(
        &work,
        &["push", "-q", &format!("file://{}", bare.display()), "main"],
    );
    let location = format!("git+file://{}", bare.display());
    (bare, location)
}

/// The number of commits on the bare index's `main`.
fn index_commits(bare: &Path) -> usize {
    git(bare, &["rev-list", "--count", "main"]).parse().unwrap()
}

/// The builder file of `name` in the bare index.
fn index_file(bare: &Path, name: &str) -> String {
    let path = format!("main:{}/{}/{name}", &name[..2], &name[2..4]);
    git(bare, &["show", &path])
}

/// A builder project on the demo repository: hello-extras (and the
/// implicit virtual/libc) installed into the test builder's own `/`.
fn builder_manifest(ctx: &TestContext, name: &str, version: &str) -> String {
    format!(
        "kind = \"builder\"\nname = \"{name}\"\nversion = \"{version}\"\ndescription = \"The test builder with hello-extras\"\npackages = [\"app-misc/hello-extras\"]\n\n[env]\nPYTHON_TARGETS = \"python3_12\"\n\n[[repositories]]\nname = \"staves-demo\"\ntype = \"git\"\nuri = \"{}\"\nbranch = \"main\"\n",
        ctx.repo_url
    )
}

/// The digest the lock pins for the builder on linux/amd64.
fn locked_builder_image(lock: &str) -> String {
    lock.lines()
        .find_map(|l| l.strip_prefix("\"linux/amd64\" = "))
        .map(|v| v.trim_matches('"').to_owned())
        .unwrap_or_else(|| panic!("no builder image in the lock:\n{lock}"))
}

/// An image project asking for `requirement` of builder `name` from `index`.
fn app_manifest(ctx: &TestContext, name: &str, requirement: &str, index: &str) -> String {
    ctx.demo_with_index_builder(name, requirement, index)
        .replacen(
            "name = \"demo\"",
            &format!("name = \"staves-e2e/{name}-app\""),
            1,
        )
}

#[test]
fn publish_then_lock_build_and_run_with_the_published_builder() {
    let Some(vars) = services() else { return };
    let registry = vars["STAVES_TEST_REGISTRY"].clone();
    let name = "e2e-loop-builder";
    let builder = TestContext::new();
    let (bare, index) = git_index(&builder.root, &format!("{registry}/staves-e2e"));
    builder.write_manifest(&builder_manifest(&builder, name, "1.0.0"));

    let out = staves_on_engine(&builder, &["publish", "--index", &index], true);
    assert_success(&out);
    let published = stdout(&out);
    let (repository, digest) = published.split_once('@').expect("REPO@DIGEST on stdout");
    assert_eq!(repository, format!("{registry}/staves-e2e/{name}"));
    assert!(
        stderr(&out).contains(&format!("Published {name} 1.0.0")),
        "{}",
        stderr(&out)
    );
    assert_eq!(index_commits(&bare), 2);
    let line = index_file(&bare, name);
    for part in [
        format!("\"name\":\"{name}\",\"vers\":\"1.0.0\""),
        format!("\"images\":{{\"linux/amd64\":\"{digest}\"}}"),
        "\"arch\":\"amd64\",\"libc\":\"glibc\",\"profile\":\"demo/amd64\",\"portage\":\"3.0.83\""
            .to_owned(),
        "\"app-misc/hello-extras-0.5\"".to_owned(),
        "\"summary\":\"The test builder with hello-extras\"".to_owned(),
    ] {
        assert!(line.contains(&part), "{part} not in {line}");
    }
    // The pushed image is the builder: hello-extras in its own /, the
    // [env] settings in its make.conf, the labels publish read.
    let pulled = format!("{repository}@{digest}");
    assert!(docker(&["pull", &pulled]).status.success());
    let probe = docker(&[
        "run",
        "--rm",
        &pulled,
        "sh",
        "-c",
        "cat /usr/share/hello/extras && grep PYTHON_TARGETS /etc/portage/make.conf && test ! -e /staves",
    ]);
    assert!(probe.status.success(), "{}", stderr(&probe));
    assert!(stdout(&probe).contains("PYTHON_TARGETS=\"python3_12\""));

    // The same version again: refused before anything is built.
    let again = staves_on_engine(&builder, &["publish", "--index", &index], true);
    assert_eq!(again.status.code(), Some(1));
    assert!(
        stderr(&again).contains(&format!("error: {name} 1.0.0 is already in {index}")),
        "{}",
        stderr(&again)
    );
    assert!(!stderr(&again).contains("Preparing"), "{}", stderr(&again));
    assert_eq!(index_commits(&bare), 2);

    // THE LOOP: another project asks for ^1.0, its lock pins the digest,
    // and it builds an image with that builder that runs.
    let app = TestContext::new();
    app.write_manifest(&app_manifest(&app, name, "^1.0", &index));
    let built = staves_on_engine(&app, &["build"], false);
    assert_ok(&built);
    let lock = app.read("staves.lock");
    assert!(lock.contains("version = \"1.0.0\""), "{lock}");
    assert_eq!(locked_builder_image(&lock), published);
    let run = docker(&["run", "--rm", &format!("staves-e2e/{name}-app:latest")]);
    assert!(
        stdout(&run).starts_with("Hello from a Staves image (hello 2.0)"),
        "{}",
        stdout(&run)
    );

    // An index line whose digest the registry does not have: the build
    // stops at the pull, naming the image.
    let forged = TestContext::new();
    let forged_index = forged.root.join("forged-index");
    let file = forged_index.join(&name[..2]).join(&name[2..4]);
    std::fs::create_dir_all(&file).unwrap();
    std::fs::write(
        forged_index.join("config.json"),
        format!("{{\"oci\":\"{registry}/staves-e2e\"}}\n"),
    )
    .unwrap();
    let wrong = format!("sha256:{}", "0".repeat(64));
    std::fs::write(file.join(name), line.replace(digest, &wrong) + "\n").unwrap();
    forged.write_manifest(&app_manifest(
        &forged,
        name,
        "^1.0",
        &format!("dir+{}", forged_index.display()),
    ));
    let refused = staves_on_engine(&forged, &["build"], false);
    assert_eq!(refused.status.code(), Some(1));
    assert!(
        stderr(&refused).contains(&format!("{repository}@{wrong}")),
        "{}",
        stderr(&refused)
    );

    // 1.1.0, then yanked: a new lock skips it, the lock that pins it builds.
    builder.write_manifest(&builder_manifest(&builder, name, "1.1.0"));
    assert_success(&staves_on_engine(
        &builder,
        &["publish", "--index", &index],
        true,
    ));
    assert_eq!(index_commits(&bare), 3);
    assert_success(&staves_on_engine(&app, &["update"], false));
    let pinned_new = app.read("staves.lock");
    assert!(pinned_new.contains("version = \"1.1.0\""), "{pinned_new}");
    let yank = staves_on_engine(
        &app,
        &["yank", &format!("{name}@1.1.0"), "--index", &index],
        false,
    );
    assert_success(&yank);
    assert!(
        stderr(&yank).contains(&format!("Yanked {name}@1.1.0")),
        "{}",
        stderr(&yank)
    );
    assert_eq!(index_commits(&bare), 4);
    assert!(index_file(&bare, name).contains("\"vers\":\"1.1.0\",\"images\""));
    let old_lock = staves_on_engine(&app, &["build", "--locked"], false);
    assert_ok(&old_lock);
    let fresh = TestContext::new();
    fresh.write_manifest(&app_manifest(&fresh, name, "^1.0", &index));
    assert_success(&staves_on_engine(&fresh, &["lock"], false));
    let fresh_lock = fresh.read("staves.lock");
    assert!(fresh_lock.contains("version = \"1.0.0\""), "{fresh_lock}");
    assert_eq!(locked_builder_image(&fresh_lock), published);
    let unyank = staves_on_engine(
        &app,
        &[
            "yank",
            "--undo",
            &format!("{name}@1.1.0"),
            "--index",
            &index,
        ],
        false,
    );
    assert_success(&unyank);
    assert!(stderr(&unyank).contains("Unyanked"), "{}", stderr(&unyank));
}

#[test]
fn a_registry_that_refuses_the_credentials_leaves_the_index_alone() {
    let Some(vars) = services() else { return };
    let registry = vars["STAVES_TEST_REGISTRY_AUTH"].clone();
    let user = vars["STAVES_TEST_REGISTRY_USER"].clone();
    let password = vars["STAVES_TEST_REGISTRY_PASSWORD"].clone();
    let name = "e2e-auth-builder";
    let ctx = TestContext::new();
    let (bare, index) = git_index(&ctx.root, &format!("{registry}/staves-e2e"));
    ctx.write_manifest(&builder_manifest(&ctx, name, "1.0.0"));
    let docker_config = ctx.root.join("home/.docker/config.json");
    std::fs::create_dir_all(docker_config.parent().unwrap()).unwrap();
    let auth = |user: &str, password: &str| docker_auth_config(&registry, user, password);

    std::fs::write(&docker_config, auth(&user, "not-the-password")).unwrap();
    let refused = staves_on_engine(&ctx, &["publish", "--index", &index], true);
    assert_eq!(refused.status.code(), Some(1));
    let text = stderr(&refused);
    assert!(
        text.contains(&format!(
            "error: pushing the builder image to {registry}/staves-e2e/{name}:1.0.0 failed; the index was not changed"
        )),
        "{text}"
    );
    assert!(!text.contains("not-the-password"), "{text}");
    assert_eq!(index_commits(&bare), 1, "the index got a commit");

    std::fs::write(&docker_config, auth(&user, &password)).unwrap();
    let out = staves_on_engine(&ctx, &["publish", "--index", &index], true);
    assert_success(&out);
    assert!(!stderr(&out).contains(&password));
    assert_eq!(index_commits(&bare), 2);
    assert!(index_file(&bare, name).contains("\"vers\":\"1.0.0\""));
}

#[test]
fn publish_refuses_a_dirty_tree_and_an_image_project() {
    let ctx = TestContext::new();
    let index_dir = ctx.root.join("index");
    std::fs::create_dir_all(&index_dir).unwrap();
    std::fs::write(
        index_dir.join("config.json"),
        "{\"oci\":\"127.0.0.1:1/x\"}\n",
    )
    .unwrap();
    let index = format!("dir+{}", index_dir.display());

    // Each refusal exits with 1; returns what staves said.
    let refused = |args: &[&str]| {
        let out = run(ctx.staves().args(args));
        assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
        stderr(&out)
    };

    ctx.write_manifest(&ctx.demo_manifest("[\"app-misc/hello\"]"));
    let text = refused(&["publish", "--index", &index]);
    assert!(
        text.contains("is not a builder project; only builders are published"),
        "{text}"
    );

    ctx.write_manifest(&builder_manifest(&ctx, "e2e-dirty", "1.0.0"));
    git(&ctx.project, &["init", "-q", "-b", "main"]);
    git(&ctx.project, &["add", "staves.toml"]);
    git(&ctx.project, &["commit", "-q", "-m", "builder"]);
    std::fs::write(
        ctx.project.join("staves.toml"),
        builder_manifest(&ctx, "e2e-dirty", "1.0.1"),
    )
    .unwrap();
    let text = refused(&["publish", "--index", &index]);
    assert!(
        text.contains("1 file(s) in the working tree of") && text.contains("staves.toml"),
        "{text}"
    );
    assert!(text.contains("--allow-dirty"), "{text}");
    let text = refused(&["yank", "e2e-dirty@1.0"]);
    assert!(text.contains("is not NAME@VERSION"), "{text}");
}
