//! Applying a plugin's file operations inside the root, never through a
//! symlink: every path is walked component by component with `openat`
//! (`O_NOFOLLOW | O_DIRECTORY`), so a symlink anywhere in the parent chain,
//! absolute or relative, fails instead of being followed.
//!
//! All operations are checked before the first is applied; if applying one
//! still fails (for example `chown` without privileges), the ones before it
//! are undone, so the tree is never left half-changed.

use std::collections::HashSet;
use std::os::fd::OwnedFd;
use std::path::Path;

use rustix::fs::{AtFlags, FileType, Gid, Mode, OFlags, Uid};
use staves_plugin_api::FileOp;

use super::PluginError;

/// Checks every operation of `ops` against the tree at `rootfs`, then
/// applies them in order. Returns how many were applied.
pub(super) fn check_and_apply(
    name: &str,
    rootfs: &Path,
    ops: &[FileOp],
) -> Result<usize, PluginError> {
    apply_all(name, rootfs, ops, None)
}

/// [`check_and_apply`] with a failure injected when applying operation
/// `fail_at` (0-based), to test the undo path where no real failure can be
/// provoked (running as root).
#[cfg(test)]
pub(super) fn check_and_apply_failing_at(
    name: &str,
    rootfs: &Path,
    ops: &[FileOp],
    fail_at: usize,
) -> Result<usize, PluginError> {
    apply_all(name, rootfs, ops, Some(fail_at))
}

fn apply_all(
    name: &str,
    rootfs: &Path,
    ops: &[FileOp],
    fail_at: Option<usize>,
) -> Result<usize, PluginError> {
    if ops.is_empty() {
        return Ok(0);
    }
    let refused = |i: usize, op: &FileOp, message: String| PluginError::Refused {
        name: name.to_owned(),
        what: format!("file operation {} ({})", i + 1, describe(op)),
        message,
    };
    let root = rustix::fs::open(
        rootfs,
        OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| PluginError::Io {
        name: name.to_owned(),
        action: format!("opening the root {}", rootfs.display()),
        source: e.into(),
    })?;
    let mut planned_links = HashSet::new();
    for (i, op) in ops.iter().enumerate() {
        check(&root, op, &mut planned_links).map_err(|m| refused(i, op, m))?;
    }
    let mut undo: Vec<Undo> = Vec::new();
    for (i, op) in ops.iter().enumerate() {
        let applied = match fail_at {
            Some(at) if at == i => Err("injected failure".to_string()),
            _ => apply(&root, op, &mut undo),
        };
        if let Err(message) = applied {
            let undone = undo.len();
            for step in undo.into_iter().rev() {
                let _ = step.run(&root);
            }
            return Err(refused(
                i,
                op,
                format!("{message} (the {undone} operation(s) applied before it were undone)"),
            ));
        }
    }
    Ok(ops.len())
}

fn describe(op: &FileOp) -> String {
    match op {
        FileOp::Chmod { path, mode } => format!("chmod {mode:o} {path}"),
        FileOp::Chown { path, uid, gid } => format!("chown {uid}:{gid} {path}"),
        FileOp::Symlink { path, target } => format!("symlink {path} -> {target}"),
    }
}

fn op_path(op: &FileOp) -> &str {
    match op {
        FileOp::Chmod { path, .. } | FileOp::Chown { path, .. } | FileOp::Symlink { path, .. } => {
            path
        }
    }
}

/// The components of a root-relative path (a leading `/` is allowed).
pub(super) fn components(path: &str) -> Result<Vec<&str>, String> {
    let trimmed = path.strip_prefix('/').unwrap_or(path);
    if trimmed.is_empty() {
        return Err("the path names the root itself".into());
    }
    let parts: Vec<&str> = trimmed.split('/').collect();
    for part in &parts {
        if part.is_empty() || *part == "." || *part == ".." || part.contains('\0') {
            return Err(format!(
                "`{path}` is not a plain path inside the root (empty, `.` or `..` component, or NUL)"
            ));
        }
    }
    Ok(parts)
}

/// Opens the parent directory of `parts` without following any symlink.
pub(super) fn open_parent(root: &OwnedFd, parts: &[&str]) -> Result<OwnedFd, String> {
    let flags = OFlags::PATH | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    let mut dir = rustix::fs::openat(root, ".", flags, Mode::empty()).map_err(|e| e.to_string())?;
    for (i, part) in parts[..parts.len() - 1].iter().enumerate() {
        dir = rustix::fs::openat(&dir, *part, flags, Mode::empty()).map_err(|e| {
            let prefix = parts[..=i].join("/");
            match e {
                rustix::io::Errno::NOENT => format!("`{prefix}` does not exist"),
                rustix::io::Errno::NOTDIR | rustix::io::Errno::LOOP => format!(
                    "`{prefix}` is a symlink or not a directory; file operations never follow symlinks"
                ),
                e => format!("`{prefix}`: {e}"),
            }
        })?;
    }
    Ok(dir)
}

/// The type of the leaf, without following it; `None` when it is absent.
fn leaf_type(dir: &OwnedFd, leaf: &str) -> Result<Option<(FileType, rustix::fs::Stat)>, String> {
    match rustix::fs::statat(dir, leaf, AtFlags::SYMLINK_NOFOLLOW) {
        Ok(stat) => Ok(Some((FileType::from_raw_mode(stat.st_mode), stat))),
        Err(rustix::io::Errno::NOENT) => Ok(None),
        Err(e) => Err(e.to_string()),
    }
}

fn check(root: &OwnedFd, op: &FileOp, planned_links: &mut HashSet<String>) -> Result<(), String> {
    let parts = components(op_path(op))?;
    let key = parts.join("/");
    let dir = open_parent(root, &parts)?;
    let leaf = leaf_type(&dir, parts[parts.len() - 1])?;
    let planned = planned_links.contains(&key);
    match op {
        FileOp::Chmod { mode, .. } => {
            if mode & !0o7777 != 0 {
                return Err(format!("mode {mode:o} has bits outside 7777"));
            }
            match leaf {
                _ if planned => {
                    Err("it is a symlink, which has no mode of its own on Linux".into())
                }
                None => Err(format!("`{key}` does not exist")),
                Some((FileType::Symlink, _)) => {
                    Err("it is a symlink, which has no mode of its own on Linux".into())
                }
                Some(_) => Ok(()),
            }
        }
        FileOp::Chown { .. } => match leaf {
            None if !planned => Err(format!("`{key}` does not exist")),
            _ => Ok(()),
        },
        FileOp::Symlink { target, .. } => {
            if target.is_empty() || target.contains('\0') || target.len() > 4095 {
                return Err("the target must be 1 to 4095 bytes without NUL".into());
            }
            if leaf.is_some() || planned {
                return Err(format!("`{key}` already exists"));
            }
            planned_links.insert(key);
            Ok(())
        }
    }
}

/// How to revert one applied operation.
enum Undo {
    Mode(String, u32),
    Owner(String, u32, u32),
    Remove(String),
}

impl Undo {
    fn run(self, root: &OwnedFd) -> Result<(), String> {
        let path = match &self {
            Undo::Mode(p, _) | Undo::Owner(p, _, _) | Undo::Remove(p) => p.clone(),
        };
        let parts = components(&path)?;
        let dir = open_parent(root, &parts)?;
        let leaf = parts[parts.len() - 1];
        match self {
            Undo::Mode(_, mode) => {
                rustix::fs::chmodat(&dir, leaf, Mode::from_raw_mode(mode), AtFlags::empty())
            }
            Undo::Owner(_, uid, gid) => rustix::fs::chownat(
                &dir,
                leaf,
                Some(Uid::from_raw(uid)),
                Some(Gid::from_raw(gid)),
                AtFlags::SYMLINK_NOFOLLOW,
            ),
            Undo::Remove(_) => rustix::fs::unlinkat(&dir, leaf, AtFlags::empty()),
        }
        .map_err(|e| e.to_string())
    }
}

fn apply(root: &OwnedFd, op: &FileOp, undo: &mut Vec<Undo>) -> Result<(), String> {
    let parts = components(op_path(op))?;
    let key = parts.join("/");
    let dir = open_parent(root, &parts)?;
    let leaf = parts[parts.len() - 1];
    let current = leaf_type(&dir, leaf)?;
    match op {
        FileOp::Chmod { mode, .. } => {
            // Checked just now: it exists and is not a symlink, and the
            // plugin has exited, so nothing swaps it before the call.
            let Some((kind, stat)) = current else {
                return Err(format!("`{key}` does not exist"));
            };
            if kind == FileType::Symlink {
                return Err("it is a symlink".into());
            }
            rustix::fs::chmodat(&dir, leaf, Mode::from_raw_mode(*mode), AtFlags::empty())
                .map_err(|e| e.to_string())?;
            undo.push(Undo::Mode(key, stat.st_mode & 0o7777));
        }
        FileOp::Chown { uid, gid, .. } => {
            let Some((_, stat)) = current else {
                return Err(format!("`{key}` does not exist"));
            };
            rustix::fs::chownat(
                &dir,
                leaf,
                Some(Uid::from_raw(*uid)),
                Some(Gid::from_raw(*gid)),
                AtFlags::SYMLINK_NOFOLLOW,
            )
            .map_err(|e| format!("{e} (changing owners needs root)"))?;
            undo.push(Undo::Owner(key, stat.st_uid, stat.st_gid));
        }
        FileOp::Symlink { target, .. } => {
            rustix::fs::symlinkat(target.as_str(), &dir, leaf).map_err(|e| e.to_string())?;
            undo.push(Undo::Remove(key));
        }
    }
    Ok(())
}
