//! The Portage agreement suite: staves' native resolver must pick the same
//! packages as real Portage for every case of
//! `tests/fixtures/agreement/cases.toml` (repositories in
//! `tests/fixtures/agreement/repos/`, see the README there).
//!
//! Portage's side comes from `scripts/oracle/agreement.py`, run live with the
//! Portage venv (`scripts/ensure-portage.sh`); its output must equal the
//! committed `expected.json`. Without the venv the test fails when `CI=true`
//! and otherwise compares against the committed `expected.json` only,
//! saying so.
//!
//! What is compared, per case:
//! * success vs. error (the error texts are not compared);
//! * on success, the set of `(root, cpv, repository)` with root `image` or
//!   `builder` (a package in both roots counts twice);
//! * for each package in both sets, its SLOT and sub-slot, and its enabled
//!   USE flags restricted to the package's own IUSE (Portage:
//!   `use.enabled ∩ iuse.all`; staves: `use_enabled ∩ iuse`), so implicit
//!   flags (`amd64`, `elibc_*`, `kernel_*`, `prefix*`) are never compared.
//!
//! Merge order and dependency edges are not compared.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use serde::Deserialize;
use staves_core::gentoo::atom::Atom;
use staves_core::resolve::{
    NamedEnv, PackageSettings, RepoInput, Resolution, ResolveRequest, resolve,
};

/// The repositories every case resolves against; the first is the main one.
const REPOS: [&str; 2] = ["agree", "agree-overlay"];
/// Added to every case's targets, as staves adds it to every image.
const IMPLICIT_TARGETS: [&str; 1] = ["virtual/libc"];

/// One `[[case]]` of cases.toml.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    description: String,
    targets: Vec<String>,
    #[serde(default)]
    make_conf: BTreeMap<String, String>,
    #[serde(default)]
    package_use: Vec<String>,
    #[serde(default)]
    package_accept_keywords: Vec<String>,
    #[serde(default)]
    package_env: Vec<String>,
    #[serde(default)]
    named_envs: BTreeMap<String, BTreeMap<String, String>>,
    profile: Option<String>,
    expect: Expect,
}

#[derive(Debug, Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
enum Expect {
    Ok,
    Error,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CasesFile {
    case: Vec<Case>,
}

/// One case's answer from Portage (an entry of expected.json).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PortageAnswer {
    success: bool,
    packages: Vec<Pkg>,
    problems: Option<String>,
}

/// One package in one root, as both sides are compared.
#[derive(Debug, Deserialize, Clone, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
struct Pkg {
    cpv: String,
    slot: String,
    sub_slot: String,
    repo: String,
    root: String,
    #[serde(rename = "use")]
    use_flags: Vec<String>,
}

impl Pkg {
    fn key(&self) -> (String, String, String) {
        (self.root.clone(), self.cpv.clone(), self.repo.clone())
    }
}

fn fixtures() -> PathBuf {
    common::workspace_root().join("tests/fixtures/agreement")
}

fn load_cases() -> Vec<Case> {
    let path = fixtures().join("cases.toml");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let file: CasesFile =
        toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    file.case
}

/// Writes a line to the test's stderr (not captured: the case list is the
/// point of this test's output).
fn report(text: &str) {
    let mut err = std::io::stderr().lock();
    // A failed write to stderr cannot be reported anywhere else.
    let _ = writeln!(err, "{text}");
}

/// Portage's answers: live when the venv is there (and then the committed
/// expected.json must equal them), else the committed file (outside CI).
fn portage_answers() -> BTreeMap<String, PortageAnswer> {
    let committed_path = fixtures().join("expected.json");
    let committed = std::fs::read_to_string(&committed_path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", committed_path.display()));
    let text = match common::portage_python() {
        Ok(python) => {
            let script = common::workspace_root().join("scripts/oracle/agreement.py");
            let out = Command::new(&python)
                .arg(&script)
                .output()
                .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
            assert!(
                out.status.success(),
                "{} failed ({}): a case's `expect` disagrees with Portage, or the oracle broke:\n{}",
                script.display(),
                out.status,
                String::from_utf8_lossy(&out.stderr)
            );
            let live = String::from_utf8(out.stdout).expect("agreement.py prints UTF-8");
            let live_json: serde_json::Value =
                serde_json::from_str(&live).expect("agreement.py prints JSON");
            let committed_json: serde_json::Value = serde_json::from_str(&committed)
                .unwrap_or_else(|e| panic!("{}: {e}", committed_path.display()));
            assert!(
                live_json == committed_json,
                "{} is stale: Portage now answers differently; regenerate it with \
                 `$STAVES_PORTAGE_VENV/bin/python scripts/oracle/agreement.py --update` and commit it",
                committed_path.display()
            );
            live
        }
        Err(why) if common::in_ci() => panic!("CI=true and {why}"),
        Err(why) => {
            report(&format!(
                "agreement: {why}; NOT re-running Portage, comparing against the committed {}",
                committed_path.display()
            ));
            committed
        }
    };
    serde_json::from_str(&text).expect("Portage answers parse")
}

/// Which per-package file a line comes from.
#[derive(Clone, Copy, PartialEq, Eq)]
enum LineKind {
    Use,
    Keywords,
    Env,
}

/// Turns "atom tok tok" lines into PackageSettings (for package.env lines
/// the tokens are names of the case's `named_envs`).
fn settings_lines(
    lines: &[String],
    kind: LineKind,
    named_envs: &BTreeMap<String, BTreeMap<String, String>>,
) -> Result<Vec<PackageSettings>, String> {
    lines
        .iter()
        .map(|line| {
            let mut words = line.split_whitespace();
            let atom_text = words.next().ok_or_else(|| format!("empty line {line:?}"))?;
            let atom = Atom::parse(atom_text).map_err(|e| format!("atom {atom_text:?}: {e}"))?;
            let rest: Vec<String> = words.map(str::to_owned).collect();
            let mut settings = PackageSettings {
                atom,
                use_flags: Vec::new(),
                keywords: Vec::new(),
                env: Vec::new(),
            };
            match kind {
                LineKind::Use => settings.use_flags = rest,
                LineKind::Keywords => settings.keywords = rest,
                LineKind::Env => {
                    for name in rest {
                        let vars = named_envs
                            .get(&name)
                            .ok_or_else(|| format!("{line:?}: no named_envs.{name}"))?;
                        settings.env.push(NamedEnv {
                            name,
                            vars: vars.clone(),
                        });
                    }
                }
            }
            Ok(settings)
        })
        .collect()
}

fn request_for(case: &Case) -> Result<ResolveRequest, String> {
    let repos_dir = fixtures().join("repos");
    let repos = REPOS
        .iter()
        .map(|name| RepoInput {
            name: (*name).to_owned(),
            files: Arc::new(common::LocalDir::new(repos_dir.join(name))),
        })
        .collect();
    let envs = &case.named_envs;
    let mut package_settings = settings_lines(&case.package_use, LineKind::Use, envs)?;
    package_settings.extend(settings_lines(
        &case.package_accept_keywords,
        LineKind::Keywords,
        envs,
    )?);
    package_settings.extend(settings_lines(&case.package_env, LineKind::Env, envs)?);
    let targets = case
        .targets
        .iter()
        .map(String::as_str)
        .chain(IMPLICIT_TARGETS)
        .map(|t| Atom::parse(t).map_err(|e| format!("target {t:?}: {e}")))
        .collect::<Result<_, _>>()?;
    Ok(ResolveRequest {
        repos,
        main_repo: REPOS[0].to_owned(),
        profile: case.profile.clone(),
        make_conf: case.make_conf.clone(),
        package_settings,
        targets,
        preferred: BTreeMap::new(),
    })
}

/// Staves' resolution in the compared form.
fn staves_packages(res: &Resolution) -> Vec<Pkg> {
    let mut out = Vec::new();
    for p in &res.packages {
        let use_flags: Vec<String> = p.use_enabled.intersection(&p.iuse).cloned().collect();
        for (root, present) in [("image", p.in_image), ("builder", p.in_builder)] {
            if present {
                out.push(Pkg {
                    cpv: p.cpv.to_string(),
                    slot: p.slot.clone(),
                    sub_slot: p.subslot.clone(),
                    repo: p.repo.clone(),
                    root: root.to_owned(),
                    use_flags: use_flags.clone(),
                });
            }
        }
    }
    out
}

fn show(p: &Pkg) -> String {
    format!(
        "{}:{}/{}::{} ({}) USE=\"{}\"",
        p.cpv,
        p.slot,
        p.sub_slot,
        p.repo,
        p.root,
        p.use_flags.join(" ")
    )
}

/// The differences between Portage's and staves' package sets; empty when
/// they agree.
fn diff_packages(portage: &[Pkg], staves: &[Pkg]) -> Vec<String> {
    let by_key =
        |v: &[Pkg]| -> BTreeMap<_, Pkg> { v.iter().map(|p| (p.key(), p.clone())).collect() };
    let (want, got) = (by_key(portage), by_key(staves));
    let keys: BTreeSet<_> = want.keys().chain(got.keys()).cloned().collect();
    let mut out = Vec::new();
    for k in keys {
        match (want.get(&k), got.get(&k)) {
            (Some(w), None) => out.push(format!("  - only Portage: {}", show(w))),
            (None, Some(g)) => out.push(format!("  + only staves:  {}", show(g))),
            (Some(w), Some(g)) if w != g => {
                out.push(format!(
                    "  ~ Portage: {}\n    staves:  {}",
                    show(w),
                    show(g)
                ));
            }
            _ => {}
        }
    }
    out
}

/// Compares one case; `Ok(())` when staves agrees with Portage.
fn check_case(case: &Case, answer: &PortageAnswer) -> Result<(), String> {
    let req = request_for(case).map_err(|e| format!("  bad case input: {e}"))?;
    let result = resolve(&req);
    match (answer.success, result) {
        (true, Ok(res)) => {
            let lines = diff_packages(&answer.packages, &staves_packages(&res));
            if lines.is_empty() {
                Ok(())
            } else {
                Err(lines.join("\n"))
            }
        }
        (false, Err(_)) => Ok(()),
        (true, Err(e)) => {
            let mut msg = format!("  Portage succeeds, staves fails: {e}");
            if let Some(help) = e.help() {
                let _ = write!(msg, "\n  (staves help: {help})");
            }
            let _ = write!(msg, "\n  Portage picks:");
            for p in &answer.packages {
                let _ = write!(msg, "\n    {}", show(p));
            }
            Err(msg)
        }
        (false, Ok(res)) => {
            let mut msg = "  Portage fails, staves succeeds with:".to_owned();
            for p in staves_packages(&res) {
                let _ = write!(msg, "\n    {}", show(&p));
            }
            let problems = answer.problems.as_deref().unwrap_or("(no text)");
            let _ = write!(
                msg,
                "\n  Portage says:\n    {}",
                problems.replace('\n', "\n    ")
            );
            Err(msg)
        }
    }
}

#[test]
fn staves_resolves_like_portage() {
    let cases = load_cases();
    let answers = portage_answers();
    let names: BTreeSet<&str> = cases.iter().map(|c| c.name.as_str()).collect();
    let answered: BTreeSet<&str> = answers.keys().map(String::as_str).collect();
    assert_eq!(
        names, answered,
        "cases.toml and expected.json list different cases"
    );

    let mut failures = Vec::new();
    let mut lines = vec![format!("agreement: {} cases", cases.len())];
    for case in &cases {
        let answer = &answers[&case.name];
        assert_eq!(
            answer.success,
            case.expect == Expect::Ok,
            "case {}: Portage's answer contradicts `expect`",
            case.name
        );
        match check_case(case, answer) {
            Ok(()) => lines.push(format!("  pass  {}", case.name)),
            Err(diff) => {
                lines.push(format!("  FAIL  {}", case.name));
                failures.push(format!(
                    "case {} ({}):\n{diff}",
                    case.name, case.description
                ));
            }
        }
    }
    lines.push(format!(
        "agreement: {} of {} cases agree with Portage",
        cases.len() - failures.len(),
        cases.len()
    ));
    report(&lines.join("\n"));
    assert!(
        failures.is_empty(),
        "{} case(s) disagree with Portage:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn committed_md5_cache_is_egencaches() {
    if let Err(why) = common::portage_python() {
        assert!(!common::in_ci(), "CI=true and {why}");
        report(&format!("md5-cache check skipped: {why}"));
        return;
    }
    let script = common::workspace_root().join("scripts/oracle/gen-cache.sh");
    let out = Command::new(&script)
        .arg("--check")
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
    assert!(
        out.status.success(),
        "{} --check failed ({}):\n{}\n{}",
        script.display(),
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn cases_cover_the_suite() {
    let cases = load_cases();
    assert!(cases.len() >= 30, "only {} cases", cases.len());
    let names: BTreeSet<&str> = cases.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names.len(), cases.len(), "duplicate case names");
    for expect in [Expect::Ok, Expect::Error] {
        assert!(
            cases.iter().any(|c| c.expect == expect),
            "no case expects {expect:?}"
        );
    }
    for case in &cases {
        request_for(case).unwrap_or_else(|e| panic!("case {}: {e}", case.name));
    }
    assert!(Path::new(&fixtures().join("repos/agree/metadata/md5-cache")).is_dir());
}
