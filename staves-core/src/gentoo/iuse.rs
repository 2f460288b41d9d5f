//! `IUSE`: the USE flags a package declares, with `+flag`/`-flag` defaults.

use std::fmt;

use super::ParseError;
use super::name::is_valid_use_flag;

/// One `IUSE` entry.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IuseFlag {
    /// The flag name.
    pub name: String,
    /// `+flag` = `Some(true)`, `-flag` = `Some(false)`, bare = `None`.
    pub default: Option<bool>,
}

impl fmt::Display for IuseFlag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.default {
            Some(true) => f.write_str("+")?,
            Some(false) => f.write_str("-")?,
            None => {}
        }
        f.write_str(&self.name)
    }
}

/// Parses a whitespace-separated `IUSE` value; errors point at the token.
///
/// # Errors
/// The first invalid entry (see [`iuse_entries`]).
pub fn parse_iuse(s: &str) -> Result<Vec<IuseFlag>, ParseError> {
    iuse_entries(s).collect()
}

/// The entries of an `IUSE` value one at a time, each a flag or the error
/// for its token (with the token's byte offset), so that a caller can go
/// on past a bad token the way Portage does: it splits IUSE on whitespace,
/// strips one `+`/`-` and never rejects a name.
pub fn iuse_entries(s: &str) -> impl Iterator<Item = Result<IuseFlag, ParseError>> + '_ {
    let mut rest = s;
    std::iter::from_fn(move || {
        let start = rest.find(|c: char| !c.is_ascii_whitespace())?;
        let tail = &rest[start..];
        let end = tail
            .find(|c: char| c.is_ascii_whitespace())
            .unwrap_or(tail.len());
        let token = &tail[..end];
        let offset = s.len() - rest.len() + start;
        rest = &tail[end..];
        let (name, default) = match token.as_bytes()[0] {
            b'+' => (&token[1..], Some(true)),
            b'-' => (&token[1..], Some(false)),
            _ => (token, None),
        };
        Some(if is_valid_use_flag(name) {
            Ok(IuseFlag {
                name: name.to_owned(),
                default,
            })
        } else {
            Err(ParseError::at(
                offset,
                format!("invalid IUSE entry `{token}`: expected `flag`, `+flag` or `-flag`"),
            ))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_defaults() {
        let flags = parse_iuse("  +ssl -doc\ttest abi_x86_32\n").unwrap();
        let shown: Vec<String> = flags.iter().map(ToString::to_string).collect();
        assert_eq!(shown, ["+ssl", "-doc", "test", "abi_x86_32"]);
        assert_eq!(flags[0].default, Some(true));
        assert_eq!(flags[1].default, Some(false));
        assert_eq!(flags[2].default, None);
        assert_eq!(parse_iuse("").unwrap(), []);
    }

    #[test]
    fn rejects_bad_entries_with_offsets() {
        for (s, offset) in [("a +", 2), ("a ++b", 2), ("x _y", 2), ("a b!", 2), ("é", 0)] {
            assert_eq!(parse_iuse(s).unwrap_err().offset, Some(offset), "{s}");
        }
    }

    #[test]
    fn entries_go_on_past_a_bad_token() {
        let got: Vec<Result<String, Option<usize>>> = iuse_entries("+a b! ++c\t-d")
            .map(|e| e.map(|f| f.to_string()).map_err(|e| e.offset))
            .collect();
        assert_eq!(
            got,
            [
                Ok("+a".to_owned()),
                Err(Some(3)),
                Err(Some(6)),
                Ok("-d".to_owned())
            ]
        );
    }
}
