//! The files of a generated repository: ebuilds, md5-cache entries that
//! record the ebuilds' MD5 (so Portage accepts the cache without
//! regenerating it), eclasses, licences and the profile.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use md5::{Digest, Md5};

use super::deps::MULTILIB_FLAGS;
use super::{Package, Repo, SlotKind, Ver, profile};

/// Every file of the repository, by path.
pub(crate) fn files(repo: &Repo) -> BTreeMap<String, Vec<u8>> {
    let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
    let eclass_md5: Vec<String> = repo
        .eclasses
        .iter()
        .map(|(name, content)| {
            files.insert(
                format!("eclass/{name}.eclass"),
                content.clone().into_bytes(),
            );
            md5_hex(content.as_bytes())
        })
        .collect();
    for lic in super::names::LICENSES
        .iter()
        .copied()
        .chain(["all-rights-reserved"])
    {
        files.insert(
            format!("licenses/{lic}"),
            format!("{lic}: licence text stand-in\n").into_bytes(),
        );
    }
    for p in &repo.packages {
        files.insert(
            format!("{}/{}/metadata.xml", p.cat, p.pn),
            metadata_xml(p).into_bytes(),
        );
        for v in &p.versions {
            let ebuild = ebuild(repo, p, v);
            let md5 = md5_hex(ebuild.as_bytes());
            files.insert(
                format!("metadata/md5-cache/{}/{}-{}", p.cat, p.pn, v.text),
                entry(repo, p, v, &md5, &eclass_md5).into_bytes(),
            );
            files.insert(
                format!("{}/{}/{}-{}.ebuild", p.cat, p.pn, p.pn, v.text),
                ebuild.into_bytes(),
            );
        }
    }
    profile::add_files(repo, &mut files);
    files
}

fn md5_hex(bytes: &[u8]) -> String {
    hex::encode(Md5::digest(bytes))
}

fn slot(p: &Package, v: &Ver) -> String {
    match p.slot {
        SlotKind::Plain => "0".to_owned(),
        SlotKind::Lib => format!("0/{}", v.major),
        SlotKind::Multi => format!("{}.{}", v.major, v.minor),
    }
}

fn iuse(p: &Package) -> String {
    let mut flags: Vec<String> = p
        .iuse
        .iter()
        .map(|(f, on)| if *on { format!("+{f}") } else { f.clone() })
        .collect();
    if p.multilib {
        flags.extend(MULTILIB_FLAGS.iter().map(|f| (*f).to_owned()));
    }
    flags.sort_by(|a, b| a.trim_start_matches('+').cmp(b.trim_start_matches('+')));
    flags.join(" ")
}

/// The variables of one ebuild, in md5-cache key order; empty values are
/// left out.
fn vars(repo: &Repo, p: &Package, v: &Ver) -> Vec<(&'static str, String)> {
    let restrict = if p.flag_on("test").is_some() {
        "!test? ( test )".to_owned()
    } else {
        String::new()
    };
    let inherit: Vec<&str> = p
        .inherit
        .iter()
        .map(|&i| repo.eclasses[i].0.as_str())
        .collect();
    let flat = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
    vec![
        ("BDEPEND", flat(&p.bdepend)),
        (
            "DEFINED_PHASES",
            "compile configure install prepare".to_owned(),
        ),
        ("DEPEND", flat(&p.depend)),
        ("DESCRIPTION", format!("Generated package {}", p.name())),
        ("EAPI", "8".to_owned()),
        ("HOMEPAGE", format!("https://example.invalid/{}", p.pn)),
        ("INHERIT", inherit.join(" ")),
        ("IUSE", iuse(p)),
        ("KEYWORDS", v.keywords.clone()),
        ("LICENSE", p.license.to_owned()),
        ("PDEPEND", flat(&p.pdepend)),
        ("RDEPEND", flat(&p.rdepend)),
        ("REQUIRED_USE", p.required_use.clone()),
        ("RESTRICT", restrict),
        ("SLOT", slot(p, v)),
        (
            "SRC_URI",
            format!(
                "https://example.invalid/{pn}/{pn}-{v}.tar.xz",
                pn = p.pn,
                v = v.text
            ),
        ),
    ]
}

/// The ebuild: the same variables as its cache entry, as shell.
fn ebuild(repo: &Repo, p: &Package, v: &Ver) -> String {
    let mut s = String::from(
        "# Copyright 2026 Staves benchmark generator\n\
         # Distributed under the terms of the GNU General Public License v2\n\nEAPI=8\n\n",
    );
    let vars = vars(repo, p, v);
    if let Some((_, inherit)) = vars.iter().find(|(k, _)| *k == "INHERIT")
        && !inherit.is_empty()
    {
        let _ = writeln!(s, "inherit {inherit}\n");
    }
    for (key, value) in &vars {
        if value.is_empty() || matches!(*key, "DEFINED_PHASES" | "EAPI" | "INHERIT") {
            continue;
        }
        let value = if matches!(*key, "RDEPEND" | "DEPEND" | "BDEPEND" | "PDEPEND") {
            original(p, key)
        } else {
            value.clone()
        };
        let _ = writeln!(s, "{key}=\"{value}\"");
    }
    s.push_str(
        "\nsrc_prepare() {\n\tdefault\n}\n\nsrc_configure() {\n\teconf\n}\n\n\
         src_compile() {\n\temake\n}\n\nsrc_install() {\n\tdefault\n}\n",
    );
    s
}

fn original(p: &Package, key: &str) -> String {
    match key {
        "RDEPEND" => format!("\n\t{}\n", p.rdepend),
        "DEPEND" => p.depend.clone(),
        "BDEPEND" => p.bdepend.clone(),
        _ => p.pdepend.clone(),
    }
}

/// The md5-cache entry (md5-dict format).
fn entry(repo: &Repo, p: &Package, v: &Ver, md5: &str, eclass_md5: &[String]) -> String {
    let mut s = String::new();
    for (key, value) in vars(repo, p, v) {
        if !value.is_empty() {
            let _ = writeln!(s, "{key}={value}");
        }
    }
    if !p.inherit.is_empty() {
        let pairs: Vec<String> = p
            .inherit
            .iter()
            .map(|&i| format!("{}\t{}", repo.eclasses[i].0, eclass_md5[i]))
            .collect();
        let _ = writeln!(s, "_eclasses_={}", pairs.join("\t"));
    }
    let _ = writeln!(s, "_md5_={md5}");
    s
}

fn metadata_xml(p: &Package) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
         <!DOCTYPE pkgmetadata SYSTEM \"https://www.gentoo.org/dtd/metadata.dtd\">\n\
         <pkgmetadata>\n\t<maintainer type=\"project\">\n\t\t<email>gen@example.invalid</email>\n\t</maintainer>\n\
         \t<upstream>\n\t\t<remote-id type=\"github\">example/{}</remote-id>\n\t</upstream>\n</pkgmetadata>\n",
        p.pn
    )
}
