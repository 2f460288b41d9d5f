//! The dependency graph: slots and backtracking, `||` groups, blockers,
//! REQUIRED_USE, licences and overlays, order independence, and the cost of
//! a wide closure.

use super::*;

#[test]
fn slots_unslotted_picks_highest_reuse_and_backtracking() {
    // Unslotted atom: highest visible across slots; a second slot joins.
    let r = Req::new(vec![basic()], &["dev-libs/libfoo", "dev-libs/libfoo:1"]).ok();
    assert_eq!(
        summary(&r),
        ["dev-libs/libfoo-1.0@i", "dev-libs/libfoo-2.0@i"]
    );
    // An already-selected version in the best candidate's slot is reused.
    let r = Req::new(
        vec![basic()],
        &["=dev-libs/libfoo-2.0", "dev-libs/libfoo:2"],
    )
    .conf("ACCEPT_KEYWORDS", "~amd64")
    .ok();
    assert_eq!(summary(&r), ["dev-libs/libfoo-2.0@i"]);
    // A later atom that conflicts with the pick backtracks to a version
    // satisfying both.
    let r = Req::new(
        vec![basic()],
        &["dev-libs/libfoo:2", "<dev-libs/libfoo-2.1"],
    )
    .conf("ACCEPT_KEYWORDS", "~amd64")
    .ok();
    assert_eq!(summary(&r), ["dev-libs/libfoo-2.0@i"]);
}

#[test]
fn slot_conflict_names_both_requirers() {
    let repo = basic()
        .pkg("app-misc/a-1", "RDEPEND=>=dev-libs/libfoo-2.1:2")
        .pkg("app-misc/b-1", "RDEPEND=<dev-libs/libfoo-2.1:2");
    let err = Req::new(vec![repo], &["app-misc/a", "app-misc/b"])
        .conf("ACCEPT_KEYWORDS", "~amd64")
        .err();
    assert_eq!(
        err.to_string(),
        "slot conflict: dev-libs/libfoo:2 is needed by app-misc/a-1 (RDEPEND >=dev-libs/libfoo-2.1:2) \
         and by app-misc/b-1 (RDEPEND <dev-libs/libfoo-2.1:2), and no version satisfies both \
         (selected: dev-libs/libfoo-2.1)\n  app-misc/b-1 (requested)"
    );
}

#[test]
fn any_of_prefers_selected_then_first_satisfiable() {
    let repo = Repo::main()
        .pkg(
            "app-misc/stack-1",
            "RDEPEND=|| ( app-misc/first app-misc/second ) app-misc/pulls-second",
        )
        .pkg("app-misc/pulls-second-1", "RDEPEND=app-misc/second")
        .pkg("app-misc/first-1", "")
        .pkg("app-misc/second-1", "")
        .pkg(
            "app-misc/choose-1",
            "RDEPEND=|| ( app-misc/missing app-misc/first )",
        );
    let r = Req::new(vec![repo], &["app-misc/stack", "app-misc/choose"]).ok();
    assert_eq!(
        summary(&r),
        [
            "app-misc/choose-1@i",
            "app-misc/first-1@i",
            "app-misc/pulls-second-1@i",
            "app-misc/second-1@i",
            "app-misc/stack-1@i",
        ]
    );
    let stack = find(&r, "app-misc/stack-1");
    assert!(
        stack.deps.iter().any(|d| d.atom == "app-misc/second"),
        "{:?}",
        stack.deps
    );
    let repo = Repo::main().pkg("app-misc/x-1", "RDEPEND=|| ( app-misc/m1 app-misc/m2 )");
    let err = Req::new(vec![repo], &["app-misc/x"]).err();
    assert_eq!(
        err.to_string(),
        "app-misc/x-1 needs one of || ( app-misc/m1 app-misc/m2 ) (RDEPEND) but none of them can be installed\
         \n  app-misc/x-1 (requested)"
    );
}

#[test]
fn blockers_between_selected_packages_but_not_self() {
    let repo = Repo::main()
        .pkg("app-misc/a-1", "RDEPEND=!app-misc/b !app-misc/a")
        .pkg("app-misc/b-1", "");
    let r = Req::new(
        vec![Repo::main().pkg("app-misc/a-1", "RDEPEND=!app-misc/a")],
        &["app-misc/a"],
    )
    .ok();
    assert_eq!(summary(&r), ["app-misc/a-1@i"]);
    let err = Req::new(vec![repo], &["app-misc/a", "app-misc/b"]).err();
    assert_eq!(
        err.to_string(),
        "app-misc/a-1 blocks app-misc/b-1 (!app-misc/b); app-misc/b-1 is there because of: requested\
         \n  app-misc/a-1 (requested)"
    );
}

#[test]
fn required_use_skips_to_a_valid_version_or_explains() {
    let repo = Repo::main()
        .pkg("app-misc/r-2", "IUSE=a b\nREQUIRED_USE=^^ ( a b )")
        .pkg("app-misc/r-1", "IUSE=a b");
    let r = Req::new(vec![repo], &["app-misc/r"]).ok();
    assert_eq!(summary(&r), ["app-misc/r-1@i"]);
    let repo = Repo::main().pkg("app-misc/r-2", "IUSE=a b\nREQUIRED_USE=^^ ( a b )");
    let err = Req::new(vec![repo], &["app-misc/r"]).err();
    assert_eq!(
        err.to_string(),
        "the manifest requests app-misc/r but app-misc/r-2 violates its REQUIRED_USE constraint \"^^ ( a b )\" with USE=\"\""
    );
    assert_eq!(
        err.help().as_deref(),
        Some("add use = [\"a\"] for app-misc/r")
    );
}

#[test]
fn licenses_eapi_and_overlay_priority() {
    let repo = Repo::main()
        .pkg("app-misc/eula-1", "LICENSE=EULA")
        .pkg("app-misc/future-2", "EAPI=99")
        .pkg("app-misc/future-1", "")
        .pkg("app-misc/same-1", "IUSE=main");
    let err = Req::new(
        vec![Repo::main().pkg("app-misc/eula-1", "LICENSE=EULA")],
        &["app-misc/eula"],
    )
    .err();
    assert_eq!(
        err.to_string(),
        "the manifest requests app-misc/eula but no version of app-misc/eula is visible \
         (1 has a license that is not accepted: EULA)"
    );
    assert_eq!(
        err.help().as_deref(),
        Some("add \"EULA\" to ACCEPT_LICENSE in [env]")
    );
    let overlay = Repo::overlay("over").pkg("app-misc/same-1", "IUSE=over");
    let r = Req::new(
        vec![overlay, repo],
        &["app-misc/future", "app-misc/same", "app-misc/eula"],
    )
    .conf("ACCEPT_LICENSE", "EULA")
    .ok();
    assert_eq!(
        summary(&r),
        [
            "app-misc/eula-1@i",
            "app-misc/future-1@i",
            "app-misc/same-1@i"
        ]
    );
    assert_eq!(find(&r, "app-misc/same-1").repo, "over");
}

#[test]
fn result_does_not_depend_on_target_order() {
    let a = Req::new(vec![basic()], &["app-misc/hello", "dev-libs/libfoo:1"]).ok();
    let b = Req::new(vec![basic()], &["dev-libs/libfoo:1", "app-misc/hello"]).ok();
    let strip = |r: &Resolution| {
        r.packages
            .iter()
            .map(|p| (p.cpv.to_string(), p.in_image, p.in_builder, p.deps.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(strip(&a), strip(&b));
}

#[test]
fn a_wide_closure_resolves_fast_and_reads_only_touched_entries() {
    // 40 packages, 3 versions each, every package depending on the next
    // two (plus a USE-conditional and an any-of); 20 unrelated packages
    // that must never be read (their entries are corrupt).
    let mut repo = Repo::main();
    for i in 0..40 {
        for v in ["1.0", "1.1", "2.0"] {
            let deps: Vec<String> = (i + 1..(i + 3).min(40))
                .map(|j| format!(">=app-misc/p{j}-1.0"))
                .collect();
            repo = repo.pkg(
                &format!("app-misc/p{i}-{v}"),
                &format!(
                    "IUSE=+a b\nRDEPEND={} a? ( || ( app-misc/p39 app-misc/missing ) )\nDEPEND=b? ( app-misc/p0 )",
                    deps.join(" ")
                ),
            );
        }
    }
    for i in 0..20 {
        repo = repo.file(
            &format!("metadata/md5-cache/app-misc/untouched{i}-1"),
            "corrupt",
        );
    }
    let req = Req::new(vec![repo], &["app-misc/p0"]);
    let start = std::time::Instant::now();
    let r = req.ok();
    let elapsed = start.elapsed();
    assert_eq!(r.packages.len(), 40);
    assert!(
        r.packages
            .iter()
            .all(|p| p.cpv.version.to_string() == "2.0")
    );
    // Generous for unoptimised test builds; release builds take a few ms.
    assert!(
        elapsed < std::time::Duration::from_millis(500),
        "{elapsed:?}"
    );
}
