//! `staves remove ATOM... [--dry-run]`.

use std::time::Instant;

use clap::Args;
use staves_core::ops::remove::{self, RemoveOptions};

use super::{StatusReporter, print_changes, print_lock_summary};
use crate::cli::GlobalArgs;
use crate::context;
use crate::error::CliError;
use crate::printer::Printer;

/// Arguments of `staves remove`.
#[derive(Debug, Args)]
pub(crate) struct RemoveArgs {
    /// Packages to remove: `category/name` or the entry as written in `packages`.
    #[arg(required = true, value_name = "ATOM")]
    pub(crate) atoms: Vec<String>,
    /// Resolve and show what would change, without writing anything.
    #[arg(long)]
    pub(crate) dry_run: bool,
}

/// Removes the packages and relocks.
pub(crate) fn execute(
    args: &RemoveArgs,
    global: &GlobalArgs,
    printer: &Printer,
) -> Result<(), CliError> {
    let started = Instant::now();
    let ctx = context::project(global)?;
    let options = RemoveOptions {
        atoms: args.atoms.clone(),
        dry_run: args.dry_run,
    };
    let result = remove::remove(&ctx, &options, &StatusReporter { printer })?;
    for atom in &result.removed {
        printer.status("Removing", format!("{atom} from packages"));
    }
    print_changes(printer, &result.lock);
    print_lock_summary(printer, &result.lock, started);
    if args.dry_run {
        printer.warn("aborting remove due to dry run; nothing was written");
    }
    Ok(())
}
