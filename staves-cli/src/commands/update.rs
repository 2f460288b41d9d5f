//! `staves update`: move every repository to the newest commit of its
//! branch or tag and relock.

use clap::Args;

use staves_core::ops::lock::LockOptions;

use super::lock::relock;
use crate::cli::GlobalArgs;
use crate::error::CliError;
use crate::printer::Printer;

/// Arguments of `staves update`.
#[derive(Debug, Args)]
pub(crate) struct UpdateArgs {
    /// Only these packages (`category/name`) may change version; every
    /// other package keeps its locked version while it still fits.
    #[arg(value_name = "ATOM")]
    pub(crate) packages: Vec<String>,
}

/// Fetches the newest commits and relocks.
pub(crate) fn execute(
    args: &UpdateArgs,
    global: &GlobalArgs,
    printer: &Printer,
) -> Result<(), CliError> {
    let options = LockOptions {
        update: true,
        only: args.packages.clone(),
    };
    relock(global, printer, options, |outcome| {
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
