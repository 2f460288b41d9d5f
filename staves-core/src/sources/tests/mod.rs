//! Tests of the repository sources against real git repositories made in
//! temporary directories and reached through `file://` URLs.

mod fetch;
mod files;

use std::collections::BTreeMap;
use std::path::Path;

use git2::{Oid, Repository, RepositoryInitOptions, Signature, Time};

use super::*;

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
