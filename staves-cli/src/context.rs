//! Turns the global options into the library's [`staves_core::ops::Context`].

use std::path::PathBuf;

use staves_core::ops::{self, Context};

use crate::cli::GlobalArgs;
use crate::error::CliError;

/// The cache directory: `STAVES_CACHE_DIR`, else `$XDG_CACHE_HOME/staves`,
/// else `~/.cache/staves`.
pub(crate) fn cache_dir() -> Result<PathBuf, CliError> {
    if let Some(dir) = std::env::var_os("STAVES_CACHE_DIR").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir));
    }
    if let Some(dir) = std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
        return Ok(PathBuf::from(dir).join("staves"));
    }
    match std::env::var_os("HOME").filter(|d| !d.is_empty()) {
        Some(home) => Ok(PathBuf::from(home).join(".cache").join("staves")),
        None => Err(
            CliError::msg("cannot find a cache directory: HOME is not set")
                .with_help("set STAVES_CACHE_DIR to a writable directory"),
        ),
    }
}

/// The context of a command that works on an existing project.
pub(crate) fn project(global: &GlobalArgs) -> Result<Context, CliError> {
    let manifest_path = match &global.manifest_path {
        Some(p) if p.is_dir() => p.join("staves.toml"),
        Some(p) => p.clone(),
        None => {
            let cwd = std::env::current_dir()
                .map_err(|e| CliError::msg(format!("cannot read the current directory: {e}")))?;
            ops::find_manifest(&cwd)?
        }
    };
    Ok(Context {
        manifest_path,
        cache_dir: cache_dir()?,
        offline: global.offline || global.frozen,
        locked: global.locked || global.frozen,
    })
}
