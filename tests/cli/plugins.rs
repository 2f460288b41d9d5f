//! Post-build plugins in `staves lock` and `staves build`, end to end: the
//! example plugins (sbom, strip-docs, labels, built for wasm32-wasip1) run
//! on the demo image built by the real test builder; the lock pins them, a
//! changed plugin file fails `--locked`, and a failing plugin stops the
//! build with its name, message and stderr and leaves no container.
//!
//! Needs the CI services, the test builder (see `build.rs`) and the
//! `wasm32-wasip1` target. Under `CI=true` a missing part fails the tests;
//! otherwise they are skipped with a message.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::build::{assert_ok, build, docker, no_leftover_containers, services, stdout};
use crate::common::{TestContext, workspace_root};

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// The directory holding the built `.wasm` files, or `None` (outside CI)
/// when they cannot be built.
fn plugins_dir() -> Option<&'static Path> {
    static BUILT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    let built = BUILT.get_or_init(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let out = Command::new(cargo)
            .current_dir(workspace_root())
            .args(["build", "--quiet", "--target", "wasm32-wasip1", "--profile", "plugin"])
            .args(["-p", "staves-plugin-strip-docs", "-p", "staves-plugin-sbom"])
            .args(["-p", "staves-plugin-labels", "-p", "staves-plugin-probe"])
            .output()
            .map_err(|e| format!("cannot run cargo: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "building the plugins for wasm32-wasip1 failed (rustup target add wasm32-wasip1?):\n{}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map_or_else(|| workspace_root().join("target"), PathBuf::from);
        Ok(workspace_root().join(target).join("wasm32-wasip1/plugin"))
    });
    match built {
        Ok(dir) => Some(dir),
        Err(e) if in_ci() => panic!("CI=true but {e}"),
        Err(e) => {
            use std::io::Write;
            let _ = writeln!(std::io::stderr(), "SKIPPED: {e}");
            None
        }
    }
}

/// Copies the named plugins into `<project>/plugins/`.
fn install(ctx: &TestContext, dir: &Path, names: &[&str]) {
    let to = ctx.project.join("plugins");
    std::fs::create_dir_all(&to).unwrap();
    for name in names {
        std::fs::copy(
            dir.join(format!("{name}.wasm")),
            to.join(format!("{name}.wasm")),
        )
        .unwrap();
    }
}

const PLUGINS: &str = r#"
[[plugins]]
name = "sbom"
path = "plugins/sbom.wasm"
hook = "post-build"
config = { name = "plugins-e2e" }

[[plugins]]
name = "strip-docs"
path = "plugins/strip-docs.wasm"
hook = "post-build"

[[plugins]]
name = "labels"
path = "plugins/labels.wasm"
hook = "post-build"
config = { labels = { team = "infra" } }
limits = { memory = "256MiB", timeout = "2m" }
"#;

#[test]
fn example_plugins_label_strip_and_describe_the_image() {
    let Some(_) = services() else { return };
    let Some(dir) = plugins_dir() else { return };
    let ctx = TestContext::new();
    install(&ctx, dir, &["sbom", "strip-docs", "labels"]);
    let manifest = ctx
        .demo_manifest("[\"app-misc/hello\"]")
        .replace("name = \"demo\"", "name = \"staves-e2e/plugins\"");
    ctx.write_manifest(&format!("{manifest}{PLUGINS}"));

    // The lock pins the plugins in manifest order.
    let lock = ctx.staves().arg("lock").output().unwrap();
    assert!(
        lock.status.success(),
        "{}",
        String::from_utf8_lossy(&lock.stderr)
    );
    let text = ctx.read("staves.lock");
    let rows: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("source = \"path+plugins/"))
        .collect();
    assert_eq!(
        rows,
        [
            "source = \"path+plugins/sbom.wasm\"",
            "source = \"path+plugins/strip-docs.wasm\"",
            "source = \"path+plugins/labels.wasm\""
        ],
        "{text}"
    );

    let first = build(&ctx, &["--load"]);
    let digest = assert_ok(&first);
    let stderr = String::from_utf8_lossy(&first.stderr).into_owned();
    for name in ["sbom", "strip-docs", "labels"] {
        assert!(
            stderr.contains(&format!("Running plugin {name}")),
            "{stderr}"
        );
    }
    no_leftover_containers("staves-e2e-plugins");
    let image = "staves-e2e/plugins:latest";

    // labels: the configured label and the package summary.
    let labels = stdout(&docker(&[
        "image",
        "inspect",
        "-f",
        "{{json .Config.Labels}}",
        image,
    ]));
    let labels: serde_json::Value = serde_json::from_str(&labels).unwrap();
    assert_eq!(labels["team"], "infra", "{labels}");
    let packages = labels["org.staves.packages"].as_str().unwrap_or_default();
    assert!(packages.contains("app-misc/hello-2.0"), "{labels}");

    // sbom: an SPDX 2.3 document listing the image's packages.
    let sbom_path = ctx
        .project
        .join("target/staves/artifacts/staves-e2e-plugins/sbom/sbom.spdx.json");
    let sbom: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&sbom_path).unwrap()).unwrap();
    assert_eq!(sbom["spdxVersion"], "SPDX-2.3");
    let names: Vec<&str> = sbom["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["name"].as_str())
        .collect();
    for expected in ["app-misc/hello", "app-shells/bash", "sys-apps/busybox"] {
        assert!(names.contains(&expected), "{expected} not in {names:?}");
    }
    assert!(
        !names.contains(&"dev-util/gperf"),
        "build-only package in the SBOM"
    );

    // strip-docs: hello installed docs (its CONTENTS says so), none are left.
    let probe = docker(&[
        "run",
        "--rm",
        "--entrypoint",
        "/bin/sh",
        image,
        "-c",
        "grep -q /usr/share/doc/ /var/db/pkg/app-misc/hello-2.0/CONTENTS \
         && grep -q /usr/share/man/ /var/db/pkg/app-misc/hello-2.0/CONTENTS \
         && test ! -e /usr/share/doc && test ! -e /usr/share/man && /usr/bin/hello",
    ]);
    assert!(
        probe.status.success(),
        "docs left in the image or hello broken: {}{}",
        stdout(&probe),
        String::from_utf8_lossy(&probe.stderr)
    );

    // Unchanged rebuild: cached, same digest, the artifact written again.
    std::fs::remove_file(&sbom_path).unwrap();
    let again = build(&ctx, &[]);
    assert_eq!(assert_ok(&again), digest);
    let stderr = String::from_utf8_lossy(&again.stderr).into_owned();
    assert!(
        stderr.contains("Fresh") && !stderr.contains("Running plugin"),
        "{stderr}"
    );
    assert!(sbom_path.is_file());

    // A changed plugin config re-runs the plugins on the cached root only.
    let edited = std::fs::read_to_string(ctx.project.join("staves.toml"))
        .unwrap()
        .replace("team = \"infra\"", "team = \"platform\"");
    ctx.write_manifest(&edited);
    let reconfigured = build(&ctx, &["--locked"]);
    assert_ne!(assert_ok(&reconfigured), digest);
    let stderr = String::from_utf8_lossy(&reconfigured.stderr).into_owned();
    assert!(
        stderr.contains("Running plugin labels") && !stderr.contains("Checking"),
        "{stderr}"
    );
    assert!(
        stderr.contains("Fresh cached root filesystem, 3 plugins run again"),
        "{stderr}"
    );
    let team = stdout(&docker(&[
        "image",
        "inspect",
        "-f",
        "{{index .Config.Labels \"team\"}}",
        image,
    ]));
    assert_eq!(team, "platform");

    // A plugin file that changed since the lock fails --locked.
    let labels_wasm = ctx.project.join("plugins/labels.wasm");
    let mut bytes = std::fs::read(&labels_wasm).unwrap();
    bytes.extend_from_slice(b"\0changed");
    std::fs::write(&labels_wasm, bytes).unwrap();
    let locked = build(&ctx, &["--locked"]);
    assert_eq!(locked.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&locked.stderr).into_owned();
    assert!(
        stderr.contains("plugin `labels` changed since it was locked")
            && stderr.contains("run `staves lock`"),
        "{stderr}"
    );
}

#[test]
fn a_failing_plugin_stops_the_build_and_leaves_nothing() {
    let Some(_) = services() else { return };
    let Some(dir) = plugins_dir() else { return };
    let ctx = TestContext::new();
    install(&ctx, dir, &["probe"]);
    let manifest = ctx
        .demo_manifest("[\"app-misc/hello\"]")
        .replace("name = \"demo\"", "name = \"staves-e2e/plugin-fails\"");
    ctx.write_manifest(&format!(
        "{manifest}\n[[plugins]]\nname = \"probe\"\npath = \"plugins/probe.wasm\"\nhook = \"post-build\"\nconfig = {{ mode = \"exit\", code = 7 }}\n"
    ));
    let out = build(&ctx, &["--load"]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        stderr.contains("Running plugin probe")
            && stderr.contains("plugin `probe` failed (exit status 7)")
            && stderr.contains("goodbye from the probe"),
        "{stderr}"
    );
    no_leftover_containers("staves-e2e-plugin-fails");
    let image = docker(&["image", "inspect", "staves-e2e/plugin-fails:latest"]);
    assert!(!image.status.success(), "an image was loaded");
}
