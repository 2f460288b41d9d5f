//! Portage's plan (`emerge --pretend --verbose --color=n`) checked against
//! the lock, and the progress and failure lines of a real emerge.
//!
//! A plan line looks like
//! `[ebuild  N    #] sys-libs/readline-8.2_p13-r1:0/8::gentoo to /staves/root/ USE="unicode -static-libs" 0 KiB`:
//! `to <root>` appears for merges into the image root only (merges into the
//! builder's own `/` carry none), the slot only when it is not `0`.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use crate::gentoo::Cpv;
use crate::lockfile::Lockfile;

/// One merge of Portage's plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedMerge {
    /// `ebuild` (built from source) or `binary` (from the package cache).
    pub kind: String,
    /// `category/package`.
    pub name: String,
    /// The full version.
    pub version: String,
    /// The repository.
    pub repository: String,
    /// Whether it goes into the image root (else into the builder's `/`).
    pub into_image: bool,
    /// USE flags Portage enables (from `USE="…"`; forced/masked ones too).
    pub use_enabled: BTreeSet<String>,
    /// USE flags Portage disables.
    pub use_disabled: BTreeSet<String>,
}

/// Parses the merge lines of `emerge --pretend --verbose --color=n` output;
/// other lines are ignored. `image_root` is the `--root` (e.g. `/staves/root`).
pub fn parse_plan(output: &str, image_root: &str) -> Vec<PlannedMerge> {
    let root = image_root.trim_end_matches('/');
    output
        .lines()
        .filter_map(|line| parse_line(line, root))
        .collect()
}

/// The total of `Size of downloads: N KiB` in Portage's plan summary: what
/// the merges still have to fetch (distfiles missing from `DISTDIR`).
/// Portage rounds up, so `Some(0)` means nothing to fetch; `None` when the
/// summary line is missing.
pub fn download_kib(output: &str) -> Option<u64> {
    let line = output
        .lines()
        .rev()
        .find_map(|l| l.split_once("Size of downloads:"))?;
    let number = line.1.trim().strip_suffix("KiB")?.trim();
    number
        .chars()
        .filter(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .ok()
}

fn parse_line(line: &str, root: &str) -> Option<PlannedMerge> {
    let rest = line.strip_prefix('[')?;
    let (flags, rest) = rest.split_once(']')?;
    let kind = flags.split_whitespace().next()?;
    if kind != "ebuild" && kind != "binary" {
        return None;
    }
    let mut words = rest.split_whitespace();
    let package = words.next()?;
    let (cpv_slot, repository) = package.split_once("::")?;
    let cpv_text = cpv_slot.split(':').next()?;
    // Binary packages carry a build id (`busybox-1.36.1-2`, from
    // FEATURES=binpkg-multi-instance).
    let without_build_id = (kind == "binary")
        .then(|| cpv_text.rsplit_once('-'))
        .flatten()
        .filter(|(_, id)| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|(head, _)| head.parse::<Cpv>().ok());
    let cpv: Cpv = match without_build_id {
        Some(cpv) => cpv,
        None => cpv_text.parse().ok()?,
    };
    let tail: Vec<&str> = words.collect();
    let into_image = tail
        .windows(2)
        .any(|w| w[0] == "to" && w[1].trim_end_matches('/') == root);
    let (use_enabled, use_disabled) = parse_use(rest);
    Some(PlannedMerge {
        kind: kind.to_owned(),
        name: cpv.name.to_string(),
        version: cpv.version.to_string(),
        repository: repository.to_owned(),
        into_image,
        use_enabled,
        use_disabled,
    })
}

/// The flags of `USE="a -b (c) -d% e*"`.
fn parse_use(rest: &str) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut enabled = BTreeSet::new();
    let mut disabled = BTreeSet::new();
    if let Some(start) = rest.find(" USE=\"") {
        let body = &rest[start + 6..];
        let body = body.split('"').next().unwrap_or("");
        for word in body.split_whitespace() {
            let flag = word.trim_matches(|c| matches!(c, '(' | ')' | '{' | '}'));
            let flag = flag.trim_end_matches(['%', '*']);
            match flag.strip_prefix('-') {
                Some(off) => disabled.insert(off.to_owned()),
                None => enabled.insert(flag.to_owned()),
            };
        }
    }
    (enabled, disabled)
}

/// One way Portage's plan and the lock disagree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mismatch {
    /// Portage would install a package (version) the lock does not have there.
    NotLocked {
        /// `cat/pkg-ver::repo`.
        package: String,
        /// `image` or `builder`.
        root: &'static str,
        /// What the lock has for that name there, if anything.
        locked: Option<String>,
    },
    /// A locked image package that Portage would not install into the image.
    Missing {
        /// `cat/pkg-ver::repo`.
        package: String,
    },
    /// The same package with different USE flags.
    Use {
        /// `cat/pkg-ver`.
        package: String,
        /// The root (`image` or `builder`).
        root: &'static str,
        /// `+flag`/`-flag` as the lock has them, where Portage differs.
        lock: Vec<String>,
        /// The same flags as Portage has them.
        portage: Vec<String>,
    },
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Mismatch::NotLocked {
                package,
                root,
                locked: Some(locked),
            } => write!(
                f,
                "Portage would install {package} into the {root}; staves.lock has {locked} there"
            ),
            Mismatch::NotLocked {
                package,
                root,
                locked: None,
            } => write!(
                f,
                "Portage would install {package} into the {root}; staves.lock does not have it there"
            ),
            Mismatch::Missing { package } => write!(
                f,
                "staves.lock puts {package} into the image; Portage would not install it"
            ),
            Mismatch::Use {
                package,
                root,
                lock,
                portage,
            } => write!(
                f,
                "{package} ({root}): staves.lock has USE=\"{}\", Portage \"{}\"",
                lock.join(" "),
                portage.join(" ")
            ),
        }
    }
}

/// Compares Portage's plan with the lock: every image merge must be a
/// locked image package (same version and repository, same USE flags where
/// both know the flag); every builder merge must be a locked builder
/// package (builder packages that are already installed may be absent);
/// every locked image package must be merged into the image.
pub fn compare(plan: &[PlannedMerge], lock: &Lockfile) -> Vec<Mismatch> {
    let mut mismatches = Vec::new();
    let mut image_merged = BTreeSet::new();
    for merge in plan {
        let (root, in_root): (&'static str, fn(crate::lockfile::Role) -> bool) = if merge.into_image
        {
            ("image", |r| r.in_image())
        } else {
            ("builder", |r| r.in_builder())
        };
        let candidates: Vec<_> = lock
            .packages
            .iter()
            .filter(|p| p.name == merge.name && in_root(p.role))
            .collect();
        let package = format!("{}-{}::{}", merge.name, merge.version, merge.repository);
        let Some(locked) = candidates
            .iter()
            .find(|p| p.version == merge.version && p.repository == merge.repository)
        else {
            mismatches.push(Mismatch::NotLocked {
                package,
                root,
                locked: (!candidates.is_empty()).then(|| {
                    candidates
                        .iter()
                        .map(|p| format!("{}::{}", p.cpv(), p.repository))
                        .collect::<Vec<_>>()
                        .join(", ")
                }),
            });
            continue;
        };
        if merge.into_image {
            image_merged.insert(locked.cpv());
        }
        let lock_flags: BTreeMap<&str, bool> = locked
            .use_flags
            .iter()
            .map(|f| match f.strip_prefix('-') {
                Some(off) => (off, false),
                None => (f.as_str(), true),
            })
            .collect();
        let (mut lock_diff, mut portage_diff) = (Vec::new(), Vec::new());
        for (flag, on) in &lock_flags {
            let portage_on = if merge.use_enabled.contains(*flag) {
                true
            } else if merge.use_disabled.contains(*flag) {
                false
            } else {
                continue;
            };
            if portage_on != *on {
                let sign = |b: bool| if b { "+" } else { "-" };
                lock_diff.push(format!("{}{flag}", sign(*on)));
                portage_diff.push(format!("{}{flag}", sign(portage_on)));
            }
        }
        if !lock_diff.is_empty() {
            mismatches.push(Mismatch::Use {
                package: locked.cpv(),
                root,
                lock: lock_diff,
                portage: portage_diff,
            });
        }
    }
    for p in lock.packages.iter().filter(|p| p.role.in_image()) {
        if !image_merged.contains(&p.cpv()) {
            mismatches.push(Mismatch::Missing {
                package: format!("{}::{}", p.cpv(), p.repository),
            });
        }
    }
    mismatches
}

/// What one line of a real emerge's output says about its progress.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EmergeEvent {
    /// `>>> Emerging (N of M) cat/pkg-ver::repo [for /root/]` (also
    /// `Emerging binary`).
    Started {
        /// N.
        index: usize,
        /// M.
        total: usize,
        /// `cat/pkg-ver::repo`.
        package: String,
        /// Whether it comes from the binary-package cache.
        binary: bool,
    },
    /// `!!! ERROR: cat/pkg-ver::repo failed (compile phase):` (or
    /// ` * ERROR: …` as in build logs).
    Failed {
        /// `cat/pkg-ver::repo`.
        package: String,
        /// `compile`, `install`, ….
        phase: String,
    },
    /// ` * The complete build log is located at '/var/tmp/portage/…/build.log'.`
    BuildLog {
        /// The log's path in the builder.
        path: String,
    },
}

/// Recognises progress and failure lines of an emerge.
pub fn emerge_event(line: &str) -> Option<EmergeEvent> {
    let line = line.trim_end();
    if let Some(rest) = line.strip_prefix(">>> Emerging ") {
        let (binary, rest) = match rest.strip_prefix("binary ") {
            Some(r) => (true, r),
            None => (false, rest),
        };
        let rest = rest.strip_prefix('(')?;
        let (counts, package) = rest.split_once(") ")?;
        let (index, total) = counts.split_once(" of ")?;
        return Some(EmergeEvent::Started {
            index: index.trim().parse().ok()?,
            total: total.trim().parse().ok()?,
            package: package.split_whitespace().next()?.to_owned(),
            binary,
        });
    }
    let error = line
        .strip_prefix("!!! ERROR: ")
        .or_else(|| line.trim_start().strip_prefix("* ERROR: "));
    if let Some(rest) = error {
        let (package, rest) = rest.split_once(" failed (")?;
        let phase = rest.split_once(" phase")?.0;
        return Some(EmergeEvent::Failed {
            package: package.to_owned(),
            phase: phase.to_owned(),
        });
    }
    let marker = "The complete build log is located at '";
    if let Some(i) = line.find(marker) {
        let rest = &line[i + marker.len()..];
        let path = rest.split('\'').next()?;
        return Some(EmergeEvent::BuildLog {
            path: path.to_owned(),
        });
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lockfile::{LockedPackage, Role};

    // Verbatim from Portage 3.0.83 in the test builder (staves-demo, hello-2.0).
    const PLAN: &str = "\
These are the packages that would be merged, in order:

Calculating dependencies ... done!
[ebuild  N    #] sys-apps/busybox-1.36.1::staves-demo to /staves/root/ 0 KiB
[ebuild  N    #] sys-apps/busybox-1.36.1::staves-demo  0 KiB
[ebuild  N    #] sys-libs/readline-8.2_p13-r1:0/8::staves-demo to /staves/root/ USE=\"unicode -static-libs\" 0 KiB
[ebuild  N    #] dev-util/gperf-3.1-r2::staves-demo  0 KiB
[binary  N    #] app-shells/bash-5.2_p37-r4-1::staves-demo to /staves/root/ USE=\"nls (readline) -foo%\" 0 KiB

Total: 5 packages (5 new), Size of downloads: 0 KiB
";

    fn pkg(name: &str, version: &str, role: Role, use_flags: &[&str]) -> LockedPackage {
        LockedPackage {
            name: name.into(),
            version: version.into(),
            slot: "0".into(),
            subslot: "0".into(),
            repository: "staves-demo".into(),
            role,
            use_flags: use_flags.iter().map(|s| (*s).to_owned()).collect(),
            ebuild: None,
            dependencies: Vec::new(),
        }
    }

    fn lock() -> Lockfile {
        Lockfile {
            packages: vec![
                pkg(
                    "app-shells/bash",
                    "5.2_p37-r4",
                    Role::Image,
                    &["nls", "readline"],
                ),
                pkg("dev-util/gperf", "3.1-r2", Role::Builder, &[]),
                pkg("sys-apps/busybox", "1.36.1", Role::Both, &[]),
                pkg(
                    "sys-libs/readline",
                    "8.2_p13-r1",
                    Role::Image,
                    &["-static-libs", "unicode"],
                ),
            ],
            ..Lockfile::default()
        }
    }

    #[test]
    fn reads_the_download_size() {
        assert_eq!(download_kib(PLAN), Some(0));
        assert_eq!(
            download_kib("Total: 2 packages (2 new), Size of downloads: 12,345 KiB\n"),
            Some(12345)
        );
        assert_eq!(download_kib("no summary"), None);
    }

    #[test]
    fn parses_plan_lines() {
        let plan = parse_plan(PLAN, "/staves/root");
        assert_eq!(plan.len(), 5);
        assert_eq!(plan[0].name, "sys-apps/busybox");
        assert!(plan[0].into_image);
        assert!(!plan[1].into_image);
        assert_eq!(plan[2].version, "8.2_p13-r1");
        assert_eq!(plan[2].use_enabled, BTreeSet::from(["unicode".to_owned()]));
        assert_eq!(
            plan[2].use_disabled,
            BTreeSet::from(["static-libs".to_owned()])
        );
        assert_eq!(plan[4].kind, "binary");
        assert_eq!(plan[4].version, "5.2_p37-r4");
        assert!(plan[4].use_enabled.contains("readline"));
        assert!(plan[4].use_disabled.contains("foo"));
    }

    #[test]
    fn an_agreeing_plan_has_no_mismatch() {
        assert_eq!(compare(&parse_plan(PLAN, "/staves/root/"), &lock()), []);
    }

    #[test]
    fn disagreements_are_named() {
        let mut lock = lock();
        lock.packages[0].version = "5.3_p3".into();
        lock.packages[1].role = Role::Image;
        lock.packages[3].use_flags = vec!["static-libs".into(), "unicode".into()];
        let text: Vec<String> = compare(&parse_plan(PLAN, "/staves/root"), &lock)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            text,
            [
                "sys-libs/readline-8.2_p13-r1 (image): staves.lock has USE=\"+static-libs\", Portage \"-static-libs\"",
                "Portage would install dev-util/gperf-3.1-r2::staves-demo into the builder; staves.lock does not have it there",
                "Portage would install app-shells/bash-5.2_p37-r4::staves-demo into the image; staves.lock has app-shells/bash-5.3_p3::staves-demo there",
                "staves.lock puts app-shells/bash-5.3_p3::staves-demo into the image; Portage would not install it",
                "staves.lock puts dev-util/gperf-3.1-r2::staves-demo into the image; Portage would not install it",
            ]
        );
    }

    #[test]
    fn recognises_progress_and_failures() {
        assert_eq!(
            emerge_event(
                ">>> Emerging (3 of 13) sys-libs/demo-glibc-2.40::staves-demo for /staves/root/"
            ),
            Some(EmergeEvent::Started {
                index: 3,
                total: 13,
                package: "sys-libs/demo-glibc-2.40::staves-demo".into(),
                binary: false
            })
        );
        assert!(matches!(
            emerge_event(">>> Emerging binary (1 of 2) app-misc/hello-2.0::staves-demo"),
            Some(EmergeEvent::Started {
                binary: true,
                index: 1,
                ..
            })
        ));
        assert_eq!(
            emerge_event("!!! ERROR: app-misc/broken-1.0::staves-demo failed (compile phase):"),
            Some(EmergeEvent::Failed {
                package: "app-misc/broken-1.0::staves-demo".into(),
                phase: "compile".into()
            })
        );
        assert_eq!(
            emerge_event(
                " * The complete build log is located at '/var/tmp/portage/app-misc/broken-1.0/temp/build.log'."
            ),
            Some(EmergeEvent::BuildLog {
                path: "/var/tmp/portage/app-misc/broken-1.0/temp/build.log".into()
            })
        );
        assert_eq!(
            emerge_event(" * ERROR: app-misc/broken-1.0::staves-demo failed (compile phase):"),
            Some(EmergeEvent::Failed {
                package: "app-misc/broken-1.0::staves-demo".into(),
                phase: "compile".into()
            })
        );
        assert_eq!(emerge_event(">>> Installing (1 of 2) x/y-1::r"), None);
    }
}
