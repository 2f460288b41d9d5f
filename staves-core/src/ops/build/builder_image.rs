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

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::builder::ImageInfo;
use crate::image::oci::RuntimeConfig;

use crate::lockfile::{Lockfile, Role};
use crate::manifest::Manifest;

use super::error::BuildError;
use super::run::{BuildRun, Target};

/// Label prefix of the facts a builder image carries.
pub const BUILDER_LABEL_PREFIX: &str = "dev.staves.builder.";

/// What lines in the container's output that carry a detected fact start with.
const FACT_PREFIX: &str = "@@staves-fact ";
/// Where the extra files of a builder run are mounted.
pub(crate) const EXTRA_DIR: &str = "/staves/builder";

/// The shell script the builder container runs; `"$@"` is the emerge
/// command line.
pub(crate) const SCRIPT: &str = r#"set -e
"$@"
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
    pub(crate) fn from_lines<'a>(lines: impl Iterator<Item = &'a str>) -> Self {
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
    pub(crate) fn missing(&self) -> Option<&'static str> {
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

/// Whether a line of the builder container's output reports a fact.
pub(crate) fn is_fact(line: &str) -> bool {
    line.starts_with(FACT_PREFIX)
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
pub(crate) fn make_conf_lines(vars: &BTreeMap<String, String>) -> String {
    if vars.is_empty() {
        return String::new();
    }
    // No name or version here: the same lock must give the same bytes
    // whatever version the project is published as.
    let mut text = String::from("\n# Added from [env] of the Staves builder project\n");
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

/// Writes the `make.conf` lines a builder project appends to the builder's
/// own (its `[env]`) into the run's extra directory.
pub(crate) fn write_make_conf(run: &BuildRun<'_>, manifest: &Manifest) -> Result<(), BuildError> {
    let Target::Builder { extra_dir } = &run.target else {
        return Ok(());
    };
    fs_err::create_dir_all(extra_dir).map_err(|e| BuildError::io("create", extra_dir, e))?;
    let make_conf = extra_dir.join("make.conf");
    let lines = make_conf_lines(&manifest.env.vars);
    fs_err::write(&make_conf, lines).map_err(|e| BuildError::io("write", &make_conf, e))
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
            make_conf_lines(&vars),
            "\n# Added from [env] of the Staves builder project\nPYTHON_TARGETS=\"python3_12\"\nX=\"a \\\"b\\\" ${Y}\"\n"
        );
        assert_eq!(make_conf_lines(&BTreeMap::new()), "");
    }
}
