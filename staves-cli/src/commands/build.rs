//! `staves build`.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use staves_core::builder::{Interrupt, PullEvent};
use staves_core::ops::Reporter;
use staves_core::ops::build::{self, BuildOptions, BuildReporter, OutputTarget};

use super::print_changes;
use crate::cli::GlobalArgs;
use crate::context;
use crate::error::CliError;
use crate::printer::{Printer, Verbosity, plural};

/// Arguments of `staves build`.
#[derive(Debug, Args)]
pub(crate) struct BuildArgs {
    /// The image tag (default: `version` from staves.toml, else `latest`).
    #[arg(value_name = "TAG")]
    tag: Option<String>,
    /// Load the image into the Docker engine (the default without --output or --push).
    #[arg(long)]
    load: bool,
    /// Also write the image: `oci:DIR` (OCI layout) or `docker-archive:FILE`; repeatable.
    #[arg(long, value_name = "TARGET")]
    output: Vec<String>,
    /// Push the image to a registry, e.g. `ghcr.io/me/app[:tag]` (default tag: TAG).
    #[arg(long, value_name = "REF")]
    push: Option<String>,
    /// The builder image (overrides [builder] in staves.toml).
    #[arg(long, value_name = "REF", env = "STAVES_BUILDER_IMAGE")]
    builder_image: Option<String>,
    /// How many packages emerge builds in parallel.
    #[arg(short, long, value_name = "N")]
    jobs: Option<u32>,
    /// Run the builder even when an identical build is cached (binary packages are still used).
    #[arg(long)]
    force: bool,
    /// Where post-build plugins write their artifacts, one directory per plugin
    /// (default: target/staves/artifacts/NAME next to staves.toml).
    #[arg(long, value_name = "DIR")]
    artifacts: Option<std::path::PathBuf>,
}

/// Bytes done and in total of each layer of a pull, by layer id.
type LayerBytes = BTreeMap<String, (u64, u64)>;

/// Progress of a build: status lines, a package progress bar, raw logs with -v.
pub(crate) struct CliReporter<'a> {
    printer: &'a Printer,
    bar: RefCell<Option<ProgressBar>>,
    pulling: RefCell<bool>,
    /// The builder pull: a bar over the bytes of every layer, and each
    /// layer's `(current, total)`.
    pull: RefCell<Option<(ProgressBar, LayerBytes)>>,
    /// How many post-build plugins ran (not answered from the cache).
    plugins_ran: Cell<usize>,
}

impl<'a> CliReporter<'a> {
    /// A reporter printing through `printer` (also used by `staves publish`).
    pub(crate) fn new(printer: &'a Printer) -> Self {
        Self {
            printer,
            bar: RefCell::new(None),
            pulling: RefCell::new(false),
            pull: RefCell::new(None),
            plugins_ran: Cell::new(0),
        }
    }
}

impl CliReporter<'_> {
    fn with_bar_hidden(&self, f: impl FnOnce()) {
        match self.bar.borrow().as_ref() {
            Some(bar) => bar.suspend(f),
            None => f(),
        }
    }
}

impl Reporter for CliReporter<'_> {
    fn fetching(&self, repository: &str, source: &str) {
        self.printer
            .verbose(format!("repository {repository}: {source}"));
    }
}

impl BuildReporter for CliReporter<'_> {
    fn status(&self, verb: &str, message: &str) {
        if let Some((bar, _)) = self.pull.borrow_mut().take() {
            bar.finish_and_clear();
        }
        self.with_bar_hidden(|| self.printer.status(verb, message));
    }

    fn emerge_start(&self, merges: usize) {
        let bar =
            ProgressBar::with_draw_target(Some(merges as u64), self.printer.progress_target());
        bar.set_style(
            ProgressStyle::with_template(
                "{prefix:>12.cyan.bold} [{bar:25}] {pos}/{len} {wide_msg} {elapsed}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        bar.set_prefix("Building");
        bar.enable_steady_tick(Duration::from_millis(200));
        *self.bar.borrow_mut() = Some(bar);
    }

    fn emerging(&self, index: usize, total: usize, package: &str, binary: bool) {
        let from = if binary { " (binary package)" } else { "" };
        if let Some(bar) = self.bar.borrow().as_ref() {
            bar.set_length(total as u64);
            bar.set_position(index.saturating_sub(1) as u64);
            bar.set_message(format!("{package}{from}"));
        }
        if self.printer.verbosity() < Verbosity::Verbose {
            self.printer
                .verbose(format!("({index} of {total}) {package}{from}"));
        }
    }

    fn log_line(&self, line: &str) {
        if self.printer.verbosity() >= Verbosity::Verbose {
            self.with_bar_hidden(|| self.printer.err_line(line));
        }
    }

    fn emerge_end(&self) {
        if let Some(bar) = self.bar.borrow_mut().take() {
            bar.finish_and_clear();
        }
    }

    fn plugin(&self, name: &str) {
        self.plugins_ran.set(self.plugins_ran.get() + 1);
        self.with_bar_hidden(|| self.printer.status("Running", format!("plugin {name}")));
    }

    fn plugin_message(&self, plugin: &str, level: &str, text: &str) {
        if level == "warning" {
            self.printer.warn(format!("plugin {plugin}: {text}"));
        } else {
            self.printer.verbose(format!("plugin {plugin}: {text}"));
        }
    }

    fn pull(&self, event: &PullEvent<'_>) {
        if !self.pulling.replace(true) {
            self.printer.status("Pulling", "the builder image");
        }
        let mut pull = self.pull.borrow_mut();
        let (bar, layers) = pull.get_or_insert_with(|| {
            let bar = ProgressBar::with_draw_target(Some(0), self.printer.progress_target());
            bar.set_style(
                ProgressStyle::with_template(
                    "{prefix:>12.cyan.bold} [{bar:25}] {bytes}/{total_bytes} {wide_msg} {elapsed}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            bar.set_prefix("Pulling");
            (bar, BTreeMap::new())
        });
        let Some(layer) = event.layer else {
            // "Digest: …", "Status: Downloaded newer image …": the end.
            if event.status.starts_with("Status:") {
                bar.finish_and_clear();
            }
            return;
        };
        let entry = layers.entry(layer.to_owned()).or_default();
        match (event.current, event.total) {
            (Some(current), Some(total)) if event.status == "Downloading" => {
                *entry = (current, total);
            }
            // "Download complete", "Pull complete", "Already exists".
            _ if event.status.contains("complete") || event.status == "Already exists" => {
                entry.0 = entry.1;
            }
            _ => {}
        }
        bar.set_length(layers.values().map(|l| l.1).sum());
        bar.set_position(layers.values().map(|l| l.0).sum());
        bar.set_message(format!("{} layer(s)", layers.len()));
        self.printer.verbose(format!("{layer}: {}", event.status));
    }
}

/// Builds the image and prints its digest on stdout.
pub(crate) fn execute(
    args: &BuildArgs,
    global: &GlobalArgs,
    printer: &Printer,
) -> Result<(), CliError> {
    let started = Instant::now();
    let ctx = context::project(global)?;
    let outputs = args
        .output
        .iter()
        .map(|o| o.parse::<OutputTarget>())
        .collect::<Result<Vec<_>, _>>()?;
    let interrupt = Interrupt::install_signal_handlers()
        .map_err(|e| CliError::msg(format!("cannot install the Ctrl-C handler: {e}")))?;
    let options = BuildOptions {
        tag: args.tag.clone(),
        load: args.load,
        outputs,
        push: args.push.clone(),
        builder_image: args.builder_image.clone(),
        jobs: args.jobs,
        force: args.force,
        verbose: printer.verbosity() >= Verbosity::Verbose,
        source_date_epoch: std::env::var("SOURCE_DATE_EPOCH").ok(),
        interrupt,
        artifacts_dir: args.artifacts.clone(),
        builder_chain: Vec::new(),
    };
    let reporter = CliReporter::new(printer);
    let outcome = build::build(&ctx, &options, &reporter)?;
    print_changes(printer, &outcome.lock);
    if outcome.lock.written {
        printer.status("Locked", ctx.lock_path().display());
    }
    printer.verbose(format!(
        "builder {} ({})",
        outcome.builder.0, outcome.builder.1
    ));
    let plugins_ran = reporter.plugins_ran.get();
    if outcome.reused && plugins_ran > 0 {
        printer.status(
            "Fresh",
            format!(
                "cached root filesystem, {} run again",
                plural(plugins_ran, "plugin")
            ),
        );
    } else if outcome.reused {
        printer.status(
            "Fresh",
            "nothing changed since the last build (cached root filesystem)",
        );
    } else {
        printer.status(
            "Built",
            format!(
                "{} with {}",
                outcome.reference.familiar(),
                plural(outcome.merges, "merge")
            ),
        );
    }
    for target in &outcome.delivered.written {
        let what = match target {
            OutputTarget::Oci(dir) => format!("oci:{}", dir.display()),
            OutputTarget::DockerArchive(file) => format!("docker-archive:{}", file.display()),
        };
        printer.status("Wrote", what);
    }
    if let Some((reference, report)) = &outcome.delivered.pushed {
        printer.status(
            "Pushed",
            format!(
                "{reference} ({} uploaded, {} already there)",
                plural(report.uploaded.len(), "blob"),
                report.skipped.len()
            ),
        );
    }
    for artifact in &outcome.artifacts {
        printer.status(
            "Artifact",
            format!(
                "{} ({}, {})",
                artifact.path.display(),
                artifact.plugin,
                artifact.media_type
            ),
        );
    }
    if let Some(name) = &outcome.delivered.loaded {
        let how = if outcome.delivered.already_loaded {
            "already loaded"
        } else {
            "loaded into the engine"
        };
        printer.status("Loaded", format!("{name} ({how})"));
    }
    printer.summary(
        "Finished",
        format!(
            "image {} (id {}, layer {} KiB)",
            outcome.reference.familiar(),
            outcome.image_id,
            outcome.layer_size.div_ceil(1024)
        ),
        started.elapsed(),
    );
    printer.out_line(&outcome.digest);
    Ok(())
}
