//! The push retry: a concurrent push between fetch and push.

use std::path::Path;

use super::*;

/// A bare repository whose `main` holds `config.json`; its `file://` URL.
fn bare_index(dir: &Path) -> String {
    let repo = Repository::init_bare(dir).unwrap();
    let blob = repo
        .blob(br#"{"oci":"registry.example.invalid/staves"}"#)
        .unwrap();
    let mut tree = repo.treebuilder(None).unwrap();
    tree.insert("config.json", blob, 0o100_644).unwrap();
    let tree = repo.find_tree(tree.write().unwrap()).unwrap();
    let who = Signature::now("test", "test@localhost").unwrap();
    repo.commit(Some("refs/heads/main"), &who, &who, "init", &tree, &[])
        .unwrap();
    repo.set_head("refs/heads/main").unwrap();
    format!("file://{}", dir.display())
}

fn entry(name: &str, vers: &str) -> IndexEntry {
    let digest = format!("sha256:{}", "ab".repeat(32));
    serde_json::from_str(&format!(
        r#"{{"name":"{name}","vers":"{vers}","images":{{"linux/amd64":"{digest}"}},"arch":"amd64","libc":"glibc","profile":"default/linux/amd64/23.0","portage":"3.0.83"}}"#
    ))
    .unwrap()
}

#[test]
fn a_push_rejected_once_is_retried_on_a_fresh_fetch() {
    let tmp = tempfile::tempdir().unwrap();
    let url = bare_index(&tmp.path().join("remote.git"));
    let ours = GitIndex::new(&url, &tmp.path().join("a")).unwrap();
    let theirs = GitIndex::new(&url, &tmp.path().join("b")).unwrap();
    let mut calls = 0;
    ours.publish_with(&entry("gentoo", "1.0.0"), &mut || {
        calls += 1;
        if calls == 1 {
            theirs.publish(&entry("other", "1.0.0")).unwrap();
        }
    })
    .unwrap();
    assert_eq!(calls, 2, "one rejected push, one retry");
    let check = GitIndex::new(&url, &tmp.path().join("c")).unwrap();
    assert_eq!(check.list().unwrap(), ["gentoo", "other"]);
    assert!(ours.repo.find_reference(PUSH_REF).is_err());
}

#[test]
fn a_push_rejected_twice_fails_and_leaves_no_local_commit() {
    let tmp = tempfile::tempdir().unwrap();
    let url = bare_index(&tmp.path().join("remote.git"));
    let ours = GitIndex::new(&url, &tmp.path().join("a")).unwrap();
    let theirs = GitIndex::new(&url, &tmp.path().join("b")).unwrap();
    let mut n = 0;
    let err = ours
        .publish_with(&entry("gentoo", "1.0.0"), &mut || {
            n += 1;
            theirs
                .publish(&entry("other", &format!("1.0.{n}")))
                .unwrap();
        })
        .unwrap_err();
    assert!(matches!(err, IndexError::PushRejected { .. }), "{err}");
    assert!(err.help().unwrap().contains("nothing was published"));
    // Only the last fetched state is referenced, and it does not hold our
    // version.
    let names: Vec<String> = ours
        .repo
        .references()
        .unwrap()
        .map(|r| r.unwrap().name().unwrap().to_owned())
        .collect();
    assert_eq!(names, [READ_REF]);
    assert_eq!(ours.versions("gentoo").unwrap(), vec![]);
}
