//! `staves yank NAME@VERSION [--undo] [--index LOC]`.

use clap::Args;
use staves_core::ops::yank::{self, YankError};

use super::publish::with_causes;
use crate::cli::GlobalArgs;
use crate::context;
use crate::error::CliError;
use crate::printer::Printer;

/// Arguments of `staves yank`.
#[derive(Debug, Args)]
pub(crate) struct YankArgs {
    /// The builder version, e.g. `x86_64-glibc@1.2.0`.
    #[arg(value_name = "NAME@VERSION")]
    spec: String,
    /// Clear the mark instead (the version can be locked again).
    #[arg(long)]
    undo: bool,
    /// The registry index: `dir+PATH`, `git+URL[#branch]` (default: STAVES_INDEX).
    #[arg(long, value_name = "LOC")]
    index: Option<String>,
}

impl From<YankError> for CliError {
    fn from(err: YankError) -> Self {
        with_causes(&err, err.help())
    }
}

/// Sets or clears the mark and says what happened.
pub(crate) fn execute(
    args: &YankArgs,
    _global: &GlobalArgs,
    printer: &Printer,
) -> Result<(), CliError> {
    let outcome = yank::yank(
        &args.spec,
        args.undo,
        args.index.as_deref(),
        &context::cache_dir()?,
    )?;
    let what = format!("{}@{}", outcome.name, outcome.version);
    match (outcome.yanked, outcome.changed) {
        (true, true) => printer.status("Yanked", format!("{what} in {}", outcome.index)),
        (false, true) => printer.status("Unyanked", format!("{what} in {}", outcome.index)),
        (true, false) => printer.status("Unchanged", format!("{what} was already yanked")),
        (false, false) => printer.status("Unchanged", format!("{what} was not yanked")),
    }
    Ok(())
}
