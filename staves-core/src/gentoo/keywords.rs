//! `ACCEPT_KEYWORDS` against a package's `KEYWORDS` (gentoo.md §6.1),
//! following Portage's `KeywordsManager._getMissingKeywords`.

use std::collections::BTreeSet;
use std::fmt;

/// An accepted-keywords set, built incrementally like Portage's
/// `ACCEPT_KEYWORDS`: `kw` adds, `-kw` removes, `-*` clears.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AcceptKeywords {
    accepted: BTreeSet<String>,
}

impl AcceptKeywords {
    /// Builds the set from a whitespace-separated list (`"amd64 ~amd64"`).
    pub fn parse(list: &str) -> AcceptKeywords {
        let mut out = AcceptKeywords::default();
        out.extend(list);
        out
    }

    /// Applies another incremental layer (profile, then make.conf, then a
    /// `package.accept_keywords` line).
    pub fn extend(&mut self, list: &str) {
        for token in list.split_ascii_whitespace() {
            match token.strip_prefix('-') {
                Some("*") => self.accepted.clear(),
                Some(kw) => {
                    self.accepted.remove(kw);
                }
                None => {
                    self.accepted.insert(token.to_owned());
                }
            }
        }
    }

    /// The accepted tokens, sorted.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.accepted.iter().map(String::as_str)
    }

    /// Whether `kw` is literally in the set.
    pub fn contains(&self, kw: &str) -> bool {
        self.accepted.contains(kw)
    }

    /// Whether a package with these `KEYWORDS` is accepted.
    ///
    /// True if one of its keywords is literally accepted; or it lists `*`;
    /// or it lists `~*` and some `~arch` is accepted; or it has a testing
    /// keyword and `~*` is accepted; or a stable keyword and `*` is
    /// accepted; or `**` is accepted. `-arch` and `-*` never match, and
    /// empty `KEYWORDS` is accepted only by `**`.
    pub fn accepts(&self, keywords: &[String]) -> bool {
        let mut has_stable = false;
        let mut has_testing = false;
        for kw in keywords {
            if kw == "*" || self.accepted.contains(kw.as_str()) {
                return true;
            }
            if kw == "~*" {
                has_testing = true;
                if self.accepted.iter().any(|a| a.starts_with('~')) {
                    return true;
                }
            } else if kw.starts_with('~') {
                has_testing = true;
            } else if !kw.starts_with('-') {
                has_stable = true;
            }
        }
        (has_testing && self.contains("~*"))
            || (has_stable && self.contains("*"))
            || self.contains("**")
    }

    /// The stable architectures this set accepts (`amd64` from
    /// `amd64 ~amd64`), i.e. entries that are neither `~arch` nor wildcards.
    fn arches(&self) -> impl Iterator<Item = &str> {
        self.iter()
            .filter(|a| !a.starts_with('~') && !a.contains('*'))
    }

    /// For a package these keywords reject, what would make it visible;
    /// `None` when [`accepts`](Self::accepts) already holds.
    pub fn missing_keyword_hint(&self, keywords: &[String]) -> Option<KeywordHint> {
        if self.accepts(keywords) {
            return None;
        }
        if keywords.is_empty() {
            return Some(KeywordHint::Unkeyworded);
        }
        let has = |k: &str| keywords.iter().any(|x| x == k);
        for arch in self.arches() {
            let testing = format!("~{arch}");
            if has(&testing) {
                return Some(KeywordHint::Testing(testing));
            }
        }
        for arch in self.arches() {
            let broken = format!("-{arch}");
            if has(&broken) || has("-*") {
                return Some(KeywordHint::Broken(arch.to_owned()));
            }
        }
        Some(KeywordHint::NotKeyworded {
            arches: self.arches().map(str::to_owned).collect(),
            keywords: keywords.to_vec(),
        })
    }
}

/// Why a package's `KEYWORDS` reject it, and what would accept it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeywordHint {
    /// Only a testing keyword for an accepted arch, e.g. `~amd64`: accept
    /// that keyword for the package.
    Testing(String),
    /// Empty `KEYWORDS` (live or unkeyworded ebuilds): only `**` accepts it.
    Unkeyworded,
    /// Marked broken on this arch (`-amd64` or `-*`): only `**` accepts it.
    Broken(String),
    /// Not keyworded for any accepted arch.
    NotKeyworded {
        /// The accepted arches (e.g. `["amd64"]`).
        arches: Vec<String>,
        /// The package's `KEYWORDS`.
        keywords: Vec<String>,
    },
}

impl KeywordHint {
    /// The keyword to accept for the package (`~amd64` or `**`).
    pub fn keyword_to_accept(&self) -> &str {
        match self {
            KeywordHint::Testing(kw) => kw,
            _ => "**",
        }
    }
}

impl fmt::Display for KeywordHint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeywordHint::Testing(kw) => write!(f, "keyworded {kw} (testing)"),
            KeywordHint::Unkeyworded => {
                f.write_str("has no KEYWORDS (live or unkeyworded); only `**` accepts it")
            }
            KeywordHint::Broken(arch) => {
                write!(f, "marked broken on {arch} (-{arch}); only `**` accepts it")
            }
            KeywordHint::NotKeyworded { arches, keywords } => write!(
                f,
                "not keyworded for {} (KEYWORDS: {}); only `**` accepts it",
                if arches.is_empty() {
                    "any accepted arch".to_owned()
                } else {
                    arches.join(" ")
                },
                keywords.join(" ")
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kws(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn incremental_building() {
        let mut ak = AcceptKeywords::parse("amd64 ~amd64 x86");
        ak.extend("-x86");
        assert_eq!(ak.iter().collect::<Vec<_>>(), ["amd64", "~amd64"]);
        ak.extend("-* arm64");
        assert_eq!(ak.iter().collect::<Vec<_>>(), ["arm64"]);
        ak.extend("-nothing");
        assert!(ak.contains("arm64"));
    }

    #[test]
    fn accepts_per_gentoo_md() {
        let stable = AcceptKeywords::parse("amd64");
        assert!(stable.accepts(&kws("amd64 ~x86")));
        assert!(!stable.accepts(&kws("~amd64 x86")));
        assert!(!stable.accepts(&kws("-amd64")));
        assert!(!stable.accepts(&kws("-*")));
        assert!(!stable.accepts(&[]));
        assert!(stable.accepts(&kws("*")));
        assert!(!stable.accepts(&kws("~*")));

        let testing = AcceptKeywords::parse("amd64 ~amd64");
        assert!(testing.accepts(&kws("~amd64")));
        assert!(testing.accepts(&kws("~*")));
        assert!(!testing.accepts(&kws("~x86")));
        assert!(!testing.accepts(&[]));

        let any_stable = AcceptKeywords::parse("*");
        assert!(any_stable.accepts(&kws("x86")));
        assert!(!any_stable.accepts(&kws("~x86")));
        assert!(!any_stable.accepts(&kws("-x86")));

        let any_testing = AcceptKeywords::parse("~*");
        assert!(any_testing.accepts(&kws("~x86")));
        assert!(!any_testing.accepts(&kws("x86")));

        let all = AcceptKeywords::parse("**");
        assert!(all.accepts(&[]));
        assert!(all.accepts(&kws("-*")));
        assert!(all.accepts(&kws("~x86")));

        // `-arch` in ACCEPT_KEYWORDS removes, it never matches `-arch` KEYWORDS.
        assert!(!AcceptKeywords::parse("-amd64").accepts(&kws("-amd64")));
    }

    #[test]
    fn hints() {
        let ak = AcceptKeywords::parse("amd64");
        let hint = ak.missing_keyword_hint(&kws("~amd64 ~x86")).unwrap();
        assert_eq!(hint, KeywordHint::Testing("~amd64".into()));
        assert_eq!(hint.to_string(), "keyworded ~amd64 (testing)");
        assert_eq!(hint.keyword_to_accept(), "~amd64");
        assert_eq!(ak.missing_keyword_hint(&[]), Some(KeywordHint::Unkeyworded));
        assert_eq!(
            ak.missing_keyword_hint(&kws("-amd64 x86")),
            Some(KeywordHint::Broken("amd64".into()))
        );
        let other = ak.missing_keyword_hint(&kws("x86 ~arm")).unwrap();
        assert_eq!(
            other.to_string(),
            "not keyworded for amd64 (KEYWORDS: x86 ~arm); only `**` accepts it"
        );
        assert_eq!(other.keyword_to_accept(), "**");
        assert_eq!(ak.missing_keyword_hint(&kws("amd64")), None);
    }
}
