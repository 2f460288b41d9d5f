//! Timing helpers and the child-process mode that measures peak memory.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use staves_core::ops::lock::{LockOptions, lock};
use staves_core::ops::{Context, NoReporter};

/// Median and minimum of some durations.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Stats {
    pub(crate) median: Duration,
    pub(crate) min: Duration,
}

impl Stats {
    pub(crate) fn of(mut samples: Vec<Duration>) -> Stats {
        samples.sort();
        let n = samples.len();
        let median = if n == 0 {
            Duration::ZERO
        } else if n % 2 == 1 {
            samples[n / 2]
        } else {
            (samples[n / 2 - 1] + samples[n / 2]) / 2
        };
        Stats {
            median,
            min: samples.first().copied().unwrap_or_default(),
        }
    }
}

impl std::fmt::Display for Stats {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "median {} (min {})", ms(self.median), ms(self.min))
    }
}

/// `12.3 ms` / `1.23 s`.
pub(crate) fn ms(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms >= 1000.0 {
        format!("{:.2} s", ms / 1000.0)
    } else {
        format!("{ms:.1} ms")
    }
}

/// The `ctx` of a project directory with its own cache.
pub(crate) fn context(project: &Path, cache: &Path) -> Context {
    Context {
        manifest_path: project.join("staves.toml"),
        cache_dir: cache.to_owned(),
        offline: false,
        locked: false,
    }
}

/// The first argument of the child mode.
pub(crate) const CHILD_FLAG: &str = "--child-lock";

/// Child mode: runs one `staves lock` of `project` with `cache` and prints
/// `<peak RSS in KiB> <wall ms>` on stdout.
pub(crate) fn child(project: &Path, cache: &Path) -> Result<String, Box<dyn std::error::Error>> {
    let start = Instant::now();
    lock(
        &context(project, cache),
        &LockOptions::default(),
        &NoReporter,
    )?;
    let elapsed = start.elapsed();
    Ok(format!(
        "{} {:.3}",
        peak_rss_kib()?,
        elapsed.as_secs_f64() * 1000.0
    ))
}

/// `VmHWM` of this process, in KiB.
fn peak_rss_kib() -> Result<u64, Box<dyn std::error::Error>> {
    let status = std::fs::read_to_string("/proc/self/status")?;
    let line = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .ok_or("no VmHWM in /proc/self/status")?;
    Ok(line
        .trim_start_matches("VmHWM:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()?)
}

/// What a fresh process running one lock reported.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ChildRun {
    /// Peak resident set size, in bytes.
    pub(crate) peak_rss: u64,
    /// Wall time of the lock inside the child.
    pub(crate) inner: Duration,
    /// Wall time of the whole process (start to exit).
    pub(crate) process: Duration,
}

/// Runs this benchmark binary in child mode (a fresh process).
pub(crate) fn run_child(
    project: &Path,
    cache: &Path,
) -> Result<ChildRun, Box<dyn std::error::Error>> {
    let exe: PathBuf = std::env::current_exe()?;
    let start = Instant::now();
    let out = Command::new(exe)
        .arg(CHILD_FLAG)
        .arg(project)
        .arg(cache)
        .output()?;
    let process = start.elapsed();
    if !out.status.success() {
        return Err(format!(
            "child lock failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        )
        .into());
    }
    let text = String::from_utf8(out.stdout)?;
    let mut it = text.split_whitespace();
    let kib: u64 = it.next().ok_or("child printed nothing")?.parse()?;
    let inner: f64 = it.next().ok_or("child printed no time")?.parse()?;
    Ok(ChildRun {
        peak_rss: kib * 1024,
        inner: Duration::from_secs_f64(inner / 1000.0),
        process,
    })
}

/// Machine description: CPU model, cores, memory, load.
pub(crate) fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, m)| m.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .map(|l| l.trim_start_matches("MemTotal:").trim().to_owned())
        })
        .unwrap_or_default();
    format!("{cpu}, {cores} cores, {mem} RAM, load average {}", load())
}

/// The 1-minute load average.
pub(crate) fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".to_owned())
}
