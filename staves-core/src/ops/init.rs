//! `staves init`: a commented starter `staves.toml` and a `.gitignore` line.

use std::path::{Path, PathBuf};

use crate::manifest::template;
use crate::util::fs::write_atomic;

use super::Error;

/// The `.gitignore` line for staves' local build state.
pub const GITIGNORE_LINE: &str = "/.staves/";

/// Options of [`init`].
#[derive(Debug, Clone)]
pub struct InitOptions {
    /// The project directory (created if missing).
    pub dir: PathBuf,
    /// The image name; default: the directory's name.
    pub name: Option<String>,
}

/// What [`init`] did.
#[derive(Debug, Clone)]
pub struct InitOutcome {
    /// The manifest written.
    pub manifest_path: PathBuf,
    /// The image name used.
    pub name: String,
    /// Whether `.gitignore` got the build-output line.
    pub gitignore_updated: bool,
}

/// Writes a starter `staves.toml` into `dir`.
///
/// # Errors
/// [`Error::ManifestExists`] when there is already one (it is never
/// overwritten), or an I/O error.
pub fn init(options: &InitOptions) -> Result<InitOutcome, Error> {
    let dir = &options.dir;
    let manifest_path = dir.join(crate::manifest::FILE_NAME);
    if manifest_path.exists() {
        return Err(Error::ManifestExists {
            path: manifest_path,
        });
    }
    fs_err::create_dir_all(dir).map_err(|e| Error::io("create", dir, e))?;
    let name = match &options.name {
        Some(n) => n.clone(),
        None => default_name(dir),
    };
    let text = template::starter(&name);
    // Check the template against the parser, so `init` never writes a file
    // that the next command rejects (a bad --name would otherwise).
    super::workspace::parse_manifest(&text, &manifest_path)?;
    write_atomic(&manifest_path, text.as_bytes())
        .map_err(|e| Error::io("write", &manifest_path, e))?;
    let gitignore_updated = add_gitignore_line(&dir.join(".gitignore"))?;
    Ok(InitOutcome {
        manifest_path,
        name,
        gitignore_updated,
    })
}

/// An image name from a directory name: lowercase, other characters as `-`.
fn default_name(dir: &Path) -> String {
    let base = std::path::absolute(dir)
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_default();
    let mut name: String = base
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    name = name.trim_matches('-').to_owned();
    if name.is_empty() {
        "image".to_owned()
    } else {
        name
    }
}

fn add_gitignore_line(path: &Path) -> Result<bool, Error> {
    let existing = match fs_err::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(Error::io("read", path, e)),
    };
    if existing.lines().any(|l| l.trim() == GITIGNORE_LINE) {
        return Ok(false);
    }
    let mut text = existing;
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(GITIGNORE_LINE);
    text.push('\n');
    write_atomic(path, text.as_bytes()).map_err(|e| Error::io("write", path, e))?;
    Ok(true)
}
