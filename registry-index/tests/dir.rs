//! DirIndex: an index in a local directory, read and written.

mod common;

use common::{config, entry};
use registry_index::{DirIndex, Index, IndexError, index_path};
use semver::{Version, VersionReq};

fn new_index() -> (tempfile::TempDir, DirIndex) {
    let dir = tempfile::tempdir().unwrap();
    let index = DirIndex::init(dir.path().join("index"), &config()).unwrap();
    (dir, index)
}

#[test]
fn publish_then_read_back() {
    let (_dir, index) = new_index();
    assert_eq!(index.config().unwrap(), config());
    assert_eq!(index.versions("gentoo").unwrap(), vec![]);
    let one = entry("gentoo", "1.0.0");
    let two = entry("gentoo", "1.1.0");
    index.publish(&one).unwrap();
    index.publish(&two).unwrap();
    assert_eq!(
        index.versions("gentoo").unwrap(),
        vec![one.clone(), two.clone()]
    );
    let text = fs_err::read_to_string(index.root().join("ge/nt/gentoo")).unwrap();
    assert_eq!(text, format!("{}\n{}\n", one.to_line(), two.to_line()));
    let req = VersionReq::parse("^1").unwrap();
    assert_eq!(index.resolve("gentoo", &req, None).unwrap(), two);
}

#[test]
fn publishing_an_existing_version_is_refused_and_changes_nothing() {
    let (_dir, index) = new_index();
    index.publish(&entry("gentoo", "1.0.0")).unwrap();
    let path = index.root().join("ge/nt/gentoo");
    let before = fs_err::read_to_string(&path).unwrap();
    let err = index
        .publish(&entry("gentoo", "1.0.0+rebuild"))
        .unwrap_err();
    assert!(matches!(err, IndexError::VersionExists { .. }), "{err}");
    assert_eq!(fs_err::read_to_string(&path).unwrap(), before);
}

#[test]
fn invalid_entries_are_not_published() {
    let (_dir, index) = new_index();
    let mut bad = entry("gentoo", "1.0.0");
    bad.images.clear();
    let err = index.publish(&bad).unwrap_err();
    assert!(err.to_string().contains("`images` is empty"), "{err}");
    let err = index.publish(&entry("Gentoo", "1.0.0")).unwrap_err();
    assert!(matches!(err, IndexError::InvalidName { .. }), "{err}");
    assert!(!index.root().join("ge").exists());
}

#[test]
fn dash_and_underscore_name_the_same_builder() {
    let (_dir, index) = new_index();
    index.publish(&entry("x86_64-glibc", "1.0.0")).unwrap();
    assert_eq!(index_path("x86_64-glibc"), "x8/6-/x86-64-glibc");
    assert!(index.root().join("x8/6-/x86-64-glibc").is_file());
    for spelling in ["x86_64-glibc", "x86-64-glibc", "x86_64_glibc"] {
        let found = index.versions(spelling).unwrap();
        assert_eq!(found.len(), 1, "{spelling}");
        assert_eq!(found[0].name, "x86_64-glibc");
    }
    // A second spelling cannot start its own history.
    let err = index.publish(&entry("x86-64-glibc", "1.1.0")).unwrap_err();
    assert!(
        matches!(err, IndexError::NameSpelling { ref existing, .. } if existing == "x86_64-glibc"),
        "{err}"
    );
    assert_eq!(index.list().unwrap(), ["x86_64-glibc"]);
}

#[test]
fn yank_and_unyank_change_only_that_field() {
    let (_dir, index) = new_index();
    index.publish(&entry("gentoo", "1.0.0")).unwrap();
    index.publish(&entry("gentoo", "1.1.0")).unwrap();
    let path = index.root().join("ge/nt/gentoo");
    let before = fs_err::read_to_string(&path).unwrap();
    let v = Version::new(1, 1, 0);
    index.yank("gentoo", &v, true).unwrap();
    let yanked = fs_err::read_to_string(&path).unwrap();
    let lines: Vec<&str> = before.lines().collect();
    assert_eq!(
        yanked,
        format!(
            "{}\n{}\n",
            lines[0],
            lines[1].replace("\"yanked\":false", "\"yanked\":true")
        )
    );
    let req = VersionReq::STAR;
    assert_eq!(
        index.resolve("gentoo", &req, None).unwrap().vers,
        Version::new(1, 0, 0)
    );
    assert_eq!(index.resolve("gentoo", &req, Some(&v)).unwrap().vers, v);
    // Yanking again changes nothing; unyanking restores the bytes.
    index.yank("gentoo", &v, true).unwrap();
    assert_eq!(fs_err::read_to_string(&path).unwrap(), yanked);
    index.yank("gentoo", &v, false).unwrap();
    assert_eq!(fs_err::read_to_string(&path).unwrap(), before);
    let err = index
        .yank("gentoo", &Version::new(9, 0, 0), true)
        .unwrap_err();
    assert!(matches!(err, IndexError::VersionNotFound { .. }), "{err}");
    let err = index.yank("nothing", &v, true).unwrap_err();
    assert!(matches!(err, IndexError::NotFound { .. }), "{err}");
}

#[test]
fn list_and_search_walk_the_tree() {
    let (_dir, index) = new_index();
    for name in ["a", "ab", "abc", "gentoo", "musl-builder"] {
        index.publish(&entry(name, "1.0.0")).unwrap();
    }
    let mut musl = entry("musl-builder", "1.1.0");
    musl.summary = Some("Alpine-sized musl builder".to_owned());
    index.publish(&musl).unwrap();
    // Files that are not builder files are ignored.
    fs_err::write(index.root().join("README.md"), "hello").unwrap();
    fs_err::write(index.root().join("ge/nt/other"), "not json").unwrap();
    fs_err::create_dir_all(index.root().join(".git/ab/cd")).unwrap();
    fs_err::write(index.root().join(".git/ab/cd/abcd"), "junk").unwrap();
    assert_eq!(
        index.list().unwrap(),
        ["a", "ab", "abc", "gentoo", "musl-builder"]
    );
    let hits = index.search("musl").unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].latest.vers, Version::new(1, 1, 0));
    assert_eq!(hits[0].versions, 2);
    assert_eq!(index.search("alpine-sized").unwrap().len(), 1);
    assert_eq!(index.search("").unwrap().len(), 5);
}

#[test]
fn a_malformed_file_is_reported_with_its_line() {
    let (_dir, index) = new_index();
    index.publish(&entry("gentoo", "1.0.0")).unwrap();
    let path = index.root().join("ge/nt/gentoo");
    let mut text = fs_err::read_to_string(&path).unwrap();
    text.push_str("{\"v\":1,\"name\":\"gentoo\",\"vers\":\"2\"}\n");
    fs_err::write(&path, text).unwrap();
    let err = index.versions("gentoo").unwrap_err();
    assert!(err.to_string().starts_with("ge/nt/gentoo:2: "), "{err}");
    // Writes refuse to build on a broken file.
    assert!(index.publish(&entry("gentoo", "3.0.0")).is_err());
    assert!(index.yank("gentoo", &Version::new(1, 0, 0), true).is_err());
}

#[test]
fn a_builder_in_the_wrong_file_is_an_error() {
    let (_dir, index) = new_index();
    fs_err::create_dir_all(index.root().join("ge/nt")).unwrap();
    fs_err::write(
        index.root().join("ge/nt/gentoo"),
        entry("gentox", "1.0.0").to_line(),
    )
    .unwrap();
    let err = index.versions("gentoo").unwrap_err();
    assert!(
        err.to_string()
            .contains("builder `gentox` is in the file of `gentoo`"),
        "{err}"
    );
}

#[test]
fn an_index_without_config_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let err = DirIndex::new(dir.path()).config().unwrap_err();
    assert!(matches!(err, IndexError::ConfigMissing { .. }), "{err}");
    assert!(err.help().unwrap().contains("config.json"));
    // init refuses to overwrite an index.
    DirIndex::init(dir.path(), &config()).unwrap();
    assert!(DirIndex::init(dir.path(), &config()).is_err());
}
