//! `staves build` end to end with a real engine, the test builder image and
//! a local registry: the image loads and runs, holds no build-only package,
//! is the same every time (cached, and rebuilt from binary packages), goes
//! out as OCI layout, docker archive and registry push; a failing ebuild and
//! a plan Portage disagrees with are reported and leave no container.
//!
//! Needs the CI services (`scripts/ci/services.sh`) and the test builder
//! (`scripts/test-builder/build.sh`). Under `CI=true` missing parts fail the
//! tests (services are started, the builder is built); otherwise they are
//! skipped with a message.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use crate::common::{TestContext, workspace_root};

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

fn skip(reason: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "SKIPPED: {reason}");
}

/// DOCKER_HOST, STAVES_TEST_REGISTRY and the builder reference, or `None`
/// (after saying why) outside CI.
pub(crate) fn services() -> Option<&'static BTreeMap<String, String>> {
    static VARS: OnceLock<Option<BTreeMap<String, String>>> = OnceLock::new();
    VARS.get_or_init(|| {
        let root = workspace_root();
        let services = root.join("scripts/ci/services.sh");
        let running = Command::new(&services)
            .arg("status")
            .output()
            .is_ok_and(|o| o.status.success());
        if !running {
            if !in_ci() {
                skip("the CI services are not running (scripts/ci/services.sh start)");
                return None;
            }
            let out = Command::new(&services).arg("start").output().unwrap();
            assert!(
                out.status.success(),
                "services.sh start failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        let env_file = std::env::var_os("STAVES_CI_ENV")
            .map_or_else(|| PathBuf::from("/tmp/staves-ci.env"), PathBuf::from);
        let text = std::fs::read_to_string(&env_file).unwrap_or_default();
        let mut vars: BTreeMap<String, String> = text
            .lines()
            .filter_map(|l| l.strip_prefix("export "))
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        if !vars.contains_key("DOCKER_HOST") {
            assert!(
                !in_ci(),
                "CI=true but {} has no DOCKER_HOST",
                env_file.display()
            );
            skip("no DOCKER_HOST in the services' env file");
            return None;
        }
        let script = root.join("scripts/test-builder/build.sh");
        let reference = Command::new(&script)
            .arg("--ref")
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .unwrap();
        let present = docker_with(&vars, &["image", "inspect", &reference])
            .status
            .success();
        if !present {
            if !in_ci() && std::env::var("STAVES_TEST_BUILDER").is_err() {
                skip(&format!(
                    "{reference} not built; run scripts/test-builder/build.sh"
                ));
                return None;
            }
            let out = Command::new(&script)
                .env("DOCKER_HOST", &vars["DOCKER_HOST"])
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "build.sh failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        vars.insert("BUILDER".into(), reference);
        Some(vars)
    })
    .as_ref()
}

fn docker_with(vars: &BTreeMap<String, String>, args: &[&str]) -> Output {
    Command::new("docker")
        .args(args)
        .env("DOCKER_HOST", &vars["DOCKER_HOST"])
        .output()
        .expect("run docker")
}

pub(crate) fn docker(args: &[&str]) -> Output {
    docker_with(services().expect("services"), args)
}

/// The engine's `REPO@DIGEST` names of `image` (`docker image inspect`).
pub(crate) fn repo_digests(image: &str) -> Vec<String> {
    let json = stdout(&docker(&[
        "image",
        "inspect",
        "-f",
        "{{json .RepoDigests}}",
        image,
    ]));
    serde_json::from_str(&json).unwrap_or_else(|e| panic!("RepoDigests of {image}: {e}: {json}"))
}

pub(crate) fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// `staves ARGS` in the sandbox with the services' engine; `base` also
/// makes the test builder the builder (`STAVES_BUILDER_IMAGE`).
pub(crate) fn staves_on_engine(ctx: &TestContext, args: &[&str], base: bool) -> Output {
    let vars = services().expect("services");
    let mut cmd = ctx.staves();
    cmd.args(args).env("DOCKER_HOST", &vars["DOCKER_HOST"]);
    if base {
        cmd.env("STAVES_BUILDER_IMAGE", &vars["BUILDER"]);
    }
    cmd.output().expect("run staves")
}

/// `staves build ARGS` in the sandbox with the services' environment.
pub(crate) fn build(ctx: &TestContext, args: &[&str]) -> Output {
    staves_on_engine(ctx, &[&["build"], args].concat(), true)
}

pub(crate) fn assert_ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "staves build failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let digest = stdout(out);
    assert!(
        digest.starts_with("sha256:") && digest.len() == 71,
        "{digest}"
    );
    digest
}

pub(crate) fn no_leftover_containers(project: &str) {
    let out = docker(&["ps", "-aq", "--filter", "label=io.staves.build"]);
    let ids = stdout(&out);
    if ids.is_empty() {
        return;
    }
    // Other tests build concurrently: only this project's containers count.
    for id in ids.lines() {
        let label = stdout(&docker(&[
            "inspect",
            "-f",
            "{{index .Config.Labels \"io.staves.build\"}}",
            id,
        ]));
        assert!(
            !label.starts_with(project),
            "container {id} ({label}) was left behind"
        );
    }
}

#[test]
fn builds_a_runnable_reproducible_image_and_delivers_it() {
    let Some(vars) = services() else { return };
    let registry = vars
        .get("STAVES_TEST_REGISTRY")
        .expect("STAVES_TEST_REGISTRY")
        .clone();
    let ctx = TestContext::new();
    ctx.write_manifest(
        &ctx.demo_manifest("[\"app-misc/hello\"]")
            .replace("name = \"demo\"", "name = \"staves-e2e/hello\""),
    );
    let oci = ctx.root.join("out/oci");
    let archive = ctx.root.join("out/hello.tar");
    let push = format!("{registry}/staves-e2e/hello");
    let oci_arg = format!("oci:{}", oci.display());
    let archive_arg = format!("docker-archive:{}", archive.display());
    let first = build(
        &ctx,
        &[
            "--load",
            "--output",
            &oci_arg,
            "--output",
            &archive_arg,
            "--push",
            &push,
        ],
    );
    let digest = assert_ok(&first);
    let stderr = String::from_utf8_lossy(&first.stderr);
    assert!(stderr.contains("Built staves-e2e/hello:latest"), "{stderr}");
    no_leftover_containers("staves-e2e-hello");

    // The image runs and holds only runtime packages.
    let run = docker(&["run", "--rm", "staves-e2e/hello:latest"]);
    assert!(
        stdout(&run).starts_with("Hello from a Staves image (hello 2.0)"),
        "{}",
        stdout(&run)
    );
    let probe = docker(&[
        "run",
        "--rm",
        "--entrypoint",
        "/bin/sh",
        "staves-e2e/hello:latest",
        "-c",
        "test ! -e /usr/bin/staves-gperf && ls /var/db/pkg",
    ]);
    assert!(
        probe.status.success(),
        "staves-gperf (a build-only package) is in the image"
    );
    let categories = stdout(&probe);
    assert!(
        categories.contains("app-shells") && !categories.contains("dev-util"),
        "{categories}"
    );

    // Outputs: the OCI layout and the archive name the same manifest.
    let index = std::fs::read_to_string(oci.join("index.json")).unwrap();
    assert!(index.contains(&digest), "{index}");
    let hex = digest.strip_prefix("sha256:").unwrap();
    assert!(oci.join("blobs/sha256").join(hex).is_file());
    assert!(archive.is_file());

    // The pushed image pulls back with the same digest.
    let pulled = docker(&["pull", &format!("{push}:latest")]);
    assert!(
        pulled.status.success(),
        "{}",
        String::from_utf8_lossy(&pulled.stderr)
    );
    let repo_digests = repo_digests(&format!("{push}:latest"));
    assert!(
        repo_digests.iter().any(|d| d.ends_with(&digest)),
        "{repo_digests:?} lacks {digest}"
    );

    // Unchanged rebuild: no container, same digest.
    let again = build(&ctx, &[]);
    assert_eq!(assert_ok(&again), digest);
    assert!(String::from_utf8_lossy(&again.stderr).contains("Fresh"));

    // Forced rebuild: the builder installs from the binary-package cache and
    // the image is still the same.
    let forced = build(&ctx, &["--force"]);
    assert_eq!(
        assert_ok(&forced),
        digest,
        "{}",
        String::from_utf8_lossy(&forced.stderr)
    );
    no_leftover_containers("staves-e2e-hello");
}

/// Adds `app-misc/broken-1.0` (dies in src_compile) with its md5-cache entry.
fn add_broken_ebuild(repo: &Path) {
    let ebuild = "EAPI=8\nDESCRIPTION=\"Fails to build, on purpose\"\nLICENSE=\"MIT\"\nSLOT=\"0\"\nKEYWORDS=\"amd64\"\nS=\"${WORKDIR}\"\nsrc_compile() {\n\techo \"compiling the broken package\"\n\tdie \"broken on purpose\"\n}\n";
    std::fs::create_dir_all(repo.join("app-misc/broken")).unwrap();
    std::fs::write(repo.join("app-misc/broken/broken-1.0.ebuild"), ebuild).unwrap();
    let md5 = {
        let out = Command::new("md5sum")
            .arg(repo.join("app-misc/broken/broken-1.0.ebuild"))
            .output()
            .unwrap();
        stdout(&out).split_whitespace().next().unwrap().to_owned()
    };
    std::fs::write(
        repo.join("metadata/md5-cache/app-misc/broken-1.0"),
        format!("DEFINED_PHASES=compile\nDESCRIPTION=Fails to build, on purpose\nEAPI=8\nKEYWORDS=amd64\nLICENSE=MIT\nSLOT=0\n_md5_={md5}\n"),
    )
    .unwrap();
}

#[test]
fn a_failing_ebuild_shows_its_log_and_leaves_no_container() {
    if services().is_none() {
        return;
    }
    let ctx = TestContext::new();
    add_broken_ebuild(&ctx.repo_dir);
    ctx.commit_repo("a broken package");
    ctx.write_manifest(
        &ctx.demo_manifest("[\"app-misc/broken\"]")
            .replace("name = \"demo\"", "name = \"staves-e2e/broken\""),
    );
    let out = build(&ctx, &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(
            "error: building app-misc/broken-1.0::staves-demo failed in the compile phase"
        ),
        "{stderr}"
    );
    assert!(stderr.contains("lines of the build log"), "{stderr}");
    assert!(
        stderr.contains("| compiling the broken package"),
        "{stderr}"
    );
    assert!(stderr.contains("broken on purpose"), "{stderr}");
    no_leftover_containers("staves-e2e-broken");
    assert!(
        !docker(&["image", "inspect", "staves-e2e/broken:latest"])
            .status
            .success()
    );
}

#[test]
fn a_plan_that_disagrees_with_the_lock_is_refused() {
    if services().is_none() {
        return;
    }
    let ctx = TestContext::new();
    // The hello-2.0 ebuild stops enabling `extras` by default (IUSE="extras"
    // instead of "+extras"), but its metadata/md5-cache entry is left as it
    // was. Staves trusts the md5-cache, so the lock keeps USE=+extras and
    // hello-extras; Portage sees that the entry's _md5_ no longer matches the
    // ebuild, re-reads the ebuild and plans -extras without hello-extras.
    let ebuild = ctx.repo_dir.join("app-misc/hello/hello-2.0.ebuild");
    let text = std::fs::read_to_string(&ebuild).expect("read hello-2.0.ebuild");
    let changed = text.replace("IUSE=\"+extras\"", "IUSE=\"extras\"");
    assert_ne!(changed, text, "hello-2.0.ebuild has no IUSE=\"+extras\"");
    std::fs::write(&ebuild, changed).expect("write hello-2.0.ebuild");
    ctx.commit_repo("hello-2.0: extras off by default, md5-cache not regenerated");
    let manifest = ctx
        .demo_manifest("[\"app-misc/hello\"]")
        .replace("name = \"demo\"", "name = \"staves-e2e/disagree\"");
    ctx.write_manifest(&manifest);
    let out = build(&ctx, &[]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("error: Portage's plan differs from staves.lock"),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "- app-misc/hello-2.0 (image): staves.lock has USE=\"+extras\", Portage \"-extras\""
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains("- staves.lock puts app-misc/hello-extras-0.5::staves-demo into the image; Portage would not install it"),
        "{stderr}"
    );
    no_leftover_containers("staves-e2e-disagree");
}
