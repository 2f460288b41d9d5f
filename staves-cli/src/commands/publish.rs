//! `staves publish`: build a builder project, check it, push it and add it
//! to a registry index.

use std::error::Error as StdError;
use std::time::Instant;

use clap::Args;
use staves_core::builder::Interrupt;
use staves_core::ops::build::BuildOptions;
use staves_core::ops::publish::{self, PublishError, PublishOptions};

use super::build::CliReporter;
use crate::cli::GlobalArgs;
use crate::context;
use crate::error::CliError;
use crate::printer::{Printer, Verbosity};

/// Arguments of `staves publish`.
#[derive(Debug, Args)]
pub(crate) struct PublishArgs {
    /// The registry index to publish to: `dir+PATH`, `git+URL[#branch]` (default: STAVES_INDEX).
    #[arg(long, value_name = "LOC")]
    index: Option<String>,
    /// Build and check everything, but push nothing and leave the index alone.
    #[arg(long)]
    dry_run: bool,
    /// Publish even when the project's git working tree has uncommitted changes.
    #[arg(long)]
    allow_dirty: bool,
    /// The base builder image (overrides [builder] in staves.toml).
    #[arg(long, value_name = "REF", env = "STAVES_BUILDER_IMAGE")]
    builder_image: Option<String>,
    /// How many packages emerge builds in parallel.
    #[arg(short, long, value_name = "N")]
    jobs: Option<u32>,
}

impl From<PublishError> for CliError {
    fn from(err: PublishError) -> Self {
        match err {
            PublishError::Build(inner) => CliError::from(inner),
            PublishError::Project(inner) => CliError::from(inner),
            other => with_causes(&other, other.help()),
        }
    }
}

/// A CLI error from any error: its message, its causes, `help`.
pub(crate) fn with_causes(err: &dyn StdError, help: Vec<String>) -> CliError {
    let message = err.to_string();
    let mut cli = CliError::msg(&message);
    let mut source = err.source();
    let mut causes: Vec<String> = Vec::new();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.contains(&text) && causes.last() != Some(&text) {
            causes.push(text);
        }
        source = cause.source();
    }
    for cause in causes {
        cli = cli.with_cause(cause);
    }
    for line in help {
        cli = cli.with_help(line);
    }
    cli
}

/// Publishes the builder and prints `<image>@<digest>` on stdout.
pub(crate) fn execute(
    args: &PublishArgs,
    global: &GlobalArgs,
    printer: &Printer,
) -> Result<(), CliError> {
    let started = Instant::now();
    let ctx = context::project(global)?;
    let interrupt = Interrupt::install_signal_handlers()
        .map_err(|e| CliError::msg(format!("cannot install the Ctrl-C handler: {e}")))?;
    let options = PublishOptions {
        index: args.index.clone(),
        dry_run: args.dry_run,
        allow_dirty: args.allow_dirty,
        build: BuildOptions {
            builder_image: args.builder_image.clone(),
            jobs: args.jobs,
            verbose: printer.verbosity() >= Verbosity::Verbose,
            source_date_epoch: std::env::var("SOURCE_DATE_EPOCH").ok(),
            interrupt,
            ..BuildOptions::default()
        },
    };
    let reporter = CliReporter::new(printer);
    let outcome = publish::publish(&ctx, &options, &reporter)?;
    let entry = &outcome.entry;
    printer.status(
        "Verified",
        format!(
            "{} {} builds a smoke image ({})",
            entry.name, entry.vers, outcome.smoke_digest
        ),
    );
    if outcome.dry_run {
        printer.status(
            "Skipped",
            format!(
                "push to {} and index line in {} (--dry-run)",
                outcome.image, outcome.index
            ),
        );
        printer.verbose(format!("index line: {}", entry.to_line()));
        printer.warn("aborting publish because of --dry-run");
    } else {
        printer.status(
            "Published",
            format!("{} {} to {}", entry.name, entry.vers, outcome.index),
        );
        printer.summary(
            "Finished",
            format!("publishing {} {}", entry.name, entry.vers),
            started.elapsed(),
        );
    }
    let repository = outcome
        .image
        .rsplit_once(':')
        .map_or(outcome.image.as_str(), |(repo, _)| repo);
    printer.out_line(format!("{repository}@{}", outcome.digest));
    Ok(())
}
