//! `staves cache prune`.

use std::time::Instant;

use clap::{Args, Subcommand};
use staves_core::manifest::BuilderSource;
use staves_core::ops::build::{self, PruneOptions};

use crate::cli::GlobalArgs;
use crate::context;
use crate::error::CliError;
use crate::printer::Printer;

/// Arguments of `staves cache`.
#[derive(Debug, Args)]
pub(crate) struct CacheArgs {
    /// What to do with the cache.
    #[command(subcommand)]
    command: CacheCommand,
}

/// `staves cache` subcommands.
#[derive(Debug, Subcommand)]
enum CacheCommand {
    /// Remove build caches: binary packages of builders no longer used (the
    /// current project's builder is kept unless --all), repository exports,
    /// cached root filesystems and image blobs.
    Prune {
        /// Remove the current builder's binary packages too.
        #[arg(long)]
        all: bool,
        /// The current builder image (default: the project's [builder] image).
        #[arg(long, value_name = "REF", env = "STAVES_BUILDER_IMAGE")]
        builder_image: Option<String>,
    },
}

/// Runs `staves cache prune`.
pub(crate) fn execute(
    args: &CacheArgs,
    global: &GlobalArgs,
    printer: &Printer,
) -> Result<(), CliError> {
    let started = Instant::now();
    let CacheCommand::Prune { all, builder_image } = &args.command;
    // The project's builder, when run inside a project.
    let from_manifest = context::project(global)
        .ok()
        .and_then(|ctx| staves_core::manifest::Manifest::load(&ctx.manifest_path).ok())
        .and_then(|m| match m.builder.as_ref().and_then(|b| b.source()) {
            Some(BuilderSource::Image(image)) => Some(image.to_owned()),
            _ => None,
        });
    let options = PruneOptions {
        cache_dir: context::cache_dir()?,
        all: *all,
        current_builder: builder_image.clone().or(from_manifest),
    };
    let outcome = build::prune_cache(&options)?;
    for path in &outcome.removed {
        printer.verbose(format!("removed {}", path.display()));
    }
    printer.summary(
        "Removed",
        format!(
            "{}, {:.1} MB freed",
            if outcome.removed.len() == 1 {
                "1 cache entry".to_owned()
            } else {
                format!("{} cache entries", outcome.removed.len())
            },
            outcome.freed_bytes as f64 / 1e6
        ),
        started.elapsed(),
    );
    Ok(())
}
