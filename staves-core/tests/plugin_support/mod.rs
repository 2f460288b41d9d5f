//! Shared helpers of the plugin tests: the example and probe plugins built
//! for `wasm32-wasip1` (once per test binary), specs, requests and trees.
//!
//! Building needs the `wasm32-wasip1` target (`rustup target add
//! wasm32-wasip1`). Without it the tests fail under `CI=true` and are
//! skipped (with a message) otherwise.

#![allow(dead_code)]

use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use staves_core::plugin::api::{BuildInfo, ImageConfig, Package};
use staves_core::plugin::{Limits, PluginRequest, PluginSpec, sha256_file};

/// Every plugin package the tests use, with its binary name.
const PLUGINS: [(&str, &str); 4] = [
    ("staves-plugin-strip-docs", "strip-docs"),
    ("staves-plugin-sbom", "sbom"),
    ("staves-plugin-labels", "labels"),
    ("staves-plugin-probe", "probe"),
];

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// Says why a test is skipped, on the real stderr.
pub(crate) fn skip(reason: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "SKIPPED: {reason}");
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

fn build() -> Result<PathBuf, String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(cargo);
    command.current_dir(workspace()).args([
        "build",
        "--quiet",
        "--target",
        "wasm32-wasip1",
        "--profile",
        "plugin",
    ]);
    for (package, _) in PLUGINS {
        command.args(["-p", package]);
    }
    let output = command
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let hint = if stderr.contains("wasm32-wasip1") && stderr.contains("target") {
            " (run `rustup target add wasm32-wasip1`)"
        } else {
            ""
        };
        return Err(format!(
            "building the plugins for wasm32-wasip1 failed{hint}:\n{stderr}"
        ));
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("target"));
    let target = if target.is_relative() {
        workspace().join(target)
    } else {
        target
    };
    Ok(target.join("wasm32-wasip1/plugin"))
}

/// The `.wasm` of a plugin (`strip-docs`, `sbom`, `labels`, `probe`), or
/// `None` after saying why (outside CI) when they cannot be built.
pub(crate) fn wasm(name: &str) -> Option<PathBuf> {
    static BUILT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    match BUILT.get_or_init(build) {
        Ok(dir) => Some(dir.join(format!("{name}.wasm"))),
        Err(e) if in_ci() => panic!("CI=true but {e}"),
        Err(e) => {
            skip(e);
            None
        }
    }
}

/// A compile cache shared by the tests (under Cargo's target tmp dir), so
/// each plugin is compiled once, not once per test.
pub(crate) fn shared_cache() -> PathBuf {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("plugin-cache")
}

/// A spec for a built plugin with default limits.
pub(crate) fn spec(name: &str, config: serde_json::Value) -> Option<PluginSpec> {
    let wasm_path = wasm(name)?;
    Some(PluginSpec {
        name: name.into(),
        sha256: sha256_file(&wasm_path).unwrap(),
        wasm_path,
        config,
        limits: Limits::default(),
    })
}

/// A request with two packages.
pub(crate) fn request() -> PluginRequest {
    let package = |name: &str, version: &str, slot: &str, flags: &[&str]| Package {
        name: name.into(),
        version: version.into(),
        slot: slot.into(),
        subslot: slot.into(),
        use_flags: flags.iter().map(|f| f.to_string()).collect(),
        repository: "gentoo".into(),
        repository_commit: Some("1111111111111111111111111111111111111111".into()),
    };
    PluginRequest {
        image: ImageConfig {
            entrypoint: vec!["/bin/bash".into()],
            ..ImageConfig::default()
        },
        packages: vec![
            package("app-shells/bash", "5.2_p37-r4", "0", &["-nls", "readline"]),
            package("sys-libs/ncurses", "6.5_p20250125", "0", &["-gpm", "cxx"]),
        ],
        build: BuildInfo {
            source_date_epoch: 1_700_000_000,
            staves_version: "test".into(),
            arch: "amd64".into(),
            extra: Default::default(),
        },
    }
}

fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

/// A small Gentoo-shaped root: binaries, docs, man pages, locales, the
/// installed-package database and absolute and relative symlinks.
pub(crate) fn gentoo_root(root: &Path) {
    write(root, "bin/bash", "ELF bash");
    write(root, "usr/lib64/libncursesw.so.6.5", "ELF ncurses");
    symlink(
        "libncursesw.so.6.5",
        root.join("usr/lib64/libncursesw.so.6"),
    )
    .unwrap();
    fs::create_dir_all(root.join("usr/bin")).unwrap();
    symlink("/bin/bash", root.join("usr/bin/sh")).unwrap();
    for (rel, text) in [
        ("usr/share/man/man1/bash.1.bz2", "man page"),
        ("usr/share/info/bash.info.bz2", "info page"),
        ("usr/share/doc/bash-5.2_p37-r4/README.bz2", "readme"),
        ("usr/share/doc/ncurses-6.5_p20250125/ANNOUNCE", "announce"),
        ("usr/share/locale/de/LC_MESSAGES/bash.mo", "de"),
        ("usr/share/locale/en@quot/LC_MESSAGES/bash.mo", "en"),
        ("usr/share/locale/fr/LC_MESSAGES/bash.mo", "fr"),
        ("usr/share/locale/locale.alias", "alias"),
        ("etc/bash/bashrc", "# bashrc"),
    ] {
        write(root, rel, text);
    }
    for (cpf, slot, iuse, use_flags) in [
        (
            "app-shells/bash-5.2_p37-r4",
            "0",
            "nls +readline",
            "amd64 readline elibc_glibc",
        ),
        (
            "sys-libs/ncurses-6.5_p20250125",
            "0/6",
            "cxx gpm",
            "amd64 cxx",
        ),
    ] {
        let dir = format!("var/db/pkg/{cpf}");
        write(root, &format!("{dir}/SLOT"), &format!("{slot}\n"));
        write(root, &format!("{dir}/repository"), "gentoo\n");
        write(root, &format!("{dir}/IUSE"), &format!("{iuse}\n"));
        write(root, &format!("{dir}/USE"), &format!("{use_flags}\n"));
        write(root, &format!("{dir}/LICENSE"), "GPL-3+\n");
    }
}

/// Every path under `root` with its kind, mode and content or link target:
/// a canonical listing to compare trees.
pub(crate) fn listing(root: &Path) -> Vec<String> {
    use std::os::unix::fs::MetadataExt;
    let mut out = Vec::new();
    for entry in staves_core::plugin::build_index(root).unwrap() {
        let path = root.join(&entry.path);
        let content = match entry.kind {
            staves_core::plugin::api::EntryKind::File => {
                format!("{:?}", String::from_utf8_lossy(&fs::read(&path).unwrap()))
            }
            _ => entry.target.clone().unwrap_or_default(),
        };
        let mode = fs::symlink_metadata(&path).unwrap().mode() & 0o7777;
        out.push(format!(
            "{} {:?} {mode:o} {content}",
            entry.path, entry.kind
        ));
    }
    out
}
