//! `staves lock`.

use std::time::Instant;

use clap::Args;
use staves_core::ops::lock::{self, LockOptions};

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
    let started = Instant::now();
    let ctx = context::project(global)?;
    let outcome = lock::lock(
        &ctx,
        &LockOptions { update: false },
        &StatusReporter { printer },
    )?;
    print_changes(printer, &outcome);
    print_lock_summary(printer, &outcome, started);
    Ok(())
}
