//! Lock benchmark: `staves lock` against a generated ::gentoo-sized
//! repository, and against real Portage on a smaller one.
//!
//!     cargo bench -p staves-core --bench lock [-- --runs 5 --no-portage]
//!
//! 1. Generates (fixed seed) a ::gentoo-shaped repository (19,000
//!    packages, ~31,000 md5-cache entries, ebuilds, eclasses, a profile
//!    stack; see `support/mod.rs`) and commits it into a bare git
//!    repository in a temporary directory, used as a `file://` remote.
//! 2. For a typical target (`dev-lang/python`) and a big one
//!    (`app-misc/desktop-meta`), times `staves_core::ops::lock::lock`:
//!    *cold* (empty cache directory, no lock: clone + resolve + write),
//!    *warm* (cache and lock present, nothing changed; in this process and
//!    in a fresh process, as a user runs it again) and the resolver
//!    alone on an opened snapshot; `--runs` times each, median and min.
//! 3. Peak memory: the peak RSS (`VmHWM`) of a fresh process (this binary
//!    in child mode) running one cold and one warm lock of the big target.
//! 4. Generates a 2,000-package repository of the same shape, writes it
//!    both as a git remote (for staves) and as a directory (for Portage),
//!    and times Portage (`scripts/oracle/resolve.py`: emerge's depgraph as
//!    `emerge --pretend --root=IMAGE` runs it, one process per resolution)
//!    against a warm `staves lock` in a fresh process, on the same targets;
//!    prints the ratio and whether both chose the same packages. Without
//!    the Portage venv (`scripts/ensure-portage.sh`) only that column is
//!    skipped.
//!
//! With `STAVES_BENCH_KEEP=1` the temporary directory (repositories,
//! projects, caches) is kept and its path printed, for profiling one lock
//! by hand: `<this binary> --child-lock PROJECT CACHE`.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::error::Error;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use staves_core::gentoo::atom::Atom;
use staves_core::ops::NoReporter;
use staves_core::ops::lock::{LockOptions, lock};
use staves_core::resolve::{RepoInput, Resolution, ResolveRequest, resolve};
use staves_core::sources::{FetchMode, GitReference, RepoLocation, RepoSpec, fetch_pinned};

use support::measure::{self, CHILD_FLAG, Stats, ms};
use support::{BIG_TARGET, GENTOO, SMALL, Shape, TYPICAL_TARGET, git, portage, profile, render};

type Res<T> = Result<T, Box<dyn Error>>;

const GOAL_WARM: Duration = Duration::from_millis(100);
const GOAL_COLD: Duration = Duration::from_secs(2);
const GOAL_PEAK: u64 = 300 * 1024 * 1024;
const GOAL_RATIO: f64 = 20.0;

struct Options {
    runs: usize,
    portage: bool,
    packages: usize,
}

fn main() -> Res<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some(CHILD_FLAG) {
        let (Some(project), Some(cache)) = (args.get(1), args.get(2)) else {
            return Err(format!("usage: {CHILD_FLAG} PROJECT CACHE").into());
        };
        let line = measure::child(Path::new(project), Path::new(cache))?;
        writeln!(io::stdout(), "{line}")?;
        return Ok(());
    }
    let mut options = Options {
        runs: 5,
        portage: true,
        packages: GENTOO.packages,
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--runs" => options.runs = it.next().ok_or("--runs needs a number")?.parse()?,
            "--packages" => {
                options.packages = it.next().ok_or("--packages needs a number")?.parse()?;
            }
            "--no-portage" => options.portage = false,
            "--bench" => {}
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    let mut out = io::stdout().lock();
    writeln!(out, "machine: {}", measure::machine())?;
    let tmp = tempfile::Builder::new()
        .prefix("staves-bench-lock.")
        .tempdir()?;
    let mut summary = Vec::new();

    let shape = Shape {
        packages: options.packages,
        ..GENTOO
    };
    let remote = make_remote(&mut out, tmp.path(), "gentoo", shape, false)?;
    let mut big_project = PathBuf::new();
    for (label, target) in [("typical", TYPICAL_TARGET), ("big", BIG_TARGET)] {
        let project = tmp.path().join(format!("project-{label}"));
        write_manifest(&project, label, target, &remote.url)?;
        let r = bench_project(
            &mut out,
            &project,
            tmp.path(),
            &remote,
            target,
            options.runs,
        )?;
        summary.push(format!(
            "{label} ({target}, {} packages): cold {} | warm {} | warm, fresh process {} | resolve {}",
            r.packages, r.cold, r.warm, r.process, r.resolve
        ));
        summary.push(goal("  cold ≤ 2 s", r.cold.median <= GOAL_COLD));
        summary.push(goal("  warm ≤ 100 ms", r.warm.median <= GOAL_WARM));
        summary.push(goal(
            "  warm, fresh process ≤ 100 ms",
            r.process.median <= GOAL_WARM,
        ));
        big_project = project;
    }

    writeln!(out, "\npeak memory (fresh process, {BIG_TARGET}):")?;
    let cold_cache = tmp.path().join("cache-peak");
    let _ = std::fs::remove_file(big_project.join("staves.lock"));
    let cold = measure::run_child(&big_project, &cold_cache)?;
    let warm = measure::run_child(&big_project, &cold_cache)?;
    for (what, run) in [("cold", cold), ("warm", warm)] {
        writeln!(
            out,
            "  {what}: peak RSS {:.1} MB, lock {}, whole process {}",
            run.peak_rss as f64 / 1e6,
            ms(run.inner),
            ms(run.process)
        )?;
    }
    let peak = cold.peak_rss.max(warm.peak_rss);
    summary.push(format!("peak RSS {:.1} MB", peak as f64 / 1e6));
    summary.push(goal("  peak ≤ 300 MB", peak <= GOAL_PEAK));

    if options.portage {
        portage_section(&mut out, tmp.path(), options.runs.min(3), &mut summary)?;
    } else {
        writeln!(out, "\nPortage comparison skipped (--no-portage)")?;
    }
    writeln!(out, "\nsummary (load average now {}):", measure::load())?;
    for line in summary {
        writeln!(out, "  {line}")?;
    }
    if std::env::var_os("STAVES_BENCH_KEEP").is_some() {
        writeln!(out, "kept {} (STAVES_BENCH_KEEP)", tmp.keep().display())?;
    }
    Ok(())
}

fn goal(text: &str, met: bool) -> String {
    format!("{text}: {}", if met { "met" } else { "NOT met" })
}

/// A generated repository committed into a bare git repository.
struct Remote {
    url: String,
    commit: String,
    dir: Option<PathBuf>,
}

fn make_remote(
    out: &mut impl Write,
    tmp: &Path,
    name: &str,
    shape: Shape,
    dir: bool,
) -> Res<Remote> {
    let start = Instant::now();
    let repo = support::generate(shape);
    let files = render::files(&repo);
    let generated = start.elapsed();
    let path = tmp.join(format!("{name}.git"));
    let commit = git::commit(&path, &files)?;
    let plain = if dir {
        let d = tmp.join(format!("{name}-tree"));
        git::write_dir(&d, &files)?;
        Some(d)
    } else {
        None
    };
    let bytes: usize = files.values().map(Vec::len).sum();
    writeln!(
        out,
        "\nrepository {name}: {} categories, {} packages, {} md5-cache entries, {} files ({:.1} MB); generated in {}, committed in {} (commit {commit})",
        repo.categories.len(),
        repo.packages.len(),
        repo.entries(),
        files.len(),
        bytes as f64 / 1e6,
        ms(generated),
        ms(start.elapsed() - generated),
    )?;
    Ok(Remote {
        url: format!("file://{}", path.display()),
        commit: commit.to_string(),
        dir: plain,
    })
}

fn write_manifest(project: &Path, label: &str, target: &str, url: &str) -> Res<()> {
    std::fs::create_dir_all(project)?;
    std::fs::write(
        project.join("staves.toml"),
        format!(
            "name = \"bench-{label}\"\npackages = [\"{target}\"]\nprofile = \"{}\"\n\n\
             [[repositories]]\nname = \"gentoo\"\ntype = \"git\"\nuri = \"{url}\"\n",
            profile::PROFILE
        ),
    )?;
    Ok(())
}

struct ProjectResult {
    cold: Stats,
    warm: Stats,
    process: Stats,
    resolve: Stats,
    packages: usize,
}

fn bench_project(
    out: &mut impl Write,
    project: &Path,
    tmp: &Path,
    remote: &Remote,
    target: &str,
    runs: usize,
) -> Res<ProjectResult> {
    writeln!(out, "\n{target}:")?;
    let lock_path = project.join("staves.lock");
    let mut cold = Vec::new();
    let mut cache = PathBuf::new();
    let mut resolution = None;
    for i in 0..runs {
        cache = tmp.join(format!(
            "cache-{}-{i}",
            project
                .file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default()
        ));
        let _ = std::fs::remove_file(&lock_path);
        let ctx = measure::context(project, &cache);
        let start = Instant::now();
        let outcome = lock(&ctx, &LockOptions::default(), &NoReporter)?;
        cold.push(start.elapsed());
        resolution = Some(outcome.resolution);
    }
    let resolution = resolution.ok_or("--runs must be at least 1")?;
    let mut warm = Vec::new();
    for _ in 0..runs {
        let ctx = measure::context(project, &cache);
        let start = Instant::now();
        let outcome = lock(&ctx, &LockOptions::default(), &NoReporter)?;
        warm.push(start.elapsed());
        if outcome.written {
            return Err(
                "a warm lock rewrote staves.lock: the resolution is not deterministic".into(),
            );
        }
    }
    let mut process = Vec::new();
    for _ in 0..runs {
        process.push(measure::run_child(project, &cache)?.process);
    }
    let mut resolve_times = Vec::new();
    for _ in 0..runs {
        let req = request(remote, &cache, target)?;
        let start = Instant::now();
        let r = resolve(&req)?;
        resolve_times.push(start.elapsed());
        if r != resolution {
            return Err("resolve() gave a different answer than lock()".into());
        }
    }
    let (image, builder) = roots(&resolution);
    let result = ProjectResult {
        cold: Stats::of(cold),
        warm: Stats::of(warm),
        process: Stats::of(process),
        resolve: Stats::of(resolve_times),
        packages: resolution.packages.len(),
    };
    writeln!(
        out,
        "  {} packages ({image} in the image root, {builder} in the builder root)\n  cold lock:    {}\n  warm lock:    {}\n  warm lock, fresh process: {}\n  resolve only: {}",
        result.packages, result.cold, result.warm, result.process, result.resolve
    )?;
    Ok(result)
}

/// The resolver request `staves lock` makes for `target`, on the cached
/// snapshot.
fn request(remote: &Remote, cache: &Path, target: &str) -> Res<ResolveRequest> {
    let spec = RepoSpec {
        name: "gentoo".to_owned(),
        location: RepoLocation::Git {
            uri: remote.url.clone(),
            reference: GitReference::DefaultBranch,
        },
    };
    let snapshot = fetch_pinned(&spec, &remote.commit, cache, FetchMode::Offline)?;
    Ok(ResolveRequest {
        repos: vec![RepoInput {
            name: "gentoo".to_owned(),
            files: Arc::clone(&snapshot.files),
        }],
        main_repo: "gentoo".to_owned(),
        profile: Some(profile::PROFILE.to_owned()),
        make_conf: BTreeMap::new(),
        package_settings: Vec::new(),
        targets: vec![Atom::parse(target)?, Atom::parse("virtual/libc")?],
        preferred: BTreeMap::new(),
    })
}

fn roots(r: &Resolution) -> (usize, usize) {
    (
        r.packages.iter().filter(|p| p.in_image).count(),
        r.packages.iter().filter(|p| p.in_builder).count(),
    )
}

/// `(root, cpv)` pairs as the Portage oracle reports them.
fn root_set(r: &Resolution) -> BTreeSet<(String, String)> {
    let mut set = BTreeSet::new();
    for p in &r.packages {
        if p.in_image {
            set.insert(("image".to_owned(), p.cpv.to_string()));
        }
        if p.in_builder {
            set.insert(("builder".to_owned(), p.cpv.to_string()));
        }
    }
    set
}

fn portage_section(
    out: &mut impl Write,
    tmp: &Path,
    runs: usize,
    summary: &mut Vec<String>,
) -> Res<()> {
    writeln!(out, "\nPortage comparison ({} packages):", SMALL.packages)?;
    let python = match portage::python() {
        Ok(p) => p,
        Err(why) => {
            writeln!(out, "  skipped: {why}")?;
            summary.push(format!("Portage ratio: skipped ({why})"));
            return Ok(());
        }
    };
    let remote = make_remote(out, tmp, "small", SMALL, true)?;
    let tree = remote
        .dir
        .clone()
        .ok_or("the small repository has no directory")?;
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    for (label, target) in [("typical", TYPICAL_TARGET), ("big", BIG_TARGET)] {
        let project = tmp.join(format!("small-{label}"));
        write_manifest(&project, label, target, &remote.url)?;
        let cache = tmp.join(format!("cache-small-{label}"));
        let ctx = measure::context(&project, &cache);
        let first = lock(&ctx, &LockOptions::default(), &NoReporter)?;
        let mut in_process = Vec::new();
        let mut process = Vec::new();
        for _ in 0..runs.max(3) {
            let start = Instant::now();
            lock(&ctx, &LockOptions::default(), &NoReporter)?;
            in_process.push(start.elapsed());
            process.push(measure::run_child(&project, &cache)?.process);
        }
        let mut portage_times = Vec::new();
        let mut answer = None;
        for _ in 0..runs {
            let run = portage::resolve(
                &python,
                &workspace,
                &tree,
                profile::PROFILE,
                &[target, "virtual/libc"],
            )?;
            portage_times.push(run.time);
            answer = Some(run);
        }
        let answer = answer.ok_or("--runs must be at least 1")?;
        let (staves_p, staves_in, portage_s) = (
            Stats::of(process),
            Stats::of(in_process),
            Stats::of(portage_times),
        );
        let ratio = portage_s.median.as_secs_f64() / staves_p.median.as_secs_f64();
        let ours = root_set(&first.resolution);
        let agreement = if !answer.success {
            "Portage FAILED to resolve".to_owned()
        } else if ours == answer.packages {
            format!("same {} (root, package) pairs", ours.len())
        } else {
            let only_s: Vec<_> = ours.difference(&answer.packages).take(3).collect();
            let only_p: Vec<_> = answer.packages.difference(&ours).take(3).collect();
            format!(
                "DIFFERENT: staves {} pairs, Portage {}; only staves e.g. {only_s:?}; only Portage e.g. {only_p:?}",
                ours.len(),
                answer.packages.len()
            )
        };
        writeln!(
            out,
            "  {target}: staves warm lock, fresh process {staves_p}; in-process {staves_in}\n  {target}: Portage depgraph process {portage_s}\n  {target}: ratio {ratio:.1}x; {agreement}"
        )?;
        summary.push(format!(
            "Portage/staves on {} packages, {label}: {ratio:.1}x ({agreement})",
            SMALL.packages
        ));
        summary.push(goal("  ≥ 20x faster than Portage", ratio >= GOAL_RATIO));
    }
    Ok(())
}
