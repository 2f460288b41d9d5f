//! The command-line interface (clap derive); doc comments are the help text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::commands;
use crate::printer::ColorChoice;

/// Build small, reproducible container images from Gentoo ebuilds.
#[derive(Debug, Parser)]
#[command(name = "staves", version, about, max_term_width = 100)]
pub(crate) struct Cli {
    /// Options every command takes.
    #[command(flatten)]
    pub(crate) global: GlobalArgs,
    /// The command to run.
    #[command(subcommand)]
    pub(crate) command: Command,
}

/// Options every command takes.
#[derive(Debug, Args)]
pub(crate) struct GlobalArgs {
    /// Path to staves.toml (default: the nearest one in this directory or its parents).
    #[arg(long, global = true, value_name = "PATH")]
    pub(crate) manifest_path: Option<PathBuf>,
    /// Fail if staves.lock is missing or would change.
    #[arg(long, global = true)]
    pub(crate) locked: bool,
    /// Use only repositories already in the cache; never touch the network.
    #[arg(long, global = true)]
    pub(crate) offline: bool,
    /// Both --locked and --offline.
    #[arg(long, global = true)]
    pub(crate) frozen: bool,
    /// Print only errors and machine-readable output.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub(crate) quiet: bool,
    /// Print more detail (raw logs, every step).
    #[arg(short, long, global = true)]
    pub(crate) verbose: bool,
    /// When to use colours.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto, value_name = "WHEN")]
    pub(crate) color: ColorChoice,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Create a new staves.toml.
    Init(commands::init::InitArgs),
    /// Add packages to staves.toml and relock.
    Add(commands::add::AddArgs),
    /// Remove packages from staves.toml and relock.
    Remove(commands::remove::RemoveArgs),
    /// Resolve the manifest and write staves.lock.
    Lock(commands::lock::LockArgs),
    /// Move repositories to their newest commits and relock.
    Update(commands::update::UpdateArgs),
    /// Show the resolved packages and why each one is there.
    Tree(commands::tree::TreeArgs),
    /// Build the image in a builder container and load, write or push it.
    Build(commands::build::BuildArgs),
    /// Manage the build caches.
    Cache(commands::cache::CacheArgs),
    /// Search a builder index for builders.
    Search(commands::search::SearchArgs),
    /// Builders in a registry index.
    Builder(commands::builder::BuilderArgs),
    /// Build a builder project, check it, push it and add it to a registry index.
    Publish(commands::publish::PublishArgs),
    /// Mark a published builder version as yanked (new locks skip it), or undo that.
    Yank(commands::yank::YankArgs),
}
