//! Builder projects (`kind = "builder"`): the locked packages go into the
//! base builder's own `/` instead of a separate image root, and the finished
//! container becomes a new builder image.
//!
//! The container runs `emerge --config-root=/staves/cfg` (the generated
//! configuration, so Portage can choose nothing but the locked versions)
//! with `ROOT=/`, appends the manifest's `[env]` variables to the builder's
//! own `/etc/portage/make.conf` (so they stay in effect in the new builder),
//! and reports the builder's architecture, C library and Portage version
//! (`portageq envvar ARCH ELIBC`, `emerge --version`).
//!
//! The image is the container's file system (`docker export`: mounts are
//! never part of it) as one layer, made reproducible the same way image
//! roots are: entries sorted, mtimes clamped to the epoch, the
//! installed-package database's build-machine records rewritten or dropped
//! (see the `rootfs` module), and these dropped: the contents of `/proc`,
//! `/sys`, `/dev`, `/tmp`, `/var/tmp/portage`, the repository mounts under
//! `/var/db/repos`, Portage's caches (`/var/cache/{edb,binpkgs,distfiles,
//! ldconfig}`), `/staves`, the engine's `/etc/{hosts,hostname,resolv.conf}`
//! and `/.dockerenv`, and the emerge logs. The same base and lock give the
//! same digest.

use std::collections::{BTreeMap, VecDeque};
use std::io::{BufWriter, Seek};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::builder::{
    CollectLines, ContainerSpec, EmergeEvent, Engine, ImageInfo, LogStream, compare_plan,
    emerge_event, parse_plan,
};
use crate::image::oci::RuntimeConfig;
use crate::image::{BlobStore, Layer, LayerOptions, TarInput, layer_from_tar};
use crate::lockfile::{Lockfile, Role};
use crate::manifest::Manifest;

use super::BuildReporter;
use super::error::BuildError;
use super::rootfs::filter_tar_with;
use super::run::{CONFIG_ROOT, LOG_TAIL};

/// Label prefix of the facts a builder image carries.
pub const BUILDER_LABEL_PREFIX: &str = "dev.staves.builder.";

/// What lines in the container's output that carry a detected fact start with.
const FACT_PREFIX: &str = "@@staves-fact ";
/// Where the extra files of a builder run are mounted.
const EXTRA_DIR: &str = "/staves/builder";

/// The shell script the builder container runs; `"$@"` is emerge's arguments.
const SCRIPT: &str = r#"set -e
emerge --config-root=/staves/cfg "$@"
mkdir -p /etc/portage
if [ -s /staves/builder/make.conf ]; then cat /staves/builder/make.conf >>/etc/portage/make.conf; fi
printf '@@staves-fact arch=%s\n' "$(PORTAGE_CONFIGROOT=/staves/cfg portageq envvar ARCH)"
printf '@@staves-fact libc=%s\n' "$(PORTAGE_CONFIGROOT=/staves/cfg portageq envvar ELIBC)"
printf '@@staves-fact portage=%s\n' "$(emerge --config-root=/staves/cfg --version | sed -n 's/^Portage \([^ ]*\).*/\1/p')"
"#;

/// What was detected inside a finished builder container.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct BuilderFacts {
    /// The Gentoo architecture keyword (`amd64`).
    pub(crate) arch: String,
    /// The C library (`glibc`, `musl`).
    pub(crate) libc: String,
    /// The Portage version (`3.0.83`).
    pub(crate) portage: String,
}

impl BuilderFacts {
    /// Reads `@@staves-fact key=value` lines.
    fn from_lines<'a>(lines: impl Iterator<Item = &'a str>) -> Self {
        let mut facts = Self::default();
        for line in lines {
            let Some((key, value)) = line
                .strip_prefix(FACT_PREFIX)
                .and_then(|rest| rest.split_once('='))
            else {
                continue;
            };
            let value = value.trim().to_owned();
            match key {
                "arch" => facts.arch = value,
                "libc" => facts.libc = value,
                "portage" => facts.portage = value,
                _ => {}
            }
        }
        facts
    }

    /// The first fact that was not detected, if any.
    fn missing(&self) -> Option<&'static str> {
        [
            ("arch", &self.arch),
            ("libc", &self.libc),
            ("portage", &self.portage),
        ]
        .into_iter()
        .find(|(_, v)| v.is_empty())
        .map(|(k, _)| k)
    }
}

/// Where the facts of a cached builder root are kept (next to the cache).
pub(crate) fn facts_path(cache_dir: &Path, key: &str) -> PathBuf {
    let hex = key.strip_prefix("sha256:").unwrap_or(key);
    cache_dir
        .join("builds/builder-facts")
        .join(format!("{hex}.json"))
}

/// The facts stored for `key`, if any.
pub(crate) fn cached_facts(cache_dir: &Path, key: &str) -> Option<BuilderFacts> {
    let text = fs_err::read(facts_path(cache_dir, key)).ok()?;
    serde_json::from_slice(&text).ok()
}

/// Stores the facts for `key`.
pub(crate) fn store_facts(
    cache_dir: &Path,
    key: &str,
    facts: &BuilderFacts,
) -> Result<(), BuildError> {
    let path = facts_path(cache_dir, key);
    if let Some(dir) = path.parent() {
        fs_err::create_dir_all(dir).map_err(|e| BuildError::io("create", dir, e))?;
    }
    let text = serde_json::to_vec(facts)
        .map_err(|e| BuildError::io("encode", &path, std::io::Error::other(e)))?;
    crate::util::fs::write_atomic(&path, &text).map_err(|e| BuildError::io("write", &path, e))
}

/// `KEY="value"` lines for the builder's own `make.conf` (`\` and `"`
/// escaped, `$` left alone as in a hand-written `make.conf`).
pub(crate) fn make_conf_lines(
    name: &str,
    version: &str,
    vars: &BTreeMap<String, String>,
) -> String {
    if vars.is_empty() {
        return String::new();
    }
    let mut text = format!("\n# Added by the Staves builder project {name} {version}\n");
    for (key, value) in vars {
        let escaped = value.replace('\\', "\\\\").replace('"', "\\\"");
        text.push_str(&format!("{key}=\"{escaped}\"\n"));
    }
    text
}

/// The lock as a builder project sees it: every package goes into the
/// builder's own `/`.
pub(crate) fn builder_view(lock: &Lockfile) -> Lockfile {
    let mut lock = lock.clone();
    for package in &mut lock.packages {
        package.role = Role::Builder;
    }
    lock
}

/// Everything the containers of one builder-project build share.
pub(crate) struct BuilderRun<'a> {
    pub(crate) engine: &'a Engine,
    /// The base builder image.
    pub(crate) image: String,
    pub(crate) build_id: String,
    /// `(host dir, repository name)`, mounted read-only at /var/db/repos/<name>.
    pub(crate) repos: Vec<(PathBuf, String)>,
    /// The generated `etc/portage`.
    pub(crate) config_dir: PathBuf,
    /// Holds `make.conf` (the lines appended to the builder's own).
    pub(crate) extra_dir: PathBuf,
    pub(crate) binpkgs: PathBuf,
    /// `=cat/pkg-ver::repo` of the requested packages.
    pub(crate) targets: Vec<String>,
    /// Atoms kept out of the binary-package cache (`--usepkg-exclude`).
    pub(crate) no_cache: Vec<String>,
    pub(crate) jobs: Option<u32>,
    pub(crate) verbose: bool,
}

impl BuilderRun<'_> {
    fn spec(&self, cmd: Vec<String>) -> ContainerSpec {
        let mut spec = ContainerSpec::new(&self.image, &self.build_id);
        for (dir, name) in &self.repos {
            spec = spec.bind_ro(dir, format!("/var/db/repos/{name}"));
        }
        spec.bind_ro(&self.config_dir, format!("{CONFIG_ROOT}/etc/portage"))
            .bind_ro(&self.extra_dir, EXTRA_DIR)
            .bind_rw(&self.binpkgs, crate::builder::portage_config::PKGDIR)
            .env("LC_ALL", "C.UTF-8")
            .cmd(cmd)
    }

    fn emerge_options(&self, pretend: bool) -> Vec<String> {
        let mut args: Vec<String> = [
            "--usepkg",
            "--binpkg-respect-use=y",
            "--oneshot",
            "--nospinner",
            "--color=n",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        if pretend {
            args.extend(["--pretend".to_owned(), "--verbose".to_owned()]);
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

    /// Runs `emerge --pretend` and compares its plan with the lock (every
    /// package as a builder package).
    pub(crate) fn check_plan(
        &self,
        lock: &Lockfile,
        reporter: &dyn BuildReporter,
    ) -> Result<usize, BuildError> {
        let mut cmd = vec!["emerge".to_owned(), format!("--config-root={CONFIG_ROOT}")];
        cmd.extend(self.emerge_options(true));
        let mut lines = CollectLines::default();
        let outcome = self.engine.run(&self.spec(cmd), &mut lines)?;
        for (_, line) in &lines.0 {
            reporter.log_line(line);
        }
        let all: Vec<&str> = lines.0.iter().map(|(_, l)| l.as_str()).collect();
        if !outcome.success() {
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
        // No merge says `to <root>`: all go into `/`, the builder's root.
        let plan = parse_plan(&all.join("\n"), "/staves/no-image-root");
        let mismatches = compare_plan(&plan, &builder_view(lock));
        if !mismatches.is_empty() {
            return Err(BuildError::PlanMismatch { mismatches });
        }
        Ok(plan.len())
    }

    /// Runs the real emerge into `/`, then exports the container as a layer.
    pub(crate) fn emerge_and_export(
        &self,
        store: &BlobStore,
        layer_options: &LayerOptions,
        scratch: &Path,
        reporter: &dyn BuildReporter,
    ) -> Result<(Layer, BuilderFacts), BuildError> {
        let mut cmd = vec![
            "/bin/sh".to_owned(),
            "-c".to_owned(),
            SCRIPT.to_owned(),
            "staves-builder".to_owned(),
        ];
        cmd.extend(self.emerge_options(false));
        let mut container = self.engine.create(&self.spec(cmd))?;
        let mut tail: VecDeque<String> = VecDeque::with_capacity(LOG_TAIL + 1);
        let mut fact_lines: Vec<String> = Vec::new();
        let mut failed: Option<(String, String)> = None;
        let outcome = container.start_and_wait(&mut |_stream: LogStream, line: &str| {
            if line.starts_with(FACT_PREFIX) {
                fact_lines.push(line.to_owned());
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
                _ => {}
            }
            tail.push_back(line.to_owned());
            if tail.len() > LOG_TAIL {
                tail.pop_front();
            }
        })?;
        if !outcome.success() {
            let (package, phase) = match failed {
                Some((package, phase)) => (package, Some(phase)),
                None => (format!("emerge (exit status {})", outcome.exit_code), None),
            };
            container.remove()?;
            return Err(BuildError::EmergeFailed {
                package,
                phase,
                log_tail: tail.into_iter().collect(),
                log_path: None,
            });
        }
        let facts = BuilderFacts::from_lines(fact_lines.iter().map(String::as_str));
        if let Some(missing) = facts.missing() {
            container.remove()?;
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
        let filtered_path = scratch.join("builder-rootfs.tar");
        let mut filtered = fs_err::File::options()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&filtered_path)
            .map_err(|e| BuildError::io("create", &filtered_path, e))?;
        filter_tar_with(
            reader,
            BufWriter::new(&mut filtered),
            0,
            layer_options.epoch,
            &keep_in_builder,
        )
        .map_err(|e| BuildError::io("copy the builder's file system into", &filtered_path, e))?;
        container.remove()?;
        filtered
            .rewind()
            .map_err(|e| BuildError::io("read", &filtered_path, e))?;
        let layer = layer_from_tar(
            std::io::BufReader::new(filtered),
            store,
            layer_options,
            &TarInput {
                strip_components: 0,
            },
        )?;
        let _ = std::fs::remove_file(&filtered_path);
        Ok((layer, facts))
    }
}

/// Builds the builder's file system: writes the `make.conf` lines, checks
/// Portage's plan against the lock, emerges and exports. Returns the layer,
/// the number of merges and the detected facts.
pub(crate) fn build_root(
    run: &BuilderRun<'_>,
    manifest: &Manifest,
    lock: &Lockfile,
    store: &BlobStore,
    layer_options: &LayerOptions,
    scratch: &Path,
    reporter: &dyn BuildReporter,
) -> Result<(Layer, usize, BuilderFacts), BuildError> {
    fs_err::create_dir_all(&run.extra_dir)
        .map_err(|e| BuildError::io("create", &run.extra_dir, e))?;
    let make_conf = run.extra_dir.join("make.conf");
    let version = manifest
        .version
        .as_ref()
        .map_or("", |v| v.get_ref().as_str());
    let lines = make_conf_lines(manifest.name.get_ref(), version, &manifest.env.vars);
    fs_err::write(&make_conf, lines).map_err(|e| BuildError::io("write", &make_conf, e))?;
    reporter.status("Checking", "Portage's plan against staves.lock");
    let merges = run.check_plan(lock, reporter)?;
    reporter.emerge_start(merges);
    let result = run.emerge_and_export(store, layer_options, scratch, reporter);
    reporter.emerge_end();
    let (layer, facts) = result?;
    Ok((layer, merges, facts))
}

/// Whether `path` (relative to `/`) of an exported builder container
/// belongs in the builder image (see the module documentation).
pub(crate) fn keep_in_builder(path: &str) -> bool {
    let path = path.trim_start_matches("./").trim_end_matches('/');
    const EMPTIED: [&str; 12] = [
        "proc/",
        "sys/",
        "dev/",
        "tmp/",
        "var/tmp/portage/",
        "var/db/repos/",
        "var/cache/edb/",
        "var/cache/binpkgs/",
        "var/cache/distfiles/",
        "var/cache/ldconfig/",
        "staves/",
        "run/staves/",
    ];
    if EMPTIED.iter().any(|dir| path.starts_with(dir)) {
        return false;
    }
    !matches!(
        path,
        "staves"
            | ".dockerenv"
            | "etc/hosts"
            | "etc/hostname"
            | "etc/resolv.conf"
            | "var/log/emerge.log"
            | "var/log/emerge-fetch.log"
            | "var/log/portage"
    ) && !path.starts_with("var/log/portage/")
}

/// The new builder's runtime configuration: the base image's (environment,
/// command, user, …) with `[image]` environment entries on top, and labels:
/// the base's, then `org.opencontainers.image.*`, the lock checksum, the
/// `dev.staves.builder.*` facts, then the manifest's own labels (which can
/// override a detected fact).
#[allow(clippy::too_many_arguments)]
pub(crate) fn runtime_config(
    manifest: &Manifest,
    base_ref: &str,
    base: &ImageInfo,
    mut runtime: RuntimeConfig,
    tag: &str,
    epoch: u64,
    lock: &Lockfile,
    lock_checksum: &str,
    facts: &BuilderFacts,
) -> RuntimeConfig {
    for (key, value) in &manifest.image.env {
        runtime
            .env
            .retain(|e| e.split_once('=').map(|(k, _)| k) != Some(key));
        runtime.env.push(format!("{key}={value}"));
    }
    let name = manifest.name.get_ref();
    let mut labels: BTreeMap<String, String> = runtime
        .labels
        .into_iter()
        .filter(|(k, _)| {
            !k.starts_with(BUILDER_LABEL_PREFIX) && !k.starts_with("org.opencontainers.image.")
        })
        .collect();
    let mut set = |k: &str, v: &str| {
        labels.insert(k.to_owned(), v.to_owned());
    };
    set("org.opencontainers.image.title", name);
    set("org.opencontainers.image.version", tag);
    set(
        "org.opencontainers.image.created",
        &crate::image::oci::rfc3339(epoch),
    );
    if let Some(description) = &manifest.description {
        set("org.opencontainers.image.description", description);
    }
    set(super::LOCK_CHECKSUM_LABEL, lock_checksum);
    let b = BUILDER_LABEL_PREFIX;
    set(&format!("{b}name"), name);
    set(&format!("{b}version"), tag);
    set(&format!("{b}arch"), &facts.arch);
    set(&format!("{b}libc"), &facts.libc);
    set(&format!("{b}portage"), &facts.portage);
    set(&format!("{b}profile"), &lock.profile);
    set(&format!("{b}base"), &format!("{base_ref}@{}", base.id));
    if let (Some(base_name), Some(base_version)) = (
        base.labels.get(&format!("{b}name")),
        base.labels.get(&format!("{b}version")),
    ) {
        set(&format!("{b}base.name"), base_name);
        set(&format!("{b}base.version"), base_version);
    }
    labels.extend(manifest.labels());
    runtime.labels = labels;
    runtime
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn facts_come_from_marked_lines() {
        let lines = [
            "@@staves-fact arch=amd64",
            ">>> Emerging (1 of 1) a/b-1::x",
            "@@staves-fact libc=glibc",
            "@@staves-fact portage=3.0.83",
        ];
        let facts = BuilderFacts::from_lines(lines.into_iter());
        assert_eq!(facts.arch, "amd64");
        assert_eq!(facts.libc, "glibc");
        assert_eq!(facts.portage, "3.0.83");
        assert_eq!(facts.missing(), None);
        let partial = BuilderFacts::from_lines(["@@staves-fact arch=amd64"].into_iter());
        assert_eq!(partial.missing(), Some("libc"));
    }

    #[test]
    fn the_export_loses_mounts_and_engine_files_only() {
        for dropped in [
            "proc/self",
            "dev/null",
            "staves",
            "staves/cfg/etc/portage/make.conf",
            "var/db/repos/gentoo/profiles/repo_name",
            "var/cache/binpkgs/Packages",
            "var/cache/edb/counter",
            "etc/hosts",
            "etc/resolv.conf",
            ".dockerenv",
            "var/log/emerge.log",
            "tmp/x",
        ] {
            assert!(!keep_in_builder(dropped), "{dropped}");
        }
        for kept in [
            "proc",
            "dev",
            "tmp",
            "var/db/repos",
            "var/db/pkg/app-misc/hello-2.0/CONTENTS",
            "var/cache/debconf/config.dat",
            "etc/portage/make.conf",
            "usr/bin/emerge",
            "etc/hosts.allow",
        ] {
            assert!(keep_in_builder(kept), "{kept}");
        }
    }

    #[test]
    fn make_conf_lines_escape_quotes() {
        let vars = BTreeMap::from([
            ("PYTHON_TARGETS".to_owned(), "python3_12".to_owned()),
            ("X".to_owned(), "a \"b\" ${Y}".to_owned()),
        ]);
        assert_eq!(
            make_conf_lines("b", "1.0.0", &vars),
            "\n# Added by the Staves builder project b 1.0.0\nPYTHON_TARGETS=\"python3_12\"\nX=\"a \\\"b\\\" ${Y}\"\n"
        );
        assert_eq!(make_conf_lines("b", "1.0.0", &BTreeMap::new()), "");
    }
}
