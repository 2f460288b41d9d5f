//! Thousands of mutated locks (every table: repositories, the builder in
//! its three forms, plugins, packages): parsing never panics, errors name a
//! line inside the text, and every lock that parses is written back to text
//! that parses and is written again byte for byte.

use std::path::Path;

use super::{LockfileError, parse, to_toml};
use crate::util::mutate::{Rng, mutate};

const HEAD: &str =
    "version = 1\nmanifest-checksum = \"sha256:00\"\nprofile = \"default/linux/amd64/23.0\"\n";

const BODY: &str = "\n[[repository]]\nname = \"gentoo\"\nsource = \"git+https://example.org/g.git?branch=stable\"\n\
commit = \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"\ncommit-time = 1700000000\n\n\
[[repository]]\nname = \"local\"\nsource = \"local+../overlay\"\n\n\
[[plugin]]\nname = \"strip-docs\"\nsource = \"path+plugins/strip.wasm\"\n\
sha256 = \"0000000000000000000000000000000000000000000000000000000000000000\"\n\n\
[[package]]\nname = \"app-misc/hello\"\nversion = \"2.0\"\nslot = \"0\"\nrepository = \"gentoo\"\nrole = \"image\"\n\
ebuild = \"md5:0123\"\nuse = [\n    \"-doc\",\n    \"extras\",\n]\ndependencies = [\n    \"dev-libs/libfoo (depend rdepend)\",\n]\n\n\
[[package]]\nname = \"dev-libs/libfoo\"\nversion = \"2.0-r1\"\nslot = \"2/2.0\"\nrepository = \"gentoo\"\nrole = \"both\"\n\
use = []\ndependencies = []\n";

const BUILDERS: &[&str] = &[
    "\n[builder]\nname = \"x86_64-glibc\"\nversion = \"1.2.0\"\nrequirement = \"^1.2\"\nindex = \"dir+../index\"\n\n\
     [builder.images]\n\"linux/amd64\" = \"r.example/b/x86_64-glibc@sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"\n",
    "\n[builder]\nimage = \"ghcr.io/me/builder:1\"\npinned = \"ghcr.io/me/builder@sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\"\n",
    "\n[builder]\npath = \"builders/x\"\n",
    "",
];

const TOKENS: &[&str] = &[
    "version",
    "name",
    "source",
    "commit",
    "role",
    "use",
    "slot",
    "\"image\"",
    "\"builder\"",
    "\"both\"",
    "[[package]]",
    "[[repository]]",
    "[[plugin]]",
    "[builder]",
    "[builder.images]",
    "sha256",
    "pinned",
    "path",
    "dependencies",
    "\"a/b (rdepend)\"",
    "\"2/\"",
    "git+",
    "local+",
    "path+",
    "url+",
    "requirement",
    "\"^1\"",
    "index",
    "images",
];

fn check(text: &str, parsed: &mut usize) {
    match parse(text, Path::new("staves.lock")) {
        Ok(lock) => {
            let written = to_toml(&lock);
            let again = parse(&written, Path::new("staves.lock"))
                .unwrap_or_else(|e| panic!("written lock does not parse: {e}\n{written}"));
            // The writer sorts (a hand-edited lock may not be): the text it
            // writes is a fixed point.
            assert_eq!(to_toml(&again), written);
            assert_eq!(again.packages.len(), lock.packages.len());
            *parsed += 1;
        }
        Err(err) => {
            if let LockfileError::Malformed { line, .. } = &err {
                assert!(
                    // An error at the very end of a text that ends with a newline
                    // is on the empty line after it.
                    *line >= 1 && *line <= text.lines().count() + 1,
                    "line {line} is outside the text: {err}\n{text}"
                );
            }
            let _ = err.to_string();
        }
    }
}

#[test]
fn mutated_locks_never_panic_and_round_trip() {
    let seeds: Vec<String> = BUILDERS
        .iter()
        .map(|b| format!("{HEAD}{b}{BODY}"))
        .collect();
    let mut parsed = 0;
    for seed in &seeds {
        check(seed, &mut parsed);
    }
    assert_eq!(parsed, seeds.len(), "every seed parses");
    let mut rng = Rng(0x10c4_f11e_5eed_0001);
    for i in 0..12_000 {
        let text = mutate(&mut rng, &seeds[i % seeds.len()], TOKENS);
        check(&text, &mut parsed);
    }
    // The mutations keep a fair share valid, so the round trip is tested.
    assert!(parsed > 1_000, "only {parsed} mutated locks parsed");
}
