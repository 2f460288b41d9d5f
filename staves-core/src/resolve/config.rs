//! The effective configuration: the profile stack plus the manifest's
//! make.conf variables and per-package settings. Answers the questions the
//! resolver asks about one package version: is it masked, are its KEYWORDS
//! and LICENSE accepted, and which USE flags are enabled.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use crate::gentoo::atom::Atom;
use crate::gentoo::name::Cpv;

use super::error::ResolveError;
use super::license;
use super::model::{self, ProfileView};
use super::{PackageIndex, ResolveRequest};

/// Where a `package.mask` line comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MaskSource {
    /// Repository-relative file path, e.g. `profiles/package.mask`.
    pub(crate) file: String,
    /// 1-based line number.
    pub(crate) line: usize,
}

/// The package a question is about.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PkgRef<'a> {
    pub(crate) cpv: &'a Cpv,
    pub(crate) slot: &'a str,
    pub(crate) subslot: &'a str,
    pub(crate) repo: &'a str,
}

impl PkgRef<'_> {
    pub(crate) fn matches(&self, atom: &Atom) -> bool {
        model::atom_matches(atom, self.cpv, self.slot, self.subslot, self.repo)
    }
}

/// The USE configuration of one package version.
#[derive(Debug, Clone, Default)]
pub(crate) struct UseState {
    /// Enabled flags, restricted to the effective IUSE (explicit and
    /// implicit flags).
    pub(crate) enabled: BTreeSet<String>,
    /// The explicit IUSE names (no `+`/`-`).
    pub(crate) iuse: BTreeSet<String>,
    /// Flags implicitly in every package's IUSE (IUSE_IMPLICIT and the
    /// values of USE_EXPAND_IMPLICIT variables).
    pub(crate) implicit: Arc<BTreeSet<String>>,
    /// Flags masked for this package (use.mask, package.use.mask).
    pub(crate) masked: BTreeSet<String>,
    /// Flags forced for this package (use.force, package.use.force).
    pub(crate) forced: BTreeSet<String>,
}

impl UseState {
    /// Whether `flag` is in the effective IUSE.
    pub(crate) fn has_flag(&self, flag: &str) -> bool {
        self.iuse.contains(flag) || self.implicit.contains(flag)
    }
}

/// A manifest `[packages.x]` setting with its parsed atom.
#[derive(Debug)]
struct PkgLine {
    atom: Atom,
    words: Vec<String>,
}

/// The effective configuration for one resolution.
#[derive(Debug)]
pub(crate) struct Config {
    /// The profile path under the main repository's `profiles/`.
    pub(crate) profile: String,
    /// `ARCH`, e.g. `amd64`.
    pub(crate) arch: String,
    accept_keywords: BTreeSet<String>,
    package_keywords: Vec<PkgLine>,
    masks: Vec<(Atom, MaskSource)>,
    unmasks: Vec<Atom>,
    accept_license: license::Accept,
    profile_use: Vec<String>,
    profile_package_use: Vec<PkgLine>,
    conf_use: Vec<String>,
    conf_expand: Vec<(String, Vec<String>)>,
    manifest_use: Vec<PkgLine>,
    use_mask: BTreeSet<String>,
    use_force: BTreeSet<String>,
    package_use_mask: Vec<PkgLine>,
    package_use_force: Vec<PkgLine>,
    implicit: Arc<BTreeSet<String>>,
}

/// Applies incremental tokens (`flag`, `-flag`, `-*`) to `set`.
pub(crate) fn apply_incremental(set: &mut BTreeSet<String>, tokens: &[String]) {
    for t in tokens {
        if t == "-*" {
            set.clear();
        } else if let Some(flag) = t.strip_prefix('-') {
            set.remove(flag);
        } else {
            set.insert(t.clone());
        }
    }
}

fn split(s: Option<&String>) -> Vec<String> {
    s.map(|v| v.split_whitespace().map(str::to_owned).collect())
        .unwrap_or_default()
}

impl Config {
    /// Loads the profile and combines it with the request's settings.
    ///
    /// # Errors
    /// Unknown main repository, unreadable or malformed profile files, an
    /// invalid atom in the per-package settings.
    pub(crate) fn load(index: &PackageIndex, req: &ResolveRequest) -> Result<Self, ResolveError> {
        let view: ProfileView = model::load_profile(index, req)?;
        let vars = &view.vars;
        let arch = vars.get("ARCH").cloned().unwrap_or_default();

        let mut accept_keywords = BTreeSet::new();
        apply_incremental(&mut accept_keywords, &view.accept_keywords);
        apply_incremental(
            &mut accept_keywords,
            &split(req.make_conf.get("ACCEPT_KEYWORDS")),
        );

        let mut package_keywords: Vec<PkgLine> = view
            .package_accept_keywords
            .into_iter()
            .map(|(atom, words)| PkgLine { atom, words })
            .collect();
        let mut manifest_use = Vec::new();
        for s in &req.package_settings {
            if !s.keywords.is_empty() {
                package_keywords.push(PkgLine {
                    atom: s.atom.clone(),
                    words: s.keywords.clone(),
                });
            }
            if !s.use_flags.is_empty() {
                manifest_use.push(PkgLine {
                    atom: s.atom.clone(),
                    words: s.use_flags.clone(),
                });
            }
        }

        // make.conf USE_EXPAND variables replace the profile's values.
        let use_expand: BTreeSet<String> = split(vars.get("USE_EXPAND")).into_iter().collect();
        let conf_expand = req
            .make_conf
            .iter()
            .filter(|(k, _)| use_expand.contains(*k) && !is_profile_only(vars, k))
            .map(|(k, v)| {
                (
                    format!("{}_", k.to_lowercase()),
                    v.split_whitespace().map(str::to_owned).collect(),
                )
            })
            .collect();

        let mut license_tokens = split(vars.get("ACCEPT_LICENSE"));
        license_tokens.extend(split(req.make_conf.get("ACCEPT_LICENSE")));
        let accept_license = license::Accept::new(&license_tokens, &view.license_groups);

        let implicit = Arc::new(implicit_flags(vars));
        Ok(Self {
            profile: view.path,
            arch,
            accept_keywords,
            package_keywords,
            masks: view.package_mask,
            unmasks: view.package_unmask,
            accept_license,
            profile_use: view.use_tokens,
            profile_package_use: lines(view.package_use),
            conf_use: split(req.make_conf.get("USE")),
            conf_expand,
            manifest_use,
            use_mask: view.use_mask,
            use_force: view.use_force,
            package_use_mask: lines(view.package_use_mask),
            package_use_force: lines(view.package_use_force),
            implicit,
        })
    }

    /// The `package.mask` line masking `pkg`, unless unmasked.
    pub(crate) fn mask(&self, pkg: PkgRef<'_>) -> Option<MaskSource> {
        let (_, src) = self
            .masks
            .iter()
            .rev()
            .find(|(atom, _)| pkg.matches(atom))?;
        if self.unmasks.iter().any(|a| pkg.matches(a)) {
            return None;
        }
        Some(src.clone())
    }

    /// The accepted keywords for `pkg`: ACCEPT_KEYWORDS plus matching
    /// per-package keywords (an empty list means `~ARCH`).
    fn accepted_for(&self, pkg: PkgRef<'_>) -> BTreeSet<String> {
        let mut set = self.accept_keywords.clone();
        for line in self
            .package_keywords
            .iter()
            .filter(|l| pkg.matches(&l.atom))
        {
            if line.words.is_empty() {
                let testing: Vec<String> = set
                    .iter()
                    .filter(|k| !k.starts_with(['~', '-', '*']))
                    .map(|k| format!("~{k}"))
                    .collect();
                set.extend(testing);
            } else {
                apply_incremental(&mut set, &line.words);
            }
        }
        set
    }

    /// Whether the package's KEYWORDS are accepted; on refusal, the keyword
    /// the user should accept (`~amd64`, or `**`).
    pub(crate) fn keywords(&self, pkg: PkgRef<'_>, keywords: &[String]) -> Result<(), String> {
        let accepted = self.accepted_for(pkg);
        let ok = keywords.iter().any(|k| {
            if k.starts_with('-') {
                return false;
            }
            accepted.contains(k)
                || k == "*"
                || (k.starts_with('~') && accepted.contains("~*"))
                || (!k.starts_with('~') && accepted.contains("*"))
        }) || accepted.contains("**");
        if ok {
            return Ok(());
        }
        let testing = format!("~{}", self.arch);
        if keywords.contains(&testing) {
            Err(testing)
        } else {
            Err("**".to_owned())
        }
    }

    /// The licenses of `license` (a LICENSE spec evaluated with `use_state`)
    /// that are not accepted; empty when the package is acceptable.
    pub(crate) fn rejected_licenses(&self, license: &str, use_state: &UseState) -> Vec<String> {
        license::rejected(license, &self.accept_license, &|f| {
            use_state.enabled.contains(f)
        })
    }

    /// The USE configuration of `pkg` with the given raw `IUSE`.
    pub(crate) fn use_state(&self, pkg: PkgRef<'_>, iuse: &str) -> UseState {
        let mut set = BTreeSet::new();
        let mut names = BTreeSet::new();
        for (flag, default) in model::parse_iuse(iuse) {
            if default == Some(true) {
                set.insert(flag.clone());
            }
            names.insert(flag);
        }
        apply_incremental(&mut set, &self.profile_use);
        for line in self
            .profile_package_use
            .iter()
            .filter(|l| pkg.matches(&l.atom))
        {
            apply_incremental(&mut set, &line.words);
        }
        for (prefix, values) in &self.conf_expand {
            set.retain(|f| !f.starts_with(prefix.as_str()));
            set.extend(values.iter().map(|v| format!("{prefix}{v}")));
        }
        apply_incremental(&mut set, &self.conf_use);
        for line in self.manifest_use.iter().filter(|l| pkg.matches(&l.atom)) {
            apply_incremental(&mut set, &line.words);
        }

        let mut masked = self.use_mask.clone();
        for line in self
            .package_use_mask
            .iter()
            .filter(|l| pkg.matches(&l.atom))
        {
            apply_incremental(&mut masked, &line.words);
        }
        let mut forced = self.use_force.clone();
        for line in self
            .package_use_force
            .iter()
            .filter(|l| pkg.matches(&l.atom))
        {
            apply_incremental(&mut forced, &line.words);
        }
        if !self.arch.is_empty() {
            forced.insert(self.arch.clone());
        }
        let state = UseState {
            enabled: BTreeSet::new(),
            iuse: names,
            implicit: Arc::clone(&self.implicit),
            masked,
            forced,
        };
        let mut enabled: BTreeSet<String> = set.into_iter().filter(|f| state.has_flag(f)).collect();
        enabled.extend(state.forced.iter().filter(|f| state.has_flag(f)).cloned());
        enabled.retain(|f| !state.masked.contains(f));
        UseState { enabled, ..state }
    }
}

fn lines(v: Vec<(Atom, Vec<String>)>) -> Vec<PkgLine> {
    v.into_iter()
        .map(|(atom, words)| PkgLine { atom, words })
        .collect()
}

fn is_profile_only(vars: &BTreeMap<String, String>, key: &str) -> bool {
    split(vars.get("PROFILE_ONLY_VARIABLES"))
        .iter()
        .any(|v| v == key)
}

/// IUSE_IMPLICIT plus the values of every USE_EXPAND_IMPLICIT variable
/// (unprefixed for USE_EXPAND_UNPREFIXED ones such as ARCH, prefixed with
/// the lowercase variable name for USE_EXPAND ones).
fn implicit_flags(vars: &BTreeMap<String, String>) -> BTreeSet<String> {
    let mut out: BTreeSet<String> = split(vars.get("IUSE_IMPLICIT")).into_iter().collect();
    let expand: BTreeSet<String> = split(vars.get("USE_EXPAND")).into_iter().collect();
    let unprefixed: BTreeSet<String> = split(vars.get("USE_EXPAND_UNPREFIXED"))
        .into_iter()
        .collect();
    for var in split(vars.get("USE_EXPAND_IMPLICIT")) {
        let values = split(vars.get(&format!("USE_EXPAND_VALUES_{var}")));
        if unprefixed.contains(&var) {
            out.extend(values);
        } else if expand.contains(&var) {
            let prefix = var.to_lowercase();
            out.extend(values.iter().map(|v| format!("{prefix}_{v}")));
        }
    }
    out
}
