//! The one place the manifest asks whether a string is a Gentoo atom.
//!
//! Validation, the editor and the checksum go through [`check`], which
//! returns what the manifest needs to know about an atom: its
//! `category/package` and whether it is a blocker. The parsing itself is
//! [`crate::gentoo::atom::Atom::parse`].

use crate::gentoo::atom::Atom;

/// What the manifest needs from a parsed atom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AtomInfo {
    /// `category/package`, without operator, version, slot, repo or USE deps.
    pub(crate) cp: String,
    /// `!atom` or `!!atom`.
    pub(crate) blocker: bool,
}

/// Why a string is not an atom, and the byte offset inside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AtomError {
    pub(crate) message: String,
    pub(crate) offset: Option<usize>,
}

/// Parses `input` as a Gentoo atom (PMS / Portage syntax).
pub(crate) fn check(input: &str) -> Result<AtomInfo, AtomError> {
    match Atom::parse(input) {
        Ok(atom) => Ok(AtomInfo {
            cp: atom.name.to_string(),
            blocker: atom.blocker.is_some(),
        }),
        Err(err) => Err(AtomError {
            message: err.message,
            offset: err.offset,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cp(s: &str) -> String {
        check(s).unwrap_or_else(|e| panic!("{s}: {e:?}")).cp
    }

    #[test]
    fn category_and_package_of_atoms() {
        assert_eq!(cp("app-shells/bash"), "app-shells/bash");
        assert_eq!(cp("=app-shells/bash-5.2_p37"), "app-shells/bash");
        assert_eq!(cp("<=cat/pkg-1.0:2/2.1=::repo[foo]"), "cat/pkg");
        assert_eq!(cp("=cat/pkg-1.0_rc*"), "cat/pkg");
        assert_eq!(cp("dev-lang/python:3.12"), "dev-lang/python");
        assert!(check("!!<sys-libs/slang-2.3.2_pre23").unwrap().blocker);
        assert!(!check("sys-libs/slang").unwrap().blocker);
    }

    #[test]
    fn errors_carry_offsets() {
        let err = check("=app-shells/bash").unwrap_err();
        assert!(err.offset.is_some(), "{err:?}");
        assert!(check("bash").is_err());
        assert!(check("").is_err());
    }
}
