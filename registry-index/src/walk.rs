//! Finding the builder files in an index tree.

use crate::name::{index_path, validate_name};

/// How deep builder files sit: `ab/cd/name` is three levels.
pub(crate) const MAX_DEPTH: usize = 3;

/// Whether a directory at `depth` (1 = top level) named `dir` can hold
/// builder files: `1`, `2`, `3` and two-character directories at the top,
/// anything but hidden directories below. Keeps walks out of `.git` and
/// other files that share the tree.
pub(crate) fn may_hold_builders(depth: usize, dir: &str) -> bool {
    if dir.starts_with('.') || depth >= MAX_DEPTH {
        return false;
    }
    depth > 1 || matches!(dir, "1" | "2" | "3") || dir.len() == 2
}

/// The builder name a file at `path` (`/`-separated, relative to the index
/// root) holds, when the path is exactly where that name's file belongs.
/// Other files (`config.json`, a README, stray files) give `None`.
pub(crate) fn builder_at(path: &str) -> Option<&str> {
    let name = path.rsplit('/').next()?;
    (validate_name(name).is_ok() && index_path(name) == path).then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_files_at_their_own_path_are_builders() {
        assert_eq!(builder_at("ge/nt/gentoo"), Some("gentoo"));
        assert_eq!(builder_at("1/a"), Some("a"));
        assert_eq!(builder_at("3/a/abc"), Some("abc"));
        assert_eq!(builder_at("config.json"), None);
        assert_eq!(builder_at("ge/nt/gentoo.meta"), None);
        assert_eq!(builder_at("ge/nx/gentoo"), None);
        // Files are written under the canonical spelling only.
        assert_eq!(builder_at("x8/6_/x86_64"), None);
        assert_eq!(builder_at("x8/6-/x86-64"), Some("x86-64"));
    }

    #[test]
    fn walks_skip_hidden_and_foreign_directories() {
        assert!(may_hold_builders(1, "ge"));
        assert!(may_hold_builders(1, "3"));
        assert!(!may_hold_builders(1, ".git"));
        assert!(!may_hold_builders(1, "docs"));
        assert!(may_hold_builders(2, "nt"));
        assert!(!may_hold_builders(3, "x"));
    }
}
