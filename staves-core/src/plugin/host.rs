//! The plugin host: one engine, a compile cache and a run per plugin.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use staves_plugin_api::{Hook, Level, Paths, PluginInfo, Request, Response};
use wasmtime::{Config, Engine, ExternType, InstancePre, Linker, Module, Store};

use super::sandbox::{self, State};
use super::{Limits, PluginError, PluginOutcome, PluginRequest, answer, build_index, fileops};

/// How often the epoch ticker advances; the granularity of `Limits::timeout`.
const TICK: Duration = Duration::from_millis(10);

/// One plugin to run.
#[derive(Debug, Clone, PartialEq)]
pub struct PluginSpec {
    /// Its name in `staves.toml` (for messages and `argv[0]`).
    pub name: String,
    /// The `.wasm` file.
    pub wasm_path: PathBuf,
    /// The SHA-256 the lock pins (64 hex digits); a file with another hash
    /// is refused.
    pub sha256: String,
    /// The plugin's `config` table as JSON (an object).
    pub config: serde_json::Value,
    /// Its limits.
    pub limits: Limits,
}

/// Runs plugins. Create one per build: it owns the wasmtime engine, the
/// epoch ticker thread (stopped on drop) and the compiled modules.
pub struct PluginHost {
    engine: Engine,
    linker: Linker<State>,
    cache_dir: PathBuf,
    loaded: Mutex<HashMap<String, InstancePre<State>>>,
    stop: Arc<AtomicBool>,
    ticker: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for PluginHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PluginHost")
            .field("cache_dir", &self.cache_dir)
            .finish_non_exhaustive()
    }
}

fn engine_error(message: String) -> PluginError {
    PluginError::Load {
        name: "(host)".into(),
        message,
    }
}

impl PluginHost {
    /// A host caching compiled modules under `<cache_dir>/plugins/`
    /// (created with mode 0700 on first use).
    pub fn new(cache_dir: &Path) -> Result<PluginHost, PluginError> {
        let mut config = Config::new();
        config.consume_fuel(true).epoch_interruption(true);
        let engine = Engine::new(&config)
            .map_err(|e| engine_error(format!("cannot create the WebAssembly engine: {e:#}")))?;
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p1::add_to_linker_sync(&mut linker, |s: &mut State| &mut s.wasi)
            .map_err(|e| engine_error(format!("cannot link WASI: {e:#}")))?;
        let stop = Arc::new(AtomicBool::new(false));
        let ticker = {
            let engine = engine.clone();
            let stop = stop.clone();
            std::thread::Builder::new()
                .name("staves-plugin-epoch".into())
                .spawn(move || {
                    // Parked rather than slept, so that dropping the host
                    // (which unparks it) does not wait for a tick.
                    while !stop.load(Ordering::Relaxed) {
                        std::thread::park_timeout(TICK);
                        engine.increment_epoch();
                    }
                })
                .map_err(|e| engine_error(format!("cannot start the timer thread: {e}")))?
        };
        Ok(PluginHost {
            engine,
            linker,
            cache_dir: cache_dir.join("plugins"),
            loaded: Mutex::new(HashMap::new()),
            stop,
            ticker: Some(ticker),
        })
    }

    /// Compiles (or loads from the cache) the plugin without running it,
    /// checking its hash and that it is an API 1 plugin. Returns whether
    /// the compiled code came from the cache (or from this host's memory).
    pub fn prepare(&self, plugin: &PluginSpec) -> Result<bool, PluginError> {
        self.load(plugin).map(|(_, cached)| cached)
    }

    fn load(&self, plugin: &PluginSpec) -> Result<(InstancePre<State>, bool), PluginError> {
        let name = &plugin.name;
        let bytes = fs_err::read(&plugin.wasm_path).map_err(|source| PluginError::Read {
            name: name.clone(),
            path: plugin.wasm_path.clone(),
            source,
        })?;
        let actual = hex::encode(Sha256::digest(&bytes));
        if !actual.eq_ignore_ascii_case(&plugin.sha256) {
            return Err(PluginError::Changed {
                name: name.clone(),
                path: plugin.wasm_path.clone(),
                expected: plugin.sha256.clone(),
                actual,
            });
        }
        if let Some(pre) = self.loaded.lock().map_err(|_| poisoned(name))?.get(&actual) {
            return Ok((pre.clone(), true));
        }
        check_header(&bytes).map_err(|message| PluginError::NotAPlugin {
            name: name.clone(),
            message,
        })?;
        let (module, source) = staves_plugin_module_cache::load_or_compile(
            &self.engine,
            &self.cache_dir,
            &actual,
            &bytes,
        )
        .map_err(|e| PluginError::Load {
            name: name.clone(),
            message: e.to_string(),
        })?;
        check_module(&module).map_err(|message| PluginError::NotAPlugin {
            name: name.clone(),
            message,
        })?;
        let pre = self
            .linker
            .instantiate_pre(&module)
            .map_err(|e| PluginError::Load {
                name: name.clone(),
                message: format!("{e:#}"),
            })?;
        self.loaded
            .lock()
            .map_err(|_| poisoned(name))?
            .insert(actual, pre.clone());
        Ok((pre, source == staves_plugin_module_cache::Source::Cache))
    }

    /// Runs `plugin` on `rootfs` with artifacts going to `out_dir` (both
    /// must exist), then checks its answer and applies its file operations.
    pub fn run(
        &self,
        plugin: &PluginSpec,
        rootfs: &Path,
        out_dir: &Path,
        request: &PluginRequest,
    ) -> Result<PluginOutcome, PluginError> {
        let started = Instant::now();
        let name = &plugin.name;
        let (pre, from_cache) = self.load(plugin)?;
        let io = |action: String| {
            let name = name.clone();
            move |source| PluginError::Io {
                name,
                action,
                source,
            }
        };
        let index = build_index(rootfs).map_err(io(format!("indexing {}", rootfs.display())))?;
        let full = Request {
            api_version: staves_plugin_api::API_VERSION,
            hook: Hook::PostBuild,
            plugin: PluginInfo {
                name: name.clone(),
                sha256: plugin.sha256.to_ascii_lowercase(),
            },
            paths: Paths {
                rootfs: "/rootfs".into(),
                out: "/out".into(),
            },
            image: request.image.clone(),
            packages: request.packages.clone(),
            index,
            config: plugin.config.clone(),
            build: request.build.clone(),
        };
        let json = serde_json::to_vec(&full).map_err(|e| PluginError::Load {
            name: name.clone(),
            message: format!("cannot encode the request: {e}"),
        })?;
        let seed: [u8; 32] = Sha256::new()
            .chain_update(plugin.sha256.as_bytes())
            .chain_update(&json)
            .finalize()
            .into();
        let limits = &plugin.limits;
        let (state, pipes) = sandbox::state(
            name,
            rootfs,
            out_dir,
            json,
            seed,
            request.build.source_date_epoch,
            limits,
        )?;
        let mut store = Store::new(&self.engine, state);
        store.limiter(|s| &mut s.limiter);
        store.set_fuel(limits.fuel).map_err(|e| PluginError::Load {
            name: name.clone(),
            message: format!("{e:#}"),
        })?;
        let ticks = limits.timeout.as_millis().div_ceil(TICK.as_millis()).max(1);
        store.set_epoch_deadline(u64::try_from(ticks).unwrap_or(u64::MAX));
        store.epoch_deadline_trap();
        let result = pre.instantiate(&mut store).and_then(|instance| {
            instance
                .get_typed_func::<(), ()>(&mut store, "_start")?
                .call(&mut store, ())
        });
        let fuel_used = limits.fuel.saturating_sub(store.get_fuel().unwrap_or(0));
        let memory_hit = store.data().limiter.hit;
        drop(store);
        let stderr_bytes = pipes.stderr.contents();
        let stderr = String::from_utf8_lossy(&stderr_bytes).into_owned();
        let status = sandbox::exit_status(name, result, memory_hit, limits, &stderr)?;
        let stdout = pipes.stdout.contents();
        // A write past a pipe's capacity fails in the guest (EIO) rather
        // than trapping; a full pipe means the output was cut.
        if stdout.len() >= limits.stdout_bytes || stderr_bytes.len() >= limits.stderr_bytes {
            return Err(sandbox::output_too_large(name, limits, &stderr));
        }
        let parsed: Result<Response, String> =
            serde_json::from_slice(&stdout).map_err(|e| describe_bad_json(&stdout, &e));
        if status != 0 {
            let messages = parsed.map(|r| errors_of(&r)).unwrap_or_default();
            return Err(PluginError::Failed {
                name: name.clone(),
                code: status,
                messages,
                stderr,
            });
        }
        let response = parsed.map_err(|message| PluginError::Protocol {
            name: name.clone(),
            message,
            stderr: stderr.clone(),
        })?;
        if response.api_version != staves_plugin_api::API_VERSION {
            return Err(PluginError::Protocol {
                name: name.clone(),
                message: format!(
                    "it answered with plugin API {}, Staves speaks API {}; use a plugin built for API {}",
                    response.api_version,
                    staves_plugin_api::API_VERSION,
                    staves_plugin_api::API_VERSION
                ),
                stderr,
            });
        }
        let errors = errors_of(&response);
        if !errors.is_empty() {
            return Err(PluginError::Reported {
                name: name.clone(),
                messages: errors,
                stderr,
            });
        }
        answer::check_patch(name, &response.config)?;
        let artifacts = answer::check_artifacts(name, out_dir, &response.artifacts)?;
        let applied = fileops::check_and_apply(name, rootfs, &response.file_ops)?;
        let mut image = request.image.clone();
        response.config.apply(&mut image);
        Ok(PluginOutcome {
            patch: response.config,
            image,
            artifacts,
            messages: response.messages,
            file_ops_applied: applied,
            stderr,
            fuel_used,
            from_cache,
            elapsed: started.elapsed(),
        })
    }
}

impl Drop for PluginHost {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(ticker) = self.ticker.take() {
            ticker.thread().unpark();
            let _ = ticker.join();
        }
    }
}

fn poisoned(name: &str) -> PluginError {
    PluginError::Load {
        name: name.to_owned(),
        message: "an earlier plugin run panicked; the host cannot be reused".into(),
    }
}

fn errors_of(response: &Response) -> Vec<String> {
    response
        .messages
        .iter()
        .filter(|m| m.level == Level::Error)
        .map(|m| match &m.path {
            Some(path) => format!("{path}: {}", m.text),
            None => m.text.clone(),
        })
        .collect()
}

fn describe_bad_json(stdout: &[u8], error: &serde_json::Error) -> String {
    if stdout.iter().all(u8::is_ascii_whitespace) {
        return "it wrote no response on stdout (one JSON document is required)".into();
    }
    let start: String = String::from_utf8_lossy(&stdout[..stdout.len().min(80)]).into_owned();
    format!("its stdout is not a valid response ({error}); it starts with {start:?}")
}

/// A core module (`\0asm` version 1), not a component or anything else.
fn check_header(bytes: &[u8]) -> Result<(), String> {
    if bytes.len() < 8 || &bytes[..4] != b"\0asm" {
        return Err("the file is not WebAssembly (no `\\0asm` header)".into());
    }
    match bytes[4..8] {
        [1, 0, 0, 0] => Ok(()),
        [_, _, 1, 0] => Err(
            "it is a WebAssembly component; plugin API 1 needs a core module built for \
             wasm32-wasip1 (components are not supported)"
                .into(),
        ),
        _ => Err("unknown WebAssembly binary version".into()),
    }
}

/// Imports only `wasi_snapshot_preview1` and exports a `_start` function.
fn check_module(module: &Module) -> Result<(), String> {
    for import in module.imports() {
        if import.module() != "wasi_snapshot_preview1" {
            return Err(format!(
                "it imports `{}::{}`; plugin API 1 allows only wasi_snapshot_preview1 imports",
                import.module(),
                import.name()
            ));
        }
    }
    match module.get_export("_start") {
        Some(ExternType::Func(_)) => Ok(()),
        _ => Err(
            "it has no `_start` function: build it as a binary (a WASI command), not a library"
                .into(),
        ),
    }
}
