//! The builder containers of one build: `emerge --pretend` checked against
//! the lock, `emerge --fetchonly` when sources are missing, then the real
//! emerge, then the result packed as a layer: the image root for images,
//! the builder's whole file system for builder projects (see the
//! `builder_image` module).

use std::collections::VecDeque;
use std::io::{BufWriter, Read, Seek};
use std::path::{Path, PathBuf};

use crate::builder::{
    CollectLines, ContainerSpec, EmergeEvent, Engine, LogStream, Network, PlannedMerge,
    compare_plan, download_kib, emerge_event, parse_plan,
};
use crate::image::{BlobStore, Layer, LayerOptions, TarInput, layer_from_tar};
use crate::lockfile::Lockfile;
use crate::sources::Snapshot;

use super::BuildReporter;
use super::builder_image::{self, BuilderFacts};
use super::error::BuildError;
use super::rootfs::{filter_tar, filter_tar_with};

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

/// Where the merges of a build go.
pub(crate) enum Target {
    /// Into [`IMAGE_ROOT`] (an image), then `[image] runtime-libs` from
    /// the builder are added.
    Image {
        /// The runtime library file names.
        runtime_libs: Vec<String>,
    },
    /// Into the builder's own `/` (a builder project); `extra_dir` holds the
    /// `make.conf` lines appended to the builder's own.
    Builder {
        /// Mounted at [`builder_image::EXTRA_DIR`].
        extra_dir: PathBuf,
    },
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
    /// `--offline`: sources must already be in the distfiles cache.
    pub(crate) offline: bool,
    /// An image or a builder.
    pub(crate) target: Target,
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
        spec = spec.bind_ro(&self.config_dir, format!("{CONFIG_ROOT}/etc/portage"));
        spec = match &self.target {
            // Portage configures the builder's own "/" (where build-time
            // dependencies go) from /etc/portage whenever ROOT != "/".
            Target::Image { .. } => spec.bind_ro(&self.config_dir, "/etc/portage"),
            // A builder keeps its own /etc/portage (and extends it).
            Target::Builder { extra_dir } => spec.bind_ro(extra_dir, builder_image::EXTRA_DIR),
        };
        spec.bind_rw(&self.binpkgs, crate::builder::portage_config::PKGDIR)
            .bind_rw(&self.distfiles, crate::builder::portage_config::DISTDIR)
            .env("LC_ALL", "C.UTF-8")
            .cmd(args)
    }

    fn emerge_args(&self, mode: Mode) -> Vec<String> {
        let mut args: Vec<String> = vec!["emerge".to_owned()];
        if let Target::Image { .. } = self.target {
            args.push(format!("--root={IMAGE_ROOT}"));
        }
        args.extend(
            [
                "--config-root=/staves/cfg",
                "--usepkg",
                "--binpkg-respect-use=y",
                "--oneshot",
                "--nospinner",
                "--color=n",
            ]
            .map(str::to_owned),
        );
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

    /// Checks Portage's plan against the lock, then fetches sources when
    /// Portage's plan needs downloads or a source of a package built from
    /// source is missing from the distfiles cache. Returns the number of
    /// merges.
    pub(crate) fn prepare<'s>(
        &self,
        lock: &Lockfile,
        snapshots: impl Iterator<Item = &'s Snapshot> + Clone,
        reporter: &dyn BuildReporter,
    ) -> Result<usize, BuildError> {
        reporter.status("Checking", "Portage's plan against staves.lock");
        let plan = self.check_plan(lock, reporter)?;
        let needs_fetch = plan.download_kib != Some(0)
            || super::fetch::sources_missing(&plan.plan, lock, snapshots, &self.distfiles);
        if needs_fetch && self.offline {
            return Err(BuildError::FetchOffline {
                distfiles: self.distfiles.clone(),
            });
        }
        if needs_fetch {
            reporter.status("Fetching", "sources into the distfiles cache");
            self.fetch(reporter)?;
        }
        Ok(plan.plan.len())
    }

    /// Runs `emerge --pretend` and compares its plan with the lock.
    fn check_plan(
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
        let mismatches = match self.target {
            Target::Image { .. } => compare_plan(&plan, lock),
            // No merge says `to <root>`: all go into the builder's `/`.
            Target::Builder { .. } => compare_plan(&plan, &builder_image::builder_view(lock)),
        };
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
    fn fetch(&self, reporter: &dyn BuildReporter) -> Result<(), BuildError> {
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

    /// Runs the real emerge, then packs the result as a layer: the image
    /// root, or for a builder the container's file system and the facts
    /// the builder reported.
    pub(crate) fn emerge_and_pack(
        &self,
        store: &BlobStore,
        layer_options: &LayerOptions,
        scratch: &Path,
        reporter: &dyn BuildReporter,
    ) -> Result<(Layer, Option<BuilderFacts>), BuildError> {
        let spec = self.spec(self.emerge_args(Mode::Build));
        let spec = match &self.target {
            Target::Image { runtime_libs } => spec
                .entrypoint(["/bin/sh", "-c", RUNTIME_LIBS_SCRIPT, "staves-emerge"])
                .env("STAVES_RUNTIME_LIBS", runtime_libs.join(" ")),
            Target::Builder { .. } => {
                spec.entrypoint(["/bin/sh", "-c", builder_image::SCRIPT, "staves-builder"])
            }
        };
        let mut fact_lines: Vec<String> = Vec::new();
        let container = self.emerge(&spec, reporter, &mut |line| {
            if builder_image::is_fact(line) {
                fact_lines.push(line.to_owned());
                return true;
            }
            if let Some((verb, message)) = line
                .strip_prefix("staves: ")
                .and_then(|note| note.split_once(' '))
            {
                let mut chars = verb.chars();
                let verb: String = chars
                    .next()
                    .map(|c| c.to_ascii_uppercase())
                    .into_iter()
                    .chain(chars)
                    .collect();
                reporter.status(&verb, message);
            }
            false
        })?;
        match self.target {
            Target::Image { .. } => {
                reporter.status("Packing", "the image root");
                let reader = container.copy_out(IMAGE_ROOT)?;
                let layer = pack(reader, 1, None, store, layer_options, scratch);
                // The packing error, if any, is the one to show.
                let removed = container.remove();
                let layer = layer?;
                removed?;
                Ok((layer, None))
            }
            Target::Builder { .. } => {
                let facts = BuilderFacts::from_lines(fact_lines.iter().map(String::as_str));
                if let Some(missing) = facts.missing() {
                    // Dropping it removes it too; this error is the one to show.
                    let _ = container.remove();
                    return Err(BuildError::NoBuilder {
                        reason: format!(
                            "the base builder `{}` did not report its {missing} \
                             (portageq envvar ARCH ELIBC, emerge --version); is Portage installed there?",
                            self.image
                        ),
                    });
                }
                reporter.status("Packing", "the builder's file system");
                let reader = self.engine.export_container(container.id())?;
                let keep = builder_image::keep_in_builder;
                let layer = pack(reader, 0, Some(&keep), store, layer_options, scratch);
                let removed = container.remove();
                let layer = layer?;
                removed?;
                Ok((layer, Some(facts)))
            }
        }
    }

    /// Runs the emerge container `spec`, reporting progress; `swallow` sees
    /// every line first and keeps it out of the log when it returns true.
    /// On success the stopped container is returned; on failure it is
    /// removed and the failing package with its log tail is the error.
    fn emerge(
        &self,
        spec: &ContainerSpec,
        reporter: &dyn BuildReporter,
        swallow: &mut dyn FnMut(&str) -> bool,
    ) -> Result<crate::builder::Container<'_>, BuildError> {
        let mut container = self.engine.create(spec)?;
        let mut tail: VecDeque<String> = VecDeque::with_capacity(LOG_TAIL + 1);
        let mut failed: Option<(String, String)> = None;
        let mut log_path: Option<String> = None;
        let outcome = container.start_and_wait(&mut |_stream: LogStream, line: &str| {
            if swallow(line) {
                return;
            }
            reporter.log_line(line);
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
        if outcome.success() {
            return Ok(container);
        }
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
        // The build failure is the error to show, even if removing fails.
        let _ = container.remove();
        Err(BuildError::EmergeFailed {
            package,
            phase,
            log_tail,
            log_path,
        })
    }
}

/// Cleans a tar stream from the container (see the `rootfs` module; `keep`,
/// when given, replaces its rule for which entries stay) into a temporary
/// file, then turns it into a layer.
fn pack(
    reader: impl Read,
    strip: usize,
    keep: Option<&dyn Fn(&str) -> bool>,
    store: &BlobStore,
    layer_options: &LayerOptions,
    scratch: &Path,
) -> Result<Layer, BuildError> {
    let path = scratch.join("rootfs.tar");
    layer_through_file(&path, strip, store, layer_options, |output| {
        let epoch = layer_options.epoch;
        match keep {
            None => filter_tar(reader, output, strip, epoch),
            Some(keep) => filter_tar_with(reader, output, strip, epoch, keep),
        }
        .map(drop)
    })
}

/// Writes a tar into the new temporary file `path` with `write`, turns it
/// into a layer (without its first `strip` path components) and removes the
/// file again.
pub(crate) fn layer_through_file(
    path: &Path,
    strip: usize,
    store: &BlobStore,
    layer_options: &LayerOptions,
    write: impl FnOnce(BufWriter<&mut fs_err::File>) -> std::io::Result<()>,
) -> Result<Layer, BuildError> {
    let mut file = fs_err::File::options()
        .read(true)
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| BuildError::io("create", path, e))?;
    write(BufWriter::new(&mut file))
        .map_err(|e| BuildError::io("write the file system into", path, e))?;
    file.rewind().map_err(|e| BuildError::io("read", path, e))?;
    let layer = layer_from_tar(
        std::io::BufReader::new(file),
        store,
        layer_options,
        &TarInput {
            strip_components: strip,
        },
    )?;
    let _ = std::fs::remove_file(path);
    Ok(layer)
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
