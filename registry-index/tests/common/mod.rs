//! Helpers shared by the integration tests.

#![allow(dead_code, unreachable_pub)]

use std::path::Path;

use registry_index::{IndexConfig, IndexEntry};

/// A well-formed digest for tests (these images do not exist; shipped data
/// never holds made-up digests).
pub fn digest(seed: u8) -> String {
    format!("sha256:{}", format!("{seed:02x}").repeat(32))
}

/// A valid entry of builder `name` at `vers`.
pub fn entry(name: &str, vers: &str) -> IndexEntry {
    let line = format!(
        r#"{{"v":1,"name":"{name}","vers":"{vers}","images":{{"linux/amd64":"{}"}},"arch":"amd64","libc":"glibc","profile":"default/linux/amd64/23.0","portage":"3.0.83","packages":["sys-apps/portage-3.0.83","dev-lang/python-3.12.8_p1"],"yanked":false,"summary":"Gentoo stage3 with Portage"}}"#,
        digest(vers.len() as u8)
    );
    serde_json::from_str(&line).unwrap()
}

/// The config used by test indexes.
pub fn config() -> IndexConfig {
    IndexConfig {
        oci: "registry.example.invalid/staves".to_owned(),
        api: None,
    }
}

/// A bare repository at `dir` whose `main` branch (its HEAD) holds one
/// commit with `config.json`; returns its `file://` URL.
pub fn bare_index(dir: &Path) -> String {
    let repo = git2::Repository::init_bare(dir).unwrap();
    let text = serde_json::to_string(&config()).unwrap();
    let blob = repo.blob(text.as_bytes()).unwrap();
    let mut tree = repo.treebuilder(None).unwrap();
    tree.insert("config.json", blob, 0o100_644).unwrap();
    let tree = repo.find_tree(tree.write().unwrap()).unwrap();
    let who = git2::Signature::now("test", "test@localhost").unwrap();
    repo.commit(Some("refs/heads/main"), &who, &who, "init", &tree, &[])
        .unwrap();
    repo.set_head("refs/heads/main").unwrap();
    format!("file://{}", dir.display())
}

/// The commit the remote's `main` points at.
pub fn remote_head(dir: &Path) -> git2::Oid {
    git2::Repository::open_bare(dir)
        .unwrap()
        .refname_to_id("refs/heads/main")
        .unwrap()
}

/// The text of `path` at the remote's `main`, if any.
pub fn remote_file(dir: &Path, path: &str) -> Option<String> {
    let repo = git2::Repository::open_bare(dir).unwrap();
    let tree = repo
        .find_reference("refs/heads/main")
        .unwrap()
        .peel_to_tree()
        .unwrap();
    let entry = tree.get_path(Path::new(path)).ok()?;
    let blob = repo.find_blob(entry.id()).unwrap();
    Some(String::from_utf8(blob.content().to_vec()).unwrap())
}
