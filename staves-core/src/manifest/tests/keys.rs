//! One test per key: each is read into the model as documented.

use std::path::Path;

use super::parse;
use crate::manifest::{
    BuilderSource, Command, ExposedPort, GitRef, Hook, Manifest, Protocol, RepositoryKind,
};

/// The seed article's example, unchanged.
const SEED: &str = r#"
name = "bash-image"
packages = ["=app-shells/bash-5.2_p37"]
command = ["/bin/bash"]

[env]
CFLAGS = "-O2 -pipe"

[env.no-cache]
FEATURES = "-buildpkg"

['app-shells/bash']
use = ["-nls"]
env = ["no-cache"]

[[repositories]]
name = "gentoo"
type = "git"
uri = "https://github.com/gentoo-mirror/gentoo.git"

[locale]
name = "en_US"
charset = "UTF-8"

[annotations]
"org.opencontainers.image.title" = "bash"
"#;

#[test]
fn the_seed_article_example_parses_with_its_meaning() {
    let m = parse(SEED);
    assert_eq!(m.name.get_ref(), "bash-image");
    assert_eq!(m.packages[0].get_ref(), "=app-shells/bash-5.2_p37");
    assert_eq!(m.command, Some(Command::Argv(vec!["/bin/bash".into()])));
    assert_eq!(m.env.vars["CFLAGS"], "-O2 -pipe");
    assert_eq!(m.env.named["no-cache"]["FEATURES"], "-buildpkg");
    let bash = m.package_config("app-shells/bash").unwrap();
    assert_eq!(bash.use_flags[0].get_ref(), "-nls");
    assert_eq!(bash.env[0].get_ref(), "no-cache");
    assert_eq!(m.repositories[0].kind, RepositoryKind::Git);
    assert_eq!(m.repositories[0].git_ref(), GitRef::DefaultBranch);
    let locale = m.locale.as_ref().unwrap();
    assert_eq!(
        (locale.name.as_str(), locale.charset.as_str()),
        ("en_US", "UTF-8")
    );
    assert_eq!(m.labels()["org.opencontainers.image.title"], "bash");
}

#[test]
fn name_and_version() {
    let m = parse("name = \"ghcr.io/me/bash\"\nversion = \"1.0.0\"\n");
    assert_eq!(m.name.get_ref(), "ghcr.io/me/bash");
    assert_eq!(m.version.unwrap().get_ref(), "1.0.0");
    let m = parse("name = \"localhost:5000/a_b/c-d.e\"\n");
    assert_eq!(m.name.get_ref(), "localhost:5000/a_b/c-d.e");
}

#[test]
fn packages_default_to_empty() {
    let m = parse("name = \"x\"\n");
    assert!(m.packages.is_empty());
    assert!(m.command.is_none() && m.profile.is_none() && m.builder.is_none());
    assert!(m.repositories.is_empty() && m.plugins.is_empty() && m.package.is_empty());
}

#[test]
fn command_as_string_or_array() {
    let m = parse("name = \"x\"\ncommand = \"/bin/bash\"\n");
    assert_eq!(m.command.unwrap().argv(), vec!["/bin/bash"]);
    let m = parse("name = \"x\"\ncommand = [\"/usr/bin/python3\", \"-m\", \"http.server\"]\n");
    assert_eq!(
        m.command.unwrap().argv(),
        vec!["/usr/bin/python3", "-m", "http.server"]
    );
}

#[test]
fn profile() {
    let m = parse("name = \"x\"\nprofile = \"default/linux/amd64/23.0\"\n");
    assert_eq!(m.profile.unwrap().get_ref(), "default/linux/amd64/23.0");
}

#[test]
fn canonical_package_tables() {
    let m = parse(
        "name = \"x\"\npackages = [\"app-shells/bash\"]\n[env.no-cache]\nFEATURES = \"-buildpkg\"\n\
         [package.\"app-shells/bash\"]\nuse = [\"-nls\", \"readline\"]\nkeywords = [\"~amd64\"]\nenv = [\"no-cache\"]\n\
         [package.\">=dev-lang/python-3.12:3.12\"]\nkeywords = [\"**\"]\n",
    );
    let bash = m.package_config("app-shells/bash").unwrap();
    let flags: Vec<&str> = bash
        .use_flags
        .iter()
        .map(|f| f.get_ref().as_str())
        .collect();
    assert_eq!(flags, ["-nls", "readline"]);
    assert_eq!(bash.keywords[0].get_ref(), "~amd64");
    assert!(m.package_config(">=dev-lang/python-3.12:3.12").is_some());
}

#[test]
fn legacy_and_canonical_tables_mix_for_different_packages() {
    let m = parse(
        "name = \"x\"\n\"e/f\".keywords = [\"~arm64\"]\n[package.\"a/b\"]\nuse = [\"x\"]\n['c/d']\nuse = [\"y\"]\n",
    );
    assert_eq!(m.package.len(), 3);
    assert_eq!(
        m.package_config("e/f").unwrap().keywords[0].get_ref(),
        "~arm64"
    );
}

#[test]
fn repositories() {
    let m = parse(
        "name = \"x\"\n\
         [[repositories]]\nname = \"gentoo\"\ntype = \"git\"\nuri = \"https://example.invalid/g.git\"\nbranch = \"stable\"\n\
         [[repositories]]\nname = \"private\"\ntype = \"git\"\nuri = \"git@github.com:me/overlay.git\"\ntag = \"v1\"\n\
         [[repositories]]\nname = \"pinned\"\ntype = \"git\"\nuri = \"file:///srv/x.git\"\nrev = \"0123abcd\"\n\
         [[repositories]]\nname = \"local-overlay\"\ntype = \"local\"\npath = \"../overlay\"\n",
    );
    let refs: Vec<GitRef<'_>> = m.repositories.iter().map(|r| r.git_ref()).collect();
    assert_eq!(
        refs,
        [
            GitRef::Branch("stable"),
            GitRef::Tag("v1"),
            GitRef::Rev("0123abcd"),
            GitRef::DefaultBranch
        ]
    );
    assert_eq!(m.repositories[3].kind, RepositoryKind::Local);
    assert_eq!(
        m.repositories[3].path.as_deref(),
        Some(Path::new("../overlay"))
    );
}

#[test]
fn builder_forms() {
    let source = |text: &str| {
        let m = parse(&format!("name = \"x\"\n[builder]\n{text}\n"));
        format!("{:?}", m.builder.unwrap().source().unwrap())
    };
    assert_eq!(
        source("name = \"x86_64-glibc\"\nversion = \"^1.2\""),
        format!(
            "{:?}",
            BuilderSource::Registry {
                name: "x86_64-glibc",
                version: "^1.2".parse().unwrap()
            }
        )
    );
    assert!(source("name = \"x86_64-musl\"").contains("version: VersionReq { comparators: [] }"));
    let digest = "a".repeat(64);
    assert!(source(&format!("image = \"ghcr.io/x/y@sha256:{digest}\"")).starts_with("Image("));
    assert!(source("path = \"builders/python\"").starts_with("Path("));
}

#[test]
fn image_metadata() {
    let m = parse(
        "name = \"x\"\n[image]\nenv = { LANG = \"C.UTF-8\" }\nuser = \"app\"\nworkdir = \"/srv\"\n\
         labels = { \"org.opencontainers.image.source\" = \"https://example.invalid\" }\n\
         expose = [\"8080/tcp\", \"53/udp\", \"9000\"]\n",
    );
    assert_eq!(m.image.env["LANG"], "C.UTF-8");
    assert_eq!(m.image.user.as_deref(), Some("app"));
    assert_eq!(m.image.workdir.as_deref(), Some("/srv"));
    let ports = m.image.exposed_ports();
    assert_eq!(
        ports[1],
        ExposedPort {
            port: 53,
            protocol: Protocol::Udp
        }
    );
    assert_eq!(ports[2].to_string(), "9000/tcp");
    assert_eq!(m.labels().len(), 1);
}

#[test]
fn annotations_merge_with_labels() {
    let m = parse("name = \"x\"\n[annotations]\na = \"1\"\n[image.labels]\nb = \"2\"\n");
    assert_eq!(m.labels().len(), 2);
}

#[test]
fn plugins() {
    let sha = "0123456789abcdef".repeat(4);
    let m = parse(&format!(
        "name = \"x\"\n[[plugins]]\nname = \"strip\"\npath = \"plugins/strip.wasm\"\nhook = \"post-build\"\n\
         config = {{ keep = [\"/bin/sh\"], level = 2 }}\n\
         [[plugins]]\nname = \"sbom\"\nurl = \"https://example.invalid/sbom.wasm\"\nsha256 = \"{sha}\"\nhook = \"post-build\"\n"
    ));
    assert_eq!(m.plugins[0].hook, Hook::PostBuild);
    assert_eq!(m.plugins[0].config["level"].as_integer(), Some(2));
    assert_eq!(m.plugins[1].sha256.as_ref().unwrap().get_ref(), &sha);
}

#[test]
fn load_reads_files_and_names_missing_ones() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("staves.toml");
    fs_err::write(&path, SEED).unwrap();
    assert_eq!(Manifest::load(&path).unwrap().name.get_ref(), "bash-image");
    let missing = dir.path().join("nope.toml");
    let err = Manifest::load(&missing).unwrap_err();
    assert_eq!(err.kind(), crate::manifest::ErrorKind::Read);
    assert!(err.to_string().contains("nope.toml"), "{err}");
    assert!(std::error::Error::source(&err).is_some());
}

#[test]
fn checksum_covers_resolution_inputs_only() {
    let base = parse(SEED);
    let sum = base.resolution_checksum();
    assert!(sum.starts_with("sha256:") && sum.len() == 7 + 64, "{sum}");
    let same = |text: &str| parse(text).resolution_checksum() == sum;
    // Not resolution inputs.
    assert!(same(&SEED.replace("bash-image", "other-name")));
    assert!(same(
        &SEED.replace("command = [\"/bin/bash\"]", "command = \"/bin/sh\"")
    ));
    assert!(same(&SEED.replace("en_US", "de_DE")));
    assert!(same(
        &SEED.replace("title\" = \"bash\"", "title\" = \"other\"")
    ));
    assert!(same(&format!("{SEED}[image]\nuser = \"app\"\n")));
    // Formatting and the form of a package table do not matter.
    assert!(same(&SEED.replace(
        "['app-shells/bash']",
        "[package.\"app-shells/bash\"]"
    )));
    assert!(same(&format!("# comment\n{SEED}")));
    // Resolution inputs.
    assert!(!same(&SEED.replace("5.2_p37", "5.2_p36")));
    assert!(!same(&SEED.replace("-O2 -pipe", "-O3")));
    assert!(!same(&SEED.replace("-buildpkg", "buildpkg")));
    assert!(!same(&SEED.replace("use = [\"-nls\"]", "use = [\"nls\"]")));
    assert!(!same(&SEED.replace("gentoo-mirror", "other-mirror")));
    assert!(!same(&format!(
        "{SEED}[builder]\nname = \"x86_64-glibc\"\n"
    )));
    assert!(!same(&format!(
        "profile = \"default/linux/amd64/23.0\"\n{SEED}"
    )));
    let with_plugin =
        format!("{SEED}[[plugins]]\nname = \"p\"\npath = \"p.wasm\"\nhook = \"post-build\"\n");
    assert!(!same(&with_plugin));
    // Plugin config is not an input.
    let configured = format!("{with_plugin}config = {{ a = 1 }}\n");
    assert_eq!(
        parse(&with_plugin).resolution_checksum(),
        parse(&configured).resolution_checksum()
    );
}

#[test]
fn checksum_ignores_package_order() {
    let a = parse("name = \"x\"\npackages = [\"a/a\", \"b/b\"]\n");
    let b = parse("name = \"x\"\npackages = [\"b/b\", \"a/a\"]\n");
    assert_eq!(a.resolution_checksum(), b.resolution_checksum());
}

#[test]
fn checksum_document_is_canonical_json() {
    let doc = parse("name = \"x\"\npackages = [\"a/a\"]\n").resolution_document();
    assert_eq!(
        doc,
        r#"{"builder":null,"checksum-version":1,"env":{"named":{},"vars":{}},"package":{},"packages":["a/a"],"plugins":[],"profile":null,"repositories":[]}"#
    );
}
