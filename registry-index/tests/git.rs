//! GitIndex against real bare repositories (file:// URLs).

mod common;

use std::path::{Path, PathBuf};

use common::{bare_index, config, entry, remote_file, remote_head};
use registry_index::{GitIndex, Index, IndexError, index_path};
use semver::{Version, VersionReq};

/// The references in a cache repository, with their targets.
fn cache_refs(cache_root: &Path, url: &str) -> Vec<(String, git2::Oid)> {
    let repo = git2::Repository::open_bare(GitIndex::cache_dir(cache_root, url)).unwrap();
    let mut refs: Vec<(String, git2::Oid)> = repo
        .references()
        .unwrap()
        .map(|r| {
            let r = r.unwrap();
            (r.name().unwrap().to_owned(), r.target().unwrap())
        })
        .collect();
    refs.sort();
    refs
}

/// A bare index (`remote.git` in a temporary directory) with gentoo 1.0.0
/// published through `index`, a [`GitIndex`] caching in `cache`.
struct Published {
    _tmp: tempfile::TempDir,
    remote: PathBuf,
    url: String,
    cache: PathBuf,
    index: GitIndex,
    /// The remote's `main` after the publish.
    head: git2::Oid,
}

fn published() -> Published {
    let tmp = tempfile::tempdir().unwrap();
    let remote = tmp.path().join("remote.git");
    let url = bare_index(&remote);
    let cache = tmp.path().join("cache");
    let index = GitIndex::new(&url, &cache).unwrap();
    index.publish(&entry("gentoo", "1.0.0")).unwrap();
    let head = remote_head(&remote);
    Published {
        _tmp: tmp,
        remote,
        url,
        cache,
        index,
        head,
    }
}

#[test]
fn a_publish_is_seen_by_another_clone() {
    let tmp = tempfile::tempdir().unwrap();
    let url = bare_index(&tmp.path().join("remote.git"));
    let writer = GitIndex::new(&url, &tmp.path().join("cache-a")).unwrap();
    assert_eq!(writer.config().unwrap(), config());
    assert_eq!(writer.versions("gentoo").unwrap(), vec![]);
    writer.publish(&entry("gentoo", "1.0.0")).unwrap();
    writer.publish(&entry("x86_64-glibc", "0.1.0")).unwrap();

    let reader = GitIndex::new(&url, &tmp.path().join("cache-b")).unwrap();
    assert_eq!(
        reader.versions("gentoo").unwrap(),
        vec![entry("gentoo", "1.0.0")]
    );
    assert_eq!(reader.list().unwrap(), ["gentoo", "x86_64-glibc"]);
    let hit = &reader.search("x86-64").unwrap()[0];
    assert_eq!(hit.latest.name, "x86_64-glibc");
    // The remote holds the files at Cargo's paths, one commit per publish.
    let text = remote_file(&tmp.path().join("remote.git"), &index_path("gentoo")).unwrap();
    assert_eq!(text, format!("{}\n", entry("gentoo", "1.0.0").to_line()));
    let repo = git2::Repository::open_bare(tmp.path().join("remote.git")).unwrap();
    let head = repo
        .find_commit(remote_head(&tmp.path().join("remote.git")))
        .unwrap();
    assert_eq!(head.message().unwrap(), "Publish x86_64-glibc 0.1.0");
    assert_eq!(
        head.parent(0).unwrap().message().unwrap(),
        "Publish gentoo 1.0.0"
    );

    // A reader sees later publishes after a fetch, and offline it reads the
    // cache.
    writer.publish(&entry("gentoo", "1.1.0")).unwrap();
    assert_eq!(
        reader.versions("gentoo").unwrap().len(),
        1,
        "reads fetch once"
    );
    reader.fetch().unwrap();
    assert_eq!(reader.versions("gentoo").unwrap().len(), 2);
    let offline = GitIndex::new(&url, &tmp.path().join("cache-b"))
        .unwrap()
        .with_offline(true);
    assert_eq!(offline.versions("gentoo").unwrap().len(), 2);
    let err = offline.publish(&entry("gentoo", "9.0.0")).unwrap_err();
    assert!(matches!(err, IndexError::Offline { .. }), "{err}");
    let never = GitIndex::new(&url, &tmp.path().join("cache-c"))
        .unwrap()
        .with_offline(true);
    assert!(matches!(
        never.versions("gentoo"),
        Err(IndexError::Offline { .. })
    ));
}

#[test]
fn an_existing_version_is_refused_and_nothing_is_committed() {
    let p = published();
    let refs = cache_refs(&p.cache, &p.url);
    let err = p.index.publish(&entry("gentoo", "1.0.0")).unwrap_err();
    assert!(matches!(err, IndexError::VersionExists { .. }), "{err}");
    assert_eq!(remote_head(&p.remote), p.head);
    assert_eq!(cache_refs(&p.cache, &p.url), refs);
    assert_eq!(refs, [("refs/staves/index".to_owned(), p.head)]);
}

#[test]
fn yank_and_unyank_rewrite_one_field_and_push() {
    let tmp = tempfile::tempdir().unwrap();
    let remote = tmp.path().join("remote.git");
    let url = bare_index(&remote);
    let index = GitIndex::new(&url, &tmp.path().join("cache")).unwrap();
    index.publish(&entry("gentoo", "1.0.0")).unwrap();
    index.publish(&entry("gentoo", "1.1.0")).unwrap();
    let before = remote_file(&remote, "ge/nt/gentoo").unwrap();
    let v = Version::new(1, 1, 0);
    index.yank("gentoo", &v, true).unwrap();
    let after = remote_file(&remote, "ge/nt/gentoo").unwrap();
    let lines: Vec<&str> = before.lines().collect();
    assert_eq!(
        after,
        format!(
            "{}\n{}\n",
            lines[0],
            lines[1].replace("\"yanked\":false", "\"yanked\":true")
        )
    );
    let other = GitIndex::new(&url, &tmp.path().join("other")).unwrap();
    assert_eq!(
        other
            .resolve("gentoo", &VersionReq::STAR, None)
            .unwrap()
            .vers,
        Version::new(1, 0, 0)
    );
    assert_eq!(
        other
            .resolve("gentoo", &VersionReq::STAR, Some(&v))
            .unwrap()
            .vers,
        v
    );
    // A yank that changes nothing makes no commit.
    let head = remote_head(&remote);
    index.yank("gentoo", &v, true).unwrap();
    assert_eq!(remote_head(&remote), head);
    index.yank("gentoo", &v, false).unwrap();
    assert_eq!(remote_file(&remote, "ge/nt/gentoo").unwrap(), before);
    let message = git2::Repository::open_bare(&remote)
        .unwrap()
        .find_commit(remote_head(&remote))
        .unwrap()
        .message()
        .unwrap()
        .to_owned();
    assert_eq!(message, "Unyank gentoo 1.1.0");
}

#[test]
fn a_failed_push_leaves_no_local_commit() {
    let p = published();
    // A held lock on the remote branch makes the remote refuse the update,
    // as a concurrent git process holding it would (root ignores file
    // permissions, so a read-only remote would not do).
    let lock = p.remote.join("refs/heads/main.lock");
    fs_err::write(&lock, "").unwrap();
    let err = p.index.publish(&entry("gentoo", "1.1.0")).unwrap_err();
    assert!(
        matches!(
            err,
            IndexError::PushRejected { .. }
                | IndexError::Git {
                    action: "push to",
                    ..
                }
        ),
        "{err}"
    );
    assert_eq!(remote_head(&p.remote), p.head);
    assert_eq!(
        cache_refs(&p.cache, &p.url),
        [("refs/staves/index".to_owned(), p.head)]
    );
    assert_eq!(p.index.versions("gentoo").unwrap().len(), 1);
    // Once the lock is gone the same publish goes through.
    fs_err::remove_file(&lock).unwrap();
    p.index.publish(&entry("gentoo", "1.1.0")).unwrap();
    assert_ne!(remote_head(&p.remote), p.head);
}

#[test]
fn a_named_branch_is_used_instead_of_head() {
    let tmp = tempfile::tempdir().unwrap();
    let remote = tmp.path().join("remote.git");
    let url = bare_index(&remote);
    let repo = git2::Repository::open_bare(&remote).unwrap();
    let main = repo.find_commit(remote_head(&remote)).unwrap();
    repo.branch("staging", &main, false).unwrap();
    let staging = GitIndex::new(&url, &tmp.path().join("cache"))
        .unwrap()
        .with_branch("staging");
    staging.publish(&entry("gentoo", "1.0.0")).unwrap();
    assert_eq!(remote_file(&remote, "ge/nt/gentoo"), None);
    let tree = repo
        .find_reference("refs/heads/staging")
        .unwrap()
        .peel_to_tree()
        .unwrap();
    assert!(tree.get_path(Path::new("ge/nt/gentoo")).is_ok());
}

#[test]
fn an_unreachable_remote_is_a_git_error_naming_the_url() {
    let tmp = tempfile::tempdir().unwrap();
    let url = format!("file://{}", tmp.path().join("missing.git").display());
    let index = GitIndex::new(&url, &tmp.path().join("cache")).unwrap();
    let err = index.versions("gentoo").unwrap_err();
    assert!(matches!(err, IndexError::Git { .. }), "{err}");
    assert!(err.to_string().contains("missing.git"), "{err}");
}
