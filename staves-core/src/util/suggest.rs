//! The one "did you mean" helper.
//!
//! Every place that rejects a user-typed name (manifest keys, enum values,
//! environment names, later subcommands, atoms and USE flags) asks
//! [`closest`] for a candidate to suggest, so suggestions behave the same
//! everywhere.

/// The largest edit distance at which a candidate is still suggested.
pub const MAX_DISTANCE: usize = 3;

/// Returns the candidate closest to `input`, if one is close enough to be
/// worth suggesting.
///
/// The comparison ignores ASCII and Unicode case and uses the
/// Damerau-Levenshtein distance (a swap of two neighbouring letters counts as
/// one edit). A candidate is close enough when its distance is at most
/// [`MAX_DISTANCE`] and at most half the length of `input` (at least 1), so
/// that short words are not "corrected" into unrelated ones (`usr` suggests
/// `user`, but `abc` suggests nothing). Among equally close candidates the
/// first one wins. An exact match (ignoring case) is returned as well.
///
/// ```
/// use staves_core::util::suggest::closest;
/// let keys = ["name", "packages", "command"];
/// assert_eq!(closest("pakages", keys), Some("packages"));
/// assert_eq!(closest("zzz", keys), None);
/// ```
pub fn closest<'a, I>(input: &str, candidates: I) -> Option<&'a str>
where
    I: IntoIterator<Item = &'a str>,
{
    let input_lower = input.to_lowercase();
    let limit = MAX_DISTANCE.min((input_lower.chars().count() / 2).max(1));
    let mut best: Option<(usize, &'a str)> = None;
    for candidate in candidates {
        let distance = strsim::damerau_levenshtein(&input_lower, &candidate.to_lowercase());
        if distance > limit {
            continue;
        }
        if best.is_none_or(|(d, _)| distance < d) {
            best = Some((distance, candidate));
        }
    }
    best.map(|(_, candidate)| candidate)
}

/// Formats the standard help line for a suggestion: "did you mean `x`?".
pub fn did_you_mean(candidate: &str) -> String {
    format!("did you mean `{candidate}`?")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_typos_within_the_limit() {
        let keys = ["name", "packages", "package", "command", "profile"];
        assert_eq!(closest("pakages", keys), Some("packages"));
        assert_eq!(closest("pacakges", keys), Some("packages"));
        assert_eq!(closest("comand", keys), Some("command"));
        assert_eq!(closest("nme", keys), Some("name"));
    }

    #[test]
    fn ignores_case() {
        assert_eq!(closest("PACKAGES", ["name", "packages"]), Some("packages"));
        assert_eq!(closest("Name", ["name", "packages"]), Some("name"));
    }

    #[test]
    fn rejects_far_or_short_unrelated_words() {
        let keys = ["env", "user", "workdir", "labels", "expose"];
        assert_eq!(closest("abc", keys), None);
        assert_eq!(closest("completely-different", keys), None);
        assert_eq!(closest("", keys), None);
        assert_eq!(closest("usr", keys), Some("user"));
    }

    #[test]
    fn prefers_the_nearest_then_the_first() {
        assert_eq!(closest("packag", ["packages", "package"]), Some("package"));
        assert_eq!(closest("ab", ["ax", "ay"]), Some("ax"));
    }

    #[test]
    fn formats_help() {
        assert_eq!(did_you_mean("packages"), "did you mean `packages`?");
    }
}
