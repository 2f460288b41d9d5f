//! Helpers for tests against a real Docker engine.
//!
//! The engine comes from `DOCKER_HOST`; else from the env file written by
//! `scripts/ci/services.sh start` (`STAVES_CI_ENV`, default /tmp/staves-ci.env);
//! else, under `CI=true`, the services are started here. Without an engine
//! the tests fail under `CI=true` and are skipped (with a message) otherwise.

#![allow(dead_code, unreachable_pub)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use sha2::{Digest, Sha256};
use staves_core::builder::Engine;

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_owned()
}

/// `export K=V` lines of an env file.
fn read_env_file(path: &Path) -> Option<BTreeMap<String, String>> {
    let text = std::fs::read_to_string(path).ok()?;
    Some(
        text.lines()
            .filter_map(|l| l.strip_prefix("export "))
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect(),
    )
}

/// The test services' variables (DOCKER_HOST, STAVES_TEST_REGISTRY, ...), from
/// the process environment or the services' env file (started under CI).
pub fn services() -> &'static BTreeMap<String, String> {
    static VARS: OnceLock<BTreeMap<String, String>> = OnceLock::new();
    VARS.get_or_init(|| {
        let keys = [
            "DOCKER_HOST",
            "STAVES_TEST_REGISTRY",
            "STAVES_TEST_REGISTRY_AUTH",
            "STAVES_TEST_REGISTRY_USER",
            "STAVES_TEST_REGISTRY_PASSWORD",
        ];
        let from_env: BTreeMap<_, _> = keys
            .iter()
            .filter_map(|k| std::env::var(k).ok().map(|v| ((*k).to_owned(), v)))
            .collect();
        if from_env.contains_key("DOCKER_HOST") {
            return from_env;
        }
        let env_file = std::env::var_os("STAVES_CI_ENV")
            .map_or_else(|| PathBuf::from("/tmp/staves-ci.env"), PathBuf::from);
        let services = repo_root().join("scripts/ci/services.sh");
        // `status` succeeds only when the services answer.
        let running = Command::new(&services)
            .arg("status")
            .output()
            .is_ok_and(|o| o.status.success());
        if !running && in_ci() {
            let out = Command::new(&services)
                .arg("start")
                .output()
                .expect("run scripts/ci/services.sh");
            assert!(
                out.status.success(),
                "scripts/ci/services.sh start failed:\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        read_env_file(&env_file).unwrap_or(from_env)
    })
}

/// Says why a test is skipped, on the real stderr (the test harness captures
/// `eprintln!`, which would hide it for a passing test).
pub fn skip(reason: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "SKIPPED: {reason}");
}

/// The engine, or `None` (after saying why) when there is none outside CI.
pub fn engine() -> Option<Engine> {
    let result = match services().get("DOCKER_HOST") {
        Some(host) => Engine::connect_to(host),
        None => Engine::connect(),
    };
    match result {
        Ok(engine) => Some(engine),
        Err(e) if in_ci() => panic!("CI=true but no Docker engine: {e}"),
        Err(e) => {
            skip(&format!(
                "no Docker engine (run `. \"$(scripts/ci/services.sh start)\"`): {e}"
            ));
            None
        }
    }
}

/// A registry variable (`STAVES_TEST_REGISTRY`, ...), or `None` (after saying
/// why) outside CI; panics under CI.
pub fn service_var(key: &str) -> Option<String> {
    match services().get(key) {
        Some(v) => Some(v.clone()),
        None if in_ci() => panic!("CI=true but {key} is not set (scripts/ci/services.sh start)"),
        None => {
            skip(&format!(
                "{key} not set (run `. \"$(scripts/ci/services.sh start)\"`)"
            ));
            None
        }
    }
}

fn run(cmd: &mut Command) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// A deterministic tar of directory `dir`.
pub fn tar_dir(dir: &Path, out: &Path) {
    run(Command::new("tar")
        .args([
            "--sort=name",
            "--mtime=@0",
            "--owner=0",
            "--group=0",
            "--numeric-owner",
            "-C",
        ])
        .arg(dir)
        .arg("-cf")
        .arg(out)
        .arg("."));
}

/// `staves-test/busybox:<hash>`: `/bin/busybox` of the host with a symlink
/// per applet, imported once (shared by all tests of a binary).
pub fn busybox_image(engine: &Engine) -> String {
    static REF: OnceLock<String> = OnceLock::new();
    REF.get_or_init(|| {
        let busybox = Path::new("/bin/busybox");
        let bin = std::fs::read(busybox)
            .expect("/bin/busybox is missing: install busybox-static (scripts/ci/deps.sh)");
        let reference = format!("staves-test/busybox:{}", &sha256_hex(&bin)[..12]);
        if engine.inspect_image(&reference).unwrap().is_some() {
            return reference;
        }
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("rootfs");
        std::fs::create_dir_all(root.join("bin")).unwrap();
        std::fs::create_dir_all(root.join("tmp")).unwrap();
        std::fs::copy(busybox, root.join("bin/busybox")).unwrap();
        let list = Command::new(busybox).arg("--list").output().unwrap();
        for applet in String::from_utf8_lossy(&list.stdout).lines() {
            if applet != "busybox" {
                std::os::unix::fs::symlink("busybox", root.join("bin").join(applet)).unwrap();
            }
        }
        let tar = dir.path().join("rootfs.tar");
        tar_dir(&root, &tar);
        engine.import_rootfs(&tar, &reference).unwrap();
        reference
    })
    .clone()
}

/// A minimal `docker save` archive (one layer holding `hello.txt`) tagged
/// `reference`; returns its path inside `dir`.
pub fn save_archive(dir: &Path, reference: &str) -> PathBuf {
    let layer_dir = dir.join("layer");
    std::fs::create_dir_all(&layer_dir).unwrap();
    std::fs::write(
        layer_dir.join("hello.txt"),
        format!("hello from {reference}\n"),
    )
    .unwrap();
    let image = dir.join("image");
    let layer_tar = dir.join("layer.tar");
    tar_dir(&layer_dir, &layer_tar);
    let diff_id = sha256_hex(&std::fs::read(&layer_tar).unwrap());
    let config = format!(
        r#"{{"architecture":"amd64","os":"linux","config":{{"Cmd":["/hello.txt"]}},"rootfs":{{"type":"layers","diff_ids":["sha256:{diff_id}"]}},"history":[{{"created_by":"staves test"}}]}}"#
    );
    let config_hex = sha256_hex(config.as_bytes());
    std::fs::create_dir_all(image.join(&diff_id)).unwrap();
    std::fs::rename(&layer_tar, image.join(&diff_id).join("layer.tar")).unwrap();
    std::fs::write(image.join(format!("{config_hex}.json")), &config).unwrap();
    std::fs::write(
        image.join("manifest.json"),
        format!(
            r#"[{{"Config":"{config_hex}.json","RepoTags":["{reference}"],"Layers":["{diff_id}/layer.tar"]}}]"#
        ),
    )
    .unwrap();
    let out = dir.join("image.tar");
    tar_dir(&image, &out);
    out
}

/// `(path, contents)` of the regular files in a tar archive (ustar/GNU
/// headers; enough for what `copy_out` returns).
pub fn tar_files(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    let mut pos = 0;
    while pos + 512 <= bytes.len() {
        let header = &bytes[pos..pos + 512];
        if header.iter().all(|&b| b == 0) {
            break;
        }
        let field = |r: std::ops::Range<usize>| {
            let f = &header[r];
            String::from_utf8_lossy(&f[..f.iter().position(|&b| b == 0).unwrap_or(f.len())])
                .into_owned()
        };
        let name = field(0..100);
        let size = u64::from_str_radix(field(124..136).trim(), 8).unwrap() as usize;
        let kind = header[156];
        pos += 512;
        if kind == b'0' || kind == 0 {
            files.push((name, bytes[pos..pos + size].to_vec()));
        }
        pos += size.div_ceil(512) * 512;
    }
    files
}
