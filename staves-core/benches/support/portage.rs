//! Real Portage on the same repository: `scripts/oracle/resolve.py` runs
//! emerge's depgraph (`backtrack_depgraph`, what `emerge --pretend` runs)
//! with `--root=IMAGE` semantics in a throw-away prefix, as one process per
//! resolution, so a timing includes Python's start, Portage's import and
//! configuration, and the resolution: what a user waits for.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// The Portage venv's python, when it is installed.
#[path = "../../tests/common/portage.rs"]
mod venv;
pub(crate) use venv::portage_python as python;

/// One Portage resolution.
#[derive(Debug, Clone)]
pub(crate) struct PortageRun {
    /// Wall time of the whole process.
    pub(crate) time: Duration,
    /// Whether the depgraph succeeded.
    pub(crate) success: bool,
    /// `(root, cpv)` of every package to merge; root `image` or `builder`.
    pub(crate) packages: BTreeSet<(String, String)>,
}

/// Resolves `targets` against the repository directory `repo` with
/// profile `profile`.
pub(crate) fn resolve(
    python: &Path,
    workspace: &Path,
    repo: &Path,
    profile: &str,
    targets: &[&str],
) -> Result<PortageRun, Box<dyn std::error::Error>> {
    let script = workspace.join("scripts/oracle/resolve.py");
    let start = Instant::now();
    let out = Command::new(python)
        .arg(&script)
        .arg(format!("--repo=gentoo={}", repo.display()))
        .arg(format!("--profile={profile}"))
        .args(targets)
        .output()?;
    let time = start.elapsed();
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).map_err(|e| {
        format!(
            "{} printed no JSON ({e}): {}",
            script.display(),
            String::from_utf8_lossy(&out.stderr)
        )
    })?;
    let success = json["success"].as_bool().unwrap_or(false);
    let mut packages = BTreeSet::new();
    for p in json["packages"].as_array().into_iter().flatten() {
        packages.insert((
            p["root"].as_str().unwrap_or_default().to_owned(),
            p["cpv"].as_str().unwrap_or_default().to_owned(),
        ));
    }
    Ok(PortageRun {
        time,
        success,
        packages,
    })
}
