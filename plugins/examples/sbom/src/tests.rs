use std::fs;
use std::path::Path;

use staves_plugin_sdk::Package;
use staves_plugin_sdk::harness::Harness;

use super::*;

fn install(root: &Path, category: &str, pf: &str, fields: &[(&str, &str)]) {
    let dir = root.join("var/db/pkg").join(category).join(pf);
    fs::create_dir_all(&dir).unwrap();
    for (name, value) in fields {
        fs::write(dir.join(name), format!("{value}\n")).unwrap();
    }
}

fn locked(name: &str, version: &str) -> Package {
    Package {
        name: name.into(),
        version: version.into(),
        slot: "0".into(),
        subslot: "0".into(),
        use_flags: vec![],
        repository: "gentoo".into(),
        repository_commit: Some("0123456789abcdef0123456789abcdef01234567".into()),
    }
}

#[test]
fn spdx_document_from_the_vdb() {
    let rootfs = tempfile::tempdir().unwrap();
    let out = tempfile::tempdir().unwrap();
    install(
        rootfs.path(),
        "app-shells",
        "bash-5.2_p37-r4",
        &[
            ("SLOT", "0"),
            ("repository", "gentoo"),
            ("LICENSE", "GPL-3+"),
            ("IUSE", "+readline nls"),
            ("USE", "abi_x86_64 amd64 readline elibc_glibc"),
        ],
    );
    install(
        rootfs.path(),
        "sys-libs",
        "zlib-1.3.1",
        &[("SLOT", "0/1"), ("repository", "gentoo")],
    );
    let response = Harness::new(rootfs.path(), out.path())
        .source_date_epoch(1_700_000_000)
        .packages(vec![
            locked("app-shells/bash", "5.2_p37-r4"),
            locked("dev-lang/python", "3.12.8"),
        ])
        .run(handle)
        .unwrap();
    assert_eq!(response.artifacts[0].path, "sbom.spdx.json");
    assert_eq!(response.artifacts[0].media_type, "application/spdx+json");
    let doc: serde_json::Value =
        serde_json::from_slice(&fs::read(out.path().join("sbom.spdx.json")).unwrap()).unwrap();
    assert_eq!(doc["spdxVersion"], "SPDX-2.3");
    assert_eq!(doc["creationInfo"]["created"], "2023-11-14T22:13:20Z");
    let bash = &doc["packages"][0];
    assert_eq!(bash["name"], "app-shells/bash");
    assert_eq!(bash["versionInfo"], "5.2_p37-r4");
    assert_eq!(
        bash["comment"],
        "SLOT=0; USE=readline; repository=gentoo@0123456789abcdef0123456789abcdef01234567"
    );
    assert_eq!(
        bash["externalRefs"][0]["referenceLocator"],
        "pkg:ebuild/app-shells/bash@5.2_p37-r4?repository=gentoo&slot=0\
         &vcs_commit=0123456789abcdef0123456789abcdef01234567"
    );
    assert_eq!(
        doc["packages"][1]["SPDXID"],
        "SPDXRef-Package-sys-libs-zlib-1.3.1"
    );
    assert_eq!(doc["relationships"].as_array().unwrap().len(), 2);
    let warnings: Vec<&str> = response
        .messages
        .iter()
        .filter(|m| m.level == Level::Warning)
        .map(|m| m.text.as_str())
        .collect();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(
        warnings[0].starts_with("dev-lang/python-3.12.8"),
        "{warnings:?}"
    );
    assert!(
        warnings[1].starts_with("sys-libs/zlib-1.3.1"),
        "{warnings:?}"
    );
}

#[test]
fn rfc3339_dates() {
    assert_eq!(spdx::rfc3339(0), "1970-01-01T00:00:00Z");
    assert_eq!(spdx::rfc3339(951_782_400), "2000-02-29T00:00:00Z");
    assert_eq!(spdx::rfc3339(4_102_444_799), "2099-12-31T23:59:59Z");
}

#[test]
fn a_path_as_file_name_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let err = Harness::new(dir.path(), dir.path())
        .config(serde_json::json!({"file": "../x"}))
        .run(handle)
        .unwrap_err();
    assert!(err.to_string().contains("plain file name"), "{err}");
}
