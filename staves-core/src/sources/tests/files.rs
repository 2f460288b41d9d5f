//! Reading a snapshot's files, exporting them, the md5-cache check and the
//! reading speed.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use git2::{Oid, Repository, Signature, Time};

use super::*;
use crate::gentoo::tree::{DirEntry, EntryKind};

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
