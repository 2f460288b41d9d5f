//! `staves tree [--invert NAME] [--builder]`.

use clap::Args;
use staves_core::ops::tree::{self, TreeOptions};

use super::StatusReporter;
use crate::cli::GlobalArgs;
use crate::context;
use crate::error::CliError;
use crate::printer::Printer;

/// Arguments of `staves tree`.
#[derive(Debug, Args)]
pub(crate) struct TreeArgs {
    /// Show why a package is there: every chain from a requested package down to it.
    #[arg(short, long, value_name = "PACKAGE")]
    pub(crate) invert: Option<String>,
    /// Also follow build dependencies (DEPEND, BDEPEND, IDEPEND).
    #[arg(long)]
    pub(crate) builder: bool,
}

/// Prints the locked graph on stdout.
pub(crate) fn execute(
    args: &TreeArgs,
    global: &GlobalArgs,
    printer: &Printer,
) -> Result<(), CliError> {
    let ctx = context::project(global)?;
    let options = TreeOptions {
        invert: args.invert.clone(),
        builder: args.builder,
    };
    let (_, lines) = tree::tree(&ctx, &options, &StatusReporter { printer })?;
    for line in lines {
        printer.out_line(line);
    }
    Ok(())
}
