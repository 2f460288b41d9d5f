//! Tests of [`super::profile`] on in-memory repositories and on the
//! oracle fixture repository (`tests/fixtures/repos/oracle`).

use std::collections::BTreeMap;
use std::sync::Arc;

use super::profile::{LineOrigin, ListedAtom, ProfileError, ProfileStack};
use super::tree::{MemFiles, RepoFiles};

type Repos = BTreeMap<String, Arc<dyn RepoFiles>>;

fn repos(list: Vec<(&str, MemFiles)>) -> Repos {
    list.into_iter()
        .map(|(n, f)| (n.to_owned(), Arc::new(f) as Arc<dyn RepoFiles>))
        .collect()
}

fn load(r: &Repos, repo: &str, path: &str) -> Result<ProfileStack, ProfileError> {
    ProfileStack::load(&|name| r.get(name).cloned(), repo, path)
}

fn strs<'a>(it: impl IntoIterator<Item = &'a String>) -> Vec<&'a str> {
    it.into_iter().map(String::as_str).collect()
}

fn atoms(list: &[super::atom::Atom]) -> Vec<String> {
    list.iter().map(ToString::to_string).collect()
}

fn masks(list: &[ListedAtom]) -> Vec<String> {
    list.iter().map(|m| m.atom.to_string()).collect()
}

/// A small gentoo-like repository. The results asserted for it below
/// were checked against Portage 3.0.83 (`portage.config` on the same files
/// written to disk: node order, defaults USE, CFLAGS, CONFIG_PROTECT,
/// PYTHON_TARGETS, use.mask, package.mask, @system, IUSE_EFFECTIVE).
fn gentoo() -> MemFiles {
    let mut t = MemFiles::new();
    t.insert("profiles/repo_name", "gentoo\n")
        .insert("profiles/eapi", "8\n")
        .insert("metadata/layout.conf", "masters =\nprofile-formats = portage-2\n")
        .insert("profiles/package.mask", "# reason\n=dev-lang/python-3.14*\napp-misc/old\n")
        .insert("profiles/base/eapi", "5\n")
        .insert(
            "profiles/base/make.defaults",
            "USE_EXPAND=\"PYTHON_TARGETS ELIBC KERNEL\"\n\
             USE_EXPAND_UNPREFIXED=\"ARCH\"\n\
             USE_EXPAND_IMPLICIT=\"ARCH ELIBC KERNEL\"\n\
             USE_EXPAND_VALUES_ARCH=\"amd64 arm64\"\n\
             USE_EXPAND_VALUES_ELIBC=\"glibc musl\"\n\
             USE_EXPAND_VALUES_KERNEL=\"linux\"\n\
             IUSE_IMPLICIT=\"prefix prefix-guest\"\n\
             PYTHON_TARGETS=\"python3_11 python3_12\"\n\
             ELIBC=\"glibc\"\nKERNEL=\"linux\"\n\
             USE=\"base-flag gone\"\nFEATURES=\"sandbox strict\"\n\
             CFLAGS=\"-O2\"\nCONFIG_PROTECT=\"/etc\"\n",
        )
        .insert("profiles/base/packages", "*app-shells/bash:0\n*sys-apps/legacy\nsys-apps/not-system\n")
        .insert("profiles/base/package.mask", "dev-libs/parent-mask\ndev-libs/kept\n")
        .insert("profiles/base/use.mask", "masked-a\nmasked-b\namd64\n")
        .insert("profiles/base/use.force", "forced\n")
        .insert("profiles/base/package.use.mask", "dev-libs/foo bar\n")
        .insert("profiles/arch/amd64/parent", "../../base\n")
        .insert(
            "profiles/arch/amd64/make.defaults",
            "ARCH=\"amd64\"\nACCEPT_KEYWORDS=\"${ARCH}\"\nCFLAGS=\"${CFLAGS} -pipe\"\nUSE=\"${USE} arch-flag\"\n",
        )
        .insert("profiles/arch/amd64/use.mask", "-amd64\n")
        .insert("profiles/default/linux/parent", "../../base\n")
        .insert("profiles/default/linux/make.defaults", "USE=\"linux-flag -gone\"\n")
        .insert(
            "profiles/default/linux/amd64/parent",
            "# comment lines are allowed by Portage\n..\n../../../arch/amd64\n",
        )
        .insert(
            "profiles/default/linux/amd64/make.defaults",
            "PYTHON_TARGETS=\"-python3_11 python3_13\"\nFEATURES=\"-strict\"\nCONFIG_PROTECT=\"-* /etc/x\"\n",
        )
        .insert("profiles/default/linux/amd64/packages", "-*sys-apps/legacy\n")
        .insert("profiles/default/linux/amd64/package.mask/10-a", "-dev-libs/parent-mask\n-app-misc/old\n")
        .insert("profiles/default/linux/amd64/package.mask/20-b", "dev-libs/child\n")
        .insert("profiles/default/linux/amd64/package.mask/.hidden", "dev-libs/hidden\n")
        .insert("profiles/default/linux/amd64/use.force", "-forced\n")
        .insert("profiles/default/linux/amd64/package.use", "app-misc/a x -y\napp-misc/a z\n")
        .insert("profiles/default/linux/amd64/package.accept_keywords", "app-misc/new ~amd64\n")
        .insert("profiles/profiles.desc", "amd64 default/linux/amd64 stable\n");
    t
}

#[test]
fn parents_come_first_depth_first_with_duplicates() {
    let r = repos(vec![("gentoo", gentoo())]);
    let p = load(&r, "gentoo", "default/linux/amd64").unwrap();
    let order: Vec<&str> = p.nodes.iter().map(|n| n.path.as_str()).collect();
    assert_eq!(
        order,
        [
            "profiles/base",
            "profiles/default/linux",
            "profiles/base",
            "profiles/arch/amd64",
            "profiles/default/linux/amd64",
        ]
    );
    let eapis: Vec<&str> = p.nodes.iter().map(|n| n.eapi.as_str()).collect();
    // Only base has an `eapi` file; the others get the PMS default.
    assert_eq!(eapis, ["5", "0", "5", "0", "0"]);
}

#[test]
fn make_defaults_incrementals_expansion_and_use_expand() {
    let r = repos(vec![("gentoo", gentoo())]);
    let p = load(&r, "gentoo", "default/linux/amd64").unwrap();
    assert_eq!(p.arch(), Some("amd64"));
    assert_eq!(p.accept_keywords(), ["amd64"]);
    // Non-incremental: the last node wins; `${CFLAGS}` saw the parent value.
    assert_eq!(p.vars["CFLAGS"], "-O2 -pipe");
    assert_eq!(p.vars["FEATURES"], "sandbox");
    assert_eq!(p.vars["CONFIG_PROTECT"], "/etc/x");
    assert_eq!(p.vars["PYTHON_TARGETS"], "python3_13 python3_12");
    // `${USE}` does not expand to parent USE (Portage drops it first), and
    // base appears twice in the stack, so `gone` is re-added after -gone.
    assert_eq!(
        strs(p.use_flags()),
        [
            "amd64",
            "arch-flag",
            "base-flag",
            "elibc_glibc",
            "gone",
            "kernel_linux",
            "linux-flag",
            "python_targets_python3_12",
            "python_targets_python3_13",
        ]
    );
    assert_eq!(
        strs(&p.implicit_use_flags()),
        [
            "amd64",
            "arm64",
            "elibc_glibc",
            "elibc_musl",
            "kernel_linux",
            "prefix",
            "prefix-guest"
        ]
    );
}

#[test]
fn system_set_masks_and_use_lists() {
    let r = repos(vec![("gentoo", gentoo())]);
    let p = load(&r, "gentoo", "default/linux/amd64").unwrap();
    assert_eq!(atoms(&p.system), ["app-shells/bash:0"]);
    // The profile's `-atom` lifts a parent profile's mask but, as in
    // Portage's MaskManager, not the repository-level `profiles/package.mask`.
    assert_eq!(
        masks(&p.package_mask),
        [
            "=dev-lang/python-3.14*::gentoo",
            "app-misc/old::gentoo",
            "dev-libs/kept",
            "dev-libs/child",
        ]
    );
    // Each mask remembers its line (for "masked by …" messages).
    let origin = |path: &str, line| LineOrigin {
        repo: "gentoo".to_owned(),
        path: path.to_owned(),
        line,
    };
    assert_eq!(p.package_mask[1].origin, origin("profiles/package.mask", 3));
    assert_eq!(
        p.package_mask[2].origin,
        origin("profiles/base/package.mask", 2)
    );
    assert_eq!(
        p.package_mask[2].origin.to_string(),
        "`profiles/base/package.mask` line 2 of repository `gentoo`"
    );
    assert_eq!(strs(&p.use_mask), ["masked-a", "masked-b"]);
    assert!(p.use_force.is_empty());
    assert_eq!(p.package_use.len(), 1);
    assert_eq!(p.package_use[0].0.to_string(), "app-misc/a");
    assert_eq!(p.package_use[0].1, ["x", "-y", "z"]);
    assert_eq!(p.package_use_mask[0].1, ["bar"]);
    assert_eq!(p.package_accept_keywords[0].1, ["~amd64"]);
    assert_eq!(p.repositories, ["gentoo"]);
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
}

#[test]
fn directories_need_portage_1_or_eapi_7() {
    let mut g = gentoo();
    g.insert("metadata/layout.conf", "masters =\nprofile-formats = pms\n")
        .insert("profiles/eapi", "5\n");
    let r = repos(vec![("gentoo", g.clone())]);
    let p = load(&r, "gentoo", "default/linux/amd64").unwrap();
    assert!(!masks(&p.package_mask).contains(&"dev-libs/child".to_owned()));
    g.insert("profiles/default/linux/amd64/eapi", "7\n");
    let r = repos(vec![("gentoo", g)]);
    let p = load(&r, "gentoo", "default/linux/amd64").unwrap();
    assert!(masks(&p.package_mask).contains(&"dev-libs/child".to_owned()));
    assert_eq!(p.nodes.last().unwrap().eapi, "7");
}

fn overlay() -> MemFiles {
    let mut o = MemFiles::new();
    o.insert("profiles/repo_name", "ovl\n")
        .insert(
            "metadata/layout.conf",
            "masters = gentoo\nprofile-formats = portage-2\n",
        )
        .insert("profiles/package.mask", "-app-misc/old\novl-cat/pkg\n")
        .insert("profiles/ovl/parent", "gentoo:default/linux/amd64\n")
        .insert("profiles/ovl/make.defaults", "USE=\"ovl-flag\"\n");
    o
}

#[test]
fn repo_colon_parents_and_master_masks() {
    let mut g = gentoo();
    g.insert("profiles/license_groups", "FREE MIT @OSI\nOSI BSD\nEMPTY\n");
    let mut o = overlay();
    o.insert("profiles/license_groups", "# more\nFREE ovl-license\n");
    let r = repos(vec![("gentoo", g), ("ovl", o)]);
    let p = load(&r, "ovl", "ovl").unwrap();
    // license_groups of both repositories, merged per group (Portage).
    assert_eq!(p.license_groups.len(), 2);
    assert_eq!(p.license_groups["FREE"], ["MIT", "@OSI", "ovl-license"]);
    assert_eq!(p.license_groups["OSI"], ["BSD"]);
    assert_eq!(p.nodes.last().unwrap().repo, "ovl");
    assert_eq!(p.nodes[0].repo, "gentoo");
    assert!(p.use_flags().contains("ovl-flag") && p.use_flags().contains("linux-flag"));
    let masks = masks(&p.package_mask);
    // gentoo's masks apply to gentoo's packages, and (through `masters`)
    // to the overlay's, where the overlay lifted `app-misc/old`.
    for want in [
        "=dev-lang/python-3.14*::gentoo",
        "app-misc/old::gentoo",
        "=dev-lang/python-3.14*::ovl",
        "ovl-cat/pkg::ovl",
    ] {
        assert!(masks.contains(&want.to_owned()), "{want} in {masks:?}");
    }
    assert!(!masks.contains(&"app-misc/old::ovl".to_owned()));
    assert_eq!(p.repositories, ["gentoo", "ovl"]);
}

#[test]
fn repo_colon_parent_needs_portage_2() {
    let mut o = overlay();
    o.insert("metadata/layout.conf", "masters = gentoo\n");
    let r = repos(vec![("gentoo", gentoo()), ("ovl", o)]);
    let e = load(&r, "ovl", "ovl").unwrap_err();
    assert!(matches!(e, ProfileError::MissingParent { .. }), "{e}");
}

#[test]
fn errors_name_repository_file_and_line() {
    let mut g = gentoo();
    g.insert("profiles/default/linux/parent", "../../base\n../foo\n");
    let r = repos(vec![("gentoo", g)]);
    let e = load(&r, "gentoo", "default/linux").unwrap_err().to_string();
    assert_eq!(
        e,
        "parent `../foo` of `default/linux` does not exist in repository `gentoo` \
         (`profiles/default/linux/parent` line 2 of repository `gentoo`)"
    );

    let r = repos(vec![("gentoo", gentoo())]);
    let e = load(&r, "gentoo", "nope").unwrap_err().to_string();
    assert!(
        e.starts_with("profile `nope` does not exist in repository `gentoo`"),
        "{e}"
    );

    let mut g = gentoo();
    g.insert("profiles/base/parent", "../default/linux\n");
    let e = load(&repos(vec![("gentoo", g)]), "gentoo", "default/linux").unwrap_err();
    assert!(matches!(e, ProfileError::Cycle { .. }), "{e}");
    assert!(
        e.to_string()
            .contains("gentoo:default/linux -> gentoo:base -> gentoo:default/linux"),
        "{e}"
    );

    let mut g = gentoo();
    g.insert("profiles/base/parent", "# only a comment\n");
    let e = load(&repos(vec![("gentoo", g)]), "gentoo", "base").unwrap_err();
    assert!(matches!(e, ProfileError::EmptyParent { .. }), "{e}");

    let mut g = gentoo();
    g.insert("profiles/base/eapi", "10\n");
    let e = load(&repos(vec![("gentoo", g)]), "gentoo", "base")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("`profiles/base/eapi`") && e.contains("EAPI `10`"),
        "{e}"
    );

    let mut g = gentoo();
    g.insert(
        "profiles/default/linux/make.defaults",
        "USE=\"a\"\nCHOST=$(gcc -dumpmachine)\n",
    );
    let e = load(&repos(vec![("gentoo", g)]), "gentoo", "default/linux")
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("`profiles/default/linux/make.defaults` line 2 of repository `gentoo`"),
        "{e}"
    );

    let e = load(&repos(vec![("ovl", overlay())]), "ovl", "ovl")
        .unwrap_err()
        .to_string();
    assert!(
        e.starts_with("repository `gentoo` (named by `profiles/ovl/parent` line 1"),
        "{e}"
    );

    let mut g = gentoo();
    g.insert("profiles/base/parent", "../../../x\n");
    let e = load(&repos(vec![("gentoo", g)]), "gentoo", "base")
        .unwrap_err()
        .to_string();
    assert!(e.contains("leaves the repository"), "{e}");
}

#[test]
fn invalid_lines_become_warnings() {
    let mut g = gentoo();
    g.insert("profiles/base/package.mask", "not an atom\ndev-libs/ok\n")
        .insert("profiles/base/use.mask", "bad!flag\n");
    let p = load(&repos(vec![("gentoo", g)]), "gentoo", "base").unwrap();
    assert_eq!(p.warnings.len(), 2, "{:?}", p.warnings);
    assert_eq!(
        (p.warnings[0].path.as_str(), p.warnings[0].line),
        ("profiles/base/package.mask", 1)
    );
    assert!(masks(&p.package_mask).contains(&"dev-libs/ok".to_owned()));
}

#[test]
fn atoms_are_checked_against_the_node_eapi() {
    // Portage 3.0.83: "Slot deps are not allowed in EAPI 0", line skipped.
    let mut g = gentoo();
    g.insert("profiles/base/eapi", "0\n");
    let p = load(&repos(vec![("gentoo", g)]), "gentoo", "default/linux/amd64").unwrap();
    assert!(p.system.is_empty());
    let w = &p.warnings[0];
    assert_eq!((w.path.as_str(), w.line), ("profiles/base/packages", 1));
    assert!(w.message.contains("slot dependencies need EAPI 1"), "{w}");
}

/// A read-only directory tree, for the fixture test.
struct DirFiles(std::path::PathBuf);

impl RepoFiles for DirFiles {
    fn read(&self, path: &str) -> std::io::Result<Option<Vec<u8>>> {
        let p = self.0.join(path);
        if !p.is_file() {
            return Ok(None);
        }
        std::fs::read(p).map(Some)
    }

    fn list(&self, path: &str) -> std::io::Result<Option<Vec<super::tree::DirEntry>>> {
        use super::tree::{DirEntry, EntryKind};
        let p = self.0.join(path);
        if !p.is_dir() {
            return Ok(None);
        }
        let mut out = Vec::new();
        for e in std::fs::read_dir(p)? {
            let e = e?;
            let t = e.file_type()?;
            let kind = if t.is_dir() {
                EntryKind::Dir
            } else if t.is_symlink() {
                EntryKind::Symlink
            } else {
                EntryKind::File
            };
            out.push(DirEntry {
                name: e.file_name().to_string_lossy().into_owned(),
                kind,
            });
        }
        out.sort();
        Ok(Some(out))
    }
}

#[test]
fn loads_the_oracle_fixture_profile() {
    let root =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/repos/oracle");
    let files: Arc<dyn RepoFiles> = Arc::new(DirFiles(root));
    let default = super::profile::default_profile(files.as_ref(), "amd64").unwrap();
    assert_eq!(default, "oracle/amd64");
    let p = ProfileStack::load(
        &|n| (n == "oracle").then(|| files.clone()),
        "oracle",
        &default,
    )
    .unwrap();
    assert_eq!(p.nodes.len(), 1);
    assert_eq!(p.nodes[0].eapi, "8");
    assert_eq!(p.arch(), Some("amd64"));
    assert_eq!(p.accept_keywords(), ["amd64"]);
    assert_eq!(p.vars["CHOST"], "x86_64-pc-linux-gnu");
    assert_eq!(p.vars["ACCEPT_LICENSE"], "*");
    assert_eq!(p.vars["CONFIG_PROTECT_MASK"], "/etc/env.d");
    assert_eq!(
        strs(p.use_flags()),
        ["amd64", "elibc_glibc", "kernel_linux"]
    );
    assert_eq!(
        strs(&p.implicit_use_flags()),
        [
            "amd64",
            "elibc_glibc",
            "elibc_musl",
            "kernel_linux",
            "prefix",
            "prefix-guest",
            "prefix-stack"
        ]
    );
    assert_eq!(atoms(&p.system), ["sys-apps/baselayout-mini"]);
    assert_eq!(masks(&p.package_mask), ["=sys-apps/buildtool-9999::oracle"]);
    assert!(p.warnings.is_empty(), "{:?}", p.warnings);
}
