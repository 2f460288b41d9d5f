//! Builders from a registry index, end to end: `[builder] name` + `version`
//! resolved from an index in a directory and in a bare git repository
//! (`file://`), pinned in `staves.lock` (exact version + digest per
//! platform), yanked versions skipped by new locks but kept by existing
//! ones, `staves update` moving to the newest match, malformed index lines
//! reported with their line number, `staves search` / `staves builder list`,
//! and a real build with the test builder pushed to the local registry and
//! found through the index only.
//!
//! Everything but the build needs only git; the build needs the CI services
//! (see `build.rs`: under `CI=true` a missing part fails the test).

use std::path::Path;

use crate::build::{assert_ok, docker, repo_digests, services, staves_on_engine, stdout};
use crate::common::{TestContext, assert_success, docker_auth_config, git, run};
use crate::staves_snapshot;

/// A digest that is not a real image (for tests that never pull).
fn fake_digest(c: char) -> String {
    format!("sha256:{}", c.to_string().repeat(64))
}

/// One index line of builder `test-builder`.
fn entry(version: &str, digest: &str, yanked: bool) -> String {
    format!(
        "{{\"name\":\"test-builder\",\"vers\":\"{version}\",\"images\":{{\"linux/amd64\":\"{digest}\"}},\
         \"arch\":\"amd64\",\"libc\":\"glibc\",\"profile\":\"staves-demo/amd64\",\"portage\":\"3.0.83\",\
         \"yanked\":{yanked},\"summary\":\"Debian with Portage from PyPI (the test builder)\"}}\n"
    )
}

/// Writes an index into `dir`: `config.json` with `oci`, and the file of
/// `test-builder` holding `lines`.
fn write_index(dir: &Path, oci: &str, lines: &[String]) {
    std::fs::create_dir_all(dir.join("te/st")).expect("create index dirs");
    std::fs::write(dir.join("config.json"), format!("{{\"oci\":\"{oci}\"}}\n")).expect("config");
    std::fs::write(dir.join("te/st/test-builder"), lines.concat()).expect("builder file");
}

/// The demo manifest with builder `test-builder` from `index`.
fn manifest(ctx: &TestContext, requirement: &str, index: &str) -> String {
    ctx.demo_with_index_builder("test-builder", requirement, index)
}

/// The `[builder]` part of the lock (up to the first `[[repository]]`).
fn builder_table(lock: &str) -> String {
    let start = lock.find("[builder]").expect("the lock has [builder]");
    let end = lock.find("[[repository]]").unwrap_or(lock.len());
    lock[start..end].trim_end().to_owned()
}

#[test]
fn a_directory_index_is_resolved_pinned_kept_and_updated() {
    let ctx = TestContext::new();
    let index = ctx.root.join("index");
    let oci = "registry.example.invalid/builders";
    let (a, b) = (fake_digest('a'), fake_digest('b'));
    // 1.3.0 is newer but yanked; 2.0.0 does not match ^1.2.
    write_index(
        &index,
        oci,
        &[
            entry("1.2.0", &a, false),
            entry("1.3.0", &b, true),
            entry("2.0.0", &b, false),
        ],
    );
    ctx.write_manifest(&manifest(&ctx, "^1.2", "dir+../index"));
    let first_lock = run(ctx.staves().arg("lock"));
    assert_success(&first_lock);
    let stderr = String::from_utf8_lossy(&first_lock.stderr);
    assert!(
        stderr.contains("Locking builder test-builder 1.2.0"),
        "{stderr}"
    );
    insta::assert_snapshot!(builder_table(&ctx.read("staves.lock")), @r#"
    [builder]
    name = "test-builder"
    version = "1.2.0"
    requirement = "^1.2"
    index = "dir+../index"

    [builder.images]
    "linux/amd64" = "registry.example.invalid/builders/test-builder@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    "#);
    let first = ctx.read("staves.lock");

    // The pinned version is yanked and a newer match appears: the lock keeps
    // its version (no change under --locked), and it still builds (below).
    write_index(
        &index,
        oci,
        &[
            entry("1.2.0", &a, true),
            entry("1.3.0", &b, true),
            entry("2.0.0", &b, false),
            entry("1.2.5", &b, false),
        ],
    );
    assert_success(&run(ctx.staves().args(["lock", "--locked"])));
    assert_eq!(ctx.read("staves.lock"), first, "a relock keeps the builder");

    // `staves update` moves to the newest matching version that is not yanked.
    let update = run(ctx.staves().arg("update"));
    assert_success(&update);
    let stderr = String::from_utf8_lossy(&update.stderr);
    assert!(
        stderr.contains("Updating builder test-builder 1.2.0 -> test-builder 1.2.5"),
        "{stderr}"
    );
    let updated = builder_table(&ctx.read("staves.lock"));
    assert!(updated.contains("version = \"1.2.5\""), "{updated}");
    assert!(updated.contains(&format!("test-builder@{b}")), "{updated}");

    // A requirement the locked version no longer meets re-resolves (the
    // manifest changed, so --locked refuses first).
    ctx.write_manifest(&manifest(&ctx, "^2", "dir+../index"));
    let out = run(ctx.staves().args(["lock", "--locked"]));
    assert!(
        !out.status.success(),
        "--locked must refuse a changed builder"
    );
    assert_success(&run(ctx.staves().arg("lock")));
    let moved = builder_table(&ctx.read("staves.lock"));
    assert!(moved.contains("version = \"2.0.0\""), "{moved}");
    assert!(moved.contains("requirement = \"^2\""), "{moved}");

    // Nothing but yanked versions match: a new lock says so.
    ctx.write_manifest(&manifest(&ctx, "~1.3", "dir+../index"));
    staves_snapshot!(ctx, ctx.staves().arg("lock"), @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: no version of builder `test-builder` matches `~1.3` (available: 1.2.5, 2.0.0) (yanked: 1.3.0)
    help: matching versions were yanked; relax the requirement, or keep a lock that pins one
    ");
}

#[test]
fn a_git_index_is_fetched_once_and_answers_offline_from_its_cache() {
    let ctx = TestContext::new();
    let work = ctx.root.join("index-work");
    write_index(
        &work,
        "registry.example.invalid/builders",
        &[entry("1.2.0", &fake_digest('c'), false)],
    );
    git(&work, &["init", "-q", "-b", "main"]);
    git(&work, &["add", "-A"]);
    git(&work, &["commit", "-q", "-m", "index"]);
    let bare = ctx.root.join("index.git");
    git(
        &ctx.root,
        &[
            "clone",
            "-q",
            "--bare",
            &work.display().to_string(),
            &bare.display().to_string(),
        ],
    );
    let location = format!("git+file://{}", bare.display());
    ctx.write_manifest(&manifest(&ctx, "1.2", &location));
    assert_success(&run(ctx.staves().arg("lock")));
    let table = builder_table(&ctx.read("staves.lock"));
    assert!(table.contains("version = \"1.2.0\""), "{table}");
    assert!(
        table.contains(&format!("index = \"{location}\"")),
        "{table}"
    );

    // Without the lock and without the network: the cached index answers.
    std::fs::remove_file(ctx.project.join("staves.lock")).unwrap();
    std::fs::rename(&bare, ctx.root.join("index-gone.git")).unwrap();
    assert_success(&run(ctx.staves().args(["lock", "--offline"])));
    assert_eq!(builder_table(&ctx.read("staves.lock")), table);
}

#[test]
fn a_malformed_index_line_is_reported_with_its_line_number() {
    let ctx = TestContext::new();
    let mut lines = vec![
        entry("1.0.0", &fake_digest('a'), false),
        entry("1.1.0", &fake_digest('a'), false),
    ];
    lines.push("{\"name\":\"test-builder\",\"vers\":\"1.2.0\"}\n".to_owned());
    write_index(
        &ctx.root.join("index"),
        "registry.example.invalid/b",
        &lines,
    );
    ctx.write_manifest(&manifest(&ctx, "*", "dir+../index"));
    staves_snapshot!(ctx, ctx.staves().arg("lock"), @"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: index dir+../index: te/st/test-builder:3: missing field `images` (column 38)
    help: each line is one JSON object (see docs/registry-index.md); fix or remove the line
    ");
}

#[test]
fn the_default_index_says_how_to_name_another() {
    let ctx = TestContext::new();
    ctx.write_manifest(&ctx.demo_with_builder("name = \"x86_64-glibc\"\nversion = \"^0.1\"\n"));
    staves_snapshot!(ctx, ctx.staves().arg("lock"), @r#"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: no builder named `x86_64-glibc` in the default index (shipped with staves); set [builder] index = "…" (or STAVES_INDEX) to an index that has it, or publish one
    help: index locations: "dir+PATH", "git+https://…" (or git+file:///…), "sparse+https://…"
    "#);
}

#[test]
fn search_and_builder_list_show_the_index() {
    let ctx = TestContext::new();
    write_index(
        &ctx.root.join("index"),
        "registry.example.invalid/builders",
        &[
            entry("1.2.0", &fake_digest('a'), false),
            entry("1.3.0", &fake_digest('b'), true),
        ],
    );
    staves_snapshot!(ctx, ctx.staves().args(["search", "test", "--index", "dir+../index"]), @"
    success: true
    exit_code: 0
    ----- stdout -----
    test-builder  1.2.0     linux/amd64  # Debian with Portage from PyPI (the test builder)

    ----- stderr -----
           Found 1 builder (dir+../index) in [TIME]
    ");
    staves_snapshot!(ctx, ctx.staves().args(["search", "nothing-like-it", "--index", "../index"]), @"
    success: true
    exit_code: 0
    ----- stdout -----

    ----- stderr -----
           Found 0 builders (../index) in [TIME]
    ");
    staves_snapshot!(ctx, ctx.staves().args(["builder", "list", "--index", "dir+../index"]), @"
    success: true
    exit_code: 0
    ----- stdout -----
    test-builder  1.2.0     linux/amd64  amd64 glibc staves-demo/amd64
    test-builder  1.3.0     linux/amd64  amd64 glibc staves-demo/amd64  (yanked)

    ----- stderr -----
          Listed 1 builder, 2 versions (dir+../index) in [TIME]
    ");
    let out = run(ctx.staves().args([
        "builder",
        "list",
        "--index",
        "dir+../index",
        "--format",
        "json",
    ]));
    assert_success(&out);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json[0]["versions"][1]["yanked"], true, "{json}");
}

/// Pushes the test builder to the no-auth registry as
/// `<registry>/staves-e2e/builders/test-builder:<tag>` and returns its
/// manifest digest.
fn push_test_builder(registry: &str, builder: &str, tag: &str) -> String {
    let repo = format!("{registry}/staves-e2e/builders/test-builder");
    let target = format!("{repo}:{tag}");
    assert!(
        docker(&["tag", builder, &target]).status.success(),
        "docker tag"
    );
    let push = docker(&["push", &target]);
    assert!(
        push.status.success(),
        "docker push: {}",
        String::from_utf8_lossy(&push.stderr)
    );
    let digests = repo_digests(&target);
    digests
        .iter()
        .find_map(|d| d.strip_prefix(&format!("{repo}@")).map(str::to_owned))
        .unwrap_or_else(|| panic!("no digest of {repo} in {digests:?}"))
}

#[test]
fn a_registry_builder_builds_with_its_pinned_image() {
    let Some(vars) = services() else { return };
    let registry = vars
        .get("STAVES_TEST_REGISTRY")
        .expect("STAVES_TEST_REGISTRY");
    let digest = push_test_builder(registry, &vars["BUILDER"], "1.2.0");
    let ctx = TestContext::new();
    let index = ctx.root.join("index");
    let oci = format!("{registry}/staves-e2e/builders");
    write_index(
        &index,
        &oci,
        &[
            entry("1.2.0", &digest, false),
            entry("1.9.0", &fake_digest('f'), true),
        ],
    );
    ctx.write_manifest(
        &manifest(&ctx, "^1.2", "dir+../index")
            .replace("name = \"demo\"", "name = \"staves-e2e/registry-builder\""),
    );
    let first = staves_on_engine(&ctx, &["build"], false);
    assert_ok(&first);
    let table = builder_table(&ctx.read("staves.lock"));
    assert!(table.contains("version = \"1.2.0\""), "{table}");
    assert!(
        table.contains(&format!(
            "\"linux/amd64\" = \"{oci}/test-builder@{digest}\""
        )),
        "{table}"
    );
    let run = docker(&["run", "--rm", "staves-e2e/registry-builder:latest"]);
    assert!(
        stdout(&run).starts_with("Hello from a Staves image"),
        "the image runs: {}",
        String::from_utf8_lossy(&run.stderr)
    );

    // Yank the pinned version: the lock keeps it and the build still works.
    write_index(
        &index,
        &oci,
        &[
            entry("1.2.0", &digest, true),
            entry("1.9.0", &fake_digest('f'), true),
        ],
    );
    let again = staves_on_engine(&ctx, &["build", "--locked"], false);
    assert_ok(&again);
}

#[test]
fn an_image_builder_is_pinned_to_its_digest_and_pulled_with_credentials() {
    let Some(vars) = services() else { return };
    let ctx = TestContext::new();

    // An image only the engine has: pinned to its image id.
    let local = &vars["BUILDER"];
    ctx.write_manifest(&ctx.demo_with_builder(&format!("image = \"{local}\"\n")));
    let lock = staves_on_engine(&ctx, &["lock"], false);
    assert_success(&lock);
    let id = stdout(&docker(&["image", "inspect", "-f", "{{.Id}}", local]));
    assert_eq!(
        builder_table(&ctx.read("staves.lock")),
        format!("[builder]\nimage = \"{local}\"\npinned = \"{id}\"")
    );

    // Pushed to the registry with htpasswd auth: pinned to the registry's
    // digest; once the engine no longer has it, the build pulls it with the
    // credentials of ~/.docker/config.json.
    let registry = &vars["STAVES_TEST_REGISTRY_AUTH"];
    let (user, password) = (
        &vars["STAVES_TEST_REGISTRY_USER"],
        &vars["STAVES_TEST_REGISTRY_PASSWORD"],
    );
    let config = ctx.root.join("home/.docker");
    std::fs::create_dir_all(&config).expect("create docker config dir");
    std::fs::write(
        config.join("config.json"),
        docker_auth_config(registry, user, password),
    )
    .expect("write docker config");
    let config_arg = config.display().to_string();
    let repo = format!("{registry}/staves-e2e/auth-builder");
    let tagged = format!("{repo}:1");
    assert!(docker(&["tag", local, &tagged]).status.success());
    let push = docker(&["--config", &config_arg, "push", &tagged]);
    assert!(
        push.status.success(),
        "{}",
        String::from_utf8_lossy(&push.stderr)
    );
    ctx.write_manifest(
        &ctx.demo_with_builder(&format!("image = \"{tagged}\"\n"))
            .replacen(
                "name = \"demo\"",
                "name = \"staves-e2e/auth-builder-user\"",
                1,
            ),
    );
    let lock = staves_on_engine(&ctx, &["lock"], false);
    assert_success(&lock);
    let table = builder_table(&ctx.read("staves.lock"));
    let pinned = table
        .lines()
        .find_map(|l| l.strip_prefix("pinned = \""))
        .and_then(|l| l.strip_suffix('"'))
        .unwrap_or_else(|| panic!("no pin: {table}"))
        .to_owned();
    assert!(pinned.starts_with(&format!("{repo}@sha256:")), "{table}");

    assert!(docker(&["rmi", &tagged]).status.success(), "untag");
    assert!(
        !docker(&["image", "inspect", &pinned]).status.success(),
        "the engine must not have {pinned} any more"
    );
    let build = staves_on_engine(&ctx, &["build"], false);
    assert_ok(&build);
    let stderr = String::from_utf8_lossy(&build.stderr);
    assert!(stderr.contains("Pulling"), "{stderr}");
    assert!(docker(&["image", "inspect", &pinned]).status.success());
}

#[test]
fn builder_names_and_index_locations_are_checked_with_their_position() {
    let ctx = TestContext::new();
    ctx.write_manifest("name = \"x\"\n\n[builder]\nname = \"x86.64\"\n");
    staves_snapshot!(ctx, ctx.staves().arg("lock"), @r#"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: invalid builder name `x86.64`: `.` is not allowed in a builder name (use lowercase letters, digits, `-` and `_`)
     --> [SANDBOX]/project/staves.toml:4:8
      |
    4 | name = "x86.64"
      |        ^^^^^^^^
      |
      = note: in `builder.name`
      = help: builder names use lowercase letters, digits, `-` and `_`, e.g. `x86_64-glibc`
    "#);
    ctx.write_manifest(
        "name = \"x\"\n\n[builder]\nname = \"x86\"\nindex = \"https://example.org/index\"\n",
    );
    staves_snapshot!(ctx, ctx.staves().arg("lock"), @r#"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: invalid index location `https://example.org/index`: say which protocol: `sparse+https://…` for HTTP, `git+<url>` for git
     --> [SANDBOX]/project/staves.toml:5:9
      |
    5 | index = "https://example.org/index"
      |         ^^^^^^^^^^^^^^^^^^^^^^^^^^^
      |
      = note: in `builder.index`
      = help: for example index = "git+https://example.org/builders.git", "sparse+https://example.org/index/" or "dir+../index"
    "#);
    ctx.write_manifest("name = \"x\"\n\n[builder]\nimage = \"debian:12\"\nindex = \"dir+index\"\n");
    staves_snapshot!(ctx, ctx.staves().arg("lock"), @r#"
    success: false
    exit_code: 1
    ----- stdout -----

    ----- stderr -----
    error: `index` only applies to a named builder, not to `image`
     --> [SANDBOX]/project/staves.toml:5:1
      |
    5 | index = "dir+index"
      | ^^^^^
      |
      = note: in `builder.index`
      = help: remove `index`, or name a builder from the index with `name`
    "#);
}
