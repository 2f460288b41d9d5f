//! Reading and changing files of a commit straight in the object database.

use std::path::Path;

use git2::{ErrorCode, ObjectType, Oid, Repository, Signature, Tree};

use crate::walk::{MAX_DEPTH, builder_at, may_hold_builders};

/// Why a file could not be read.
pub(super) enum ReadError {
    Git(git2::Error),
    NotUtf8,
}

/// The text of the file at `path` in `commit`, `None` when there is none.
pub(super) fn read_file(
    repo: &Repository,
    commit: Oid,
    path: &str,
) -> Result<Option<String>, ReadError> {
    let tree = repo
        .find_commit(commit)
        .and_then(|c| c.tree())
        .map_err(ReadError::Git)?;
    let entry = match tree.get_path(Path::new(path)) {
        Ok(entry) => entry,
        Err(e) if e.code() == ErrorCode::NotFound => return Ok(None),
        Err(e) => return Err(ReadError::Git(e)),
    };
    if entry.kind() != Some(ObjectType::Blob) {
        return Ok(None);
    }
    let blob = repo.find_blob(entry.id()).map_err(ReadError::Git)?;
    String::from_utf8(blob.content().to_vec())
        .map(Some)
        .map_err(|_| ReadError::NotUtf8)
}

/// A new commit on top of `parent` whose only change is the file at `path`
/// holding `text`. No reference is updated.
pub(super) fn commit_file(
    repo: &Repository,
    parent: Oid,
    path: &str,
    text: &str,
    message: &str,
    who: &Signature<'_>,
) -> Result<Oid, git2::Error> {
    let parent = repo.find_commit(parent)?;
    let blob = repo.blob(text.as_bytes())?;
    let parts: Vec<&str> = path.split('/').collect();
    let tree = put(repo, Some(&parent.tree()?), &parts, blob)?;
    let tree = repo.find_tree(tree)?;
    repo.commit(None, who, who, message, &tree, &[&parent])
}

/// The tree `tree` (or an empty one) with the blob `blob` at `parts`.
fn put(
    repo: &Repository,
    tree: Option<&Tree<'_>>,
    parts: &[&str],
    blob: Oid,
) -> Result<Oid, git2::Error> {
    let Some((first, rest)) = parts.split_first() else {
        return Err(git2::Error::from_str("empty path"));
    };
    let mut builder = repo.treebuilder(tree)?;
    if rest.is_empty() {
        builder.insert(first, blob, 0o100_644)?;
    } else {
        let sub = match tree.and_then(|t| t.get_name(first)) {
            Some(entry) if entry.kind() == Some(ObjectType::Tree) => {
                Some(repo.find_tree(entry.id())?)
            }
            _ => None,
        };
        let sub = put(repo, sub.as_ref(), rest, blob)?;
        builder.insert(first, sub, 0o040_000)?;
    }
    builder.write()
}

/// The canonical names of the builder files in `commit`.
pub(super) fn builder_files(repo: &Repository, commit: Oid) -> Result<Vec<String>, git2::Error> {
    let tree = repo.find_commit(commit)?.tree()?;
    let mut out = Vec::new();
    walk(repo, &tree, "", 0, &mut out)?;
    Ok(out)
}

fn walk(
    repo: &Repository,
    tree: &Tree<'_>,
    rel: &str,
    depth: usize,
    out: &mut Vec<String>,
) -> Result<(), git2::Error> {
    for entry in tree {
        let Ok(file_name) = entry.name() else {
            continue;
        };
        let path = if rel.is_empty() {
            file_name.to_owned()
        } else {
            format!("{rel}/{file_name}")
        };
        match entry.kind() {
            Some(ObjectType::Tree)
                if depth < MAX_DEPTH && may_hold_builders(depth + 1, file_name) =>
            {
                walk(repo, &repo.find_tree(entry.id())?, &path, depth + 1, out)?;
            }
            Some(ObjectType::Blob) => {
                if let Some(name) = builder_at(&path) {
                    out.push(name.to_owned());
                }
            }
            _ => {}
        }
    }
    Ok(())
}
