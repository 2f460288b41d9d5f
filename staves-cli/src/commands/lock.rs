//! `staves lock`.

use std::time::Instant;

use clap::Args;
use staves_core::ops::lock::{self, LockOptions, LockOutcome};

use super::{StatusReporter, print_changes, print_lock_summary};
use crate::cli::GlobalArgs;
use crate::context;
use crate::error::CliError;
use crate::printer::Printer;

/// Arguments of `staves lock`.
#[derive(Debug, Args)]
pub(crate) struct LockArgs {}

/// Resolves and writes staves.lock when it changed.
pub(crate) fn execute(
    _args: &LockArgs,
    global: &GlobalArgs,
    printer: &Printer,
) -> Result<(), CliError> {
    relock(global, printer, LockOptions::default(), |_| ())
}

/// Locks (moving the repositories first when `options.update`), lets `before`
/// print what is specific to the command, then prints the changes and the
/// summary line. Shared by `staves lock` and `staves update`.
pub(crate) fn relock(
    global: &GlobalArgs,
    printer: &Printer,
    options: LockOptions,
    before: impl FnOnce(&LockOutcome),
) -> Result<(), CliError> {
    let started = Instant::now();
    let ctx = context::project(global)?;
    let outcome = lock::lock(&ctx, &options, &StatusReporter { printer })?;
    before(&outcome);
    print_changes(printer, &outcome);
    print_lock_summary(printer, &outcome, started);
    Ok(())
}
