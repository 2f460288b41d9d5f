//! Unit tests of the host parts that need no plugin: file operations,
//! limits, pinning. The runs of real plugins are in `tests/plugin_*.rs`.

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt, symlink};
use std::path::Path;

use staves_plugin_api::FileOp;

use super::fileops::check_and_apply;
use super::*;

fn tree() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    fs::create_dir_all(root.join("usr/bin")).unwrap();
    fs::write(root.join("usr/bin/tool"), "x").unwrap();
    fs::set_permissions(root.join("usr/bin/tool"), fs::Permissions::from_mode(0o644)).unwrap();
    fs::write(dir.path().join("outside"), "secret").unwrap();
    fs::set_permissions(
        dir.path().join("outside"),
        fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    // An absolute and an escaping relative symlink, and one to a directory.
    symlink(dir.path().join("outside"), root.join("abs")).unwrap();
    symlink("../outside", root.join("rel")).unwrap();
    symlink(dir.path(), root.join("absdir")).unwrap();
    symlink("..", root.join("reldir")).unwrap();
    dir
}

fn mode(path: &Path) -> u32 {
    fs::symlink_metadata(path).unwrap().mode() & 0o7777
}

fn chmod(path: &str, mode: u32) -> FileOp {
    FileOp::Chmod {
        path: path.into(),
        mode,
    }
}

#[test]
fn file_operations_apply_in_order() {
    let dir = tree();
    let root = dir.path().join("root");
    let ops = vec![
        chmod("/usr/bin/tool", 0o4755),
        FileOp::Symlink {
            path: "usr/bin/sh".into(),
            target: "/bin/busybox".into(),
        },
        FileOp::Chown {
            path: "usr/bin/sh".into(),
            uid: fs::metadata(&root).unwrap().uid(),
            gid: fs::metadata(&root).unwrap().gid(),
        },
    ];
    assert_eq!(check_and_apply("t", &root, &ops).unwrap(), 3);
    assert_eq!(mode(&root.join("usr/bin/tool")), 0o4755);
    assert_eq!(
        fs::read_link(root.join("usr/bin/sh")).unwrap(),
        Path::new("/bin/busybox")
    );
}

#[test]
fn symlinks_are_never_followed_and_nothing_is_applied_on_refusal() {
    let dir = tree();
    let root = dir.path().join("root");
    let outside = dir.path().join("outside");
    for bad in [
        chmod("abs", 0o777),
        chmod("rel", 0o777),
        chmod("absdir/outside", 0o777),
        chmod("reldir/outside", 0o777),
        chmod("../outside", 0o777),
        chmod("usr/../../outside", 0o777),
        FileOp::Symlink {
            path: "absdir/planted".into(),
            target: "x".into(),
        },
        FileOp::Symlink {
            path: "reldir/planted".into(),
            target: "x".into(),
        },
        FileOp::Chown {
            path: "absdir/outside".into(),
            uid: 0,
            gid: 0,
        },
        chmod("/", 0o777),
        chmod("usr/bin/missing", 0o755),
        chmod("usr/bin/tool", 0o10000),
        FileOp::Symlink {
            path: "usr/bin/tool".into(),
            target: "x".into(),
        },
    ] {
        // A valid operation first: it must not be applied either.
        let ops = vec![chmod("usr/bin/tool", 0o700), bad.clone()];
        let err = check_and_apply("t", &root, &ops).unwrap_err();
        assert!(
            matches!(&err, PluginError::Refused { what, .. } if what.starts_with("file operation 2")),
            "{bad:?}: {err}"
        );
        assert_eq!(mode(&root.join("usr/bin/tool")), 0o644, "{bad:?}");
        assert_eq!(mode(&outside), 0o600, "{bad:?}");
        assert!(!dir.path().join("planted").exists(), "{bad:?}");
    }
}

#[test]
fn a_failure_while_applying_undoes_the_earlier_operations() {
    let dir = tree();
    let root = dir.path().join("root");
    let ops = vec![
        chmod("usr/bin/tool", 0o700),
        FileOp::Symlink {
            path: "usr/bin/sh".into(),
            target: "busybox".into(),
        },
        FileOp::Chown {
            path: "usr/bin/tool".into(),
            uid: 0,
            gid: 0,
        },
    ];
    let check_undone = |err: PluginError| {
        assert!(
            err.to_string()
                .contains("2 operation(s) applied before it were undone"),
            "{err}"
        );
        assert_eq!(mode(&root.join("usr/bin/tool")), 0o644);
        assert!(fs::symlink_metadata(root.join("usr/bin/sh")).is_err());
    };
    // A failure injected at the third operation (works as root, as in CI).
    check_undone(super::fileops::check_and_apply_failing_at("t", &root, &ops, 2).unwrap_err());
    // A real one: chown to root without privileges.
    let euid = fs::metadata("/proc/self").unwrap().uid();
    if euid != 0 {
        check_undone(check_and_apply("t", &root, &ops).unwrap_err());
    }
}

#[test]
fn limits_defaults_and_overrides() {
    let limits = Limits::default();
    assert_eq!(limits.memory_bytes, 512 << 20);
    assert_eq!(limits.timeout.as_secs(), 300);
    let table: toml::Table =
        toml::from_str("memory = \"1GiB\"\nfuel = 1e12\ntimeout = \"10m\"").unwrap();
    let limits = Limits::with_overrides("p", &table).unwrap();
    assert_eq!(limits.memory_bytes, 1 << 30);
    assert_eq!(limits.fuel, 1_000_000_000_000);
    assert_eq!(limits.timeout.as_secs(), 600);
    for bad in [
        "memory = \"5GiB\"",
        "memory = \"1GB\"",
        "fuel = -1",
        "timeout = \"0s\"",
        "cpu = 1",
    ] {
        let table: toml::Table = toml::from_str(bad).unwrap();
        let err = Limits::with_overrides("p", &table).unwrap_err();
        assert!(
            err.to_string().starts_with("plugin `p`: invalid limit"),
            "{bad}: {err}"
        );
    }
}

fn manifest_plugin(toml_text: &str) -> crate::manifest::Plugin {
    toml::from_str(toml_text).unwrap()
}

#[test]
fn pin_hashes_path_plugins_and_checks_url_pins() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir(dir.path().join("plugins")).unwrap();
    fs::write(dir.path().join("plugins/a.wasm"), b"\0asm\x01\0\0\0").unwrap();
    let plugin =
        manifest_plugin("name = \"a\"\npath = \"./plugins/a.wasm\"\nhook = \"post-build\"");
    let pin = pin(&plugin, dir.path()).unwrap();
    assert_eq!(pin.name, "a");
    assert_eq!(pin.source, "path+plugins/a.wasm");
    assert_eq!(
        pin.sha256,
        sha256_file(&dir.path().join("plugins/a.wasm")).unwrap()
    );
    assert_eq!(pin.sha256.len(), 64);

    let escaping = manifest_plugin("name = \"a\"\npath = \"../a.wasm\"\nhook = \"post-build\"");
    let err = super::pin(&escaping, dir.path()).unwrap_err();
    assert!(err.to_string().contains("stay inside"), "{err}");

    let sha = "ab".repeat(32);
    let url = manifest_plugin(&format!(
        "name = \"u\"\nurl = \"https://example.invalid/u.wasm\"\nsha256 = \"{sha}\"\nhook = \"post-build\""
    ));
    let pin = super::pin(&url, dir.path()).unwrap();
    assert_eq!(
        (pin.sha256.as_str(), pin.source.as_str()),
        (sha.as_str(), "url+https://example.invalid/u.wasm")
    );

    let missing =
        manifest_plugin("name = \"m\"\npath = \"plugins/none.wasm\"\nhook = \"post-build\"");
    assert!(matches!(
        super::pin(&missing, dir.path()),
        Err(PluginError::Read { .. })
    ));
}

#[test]
fn index_lists_modes_owners_and_link_targets_without_following() {
    let dir = tree();
    let root = dir.path().join("root");
    let index = build_index(&root).unwrap();
    let paths: Vec<&str> = index.iter().map(|e| e.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "abs",
            "absdir",
            "rel",
            "reldir",
            "usr",
            "usr/bin",
            "usr/bin/tool"
        ]
    );
    let abs = &index[0];
    assert_eq!(abs.kind, api::EntryKind::Symlink);
    assert_eq!(
        abs.target.as_deref(),
        Some(dir.path().join("outside").to_str().unwrap())
    );
    let tool = &index[6];
    assert_eq!(
        (tool.kind, tool.mode, tool.size),
        (api::EntryKind::File, 0o644, 1)
    );
}
