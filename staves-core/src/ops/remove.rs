//! `staves remove`: drop packages (and their package tables) from the
//! manifest, relock, then write both files.

use crate::manifest::edit::StavesTomlMut;
use crate::util::fs::write_atomic;

use super::lock::{LockOutcome, prepare};
use super::{Context, Error, Reporter, workspace};

/// Options of [`remove`].
#[derive(Debug, Clone, Default)]
pub struct RemoveOptions {
    /// `category/package` names or exact atoms as listed in `packages`.
    pub atoms: Vec<String>,
    /// Check and resolve, but write nothing.
    pub dry_run: bool,
}

/// What [`remove`] did.
#[derive(Debug, Clone)]
pub struct RemoveResult {
    /// The `packages` entries removed, in order.
    pub removed: Vec<String>,
    /// The relock.
    pub lock: LockOutcome,
}

/// Removes packages from the manifest and relocks.
///
/// # Errors
/// [`Error::NotInManifest`] for a name that is not listed, a resolution
/// failure (nothing is written then), or `--locked`.
pub fn remove(
    ctx: &Context,
    options: &RemoveOptions,
    reporter: &dyn Reporter,
) -> Result<RemoveResult, Error> {
    let loaded = workspace::load_manifest(&ctx.manifest_path)?;
    let mut doc = StavesTomlMut::parse(&loaded.text)?;
    let mut removed = Vec::new();
    for atom in &options.atoms {
        let gone = doc.remove_package(atom.trim())?;
        if gone.is_empty() {
            return Err(Error::NotInManifest {
                name: atom.clone(),
                path: ctx.manifest_path.clone(),
            });
        }
        removed.extend(gone);
    }
    let new_text = doc.to_string();
    let manifest = workspace::parse_manifest(&new_text, &ctx.manifest_path)?;
    let (mut lock, lock_text) = prepare(ctx, &manifest, false, reporter)?;
    if !options.dry_run {
        write_atomic(&ctx.manifest_path, new_text.as_bytes())
            .map_err(|e| Error::io("write", &ctx.manifest_path, e))?;
        if let Some(text) = lock_text {
            let path = ctx.lock_path();
            write_atomic(&path, text.as_bytes()).map_err(|e| Error::io("write", &path, e))?;
            lock.written = true;
        }
    }
    Ok(RemoveResult { removed, lock })
}
