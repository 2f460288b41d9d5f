//! The sandbox every end-to-end test runs in: a temporary project
//! directory, an isolated HOME and cache directory, and a real git
//! repository made from `examples/repo` (the staves-demo ebuild repository)
//! served over a `file://` URL.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

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

    /// The demo manifest (`app-misc/hello`) with a `[builder]` table holding
    /// `builder` (TOML lines, each ending in a newline).
    pub(crate) fn demo_with_builder(&self, builder: &str) -> String {
        format!(
            "{}\n[builder]\n{builder}",
            self.demo_manifest("[\"app-misc/hello\"]")
        )
    }

    /// The demo manifest with builder `name`, version `requirement`, from
    /// the index at `index`.
    pub(crate) fn demo_with_index_builder(
        &self,
        name: &str,
        requirement: &str,
        index: &str,
    ) -> String {
        self.demo_with_builder(&format!(
            "name = \"{name}\"\nversion = \"{requirement}\"\nindex = \"{index}\"\n"
        ))
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

/// Runs `git ARGS` in `dir` with a fixed identity and commit time and no
/// user or system configuration; fails the test when git fails. Returns
/// git's standard output, trimmed.
pub(crate) fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
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
        .output()
        .expect("run git");
    assert!(
        out.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// Runs a `staves` command and returns its output.
pub(crate) fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("run staves")
}

/// A command's standard error, as text.
pub(crate) fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Fails the test, showing staves' standard error, unless `out` is a success.
pub(crate) fn assert_success(out: &Output) {
    assert!(out.status.success(), "staves failed:\n{}", stderr(out));
}

/// A `~/.docker/config.json` that logs `user` in to `registry` with
/// `password`, as `docker login` would write it.
pub(crate) fn docker_auth_config(registry: &str, user: &str, password: &str) -> String {
    let token = base64(&format!("{user}:{password}"));
    format!("{{\"auths\":{{\"{registry}\":{{\"auth\":\"{token}\"}}}}}}\n")
}

/// Standard base64 of `text` (for [`docker_auth_config`]).
fn base64(text: &str) -> String {
    const TABLE: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in text.as_bytes().chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(TABLE[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[test]
fn base64_matches_the_standard_alphabet() {
    assert_eq!(base64("staves:staves-test"), "c3RhdmVzOnN0YXZlcy10ZXN0");
    assert_eq!(base64("ab"), "YWI=");
    assert_eq!(base64("a"), "YQ==");
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
