//! Resolver tests on hand-written md5-cache repositories.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::gentoo::MemFiles;
use crate::gentoo::atom::Atom;

use super::*;

mod graph;
mod penv;
mod profile;

const PROFILE: &str = r#"ARCH="amd64"
ACCEPT_KEYWORDS="${ARCH}"
ACCEPT_LICENSE="-* @FREE"
ELIBC="glibc"
KERNEL="linux"
IUSE_IMPLICIT="prefix"
USE_EXPAND="ELIBC KERNEL PYTHON_TARGETS"
USE_EXPAND_UNPREFIXED="ARCH"
USE_EXPAND_IMPLICIT="ARCH ELIBC KERNEL"
USE_EXPAND_VALUES_ARCH="amd64 arm64"
USE_EXPAND_VALUES_ELIBC="glibc musl"
USE_EXPAND_VALUES_KERNEL="linux"
PYTHON_TARGETS="python3_12"
USE="nls"
"#;

/// A repository under construction.
struct Repo {
    name: String,
    files: MemFiles,
}

impl Repo {
    fn main() -> Self {
        let mut files = MemFiles::new();
        files
            .insert("profiles/repo_name", "test\n")
            .insert("metadata/layout.conf", "masters =\n")
            .insert("profiles/profiles.desc", "amd64 test/amd64 stable\n")
            .insert("profiles/license_groups", "FREE MIT @GPL\nGPL GPL-2\n")
            .insert("profiles/test/amd64/make.defaults", PROFILE);
        Self {
            name: "test".to_owned(),
            files,
        }
    }

    fn overlay(name: &str) -> Self {
        let mut files = MemFiles::new();
        files
            .insert("profiles/repo_name", format!("{name}\n"))
            .insert("metadata/layout.conf", "masters = test\n");
        Self {
            name: name.to_owned(),
            files,
        }
    }

    fn file(mut self, path: &str, text: &str) -> Self {
        self.files.insert(path, text);
        self
    }

    /// An md5-cache entry; EAPI, SLOT, KEYWORDS and LICENSE get defaults.
    fn pkg(mut self, cpf: &str, lines: &str) -> Self {
        let mut text = String::new();
        for (key, default) in [
            ("EAPI", "8"),
            ("SLOT", "0"),
            ("KEYWORDS", "amd64"),
            ("LICENSE", "MIT"),
        ] {
            if !lines.lines().any(|l| l.starts_with(&format!("{key}="))) {
                text.push_str(&format!("{key}={default}\n"));
            }
        }
        for l in lines.lines().filter(|l| !l.is_empty()) {
            text.push_str(l);
            text.push('\n');
        }
        text.push_str(&format!("_md5_={:032x}\n", cpf.len()));
        self.files.insert(format!("metadata/md5-cache/{cpf}"), text);
        self
    }

    fn input(self) -> RepoInput {
        RepoInput {
            name: self.name,
            files: Arc::new(self.files),
        }
    }
}

fn atom(s: &str) -> Atom {
    Atom::parse(s).unwrap()
}

struct Req(ResolveRequest);

impl Req {
    fn new(repos: Vec<Repo>, targets: &[&str]) -> Self {
        Req(ResolveRequest {
            repos: repos.into_iter().map(Repo::input).collect(),
            main_repo: "test".to_owned(),
            profile: None,
            make_conf: BTreeMap::new(),
            package_settings: Vec::new(),
            targets: targets.iter().map(|t| atom(t)).collect(),
            preferred: BTreeMap::new(),
        })
    }

    fn conf(mut self, key: &str, value: &str) -> Self {
        self.0.make_conf.insert(key.to_owned(), value.to_owned());
        self
    }

    fn pkg_use(mut self, a: &str, flags: &[&str]) -> Self {
        self.0.package_settings.push(PackageSettings {
            atom: atom(a),
            use_flags: flags.iter().map(|s| (*s).to_owned()).collect(),
            keywords: Vec::new(),
            env: Vec::new(),
        });
        self
    }

    fn pkg_keywords(mut self, a: &str, kws: &[&str]) -> Self {
        self.0.package_settings.push(PackageSettings {
            atom: atom(a),
            use_flags: Vec::new(),
            keywords: kws.iter().map(|s| (*s).to_owned()).collect(),
            env: Vec::new(),
        });
        self
    }

    /// A package.env line: `a` uses the named environments `envs`, each
    /// given as (name, [(VAR, value)]).
    fn pkg_env(mut self, a: &str, envs: &[(&str, &[(&str, &str)])]) -> Self {
        let env = envs
            .iter()
            .map(|(name, vars)| NamedEnv {
                name: (*name).to_owned(),
                vars: vars
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect(),
            })
            .collect();
        self.0.package_settings.push(PackageSettings {
            atom: atom(a),
            use_flags: Vec::new(),
            keywords: Vec::new(),
            env,
        });
        self
    }

    fn ok(&self) -> Resolution {
        match resolve(&self.0) {
            Ok(r) => r,
            Err(e) => panic!("resolution failed: {e}\nhelp: {:?}", e.help()),
        }
    }

    fn err(&self) -> ResolveError {
        match resolve(&self.0) {
            Ok(r) => panic!("expected an error, got {:?}", summary(&r)),
            Err(e) => e,
        }
    }
}

/// `cpv[:slot/sub]@roots` lines, e.g. `dev-libs/foo-1.0@ib`.
fn summary(r: &Resolution) -> Vec<String> {
    r.packages
        .iter()
        .map(|p| {
            let roots = format!(
                "{}{}",
                if p.in_image { "i" } else { "" },
                if p.in_builder { "b" } else { "" }
            );
            format!("{}@{roots}", p.cpv)
        })
        .collect()
}

fn find<'a>(r: &'a Resolution, cpv: &str) -> &'a ResolvedPackage {
    r.packages
        .iter()
        .find(|p| p.cpv.to_string() == cpv)
        .unwrap_or_else(|| panic!("{cpv} not in {:?}", summary(r)))
}

fn basic() -> Repo {
    Repo::main()
        .pkg(
            "app-misc/hello-2.0",
            "IUSE=+extras doc\nRDEPEND=dev-libs/libbar dev-libs/libfoo:2= extras? ( app-misc/extras )\nDEPEND=dev-libs/libbar\nBDEPEND=sys-apps/tool",
        )
        .pkg("app-misc/hello-1.0", "")
        .pkg("app-misc/extras-0.5", "RDEPEND=dev-libs/libfoo:1")
        .pkg("dev-libs/libbar-1.2", "IUSE=static-libs\nRDEPEND=>=dev-libs/libfoo-2.0:2=")
        .pkg("dev-libs/libbar-2.0", "KEYWORDS=~amd64\nRDEPEND=>=dev-libs/libfoo-2.0:2=")
        .pkg("dev-libs/libfoo-1.0", "SLOT=1/1.0")
        .pkg("dev-libs/libfoo-2.0", "SLOT=2/2.0")
        .pkg("dev-libs/libfoo-2.1", "SLOT=2/2.1\nKEYWORDS=~amd64")
        .pkg("sys-apps/tool-1.0", "")
        .pkg("sys-apps/tool-9999", "KEYWORDS=")
        .file("profiles/package.mask", "# no 9999\n=sys-apps/tool-9999\n")
}

#[test]
fn closure_goes_into_two_roots_with_slots_and_subslots() {
    let r = Req::new(vec![basic()], &["app-misc/hello"]).ok();
    assert_eq!(r.profile, "test/amd64");
    assert_eq!(
        summary(&r),
        [
            "app-misc/extras-0.5@i",
            "app-misc/hello-2.0@i",
            "dev-libs/libbar-1.2@ib",
            "dev-libs/libfoo-1.0@i",
            "dev-libs/libfoo-2.0@ib",
            "sys-apps/tool-1.0@b",
        ]
    );
    let hello = find(&r, "app-misc/hello-2.0");
    assert_eq!(hello.use_enabled.iter().collect::<Vec<_>>(), ["extras"]);
    assert_eq!(hello.reasons, ["requested"]);
    assert_eq!(hello.md5.as_deref().map(str::len), Some(32));
    let deps: Vec<String> = hello
        .deps
        .iter()
        .map(|d| format!("{} {} -> {} {:?}", d.class.key(), d.atom, d.target, d.root))
        .collect();
    assert_eq!(
        deps,
        [
            "DEPEND dev-libs/libbar -> dev-libs/libbar-1.2 Builder",
            "RDEPEND app-misc/extras -> app-misc/extras-0.5 Image",
            "RDEPEND dev-libs/libbar -> dev-libs/libbar-1.2 Image",
            "RDEPEND dev-libs/libfoo:2= -> dev-libs/libfoo-2.0 Image",
            "BDEPEND sys-apps/tool -> sys-apps/tool-1.0 Builder",
        ]
    );
    let foo2 = find(&r, "dev-libs/libfoo-2.0");
    assert_eq!((foo2.slot.as_str(), foo2.subslot.as_str()), ("2", "2.0"));
    assert_eq!(
        foo2.reasons,
        [
            "RDEPEND of app-misc/hello-2.0",
            "RDEPEND of dev-libs/libbar-1.2"
        ]
    );
}

#[test]
fn use_layers_keywords_and_manifest_settings() {
    let r = Req::new(vec![basic()], &["app-misc/hello"])
        .conf("ACCEPT_KEYWORDS", "~amd64")
        .pkg_use("app-misc/hello", &["-extras", "doc"])
        .ok();
    assert_eq!(
        summary(&r),
        [
            "app-misc/hello-2.0@i",
            "dev-libs/libbar-2.0@ib",
            "dev-libs/libfoo-2.1@ib",
            "sys-apps/tool-1.0@b",
        ]
    );
    assert_eq!(
        find(&r, "app-misc/hello-2.0")
            .use_enabled
            .iter()
            .collect::<Vec<_>>(),
        ["doc"]
    );
    // Per-package keywords only affect the named package.
    let r = Req::new(vec![basic()], &["dev-libs/libbar"])
        .pkg_keywords("dev-libs/libfoo", &["~amd64"])
        .ok();
    assert_eq!(
        summary(&r),
        ["dev-libs/libbar-1.2@i", "dev-libs/libfoo-2.1@i"]
    );
}

#[test]
fn keyworded_and_masked_versions_explain_themselves() {
    let e = Req::new(vec![basic()], &["app-misc/hello"])
        .pkg_use("app-misc/hello", &["-extras"])
        .0;
    let mut req = Req(e);
    req.0.targets.push(atom(">=dev-libs/libfoo-2.1"));
    let err = req.err();
    assert_eq!(
        err.to_string(),
        "the manifest requests >=dev-libs/libfoo-2.1 but only 1.0, 2.0 is visible (2.1 is keyworded ~amd64)"
    );
    assert_eq!(
        err.help().as_deref(),
        Some("add keywords = [\"~amd64\"] for dev-libs/libfoo")
    );

    let repo = basic().pkg("app-misc/needs-tool-1", "RDEPEND=>=sys-apps/tool-2");
    let err = Req::new(vec![repo], &["app-misc/needs-tool"]).err();
    assert_eq!(
        err.to_string(),
        "app-misc/needs-tool-1 needs >=sys-apps/tool-2 but only 1.0 is visible \
         (9999 is masked by `profiles/package.mask` line 2 of repository `test`; 9999 has no keyword for amd64)\
         \n  app-misc/needs-tool-1 (requested)"
    );
}

#[test]
fn errors_show_the_chain_from_the_request() {
    let repo = basic().pkg("dev-libs/libbar-1.2", "RDEPEND=>=dev-libs/libfoo-3:2=");
    let err = Req::new(vec![repo], &["app-misc/hello"]).err();
    assert_eq!(
        err.to_string(),
        "dev-libs/libbar-1.2 needs >=dev-libs/libfoo-3:2= but no version matches (available: 1.0, 2.0, 2.1)\
         \n  dev-libs/libbar-1.2 (RDEPEND of app-misc/hello-2.0)\
         \n  app-misc/hello-2.0 (requested)"
    );
    let err = Req::new(vec![basic()], &["app-misc/nope"]).err();
    assert_eq!(
        err.to_string(),
        "the manifest requests app-misc/nope but no repository has app-misc/nope"
    );
}

#[test]
fn use_dependencies_pick_a_lower_version_or_say_which_flag_to_set() {
    let repo = Repo::main()
        .pkg("app-misc/app-1", "RDEPEND=dev-libs/ssl[ssl]")
        .pkg("dev-libs/ssl-2", "IUSE=ssl")
        .pkg("dev-libs/ssl-1", "IUSE=+ssl");
    let r = Req::new(vec![repo], &["app-misc/app"]).ok();
    assert_eq!(summary(&r), ["app-misc/app-1@i", "dev-libs/ssl-1@i"]);

    let repo = Repo::main()
        .pkg("app-misc/app-1", "RDEPEND=dev-libs/ssl[ssl]")
        .pkg("dev-libs/ssl-2", "IUSE=ssl");
    let err = Req::new(vec![repo], &["app-misc/app"]).err();
    assert_eq!(
        err.to_string(),
        "app-misc/app-1 needs dev-libs/ssl[ssl] but dev-libs/ssl-2 has USE flag ssl disabled\n  app-misc/app-1 (requested)"
    );
    assert_eq!(
        err.help().as_deref(),
        Some("add use = [\"ssl\"] for dev-libs/ssl")
    );
}

#[test]
fn profile_use_expand_make_conf_and_masks() {
    let repo = Repo::main()
        .pkg(
            "dev-lang/py-1",
            "IUSE=python_targets_python3_12 python_targets_python3_13 +nls static elibc_musl",
        )
        .file("profiles/test/amd64/use.mask", "static\n")
        .file(
            "profiles/test/amd64/package.use.force",
            "dev-lang/py static\n",
        );
    let r = Req::new(vec![repo], &["dev-lang/py"]).ok();
    assert_eq!(
        find(&r, "dev-lang/py-1")
            .use_enabled
            .iter()
            .collect::<Vec<_>>(),
        ["nls", "python_targets_python3_12"]
    );
    let repo = Repo::main().pkg(
        "dev-lang/py-1",
        "IUSE=python_targets_python3_12 python_targets_python3_13 nls",
    );
    let r = Req::new(vec![repo], &["dev-lang/py"])
        .conf("PYTHON_TARGETS", "python3_13")
        .conf("USE", "-nls")
        .ok();
    assert_eq!(
        find(&r, "dev-lang/py-1")
            .use_enabled
            .iter()
            .collect::<Vec<_>>(),
        ["python_targets_python3_13"]
    );
}

#[test]
fn implicit_flags_drive_conditionals() {
    let repo = Repo::main()
        .pkg("virtual/libc-1", "RDEPEND=elibc_glibc? ( sys-libs/glibc ) elibc_musl? ( sys-libs/musl ) amd64? ( app-misc/x86 )")
        .pkg("sys-libs/glibc-2", "")
        .pkg("sys-libs/musl-1", "")
        .pkg("app-misc/x86-1", "");
    let r = Req::new(vec![repo], &["virtual/libc"]).ok();
    assert_eq!(
        summary(&r),
        ["app-misc/x86-1@i", "sys-libs/glibc-2@i", "virtual/libc-1@i"]
    );
}
