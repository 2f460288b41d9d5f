//! The profile as the resolver loads it (through `gentoo::ProfileStack`):
//! errors for broken profiles, lines skipped with a warning, license
//! groups of every repository, and IUSE entries Portage would ignore.

use super::*;

#[test]
fn a_missing_profile_or_parent_names_the_file_and_what_to_do() {
    let mut req = Req::new(vec![Repo::main().pkg("app-misc/a-1", "")], &["app-misc/a"]);
    req.0.profile = Some("test/nope".to_owned());
    let err = req.err();
    assert_eq!(
        err.to_string(),
        "cannot load profile test/nope of repository test: profile `test/nope` does not exist \
         in repository `test` (no directory `profiles/test/nope`); `profiles/profiles.desc` \
         lists the available profiles"
    );
    assert!(
        err.help().is_some_and(|h| h.contains("profiles.desc")),
        "{:?}",
        err.help()
    );

    let repo = Repo::main()
        .pkg("app-misc/a-1", "")
        .file("profiles/test/amd64/parent", "../base\n../gone\n")
        .file("profiles/test/base/eapi", "5\n");
    let err = Req::new(vec![repo], &["app-misc/a"]).err();
    let shown = err.to_string();
    assert!(
        shown.contains("parent `../gone`")
            && shown.contains("`profiles/test/amd64/parent` line 2 of repository `test`"),
        "{shown}"
    );
    assert!(
        err.help().is_some_and(|h| h.contains("fix the named file")),
        "{:?}",
        err.help()
    );
}

#[test]
fn a_bad_profiles_desc_line_is_an_error_with_its_line() {
    let repo = Repo::main().pkg("app-misc/a-1", "").file(
        "profiles/profiles.desc",
        "amd64 test/amd64 stable\namd64 broken\n",
    );
    let err = Req::new(vec![repo], &["app-misc/a"]).err().to_string();
    assert!(
        err.starts_with("cannot load profile (default) of repository test: ")
            && err.contains("`profiles/profiles.desc` line 2"),
        "{err}"
    );
}

#[test]
fn invalid_profile_lines_are_skipped_with_a_warning_like_portage() {
    let repo = basic().file(
        "profiles/test/amd64/package.mask",
        "not an atom\n>=dev-libs/libfoo-2\n",
    );
    let r = Req::new(vec![repo], &["dev-libs/libfoo"]).ok();
    assert_eq!(summary(&r), ["dev-libs/libfoo-1.0@i"]);
    assert_eq!(r.warnings.len(), 1, "{:?}", r.warnings);
    assert!(
        r.warnings[0]
            .starts_with("`profiles/test/amd64/package.mask` line 1 of repository `test`: ")
            && r.warnings[0].contains("ignored"),
        "{:?}",
        r.warnings
    );
}

#[test]
fn license_groups_of_every_repository_are_merged() {
    // Portage's LicenseManager merges the groups of all repositories.
    let overlay = Repo::overlay("over")
        .file("profiles/license_groups", "FREE over-free\n")
        .pkg("app-misc/o-1", "LICENSE=over-free");
    let r = Req::new(vec![Repo::main(), overlay], &["app-misc/o"]).ok();
    assert_eq!(summary(&r), ["app-misc/o-1@i"]);
}

#[test]
fn a_bad_iuse_entry_is_ignored_with_a_warning_like_portage() {
    // Portage 3.0.83 keeps app-misc/badiuse-2.0 with IUSE="+good bad! ++x"
    // visible and enables `good` (it only warns about `++x`).
    let repo = Repo::main()
        .pkg("app-misc/badiuse-1.0", "IUSE=+good")
        .pkg("app-misc/badiuse-2.0", "IUSE=+good bad! ++x");
    let r = Req::new(vec![repo], &["app-misc/badiuse"]).ok();
    let p = find(&r, "app-misc/badiuse-2.0");
    assert_eq!(p.use_enabled.iter().collect::<Vec<_>>(), ["good"]);
    assert_eq!(p.iuse.iter().collect::<Vec<_>>(), ["good"]);
    assert_eq!(
        r.warnings,
        [
            "metadata/md5-cache/app-misc/badiuse-2.0 in repository test: IUSE: invalid IUSE \
             entry `++x`: expected `flag`, `+flag` or `-flag`; the entry is ignored, as Portage does",
            "metadata/md5-cache/app-misc/badiuse-2.0 in repository test: IUSE: invalid IUSE \
             entry `bad!`: expected `flag`, `+flag` or `-flag`; the entry is ignored, as Portage does",
        ]
    );
}

#[test]
fn iuse_defaults_in_eapi_0_hide_the_version_with_a_reason() {
    // Portage 3.0.83: "masked by: invalid: IUSE contains defaults, but EAPI
    // doesn't allow them"; a lower valid version is taken instead.
    let repo = || {
        Repo::main()
            .pkg("app-misc/old-1", "EAPI=0\nIUSE=good")
            .pkg("app-misc/old-2", "EAPI=0\nIUSE=+good")
    };
    let r = Req::new(vec![repo()], &["app-misc/old"]).ok();
    assert_eq!(summary(&r), ["app-misc/old-1@i"]);
    let err = Req::new(vec![repo()], &["=app-misc/old-2"]).err();
    assert_eq!(
        err.to_string(),
        "the manifest requests =app-misc/old-2 but only 1 is visible \
         (2 has invalid metadata: IUSE has defaults (+flag/-flag), which EAPI 0 does not allow)"
    );
}
