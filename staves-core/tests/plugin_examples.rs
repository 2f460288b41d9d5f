//! The example plugins (strip-docs, sbom, labels), built for wasm32-wasip1,
//! run by the real host on real trees.

mod plugin_support;

use std::fs;
use std::path::{Path, PathBuf};

use plugin_support::{gentoo_root, listing, request, spec};
use staves_core::plugin::api::Level;
use staves_core::plugin::{PluginError, PluginHost, PluginOutcome, PluginSpec};

/// A temporary directory with an empty `out` and a `root` that is the
/// Gentoo-like tree (see `gentoo_root`) when `gentoo`, else empty.
fn dirs(gentoo: bool) -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let (root, out) = (dir.path().join("root"), dir.path().join("out"));
    fs::create_dir_all(&out).unwrap();
    if gentoo {
        gentoo_root(&root);
    } else {
        fs::create_dir_all(&root).unwrap();
    }
    (dir, root, out)
}

/// Runs `plugin` on `root` with the shared compile cache.
fn run_shared(plugin: &PluginSpec, root: &Path, out: &Path) -> PluginOutcome {
    let host = PluginHost::new(&plugin_support::shared_cache()).unwrap();
    host.run(plugin, root, out, &request()).unwrap()
}

#[test]
fn strip_docs_removes_docs_and_foreign_locales() {
    let Some(plugin) = spec("strip-docs", serde_json::json!({})) else {
        return;
    };
    let (_dir, root, out) = dirs(true);
    let outcome = run_shared(&plugin, &root, &out);
    for gone in [
        "usr/share/man",
        "usr/share/info",
        "usr/share/doc",
        "usr/share/locale/de",
        "usr/share/locale/fr",
    ] {
        assert!(
            fs::symlink_metadata(root.join(gone)).is_err(),
            "{gone} is still there"
        );
    }
    for kept in [
        "usr/share/locale/en@quot/LC_MESSAGES/bash.mo",
        "usr/share/locale/locale.alias",
        "bin/bash",
        "usr/bin/sh",
        "var/db/pkg/app-shells/bash-5.2_p37-r4/SLOT",
    ] {
        assert!(
            fs::symlink_metadata(root.join(kept)).is_ok(),
            "{kept} was removed"
        );
    }
    assert_eq!(outcome.messages[0].text, "removed 16 entries, 35 bytes");
    assert!(outcome.patch.is_empty());
}

#[test]
fn sbom_writes_spdx_with_use_slot_and_commit() {
    let Some(plugin) = spec("sbom", serde_json::json!({"name": "demo"})) else {
        return;
    };
    let (_dir, root, out) = dirs(true);
    let outcome = run_shared(&plugin, &root, &out);
    assert_eq!(outcome.artifacts.len(), 1);
    let artifact = &outcome.artifacts[0];
    assert_eq!(artifact.path, out.join("sbom.spdx.json"));
    assert_eq!(artifact.media_type, "application/spdx+json");
    let bytes = fs::read(&artifact.path).unwrap();
    assert_eq!(artifact.size, bytes.len() as u64);
    assert!(artifact.digest.starts_with("sha256:") && artifact.digest.len() == 71);
    let doc: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(doc["spdxVersion"], "SPDX-2.3");
    assert_eq!(doc["name"], "demo");
    assert_eq!(doc["creationInfo"]["created"], "2023-11-14T22:13:20Z");
    let ncurses = &doc["packages"][1];
    assert_eq!(ncurses["name"], "sys-libs/ncurses");
    assert_eq!(
        ncurses["comment"],
        "SLOT=0/6; USE=cxx; repository=gentoo@1111111111111111111111111111111111111111"
    );
    assert!(
        outcome.messages.iter().all(|m| m.level != Level::Warning),
        "{:?}",
        outcome.messages
    );
}

#[test]
fn labels_patch_the_image_config() {
    let Some(plugin) = spec("labels", serde_json::json!({"per_package": true})) else {
        return;
    };
    let (_dir, root, out) = dirs(false);
    let outcome = run_shared(&plugin, &root, &out);
    let labels = &outcome.image.labels;
    assert_eq!(
        labels["org.staves.packages"],
        "app-shells/bash-5.2_p37-r4 sys-libs/ncurses-6.5_p20250125"
    );
    assert_eq!(
        labels["org.staves.repositories"],
        "gentoo@1111111111111111111111111111111111111111"
    );
    assert_eq!(
        labels["org.staves.package.sys-libs.ncurses"],
        "6.5_p20250125"
    );
    assert_eq!(
        outcome.image.entrypoint,
        ["/bin/bash"],
        "untouched fields stay"
    );
}

#[test]
fn plugins_in_order_give_the_same_result_every_time() {
    let (Some(sbom), Some(strip), Some(labels)) = (
        spec("sbom", serde_json::json!({})),
        spec("strip-docs", serde_json::json!({"keep_locales": []})),
        spec("labels", serde_json::json!({})),
    ) else {
        return;
    };
    let run = |n: u32| {
        let (dir, root, out) = dirs(true);
        // The first run may load compiled code from the shared cache, the
        // second compiles afresh: both must agree.
        let cache = match n {
            1 => plugin_support::shared_cache(),
            _ => dir.path().join("cache"),
        };
        let host = PluginHost::new(&cache).unwrap();
        let mut request = request();
        let mut results = Vec::new();
        for plugin in [&sbom, &strip, &labels] {
            let outcome = host.run(plugin, &root, &out, &request).unwrap();
            request.image = outcome.image.clone();
            results.push(format!(
                "{:?} {:?} {:?}",
                outcome.patch,
                outcome.messages,
                outcome
                    .artifacts
                    .iter()
                    .map(|a| &a.digest)
                    .collect::<Vec<_>>()
            ));
        }
        (results, listing(&root), request.image)
    };
    assert_eq!(run(1), run(2));
}

#[test]
fn the_compile_cache_is_used_and_a_changed_plugin_is_refused() {
    let Some(mut plugin) = spec("labels", serde_json::json!({})) else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    assert!(
        !PluginHost::new(&cache).unwrap().prepare(&plugin).unwrap(),
        "first compile"
    );
    assert!(fs::read_dir(cache.join("plugins")).unwrap().count() == 1);
    assert!(
        PluginHost::new(&cache).unwrap().prepare(&plugin).unwrap(),
        "from the cache"
    );

    plugin.sha256 = "00".repeat(32);
    let err = PluginHost::new(&cache)
        .unwrap()
        .prepare(&plugin)
        .unwrap_err();
    assert!(matches!(err, PluginError::Changed { .. }), "{err}");
    assert!(err.to_string().contains("run `staves lock`"), "{err}");
}
