//! Fetching: references, pinned commits, offline mode, the cache.

use git2::Repository;

use super::*;

#[test]
fn default_branch_follows_remote_head() {
    let mut up = Upstream::new();
    let first = commit_basic(&mut up, "main", "one");
    let cache = tempfile::tempdir().unwrap();
    let spec = up.spec("test", GitReference::DefaultBranch);
    let snap = fetch_latest(&spec, cache.path(), FetchMode::Online).unwrap();
    assert_eq!(snap.commit.as_deref(), Some(first.to_string().as_str()));
    assert_eq!(snap.commit_time, Some(up.clock));
    assert_eq!(description(&snap), "one");
    // libgit2's local transport refuses shallow fetches; the fallback made
    // a complete copy.
    let path = cache_path(cache.path(), "test", &up.uri());
    assert!(!Repository::open_bare(&path).unwrap().is_shallow());
    // No checkout: the cache is a bare repository.
    assert!(!path.join("profiles").exists());

    let second = commit_basic(&mut up, "main", "two");
    let snap = fetch_latest(&spec, cache.path(), FetchMode::Online).unwrap();
    assert_eq!(snap.commit, Some(second.to_string()));
    assert_eq!(description(&snap), "two");
}

#[test]
fn branch_tag_and_rev() {
    let mut up = Upstream::new();
    let old = commit_basic(&mut up, "main", "old");
    up.tag_annotated("v1", old);
    let dev = commit_basic(&mut up, "dev", "dev");
    let main = commit_basic(&mut up, "main", "main");
    up.repo
        .reference("refs/tags/light", dev, false, "t")
        .unwrap();
    let cache = tempfile::tempdir().unwrap();
    let get = |reference| {
        let snap = fetch_latest(&up.spec("t", reference), cache.path(), FetchMode::Online).unwrap();
        (snap.commit.clone().unwrap(), description(&snap))
    };
    assert_eq!(
        get(GitReference::Branch("dev".into())),
        (dev.to_string(), "dev".into())
    );
    assert_eq!(
        get(GitReference::Tag("v1".into())),
        (old.to_string(), "old".into())
    );
    assert_eq!(
        get(GitReference::Tag("light".into())),
        (dev.to_string(), "dev".into())
    );
    assert_eq!(get(GitReference::Branch("main".into())).0, main.to_string());
    let short = old.to_string()[..10].to_owned();
    assert_eq!(get(GitReference::Rev(short)).0, old.to_string());
    assert_eq!(get(GitReference::Rev(old.to_string())).0, old.to_string());
}

#[test]
fn rev_in_a_fresh_cache_is_fetched_by_id_or_by_prefix() {
    let mut up = Upstream::new();
    let old = commit_basic(&mut up, "main", "old");
    commit_basic(&mut up, "main", "new");
    for rev in [old.to_string(), old.to_string()[..8].to_owned()] {
        let cache = tempfile::tempdir().unwrap();
        let spec = up.spec("t", GitReference::Rev(rev));
        let snap = fetch_latest(&spec, cache.path(), FetchMode::Online).unwrap();
        assert_eq!(snap.commit, Some(old.to_string()));
        assert_eq!(description(&snap), "old");
        // Offline afterwards: the rev is cached.
        let snap = fetch_latest(&spec, cache.path(), FetchMode::Offline).unwrap();
        assert_eq!(snap.commit, Some(old.to_string()));
    }
}

#[test]
fn unknown_references_are_reported() {
    let mut up = Upstream::new();
    commit_basic(&mut up, "main", "x");
    let cache = tempfile::tempdir().unwrap();
    let err = |reference| {
        fetch_latest(&up.spec("x", reference), cache.path(), FetchMode::Online)
            .unwrap_err()
            .to_string()
    };
    let uri = up.uri();
    assert_eq!(
        err(GitReference::Rev("abc0".into())),
        format!("`rev = \"abc0\"` of repository `x` is not a commit in {uri}")
    );
    assert_eq!(
        err(GitReference::Rev("main".into())),
        format!("`rev = \"main\"` of repository `x` is not a commit in {uri}")
    );
    assert_eq!(
        err(GitReference::Branch("nope".into())),
        format!("branch `nope` of repository `x` does not exist in {uri}")
    );
    assert_eq!(
        err(GitReference::Tag("nope".into())),
        format!("tag `nope` of repository `x` does not exist in {uri}")
    );
}

#[test]
fn empty_remote_has_no_default_branch() {
    let up = Upstream::new();
    let cache = tempfile::tempdir().unwrap();
    let spec = up.spec("x", GitReference::DefaultBranch);
    let err = fetch_latest(&spec, cache.path(), FetchMode::Online).unwrap_err();
    assert!(matches!(err, SourceError::NoDefaultBranch { .. }), "{err}");
}

#[test]
fn unreachable_remote_is_a_fetch_error() {
    let dir = tempfile::tempdir().unwrap();
    let spec = RepoSpec {
        name: "gone".into(),
        location: RepoLocation::Git {
            uri: format!("file://{}/missing", dir.path().display()),
            reference: GitReference::DefaultBranch,
        },
    };
    let err = fetch_latest(&spec, dir.path(), FetchMode::Online).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("failed to fetch repository `gone` from file://"),
        "{err}"
    );
}

#[test]
fn pinned_commit_after_the_remote_moved_on() {
    let mut up = Upstream::new();
    let old = commit_basic(&mut up, "main", "old");
    let new = commit_basic(&mut up, "main", "new");
    let cache = tempfile::tempdir().unwrap();
    let spec = up.spec("test", GitReference::DefaultBranch);
    let snap = fetch_pinned(&spec, &old.to_string(), cache.path(), FetchMode::Online).unwrap();
    assert_eq!(snap.commit, Some(old.to_string()));
    assert_eq!(description(&snap), "old");
    // libgit2's local transport sends everything reachable from the
    // remote's references whatever was asked for, so the tip came along
    // with the commit fetched by id.
    let cached = Repository::open_bare(cache_path(cache.path(), "test", &up.uri())).unwrap();
    assert!(cached.find_commit(new).is_ok());
    // Now cached: offline works too.
    let snap = fetch_pinned(&spec, &old.to_string(), cache.path(), FetchMode::Offline).unwrap();
    assert_eq!(description(&snap), "old");

    let gone = "0123456789abcdef0123456789abcdef01234567";
    let err = fetch_pinned(&spec, gone, cache.path(), FetchMode::Online).unwrap_err();
    assert!(
        err.to_string().starts_with(&format!(
            "commit {gone} of repository `test` is not in its remote any more"
        )),
        "{err}"
    );
    let err = fetch_pinned(&spec, "abc", cache.path(), FetchMode::Online).unwrap_err();
    assert!(matches!(err, SourceError::InvalidCommit { .. }), "{err}");
}

#[test]
fn offline_uses_only_the_cache() {
    let mut up = Upstream::new();
    let tip = commit_basic(&mut up, "main", "one");
    let cache = tempfile::tempdir().unwrap();
    let spec = up.spec("gentoo", GitReference::DefaultBranch);

    let err = fetch_latest(&spec, cache.path(), FetchMode::Offline).unwrap_err();
    assert_eq!(
        err.to_string(),
        "repository `gentoo` is not cached; run `staves lock` without `--offline` first"
    );
    let err = fetch_pinned(&spec, &tip.to_string(), cache.path(), FetchMode::Offline).unwrap_err();
    assert!(matches!(err, SourceError::CommitNotCached { .. }), "{err}");

    fetch_latest(&spec, cache.path(), FetchMode::Online).unwrap();
    // The remote moves on and then disappears: offline still answers from
    // the cache.
    commit_basic(&mut up, "main", "two");
    let uri = up.uri();
    drop(up);
    let snap = fetch_latest(&spec, cache.path(), FetchMode::Offline).unwrap();
    assert_eq!(snap.commit, Some(tip.to_string()));
    assert_eq!(description(&snap), "one");

    let spec = RepoSpec {
        name: "gentoo".into(),
        location: RepoLocation::Git {
            uri,
            reference: GitReference::Branch("dev".into()),
        },
    };
    let err = fetch_latest(&spec, cache.path(), FetchMode::Offline).unwrap_err();
    assert_eq!(
        err.to_string(),
        "branch `dev` of repository `gentoo` is not cached; run the command again without `--offline` to fetch it"
    );
}

#[test]
fn second_fetch_is_incremental() {
    let mut up = Upstream::new();
    let mut files = basic("one");
    for i in 0..50 {
        files.push((
            Box::leak(format!("eclass/e{i}.eclass").into_boxed_str()),
            format!("# eclass {i}\n").into_bytes(),
            FILE,
        ));
    }
    up.commit("main", &as_refs(&files));
    let cache = tempfile::tempdir().unwrap();
    let spec = up.spec("t", GitReference::Branch("main".into()));
    fetch_latest(&spec, cache.path(), FetchMode::Online).unwrap();
    let path = cache_path(cache.path(), "t", &up.uri());
    let first = pack_object_counts(&path);
    assert_eq!(first.len(), 1, "{first:?}");
    assert!(first[0] > 50);

    // Unchanged remote: nothing is downloaded.
    fetch_latest(&spec, cache.path(), FetchMode::Online).unwrap();
    assert_eq!(pack_object_counts(&path), first);

    // One file changes: only the new commit, the trees on its path and
    // the blob come down.
    files[1].1 = b"EAPI=8\nDESCRIPTION=two\n".to_vec();
    up.commit("main", &as_refs(&files));
    let snap = fetch_latest(&spec, cache.path(), FetchMode::Online).unwrap();
    assert_eq!(description(&snap), "two");
    let counts = pack_object_counts(&path);
    assert_eq!(counts.len(), 2, "{counts:?}");
    assert!(counts[0] <= 6, "{counts:?}");
}

#[test]
fn concurrent_fetches_share_the_cache() {
    let mut up = Upstream::new();
    let tip = commit_basic(&mut up, "main", "one");
    let cache = tempfile::tempdir().unwrap();
    let spec = up.spec("t", GitReference::DefaultBranch);
    // What a process that crashed while creating the cache leaves behind.
    let key = cache_path(cache.path(), "t", &up.uri());
    let key = key.file_name().unwrap().to_str().unwrap();
    let leftover = cache.path().join(format!("git/.tmp-{key}.abc123"));
    fs_err::create_dir_all(leftover.join("objects")).unwrap();
    let commits: Vec<_> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| s.spawn(|| fetch_latest(&spec, cache.path(), FetchMode::Online)))
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap().unwrap().commit.unwrap())
            .collect()
    });
    assert!(commits.iter().all(|c| *c == tip.to_string()));
    // Only the repository and its lock file; no temporary directory left.
    let mut names: Vec<_> = fs_err::read_dir(cache.path().join("git"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, [key.to_owned(), format!("{key}.lock")]);
}

/// A remote that refuses every credential: staves offers each kind once and
/// then stops with an authentication error instead of looping.
#[test]
fn refused_credentials_end_in_a_clear_error() {
    use std::io::{BufRead, BufReader, Write};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let requests = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&requests);
    // Detached: it ends with the test process.
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            counter.fetch_add(1, Ordering::SeqCst);
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 0) && line != "\r\n" {
                line.clear();
            }
            let _ = stream.write_all(
                b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"x\"\r\n\
                  Content-Length: 0\r\nConnection: close\r\n\r\n",
            );
        }
    });
    let uri = format!("http://127.0.0.1:{port}/private.git");
    let spec = RepoSpec {
        name: "private".into(),
        location: RepoLocation::Git {
            uri: uri.clone(),
            reference: GitReference::DefaultBranch,
        },
    };
    let cache = tempfile::tempdir().unwrap();
    let err = fetch_latest(&spec, cache.path(), FetchMode::Online).unwrap_err();
    assert!(
        err.to_string().starts_with(&format!(
            "authentication to {uri} for repository `private` failed (tried: git credential helpers"
        )),
        "{err}"
    );
    assert!(requests.load(Ordering::SeqCst) < 10, "{requests:?}");
}
