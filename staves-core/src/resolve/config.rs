//! The effective configuration: the profile stack plus the manifest's
//! make.conf variables and per-package settings. Answers the questions the
//! resolver asks about one package version: is it masked, are its KEYWORDS
//! and LICENSE accepted, and which USE flags are enabled.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use crate::gentoo::IuseFlag;
use crate::gentoo::atom::Atom;
use crate::gentoo::name::Cpv;
use crate::gentoo::profile::{
    LineOrigin, ListedAtom, ProfileStack, apply_incremental as apply_tokens, profiles_desc,
};

use super::error::ResolveError;
use super::license;
use super::model;
use super::penv::{PackageEnv, ordered_matches};
use super::{NamedEnv, PackageIndex, ResolveRequest};

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
    masks: Vec<ListedAtom>,
    unmasks: Vec<ListedAtom>,
    accept_license: license::Accept,
    license_tokens: Vec<String>,
    license_groups: BTreeMap<String, Vec<String>>,
    profile_use: Vec<String>,
    profile_package_use: Vec<PkgLine>,
    conf_use: Vec<String>,
    conf_expand: Vec<(String, Vec<String>)>,
    /// The USE_EXPAND variables a named environment may set.
    env_expand_vars: Vec<String>,
    manifest_use: Vec<(Atom, Vec<String>)>,
    package_env: Vec<(Atom, Vec<NamedEnv>)>,
    use_mask: BTreeSet<String>,
    use_force: BTreeSet<String>,
    package_use_mask: Vec<PkgLine>,
    package_use_force: Vec<PkgLine>,
    implicit: Arc<BTreeSet<String>>,
    /// Profile lines skipped as invalid (Portage skips them with a
    /// warning), as sentences naming the file and line.
    pub(crate) warnings: Vec<String>,
}

/// Applies incremental tokens (`flag`, `-flag`, `-*`, `-prefix_*`) to
/// `set`, as Portage stacks USE and ACCEPT_KEYWORDS layers.
fn apply_incremental(set: &mut BTreeSet<String>, tokens: &[String]) {
    apply_tokens(set, tokens.iter().map(String::as_str), true);
}

fn split(s: Option<&String>) -> Vec<String> {
    s.map(|v| v.split_whitespace().map(str::to_owned).collect())
        .unwrap_or_default()
}

/// Loads the profile of `req`: `req.profile`, or the first `stable` amd64
/// entry of the main repository's `profiles/profiles.desc`, with the
/// repository-level masks and license groups of every configured
/// repository.
///
/// # Errors
/// Unknown main repository, no default profile, or a profile that does
/// not load (see [`ProfileError`](crate::gentoo::ProfileError)).
fn load_profile(index: &PackageIndex, req: &ResolveRequest) -> Result<ProfileStack, ResolveError> {
    let main = &req.main_repo;
    let Some(main_idx) = index.repo_index(main) else {
        return Err(ResolveError::config(
            format!("the main repository {main} is not among the configured repositories"),
            Some("add it to [repositories] or fix main_repo".to_owned()),
        ));
    };
    let profile_err = |profile: &str| {
        let (repo, profile) = (main.clone(), profile.to_owned());
        move |source| ResolveError::Profile {
            repo,
            profile,
            source: Box::new(source),
        }
    };
    let path = match &req.profile {
        Some(p) => p.trim_matches('/').to_owned(),
        None => profiles_desc(index.repos()[main_idx].files.as_ref())
            .map_err(profile_err("(default)"))?
            .into_iter()
            .find(|d| d.arch == "amd64" && d.status == "stable")
            .map(|d| d.path)
            .ok_or_else(|| {
                ResolveError::config(
                    format!("{main}'s profiles/profiles.desc lists no stable amd64 profile"),
                    Some("set profile = \"…\" in the manifest".to_owned()),
                )
            })?,
    };
    let files = |name: &str| {
        index
            .repo_index(name)
            .map(|i| Arc::clone(&index.repos()[i].files))
    };
    let all: Vec<&str> = index.repos().iter().map(|r| r.name.as_str()).collect();
    ProfileStack::load_with_repos(&files, main, &path, &all).map_err(profile_err(&path))
}

impl Config {
    /// Loads the profile and combines it with the request's settings.
    ///
    /// # Errors
    /// Unknown main repository, unreadable or malformed profile files, an
    /// invalid atom in the per-package settings.
    pub(crate) fn load(index: &PackageIndex, req: &ResolveRequest) -> Result<Self, ResolveError> {
        let profile = load_profile(index, req)?;
        let arch = profile.arch().unwrap_or_default().to_owned();

        let mut accept_keywords = BTreeSet::new();
        apply_incremental(&mut accept_keywords, &profile.accept_keywords());
        apply_incremental(
            &mut accept_keywords,
            &split(req.make_conf.get("ACCEPT_KEYWORDS")),
        );

        let mut package_keywords = lines(&profile.package_accept_keywords);
        let mut manifest_use = Vec::new();
        let mut package_env = Vec::new();
        for s in &req.package_settings {
            if !s.keywords.is_empty() {
                package_keywords.push(PkgLine {
                    atom: s.atom.clone(),
                    words: s.keywords.clone(),
                });
            }
            if !s.use_flags.is_empty() {
                manifest_use.push((s.atom.clone(), s.use_flags.clone()));
            }
            if !s.env.is_empty() {
                package_env.push((s.atom.clone(), s.env.clone()));
            }
        }

        // make.conf USE_EXPAND variables replace the profile's values
        // (except PROFILE_ONLY_VARIABLES).
        let use_expand = profile.var_words("USE_EXPAND");
        let profile_only = profile.var_words("PROFILE_ONLY_VARIABLES");
        let env_expand_vars: Vec<String> = use_expand
            .iter()
            .filter(|k| !profile_only.contains(*k))
            .cloned()
            .collect();
        let conf_expand = req
            .make_conf
            .iter()
            .filter(|(k, _)| env_expand_vars.contains(*k))
            .map(|(k, v)| {
                (
                    format!("{}_", k.to_lowercase()),
                    v.split_whitespace().map(str::to_owned).collect(),
                )
            })
            .collect();

        let mut license_tokens = profile.var_words("ACCEPT_LICENSE");
        license_tokens.extend(split(req.make_conf.get("ACCEPT_LICENSE")));
        let accept_license = license::Accept::new(&license_tokens, &profile.license_groups);

        Ok(Self {
            arch,
            accept_keywords,
            package_keywords,
            accept_license,
            license_tokens,
            license_groups: profile.license_groups.clone(),
            env_expand_vars,
            package_env,
            conf_use: split(req.make_conf.get("USE")),
            conf_expand,
            manifest_use,
            profile_package_use: lines(&profile.package_use),
            package_use_mask: lines(&profile.package_use_mask),
            package_use_force: lines(&profile.package_use_force),
            implicit: Arc::new(profile.implicit_use_flags()),
            warnings: profile.warnings.iter().map(ToString::to_string).collect(),
            profile: profile.path,
            masks: profile.package_mask,
            unmasks: profile.package_unmask,
            profile_use: profile.use_tokens,
            use_mask: profile.use_mask,
            use_force: profile.use_force,
        })
    }

    /// The `package.mask` line masking `pkg`, unless unmasked.
    pub(crate) fn mask(&self, pkg: PkgRef<'_>) -> Option<LineOrigin> {
        let mask = self.masks.iter().rev().find(|m| pkg.matches(&m.atom))?;
        if self.unmasks.iter().any(|u| pkg.matches(&u.atom)) {
            return None;
        }
        Some(mask.origin.clone())
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

    /// The variables of the named environments of `pkg` that matter for
    /// resolution.
    fn package_env(&self, pkg: PkgRef<'_>) -> PackageEnv {
        PackageEnv::combine(
            ordered_matches(&self.package_env, pkg).flatten(),
            &self.env_expand_vars,
        )
    }

    /// The licenses of `license` (a LICENSE spec evaluated with `use_state`)
    /// that `pkg` may not use (ACCEPT_LICENSE, with its named
    /// environments' ACCEPT_LICENSE on top); empty when acceptable.
    pub(crate) fn rejected_licenses(
        &self,
        pkg: PkgRef<'_>,
        license: &str,
        use_state: &UseState,
    ) -> Vec<String> {
        let enabled = |f: &str| use_state.enabled.contains(f);
        match self.package_env(pkg).accept_license {
            Some(extra) => {
                let mut tokens = self.license_tokens.clone();
                tokens.extend(extra);
                let accept = license::Accept::new(&tokens, &self.license_groups);
                license::rejected(license, &accept, &enabled)
            }
            None => license::rejected(license, &self.accept_license, &enabled),
        }
    }

    /// The USE configuration of `pkg` with the given `IUSE` entries.
    pub(crate) fn use_state(&self, pkg: PkgRef<'_>, iuse: &[IuseFlag]) -> UseState {
        let mut set = BTreeSet::new();
        let mut names = BTreeSet::new();
        for f in iuse {
            if f.default == Some(true) {
                set.insert(f.name.clone());
            }
            names.insert(f.name.clone());
        }
        apply_incremental(&mut set, &self.profile_use);
        for line in self
            .profile_package_use
            .iter()
            .filter(|l| pkg.matches(&l.atom))
        {
            apply_incremental(&mut set, &line.words);
        }
        // Within one layer Portage applies the USE tokens first, then the
        // layer's USE_EXPAND variables replace their flags.
        apply_incremental(&mut set, &self.conf_use);
        replace_expand(&mut set, &self.conf_expand);
        let env = self.package_env(pkg);
        apply_incremental(&mut set, &env.use_tokens);
        for words in ordered_matches(&self.manifest_use, pkg) {
            apply_incremental(&mut set, words);
        }
        replace_expand(&mut set, &env.expand);

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

/// Replaces the flags of each USE_EXPAND variable (`prefix_*`) with its
/// values, as an assignment of the variable does.
fn replace_expand(set: &mut BTreeSet<String>, expand: &[(String, Vec<String>)]) {
    for (prefix, values) in expand {
        set.retain(|f| !f.starts_with(prefix.as_str()));
        set.extend(values.iter().map(|v| format!("{prefix}{v}")));
    }
}

fn lines(v: &[(Atom, Vec<String>)]) -> Vec<PkgLine> {
    v.iter()
        .map(|(atom, words)| PkgLine {
            atom: atom.clone(),
            words: words.clone(),
        })
        .collect()
}
