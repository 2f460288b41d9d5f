//! Builder names: what is allowed, how names compare, and where a name's file
//! lives in the index.
//!
//! A name is 1 to 64 characters of ASCII lowercase letters, digits, `-` and
//! `_`, starting with a letter or a digit. `-` and `_` are treated alike: two
//! names that differ only there are the same builder, and the file holds the
//! spelling of the first published version. The names Windows reserves for
//! devices (`con`, `nul`, `com1`, …) are refused so that the index stays
//! checkout-able everywhere. A `.` is not allowed: it would let a name such as
//! `ab..c` put `..` into the index path.

use std::fmt;

/// The longest name allowed, in characters.
pub const MAX_NAME_LEN: usize = 64;

/// Names refused because Windows reserves them for devices (case-insensitive
/// there, so they would break a checkout of the index).
const RESERVED: &[&str] = &[
    "con", "prn", "aux", "nul", "com1", "com2", "com3", "com4", "com5", "com6", "com7", "com8",
    "com9", "lpt1", "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9",
];

/// Why a builder name is not valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameError {
    /// The name is empty.
    Empty,
    /// The name is longer than [`MAX_NAME_LEN`] characters.
    TooLong(usize),
    /// The name starts with `-` or `_`.
    BadStart(char),
    /// The name holds a character other than `a-z`, `0-9`, `-` and `_`.
    BadChar(char),
    /// The name is reserved.
    Reserved,
}

impl fmt::Display for NameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => write!(f, "a builder name cannot be empty"),
            Self::TooLong(len) => write!(
                f,
                "a builder name has at most {MAX_NAME_LEN} characters, this one has {len}"
            ),
            Self::BadStart(c) => write!(
                f,
                "a builder name starts with a letter or a digit, not `{c}`"
            ),
            Self::BadChar(c) => write!(
                f,
                "`{}` is not allowed in a builder name (use lowercase letters, digits, `-` and `_`)",
                c.escape_debug()
            ),
            Self::Reserved => write!(f, "this name is reserved (a Windows device name)"),
        }
    }
}

impl std::error::Error for NameError {}

/// Checks that `name` is a valid builder name (see the module documentation).
pub fn validate_name(name: &str) -> Result<(), NameError> {
    let Some(first) = name.chars().next() else {
        return Err(NameError::Empty);
    };
    let len = name.chars().count();
    if len > MAX_NAME_LEN {
        return Err(NameError::TooLong(len));
    }
    if let Some(bad) = name
        .chars()
        .find(|&c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_'))
    {
        return Err(NameError::BadChar(bad));
    }
    if first == '-' || first == '_' {
        return Err(NameError::BadStart(first));
    }
    if RESERVED.contains(&name) {
        return Err(NameError::Reserved);
    }
    Ok(())
}

/// The canonical form of a name: `_` replaced by `-`. Two names are the same
/// builder when their canonical forms are equal.
pub fn normalize_name(name: &str) -> String {
    name.replace('_', "-")
}

/// Whether `a` and `b` name the same builder (`-` and `_` alike).
pub fn same_name(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .all(|(x, y)| x == y || (matches!(x, b'-' | b'_') && matches!(y, b'-' | b'_')))
}

/// The path of a builder's file inside the index, `/`-separated, as in
/// Cargo's registry index: `1/a`, `2/ab`, `3/a/abc`, `ab/cd/abcd…`. The path is
/// built from the canonical name ([`normalize_name`]), so `foo_bar` and
/// `foo-bar` share one file. The name should be valid ([`validate_name`]);
/// this function does not check it.
pub fn index_path(name: &str) -> String {
    let name = normalize_name(&name.to_ascii_lowercase());
    match name.len() {
        0 => String::new(),
        1 => format!("1/{name}"),
        2 => format!("2/{name}"),
        3 => format!("3/{}/{name}", &name[..1]),
        _ => format!("{}/{}/{name}", &name[..2], &name[2..4]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_follow_cargo_layout() {
        assert_eq!(index_path("a"), "1/a");
        assert_eq!(index_path("ab"), "2/ab");
        assert_eq!(index_path("abc"), "3/a/abc");
        assert_eq!(index_path("gentoo"), "ge/nt/gentoo");
        assert_eq!(index_path("x86_64-glibc"), "x8/6-/x86-64-glibc");
        assert_eq!(index_path("x86-64-glibc"), index_path("x86_64-glibc"));
    }

    #[test]
    fn names_are_checked() {
        assert_eq!(validate_name("x86_64-glibc"), Ok(()));
        assert_eq!(validate_name("0"), Ok(()));
        assert_eq!(validate_name(""), Err(NameError::Empty));
        assert_eq!(validate_name("-a"), Err(NameError::BadStart('-')));
        assert_eq!(validate_name("_a"), Err(NameError::BadStart('_')));
        assert_eq!(validate_name("Gentoo"), Err(NameError::BadChar('G')));
        assert_eq!(validate_name("ab..c"), Err(NameError::BadChar('.')));
        assert_eq!(validate_name("a/b"), Err(NameError::BadChar('/')));
        assert_eq!(validate_name("é"), Err(NameError::BadChar('é')));
        assert_eq!(validate_name("nul"), Err(NameError::Reserved));
        assert_eq!(validate_name(&"a".repeat(64)), Ok(()));
        assert_eq!(validate_name(&"a".repeat(65)), Err(NameError::TooLong(65)));
    }

    #[test]
    fn dash_and_underscore_are_alike() {
        assert!(same_name("foo-bar_baz", "foo_bar-baz"));
        assert!(!same_name("foo-bar", "foo-baz"));
        assert!(!same_name("foo-bar", "foo-bar2"));
        assert_eq!(normalize_name("a_b-c"), "a-b-c");
    }
}
