//! The builder driver: runs Portage inside containers of a Docker-compatible
//! engine (Docker, or Podman's Docker API) through `bollard`.
//!
//! The API is synchronous: [`Engine`] owns a private current-thread tokio
//! runtime, so nothing else in staves-core needs async. Progress and build
//! output leave through the [`PullReporter`] and [`LogSink`] traits; nothing
//! here prints.
//!
//! A build typically looks like this:
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use staves_core::builder::{ContainerSpec, Engine, Interrupt, LogStream, NoPullProgress};
//! let engine = Engine::connect()?.with_interrupt(Interrupt::install_signal_handlers()?);
//! engine.remove_leftovers(staves_core::builder::BUILD_LABEL)?; // an earlier run's containers
//! engine.ensure_image("staves-test/builder:0123", None, &mut NoPullProgress)?;
//! let spec = ContainerSpec::new("staves-test/builder:0123", "build-1")
//!     .bind_ro("/home/me/repos/gentoo", "/var/db/repos/gentoo")
//!     .bind_ro("/tmp/cfg/etc/portage", "/staves/cfg/etc/portage")
//!     // Portage configures the builder's own "/" (BDEPEND) from /etc/portage
//!     // whenever ROOT != "/"; without a profile there every emerge fails.
//!     .bind_ro("/tmp/cfg/etc/portage", "/etc/portage")
//!     .bind_rw("/home/me/.cache/staves/binpkgs", "/var/cache/binpkgs")
//!     .cmd(["emerge", "--root=/staves/root", "--sysroot=/staves/root", "--config-root=/staves/cfg",
//!           "--oneshot", "--buildpkg", "=app-misc/hello-1.0::gentoo"]);
//! let mut container = engine.create(&spec)?;
//! let outcome = container.start_and_wait(&mut |_s: LogStream, line: &str| { let _ = line; })?;
//! if outcome.success() {
//!     let tar = container.copy_out("/staves/root")?; // impl Read: a tar stream
//!     # drop(tar);
//! }
//! container.remove()?; // also happens on drop, on every error path and on Ctrl-C
//! # Ok(()) }
//! ```

mod archive;
mod container;
mod engine;
mod error;
mod export;
mod interrupt;
mod logs;
mod plan;
pub mod portage_config;
mod spec;

pub use archive::ArchiveReader;
pub use container::{Container, RunOutcome};
pub use engine::{Engine, EngineInfo, ImageInfo, RegistryAuth};
pub use error::BuilderError;
pub use interrupt::Interrupt;
pub use logs::{CollectLines, LogSink, LogStream, NoPullProgress, PullEvent, PullReporter};
pub use plan::{
    EmergeEvent, Mismatch, PlannedMerge, compare as compare_plan, download_kib, emerge_event,
    parse_plan,
};
pub use spec::{BUILD_LABEL, ContainerSpec, Mount, Network};
