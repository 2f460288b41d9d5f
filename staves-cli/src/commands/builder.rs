//! `staves builder list [--index LOC]`, and the index options `search`
//! shares.

use std::time::Instant;

use clap::{Args, Subcommand, ValueEnum};
use staves_core::ops::builder_list::{self, IndexOptions};

use crate::cli::GlobalArgs;
use crate::context;
use crate::error::CliError;
use crate::printer::{Printer, plural};

/// How results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum OutputFormat {
    /// Aligned columns for people.
    Text,
    /// One JSON document.
    Json,
}

/// Which index to read, and how to print.
#[derive(Debug, Args)]
pub(crate) struct IndexArgs {
    /// The index: `dir+PATH`, `git+URL[#branch]` or `sparse+https://…` (default:
    /// STAVES_INDEX, else the index that ships with staves).
    #[arg(long, value_name = "LOC")]
    pub(crate) index: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text, value_name = "FORMAT")]
    pub(crate) format: OutputFormat,
}

impl IndexArgs {
    /// The library's options for these arguments.
    pub(crate) fn options(&self, global: &GlobalArgs) -> Result<IndexOptions, CliError> {
        Ok(IndexOptions {
            index: self.index.clone(),
            cache_dir: context::cache_dir()?,
            offline: global.offline || global.frozen,
        })
    }
}

/// Arguments of `staves builder`.
#[derive(Debug, Args)]
pub(crate) struct BuilderArgs {
    /// What to do.
    #[command(subcommand)]
    command: BuilderCommand,
}

/// `staves builder` subcommands.
#[derive(Debug, Subcommand)]
enum BuilderCommand {
    /// List every builder of the index and every version (yanked ones marked).
    List {
        /// The index to read.
        #[command(flatten)]
        index: IndexArgs,
    },
}

/// Runs `staves builder list`: one line per version on stdout (name,
/// version, platforms, arch, libc, profile, `(yanked)`), or JSON.
pub(crate) fn execute(
    args: &BuilderArgs,
    global: &GlobalArgs,
    printer: &Printer,
) -> Result<(), CliError> {
    let started = Instant::now();
    let BuilderCommand::List { index } = &args.command;
    let outcome =
        builder_list::list(&index.options(global)?).map_err(staves_core::ops::Error::from)?;
    match index.format {
        OutputFormat::Json => {
            let items: Vec<serde_json::Value> = outcome
                .builders
                .iter()
                .map(|b| {
                    let versions: Vec<serde_json::Value> = b
                        .versions
                        .iter()
                        .map(|v| {
                            serde_json::json!({
                                "version": v.version.to_string(),
                                "yanked": v.yanked,
                                "platforms": v.platforms,
                                "arch": v.arch,
                                "libc": v.libc,
                                "profile": v.profile,
                            })
                        })
                        .collect();
                    serde_json::json!({ "name": b.name, "summary": b.summary, "versions": versions })
                })
                .collect();
            printer.out_line(serde_json::Value::Array(items));
        }
        OutputFormat::Text => {
            let width = outcome
                .builders
                .iter()
                .map(|b| b.name.len())
                .max()
                .unwrap_or(0);
            for b in &outcome.builders {
                for v in &b.versions {
                    let yanked = if v.yanked { "  (yanked)" } else { "" };
                    printer.out_line(format!(
                        "{:width$}  {:8}  {}  {} {} {}{yanked}",
                        b.name,
                        v.version.to_string(),
                        v.platforms.join(","),
                        v.arch,
                        v.libc,
                        v.profile
                    ));
                }
            }
        }
    }
    let versions: usize = outcome.builders.iter().map(|b| b.versions.len()).sum();
    printer.summary(
        "Listed",
        format!(
            "{}, {} ({})",
            plural(outcome.builders.len(), "builder"),
            plural(versions, "version"),
            outcome.index
        ),
        started.elapsed(),
    );
    Ok(())
}
