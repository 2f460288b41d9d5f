//! One module per command: clap `Args`, then `execute`, which calls one
//! `staves_core::ops` function and prints its outcome.

pub(crate) mod add;
pub(crate) mod build;
pub(crate) mod builder;
pub(crate) mod cache;
pub(crate) mod init;
pub(crate) mod lock;
pub(crate) mod publish;
pub(crate) mod remove;
pub(crate) mod search;
pub(crate) mod tree;
pub(crate) mod update;
pub(crate) mod yank;

use staves_core::ops::{Reporter, lock::LockOutcome, lock::PackageChange};

use crate::cli::{Command, GlobalArgs};
use crate::error::CliError;
use crate::printer::{Printer, plural};

/// Runs one command.
pub(crate) fn run(
    command: Command,
    global: &GlobalArgs,
    printer: &Printer,
) -> Result<(), CliError> {
    match command {
        Command::Init(args) => init::execute(&args, printer),
        Command::Add(args) => add::execute(&args, global, printer),
        Command::Remove(args) => remove::execute(&args, global, printer),
        Command::Lock(args) => lock::execute(&args, global, printer),
        Command::Update(args) => update::execute(&args, global, printer),
        Command::Tree(args) => tree::execute(&args, global, printer),
        Command::Build(args) => build::execute(&args, global, printer),
        Command::Cache(args) => cache::execute(&args, global, printer),
        Command::Search(args) => search::execute(&args, global, printer),
        Command::Builder(args) => builder::execute(&args, global, printer),
        Command::Publish(args) => publish::execute(&args, global, printer),
        Command::Yank(args) => yank::execute(&args, global, printer),
    }
}

/// Shows repository fetches and resolution as status lines.
pub(crate) struct StatusReporter<'a> {
    pub(crate) printer: &'a Printer,
}

impl Reporter for StatusReporter<'_> {
    fn fetching(&self, repository: &str, source: &str) {
        self.printer
            .verbose(format!("repository {repository}: {source}"));
    }
}

/// Prints the package changes of a relock, cargo style.
pub(crate) fn print_changes(printer: &Printer, outcome: &LockOutcome) {
    for warning in &outcome.resolution.warnings {
        printer.warn(warning);
    }
    if let Some(change) = &outcome.builder_change {
        match (&change.from, &change.to) {
            (None, Some(to)) => printer.status("Locking", format!("builder {to}")),
            (Some(from), Some(to)) => {
                printer.status("Updating", format!("builder {from} -> {to}"));
            }
            (Some(from), None) => printer.status("Removing", format!("builder {from}")),
            (None, None) => {}
        }
    }
    for change in &outcome.changes {
        match change {
            PackageChange::Added { name, version } => {
                printer.status("Adding", format!("{name} {version}"))
            }
            PackageChange::Removed { name, version } => {
                printer.status("Removing", format!("{name} {version}"))
            }
            PackageChange::Updated { name, from, to } => {
                printer.status("Updating", format!("{name} {from} -> {to}"));
            }
        }
    }
}

/// The `Locked N packages in T` summary (or that nothing changed).
pub(crate) fn print_lock_summary(
    printer: &Printer,
    outcome: &LockOutcome,
    started: std::time::Instant,
) {
    let image = outcome
        .lock
        .packages
        .iter()
        .filter(|p| p.role.in_image())
        .count();
    let builder = outcome.lock.packages.len() - image;
    let what = format!(
        "{} ({image} in the image, {builder} for the builder only)",
        plural(outcome.lock.packages.len(), "package")
    );
    let verb = if outcome.written {
        "Locked"
    } else {
        "Resolved"
    };
    printer.summary(verb, what, started.elapsed());
}
