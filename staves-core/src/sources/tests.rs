//! Tests of the repository sources against real git repositories made in
//! temporary directories and reached through `file://` URLs.

use std::collections::BTreeMap;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use git2::{Oid, Repository, RepositoryInitOptions, Signature, Time};

use super::*;
use crate::gentoo::tree::{DirEntry, EntryKind};

const FILE: i32 = 0o100_644;
const EXEC: i32 = 0o100_755;
const LINK: i32 = 0o120_000;

/// A file to commit: path, contents, git file mode.
type FileSpec<'a> = (&'a str, &'a [u8], i32);

/// A bare "remote" repository whose default branch is `main`.
struct Upstream {
    dir: tempfile::TempDir,
    repo: Repository,
    clock: i64,
}

impl Upstream {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut opts = RepositoryInitOptions::new();
        opts.bare(true).initial_head("main");
        let repo = Repository::init_opts(dir.path(), &opts).unwrap();
        Self {
            dir,
            repo,
            clock: 1_700_000_000,
        }
    }

    fn uri(&self) -> String {
        format!("file://{}", self.dir.path().display())
    }

    fn spec(&self, name: &str, reference: GitReference) -> RepoSpec {
        RepoSpec {
            name: name.to_owned(),
            location: RepoLocation::Git {
                uri: self.uri(),
                reference,
            },
        }
    }

    /// Commits `files` (path, contents, mode) as the whole tree on `branch`
    /// (a child of the branch's tip if it exists).
    fn commit(&mut self, branch: &str, files: &[FileSpec<'_>]) -> Oid {
        self.clock += 60;
        let sig = Signature::new("T", "t@example.invalid", &Time::new(self.clock, 0)).unwrap();
        let tree = self.tree(files);
        let tree = self.repo.find_tree(tree).unwrap();
        let refname = format!("refs/heads/{branch}");
        let parent = self
            .repo
            .find_reference(&refname)
            .ok()
            .map(|r| r.peel_to_commit().unwrap());
        let parents: Vec<_> = parent.iter().collect();
        self.repo
            .commit(Some(&refname), &sig, &sig, "c", &tree, &parents)
            .unwrap()
    }

    fn tree(&self, files: &[FileSpec<'_>]) -> Oid {
        let mut dirs: BTreeMap<&str, Vec<FileSpec<'_>>> = BTreeMap::new();
        let mut builder = self.repo.treebuilder(None).unwrap();
        for &(path, bytes, mode) in files {
            match path.split_once('/') {
                Some((dir, rest)) => dirs.entry(dir).or_default().push((rest, bytes, mode)),
                None => {
                    let blob = self.repo.blob(bytes).unwrap();
                    builder.insert(path, blob, mode).unwrap();
                }
            }
        }
        for (dir, entries) in dirs {
            builder.insert(dir, self.tree(&entries), 0o040_000).unwrap();
        }
        builder.write().unwrap()
    }

    fn tag_annotated(&self, name: &str, commit: Oid) {
        let sig = Signature::new("T", "t@example.invalid", &Time::new(1, 0)).unwrap();
        let target = self.repo.find_object(commit, None).unwrap();
        self.repo.tag(name, &target, &sig, "tag", false).unwrap();
    }
}

fn basic(version: &str) -> Vec<(&'static str, Vec<u8>, i32)> {
    vec![
        ("profiles/repo_name", b"test\n".to_vec(), FILE),
        (
            "metadata/md5-cache/app-misc/hello-1",
            format!("EAPI=8\nSLOT=0\nDESCRIPTION={version}\n").into_bytes(),
            FILE,
        ),
        ("app-misc/hello/hello-1.ebuild", b"EAPI=8\n".to_vec(), FILE),
        ("app-misc/hello/files/run.sh", b"#!/bin/sh\n".to_vec(), EXEC),
        ("app-misc/hello/files/link", b"run.sh".to_vec(), LINK),
    ]
}

fn as_refs<'a>(files: &'a [(&'static str, Vec<u8>, i32)]) -> Vec<(&'static str, &'a [u8], i32)> {
    files
        .iter()
        .map(|(p, b, m)| (*p, b.as_slice(), *m))
        .collect()
}

fn commit_basic(up: &mut Upstream, branch: &str, version: &str) -> Oid {
    let files = basic(version);
    up.commit(branch, &as_refs(&files))
}

fn description(snapshot: &Snapshot) -> String {
    let bytes = snapshot
        .files
        .read("metadata/md5-cache/app-misc/hello-1")
        .unwrap()
        .unwrap();
    let text = String::from_utf8(bytes).unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix("DESCRIPTION="))
        .unwrap()
        .to_owned()
}

fn pack_object_counts(cache: &Path) -> Vec<u32> {
    let mut counts = Vec::new();
    for entry in fs_err::read_dir(cache.join("objects/pack")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "pack") {
            let bytes = fs_err::read(&path).unwrap();
            counts.push(u32::from_be_bytes(bytes[8..12].try_into().unwrap()));
        }
    }
    counts.sort_unstable();
    counts
}

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
    let key = cache_path(cache.path(), "t", &up.uri());
    let key = key.file_name().unwrap().to_str().unwrap();
    assert_eq!(names, [key.to_owned(), format!("{key}.lock")]);
}

#[test]
fn reads_a_commit_without_checkout() {
    let mut up = Upstream::new();
    commit_basic(&mut up, "main", "one");
    let cache = tempfile::tempdir().unwrap();
    let spec = up.spec("t", GitReference::DefaultBranch);
    let snap = fetch_latest(&spec, cache.path(), FetchMode::Online).unwrap();
    let files = &snap.files;
    let entry = |name: &str, kind| DirEntry {
        name: name.to_owned(),
        kind,
    };
    assert_eq!(
        files.list("").unwrap().unwrap(),
        [
            entry("app-misc", EntryKind::Dir),
            entry("metadata", EntryKind::Dir),
            entry("profiles", EntryKind::Dir),
        ]
    );
    assert_eq!(
        files.list("app-misc/hello/files").unwrap().unwrap(),
        [
            entry("link", EntryKind::Symlink),
            entry("run.sh", EntryKind::File)
        ]
    );
    assert_eq!(
        files.read("profiles/repo_name").unwrap().unwrap(),
        b"test\n"
    );
    assert_eq!(files.read("app-misc/hello/files/link").unwrap(), None);
    assert_eq!(files.read("profiles").unwrap(), None);
    assert_eq!(files.read("profiles/nope").unwrap(), None);
    assert_eq!(files.read("profiles/repo_name/x").unwrap(), None);
    assert_eq!(files.list("profiles/repo_name").unwrap(), None);
    assert_eq!(files.list("nope/deeper").unwrap(), None);
    assert!(files.read("../x").is_err());

    let ebuild = "app-misc/hello/hello-1.ebuild";
    let expected = Oid::hash_object(git2::ObjectType::Blob, b"EAPI=8\n").unwrap();
    assert_eq!(snap.blob_id(ebuild).unwrap(), Some(expected.to_string()));
    assert_eq!(
        file_blob_id(files.as_ref(), ebuild).unwrap(),
        Some(expected.to_string())
    );
    assert_eq!(snap.blob_id("app-misc/hello").unwrap(), None);
}

#[test]
fn export_keeps_exec_bits_and_symlinks() {
    let mut up = Upstream::new();
    commit_basic(&mut up, "main", "one");
    let cache = tempfile::tempdir().unwrap();
    let spec = up.spec("t", GitReference::DefaultBranch);
    let snap = fetch_latest(&spec, cache.path(), FetchMode::Online).unwrap();
    let out = tempfile::tempdir().unwrap();
    let dest = out.path().join("repos/t");
    export(&snap, &dest).unwrap();
    check_export(&dest);

    // Exporting the export (a local directory) gives the same result.
    let local = fetch_latest(
        &RepoSpec {
            name: "t".into(),
            location: RepoLocation::Local { path: dest.clone() },
        },
        cache.path(),
        FetchMode::Offline,
    )
    .unwrap();
    assert_eq!(local.commit, None);
    let copy = out.path().join("copy");
    fs_err::create_dir(&copy).unwrap();
    export(&local, &copy).unwrap();
    check_export(&copy);
    assert_eq!(
        local.blob_id("app-misc/hello/hello-1.ebuild").unwrap(),
        snap.blob_id("app-misc/hello/hello-1.ebuild").unwrap()
    );

    let err = export(&snap, &dest).unwrap_err();
    assert!(
        matches!(err, SourceError::ExportDestination { .. }),
        "{err}"
    );
}

fn check_export(dest: &Path) {
    let mode = |p: &str| {
        fs_err::symlink_metadata(dest.join(p))
            .unwrap()
            .permissions()
            .mode()
            & 0o7777
    };
    assert_eq!(mode("app-misc/hello/files/run.sh"), 0o755);
    assert_eq!(mode("app-misc/hello/hello-1.ebuild"), 0o644);
    assert_eq!(mode("app-misc"), 0o755);
    assert_eq!(mode(""), 0o755);
    let link = dest.join("app-misc/hello/files/link");
    assert!(
        fs_err::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(fs_err::read_link(&link).unwrap(), Path::new("run.sh"));
    assert_eq!(
        fs_err::read(dest.join("profiles/repo_name")).unwrap(),
        b"test\n"
    );
}

#[test]
fn missing_md5_cache_is_an_error() {
    let mut up = Upstream::new();
    let with = commit_basic(&mut up, "main", "one");
    let without = up.commit("main", &[("profiles/repo_name", b"x\n", FILE)]);
    let cache = tempfile::tempdir().unwrap();
    let spec = up.spec("x", GitReference::DefaultBranch);
    let snap = fetch_latest(&spec, cache.path(), FetchMode::Online).unwrap();
    assert_eq!(
        require_md5_cache(&snap).unwrap_err().to_string(),
        format!(
            "repository `x` at {without} has no metadata/md5-cache; generate it with \
             `egencache --update --repo=x` and commit it (staves never guesses metadata \
             from file names)"
        )
    );
    let snap = fetch_pinned(&spec, &with.to_string(), cache.path(), FetchMode::Offline).unwrap();
    require_md5_cache(&snap).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let local = RepoSpec {
        name: "mine".into(),
        location: RepoLocation::Local {
            path: dir.path().to_owned(),
        },
    };
    let snap = fetch_latest(&local, cache.path(), FetchMode::Online).unwrap();
    assert!(
        require_md5_cache(&snap)
            .unwrap_err()
            .to_string()
            .starts_with("repository `mine` (a local directory) has no metadata/md5-cache"),
    );
}

#[test]
fn snapshot_of_other_files_exports_regular_files() {
    let mut mem = crate::gentoo::tree::MemFiles::new();
    mem.insert("profiles/repo_name", "m\n");
    let snap = Snapshot::new("m", None, None, std::sync::Arc::new(mem));
    let out = tempfile::tempdir().unwrap();
    let dest = out.path().join("m");
    export(&snap, &dest).unwrap();
    assert_eq!(
        fs_err::read(dest.join("profiles/repo_name")).unwrap(),
        b"m\n"
    );
    let expected = Oid::hash_object(git2::ObjectType::Blob, b"m\n").unwrap();
    assert_eq!(
        snap.blob_id("profiles/repo_name").unwrap(),
        Some(expected.to_string())
    );
}

/// Reads 30,000 small blobs (150 directories of 200 md5-cache-sized files,
/// from one pack with deltas, like a fetched cache) and fails when that
/// takes 5 s or more; prints the time taken. The module documentation
/// quotes the figures.
#[test]
#[allow(clippy::print_stderr, reason = "reports the measured figure")]
fn reads_many_blobs_quickly() {
    let dir = tempfile::tempdir().unwrap();
    let commit = write_md5_cache_pack(dir.path());

    let files = GitTreeFiles::at_commit(dir.path(), commit).unwrap();
    let start = std::time::Instant::now();
    let mut bytes = 0;
    let mut count = 0;
    for cat in files.list("metadata/md5-cache").unwrap().unwrap() {
        let dir = format!("metadata/md5-cache/{}", cat.name);
        for pkg in files.list(&dir).unwrap().unwrap() {
            bytes += files
                .read(&format!("{dir}/{}", pkg.name))
                .unwrap()
                .unwrap()
                .len();
            count += 1;
        }
    }
    let elapsed = start.elapsed();
    eprintln!("read {count} blobs ({bytes} bytes) in {elapsed:?}");
    assert_eq!(count, 30_000);
    assert!(elapsed.as_secs_f64() < 5.0, "{elapsed:?}");
}

/// Writes a commit with 150 × 200 md5-cache entries into a bare repository
/// at `path` as a single pack with deltas.
fn write_md5_cache_pack(path: &Path) -> Oid {
    let repo = Repository::init_bare(path).unwrap();
    let odb = repo.odb().unwrap();
    // Objects go to memory and then into one pack: 30,000 loose objects
    // would take far longer to write than to read.
    let mempack = odb.add_new_mempack_backend(1000).unwrap();
    let mut cats = repo.treebuilder(None).unwrap();
    for c in 0..150 {
        let mut cat = repo.treebuilder(None).unwrap();
        for p in 0..200 {
            let text = format!(
                "BDEPEND=virtual/pkgconfig\nDEFINED_PHASES=compile install\nDESCRIPTION=package {c} {p}\nEAPI=8\nIUSE=test\nKEYWORDS=amd64 ~arm64\nLICENSE=MIT\nRDEPEND=dev-libs/foo-{p}\nSLOT=0\n_md5_={:032x}\n",
                c * 1000 + p
            );
            let blob = repo.blob(text.as_bytes()).unwrap();
            cat.insert(format!("pkg{p}-1.0"), blob, FILE).unwrap();
        }
        cats.insert(format!("cat-{c}"), cat.write().unwrap(), 0o040_000)
            .unwrap();
    }
    let mut meta = repo.treebuilder(None).unwrap();
    meta.insert("md5-cache", cats.write().unwrap(), 0o040_000)
        .unwrap();
    let mut root = repo.treebuilder(None).unwrap();
    root.insert("metadata", meta.write().unwrap(), 0o040_000)
        .unwrap();
    let tree = repo.find_tree(root.write().unwrap()).unwrap();
    let sig = Signature::new("T", "t@example.invalid", &Time::new(1, 0)).unwrap();
    let commit = repo.commit(None, &sig, &sig, "big", &tree, &[]).unwrap();
    drop(tree);
    let mut pack = git2::Buf::new();
    let mut builder = repo.packbuilder().unwrap();
    builder.insert_commit(commit).unwrap();
    builder.write_buf(&mut pack).unwrap();
    drop(builder);
    let mut writer = odb.packwriter().unwrap();
    std::io::Write::write_all(&mut writer, &pack).unwrap();
    writer.commit().unwrap();
    drop(writer);
    mempack.reset().unwrap();
    commit
}
