//! Pinning a manifest's plugin for the lock.

use std::path::{Component, Path, PathBuf};

use sha2::{Digest, Sha256};

use super::PluginError;
use crate::manifest::Plugin;

/// What the lock records for one plugin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PluginPin {
    /// The plugin's name in the manifest.
    pub name: String,
    /// The SHA-256 of the `.wasm` file, 64 lowercase hex digits.
    pub sha256: String,
    /// `path+<relative path>` (never absolute) or `url+<url>`.
    pub source: String,
}

/// Pins `plugin`: a `path` plugin is hashed (relative to `manifest_dir`;
/// the path must stay inside it); a `url` plugin is pinned to the `sha256`
/// the manifest gives (it is downloaded and checked when built).
pub fn pin(plugin: &Plugin, manifest_dir: &Path) -> Result<PluginPin, PluginError> {
    let name = plugin.name.get_ref().clone();
    let source_err = |message: String| PluginError::Source {
        name: name.clone(),
        message,
    };
    match (&plugin.path, &plugin.url) {
        (Some(path), None) => {
            let relative = relative_path(path).ok_or_else(|| {
                source_err(format!(
                    "path `{}` must be relative to staves.toml and stay inside its directory",
                    path.display()
                ))
            })?;
            let file = manifest_dir.join(&relative);
            let sha256 = sha256_file(&file).map_err(|source| PluginError::Read {
                name: name.clone(),
                path: file.clone(),
                source,
            })?;
            if let Some(declared) = &plugin.sha256 {
                let declared = declared.get_ref().to_ascii_lowercase();
                if declared != sha256 {
                    return Err(PluginError::Changed {
                        name,
                        path: file,
                        expected: declared,
                        actual: sha256,
                    });
                }
            }
            let source = format!("path+{}", relative.to_string_lossy().replace('\\', "/"));
            Ok(PluginPin {
                name,
                sha256,
                source,
            })
        }
        (None, Some(url)) => {
            let sha256 = plugin
                .sha256
                .as_ref()
                .map(|s| s.get_ref().to_ascii_lowercase())
                .filter(|s| s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()))
                .ok_or_else(|| {
                    source_err(format!(
                        "url `{url}` needs `sha256 = \"<64 hex digits>\"` next to it"
                    ))
                })?;
            Ok(PluginPin {
                name,
                sha256,
                source: format!("url+{url}"),
            })
        }
        _ => Err(source_err(
            "give exactly one of `path` or `url` (with `sha256`)".into(),
        )),
    }
}

/// `path` without `.` components when it is relative and never leaves its
/// base through `..`.
fn relative_path(path: &Path) -> Option<PathBuf> {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::Normal(part) => out.push(part),
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    return None;
                }
            }
            Component::RootDir | Component::Prefix(_) => return None,
        }
    }
    (!out.as_os_str().is_empty()).then_some(out)
}

/// The SHA-256 of a file, 64 lowercase hex digits.
pub fn sha256_file(path: &Path) -> std::io::Result<String> {
    use std::io::Read;
    let mut file = fs_err::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 << 10];
    loop {
        match file.read(&mut buf)? {
            0 => break,
            n => hasher.update(&buf[..n]),
        }
    }
    Ok(hex::encode(hasher.finalize()))
}
