//! Profiles: loading a profile stack and combining its files the way
//! Portage 3.0.83 does (gentoo.md §5).
//!
//! [`ProfileStack::load`] resolves the `parent` chain (see
//! `profile_walk`), then reads every node's files and combines them:
//! `make.defaults` variables (see `profile_vars` for the incremental
//! rules and the USE_EXPAND handling), `packages` (the @system set),
//! `package.mask`/`package.unmask`, `use.mask`/`use.force`, `package.use`,
//! `package.use.mask`, `package.use.force`, `package.accept_keywords`,
//! `package.keywords` and (EAPI < 7) `package.provided`. Files may be
//! directories where the node allows it (`portage-1` format or EAPI 7+).
//!
//! Not read: `use.stable.mask`, `use.stable.force`,
//! `package.use.stable.mask`, `package.use.stable.force`, `use.stable`
//! and `package.use.stable` (they only apply to packages accepted through
//! a stable keyword; Staves leaves their effect to Portage in the
//! builder), `profile.bashrc`, `package.bashrc`, `package.env` and the
//! repository-level `profiles/use.mask`-style files (gentoo has none).
//!
//! Lines Portage skips with a warning (invalid atoms or USE flags) are
//! skipped here too and reported in [`ProfileStack::warnings`]; problems
//! Portage treats as fatal (missing parents, unsupported EAPI, unparsable
//! `make.defaults`) are [`ProfileError`]s.

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::sync::Arc;

use super::atom::Atom;
use super::layout::{eapi_at_least, eapi_level};
use super::makedefaults;
use super::pkgfiles::{read_lines, read_texts};
use super::profile_lists::{
    AtomEntry, AtomRules, ListToken, atom_dict, atom_tokens, flag_tokens, stack_atoms,
    stack_strings,
};
pub use super::profile_lists::{LineOrigin, ListedAtom};
use super::profile_vars::combine;
pub use super::profile_vars::{INCREMENTALS, apply_incremental};
use super::profile_walk::{NodeLoc, RepoCtx, Walker};
use super::tree::RepoFiles;

pub use super::profile_desc::{ProfileDesc, default_profile, profiles_desc};
pub use super::profile_error::{ProfileError, ProfileWarning};

/// Atoms with their values (`package.use`-style lines).
type AtomValues = Vec<(Atom, Vec<String>)>;

/// One directory of the stack, with the files whose exact per-package
/// evaluation needs node boundaries (Portage's `getUseMask`/`getUseForce`
/// walk node by node: `use.mask`, then the matching `package.use.mask`
/// lines ordered by atom specificity, then the next node).
#[derive(Debug, Clone)]
pub struct ProfileNode {
    /// Repository name.
    pub repo: String,
    /// Directory from the repository root (`profiles/default/linux`).
    pub path: String,
    /// The node's EAPI (its `eapi` file, or the repository default).
    pub eapi: String,
    /// This node's own `make.defaults` assignments (after expansion).
    pub make_defaults: BTreeMap<String, String>,
    /// `use.mask` tokens (`flag` or `-flag`), in order.
    pub use_mask: Vec<String>,
    /// `use.force` tokens, in order.
    pub use_force: Vec<String>,
    /// `package.use` lines (identical atoms merged).
    pub package_use: Vec<(Atom, Vec<String>)>,
    /// `package.use.mask` lines.
    pub package_use_mask: Vec<(Atom, Vec<String>)>,
    /// `package.use.force` lines.
    pub package_use_force: Vec<(Atom, Vec<String>)>,
}

/// A loaded profile: the nodes in Portage's order and their combined
/// settings, as plain data.
#[derive(Debug, Clone)]
pub struct ProfileStack {
    /// The repository of the requested profile.
    pub repo: String,
    /// The requested profile, relative to `profiles/`.
    pub path: String,
    /// Every node, parents before children (duplicates kept, as Portage).
    pub nodes: Vec<ProfileNode>,
    /// Final `make.defaults` variables; incremental ones evaluated and
    /// space-joined (sorted), USE_EXPAND ones re-derived from the flags,
    /// `USE` = the flags of [`use_flags`](Self::use_flags).
    pub vars: BTreeMap<String, String>,
    /// The profile USE as an incremental token list (negative tokens kept),
    /// for stacking under `make.conf` and `package.use` like Portage's
    /// "defaults" layer.
    pub use_tokens: Vec<String>,
    /// The profile USE flags after evaluating [`use_tokens`](Self::use_tokens).
    pub use_flags: BTreeSet<String>,
    /// The @system set: `*atom` lines of `packages`.
    pub system: Vec<Atom>,
    /// Masked atoms: every included repository's `profiles/package.mask`
    /// (restricted to that repository with `::repo`, masters' masks
    /// included, like Portage) and the nodes' `package.mask`, each with
    /// the line that masks it.
    pub package_mask: Vec<ListedAtom>,
    /// Repository- and profile-level `package.unmask`.
    pub package_unmask: Vec<ListedAtom>,
    /// Global `use.mask` after stacking.
    pub use_mask: BTreeSet<String>,
    /// Global `use.force` after stacking.
    pub use_force: BTreeSet<String>,
    /// All nodes' `package.use` lines, in node order.
    pub package_use: Vec<(Atom, Vec<String>)>,
    /// All nodes' `package.use.mask` lines, in node order.
    pub package_use_mask: Vec<(Atom, Vec<String>)>,
    /// All nodes' `package.use.force` lines, in node order.
    pub package_use_force: Vec<(Atom, Vec<String>)>,
    /// Profile-level `package.accept_keywords` (`atom` with no keywords
    /// means "the testing keyword of each accepted arch").
    pub package_accept_keywords: Vec<(Atom, Vec<String>)>,
    /// Profile-level `package.keywords` (changes a package's KEYWORDS).
    pub package_keywords: Vec<(Atom, Vec<String>)>,
    /// License groups (`profiles/license_groups` of every included
    /// repository; the members of a group defined in several are merged,
    /// as Portage's `LicenseManager` does). Members may name other groups
    /// as `@GROUP`.
    pub license_groups: BTreeMap<String, Vec<String>>,
    /// `package.provided` CPVs from nodes with EAPI < 7 (later EAPIs
    /// forbid the file; Portage then ignores it with a warning).
    pub package_provided: Vec<String>,
    /// The repositories whose `profiles/package.mask` and
    /// `profiles/package.unmask` were included: those of the stack's nodes,
    /// the extra ones passed to [`ProfileStack::load_with_repos`], and
    /// their masters.
    pub repositories: Vec<String>,
    /// Lines skipped as invalid.
    pub warnings: Vec<ProfileWarning>,
}

/// `profiles/default/linux` → `default/linux` (for messages).
pub(crate) fn display_dir(dir: &str) -> &str {
    match dir.strip_prefix("profiles") {
        Some("") => ".",
        Some(rest) if rest.starts_with('/') => &rest[1..],
        _ => dir,
    }
}

fn io_err(repo: &str, path: &str) -> impl FnOnce(io::Error) -> ProfileError {
    let (repo, path) = (repo.to_owned(), path.to_owned());
    move |source| ProfileError::Io { repo, path, source }
}

fn adds(entries: Vec<AtomEntry>) -> Vec<ListToken<AtomEntry>> {
    entries
        .into_iter()
        .map(|e| ListToken::Add(e.text.clone(), e))
        .collect()
}

impl ProfileStack {
    /// Loads profile `path` (relative to `profiles/`) of repository `repo`.
    /// `repos` maps a repository name to its files; it is asked for `repo`,
    /// for repositories named by `repo:path` parents and for masters.
    /// Repository-level masks are read from the stack's repositories and
    /// their masters; use [`load_with_repos`](Self::load_with_repos) to
    /// include other configured repositories as Portage does.
    ///
    /// # Errors
    /// See [`ProfileError`].
    pub fn load(
        repos: &dyn Fn(&str) -> Option<Arc<dyn RepoFiles>>,
        repo: &str,
        path: &str,
    ) -> Result<ProfileStack, ProfileError> {
        Self::load_with_repos(repos, repo, path, &[])
    }

    /// [`load`](Self::load), also reading the repository-level
    /// `profiles/package.mask` and `package.unmask` of `other_repos` (every
    /// configured repository, in Portage).
    ///
    /// # Errors
    /// See [`ProfileError`].
    pub fn load_with_repos(
        repos: &dyn Fn(&str) -> Option<Arc<dyn RepoFiles>>,
        repo: &str,
        path: &str,
        other_repos: &[&str],
    ) -> Result<ProfileStack, ProfileError> {
        let mut walker = Walker::new(repos);
        walker.walk_top(repo, path)?;
        let locs = walker.nodes.clone();
        let mut warnings = Vec::new();

        let mut env: BTreeMap<String, String> = BTreeMap::new();
        let mut nodes = Vec::new();
        let mut lists = NodeLists::default();
        for loc in &locs {
            let ctx = walker.ctx[&loc.repo].clone();
            env.remove("USE");
            let make_defaults = read_make_defaults(&ctx, loc, &mut env)?;
            nodes.push(lists.read(&ctx, loc, make_defaults, &mut warnings)?);
        }
        let combined = combine(
            &nodes
                .iter()
                .map(|n| n.make_defaults.clone())
                .collect::<Vec<_>>(),
        );

        // Repositories whose top-level masks apply.
        let mut names: Vec<String> = Vec::new();
        for n in locs
            .iter()
            .map(|l| l.repo.as_str())
            .chain(other_repos.iter().copied())
        {
            if !names.iter().any(|x| x == n) {
                names.push(n.to_owned());
            }
        }
        let mut i = 0;
        while i < names.len() {
            let ctx = walker.repo(&names[i].clone(), "the repository list")?;
            for m in ctx.layout.masters.iter().flatten() {
                walker.repo(
                    m,
                    &format!(
                        "`masters` in metadata/layout.conf of repository `{}`",
                        ctx.name
                    ),
                )?;
                if !names.contains(m) {
                    names.push(m.clone());
                }
            }
            i += 1;
        }
        let (repo_mask, repo_unmask) = repo_masks(&walker, &names, &mut warnings)?;
        let license_groups = license_groups(&walker, &names)?;

        let profile_mask = stack_atoms(&lists.package_mask, true);
        let profile_unmask = stack_atoms(&lists.package_unmask, true);
        let package_mask = stack_atoms(&[adds(repo_mask), adds(profile_mask)], true);
        let package_unmask = stack_atoms(&[adds(repo_unmask), adds(profile_unmask)], true);
        let system = stack_atoms(&lists.packages, false)
            .into_iter()
            .filter(|e| e.text.starts_with('*'))
            .map(|e| e.atom)
            .collect();
        let set = |v: Vec<String>| v.into_iter().collect::<BTreeSet<_>>();
        let use_mask = set(stack_strings(
            &nodes.iter().map(|n| n.use_mask.clone()).collect::<Vec<_>>(),
        ));
        let use_force = set(stack_strings(
            &nodes
                .iter()
                .map(|n| n.use_force.clone())
                .collect::<Vec<_>>(),
        ));
        let concat = |f: fn(&ProfileNode) -> &AtomValues| {
            nodes
                .iter()
                .flat_map(|n| f(n).iter().cloned())
                .collect::<Vec<_>>()
        };
        Ok(ProfileStack {
            repo: repo.to_owned(),
            path: path.trim_matches('/').to_owned(),
            package_use: concat(|n| &n.package_use),
            package_use_mask: concat(|n| &n.package_use_mask),
            package_use_force: concat(|n| &n.package_use_force),
            nodes,
            vars: combined.vars,
            use_tokens: combined.use_tokens,
            use_flags: combined.use_flags,
            system,
            package_mask: package_mask.into_iter().map(AtomEntry::listed).collect(),
            package_unmask: package_unmask.into_iter().map(AtomEntry::listed).collect(),
            use_mask,
            use_force,
            package_accept_keywords: lists.accept_keywords,
            package_keywords: lists.keywords,
            license_groups,
            package_provided: stack_strings(&lists.provided),
            repositories: names,
            warnings,
        })
    }

    /// The profile USE flags (defaults layer): `USE` plus USE_EXPAND-derived
    /// flags (`python_targets_python3_12`, `elibc_glibc`, `kernel_linux`)
    /// and the `USE_EXPAND_UNPREFIXED` values (the `ARCH` flag, `amd64`).
    /// Masks and forces are not applied; they are per package.
    pub fn use_flags(&self) -> &BTreeSet<String> {
        &self.use_flags
    }

    /// `ARCH`, when the profile sets it.
    pub fn arch(&self) -> Option<&str> {
        self.vars
            .get("ARCH")
            .map(String::as_str)
            .filter(|a| !a.is_empty())
    }

    /// The profile's evaluated `ACCEPT_KEYWORDS` (e.g. `["amd64"]`).
    pub fn accept_keywords(&self) -> Vec<String> {
        self.var_words("ACCEPT_KEYWORDS")
    }

    /// A variable's value split on whitespace (empty when unset).
    pub fn var_words(&self, name: &str) -> Vec<String> {
        self.vars
            .get(name)
            .map(|v| v.split_whitespace().map(str::to_owned).collect())
            .unwrap_or_default()
    }

    /// The flags implicitly in every EAPI 5+ package's IUSE (PMS
    /// IUSE_EFFECTIVE, Portage's `_calc_iuse_effective`): the
    /// `IUSE_IMPLICIT` values (e.g. `prefix`, `prefix-guest`), and for each
    /// variable of `USE_EXPAND_IMPLICIT` its `USE_EXPAND_VALUES_<VAR>`
    /// values — unprefixed when the variable is in `USE_EXPAND_UNPREFIXED`
    /// (`ARCH` → `amd64`, `arm64`…), as `lowercase_var_value` when it is in
    /// `USE_EXPAND` (`ELIBC` → `elibc_glibc`, `KERNEL` → `kernel_linux`).
    /// Before EAPI 5 Portage uses a looser rule (any flag of ARCH,
    /// USE_EXPAND_HIDDEN, masks and forces), which Staves does not model.
    pub fn implicit_use_flags(&self) -> BTreeSet<String> {
        let mut out: BTreeSet<String> = self.var_words("IUSE_IMPLICIT").into_iter().collect();
        let implicit = self.var_words("USE_EXPAND_IMPLICIT");
        for v in self.var_words("USE_EXPAND_UNPREFIXED") {
            if implicit.contains(&v) {
                out.extend(self.var_words(&format!("USE_EXPAND_VALUES_{v}")));
            }
        }
        let expand = self.var_words("USE_EXPAND");
        for v in implicit.iter().filter(|v| expand.contains(v)) {
            let lower = v.to_lowercase();
            for x in self.var_words(&format!("USE_EXPAND_VALUES_{v}")) {
                out.insert(format!("{lower}_{x}"));
            }
        }
        out
    }
}

fn read_make_defaults(
    ctx: &RepoCtx,
    loc: &NodeLoc,
    env: &mut BTreeMap<String, String>,
) -> Result<BTreeMap<String, String>, ProfileError> {
    let path = format!("{}/make.defaults", loc.dir);
    let texts =
        read_texts(ctx.files.as_ref(), &path, loc.allow_dirs).map_err(io_err(&ctx.name, &path))?;
    let mut vars = BTreeMap::new();
    for (file, text) in texts {
        let parsed = makedefaults::parse(&text, env).map_err(|e| ProfileError::Parse {
            repo: ctx.name.clone(),
            path: file,
            line: e.line.unwrap_or(0),
            message: e.message,
        })?;
        vars.extend(parsed);
    }
    Ok(vars)
}

/// Per-node lists that are only needed in stacked form.
#[derive(Default)]
struct NodeLists {
    packages: Vec<Vec<ListToken<AtomEntry>>>,
    package_mask: Vec<Vec<ListToken<AtomEntry>>>,
    package_unmask: Vec<Vec<ListToken<AtomEntry>>>,
    accept_keywords: Vec<(Atom, Vec<String>)>,
    keywords: Vec<(Atom, Vec<String>)>,
    provided: Vec<Vec<String>>,
}

impl NodeLists {
    fn read(
        &mut self,
        ctx: &RepoCtx,
        loc: &NodeLoc,
        make_defaults: BTreeMap<String, String>,
        warnings: &mut Vec<ProfileWarning>,
    ) -> Result<ProfileNode, ProfileError> {
        let files = ctx.files.as_ref();
        let repo = ctx.name.as_str();
        let lines = |name: &str, dirs: bool| {
            let path = format!("{}/{name}", loc.dir);
            read_lines(files, &path, dirs).map_err(io_err(repo, &path))
        };
        let dirs = loc.allow_dirs;
        let allow_repo = ctx.allows_repo_deps();
        let eapi = eapi_level(&loc.eapi);
        let list_rules = AtomRules {
            allow_repo,
            allow_use: true,
            eapi,
        };
        let dict_rules = AtomRules {
            allow_repo,
            allow_use: false,
            eapi,
        };

        self.packages.push(atom_tokens(
            &lines("packages", false)?,
            true,
            list_rules,
            repo,
            warnings,
        ));
        self.package_mask.push(atom_tokens(
            &lines("package.mask", dirs)?,
            false,
            list_rules,
            repo,
            warnings,
        ));
        if dirs {
            self.package_unmask.push(atom_tokens(
                &lines("package.unmask", dirs)?,
                false,
                list_rules,
                repo,
                warnings,
            ));
        }
        self.accept_keywords.extend(atom_dict(
            &lines("package.accept_keywords", dirs)?,
            dict_rules,
            false,
            repo,
            warnings,
        ));
        self.keywords.extend(atom_dict(
            &lines("package.keywords", dirs)?,
            dict_rules,
            false,
            repo,
            warnings,
        ));
        if !eapi_at_least(&loc.eapi, 7) {
            self.provided.push(
                lines("package.provided", dirs)?
                    .into_iter()
                    .map(|l| l.words.join(" "))
                    .collect(),
            );
        }
        Ok(ProfileNode {
            repo: repo.to_owned(),
            path: loc.dir.clone(),
            eapi: loc.eapi.clone(),
            make_defaults,
            use_mask: flag_tokens(&lines("use.mask", dirs)?, repo, warnings),
            use_force: flag_tokens(&lines("use.force", dirs)?, repo, warnings),
            package_use: atom_dict(
                &lines("package.use", dirs)?,
                dict_rules,
                true,
                repo,
                warnings,
            ),
            package_use_mask: atom_dict(
                &lines("package.use.mask", dirs)?,
                dict_rules,
                true,
                repo,
                warnings,
            ),
            package_use_force: atom_dict(
                &lines("package.use.force", dirs)?,
                dict_rules,
                true,
                repo,
                warnings,
            ),
        })
    }
}

/// Portage's `MaskManager`, repository part: for each repository, its
/// `profiles/package.mask` stacked over each master's (so its `-atom`
/// lines can lift a master's mask), restricted to the repository with
/// `::repo`; `profiles/package.unmask` likewise (without masters).
fn repo_masks(
    walker: &Walker<'_>,
    names: &[String],
    warnings: &mut Vec<ProfileWarning>,
) -> Result<(Vec<AtomEntry>, Vec<AtomEntry>), ProfileError> {
    let mut cache: BTreeMap<String, Vec<ListToken<AtomEntry>>> = BTreeMap::new();
    let mut grab = |ctx: &RepoCtx, file: &str, warnings: &mut Vec<ProfileWarning>| {
        let key = format!("{}\0{file}", ctx.name);
        if let Some(t) = cache.get(&key) {
            return Ok(t.clone());
        }
        let path = format!("profiles/{file}");
        let lines = read_lines(ctx.files.as_ref(), &path, ctx.portage1_profiles)
            .map_err(io_err(&ctx.name, &path))?;
        let rules = AtomRules {
            allow_repo: ctx.allows_repo_deps(),
            allow_use: true,
            eapi: eapi_level(ctx.profiles_eapi.as_deref().unwrap_or(&ctx.eapi)),
        };
        let tokens = atom_tokens(&lines, false, rules, &ctx.name, warnings);
        cache.insert(key, tokens.clone());
        Ok::<_, ProfileError>(tokens)
    };
    let (mut mask, mut unmask) = (Vec::new(), Vec::new());
    for name in names {
        let ctx = &walker.ctx[name];
        let own = grab(ctx, "package.mask", warnings)?;
        let masters: Vec<String> = ctx.layout.masters.clone().unwrap_or_default();
        let mut per_master = Vec::new();
        if masters.is_empty() {
            per_master.push(adds(stack_atoms(&[own], false)));
        } else {
            for m in &masters {
                let theirs = grab(&walker.ctx[m], "package.mask", warnings)?;
                per_master.push(adds(stack_atoms(&[theirs, own.clone()], false)));
            }
        }
        mask.extend(
            stack_atoms(&per_master, false)
                .iter()
                .map(|e| e.with_repo(name)),
        );
        if ctx.portage1_profiles {
            let own = grab(ctx, "package.unmask", warnings)?;
            unmask.extend(stack_atoms(&[own], false).iter().map(|e| e.with_repo(name)));
        }
    }
    Ok((mask, unmask))
}

/// Portage's `LicenseManager._read_license_groups`: `profiles/license_groups`
/// of each repository in `names` (`group member…` lines; a line without
/// members is skipped, like `grabdict`).
fn license_groups(
    walker: &Walker<'_>,
    names: &[String],
) -> Result<BTreeMap<String, Vec<String>>, ProfileError> {
    const PATH: &str = "profiles/license_groups";
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for name in names {
        let ctx = &walker.ctx[name];
        let lines = read_lines(ctx.files.as_ref(), PATH, false).map_err(io_err(&ctx.name, PATH))?;
        for l in lines {
            if let Some((group, members)) = l.words.split_first()
                && !members.is_empty()
            {
                out.entry(group.clone())
                    .or_default()
                    .extend(members.iter().cloned());
            }
        }
    }
    Ok(out)
}
