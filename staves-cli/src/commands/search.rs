//! `staves search [QUERY] [--index LOC]`.

use std::time::Instant;

use clap::Args;
use staves_core::ops::builder_list::IndexOptions;
use staves_core::ops::search;

use super::builder::{IndexArgs, OutputFormat};
use crate::cli::GlobalArgs;
use crate::error::CliError;
use crate::printer::{Printer, plural};

/// Arguments of `staves search`.
#[derive(Debug, Args)]
pub(crate) struct SearchArgs {
    /// Words that must all appear in a builder's name or summary (none: every builder).
    #[arg(value_name = "QUERY")]
    query: Vec<String>,
    /// The index to read.
    #[command(flatten)]
    index: IndexArgs,
}

/// Prints one line per builder found on stdout: name, newest version,
/// platforms, summary (or a JSON array with `--format json`).
pub(crate) fn execute(
    args: &SearchArgs,
    global: &GlobalArgs,
    printer: &Printer,
) -> Result<(), CliError> {
    let started = Instant::now();
    let options: IndexOptions = args.index.options(global)?;
    let outcome =
        search::search(&args.query.join(" "), &options).map_err(staves_core::ops::Error::from)?;
    match args.index.format {
        OutputFormat::Json => {
            let items: Vec<serde_json::Value> = outcome
                .found
                .iter()
                .map(|f| {
                    serde_json::json!({
                        "name": f.name,
                        "version": f.latest.to_string(),
                        "platforms": f.platforms,
                        "summary": f.summary,
                        "versions": f.versions,
                    })
                })
                .collect();
            printer.out_line(serde_json::Value::Array(items));
        }
        OutputFormat::Text => {
            let width = outcome
                .found
                .iter()
                .map(|f| f.name.len())
                .max()
                .unwrap_or(0);
            for f in &outcome.found {
                let version = f.latest.to_string();
                let summary = f
                    .summary
                    .as_deref()
                    .map(|s| format!("  # {s}"))
                    .unwrap_or_default();
                printer.out_line(format!(
                    "{:width$}  {version:8}  {}{summary}",
                    f.name,
                    f.platforms.join(",")
                ));
            }
        }
    }
    printer.summary(
        "Found",
        format!(
            "{} ({})",
            plural(outcome.found.len(), "builder"),
            outcome.index
        ),
        started.elapsed(),
    );
    Ok(())
}
