//! `staves init [PATH] [--name NAME]`.

use std::path::PathBuf;

use clap::Args;
use staves_core::ops::init::{self, InitOptions};

use crate::error::CliError;
use crate::printer::Printer;

/// Arguments of `staves init`.
#[derive(Debug, Args)]
pub(crate) struct InitArgs {
    /// The project directory (default: the current directory).
    #[arg(value_name = "PATH")]
    pub(crate) path: Option<PathBuf>,
    /// The image name (default: the directory's name).
    #[arg(long)]
    pub(crate) name: Option<String>,
}

/// Writes a starter staves.toml.
pub(crate) fn execute(args: &InitArgs, printer: &Printer) -> Result<(), CliError> {
    let dir = args.path.clone().unwrap_or_else(|| PathBuf::from("."));
    let outcome = init::init(&InitOptions {
        dir,
        name: args.name.clone(),
    })?;
    printer.status(
        "Created",
        format!("`{}` ({})", outcome.name, outcome.manifest_path.display()),
    );
    if outcome.gitignore_updated {
        printer.detail(format!("added `{}` to .gitignore", init::GITIGNORE_LINE));
    }
    printer.detail("next: `staves add <category/package>`, then `staves build`");
    Ok(())
}
