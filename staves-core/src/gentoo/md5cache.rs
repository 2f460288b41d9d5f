//! md5-cache entries (`metadata/md5-cache/CAT/PF`, the "md5-dict" format)
//! and Portage's validity check for them (gentoo.md §3).
//!
//! An entry is one `KEY=value` per line, split at the first `=`. Keys with
//! empty values are omitted by the writer, `_eclasses_` holds TAB-separated
//! `name<TAB>md5` pairs and `_md5_` the MD5 of the ebuild's bytes.

use std::collections::BTreeMap;

use md5::{Digest, Md5};

use super::error::ParseError;
use super::tree::{EntryKind, RepoFiles};

/// One parsed md5-cache entry: the metadata of one ebuild.
///
/// Dependency strings, `IUSE`, `LICENSE` and friends are kept as the raw
/// (unevaluated) strings of the entry; the `depspec` and `iuse` parsers
/// turn them into structures. Absent keys are empty strings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CacheEntry {
    /// `EAPI`; `"0"` when the key is absent (PMS default).
    pub eapi: String,
    /// The slot part of `SLOT` (before any `/`).
    pub slot: String,
    /// The sub-slot part of `SLOT`; equal to [`slot`](Self::slot) when the
    /// entry has no explicit sub-slot.
    pub subslot: String,
    /// `KEYWORDS`, split on whitespace.
    pub keywords: Vec<String>,
    /// `IUSE`, raw (flags with optional `+`/`-` default prefixes).
    pub iuse: String,
    /// `DEPEND`, raw.
    pub depend: String,
    /// `RDEPEND`, raw.
    pub rdepend: String,
    /// `BDEPEND`, raw.
    pub bdepend: String,
    /// `PDEPEND`, raw.
    pub pdepend: String,
    /// `IDEPEND`, raw.
    pub idepend: String,
    /// `REQUIRED_USE`, raw.
    pub required_use: String,
    /// `LICENSE`, raw.
    pub license: String,
    /// `PROPERTIES`, raw.
    pub properties: String,
    /// `RESTRICT`, raw.
    pub restrict: String,
    /// `DESCRIPTION`.
    pub description: String,
    /// `HOMEPAGE`, raw.
    pub homepage: String,
    /// `SRC_URI`, raw.
    pub src_uri: String,
    /// `DEFINED_PHASES`, split; the literal `-` ("none defined") becomes an
    /// empty list.
    pub defined_phases: Vec<String>,
    /// `INHERIT`: the eclasses named directly by the ebuild, split.
    pub inherit: Vec<String>,
    /// `_eclasses_`: `(eclass, md5 hex)` for every eclass in the inherit
    /// closure, in the entry's (unsorted) order.
    pub eclasses: Vec<(String, String)>,
    /// `_md5_`: MD5 (hex) of the ebuild file, when recorded.
    pub md5: Option<String>,
    /// Every other key (for example keys added by newer Portage versions),
    /// verbatim.
    pub extra: BTreeMap<String, String>,
}

impl CacheEntry {
    /// Parses md5-dict bytes.
    ///
    /// # Errors
    /// A line that is not UTF-8 or has no `=`, an empty key, a missing
    /// `SLOT`, or a malformed `_eclasses_` value; the error carries the
    /// 1-based line number.
    pub fn parse(bytes: &[u8]) -> Result<CacheEntry, ParseError> {
        parse(bytes)
    }

    /// The full `SLOT` value as written (`"0"` or `"0/8"`).
    pub fn slot_string(&self) -> String {
        if self.subslot == self.slot {
            self.slot.clone()
        } else {
            format!("{}/{}", self.slot, self.subslot)
        }
    }
}

/// Parses md5-dict bytes into a [`CacheEntry`]; see [`CacheEntry::parse`].
///
/// # Errors
/// See [`CacheEntry::parse`].
pub fn parse(bytes: &[u8]) -> Result<CacheEntry, ParseError> {
    let mut entry = CacheEntry {
        eapi: "0".to_owned(),
        ..CacheEntry::default()
    };
    let mut slot_line = None;
    let mut lines: Vec<&[u8]> = bytes.split(|b| *b == b'\n').collect();
    // Like Portage: a trailing newline does not make an empty last line.
    if lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    for (index, raw) in lines.into_iter().enumerate() {
        let line_no = index + 1;
        let line = std::str::from_utf8(raw).map_err(|e| {
            ParseError::on_line(
                line_no,
                format!(
                    "line is not UTF-8 (bad byte at column {})",
                    e.valid_up_to() + 1
                ),
            )
        })?;
        let Some((key, value)) = line.split_once('=') else {
            return Err(ParseError::on_line(
                line_no,
                format!("line `{}` has no `=` (expected KEY=value)", shorten(line)),
            ));
        };
        if key.is_empty() {
            return Err(ParseError::on_line(
                line_no,
                "line has an empty key before `=`",
            ));
        }
        let words = || {
            value
                .split_whitespace()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        };
        match key {
            "EAPI" => {
                entry.eapi = if value.trim().is_empty() {
                    "0".to_owned()
                } else {
                    value.trim().to_owned()
                }
            }
            "SLOT" => slot_line = Some((line_no, value.trim().to_owned())),
            "KEYWORDS" => entry.keywords = words(),
            "IUSE" => entry.iuse = value.to_owned(),
            "DEPEND" => entry.depend = value.to_owned(),
            "RDEPEND" => entry.rdepend = value.to_owned(),
            "BDEPEND" => entry.bdepend = value.to_owned(),
            "PDEPEND" => entry.pdepend = value.to_owned(),
            "IDEPEND" => entry.idepend = value.to_owned(),
            "REQUIRED_USE" => entry.required_use = value.to_owned(),
            "LICENSE" => entry.license = value.to_owned(),
            "PROPERTIES" => entry.properties = value.to_owned(),
            "RESTRICT" => entry.restrict = value.to_owned(),
            "DESCRIPTION" => entry.description = value.to_owned(),
            "HOMEPAGE" => entry.homepage = value.to_owned(),
            "SRC_URI" => entry.src_uri = value.to_owned(),
            "DEFINED_PHASES" => {
                entry.defined_phases = words().into_iter().filter(|p| p != "-").collect();
            }
            "INHERIT" => entry.inherit = words(),
            "_eclasses_" => entry.eclasses = parse_eclasses(value, line_no)?,
            "_md5_" => entry.md5 = Some(value.trim().to_owned()),
            _ => {
                entry.extra.insert(key.to_owned(), value.to_owned());
            }
        }
    }
    let Some((line_no, slot)) = slot_line else {
        return Err(ParseError {
            message: "entry has no SLOT key (every ebuild must set SLOT)".to_owned(),
            offset: None,
            line: None,
        });
    };
    let (s, sub) = match slot.split_once('/') {
        Some((s, sub)) => (s, sub),
        None => (slot.as_str(), slot.as_str()),
    };
    if s.is_empty() || sub.is_empty() || sub.contains('/') {
        return Err(ParseError::on_line(
            line_no,
            format!("invalid SLOT `{slot}` (expected SLOT or SLOT/SUBSLOT)"),
        ));
    }
    entry.slot = s.to_owned();
    entry.subslot = sub.to_owned();
    Ok(entry)
}

fn shorten(line: &str) -> String {
    if line.chars().count() > 60 {
        let cut: String = line.chars().take(60).collect();
        format!("{cut}…")
    } else {
        line.to_owned()
    }
}

/// Parses `name<TAB>md5<TAB>name<TAB>md5…` (Portage's
/// `reconstruct_eclasses` with `paths=False`, `chf_type=md5`).
fn parse_eclasses(value: &str, line_no: usize) -> Result<Vec<(String, String)>, ParseError> {
    let value = value.trim();
    if value.is_empty() {
        return Ok(Vec::new());
    }
    let parts: Vec<&str> = value.split('\t').collect();
    if !parts.len().is_multiple_of(2) {
        return Err(ParseError::on_line(
            line_no,
            format!(
                "_eclasses_ has {} TAB-separated fields; expected name/md5 pairs",
                parts.len()
            ),
        ));
    }
    let mut out = Vec::with_capacity(parts.len() / 2);
    for pair in parts.chunks(2) {
        let (name, md5) = (pair[0], pair[1]);
        if name.is_empty() {
            return Err(ParseError::on_line(
                line_no,
                "_eclasses_ has an empty eclass name",
            ));
        }
        if md5.len() != 32 || !md5.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(ParseError::on_line(
                line_no,
                format!("_eclasses_ entry for `{name}` has `{md5}`, not 32 hex digits"),
            ));
        }
        out.push((name.to_owned(), md5.to_ascii_lowercase()));
    }
    Ok(out)
}

/// Whether Portage 3.0.83 supports `eapi` (its `eapi_is_supported`).
///
/// EAPI 9 **is** included: Portage 3.0.83 sets `portage.const.EAPI = 9`, so
/// the Portage that builds Staves images accepts EAPI 9 ebuilds and uses
/// their md5-cache entries; excluding it here would mask packages that the
/// builder installs. Like Portage, the testing EAPI `9-pre1` and the
/// historical `3_pre1`, `3_pre2`, `4_pre1`, `5_pre1`, `5_pre2`, `6_pre1`,
/// `7_pre1` are accepted too, and surrounding whitespace is ignored.
pub fn supported_eapi(eapi: &str) -> bool {
    matches!(
        eapi.trim(),
        "0" | "1"
            | "2"
            | "3"
            | "4"
            | "5"
            | "6"
            | "7"
            | "8"
            | "9"
            | "9-pre1"
            | "3_pre1"
            | "3_pre2"
            | "4_pre1"
            | "5_pre1"
            | "5_pre2"
            | "6_pre1"
            | "7_pre1"
    )
}

/// Lowercase hex MD5 of `bytes`.
pub fn md5_hex(bytes: &[u8]) -> String {
    hex::encode(Md5::digest(bytes))
}

/// Checks an entry the way Portage does before trusting it (gentoo.md §3.3).
///
/// * the EAPI must be supported ([`supported_eapi`]);
/// * `_md5_` must be present and equal the MD5 of `ebuild_bytes` (`None`
///   means the ebuild file is missing);
/// * every `_eclasses_` pair must name an eclass that `eclass_md5` finds in
///   the repository's eclass search path (masters first, the repository
///   itself last, later directories shadowing earlier ones; see
///   [`eclass_digests`]) with the same MD5.
///
/// Nothing else (no mtimes) is checked. `Err` says, in one sentence, why the
/// entry is stale; Portage would regenerate such an entry by sourcing the
/// ebuild, which Staves leaves to `egencache` in the builder.
///
/// # Errors
/// The reason the entry must not be used.
pub fn validate(
    entry: &CacheEntry,
    ebuild_bytes: Option<&[u8]>,
    eclass_md5: &dyn Fn(&str) -> Option<String>,
) -> Result<(), String> {
    if !supported_eapi(&entry.eapi) {
        return Err(format!(
            "EAPI `{}` is not supported by Portage 3.0.83",
            entry.eapi
        ));
    }
    let Some(bytes) = ebuild_bytes else {
        return Err("the ebuild file does not exist".to_owned());
    };
    let Some(recorded) = &entry.md5 else {
        return Err("the entry has no _md5_ key".to_owned());
    };
    let actual = md5_hex(bytes);
    if !recorded.eq_ignore_ascii_case(&actual) {
        return Err(format!(
            "the ebuild changed: _md5_ is {recorded} but the file's MD5 is {actual}"
        ));
    }
    for (name, recorded) in &entry.eclasses {
        match eclass_md5(name) {
            None => {
                return Err(format!(
                    "eclass `{name}` is not in the repository's eclass search path"
                ));
            }
            Some(actual) if !actual.eq_ignore_ascii_case(recorded) => {
                return Err(format!(
                    "eclass `{name}` changed: the entry records {recorded} but the file's MD5 is {actual}"
                ));
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// The MD5 of every eclass visible in an eclass search path.
///
/// `search_path` lists repositories in Portage's order: the masters (in
/// `layout.conf` order) first and the repository itself last. Each
/// contributes `eclass/*.eclass`; a later repository's eclass replaces an
/// earlier one of the same name (an overlay eclass shadows gentoo's). The
/// map goes from eclass name (without `.eclass`) to lowercase hex MD5.
///
/// # Errors
/// An I/O failure of one of the [`RepoFiles`].
pub fn eclass_digests(search_path: &[&dyn RepoFiles]) -> std::io::Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for repo in search_path {
        let Some(entries) = repo.list("eclass")? else {
            continue;
        };
        for e in entries {
            if e.kind == EntryKind::Dir {
                continue;
            }
            let Some(name) = e.name.strip_suffix(".eclass") else {
                continue;
            };
            if let Some(bytes) = repo.read(&format!("eclass/{}", e.name))? {
                out.insert(name.to_owned(), md5_hex(&bytes));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gentoo::tree::MemFiles;

    const READLINE: &str = "BDEPEND=virtual/pkgconfig\n\
DEFINED_PHASES=compile configure install postinst preinst prepare test unpack\n\
DEPEND=>=sys-libs/ncurses-5.9-r3:=[static-libs?]\n\
DESCRIPTION=Another cute console display library\n\
EAPI=8\n\
INHERIT=flag-o-matic multilib verify-sig\n\
IUSE=static-libs +unicode utils verify-sig\n\
KEYWORDS=~alpha amd64 arm ~x64-solaris\n\
LICENSE=GPL-3+\n\
SLOT=0/8\n\
X_FUTURE_KEY=a=b\n\
_eclasses_=toolchain-funcs\t98d9f464d912ae6b7316fb8a3721f5db\tflag-o-matic\ta7afe42e95fb46ce9691605acfb24672\n\
_md5_=05d8eaeebf40b6b5903f489abedb52d1\n";

    #[test]
    fn parses_a_real_entry() {
        let e = CacheEntry::parse(READLINE.as_bytes()).unwrap();
        assert_eq!(e.eapi, "8");
        assert_eq!((e.slot.as_str(), e.subslot.as_str()), ("0", "8"));
        assert_eq!(e.slot_string(), "0/8");
        assert_eq!(e.keywords, ["~alpha", "amd64", "arm", "~x64-solaris"]);
        assert_eq!(e.iuse, "static-libs +unicode utils verify-sig");
        assert_eq!(e.depend, ">=sys-libs/ncurses-5.9-r3:=[static-libs?]");
        assert_eq!(e.rdepend, "");
        assert_eq!(e.defined_phases.len(), 8);
        assert_eq!(e.inherit, ["flag-o-matic", "multilib", "verify-sig"]);
        assert_eq!(
            e.eclasses,
            [
                (
                    "toolchain-funcs".to_owned(),
                    "98d9f464d912ae6b7316fb8a3721f5db".to_owned()
                ),
                (
                    "flag-o-matic".to_owned(),
                    "a7afe42e95fb46ce9691605acfb24672".to_owned()
                ),
            ]
        );
        assert_eq!(e.md5.as_deref(), Some("05d8eaeebf40b6b5903f489abedb52d1"));
        // Split at the first `=` only.
        assert_eq!(e.extra["X_FUTURE_KEY"], "a=b");
    }

    #[test]
    fn defaults_and_dash_phases() {
        let e = CacheEntry::parse(b"SLOT=0\nDEFINED_PHASES=-\n").unwrap();
        assert_eq!(e.eapi, "0");
        assert_eq!(e.subslot, "0");
        assert!(e.defined_phases.is_empty());
        assert!(e.eclasses.is_empty());
        assert_eq!(e.md5, None);
    }

    #[test]
    fn errors_carry_line_numbers() {
        let err = CacheEntry::parse(b"SLOT=0\nEAPI=8\nbroken line\n").unwrap_err();
        assert_eq!(err.line, Some(3));
        assert!(err.message.contains("no `=`"), "{}", err.message);

        let err = CacheEntry::parse(b"SLOT=0\nDESCRIPTION=\xff\xfe\n").unwrap_err();
        assert_eq!(err.line, Some(2));
        assert!(err.message.contains("UTF-8"));

        let err = CacheEntry::parse(b"SLOT=0\n_eclasses_=a\tb\tc\n").unwrap_err();
        assert_eq!(err.line, Some(2));

        let err = CacheEntry::parse(b"SLOT=0\n_eclasses_=a\tnot-hex\n").unwrap_err();
        assert!(err.message.contains("32 hex"));

        let err = CacheEntry::parse(b"EAPI=8\n").unwrap_err();
        assert!(err.message.contains("SLOT"));

        let err = CacheEntry::parse(b"SLOT=0/\n").unwrap_err();
        assert_eq!(err.line, Some(1));
        // An empty line in the middle is a line without `=`, as in Portage.
        assert_eq!(
            CacheEntry::parse(b"SLOT=0\n\nEAPI=8\n").unwrap_err().line,
            Some(2)
        );
    }

    #[test]
    fn never_panics_on_arbitrary_bytes() {
        let mut seed = 0x1234_5678_u32;
        for len in 0..300 {
            let bytes: Vec<u8> = (0..len)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 17;
                    seed ^= seed << 5;
                    [b'=', b'\n', b'\t', b'/', b'S', b'L', b'O', b'T', 0xff, b'_']
                        [(seed % 10) as usize]
                })
                .collect();
            let _ = CacheEntry::parse(&bytes);
        }
    }

    #[test]
    fn supported_eapis_follow_portage_3_0_83() {
        for e in ["0", "5", "8", "9", " 8 ", "9-pre1", "7_pre1"] {
            assert!(supported_eapi(e), "{e}");
        }
        for e in ["10", "", "8-pre1", "eight"] {
            assert!(!supported_eapi(e), "{e}");
        }
    }

    #[test]
    fn validate_checks_ebuild_and_eclass_hashes() {
        let ebuild = b"EAPI=8\nSLOT=0\n";
        let eclass = b"# an eclass\n";
        let mut master = MemFiles::new();
        master.insert("eclass/foo.eclass", b"# old foo\n".to_vec());
        master.insert("eclass/bar.eclass", eclass.to_vec());
        let mut overlay = MemFiles::new();
        overlay.insert("eclass/foo.eclass", eclass.to_vec());
        let digests = eclass_digests(&[&master, &overlay]).unwrap();
        assert_eq!(
            digests["foo"],
            md5_hex(eclass),
            "the overlay shadows the master"
        );
        let lookup = |name: &str| digests.get(name).cloned();

        let text = format!(
            "EAPI=8\nSLOT=0\n_eclasses_=foo\t{h}\tbar\t{h}\n_md5_={}\n",
            md5_hex(ebuild),
            h = md5_hex(eclass)
        );
        let entry = CacheEntry::parse(text.as_bytes()).unwrap();
        assert_eq!(validate(&entry, Some(ebuild), &lookup), Ok(()));

        let err = validate(&entry, Some(b"EAPI=8\n"), &lookup).unwrap_err();
        assert!(err.contains("ebuild changed"), "{err}");
        assert!(
            validate(&entry, None, &lookup)
                .unwrap_err()
                .contains("does not exist")
        );

        let only_master = eclass_digests(&[&master]).unwrap();
        let err = validate(&entry, Some(ebuild), &|n| only_master.get(n).cloned()).unwrap_err();
        assert!(err.contains("eclass `foo` changed"), "{err}");
        let err = validate(&entry, Some(ebuild), &|_| None).unwrap_err();
        assert!(
            err.contains("not in the repository's eclass search path"),
            "{err}"
        );

        let mut no_md5 = entry.clone();
        no_md5.md5 = None;
        assert!(
            validate(&no_md5, Some(ebuild), &lookup)
                .unwrap_err()
                .contains("_md5_")
        );
        let mut future = entry;
        future.eapi = "10".to_owned();
        assert!(
            validate(&future, Some(ebuild), &lookup)
                .unwrap_err()
                .contains("EAPI `10`")
        );
    }
}
