//! [`ManifestError`]: what is wrong in a `staves.toml`, and exactly where.

use std::fmt::{self, Write as _};
use std::ops::Range;
use std::path::PathBuf;

/// What class of problem a [`ManifestError`] reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The file could not be read.
    Read,
    /// The file is not UTF-8 or not valid TOML.
    Syntax,
    /// A key that `staves.toml` does not know (or a value outside an enum).
    UnknownKey,
    /// A value of the wrong TOML type.
    WrongType,
    /// A required key is absent.
    MissingKey,
    /// A value of the right type that is not acceptable (bad atom, port, …).
    InvalidValue,
    /// Something defined twice (repository name, label, package table).
    Duplicate,
    /// Keys that cannot be used together (two builder forms, …).
    Conflict,
    /// A name that refers to nothing (an undefined named environment).
    UnknownReference,
}

/// A position in the manifest text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// 1-based line number.
    pub line: usize,
    /// 1-based column, counted in characters.
    pub column: usize,
    /// The byte range the error is about.
    pub span: Range<usize>,
}

impl Location {
    /// The location of `span` in `source` (clamped to the text).
    pub fn from_span(source: &str, span: Range<usize>) -> Self {
        let start = floor_char_boundary(source, span.start);
        let end = floor_char_boundary(source, span.end.max(start));
        let before = &source[..start];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let column = source[line_start..start].chars().count() + 1;
        Self {
            line,
            column,
            span: start..end,
        }
    }
}

fn floor_char_boundary(source: &str, index: usize) -> usize {
    let mut index = index.min(source.len());
    while !source.is_char_boundary(index) {
        index -= 1;
    }
    index
}

/// An invalid or unreadable `staves.toml`.
///
/// Carries the file path, the position (line, column and byte span), the key
/// path (e.g. `package."app-shells/bash".use`), the message and an optional
/// help line. `Display` gives a one-line summary; the CLI prints
/// [`ManifestError::render_snippet`] for the rustc-style view. The details
/// are boxed so that `Result<_, ManifestError>` stays small.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct ManifestError(Box<Details>);

/// The fields of a [`ManifestError`].
#[derive(Debug, thiserror::Error)]
pub(crate) struct Details {
    pub(crate) path: PathBuf,
    pub(crate) kind: ErrorKind,
    pub(crate) location: Option<Location>,
    pub(crate) key: Option<String>,
    pub(crate) message: String,
    pub(crate) help: Option<String>,
    #[source]
    pub(crate) source: Option<std::io::Error>,
}

impl From<Details> for ManifestError {
    fn from(details: Details) -> Self {
        Self(Box::new(details))
    }
}

impl fmt::Display for Details {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(location) = &self.location {
            write!(f, ":{}:{}", location.line, location.column)?;
        }
        write!(f, ": {}", self.message)?;
        if let Some(key) = &self.key {
            write!(f, " (at `{key}`)")?;
        }
        Ok(())
    }
}

impl ManifestError {
    /// The manifest file.
    pub fn path(&self) -> &std::path::Path {
        &self.0.path
    }

    /// The class of problem.
    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }

    /// Where in the file (absent for read errors).
    pub fn location(&self) -> Option<&Location> {
        self.0.location.as_ref()
    }

    /// The 1-based line, when the error has a position.
    pub fn line(&self) -> Option<usize> {
        self.0.location.as_ref().map(|l| l.line)
    }

    /// The 1-based column, when the error has a position.
    pub fn column(&self) -> Option<usize> {
        self.0.location.as_ref().map(|l| l.column)
    }

    /// The dotted key path of the offending value, when known
    /// (`package."app-shells/bash".use`, `repositories[1].name`).
    pub fn key(&self) -> Option<&str> {
        self.0.key.as_deref()
    }

    /// What is wrong, as a lowercase phrase.
    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// What to do about it (a suggestion or the expected form).
    pub fn help(&self) -> Option<&str> {
        self.0.help.as_deref()
    }

    /// A rustc-style report of the error against `source` (the text the
    /// manifest was parsed from):
    ///
    /// ```text
    /// error: unknown key `pakages`
    ///  --> staves.toml:2:1
    ///   |
    /// 2 | pakages = ["app-shells/bash"]
    ///   | ^^^^^^^
    ///   |
    ///   = help: did you mean `packages`?
    /// ```
    ///
    /// The caret marks the span on its first line. A `note` line names the
    /// key path when the message does not already show it.
    pub fn render_snippet(&self, source: &str) -> String {
        let this = &self.0;
        let mut out = String::new();
        let _ = writeln!(out, "error: {}", this.message);
        let Some(location) = &this.location else {
            let _ = writeln!(out, " --> {}", this.path.display());
            if let Some(help) = &this.help {
                let _ = writeln!(out, "  = help: {help}");
            }
            return out;
        };
        // Recompute from `source` so a caller passing other text cannot
        // make this panic.
        let location = Location::from_span(source, location.span.clone());
        let line_text = source
            .split('\n')
            .nth(location.line - 1)
            .unwrap_or("")
            .trim_end_matches('\r');
        let number = location.line.to_string();
        let gutter = " ".repeat(number.len());
        let _ = writeln!(
            out,
            "{gutter}--> {}:{}:{}",
            this.path.display(),
            location.line,
            location.column
        );
        let _ = writeln!(out, "{gutter} |");
        let _ = writeln!(out, "{number} | {line_text}");
        let prefix: String = line_text
            .chars()
            .take(location.column - 1)
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        let span_text = &source[location.span.clone()];
        let first_line = span_text.split('\n').next().unwrap_or("");
        let available = line_text
            .chars()
            .count()
            .saturating_sub(location.column - 1);
        let width = first_line.chars().count().min(available).max(1);
        let _ = writeln!(out, "{gutter} | {prefix}{}", "^".repeat(width));
        let show_key = this
            .key
            .as_deref()
            .filter(|key| !key.is_empty() && !this.message.contains(&format!("`{key}`")));
        if this.help.is_some() || show_key.is_some() {
            let _ = writeln!(out, "{gutter} |");
        }
        if let Some(key) = show_key {
            let _ = writeln!(out, "{gutter} = note: in `{key}`");
        }
        if let Some(help) = &this.help {
            let _ = writeln!(out, "{gutter} = help: {help}");
        }
        out
    }
}

/// One step of a key path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Seg {
    Key(String),
    Index(usize),
}

/// Renders a key path: `package."app-shells/bash".use`, `repositories[1].name`.
pub(crate) fn key_path(path: &[Seg]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            Seg::Key(key) => {
                if !out.is_empty() {
                    out.push('.');
                }
                let bare = !key.is_empty()
                    && key
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
                if bare {
                    out.push_str(key);
                } else {
                    out.push_str(&toml_quote(key));
                }
            }
            Seg::Index(i) => {
                let _ = write!(out, "[{i}]");
            }
        }
    }
    out
}

/// Quotes `key` as a TOML basic string.
pub(crate) fn toml_quote(key: &str) -> String {
    let mut out = String::from("\"");
    for c in key.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_are_one_based_and_count_characters() {
        let text = "a = 1\nbé = \"x\"\n";
        let at = |offset: usize| {
            let l = Location::from_span(text, offset..offset);
            (l.line, l.column)
        };
        assert_eq!(at(0), (1, 1));
        assert_eq!(at(6), (2, 1));
        // `=` after the two-byte `é`.
        assert_eq!(at(10), (2, 4));
        // Inside `é` and past the end are clamped.
        assert_eq!(at(8), (2, 2));
        assert_eq!(at(999), (3, 1));
    }

    #[test]
    fn key_paths_quote_non_bare_keys() {
        let path = [
            Seg::Key("package".into()),
            Seg::Key("app-shells/bash".into()),
            Seg::Key("use".into()),
        ];
        assert_eq!(key_path(&path), "package.\"app-shells/bash\".use");
        let path = [
            Seg::Key("repositories".into()),
            Seg::Index(1),
            Seg::Key("name".into()),
        ];
        assert_eq!(key_path(&path), "repositories[1].name");
    }

    #[test]
    fn snippets_survive_mismatched_sources() {
        let err = ManifestError::from(Details {
            path: "staves.toml".into(),
            kind: ErrorKind::InvalidValue,
            location: Some(Location {
                line: 40,
                column: 7,
                span: 500..510,
            }),
            key: None,
            message: "bad".into(),
            help: None,
            source: None,
        });
        let snippet = err.render_snippet("short\n");
        assert!(snippet.contains("--> staves.toml:2:1"), "{snippet}");
    }
}
