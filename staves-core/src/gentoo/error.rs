//! The error type shared by every parser in [`crate::gentoo`].

/// A parse failure: what was wrong, and where.
///
/// `offset` is a byte offset into the parsed input (for single-line values
/// such as atoms and versions) and `line` is a 1-based line number for
/// multi-line files (md5-cache entries, profile files); either may be absent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ParseError {
    /// What is wrong, as a lowercase phrase (e.g. "missing category").
    pub message: String,
    /// Byte offset into the input where the problem starts.
    pub offset: Option<usize>,
    /// 1-based line number, for multi-line inputs.
    pub line: Option<usize>,
}

impl ParseError {
    /// An error at a byte offset of a single-line input.
    pub fn at(offset: usize, message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            offset: Some(offset),
            line: None,
        }
    }

    /// An error on a line of a multi-line input.
    pub fn on_line(line: usize, message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            offset: None,
            line: Some(line),
        }
    }
}
