//! Package versions (PMS "Names and Versions") and their ordering.
//!
//! A [`Version`] keeps its original text (so `Display` round-trips) plus a
//! few offsets found while validating it. Comparison walks the text again,
//! so it never allocates, and numbers of any length are compared as digit
//! strings (real versions carry 8-digit dates; PMS sets no limit).
//!
//! The ordering follows PMS algorithms 3.1–3.7 and Portage's `vercmp`
//! exactly; `staves-core/tests/vercmp_portage.rs` checks this against real
//! Portage on 100 000+ random pairs.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use super::ParseError;

/// The kind of a version suffix, in ascending order (`_alpha` < … < `_p`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SuffixKind {
    /// `_alpha`
    Alpha,
    /// `_beta`
    Beta,
    /// `_pre`
    Pre,
    /// `_rc`
    Rc,
    /// `_p`
    P,
}

impl SuffixKind {
    /// The suffix as written, without the underscore (`"alpha"`, `"p"`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            SuffixKind::Alpha => "alpha",
            SuffixKind::Beta => "beta",
            SuffixKind::Pre => "pre",
            SuffixKind::Rc => "rc",
            SuffixKind::P => "p",
        }
    }

    /// Reads a suffix keyword at the start of `s`, longest match first
    /// (`pre` before `p`). Returns the kind and the keyword's length.
    fn lex(s: &[u8]) -> Option<(SuffixKind, usize)> {
        const KINDS: [(&[u8], SuffixKind); 5] = [
            (b"alpha", SuffixKind::Alpha),
            (b"beta", SuffixKind::Beta),
            (b"pre", SuffixKind::Pre),
            (b"rc", SuffixKind::Rc),
            (b"p", SuffixKind::P),
        ];
        KINDS
            .iter()
            .find(|(word, _)| s.starts_with(word))
            .map(|&(word, kind)| (kind, word.len()))
    }
}

/// A package version such as `1.2.3b_rc4_p5-r6`.
///
/// Equality, ordering and hashing follow PMS/Portage: `1.0-r0 == 1.0`,
/// `1.01 == 1.010`, `0001.2 == 1.2`, `1.0-r01 == 1.0-r1`. `Display` prints the
/// original text unchanged.
#[derive(Clone)]
pub struct Version {
    text: Box<str>,
    /// End of the dotted numeric part.
    num_end: u32,
    /// End of the optional letter (== `num_end` when there is none).
    letter_end: u32,
    /// End of the suffixes, i.e. where `-rN` starts (or the text's end).
    suffix_end: u32,
}

/// Strips leading zeros: the canonical digit string of an integer.
fn strip_zeros(digits: &str) -> &str {
    digits.trim_start_matches('0')
}

/// Compares two unsigned decimal integers given as digit strings.
fn cmp_int(a: &str, b: &str) -> Ordering {
    let (a, b) = (strip_zeros(a), strip_zeros(b));
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// Compares numeric components after the first (PMS algorithm 3.3): when
/// either starts with `0`, trailing zeros are stripped and the strings are
/// compared as text; otherwise they compare as integers.
fn cmp_later_component(a: &str, b: &str) -> Ordering {
    if a.starts_with('0') || b.starts_with('0') {
        a.trim_end_matches('0').cmp(b.trim_end_matches('0'))
    } else {
        cmp_int(a, b)
    }
}

/// The canonical form of a later numeric component, consistent with
/// [`cmp_later_component`]: equal forms ⇔ equal components.
fn normal_later_component(a: &str) -> &str {
    if a.starts_with('0') {
        a.trim_end_matches('0')
    } else {
        a
    }
}

/// Iterates the suffixes of a suffix string such as `_alpha_p20241011`.
fn suffixes(s: &str) -> impl Iterator<Item = (SuffixKind, &str)> {
    s.split('_').skip(1).filter_map(|part| {
        let (kind, len) = SuffixKind::lex(part.as_bytes())?;
        Some((kind, &part[len..]))
    })
}

/// Reads `[0-9]+` at `pos`; returns the end, or an error naming `what`.
fn digits(b: &[u8], pos: usize, what: &str) -> Result<usize, ParseError> {
    let end = pos + b[pos..].iter().take_while(|c| c.is_ascii_digit()).count();
    if end == pos {
        return Err(ParseError::at(pos, format!("expected {what}")));
    }
    Ok(end)
}

/// Converts an offset to the compact form stored in [`Version`].
fn offset32(pos: usize) -> Result<u32, ParseError> {
    u32::try_from(pos).map_err(|_| ParseError::at(0, "version is too long"))
}

impl Version {
    /// Parses a version; same as [`str::parse`].
    pub fn parse(s: &str) -> Result<Version, ParseError> {
        let b = s.as_bytes();
        if b.is_empty() {
            return Err(ParseError::at(0, "empty version"));
        }
        let mut pos = digits(b, 0, "a digit at the start of the version")?;
        while b.get(pos) == Some(&b'.') {
            pos = digits(b, pos + 1, "a digit after `.`")?;
        }
        let num_end = pos;
        if b.get(pos).is_some_and(u8::is_ascii_lowercase) {
            pos += 1;
        }
        let letter_end = pos;
        while b.get(pos) == Some(&b'_') {
            let Some((_, len)) = SuffixKind::lex(&b[pos + 1..]) else {
                return Err(ParseError::at(
                    pos + 1,
                    "expected a version suffix (`alpha`, `beta`, `pre`, `rc` or `p`) after `_`",
                ));
            };
            pos += 1 + len;
            pos += b[pos..].iter().take_while(|c| c.is_ascii_digit()).count();
        }
        let suffix_end = pos;
        if b[pos..].starts_with(b"-r") {
            pos = digits(b, pos + 2, "a revision number after `-r`")?;
        }
        if pos != b.len() {
            let msg = match b[pos] {
                b'a'..=b'z' => "a version has at most one letter, right after the numbers",
                b'A'..=b'Z' => "version letters must be lowercase",
                b'-' => "expected `-rN` (a revision) after `-`",
                _ => "unexpected character in version",
            };
            return Err(ParseError::at(pos, msg));
        }
        Ok(Version {
            text: s.into(),
            num_end: offset32(num_end)?,
            letter_end: offset32(letter_end)?,
            suffix_end: offset32(suffix_end)?,
        })
    }

    /// The original text, exactly as parsed.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The dotted numeric components (`["1", "02", "3"]` for `1.02.3b`).
    pub fn numbers(&self) -> impl Iterator<Item = &str> {
        self.text[..self.num_end as usize].split('.')
    }

    /// The letter after the numbers, if any (`Some('b')` for `1.2b`).
    pub fn letter(&self) -> Option<char> {
        self.text[self.num_end as usize..self.letter_end as usize]
            .chars()
            .next()
    }

    /// The suffixes with their digit strings (`""` when no number was given).
    pub fn suffixes(&self) -> impl Iterator<Item = (SuffixKind, &str)> {
        suffixes(&self.text[self.letter_end as usize..self.suffix_end as usize])
    }

    /// The revision without leading zeros, `"0"` when absent (`-r0`, `-r00`
    /// and no revision all give `"0"`).
    pub fn revision(&self) -> &str {
        let rev = self.text.get(self.suffix_end as usize + 2..).unwrap_or("");
        match strip_zeros(rev) {
            "" => "0",
            r => r,
        }
    }

    /// Whether the text carries an explicit `-rN` (even `-r0`).
    pub fn has_revision(&self) -> bool {
        (self.suffix_end as usize) < self.text.len()
    }

    /// This version with any `-rN` removed.
    pub fn without_revision(&self) -> Version {
        Version {
            text: self.text[..self.suffix_end as usize].into(),
            ..*self
        }
    }

    /// True when some numeric component is four or more nines (`9999`,
    /// `3.13.9999`): the convention for live (VCS) ebuilds.
    pub fn is_live(&self) -> bool {
        self.numbers()
            .any(|n| n.len() >= 4 && n.bytes().all(|c| c == b'9'))
    }

    /// Portage's `=pkg-PREFIX*` test: `prefix` (as written, revision
    /// included) is a textual prefix of this version that ends on a
    /// component boundary. Leading zeros of the first component are ignored
    /// on both sides. `1.2` matches `1.2`, `1.2.3`, `1.2b`, `1.2_rc1`,
    /// `1.2-r3`, but not `1.20` or `1.02` (Portage's `match_from_list`).
    pub fn starts_with_components(&self, prefix: &Version) -> bool {
        let me = glob_normal(&self.text);
        let pre = glob_normal(&prefix.text);
        let (Some(me_rest), Some(pre_last)) = (me.strip_prefix(pre), pre.bytes().last()) else {
            return false;
        };
        match me_rest.bytes().next() {
            None | Some(b'.' | b'_' | b'-') => true,
            Some(next) => pre_last.is_ascii_digit() != next.is_ascii_digit(),
        }
    }

    /// Compares two versions ignoring their revisions (`~` operator).
    pub fn cmp_without_revision(&self, other: &Version) -> Ordering {
        self.cmp_numbers(other)
            .then_with(|| self.letter().cmp(&other.letter()))
            .then_with(|| self.cmp_suffixes(other))
    }

    fn cmp_numbers(&self, other: &Version) -> Ordering {
        let mut a = self.numbers();
        let mut b = other.numbers();
        // Both have at least one component; the first compares as integers.
        let first = cmp_int(a.next().unwrap_or(""), b.next().unwrap_or(""));
        if first != Ordering::Equal {
            return first;
        }
        loop {
            match (a.next(), b.next()) {
                (Some(x), Some(y)) => match cmp_later_component(x, y) {
                    Ordering::Equal => {}
                    ord => return ord,
                },
                (Some(_), None) => return Ordering::Greater,
                (None, Some(_)) => return Ordering::Less,
                (None, None) => return Ordering::Equal,
            }
        }
    }

    fn cmp_suffixes(&self, other: &Version) -> Ordering {
        let mut a = self.suffixes();
        let mut b = other.suffixes();
        loop {
            match (a.next(), b.next()) {
                (Some((ka, na)), Some((kb, nb))) => {
                    match ka.cmp(&kb).then_with(|| cmp_int(na, nb)) {
                        Ordering::Equal => {}
                        ord => return ord,
                    }
                }
                // The first extra suffix decides: `_p` is above "no suffix",
                // every other kind below it.
                (Some((k, _)), None) => {
                    return if k == SuffixKind::P {
                        Ordering::Greater
                    } else {
                        Ordering::Less
                    };
                }
                (None, Some((k, _))) => {
                    return if k == SuffixKind::P {
                        Ordering::Less
                    } else {
                        Ordering::Greater
                    };
                }
                (None, None) => return Ordering::Equal,
            }
        }
    }
}

/// The text Portage compares for `=…*`: leading zeros stripped, and a `0`
/// put back when nothing or a non-digit would be left (`0.3` stays `0.3`,
/// `007` becomes `7`).
fn glob_normal(text: &str) -> &str {
    let stripped = text.trim_start_matches('0');
    if stripped.starts_with(|c: char| c.is_ascii_digit()) {
        stripped
    } else {
        // Keep exactly one zero: it is the byte just before `stripped`.
        &text[text.len() - stripped.len() - 1..]
    }
}

impl Ord for Version {
    fn cmp(&self, other: &Self) -> Ordering {
        self.cmp_without_revision(other)
            .then_with(|| cmp_int(self.revision(), other.revision()))
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Version {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Version {}

impl Hash for Version {
    /// Hashes the normalised form, so equal versions hash equally.
    fn hash<H: Hasher>(&self, state: &mut H) {
        let mut numbers = self.numbers();
        strip_zeros(numbers.next().unwrap_or("")).hash(state);
        for n in numbers {
            normal_later_component(n).hash(state);
        }
        state.write_u8(0xff);
        self.letter().hash(state);
        for (kind, n) in self.suffixes() {
            kind.hash(state);
            strip_zeros(n).hash(state);
        }
        state.write_u8(0xff);
        self.revision().hash(state);
    }
}

impl FromStr for Version {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Version::parse(s)
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Version({:?})", &*self.text)
    }
}

#[cfg(test)]
mod tests;
