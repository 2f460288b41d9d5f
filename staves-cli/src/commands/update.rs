//! `staves update`: move every repository to the newest commit of its
//! branch or tag and relock.

use clap::Args;

use super::lock::relock;
use crate::cli::GlobalArgs;
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
    relock(global, printer, true, |outcome| {
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
    })
}
