//! The one object through which the command line writes anything.
//!
//! Machine-readable results go to stdout; everything meant for people
//! (status lines, warnings, progress, errors) goes to stderr. Colours follow
//! `--color` (auto: only on a terminal, and never when `NO_COLOR` is set).
//! This is the only module allowed to use print macros.

#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::fmt::Display;
use std::io::Write as _;
use std::time::Duration;

use anstyle::{AnsiColor, Style};

/// How much the user asked to see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Verbosity {
    /// `-q`: errors and machine output only.
    Quiet,
    /// The default: status lines, warnings and progress bars.
    Normal,
    /// `-v`: also detail lines and raw logs.
    Verbose,
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum ColorChoice {
    /// Colour when writing to a terminal.
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

const STATUS: Style = AnsiColor::Green.on_default().bold();
const WARNING: Style = AnsiColor::Yellow.on_default().bold();
const ERROR: Style = AnsiColor::Red.on_default().bold();
const HELP: Style = AnsiColor::Cyan.on_default().bold();
const DIM: Style = Style::new().dimmed();
const BOLD: Style = Style::new().bold();

/// Writes output for people (stderr) and machines (stdout).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Printer {
    verbosity: Verbosity,
}

impl Printer {
    /// A printer for the given verbosity; sets the process-wide colour choice.
    pub(crate) fn new(verbosity: Verbosity, color: ColorChoice) -> Self {
        let choice = match color {
            ColorChoice::Auto => anstream::ColorChoice::Auto,
            ColorChoice::Always => anstream::ColorChoice::Always,
            ColorChoice::Never => anstream::ColorChoice::Never,
        };
        choice.write_global();
        Self { verbosity }
    }

    /// How much the user asked to see.
    pub(crate) fn verbosity(&self) -> Verbosity {
        self.verbosity
    }

    /// Where progress bars draw: stderr at normal verbosity (indicatif hides
    /// them when stderr is not a terminal), nowhere with -q or -v (raw logs).
    pub(crate) fn progress_target(&self) -> indicatif::ProgressDrawTarget {
        if self.verbosity == Verbosity::Normal {
            indicatif::ProgressDrawTarget::stderr()
        } else {
            indicatif::ProgressDrawTarget::hidden()
        }
    }

    /// A cargo-style status line: a right-aligned green verb and a message.
    pub(crate) fn status(&self, verb: &str, message: impl Display) {
        if self.verbosity >= Verbosity::Normal {
            self.err_line(format_args!("{STATUS}{verb:>12}{STATUS:#} {message}"));
        }
    }

    /// A status line ending in a dimmed elapsed time: `Locked 14 packages in 38ms`.
    pub(crate) fn summary(&self, verb: &str, message: impl Display, elapsed: Duration) {
        if self.verbosity >= Verbosity::Normal {
            let took = format_elapsed(elapsed);
            self.err_line(format_args!(
                "{STATUS}{verb:>12}{STATUS:#} {message} {DIM}in {took}{DIM:#}"
            ));
        }
    }

    /// An indented detail line under a status line (shown by default).
    pub(crate) fn detail(&self, message: impl Display) {
        if self.verbosity >= Verbosity::Normal {
            self.err_line(format_args!("{:>12} {message}", ""));
        }
    }

    /// A line shown only with `-v`.
    pub(crate) fn verbose(&self, message: impl Display) {
        if self.verbosity >= Verbosity::Verbose {
            self.err_line(format_args!("{DIM}{message}{DIM:#}"));
        }
    }

    /// `warning: …` (hidden by `-q`).
    pub(crate) fn warn(&self, message: impl Display) {
        if self.verbosity >= Verbosity::Normal {
            self.err_line(format_args!(
                "{WARNING}warning{WARNING:#}{BOLD}:{BOLD:#} {message}"
            ));
        }
    }

    /// `error: …`, then `caused by:` lines, then `help:` lines, then an
    /// optional source snippet. Always shown.
    pub(crate) fn error(
        &self,
        message: &str,
        causes: &[String],
        snippet: Option<&str>,
        help: &[String],
    ) {
        self.err_line(format_args!(
            "{ERROR}error{ERROR:#}{BOLD}:{BOLD:#} {message}"
        ));
        if let Some(snippet) = snippet {
            for line in snippet.lines() {
                self.err_line(format_args!("{line}"));
            }
        }
        for cause in causes {
            self.err_line(format_args!(
                "{ERROR}caused by{ERROR:#}{BOLD}:{BOLD:#} {cause}"
            ));
        }
        for h in help {
            self.err_line(format_args!("{HELP}help{HELP:#}{BOLD}:{BOLD:#} {h}"));
        }
    }

    /// A line of machine-readable output on stdout (never hidden).
    pub(crate) fn out_line(&self, line: impl Display) {
        let mut out = anstream::stdout().lock();
        // A closed pipe (`staves tree | head`) is not an error worth a panic.
        let _ = writeln!(out, "{line}");
    }

    /// A line for people on stderr.
    pub(crate) fn err_line(&self, line: impl Display) {
        let mut err = anstream::stderr().lock();
        let _ = writeln!(err, "{line}");
    }
}

/// Cargo-style durations: `38ms`, `1.23s`, `2m 04s`.
pub(crate) fn format_elapsed(d: Duration) -> String {
    let secs = d.as_secs_f64();
    if secs < 1.0 {
        format!("{}ms", d.as_millis())
    } else if secs < 60.0 {
        format!("{secs:.2}s")
    } else {
        let whole = d.as_secs();
        format!("{}m {:02}s", whole / 60, whole % 60)
    }
}

/// "1 package" / "14 packages".
pub(crate) fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elapsed_is_cargo_style() {
        assert_eq!(format_elapsed(Duration::from_millis(38)), "38ms");
        assert_eq!(format_elapsed(Duration::from_millis(1234)), "1.23s");
        assert_eq!(format_elapsed(Duration::from_secs(124)), "2m 04s");
        assert_eq!(plural(1, "package"), "1 package");
        assert_eq!(plural(14, "package"), "14 packages");
    }
}
