//! Thousands of generated and mutated documents: parsing, error rendering,
//! the checksum and the editor never panic, and the editor's add/remove
//! round trip holds on every document that parses.

use std::path::Path;

use crate::manifest::Manifest;
use crate::manifest::edit::{AddOutcome, StavesTomlMut};
use crate::manifest::template::starter;
use crate::util::mutate::{Rng, mutate as mutate_with};

const SEEDS: &[&str] = &[
    "name = \"x\"\npackages = [\"=app-shells/bash-5.2_p37\", \"dev-lang/python\"]\ncommand = [\"/bin/bash\"]\n\
     profile = \"default/linux/amd64/23.0\"\n[env]\nCFLAGS = \"-O2 -pipe\"\n[env.no-cache]\nFEATURES = \"-buildpkg\"\n\
     [package.\"app-shells/bash\"]\nuse = [\"-nls\", \"readline\"]\nkeywords = [\"~amd64\"]\nenv = [\"no-cache\"]\n\
     ['dev-lang/python']\nuse = [\"-ssl\"]\n[[repositories]]\nname = \"gentoo\"\ntype = \"git\"\nuri = \"u\"\nbranch = \"stable\"\n\
     [[repositories]]\nname = \"local-overlay\"\ntype = \"local\"\npath = \"../overlay\"\n[builder]\nname = \"x86_64-glibc\"\nversion = \"^1.2\"\n\
     [image]\nenv = { K = \"v\" }\nuser = \"app\"\nworkdir = \"/srv\"\nlabels = { a = \"b\" }\nexpose = [\"8080/tcp\", \"53/udp\"]\n\
     [locale]\nname = \"en_US\"\ncharset = \"UTF-8\"\n[annotations]\nc = \"d\"\n\
     [[plugins]]\nname = \"p\"\npath = \"p.wasm\"\nhook = \"post-build\"\nconfig = { x = [1, 2] }\n",
    "name = \"x\"\npackages = [\n    \"a/b\", # c\n    # d\n    \"c/d\",\n]\n",
    "name = \"x\"\r\npackages = ['a/b']\r\n",
    "packages = [ ]\n",
];

const TOKENS: &[&str] = &[
    "packages",
    "package",
    "name",
    "env",
    "use",
    "keywords",
    "repositories",
    "builder",
    "image",
    "plugins",
    "type",
    "git",
    "local",
    "hook",
    "post-build",
    "version",
    "\"^1.2\"",
    "expose",
    "\"a/b\"",
    "'c/d'",
    "!",
    "!!",
    "=cat/pkg-1",
    "::",
    ":",
    "/",
    "*",
    "[package.\"a/b\"]",
    "['e/f']",
    "[[repositories]]",
    "[[plugins]]",
    "[builder]",
    "[env.x]",
    "sha256",
    "url",
    "path",
];

fn mutate(rng: &mut Rng, text: &str) -> String {
    mutate_with(rng, text, TOKENS)
}

fn exercise(text: &str, round_trips: &mut usize) {
    let path = Path::new("staves.toml");
    match Manifest::from_str_at(text, path) {
        Ok(manifest) => {
            let _ = manifest.resolution_checksum();
            let _ = manifest.labels();
            let _ = manifest.image.exposed_ports();
            let _ = manifest.builder.as_ref().map(|b| b.source());
            check_round_trip(text, round_trips);
        }
        Err(err) => {
            let snippet = err.render_snippet(text);
            assert!(snippet.starts_with("error: "), "{snippet}");
            let _ = err.render_snippet("");
            let _ = err.to_string();
        }
    }
    if let Ok(mut doc) = StavesTomlMut::parse(text) {
        let _ = doc.add_package("dev-lang/python");
        let _ = doc.set_package_config("a/b", &["x".into()], &[], &["y".into()]);
        let _ = doc.remove_package("app-shells/bash");
        let _ = doc.to_string();
    }
}

/// On a valid manifest with a `packages` list, adding a new atom and
/// removing it again gives back the same bytes.
fn check_round_trip(text: &str, round_trips: &mut usize) {
    let Ok(mut doc) = StavesTomlMut::parse(text) else {
        return;
    };
    // Without a `packages` key, adding creates one and removing leaves `[]`.
    let has_packages = text
        .parse::<toml_edit::DocumentMut>()
        .is_ok_and(|doc| doc.contains_key("packages"));
    // `toml_edit` writes one line ending after each key; mixed endings
    // come out as the majority one, so only consistent files round-trip.
    let crlf = text.matches("\r\n").count();
    let consistent =
        text.matches('\r').count() == crlf && (crlf == 0 || crlf == text.matches('\n').count());
    if !has_packages || !consistent || text.contains("zzz-fuzz/new") {
        return;
    }
    if !matches!(doc.add_package("zzz-fuzz/new"), Ok(AddOutcome::Added)) {
        return;
    }
    let added = doc.to_string();
    let mut doc = StavesTomlMut::parse(&added).expect("the editor writes valid TOML");
    assert_eq!(
        doc.remove_package("zzz-fuzz/new").ok(),
        Some(vec!["zzz-fuzz/new".to_owned()])
    );
    assert_eq!(doc.to_string(), text, "round trip through:\n{added}");
    *round_trips += 1;
}

#[test]
fn mutated_documents_never_panic() {
    let mut rng = Rng(0x5eed_1234_abcd_ef01);
    let mut seeds: Vec<String> = SEEDS.iter().map(|s| s.to_string()).collect();
    seeds.push(starter("fuzz"));
    let mut round_trips = 0;
    let mut valid = 0;
    for i in 0..6000 {
        let seed = &seeds[i % seeds.len()];
        let text = mutate(&mut rng, seed);
        if Manifest::from_str_at(&text, Path::new("staves.toml")).is_ok() {
            valid += 1;
        }
        exercise(&text, &mut round_trips);
    }
    // The mutations must leave enough valid documents for the round trip to mean something.
    assert!(valid > 300, "only {valid} valid documents");
    assert!(round_trips > 300, "only {round_trips} round trips");
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = Rng(0x0dd_ba11);
    for _ in 0..3000 {
        let len = rng.below(200);
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                let token = TOKENS[rng.below(TOKENS.len())].as_bytes();
                if rng.below(4) == 0 {
                    (rng.next() & 0xff) as u8
                } else {
                    token[0]
                }
            })
            .collect();
        match Manifest::from_bytes_at(&bytes, Path::new("staves.toml")) {
            Ok(_) => {}
            Err(err) => {
                let _ = err.render_snippet(&String::from_utf8_lossy(&bytes));
            }
        }
    }
}
