//! Errors as the user sees them: rendered once, at the edge.

use std::error::Error as StdError;

use crate::printer::Printer;

/// A failed command: the message, its causes, help lines and an optional
/// source snippet (for errors in staves.toml).
#[derive(Debug)]
pub(crate) struct CliError {
    message: String,
    causes: Vec<String>,
    help: Vec<String>,
    snippet: Option<String>,
}

impl CliError {
    /// An error with just a message.
    pub(crate) fn msg(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            causes: Vec::new(),
            help: Vec::new(),
            snippet: None,
        }
    }

    /// Adds a `caused by:` line.
    pub(crate) fn with_cause(mut self, cause: impl Into<String>) -> Self {
        self.causes.push(cause.into());
        self
    }

    /// Adds a help line.
    pub(crate) fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help.push(help.into());
        self
    }

    /// Prints `error:`, the snippet, `caused by:` lines and `help:` lines.
    pub(crate) fn render(&self, printer: &Printer) {
        printer.error(
            &self.message,
            &self.causes,
            self.snippet.as_deref(),
            &self.help,
        );
    }
}

impl From<staves_core::ops::build::BuildError> for CliError {
    fn from(err: staves_core::ops::build::BuildError) -> Self {
        use staves_core::ops::build::BuildError;
        let help = err.help();
        let details = err.details();
        match err {
            BuildError::Project(inner) => {
                let mut cli = CliError::from(inner);
                cli.help = help;
                cli
            }
            other => {
                let mut causes = Vec::new();
                let mut source = StdError::source(&other);
                while let Some(cause) = source {
                    let text = cause.to_string();
                    if !other.to_string().ends_with(&text) && causes.last() != Some(&text) {
                        causes.push(text);
                    }
                    source = cause.source();
                }
                Self {
                    message: other.to_string(),
                    causes,
                    help,
                    // Differences and log tails go right under the message.
                    snippet: (!details.is_empty()).then(|| details.join("\n")),
                }
            }
        }
    }
}

impl From<staves_core::ops::Error> for CliError {
    fn from(err: staves_core::ops::Error) -> Self {
        let mut causes = Vec::new();
        let mut source = StdError::source(&err);
        while let Some(cause) = source {
            let text = cause.to_string();
            // Wrappers often repeat their source's text; show it once.
            if !err.to_string().ends_with(&text) && causes.last() != Some(&text) {
                causes.push(text);
            }
            source = cause.source();
        }
        Self {
            message: err.to_string(),
            causes,
            help: err.help(),
            snippet: err.snippet(),
        }
    }
}
