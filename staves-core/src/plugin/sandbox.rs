//! The sandbox of one run: WASI context, limits and failure classification.

use std::convert::Infallible;
use std::path::Path;
use std::time::Duration;

use sha2::{Digest, Sha256};
use wasmtime::{ResourceLimiter, Trap};
use wasmtime_wasi::p1::WasiP1Ctx;
use wasmtime_wasi::p2::pipe::{MemoryInputPipe, MemoryOutputPipe};
use wasmtime_wasi::{FsPerms, HostMonotonicClock, HostWallClock, I32Exit, WasiCtxBuilder};

use super::{Limits, PluginError};

/// The store data of a run.
pub(super) struct State {
    pub(super) wasi: WasiP1Ctx,
    pub(super) limiter: MemoryLimiter,
}

/// Caps linear memory and remembers whether the cap was hit, so the trap
/// can be named.
pub(super) struct MemoryLimiter {
    limit: u64,
    pub(super) hit: bool,
}

impl ResourceLimiter for MemoryLimiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        if desired as u64 > self.limit {
            self.hit = true;
            return Err(wasmtime::Error::msg("memory limit reached"));
        }
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 1 << 20)
    }
}

/// The wall clock, frozen at `SOURCE_DATE_EPOCH`.
struct FrozenWallClock(Duration);

impl HostWallClock for FrozenWallClock {
    fn resolution(&self) -> Duration {
        Duration::from_secs(1)
    }
    fn now(&self) -> Duration {
        self.0
    }
}

/// The monotonic clock, frozen at 0.
struct FrozenMonotonicClock;

impl HostMonotonicClock for FrozenMonotonicClock {
    fn resolution(&self) -> u64 {
        1
    }
    fn now(&self) -> u64 {
        0
    }
}

/// A deterministic random stream: SHA-256 of a seed and a block counter.
struct SeededRandom {
    seed: [u8; 32],
    counter: u64,
    block: [u8; 32],
    used: usize,
}

impl SeededRandom {
    fn new(seed: [u8; 32]) -> SeededRandom {
        SeededRandom {
            seed,
            counter: 0,
            block: [0; 32],
            used: 32,
        }
    }

    fn byte(&mut self) -> u8 {
        if self.used == self.block.len() {
            let mut hasher = Sha256::new();
            hasher.update(self.seed);
            hasher.update(self.counter.to_le_bytes());
            self.block.copy_from_slice(&hasher.finalize());
            self.counter += 1;
            self.used = 0;
        }
        self.used += 1;
        self.block[self.used - 1]
    }
}

impl rand_core::TryRng for SeededRandom {
    type Error = Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        let mut bytes = [0; 4];
        self.try_fill_bytes(&mut bytes)?;
        Ok(u32::from_le_bytes(bytes))
    }
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let mut bytes = [0; 8];
        self.try_fill_bytes(&mut bytes)?;
        Ok(u64::from_le_bytes(bytes))
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), Infallible> {
        for b in dest {
            *b = self.byte();
        }
        Ok(())
    }
}

/// The pipes a run writes to.
pub(super) struct Pipes {
    pub(super) stdout: MemoryOutputPipe,
    pub(super) stderr: MemoryOutputPipe,
}

/// Builds the store state: stdin holds `request`; `/rootfs` and `/out` are
/// the only preopens; no inherited environment, arguments or network.
pub(super) fn state(
    name: &str,
    rootfs: &Path,
    out_dir: &Path,
    request: Vec<u8>,
    seed: [u8; 32],
    source_date_epoch: u64,
    limits: &Limits,
) -> Result<(State, Pipes), PluginError> {
    let stdout = MemoryOutputPipe::new(limits.stdout_bytes);
    let stderr = MemoryOutputPipe::new(limits.stderr_bytes);
    let mut builder = WasiCtxBuilder::new();
    let mut insecure_seed = [0u8; 16];
    insecure_seed.copy_from_slice(&Sha256::digest(seed)[..16]);
    builder
        .stdin(MemoryInputPipe::new(request))
        .stdout(stdout.clone())
        .stderr(stderr.clone())
        .args(&[name])
        .env(
            "STAVES_PLUGIN_API",
            staves_plugin_api::API_VERSION.to_string(),
        )
        .allow_blocking_current_thread(true)
        .wall_clock(FrozenWallClock(Duration::from_secs(source_date_epoch)))
        .monotonic_clock(FrozenMonotonicClock)
        .secure_random(SeededRandom::new(seed))
        .insecure_random(SeededRandom::new(Sha256::digest(seed).into()))
        .insecure_random_seed(u128::from_le_bytes(insecure_seed));
    for (host, guest) in [(rootfs, "/rootfs"), (out_dir, "/out")] {
        builder
            .preopened_dir(host, guest, FsPerms::ReadWrite)
            .map_err(|e| PluginError::Load {
                name: name.to_owned(),
                message: format!("cannot open {} as {guest}: {e:#}", host.display()),
            })?;
    }
    let state = State {
        wasi: builder.build_p1(),
        limiter: MemoryLimiter {
            limit: limits.memory_bytes,
            hit: false,
        },
    };
    Ok((state, Pipes { stdout, stderr }))
}

/// The exit status of a finished run, or why it was stopped.
pub(super) fn exit_status(
    name: &str,
    result: wasmtime::Result<()>,
    memory_hit: bool,
    limits: &Limits,
    stderr: &str,
) -> Result<i32, PluginError> {
    let error = match result {
        Ok(()) => return Ok(0),
        Err(e) => e,
    };
    if let Some(exit) = error.downcast_ref::<I32Exit>() {
        return Ok(exit.0);
    }
    let reason = if memory_hit {
        format!(
            "memory limit of {} MiB reached; raise `limits.memory` if the plugin needs more",
            limits.memory_bytes >> 20
        )
    } else {
        match error.downcast_ref::<Trap>() {
            Some(Trap::OutOfFuel) => format!(
                "CPU budget of {} fuel exhausted (an endless loop?); raise `limits.fuel` if the plugin needs more",
                limits.fuel
            ),
            Some(Trap::Interrupt) => format!(
                "wall-clock limit of {:?} reached; raise `limits.timeout` if the plugin needs more",
                limits.timeout
            ),
            _ => {
                let text = format!("{error:?}");
                if text.contains("beyond capacity") {
                    return Err(output_too_large(name, limits, stderr));
                }
                format!("it trapped: {text}")
            }
        }
    };
    Err(PluginError::Stopped {
        name: name.to_owned(),
        reason,
        stderr: stderr.to_owned(),
    })
}

/// The error for output past a pipe's capacity.
pub(super) fn output_too_large(name: &str, limits: &Limits, stderr: &str) -> PluginError {
    PluginError::Stopped {
        name: name.to_owned(),
        reason: format!(
            "output too large (stdout is limited to {} bytes, stderr to {} bytes)",
            limits.stdout_bytes, limits.stderr_bytes
        ),
        stderr: stderr.to_owned(),
    }
}
