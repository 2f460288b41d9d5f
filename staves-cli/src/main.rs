//! The `staves` binary: parses arguments, runs one command, renders errors.
//!
//! Exit status: 0 on success; 1 when a command fails (bad input, a
//! resolution that cannot be satisfied, a failed build, a stale lock under
//! `--locked`); 2 when the command line itself is wrong (reported by clap).

mod cli;
mod commands;
mod context;
mod error;
mod printer;

use std::process::ExitCode;

use clap::Parser;

use crate::cli::Cli;
use crate::printer::{Printer, Verbosity};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let verbosity = if cli.global.quiet {
        Verbosity::Quiet
    } else if cli.global.verbose {
        Verbosity::Verbose
    } else {
        Verbosity::Normal
    };
    let printer = Printer::new(verbosity, cli.global.color);
    match commands::run(cli.command, &cli.global, &printer) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            err.render(&printer);
            ExitCode::from(1)
        }
    }
}
