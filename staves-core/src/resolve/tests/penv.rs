//! Named environments (package.env) and atom specificity: the layers and
//! orders the agreement cases `penv-*` check against real Portage.

use super::*;
use crate::resolve::config::PkgRef;
use crate::resolve::penv::{PackageEnv, ordered_matches};

fn repo() -> Repo {
    Repo::main()
        .pkg(
            "app-misc/hello-2.0",
            "IUSE=+extras doc python_targets_python3_12 python_targets_python3_13",
        )
        .pkg("app-misc/eula-1.0", "LICENSE=EULA")
}

fn hello_use(req: &Req) -> Vec<String> {
    let r = req.ok();
    find(&r, "app-misc/hello-2.0")
        .use_enabled
        .iter()
        .cloned()
        .collect()
}

#[test]
fn environment_use_beats_make_conf_and_package_use_beats_the_environment() {
    let lean: &[(&str, &str)] = &[("USE", "-extras doc"), ("CFLAGS", "-Os")];
    let req = Req::new(vec![repo()], &["app-misc/hello"])
        .conf("USE", "-doc")
        .pkg_env("app-misc/hello", &[("lean", lean)]);
    assert_eq!(hello_use(&req), ["doc", "python_targets_python3_12"]);

    // make.conf doc, package.use -doc, environment doc: package.use wins,
    // whatever the order of the manifest lines.
    let doc: &[(&str, &str)] = &[("USE", "doc")];
    let req = Req::new(vec![repo()], &["app-misc/hello"])
        .conf("USE", "doc")
        .pkg_use("app-misc/hello", &["-doc"])
        .pkg_env("app-misc/hello", &[("doc", doc)]);
    assert_eq!(hello_use(&req), ["extras", "python_targets_python3_12"]);

    // An environment for another package changes nothing here.
    let req =
        Req::new(vec![repo()], &["app-misc/hello"]).pkg_env("app-misc/other", &[("lean", lean)]);
    assert_eq!(hello_use(&req), ["extras", "python_targets_python3_12"]);
}

#[test]
fn environment_use_expand_replaces_after_package_use_and_make_conf_order() {
    let py: &[(&str, &str)] = &[("PYTHON_TARGETS", "python3_13 -python3_12")];
    let req = Req::new(vec![repo()], &["app-misc/hello"])
        .pkg_use("app-misc/hello", &["python_targets_python3_12"])
        .pkg_env("app-misc/hello", &[("py", py)]);
    assert_eq!(hello_use(&req), ["extras", "python_targets_python3_13"]);

    // Two environments: the last one setting the variable wins; USE
    // accumulates.
    let a: &[(&str, &str)] = &[("PYTHON_TARGETS", "python3_12"), ("USE", "doc")];
    let b: &[(&str, &str)] = &[("PYTHON_TARGETS", "python3_13"), ("USE", "-extras")];
    let req = Req::new(vec![repo()], &["app-misc/hello"])
        .pkg_env("app-misc/hello", &[("a", a), ("b", b)]);
    assert_eq!(hello_use(&req), ["doc", "python_targets_python3_13"]);

    // make.conf: the USE_EXPAND variable replaces the flags USE set.
    let req = Req::new(vec![repo()], &["app-misc/hello"])
        .conf("USE", "python_targets_python3_13")
        .conf("PYTHON_TARGETS", "python3_12");
    assert_eq!(hello_use(&req), ["extras", "python_targets_python3_12"]);
}

#[test]
fn environment_accept_license_counts_and_accept_keywords_does_not() {
    let err = Req::new(vec![repo()], &["app-misc/eula"]).err();
    assert!(err.to_string().contains("EULA"), "{err}");
    let all: &[(&str, &str)] = &[("ACCEPT_LICENSE", "EULA")];
    let r = Req::new(vec![repo()], &["app-misc/eula"])
        .pkg_env("app-misc/eula", &[("eula", all)])
        .ok();
    assert_eq!(summary(&r), ["app-misc/eula-1.0@i"]);

    let none: &[(&str, &str)] = &[("ACCEPT_LICENSE", "-*")];
    Req::new(vec![repo()], &["app-misc/hello"])
        .pkg_env("app-misc/hello", &[("strict", none)])
        .err();

    let testing = Repo::main().pkg("app-misc/new-1.0", "KEYWORDS=~amd64");
    let kw: &[(&str, &str)] = &[("ACCEPT_KEYWORDS", "~amd64")];
    let err = Req::new(vec![testing], &["app-misc/new"])
        .pkg_env("app-misc/new", &[("kw", kw)])
        .err();
    assert!(err.to_string().contains("~amd64"), "{err}");
}

#[test]
fn the_most_specific_line_wins_whatever_the_order() {
    let doc: &[(&str, &str)] = &[("USE", "doc")];
    let nodoc: &[(&str, &str)] = &[("USE", "-doc")];
    for swap in [false, true] {
        let mut req = Req::new(vec![repo()], &["app-misc/hello"]);
        let lines = [
            ("=app-misc/hello-2.0", ("doc", doc)),
            ("app-misc/hello", ("nodoc", nodoc)),
        ];
        let order: Vec<_> = if swap {
            lines.iter().rev().collect()
        } else {
            lines.iter().collect()
        };
        for (a, env) in order {
            req = req.pkg_env(a, &[*env]);
        }
        assert_eq!(
            hello_use(&req),
            ["doc", "extras", "python_targets_python3_12"]
        );

        let mut req = Req::new(vec![repo()], &["app-misc/hello"]);
        let lines = [(">=app-misc/hello-1.0", "doc"), ("app-misc/hello", "-doc")];
        let order: Vec<_> = if swap {
            lines.iter().rev().collect()
        } else {
            lines.iter().collect()
        };
        for (a, flag) in order {
            req = req.pkg_use(a, &[flag]);
        }
        assert_eq!(
            hello_use(&req),
            ["doc", "extras", "python_targets_python3_12"]
        );
    }
}

fn order(lines: &[&str], cpv: &str, slot: &str) -> Vec<usize> {
    let lines: Vec<(Atom, usize)> = lines
        .iter()
        .enumerate()
        .map(|(i, a)| (atom(a), i))
        .collect();
    let cpv: Cpv = cpv.parse().unwrap();
    let pkg = PkgRef {
        cpv: &cpv,
        slot,
        subslot: slot,
        repo: "test",
    };
    ordered_matches(&lines, pkg).copied().collect()
}

#[test]
fn specificity_order_follows_portage() {
    // Less specific first; non-matching lines are dropped.
    assert_eq!(
        order(
            &[
                "=a/b-1.0",
                "a/b",
                "a/b:0",
                "~a/b-1.0",
                "=a/b-1*",
                ">=a/b-0.5",
                "=a/b-2"
            ],
            "a/b-1.0",
            "0"
        ),
        [1, 5, 2, 4, 3, 0]
    );
    // Equally specific: the line written first is applied last.
    assert_eq!(order(&["a/b", "a/b::test"], "a/b-1.0", "0"), [1, 0]);
    // Ranges: the bound closer to the package version is more specific.
    assert_eq!(order(&[">=a/b-0.1", ">=a/b-0.9"], "a/b-1.0", "0"), [0, 1]);
    assert_eq!(order(&[">=a/b-0.9", ">=a/b-0.1"], "a/b-1.0", "0"), [1, 0]);
    assert_eq!(order(&["<a/b-3", "<a/b-2"], "a/b-1.0", "0"), [0, 1]);
}

#[test]
fn combining_environments_skips_signed_use_expand_values() {
    let env = |name: &str, vars: &[(&str, &str)]| NamedEnv {
        name: name.to_owned(),
        vars: vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    };
    let envs = [
        env("a", &[("USE", "a -b"), ("ACCEPT_LICENSE", "X")]),
        env(
            "b",
            &[
                ("USE", "b"),
                ("PYTHON_TARGETS", "+x -y z"),
                ("ELIBC", "musl"),
            ],
        ),
    ];
    let combined = PackageEnv::combine(&envs, &["PYTHON_TARGETS".to_owned()]);
    assert_eq!(
        combined,
        PackageEnv {
            use_tokens: vec!["a".into(), "-b".into(), "b".into()],
            expand: vec![("python_targets_".into(), vec!["z".into()])],
            accept_license: Some(vec!["X".into()]),
        }
    );
}
