//! Edits of a builder file's text, shared by the writable indexes: append one
//! line, or flip the `yanked` field of one line without touching anything
//! else on it (lines are immutable except for `yanked`).

use std::collections::HashMap;

use semver::Version;
use serde_json::value::RawValue;

use crate::entry::{IndexEntry, parse_file, same_version};
use crate::error::IndexError;
use crate::name::validate_name;

/// The builder file's text after publishing `entry`, given its current text
/// (`None` when the builder is new). `path` names the file in errors.
///
/// Refuses an invalid entry, a version that is already there (build
/// metadata ignored, lines of newer schemas included) and a spelling of the
/// name that differs from the published one.
pub(crate) fn add_version(
    current: Option<&str>,
    path: &str,
    entry: &IndexEntry,
) -> Result<String, IndexError> {
    validate_name(&entry.name).map_err(|source| IndexError::InvalidName {
        name: entry.name.clone(),
        source,
    })?;
    entry
        .validate()
        .map_err(|message| IndexError::InvalidEntry {
            name: entry.name.clone(),
            vers: entry.vers.clone(),
            message,
        })?;
    let current = current.unwrap_or("");
    let existing = parse_file(current, path)?;
    if let Some(first) = existing.first()
        && first.name != entry.name
    {
        return Err(IndexError::NameSpelling {
            requested: entry.name.clone(),
            existing: first.name.clone(),
        });
    }
    let taken = raw_lines(current)
        .filter_map(|(_, _, fields)| fields.get("vers").and_then(|raw| parse_vers(raw)))
        .any(|v| same_version(&v, &entry.vers));
    if taken {
        return Err(IndexError::VersionExists {
            name: entry.name.clone(),
            vers: entry.vers.clone(),
        });
    }
    let mut text = current.to_owned();
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(&entry.to_line());
    text.push('\n');
    Ok(text)
}

/// The builder file's text with version `vers` marked `yanked`, or `None`
/// when that line already says so. Only the `yanked` value of that one line
/// changes (the field is added at the end of the object when missing).
pub(crate) fn set_yanked(
    current: &str,
    path: &str,
    name: &str,
    vers: &Version,
    yanked: bool,
) -> Result<Option<String>, IndexError> {
    // Refuse to edit a file that does not parse: the edit would hide the
    // problem.
    parse_file(current, path)?;
    let value = if yanked { "true" } else { "false" };
    for (start, line, fields) in raw_lines(current) {
        let matches = fields
            .get("vers")
            .and_then(|raw| parse_vers(raw))
            .is_some_and(|v| same_version(&v, vers));
        if !matches {
            continue;
        }
        let (from, to, replacement) = match fields.get("yanked") {
            Some(raw) => {
                if raw.get() == value {
                    return Ok(None);
                }
                let from = start + offset_in(line, raw.get());
                (from, from + raw.get().len(), value.to_owned())
            }
            None if !yanked => return Ok(None),
            None => {
                let close = start + line.rfind('}').unwrap_or(line.len());
                (close, close, format!(",\"yanked\":{value}"))
            }
        };
        let mut text = String::with_capacity(current.len() + replacement.len());
        text.push_str(&current[..from]);
        text.push_str(&replacement);
        text.push_str(&current[to..]);
        return Ok(Some(text));
    }
    Err(IndexError::VersionNotFound {
        name: name.to_owned(),
        vers: vers.clone(),
    })
}

/// The top-level fields of a line, values kept as their raw text.
type RawFields<'a> = HashMap<String, &'a RawValue>;

/// Every non-blank line that is a JSON object: its byte offset in `text`, the
/// line, and its fields.
fn raw_lines(text: &str) -> impl Iterator<Item = (usize, &str, RawFields<'_>)> {
    let mut start = 0;
    text.split_inclusive('\n').filter_map(move |line| {
        let at = start;
        start += line.len();
        let line = line.trim_end_matches(['\n', '\r']);
        let fields: RawFields<'_> = serde_json::from_str(line).ok()?;
        Some((at, line, fields))
    })
}

fn parse_vers(raw: &RawValue) -> Option<Version> {
    serde_json::from_str::<Version>(raw.get()).ok()
}

/// The byte offset of `part`, a sub-slice of `whole`, inside `whole`.
fn offset_in(whole: &str, part: &str) -> usize {
    (part.as_ptr() as usize).saturating_sub(whole.as_ptr() as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINE: &str = r#"{"v":1,"name":"b","vers":"1.0.0","images":{"linux/amd64":"sha256:0000000000000000000000000000000000000000000000000000000000000000"},"arch":"amd64","libc":"glibc","profile":"default/linux/amd64/23.0","portage":"3.0.83","yanked":false}"#;

    #[test]
    fn yank_rewrites_only_the_yanked_value() {
        // Unusual spacing and an unknown field survive byte for byte.
        let other = LINE
            .replace("1.0.0", "1.1.0")
            .replace("\"yanked\":false", "\"yanked\" :  false, \"x\":[1]");
        let text = format!("{LINE}\n{other}\n");
        let v = Version::new(1, 1, 0);
        let out = set_yanked(&text, "1/b", "b", &v, true).unwrap().unwrap();
        assert_eq!(out, format!("{LINE}\n{}\n", other.replace("false", "true")));
        assert_eq!(set_yanked(&out, "1/b", "b", &v, true).unwrap(), None);
        let back = set_yanked(&out, "1/b", "b", &v, false).unwrap().unwrap();
        assert_eq!(back, text);
    }

    #[test]
    fn yank_adds_a_missing_field() {
        let bare = LINE.replace(",\"yanked\":false", "");
        let out = set_yanked(&bare, "1/b", "b", &Version::new(1, 0, 0), true)
            .unwrap()
            .unwrap();
        assert_eq!(
            out,
            format!("{},\"yanked\":true}}", &bare[..bare.len() - 1])
        );
        assert!(parse_file(&out, "1/b").unwrap()[0].yanked);
    }

    #[test]
    fn yank_of_a_missing_version_is_an_error() {
        let err = set_yanked(LINE, "1/b", "b", &Version::new(2, 0, 0), true).unwrap_err();
        assert!(matches!(err, IndexError::VersionNotFound { .. }), "{err}");
    }

    #[test]
    fn add_refuses_a_version_held_by_a_newer_schema_line() {
        let newer = LINE.replace("\"v\":1", "\"v\":9").replace("1.0.0", "2.0.0");
        let mut entry = parse_file(LINE, "1/b").unwrap().remove(0);
        entry.vers = "2.0.0+other".parse().unwrap();
        let err = add_version(Some(&newer), "1/b", &entry).unwrap_err();
        assert!(matches!(err, IndexError::VersionExists { .. }), "{err}");
    }
}
