//! The on-disk cache of compiled plugin modules.
//!
//! Compiling a plugin with Cranelift costs 0.1–0.5 s; loading the compiled
//! code back costs well under a millisecond. [`load_or_compile`] keeps one
//! `<sha256>-<engine>.cwasm` file per plugin and engine configuration in a
//! private directory.
//!
//! Loading precompiled code is `unsafe` in wasmtime: the file is mapped as
//! machine code and trusted. This crate is the only place the plugin host
//! does it, under these rules, which make the file exactly one this process
//! (or an earlier Staves with the same engine) wrote:
//! * the directory is created with mode 0700 and refused when it is group- or
//!   world-writable or not a directory;
//! * a cache file is refused when it is group- or world-writable;
//! * files are written to a temporary name and renamed into place;
//! * the name carries the plugin's SHA-256 (the caller hashed the bytes it
//!   compiles) and wasmtime's compatibility hash of the engine configuration;
//!   wasmtime also checks the header and refuses a file from another
//!   version or configuration, which this crate then recompiles.
//!
//! Never copy `.cwasm` files between machines or download them.

use std::collections::hash_map::DefaultHasher;
use std::fs;
use std::hash::{Hash, Hasher};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use wasmtime::{Engine, Module};

/// Why a module could neither be loaded nor compiled.
#[derive(Debug, thiserror::Error)]
pub enum CacheError {
    /// The cache directory is unusable.
    #[error("plugin cache directory {}: {message}", path.display())]
    Directory {
        /// The directory.
        path: PathBuf,
        /// What is wrong and what to do.
        message: String,
    },
    /// Reading or writing a cache file failed.
    #[error("plugin cache file {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
    /// Cranelift refused the module (it is not valid WebAssembly, or uses a
    /// feature the engine does not enable).
    #[error("{0:#}")]
    Compile(wasmtime::Error),
}

/// Where a module came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// Loaded from the cache.
    Cache,
    /// Compiled now (and stored when the cache was writable).
    Compiled,
}

/// The cache file for a module with the given SHA-256 under `dir`.
pub fn cache_path(engine: &Engine, dir: &Path, sha256: &str) -> PathBuf {
    let mut hasher = DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut hasher);
    dir.join(format!("{sha256}-{:016x}.cwasm", hasher.finish()))
}

/// Loads the compiled module for `wasm` (whose SHA-256 is `sha256`, 64 hex
/// digits) from `dir`, or compiles it and stores it there.
///
/// A cache file that cannot be used (stale header, truncated) is replaced.
/// A cache that cannot be written is not an error: the module is still
/// returned.
pub fn load_or_compile(
    engine: &Engine,
    dir: &Path,
    sha256: &str,
    wasm: &[u8],
) -> Result<(Module, Source), CacheError> {
    let valid_key = sha256.len() == 64 && sha256.bytes().all(|b| b.is_ascii_hexdigit());
    if !valid_key {
        return Err(CacheError::Directory {
            path: dir.to_owned(),
            message: format!("`{sha256}` is not a SHA-256 in hex; this is a bug in Staves"),
        });
    }
    ensure_private_dir(dir)?;
    let path = cache_path(engine, dir, sha256);
    if let Some(module) = try_load(engine, &path)? {
        return Ok((module, Source::Cache));
    }
    let module = Module::new(engine, wasm).map_err(CacheError::Compile)?;
    // A failed store only costs a recompile next time.
    let _ = store(&module, dir, &path);
    Ok((module, Source::Compiled))
}

fn ensure_private_dir(dir: &Path) -> Result<(), CacheError> {
    let err = |message: String| CacheError::Directory {
        path: dir.to_owned(),
        message,
    };
    match fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
    {
        Ok(()) => {}
        Err(e) => return Err(err(format!("cannot create it: {e}"))),
    }
    let meta = fs::symlink_metadata(dir).map_err(|e| err(format!("cannot inspect it: {e}")))?;
    if !meta.is_dir() {
        return Err(err("it is not a directory; remove it".into()));
    }
    if meta.mode() & 0o022 != 0 {
        return Err(err(format!(
            "it is writable by others (mode {:o}); run `chmod 700` on it or remove it",
            meta.mode() & 0o7777
        )));
    }
    Ok(())
}

fn try_load(engine: &Engine, path: &Path) -> Result<Option<Module>, CacheError> {
    let meta = match fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(CacheError::Io {
                path: path.to_owned(),
                source,
            });
        }
    };
    if !meta.is_file() || meta.mode() & 0o022 != 0 {
        // Not a file this crate wrote: never map it, replace it.
        let _ = fs::remove_file(path);
        return Ok(None);
    }
    // SAFETY: `path` is a regular file, not group/world-writable, in a
    // directory checked to be private (0700-style) above; only `store` below
    // writes such names, from `Module::serialize` of this wasmtime version.
    // wasmtime validates the header and the engine compatibility and returns
    // an error (handled below) for anything else.
    #[allow(unsafe_code)]
    let loaded = unsafe { Module::deserialize_file(engine, path) };
    match loaded {
        Ok(module) => Ok(Some(module)),
        Err(_) => {
            let _ = fs::remove_file(path);
            Ok(None)
        }
    }
}

fn store(module: &Module, dir: &Path, path: &Path) -> io::Result<()> {
    let bytes = module.serialize().map_err(io::Error::other)?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".cwasm-")
        .permissions(fs::Permissions::from_mode(0o600))
        .tempfile_in(dir)?;
    tmp.write_all(&bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests;
