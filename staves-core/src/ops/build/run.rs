//! The builder containers of one build: `emerge --pretend` checked against
//! the lock, then the real emerge, then the image root copied out.

use std::collections::VecDeque;
use std::io::{BufWriter, Read, Seek};
use std::path::{Path, PathBuf};

use crate::builder::{
    CollectLines, ContainerSpec, EmergeEvent, Engine, LogStream, Network, PlannedMerge,
    compare_plan, download_kib, emerge_event, parse_plan,
};
use crate::image::{BlobStore, Layer, LayerOptions, TarInput, layer_from_tar};
use crate::lockfile::Lockfile;

use super::BuildReporter;
use super::error::BuildError;
use super::rootfs::filter_tar;

/// The image root inside the builder.
pub(crate) const IMAGE_ROOT: &str = "/staves/root";
/// The config root whose `etc/portage` is the generated configuration.
pub(crate) const CONFIG_ROOT: &str = "/staves/cfg";
/// How many lines of a failed package's build log are shown.
pub(crate) const LOG_TAIL: usize = 40;
/// Runs emerge, then adds the gcc runtime libraries to the image root.
const RUNTIME_LIBS_SCRIPT: &str = include_str!("runtime-libs.sh");
/// Where the ssh agent socket is mounted in the fetch container.
const SSH_AGENT_SOCKET: &str = "/run/staves/ssh-agent.sock";

/// What `emerge --pretend` said.
pub(crate) struct PlanCheck {
    /// The merges.
    pub(crate) plan: Vec<PlannedMerge>,
    /// `Size of downloads` in KiB, when Portage printed it.
    pub(crate) download_kib: Option<u64>,
}

/// Everything the containers of one build share.
pub(crate) struct BuildRun<'a> {
    pub(crate) engine: &'a Engine,
    pub(crate) image: String,
    pub(crate) build_id: String,
    /// `(host dir, repository name)`, mounted read-only at /var/db/repos/<name>.
    pub(crate) repos: Vec<(PathBuf, String)>,
    /// The generated `etc/portage`.
    pub(crate) config_dir: PathBuf,
    pub(crate) binpkgs: PathBuf,
    /// The distfiles cache, mounted read-write at `DISTDIR`.
    pub(crate) distfiles: PathBuf,
    /// The host's ssh agent socket, mounted into the fetch step only.
    pub(crate) ssh_agent: Option<PathBuf>,
    /// `[image] runtime-libs`: copied from the builder into the image root.
    pub(crate) runtime_libs: Vec<String>,
    /// `=cat/pkg-ver::repo` of the requested image packages.
    pub(crate) targets: Vec<String>,
    /// Atoms kept out of the binary-package cache (`--usepkg-exclude`).
    pub(crate) no_cache: Vec<String>,
    pub(crate) jobs: Option<u32>,
    pub(crate) verbose: bool,
}

impl BuildRun<'_> {
    fn spec(&self, args: Vec<String>) -> ContainerSpec {
        let mut spec = ContainerSpec::new(&self.image, &self.build_id);
        for (dir, name) in &self.repos {
            spec = spec.bind_ro(dir, format!("/var/db/repos/{name}"));
        }
        // Portage configures the builder's own "/" (where build-time
        // dependencies go) from /etc/portage whenever ROOT != "/".
        spec.bind_ro(&self.config_dir, format!("{CONFIG_ROOT}/etc/portage"))
            .bind_ro(&self.config_dir, "/etc/portage")
            .bind_rw(&self.binpkgs, crate::builder::portage_config::PKGDIR)
            .bind_rw(&self.distfiles, crate::builder::portage_config::DISTDIR)
            .env("LC_ALL", "C.UTF-8")
            .cmd(args)
    }

    fn emerge_args(&self, mode: Mode) -> Vec<String> {
        let mut args: Vec<String> = [
            "emerge",
            "--root=/staves/root",
            "--config-root=/staves/cfg",
            "--usepkg",
            "--binpkg-respect-use=y",
            "--oneshot",
            "--nospinner",
            "--color=n",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        if mode == Mode::Pretend {
            args.extend(["--pretend".to_owned(), "--verbose".to_owned()]);
        } else if mode == Mode::Fetch {
            args.push("--fetchonly".to_owned());
        } else {
            args.push(format!(
                "--quiet-build={}",
                if self.verbose { "n" } else { "y" }
            ));
            args.push("--quiet-fail=y".to_owned());
            if let Some(jobs) = self.jobs {
                args.push(format!("--jobs={jobs}"));
            }
        }
        for atom in &self.no_cache {
            args.push(format!("--usepkg-exclude={atom}"));
        }
        args.extend(self.targets.iter().cloned());
        args
    }

    /// Runs `emerge --pretend` and compares its plan with the lock.
    pub(crate) fn check_plan(
        &self,
        lock: &Lockfile,
        reporter: &dyn BuildReporter,
    ) -> Result<PlanCheck, BuildError> {
        let mut lines = CollectLines::default();
        let outcome = self
            .engine
            .run(&self.spec(self.emerge_args(Mode::Pretend)), &mut lines)?;
        for (_, line) in &lines.0 {
            reporter.log_line(line);
        }
        let all: Vec<&str> = lines.0.iter().map(|(_, l)| l.as_str()).collect();
        if !outcome.success() {
            // Portage's explanation starts at its first `!!!` line.
            let start = all
                .iter()
                .position(|l| l.starts_with("!!!"))
                .unwrap_or(all.len().saturating_sub(LOG_TAIL));
            let output = all[start..]
                .iter()
                .filter(|l| !l.trim().is_empty())
                .take(LOG_TAIL)
                .map(|l| (*l).to_owned())
                .collect();
            return Err(BuildError::PortageRefused {
                exit_code: outcome.exit_code,
                output,
            });
        }
        let text = all.join("\n");
        let plan = parse_plan(&text, IMAGE_ROOT);
        let mismatches = compare_plan(&plan, lock);
        if !mismatches.is_empty() {
            return Err(BuildError::PlanMismatch { mismatches });
        }
        Ok(PlanCheck {
            download_kib: download_kib(&text),
            plan,
        })
    }

    /// Fetches the sources of the plan into the distfiles cache: the only
    /// step with network access (the host's network, so a proxy or a
    /// registry on 127.0.0.1 works as on the host), and the only one that
    /// sees the ssh agent socket, when there is one.
    pub(crate) fn fetch(&self, reporter: &dyn BuildReporter) -> Result<(), BuildError> {
        let mut spec = self
            .spec(self.emerge_args(Mode::Fetch))
            .network(Network::Host);
        if let Some(socket) = &self.ssh_agent {
            // The socket, never key files; fetch as root so it is usable.
            spec = spec
                .bind_ro(socket, SSH_AGENT_SOCKET)
                .env("SSH_AUTH_SOCK", SSH_AGENT_SOCKET)
                .env("FEATURES", "-userfetch");
        }
        let mut lines = CollectLines::default();
        let outcome = self.engine.run(&spec, &mut lines)?;
        for (_, line) in &lines.0 {
            reporter.log_line(line);
        }
        if outcome.success() {
            return Ok(());
        }
        let all: Vec<&str> = lines.0.iter().map(|(_, l)| l.as_str()).collect();
        let start = all.len().saturating_sub(LOG_TAIL);
        Err(BuildError::FetchFailed {
            exit_code: outcome.exit_code,
            output: all[start..].iter().map(|l| (*l).to_owned()).collect(),
        })
    }

    /// Runs the real emerge and returns the image root as a layer.
    pub(crate) fn emerge_and_copy(
        &self,
        store: &BlobStore,
        layer_options: &LayerOptions,
        scratch: &Path,
        reporter: &dyn BuildReporter,
    ) -> Result<Layer, BuildError> {
        let spec = self
            .spec(self.emerge_args(Mode::Build))
            .entrypoint(["/bin/sh", "-c", RUNTIME_LIBS_SCRIPT, "staves-emerge"])
            .env("STAVES_RUNTIME_LIBS", self.runtime_libs.join(" "));
        let mut container = self.engine.create(&spec)?;
        let mut tail: VecDeque<String> = VecDeque::with_capacity(LOG_TAIL + 1);
        let mut failed: Option<(String, String)> = None;
        let mut log_path: Option<String> = None;
        let outcome = container.start_and_wait(&mut |_stream: LogStream, line: &str| {
            reporter.log_line(line);
            if let Some(note) = line.strip_prefix("staves: ") {
                reporter.status("Runtime", note);
            }
            match emerge_event(line) {
                Some(EmergeEvent::Started {
                    index,
                    total,
                    package,
                    binary,
                }) => reporter.emerging(index, total, &package, binary),
                Some(EmergeEvent::Failed { package, phase }) => {
                    failed.get_or_insert((package, phase));
                }
                Some(EmergeEvent::BuildLog { path }) => {
                    log_path.get_or_insert(path);
                }
                None => {}
            }
            if !line.starts_with(">>> Jobs:") {
                tail.push_back(line.to_owned());
                if tail.len() > LOG_TAIL {
                    tail.pop_front();
                }
            }
        })?;
        if !outcome.success() {
            let log_tail: Vec<String> = log_path
                .as_deref()
                .and_then(|p| read_log_tail(&container, p))
                .unwrap_or_else(|| tail.into_iter().collect());
            // With --quiet-build the phase is only in the build log.
            if failed.is_none() {
                failed = log_tail.iter().find_map(|l| match emerge_event(l) {
                    Some(EmergeEvent::Failed { package, phase }) => Some((package, phase)),
                    _ => None,
                });
            }
            let (package, phase) = match failed {
                Some((package, phase)) => (package, Some(phase)),
                None => (format!("emerge (exit status {})", outcome.exit_code), None),
            };
            container.remove()?;
            return Err(BuildError::EmergeFailed {
                package,
                phase,
                log_tail,
                log_path,
            });
        }
        reporter.status("Packing", "the image root");
        let reader = container.copy_out(IMAGE_ROOT)?;
        let filtered_path = scratch.join("rootfs.tar");
        let mut filtered = fs_err::File::options()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&filtered_path)
            .map_err(|e| BuildError::io("create", &filtered_path, e))?;
        filter_tar(
            reader,
            BufWriter::new(&mut filtered),
            1,
            layer_options.epoch,
        )
        .map_err(|e| BuildError::io("copy the image root into", &filtered_path, e))?;
        container.remove()?;
        filtered
            .rewind()
            .map_err(|e| BuildError::io("read", &filtered_path, e))?;
        let layer = layer_from_tar(
            std::io::BufReader::new(filtered),
            store,
            layer_options,
            &TarInput {
                strip_components: 1,
            },
        )?;
        let _ = std::fs::remove_file(&filtered_path);
        Ok(layer)
    }
}

/// What an emerge container does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// `--pretend --verbose`: the plan.
    Pretend,
    /// `--fetchonly`: sources into the distfiles cache.
    Fetch,
    /// The real merge.
    Build,
}

/// The last lines of the file at `path` in a (stopped) container.
fn read_log_tail(container: &crate::builder::Container<'_>, path: &str) -> Option<Vec<String>> {
    let reader = container.copy_out(path).ok()?;
    let mut archive = tar::Archive::new(reader);
    let mut entry = archive.entries().ok()?.next()?.ok()?;
    let mut bytes = Vec::new();
    entry.read_to_end(&mut bytes).ok()?;
    let text = String::from_utf8_lossy(&bytes);
    let lines: Vec<&str> = text.lines().collect();
    let start = lines.len().saturating_sub(LOG_TAIL);
    Some(lines[start..].iter().map(|l| (*l).to_owned()).collect())
}
