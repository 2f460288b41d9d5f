//! `staves update`: move every repository to the newest commit of its
//! branch or tag and relock.

use std::time::Instant;

use clap::Args;
use staves_core::ops::lock::{self, LockOptions};

use super::{StatusReporter, print_changes, print_lock_summary};
use crate::cli::GlobalArgs;
use crate::context;
use crate::error::CliError;
use crate::printer::Printer;

/// Arguments of `staves update`.
#[derive(Debug, Args)]
pub(crate) struct UpdateArgs {}

/// Fetches the newest commits and relocks.
pub(crate) fn execute(
    _args: &UpdateArgs,
    global: &GlobalArgs,
    printer: &Printer,
) -> Result<(), CliError> {
    let started = Instant::now();
    let ctx = context::project(global)?;
    let outcome = lock::lock(
        &ctx,
        &LockOptions { update: true },
        &StatusReporter { printer },
    )?;
    for repo in &outcome.lock.repositories {
        if let Some(commit) = &repo.commit {
            printer.status(
                "Pinned",
                format!("{} at {}", repo.name, &commit[..commit.len().min(12)]),
            );
        }
    }
    if outcome.changes.is_empty() && outcome.had_lock {
        printer.status("Unchanged", "no package versions changed");
    }
    print_changes(printer, &outcome);
    print_lock_summary(printer, &outcome, started);
    Ok(())
}
