//! Ctrl-C handling for engine calls.
//!
//! The driver never leaves containers behind on purpose: every [`Container`]
//! is removed when it is dropped, and long waits (logs, container exit, image
//! pull, archive download) poll an [`Interrupt`] flag every 100 ms. When the
//! flag is set the wait stops, the container is force-removed and the call
//! returns [`BuilderError::Interrupted`]; the caller then unwinds normally.
//!
//! A binary wires it up once at start:
//!
//! ```no_run
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use staves_core::builder::{Engine, Interrupt};
//! let interrupt = Interrupt::install_signal_handlers()?; // SIGINT + SIGTERM
//! let engine = Engine::connect()?.with_interrupt(interrupt);
//! # Ok(()) }
//! ```
//!
//! The first signal only sets the flag; a second one exits the process at once
//! (status 130), leaving any container for [`Engine::remove_leftovers`] at the
//! next start (containers carry the label [`BUILD_LABEL`]).
//!
//! [`Container`]: super::Container
//! [`BuilderError::Interrupted`]: super::BuilderError::Interrupted
//! [`Engine::remove_leftovers`]: super::Engine::remove_leftovers
//! [`BUILD_LABEL`]: super::BUILD_LABEL

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// A shared "stop now" flag, set by signal handlers or by the caller.
#[derive(Debug, Clone, Default)]
pub struct Interrupt(Arc<AtomicBool>);

impl Interrupt {
    /// A flag that is not set and has no signal handler attached.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers SIGINT and SIGTERM handlers that set the returned flag; a
    /// second signal while the flag is set terminates the process with status 130.
    pub fn install_signal_handlers() -> std::io::Result<Self> {
        let flag = Arc::new(AtomicBool::new(false));
        for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
            // Order matters: the conditional exit must see the flag before this
            // signal sets it, so only a second signal exits.
            signal_hook::flag::register_conditional_shutdown(signal, 130, Arc::clone(&flag))?;
            signal_hook::flag::register(signal, Arc::clone(&flag))?;
        }
        Ok(Self(flag))
    }

    /// Sets the flag (what the signal handler does).
    pub fn trigger(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Whether the flag is set.
    pub fn is_set(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}
