//! The sandbox and limits, proved with the misbehaving `probe` plugin
//! (plugins/testing/probe): escapes through absolute and relative symlinks,
//! an endless loop, a memory bomb, invalid output. None of them may crash
//! the host or leave the tree half-changed.

mod plugin_support;

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt, symlink};
use std::path::Path;
use std::time::{Duration, Instant};

use plugin_support::{listing, request, spec};
use staves_core::plugin::{PluginError, PluginHost, PluginOutcome, PluginSpec};

/// A root with escape hatches next to a secret outside it.
struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("root");
        fs::create_dir_all(root.join("etc")).unwrap();
        fs::create_dir_all(dir.path().join("out")).unwrap();
        fs::write(root.join("etc/hostname"), "inside").unwrap();
        fs::write(dir.path().join("secret"), "outside").unwrap();
        fs::set_permissions(dir.path().join("secret"), fs::Permissions::from_mode(0o600)).unwrap();
        symlink(dir.path().join("secret"), root.join("abs")).unwrap();
        symlink("../secret", root.join("rel")).unwrap();
        symlink(dir.path(), root.join("absdir")).unwrap();
        symlink("..", root.join("reldir")).unwrap();
        Fixture { dir }
    }
    fn root(&self) -> std::path::PathBuf {
        self.dir.path().join("root")
    }
    fn run(&self, plugin: &PluginSpec) -> Result<PluginOutcome, PluginError> {
        let host = PluginHost::new(&plugin_support::shared_cache()).unwrap();
        host.run(
            plugin,
            &self.root(),
            &self.dir.path().join("out"),
            &request(),
        )
    }
    fn outside_untouched(&self) {
        let secret = self.dir.path().join("secret");
        assert_eq!(fs::read_to_string(&secret).unwrap(), "outside");
        assert_eq!(fs::metadata(&secret).unwrap().mode() & 0o777, 0o600);
        let names: Vec<_> = fs::read_dir(self.dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 3, "nothing new outside the root: {names:?}");
    }
}

fn texts(outcome: &PluginOutcome) -> Vec<String> {
    outcome.messages.iter().map(|m| m.text.clone()).collect()
}

#[test]
fn reads_and_writes_outside_the_root_fail() {
    let Some(plugin) = spec(
        "probe",
        serde_json::json!({
            "mode": "fs",
            "reads": ["/rootfs/etc/hostname", "/rootfs/abs", "/rootfs/rel", "/rootfs/absdir/secret",
                      "/rootfs/reldir/secret", "/rootfs/../secret", "/etc/passwd", "/proc/self/environ"],
            "lists": ["/rootfs/reldir", "/rootfs/absdir", "/", "/tmp"],
            "writes": ["/rootfs/new", "/rootfs/abs", "/rootfs/rel", "/rootfs/reldir/planted",
                       "/rootfs/absdir/planted", "/rootfs/../planted", "/planted", "/out/artifact"]
        }),
    ) else {
        return;
    };
    let fixture = Fixture::new();
    let outcome = fixture.run(&plugin).unwrap();
    let results = texts(&outcome);
    let ok: Vec<&str> = results
        .iter()
        .filter(|t| t.ends_with(": ok"))
        .map(String::as_str)
        .collect();
    assert_eq!(
        ok,
        [
            "read /rootfs/etc/hostname: ok",
            "write /rootfs/new: ok",
            "write /out/artifact: ok"
        ],
        "{results:#?}"
    );
    fixture.outside_untouched();
    assert_eq!(
        fs::read_to_string(fixture.root().join("new")).unwrap(),
        "probe"
    );
}

#[test]
fn an_escaping_symlink_made_by_the_plugin_is_never_followed_by_the_host() {
    // WASI lets a plugin create an escaping relative symlink; then file
    // operations through it or on it must be refused, and nothing applied.
    let Some(make) = spec(
        "probe",
        serde_json::json!({"mode": "fs", "symlinks": [["/rootfs/esc", "../"], ["/rootfs/abs2", "/etc"]]}),
    ) else {
        return;
    };
    let fixture = Fixture::new();
    let made = texts(&fixture.run(&make).unwrap());
    assert_eq!(made[0], "symlink /rootfs/esc: ok", "{made:?}");
    assert!(
        made[1].contains("error"),
        "absolute symlinks are refused by WASI: {made:?}"
    );
    for ops in [
        serde_json::json!([{"op": "chmod", "path": "etc/hostname", "mode": 0o600},
                           {"op": "chmod", "path": "esc/secret", "mode": 0o777}]),
        serde_json::json!([{"op": "chmod", "path": "etc/hostname", "mode": 0o600},
                           {"op": "symlink", "path": "reldir/planted", "target": "/x"}]),
        serde_json::json!([{"op": "chmod", "path": "etc/hostname", "mode": 0o600},
                           {"op": "chmod", "path": "rel", "mode": 0o777}]),
        serde_json::json!([{"op": "chmod", "path": "etc/hostname", "mode": 0o600},
                           {"op": "chown", "path": "absdir/secret", "uid": 0, "gid": 0}]),
    ] {
        let before = listing(&fixture.root());
        let Some(plugin) = spec("probe", serde_json::json!({"mode": "ops", "file_ops": ops}))
        else {
            return;
        };
        let err = fixture.run(&plugin).unwrap_err();
        assert!(matches!(err, PluginError::Refused { .. }), "{err}");
        assert!(err.to_string().contains("nothing was applied"), "{err}");
        assert_eq!(listing(&fixture.root()), before, "the tree changed: {err}");
        fixture.outside_untouched();
    }
}

#[test]
fn valid_file_operations_are_applied() {
    let Some(plugin) = spec(
        "probe",
        serde_json::json!({"mode": "ops", "file_ops": [
            {"op": "chmod", "path": "/etc/hostname", "mode": 0o4711},
            {"op": "symlink", "path": "etc/localtime", "target": "/usr/share/zoneinfo/UTC"}
        ]}),
    ) else {
        return;
    };
    let fixture = Fixture::new();
    let outcome = fixture.run(&plugin).unwrap();
    assert_eq!(outcome.file_ops_applied, 2);
    let root = fixture.root();
    assert_eq!(
        fs::metadata(root.join("etc/hostname")).unwrap().mode() & 0o7777,
        0o4711
    );
    assert_eq!(
        fs::read_link(root.join("etc/localtime")).unwrap(),
        Path::new("/usr/share/zoneinfo/UTC")
    );
}

#[test]
fn an_endless_loop_is_stopped_by_fuel_and_by_the_clock() {
    let Some(mut plugin) = spec("probe", serde_json::json!({"mode": "spin"})) else {
        return;
    };
    let fixture = Fixture::new();
    plugin.limits.fuel = 500_000_000;
    let err = fixture.run(&plugin).unwrap_err();
    assert!(
        err.to_string()
            .contains("CPU budget of 500000000 fuel exhausted"),
        "{err}"
    );

    plugin.limits.fuel = u64::MAX / 2;
    plugin.limits.timeout = Duration::from_millis(500);
    let started = Instant::now();
    let err = fixture.run(&plugin).unwrap_err();
    assert!(
        err.to_string()
            .contains("wall-clock limit of 500ms reached"),
        "{err}"
    );
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn an_allocation_past_the_memory_limit_is_stopped() {
    let Some(mut plugin) = spec("probe", serde_json::json!({"mode": "hog", "mib": 256})) else {
        return;
    };
    let fixture = Fixture::new();
    plugin.limits.memory_bytes = 64 << 20;
    let err = fixture.run(&plugin).unwrap_err();
    assert!(
        err.to_string().contains("memory limit of 64 MiB reached"),
        "{err}"
    );
    plugin.limits.memory_bytes = 512 << 20;
    let outcome = fixture.run(&plugin).unwrap();
    assert_eq!(texts(&outcome), ["allocated 256 MiB"]);
}

#[test]
fn bad_output_and_failures_are_clear_errors() {
    let fixture = Fixture::new();
    let run = |config: serde_json::Value| {
        let plugin = spec("probe", config)?;
        Some(fixture.run(&plugin).unwrap_err().to_string())
    };
    let Some(garbage) = run(serde_json::json!({"mode": "garbage"})) else {
        return;
    };
    assert!(
        garbage.starts_with(
            "plugin `probe` broke the plugin protocol: its stdout is not a valid response"
        ),
        "{garbage}"
    );
    assert!(garbage.contains("\"this is not JSON {\""), "{garbage}");
    let version = run(serde_json::json!({"mode": "version"})).unwrap();
    assert!(
        version.contains("answered with plugin API 99, Staves speaks API 1"),
        "{version}"
    );
    let exit = run(serde_json::json!({"mode": "exit", "code": 7})).unwrap();
    assert!(
        exit.starts_with("plugin `probe` failed (exit status 7)"),
        "{exit}"
    );
    assert!(
        exit.contains("| goodbye from the probe"),
        "stderr is shown: {exit}"
    );
    let unknown = run(serde_json::json!({"mode": "nonsense"})).unwrap();
    assert!(
        unknown.contains("failed (exit status 1)\n  error: unknown probe mode `nonsense`"),
        "{unknown}"
    );
    let mut flood = spec("probe", serde_json::json!({"mode": "flood", "bytes": 4096})).unwrap();
    flood.limits.stdout_bytes = 1024;
    let err = fixture.run(&flood).unwrap_err().to_string();
    assert!(err.contains("output too large"), "{err}");
    fixture.outside_untouched();
}

#[test]
fn the_environment_is_empty_and_time_and_randomness_are_fixed() {
    let Some(plugin) = spec("probe", serde_json::json!({"mode": "env"})) else {
        return;
    };
    let fixture = Fixture::new();
    let first = texts(&fixture.run(&plugin).unwrap());
    assert_eq!(first[0], "env STAVES_PLUGIN_API=1");
    assert_eq!(first[1], "args probe");
    assert_eq!(first[2], "time 1700000000");
    assert_eq!(
        first,
        texts(&fixture.run(&plugin).unwrap()),
        "seeded randomness"
    );
}

#[test]
fn components_and_foreign_files_are_refused() {
    let Some(mut plugin) = spec("labels", serde_json::json!({})) else {
        return;
    };
    let fixture = Fixture::new();
    let fake = fixture.dir.path().join("component.wasm");
    fs::write(&fake, b"\0asm\x0d\0\x01\0").unwrap();
    plugin.sha256 = staves_core::plugin::sha256_file(&fake).unwrap();
    plugin.wasm_path = fake;
    let err = fixture.run(&plugin).unwrap_err().to_string();
    assert!(err.contains("is a WebAssembly component"), "{err}");
}
