//! A repository's identity and layout settings: `metadata/layout.conf`,
//! `profiles/repo_name` and `profiles/categories` (gentoo.md §4).
//!
//! Parsing follows Portage 3.0.83 (`portage.repository.config.
//! parse_layout_conf` and its `KeyValuePairFileLoader`): one `key = value`
//! per line, split at the first `=`, both sides trimmed, `#` lines and
//! blank lines skipped, a later key replacing an earlier one.

use std::collections::BTreeMap;
use std::io;

use super::error::ParseError;
use super::pkgfiles::grab_words;
use super::tree::RepoFiles;

/// The settings of `metadata/layout.conf` that Staves uses; everything
/// else is kept verbatim in [`extra`](Self::extra).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LayoutConf {
    /// `masters`: `None` when the key is absent (Portage then falls back
    /// to an implicit master, deprecated), `Some(vec![])` for an explicit
    /// `masters =` ("no masters").
    pub masters: Option<Vec<String>>,
    /// `repo-name`, sanitised like Portage (characters outside
    /// `[A-Za-z0-9_-]` become `-`, leading `-` removed); `None` when absent
    /// or empty after sanitising.
    pub repo_name: Option<String>,
    /// `aliases`, split.
    pub aliases: Vec<String>,
    /// `cache-formats`, lowercased and split; empty when absent (see
    /// [`LayoutConf::load`], which auto-detects like Portage).
    pub cache_formats: Vec<String>,
    /// `profile-formats` as written (split); `None` when absent (see
    /// [`LayoutConf::profile_formats_or_default`]).
    pub profile_formats: Option<Vec<String>>,
    /// `thin-manifests = true` (case-insensitive; default false).
    pub thin_manifests: bool,
    /// `sign-manifests` (default true, as in Portage).
    pub sign_manifests: bool,
    /// `sign-commits` (default false).
    pub sign_commits: bool,
    /// `use-manifests`, lowercased (`strict` when absent).
    pub use_manifests: String,
    /// `manifest-hashes`, uppercased and split; `None` when absent.
    pub manifest_hashes: Option<Vec<String>>,
    /// `eapis-banned`, split.
    pub eapis_banned: Vec<String>,
    /// `eapis-deprecated`, split.
    pub eapis_deprecated: Vec<String>,
    /// `profile_eapi_when_unspecified`, only honoured by Portage when
    /// `profile-formats` lists `profile-default-eapi`.
    pub profile_eapi_when_unspecified: Option<String>,
    /// Every other key, verbatim (trimmed value).
    pub extra: BTreeMap<String, String>,
}

/// Failure to read a repository's identity or layout files.
#[derive(Debug, thiserror::Error)]
pub enum LayoutError {
    /// Reading a file failed.
    #[error("cannot read `{path}`: {source}")]
    Io {
        /// The file, relative to the repository root.
        path: String,
        /// The underlying failure.
        #[source]
        source: io::Error,
    },
    /// A file is malformed.
    #[error("`{path}` line {line}: {message}")]
    Parse {
        /// The file, relative to the repository root.
        path: String,
        /// 1-based line number.
        line: usize,
        /// What is wrong and what to do.
        message: String,
    },
    /// The repository names itself nowhere.
    #[error(
        "the repository has no name: create `profiles/repo_name` holding its name \
         (or set `repo-name` in `metadata/layout.conf`)"
    )]
    NoName,
}

fn read(files: &dyn RepoFiles, path: &str) -> Result<Option<String>, LayoutError> {
    match files.read(path) {
        Ok(b) => Ok(b.map(|b| String::from_utf8_lossy(&b).into_owned())),
        Err(source) => Err(LayoutError::Io {
            path: path.to_owned(),
            source,
        }),
    }
}

fn split(v: &str) -> Vec<String> {
    v.split_whitespace().map(str::to_owned).collect()
}

impl LayoutConf {
    /// Parses the text of a `layout.conf`.
    ///
    /// # Errors
    /// A non-comment line without `=` or with an empty key (Portage reports
    /// these as malformed and skips them; Staves refuses the file so that
    /// the mistake is fixed), with its line number.
    pub fn parse(text: &str) -> Result<LayoutConf, ParseError> {
        let mut raw: BTreeMap<String, String> = BTreeMap::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let Some((k, v)) = line.split_once('=') else {
                return Err(ParseError::on_line(
                    i + 1,
                    format!("`{line}` is not `key = value`"),
                ));
            };
            let k = k.trim();
            if k.is_empty() {
                return Err(ParseError::on_line(i + 1, "empty key before `=`"));
            }
            raw.insert(k.to_owned(), v.trim().to_owned());
        }
        let mut c = LayoutConf {
            sign_manifests: true,
            use_manifests: "strict".to_owned(),
            ..LayoutConf::default()
        };
        let flag = |v: &str| v.eq_ignore_ascii_case("true");
        for (k, v) in raw {
            match k.as_str() {
                "masters" => c.masters = Some(split(&v)),
                "repo-name" => c.repo_name = sanitize_repo_name(&v),
                "aliases" => c.aliases = split(&v),
                "cache-formats" => c.cache_formats = split(&v.to_lowercase()),
                "profile-formats" => c.profile_formats = Some(split(&v)),
                "thin-manifests" => c.thin_manifests = flag(&v),
                "sign-manifests" => c.sign_manifests = flag(&v),
                "sign-commits" => c.sign_commits = flag(&v),
                "use-manifests" => c.use_manifests = v.to_lowercase(),
                "manifest-hashes" => c.manifest_hashes = Some(split(&v.to_uppercase())),
                "eapis-banned" => c.eapis_banned = split(&v),
                "eapis-deprecated" => c.eapis_deprecated = split(&v),
                "profile_eapi_when_unspecified" => c.profile_eapi_when_unspecified = Some(v),
                _ => {
                    c.extra.insert(k, v);
                }
            }
        }
        Ok(c)
    }

    /// Reads `metadata/layout.conf` of a repository (an absent file gives
    /// the defaults) and, when `cache-formats` is not set, detects it like
    /// Portage: `md5-dict` if `metadata/md5-cache` exists, then `pms` if
    /// `metadata/cache` exists.
    ///
    /// # Errors
    /// An I/O failure, or a malformed line (with its number).
    pub fn load(files: &dyn RepoFiles) -> Result<LayoutConf, LayoutError> {
        const PATH: &str = "metadata/layout.conf";
        let text = read(files, PATH)?.unwrap_or_default();
        let mut conf = LayoutConf::parse(&text).map_err(|e| LayoutError::Parse {
            path: PATH.to_owned(),
            line: e.line.unwrap_or(0),
            message: e.message,
        })?;
        if conf.cache_formats.is_empty() {
            for (dir, format) in [
                ("metadata/md5-cache", "md5-dict"),
                ("metadata/cache", "pms"),
            ] {
                let present = files.list(dir).map_err(|source| LayoutError::Io {
                    path: dir.to_owned(),
                    source,
                })?;
                if present.is_some() {
                    conf.cache_formats.push(format.to_owned());
                }
            }
        }
        Ok(conf)
    }

    /// `profile-formats` with Portage's default when absent: `portage-1`
    /// when the repository's `profiles/eapi` is 7 or later, otherwise
    /// `portage-1-compat` (directories tolerated with a warning).
    pub fn profile_formats_or_default(&self, profiles_eapi: &str) -> Vec<String> {
        match &self.profile_formats {
            Some(f) => f.clone(),
            None if eapi_at_least(profiles_eapi, 7) => vec!["portage-1".to_owned()],
            None => vec!["portage-1-compat".to_owned()],
        }
    }
}

/// Whether `eapi` is at least `min` by its [`eapi_level`] (`"9-pre1"`
/// counts as 9, a non-numeric EAPI as 0).
pub(crate) fn eapi_at_least(eapi: &str, min: u32) -> bool {
    eapi_level(eapi) >= min
}

/// The numeric part of an EAPI (`"5"` → 5, `"9-pre1"` → 9, `"5_pre2"` →
/// 5); 0 for anything else.
pub(crate) fn eapi_level(eapi: &str) -> u32 {
    let digits: String = eapi
        .trim()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().unwrap_or(0)
}

/// Portage's `_gen_valid_repo`: characters outside `[A-Za-z0-9_-]` become
/// separators, runs of separators become one `-`, and leading `-` are
/// removed. `None` when nothing is left.
pub fn sanitize_repo_name(name: &str) -> Option<String> {
    let replaced: String = name
        .trim()
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                ' '
            }
        })
        .collect();
    let joined = replaced.split_whitespace().collect::<Vec<_>>().join("-");
    let trimmed = joined.trim_start_matches('-');
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}

/// The repository's name: `repo-name` from `metadata/layout.conf` when set,
/// otherwise the first line of `profiles/repo_name`, sanitised like Portage.
///
/// # Errors
/// An I/O failure, a malformed `layout.conf`, or [`LayoutError::NoName`]
/// when neither file names the repository.
pub fn repo_name(files: &dyn RepoFiles) -> Result<String, LayoutError> {
    let layout = LayoutConf::load(files)?;
    if let Some(name) = layout.repo_name {
        return Ok(name);
    }
    let text = read(files, "profiles/repo_name")?.ok_or(LayoutError::NoName)?;
    let first = text.lines().next().unwrap_or("");
    sanitize_repo_name(first).ok_or(LayoutError::NoName)
}

/// Whether `name` is a valid category name (PMS 3.1.1:
/// `[A-Za-z0-9_][A-Za-z0-9+_.-]*`).
pub fn valid_category(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || "+_.-".contains(c))
}

/// The categories listed in `profiles/categories` (comments and blank lines
/// skipped, one name per line, duplicates dropped, file order kept). A
/// repository without the file has none of its own; Portage also adds the
/// categories of the masters, which is the caller's business.
///
/// # Errors
/// An I/O failure, or a line that is not exactly one valid category name.
pub fn categories(files: &dyn RepoFiles) -> Result<Vec<String>, LayoutError> {
    const PATH: &str = "profiles/categories";
    let text = read(files, PATH)?.unwrap_or_default();
    let mut out: Vec<String> = Vec::new();
    for (line, words) in grab_words(&text) {
        let bad = |message: String| LayoutError::Parse {
            path: PATH.to_owned(),
            line,
            message,
        };
        if words.len() != 1 {
            return Err(bad(format!(
                "expected one category name, found `{}`",
                words.join(" ")
            )));
        }
        let name = &words[0];
        if !valid_category(name) {
            return Err(bad(format!("`{name}` is not a valid category name")));
        }
        if !out.contains(name) {
            out.push(name.clone());
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gentoo::tree::MemFiles;

    const GENTOO: &str = "# comment\n\
repo-name = gentoo\n\
masters =\n\
properties-allowed = interactive live test_network test_privileged\n\
manifest-hashes = BLAKE2B SHA512\n\
eapis-banned = 0 1 2 3 4 5\n\
eapis-deprecated = 6\n\
cache-formats = md5-dict\n\
thin-manifests = true\n\
sign-commits = true\n\
sign-manifests = false\n";

    #[test]
    fn parses_gentoo_layout_conf() {
        let c = LayoutConf::parse(GENTOO).unwrap();
        assert_eq!(c.masters, Some(vec![]));
        assert_eq!(c.repo_name.as_deref(), Some("gentoo"));
        assert_eq!(c.cache_formats, ["md5-dict"]);
        assert!(c.thin_manifests && c.sign_commits && !c.sign_manifests);
        assert_eq!(c.eapis_banned, ["0", "1", "2", "3", "4", "5"]);
        assert_eq!(
            c.manifest_hashes,
            Some(vec!["BLAKE2B".to_owned(), "SHA512".to_owned()])
        );
        assert_eq!(
            c.extra["properties-allowed"],
            "interactive live test_network test_privileged"
        );
        assert_eq!(c.profile_formats, None);
        assert_eq!(c.profile_formats_or_default("8"), ["portage-1"]);
        assert_eq!(c.profile_formats_or_default("5"), ["portage-1-compat"]);
    }

    #[test]
    fn absent_masters_differs_from_empty_masters() {
        let c = LayoutConf::parse("masters = gentoo  other\n").unwrap();
        assert_eq!(
            c.masters,
            Some(vec!["gentoo".to_owned(), "other".to_owned()])
        );
        let c = LayoutConf::parse("").unwrap();
        assert_eq!(c.masters, None);
        assert!(c.sign_manifests, "Portage's default");
        assert_eq!(c.use_manifests, "strict");
    }

    #[test]
    fn malformed_lines_are_reported_with_their_number() {
        let e = LayoutConf::parse("masters =\nnonsense\n").unwrap_err();
        assert_eq!(e.line, Some(2));
        assert_eq!(LayoutConf::parse(" = x\n").unwrap_err().line, Some(1));
    }

    #[test]
    fn repo_name_prefers_layout_conf_and_sanitises() {
        let mut t = MemFiles::new();
        t.insert("profiles/repo_name", "my overlay!\nignored\n");
        assert_eq!(repo_name(&t).unwrap(), "my-overlay");
        t.insert("metadata/layout.conf", "repo-name = other\n");
        assert_eq!(repo_name(&t).unwrap(), "other");
        assert!(matches!(
            repo_name(&MemFiles::new()),
            Err(LayoutError::NoName)
        ));
        assert_eq!(sanitize_repo_name("--a.b"), Some("a-b".to_owned()));
        assert_eq!(sanitize_repo_name(" !! "), None);
    }

    #[test]
    fn cache_formats_are_detected_when_unset() {
        let mut t = MemFiles::new();
        t.insert("metadata/md5-cache/a-b/c-1", "SLOT=0\n");
        assert_eq!(LayoutConf::load(&t).unwrap().cache_formats, ["md5-dict"]);
        t.insert("metadata/layout.conf", "cache-formats = PMS\n");
        assert_eq!(LayoutConf::load(&t).unwrap().cache_formats, ["pms"]);
        t.insert("metadata/layout.conf", "masters\n");
        let e = LayoutConf::load(&t).unwrap_err();
        assert!(
            e.to_string().contains("metadata/layout.conf` line 1"),
            "{e}"
        );
    }

    #[test]
    fn categories_are_read_and_checked() {
        let mut t = MemFiles::new();
        t.insert(
            "profiles/categories",
            "# cats\napp-misc\n\ndev-libs # libs\napp-misc\n",
        );
        assert_eq!(categories(&t).unwrap(), ["app-misc", "dev-libs"]);
        t.insert("profiles/categories", "app-misc\n-bad\n");
        let e = categories(&t).unwrap_err();
        assert!(e.to_string().contains("line 2"), "{e}");
        assert!(categories(&MemFiles::new()).unwrap().is_empty());
    }
}
