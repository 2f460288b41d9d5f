//! The checks of `staves publish` that need no build (where to publish,
//! whether the network may be used, a clean working tree) and the ones on
//! the builds' results (the lock did not change, the pushed image is the
//! verified one).

use std::path::{Path, PathBuf};

use super::super::builders::IndexChoice;
use super::PublishError;
use crate::lockfile;

/// Refuses what can be refused before anything is built: the shipped
/// index (read-only), and `--offline` unless `dry_run`.
pub(super) fn preflight(
    choice: &IndexChoice,
    offline: bool,
    dry_run: bool,
) -> Result<(), PublishError> {
    if choice.location.is_none() {
        return Err(PublishError::DefaultIndex {
            index: choice.describe(),
        });
    }
    if offline && !dry_run {
        return Err(PublishError::Offline);
    }
    Ok(())
}

/// Refuses a project whose git working tree has changes (no git: fine).
pub(super) fn check_clean(project_dir: &Path) -> Result<(), PublishError> {
    let Ok(repo) = git2::Repository::discover(project_dir) else {
        return Ok(());
    };
    let Some(workdir) = repo.workdir().and_then(|w| w.canonicalize().ok()) else {
        return Ok(());
    };
    let dir = project_dir
        .canonicalize()
        .unwrap_or_else(|_| project_dir.to_owned());
    let prefix = dir.strip_prefix(&workdir).unwrap_or(Path::new(""));
    let mut status_options = git2::StatusOptions::new();
    status_options
        .include_untracked(true)
        .recurse_untracked_dirs(true)
        .include_ignored(false);
    let Ok(statuses) = repo.statuses(Some(&mut status_options)) else {
        return Ok(());
    };
    let files: Vec<String> = statuses
        .iter()
        .filter(|s| s.status() != git2::Status::CURRENT)
        .filter_map(|s| s.path().ok().map(str::to_owned))
        .filter(|p| Path::new(p).starts_with(prefix))
        .collect();
    if files.is_empty() {
        Ok(())
    } else {
        Err(PublishError::Dirty { dir, files })
    }
}

/// After a build that (re)wrote `staves.lock` of a tree that was clean:
/// refuses when the lock now differs from git (a new or changed lock the
/// builder would be published from). No git, or an ignored lock: fine.
pub(super) fn check_lock_committed(project_dir: &Path) -> Result<(), PublishError> {
    match check_clean(project_dir) {
        Err(PublishError::Dirty { files, .. })
            if files
                .iter()
                .any(|f| Path::new(f).file_name() == Some(lockfile::FILE_NAME.as_ref())) =>
        {
            Err(PublishError::LockOutOfDate {
                path: project_dir.join(lockfile::FILE_NAME),
            })
        }
        other => other,
    }
}

/// Refuses a push whose image is not the verified one (before the index
/// is written).
pub(super) fn check_same_digest(
    image: &str,
    verified: &str,
    pushed: &str,
) -> Result<(), PublishError> {
    if verified == pushed {
        Ok(())
    } else {
        Err(PublishError::DigestMismatch {
            image: image.to_owned(),
            verified: verified.to_owned(),
            pushed: pushed.to_owned(),
        })
    }
}

/// The directory of the manifest at `manifest_path`.
pub(super) fn project_dir(manifest_path: &Path) -> PathBuf {
    manifest_path
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choice(location: Option<&str>) -> IndexChoice {
        IndexChoice {
            location: location.map(str::to_owned),
            base: PathBuf::from("/"),
        }
    }

    #[test]
    fn the_shipped_index_and_offline_publishing_are_refused() {
        let err = preflight(&choice(None), false, false).unwrap_err();
        assert!(matches!(err, PublishError::DefaultIndex { .. }), "{err}");
        assert!(err.help()[0].contains("--index"), "{:?}", err.help());
        assert!(err.help()[0].contains("STAVES_INDEX"), "{:?}", err.help());
        // Even a dry run: it would fail where the real one does.
        let err = preflight(&choice(None), false, true).unwrap_err();
        assert!(matches!(err, PublishError::DefaultIndex { .. }), "{err}");

        let given = choice(Some("dir+/tmp/index"));
        let err = preflight(&given, true, false).unwrap_err();
        assert!(matches!(err, PublishError::Offline), "{err}");
        assert!(err.to_string().contains("--offline"), "{err}");
        assert!(err.help()[0].contains("--dry-run"), "{:?}", err.help());
        preflight(&given, true, true).unwrap();
        preflight(&given, false, false).unwrap();
    }

    #[test]
    fn a_different_pushed_digest_is_refused() {
        check_same_digest("r/b:1.0.0", "sha256:aa", "sha256:aa").unwrap();
        let err = check_same_digest("r/b:1.0.0", "sha256:aa", "sha256:bb").unwrap_err();
        let text = err.to_string();
        assert!(
            text.contains("(sha256:bb)") && text.contains("(sha256:aa)"),
            "{text}"
        );
        assert!(text.contains("the index was not changed"), "{text}");
        assert!(err.help().iter().any(|h| h.contains("r/b:1.0.0")));
    }

    fn commit_all(repo: &git2::Repository, paths: &[&str]) {
        let mut index = repo.index().unwrap();
        for path in paths {
            index.add_path(Path::new(path)).unwrap();
        }
        index.write().unwrap();
        let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
        let sig = git2::Signature::now("t", "t@t").unwrap();
        let parent = repo.head().ok().and_then(|h| h.peel_to_commit().ok());
        let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
        repo.commit(Some("HEAD"), &sig, &sig, "c", &tree, &parents)
            .unwrap();
    }

    #[test]
    fn a_clean_tree_passes_and_changes_are_listed() {
        let dir = tempfile::tempdir().unwrap();
        let repo = git2::Repository::init(dir.path()).unwrap();
        std::fs::create_dir(dir.path().join("proj")).unwrap();
        std::fs::write(dir.path().join("proj/staves.toml"), "name = \"b\"\n").unwrap();
        std::fs::write(dir.path().join("elsewhere"), "x").unwrap();
        let err = check_clean(&dir.path().join("proj")).unwrap_err();
        assert!(
            matches!(&err, PublishError::Dirty { files, .. } if files == &["proj/staves.toml"]),
            "{err}"
        );
        commit_all(&repo, &["proj/staves.toml"]);
        check_clean(&dir.path().join("proj")).unwrap();
        let no_git = tempfile::tempdir().unwrap();
        check_clean(no_git.path()).unwrap();
    }

    #[test]
    fn a_lock_the_build_wrote_must_be_committed() {
        let dir = tempfile::tempdir().unwrap();
        let repo = git2::Repository::init(dir.path()).unwrap();
        let proj = dir.path().join("proj");
        std::fs::create_dir(&proj).unwrap();
        std::fs::write(proj.join("staves.toml"), "name = \"b\"\n").unwrap();
        commit_all(&repo, &["proj/staves.toml"]);
        check_lock_committed(&proj).unwrap();

        // A new lock, then a changed one: both refused, naming the lock.
        std::fs::write(proj.join("staves.lock"), "version = 1\n").unwrap();
        let err = check_lock_committed(&proj).unwrap_err();
        assert!(
            matches!(&err, PublishError::LockOutOfDate { path } if path.ends_with("proj/staves.lock")),
            "{err}"
        );
        assert!(
            err.to_string()
                .contains("commit the updated staves.lock (or pass --allow-dirty)"),
            "{err}"
        );
        commit_all(&repo, &["proj/staves.lock"]);
        check_lock_committed(&proj).unwrap();
        std::fs::write(proj.join("staves.lock"), "version = 2\n").unwrap();
        let err = check_lock_committed(&proj).unwrap_err();
        assert!(matches!(err, PublishError::LockOutOfDate { .. }), "{err}");

        // Outside git there is nothing to commit.
        let no_git = tempfile::tempdir().unwrap();
        std::fs::write(no_git.path().join("staves.lock"), "version = 1\n").unwrap();
        check_lock_committed(no_git.path()).unwrap();
    }
}
