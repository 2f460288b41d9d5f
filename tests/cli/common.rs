//! The sandbox every end-to-end test runs in: a temporary project
//! directory, an isolated HOME and cache directory, and a real git
//! repository made from `examples/repo` (the staves-demo ebuild repository)
//! served over a `file://` URL.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The commit time of the demo repository's commit (fixed, so lock files
/// and their snapshots do not depend on when the test runs).
pub(crate) const COMMIT_TIME: &str = "1767225600 +0000";

/// A test sandbox.
pub(crate) struct TestContext {
    _temp: tempfile::TempDir,
    /// The sandbox root.
    pub(crate) root: PathBuf,
    /// The project directory (the command's working directory).
    pub(crate) project: PathBuf,
    /// The staves cache directory.
    pub(crate) cache: PathBuf,
    /// `file://` URL of the demo repository.
    pub(crate) repo_url: String,
    /// The demo repository's working tree.
    pub(crate) repo_dir: PathBuf,
}

impl TestContext {
    /// A new sandbox with the demo repository committed to a fresh git repo.
    pub(crate) fn new() -> Self {
        let temp = tempfile::Builder::new()
            .prefix("staves-e2e")
            .tempdir()
            .expect("temp dir");
        let root = temp.path().canonicalize().expect("canonical temp dir");
        let project = root.join("project");
        let cache = root.join("cache");
        let home = root.join("home");
        for d in [&project, &cache, &home] {
            std::fs::create_dir_all(d).expect("create sandbox dirs");
        }
        let repo_dir = root.join("demo-repo");
        copy_dir(&workspace_root().join("examples/repo"), &repo_dir);
        git(&repo_dir, &["init", "-q", "-b", "main"]);
        git(&repo_dir, &["add", "-A"]);
        git(&repo_dir, &["commit", "-q", "-m", "staves-demo repository"]);
        let repo_url = format!("file://{}", repo_dir.display());
        Self {
            _temp: temp,
            root,
            project,
            cache,
            repo_url,
            repo_dir,
        }
    }

    /// `staves` with the sandbox's environment, run in the project directory.
    pub(crate) fn staves(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_staves"));
        cmd.current_dir(&self.project)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.root.join("home"))
            .env("STAVES_CACHE_DIR", &self.cache)
            .env("NO_COLOR", "1")
            .env("LC_ALL", "C");
        cmd
    }

    /// Writes `staves.toml` into the project.
    pub(crate) fn write_manifest(&self, text: &str) {
        std::fs::write(self.project.join("staves.toml"), text).expect("write staves.toml");
    }

    /// Reads a project file.
    pub(crate) fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.project.join(name))
            .unwrap_or_else(|e| panic!("read {name}: {e}"))
    }

    /// A manifest using the demo repository, with `packages` as given.
    pub(crate) fn demo_manifest(&self, packages: &str) -> String {
        format!(
            "name = \"demo\"\npackages = {packages}\ncommand = [\"/usr/bin/hello\"]\n\n[[repositories]]\nname = \"staves-demo\"\ntype = \"git\"\nuri = \"{}\"\nbranch = \"main\"\n",
            self.repo_url
        )
    }

    /// Commits a change to the demo repository (a new ebuild version, ...).
    pub(crate) fn commit_repo(&self, message: &str) {
        git(&self.repo_dir, &["add", "-A"]);
        git(&self.repo_dir, &["commit", "-q", "-m", message]);
    }

    /// Regex filters that make output independent of the sandbox and time.
    pub(crate) fn filters(&self) -> Vec<(String, String)> {
        vec![
            (
                regex::escape(&self.root.display().to_string()),
                "[SANDBOX]".into(),
            ),
            (r"\b[0-9a-f]{40}\b".into(), "[COMMIT]".into()),
            (r"sha256:[0-9a-f]{64}".into(), "sha256:[DIGEST]".into()),
            (r"\bin [0-9]+(\.[0-9]+)?(ms|s)\b".into(), "in [TIME]".into()),
            (r"\bin [0-9]+m [0-9]{2}s\b".into(), "in [TIME]".into()),
        ]
    }
}

fn git(dir: &Path, args: &[&str]) {
    let status = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "Staves Tests")
        .env("GIT_AUTHOR_EMAIL", "tests@staves.invalid")
        .env("GIT_COMMITTER_NAME", "Staves Tests")
        .env("GIT_COMMITTER_EMAIL", "tests@staves.invalid")
        .env("GIT_AUTHOR_DATE", COMMIT_TIME)
        .env("GIT_COMMITTER_DATE", COMMIT_TIME)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .status()
        .expect("run git");
    assert!(status.success(), "git {args:?} failed");
}

/// The workspace's root directory.
pub(crate) fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_owned()
}

/// Copies a directory tree (regular files and directories only).
pub(crate) fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("create dir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("dir entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy file");
        }
    }
}

/// Runs a command and renders its outcome as one text block for snapshots.
pub(crate) fn run_for_snapshot(cmd: &mut Command) -> String {
    let out = cmd.output().expect("run staves");
    format!(
        "success: {}\nexit_code: {}\n----- stdout -----\n{}\n----- stderr -----\n{}",
        out.status.success(),
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Snapshots a staves run (stdout, stderr, exit status) with the context's
/// filters applied.
#[macro_export]
macro_rules! staves_snapshot {
    ($ctx:expr, $cmd:expr, @$snapshot:literal) => {{
        let rendered = $crate::common::run_for_snapshot(&mut $cmd);
        let filters = $ctx.filters();
        let filters: Vec<(&str, &str)> = filters.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
        insta::with_settings!({ filters => filters, prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!(rendered, @$snapshot);
        });
    }};
}
