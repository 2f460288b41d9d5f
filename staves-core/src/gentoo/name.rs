//! Names (PMS §3.1): categories, packages, `CAT/PN-PV` strings, and the
//! validators for USE flags, slots, repositories and keywords.
//!
//! The character rules are the ones Portage's atom regexes enforce (ASCII
//! only; `\w` is `[A-Za-z0-9_]`), see gentoo.md §2.1.

use std::fmt;
use std::str::FromStr;

use super::ParseError;
use super::version::Version;

fn is_word(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// `[\w][\w+.-]*`: the shape of categories, slots and licenses.
fn is_dotted_name(s: &str) -> bool {
    let b = s.as_bytes();
    b.first().is_some_and(|&c| is_word(c))
        && b.iter()
            .all(|&c| is_word(c) || matches!(c, b'+' | b'.' | b'-'))
}

/// Whether `s` is a valid category name (`[A-Za-z0-9_][A-Za-z0-9+_.-]*`).
pub fn is_valid_category(s: &str) -> bool {
    is_dotted_name(s)
}

/// Whether `s` is a valid slot or sub-slot name (same rules as categories).
pub fn is_valid_slot(s: &str) -> bool {
    is_dotted_name(s)
}

/// Whether `s` is a valid license name (same rules as categories).
pub fn is_valid_license(s: &str) -> bool {
    is_dotted_name(s)
}

/// Whether `s` is a valid USE flag name: `[A-Za-z0-9][A-Za-z0-9+_@-]*`.
pub fn is_valid_use_flag(s: &str) -> bool {
    let b = s.as_bytes();
    b.first().is_some_and(u8::is_ascii_alphanumeric)
        && b.iter()
            .all(|&c| is_word(c) || matches!(c, b'+' | b'@' | b'-'))
}

/// Whether `s` is a valid repository name as Portage checks it in atoms
/// and `layout.conf`: `[A-Za-z0-9_][A-Za-z0-9_-]*`. (PMS additionally asks
/// for a valid package name; Portage does not enforce that.)
pub fn is_valid_repo_name(s: &str) -> bool {
    let b = s.as_bytes();
    b.first().is_some_and(|&c| is_word(c)) && b.iter().all(|&c| is_word(c) || c == b'-')
}

/// Whether `s` may appear in `KEYWORDS`: `arch`, `~arch`, `-arch` or `-*`,
/// where `arch` is `[A-Za-z0-9_][A-Za-z0-9_-]*`.
pub fn is_valid_keyword(s: &str) -> bool {
    if s == "-*" {
        return true;
    }
    let arch = s.strip_prefix(['~', '-']).unwrap_or(s);
    let b = arch.as_bytes();
    b.first().is_some_and(|&c| is_word(c)) && b.iter().all(|&c| is_word(c) || c == b'-')
}

/// Whether `s` ends in `-VERSION` or `-VERSION-rN`, which a package name
/// must not (PMS §3.1.2; Portage rejects `foo-1`, `foo-1x`, `foo-1.0_rc`).
fn ends_in_version(s: &str) -> bool {
    s.match_indices('-')
        .any(|(i, _)| i > 0 && Version::parse(&s[i + 1..]).is_ok())
}

/// Checks a package name; the error offset is relative to `s`.
fn check_package(s: &str) -> Result<(), ParseError> {
    let b = s.as_bytes();
    match b.first() {
        None => return Err(ParseError::at(0, "missing package name")),
        Some(&c) if !is_word(c) => {
            return Err(ParseError::at(
                0,
                "a package name must start with a letter, digit or `_`",
            ));
        }
        Some(_) => {}
    }
    if let Some(bad) = b
        .iter()
        .position(|&c| !(is_word(c) || matches!(c, b'+' | b'-')))
    {
        return Err(ParseError::at(
            bad,
            format!(
                "invalid character `{}` in package name (allowed: A-Z a-z 0-9 + _ -)",
                s[bad..].chars().next().unwrap_or('?')
            ),
        ));
    }
    if ends_in_version(s) {
        return Err(ParseError::at(
            0,
            format!("package name `{s}` must not end in a hyphen and a version"),
        ));
    }
    Ok(())
}

/// Checks a category name; the error offset is relative to `s`.
pub(crate) fn check_category(s: &str) -> Result<(), ParseError> {
    if s.is_empty() {
        return Err(ParseError::at(0, "missing category"));
    }
    if !is_word(s.as_bytes()[0]) {
        return Err(ParseError::at(
            0,
            "a category must start with a letter, digit or `_`",
        ));
    }
    match s
        .bytes()
        .position(|c| !(is_word(c) || matches!(c, b'+' | b'.' | b'-')))
    {
        Some(bad) => Err(ParseError::at(
            bad,
            "invalid character in category (allowed: A-Z a-z 0-9 + _ . -)",
        )),
        None => Ok(()),
    }
}

/// Adds `base` to an error's offset (for errors inside a larger string).
pub(crate) fn shift(mut e: ParseError, base: usize) -> ParseError {
    e.offset = e.offset.map(|o| o + base);
    e
}

/// A validated category name such as `dev-lang` or `virtual`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Category(String);

impl Category {
    /// The name as a string slice.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Category {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        check_category(s)?;
        Ok(Category(s.to_owned()))
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A qualified package name `category/package` (Portage's "cp").
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PackageName {
    /// The category, e.g. `app-shells`.
    pub category: String,
    /// The package name within the category, e.g. `bash`.
    pub package: String,
}

impl PackageName {
    /// Builds a name from its two parts, validating both.
    pub fn new(category: &str, package: &str) -> Result<Self, ParseError> {
        check_category(category)?;
        check_package(package).map_err(|e| shift(e, category.len() + 1))?;
        Ok(PackageName {
            category: category.to_owned(),
            package: package.to_owned(),
        })
    }
}

impl FromStr for PackageName {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let Some((category, package)) = s.split_once('/') else {
            return Err(ParseError::at(
                0,
                format!("`{s}` is not a qualified package name; expected `category/package`"),
            ));
        };
        PackageName::new(category, package)
    }
}

impl fmt::Display for PackageName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.category, self.package)
    }
}

/// A package at one version, `category/package-version` (Portage's "cpv").
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Cpv {
    /// The package.
    pub name: PackageName,
    /// Its version (revision included).
    pub version: Version,
}

/// Splits `PF` (`bash-5.2_p37-r4`) into the package name and version at the
/// first hyphen whose tail is a valid version. Offsets are relative to `pf`.
pub(crate) fn split_pf(pf: &str) -> Result<(&str, Version), ParseError> {
    for (i, _) in pf.match_indices('-') {
        if i == 0 {
            continue;
        }
        if let Ok(version) = Version::parse(&pf[i + 1..]) {
            check_package(&pf[..i])?;
            return Ok((&pf[..i], version));
        }
    }
    Err(ParseError::at(
        pf.len(),
        format!("`{pf}` does not end in `-VERSION`"),
    ))
}

impl Cpv {
    /// Builds a cpv from a category and a `PF` (package-version, as in
    /// md5-cache file names): `parse_cpf("app-shells", "bash-5.2_p37-r4")`.
    pub fn parse_cpf(category: &str, pf: &str) -> Result<Cpv, ParseError> {
        check_category(category)?;
        let (package, version) = split_pf(pf).map_err(|e| shift(e, category.len() + 1))?;
        Ok(Cpv {
            name: PackageName {
                category: category.to_owned(),
                package: package.to_owned(),
            },
            version,
        })
    }

    /// `package-version` (Portage's `PF`).
    pub fn pf(&self) -> String {
        format!("{}-{}", self.name.package, self.version)
    }
}

impl FromStr for Cpv {
    type Err = ParseError;
    /// Parses `category/package-version`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let Some((category, pf)) = s.split_once('/') else {
            return Err(ParseError::at(
                0,
                format!("`{s}` is not `category/package-version`"),
            ));
        };
        Cpv::parse_cpf(category, pf)
    }
}

impl fmt::Display for Cpv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.name, self.version)
    }
}

impl PartialOrd for Cpv {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Cpv {
    /// By name, then by version order.
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.name
            .cmp(&other.name)
            .then_with(|| self.version.cmp(&other.version))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_names_follow_portage() {
        // gentoo.md §2.1, checked with Portage's atom validator.
        for ok in [
            "cat/foo-1xy",
            "cat/foo-r1",
            "cat/foo-bar",
            "cat/9foo",
            "cat/foo_bar+",
            "virtual/libc",
        ] {
            assert!(ok.parse::<PackageName>().is_ok(), "{ok}");
        }
        for bad in [
            "cat/foo-1",
            "cat/foo-1x",
            "cat/foo-1.0_rc",
            "cat/+foo",
            "cat/-foo",
            "cat/foo-1.0-r1-bar",
            "cat/foo-1-r2",
            "cat/",
            "/foo",
            "foo",
            ".cat/foo",
            "cat/foo/bar",
            "cat/fo.o",
        ] {
            assert!(bad.parse::<PackageName>().is_err(), "{bad}");
        }
        let e = "cat/fo o".parse::<PackageName>().unwrap_err();
        assert_eq!(e.offset, Some(6));
        assert_eq!(
            "app-shells/bash"
                .parse::<PackageName>()
                .unwrap()
                .to_string(),
            "app-shells/bash"
        );
    }

    #[test]
    fn cpf_splits_at_first_version_tail() {
        let c = Cpv::parse_cpf("app-shells", "bash-5.2_p37-r4").unwrap();
        assert_eq!(c.name.package, "bash");
        assert_eq!(c.version.to_string(), "5.2_p37-r4");
        assert_eq!(c.to_string(), "app-shells/bash-5.2_p37-r4");
        assert_eq!(c.pf(), "bash-5.2_p37-r4");
        let c = Cpv::parse_cpf("dev-libs", "foo-bar-1-r2").unwrap();
        assert_eq!(
            (c.name.package.as_str(), c.version.as_str()),
            ("foo-bar", "1-r2")
        );
        let c = Cpv::parse_cpf("x11-libs", "gtk+-3.24.41").unwrap();
        assert_eq!(c.name.package, "gtk+");
        let c: Cpv = "dev-lang/python-0.3.14.6".parse().unwrap();
        assert_eq!(c.version.as_str(), "0.3.14.6");
        for bad in ["bash", "bash-", "-1.0", "ba sh-1.0", "bash-x"] {
            assert!(Cpv::parse_cpf("app-shells", bad).is_err(), "{bad}");
        }
        assert!(Cpv::parse_cpf("-cat", "bash-1").is_err());
    }

    #[test]
    fn validators() {
        assert!(is_valid_use_flag("abi_x86_32"));
        assert!(is_valid_use_flag("gtk+"));
        assert!(is_valid_use_flag("foo@bar"));
        assert!(!is_valid_use_flag("_foo"));
        assert!(!is_valid_use_flag("-foo"));
        assert!(!is_valid_use_flag(""));
        assert!(!is_valid_use_flag("fo.o"));
        assert!(is_valid_slot("3.14t"));
        assert!(is_valid_slot("0"));
        assert!(!is_valid_slot(".1"));
        assert!(!is_valid_slot("+1"));
        assert!(!is_valid_slot("1/2"));
        assert!(is_valid_repo_name("gentoo"));
        assert!(is_valid_repo_name("my_overlay-2"));
        assert!(!is_valid_repo_name("-x"));
        assert!(!is_valid_repo_name("a.b"));
        for ok in [
            "amd64",
            "~amd64",
            "-amd64",
            "-*",
            "amd64-linux",
            "~x64-macos",
        ] {
            assert!(is_valid_keyword(ok), "{ok}");
        }
        for bad in ["", "~", "*", "~*", "**", "--amd64", "~-amd64", "am.d64"] {
            assert!(!is_valid_keyword(bad), "{bad}");
        }
        assert!(is_valid_license("GPL-2+"));
        assert!("-cat".parse::<Category>().is_err());
        assert_eq!("virtual".parse::<Category>().unwrap().as_str(), "virtual");
    }
}
