//! `staves add ATOM... [--use FLAGS] [--keywords KW] [--env NAME] [--dry-run]`.

use std::time::Instant;

use clap::Args;
use staves_core::manifest::edit::AddOutcome;
use staves_core::ops::add::{self, AddOptions};

use super::{StatusReporter, print_changes, print_lock_summary};
use crate::cli::GlobalArgs;
use crate::context;
use crate::error::CliError;
use crate::printer::Printer;

/// Arguments of `staves add`.
#[derive(Debug, Args)]
pub(crate) struct AddArgs {
    /// Packages to add: `category/name`, an atom such as `>=dev-lang/python-3.12`,
    /// or a bare name when one category has it.
    #[arg(required = true, value_name = "ATOM")]
    pub(crate) atoms: Vec<String>,
    /// USE flags for these packages, space- or comma-separated (`ssl -nls`).
    #[arg(long = "use", value_name = "FLAGS", allow_hyphen_values = true)]
    pub(crate) use_flags: Vec<String>,
    /// Keywords to accept for these packages (`~amd64`).
    #[arg(long, value_name = "KW", allow_hyphen_values = true)]
    pub(crate) keywords: Vec<String>,
    /// Named environments (from [env.NAME]) to apply to these packages.
    #[arg(long, value_name = "NAME")]
    pub(crate) env: Vec<String>,
    /// Resolve and show what would change, without writing anything.
    #[arg(long)]
    pub(crate) dry_run: bool,
}

fn split(values: &[String]) -> Vec<String> {
    values
        .iter()
        .flat_map(|v| v.split(|c: char| c == ',' || c.is_whitespace()))
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Adds the packages and relocks.
pub(crate) fn execute(
    args: &AddArgs,
    global: &GlobalArgs,
    printer: &Printer,
) -> Result<(), CliError> {
    let started = Instant::now();
    let ctx = context::project(global)?;
    let options = AddOptions {
        atoms: args.atoms.clone(),
        use_flags: split(&args.use_flags),
        keywords: split(&args.keywords),
        env: split(&args.env),
        dry_run: args.dry_run,
    };
    let result = add::add(&ctx, &options, &StatusReporter { printer })?;
    for pkg in &result.packages {
        let version = pkg
            .version
            .as_deref()
            .map(|v| format!(" ({v})"))
            .unwrap_or_default();
        match &pkg.edit {
            AddOutcome::Added => printer.status("Adding", format!("{}{version}", pkg.atom)),
            AddOutcome::Replaced { old } => {
                printer.status("Updating", format!("{old} -> {}{version}", pkg.atom));
            }
            AddOutcome::AlreadyPresent => {
                printer.status(
                    "Keeping",
                    format!("{}{version} (already in packages)", pkg.atom),
                );
            }
        }
        if !pkg.use_enabled.is_empty() || !pkg.use_disabled.is_empty() {
            printer.detail("USE flags:");
            for flag in &pkg.use_enabled {
                printer.detail(format!("+ {flag}"));
            }
            for flag in &pkg.use_disabled {
                printer.detail(format!("- {flag}"));
            }
        }
    }
    print_changes(printer, &result.lock);
    print_lock_summary(printer, &result.lock, started);
    if args.dry_run {
        printer.warn("aborting add due to dry run; nothing was written");
    }
    Ok(())
}
