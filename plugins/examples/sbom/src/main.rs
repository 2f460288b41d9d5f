//! `sbom`: an SPDX 2.3 JSON document of the packages installed in the root,
//! read from Portage's installed-package database (`/var/db/pkg`).
//!
//! Each package carries its name, version, slot, USE flags, repository and
//! the repository commit from the lock, as a purl and in its comment.
//! Packages in the database but not in the lock (or the other way round)
//! are reported as warnings. Run it before anything strips `var/db/pkg`.
//!
//! Config (all optional):
//! * `file` (string, default `"sbom.spdx.json"`): the artifact name under `/out`;
//! * `name` (string, default `"staves-image"`): the SPDX document name.

mod spdx;
mod vdb;

use std::fs;
use std::path::Path;

use serde::Deserialize;
use staves_plugin_sdk::{Artifact, Error, Level, Message, Request, Response};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct Config {
    file: String,
    name: String,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            file: "sbom.spdx.json".into(),
            name: "staves-image".into(),
        }
    }
}

fn handle(req: &Request) -> Result<Response, Error> {
    let config: Config = serde_json::from_value(req.config.clone())
        .map_err(|e| Error::new(format!("invalid config: {e}")))?;
    if config.file.is_empty() || config.file.contains('/') || config.file.starts_with('.') {
        return Err(Error::new(format!(
            "invalid config: `file` must be a plain file name, not `{}`",
            config.file
        )));
    }
    let root = Path::new(&req.paths.rootfs);
    let installed = vdb::read(&root.join("var/db/pkg"))?;
    let mut response = Response::new();
    for (name, version) in vdb::mismatches(&installed, &req.packages) {
        response.messages.push(Message {
            level: Level::Warning,
            text: format!("{name}-{version}: {}", version_note(&installed, &name)),
            path: None,
        });
    }
    let document = spdx::document(&config.name, req, &installed);
    let bytes = serde_json::to_vec_pretty(&document)?;
    fs::write(Path::new(&req.paths.out).join(&config.file), bytes)?;
    response.artifacts.push(Artifact {
        path: config.file.clone(),
        media_type: "application/spdx+json".into(),
    });
    response.messages.push(Message {
        level: Level::Info,
        text: format!("{} packages in {}", installed.len(), config.file),
        path: None,
    });
    Ok(response)
}

fn version_note(installed: &[vdb::Installed], name: &str) -> &'static str {
    if installed
        .iter()
        .any(|p| format!("{}/{}", p.category, p.pn) == name)
    {
        "installed, but not this version in the lock (or the other way round)"
    } else {
        "in the lock but not installed in the root (or the other way round)"
    }
}

fn main() {
    staves_plugin_sdk::run(handle)
}

#[cfg(test)]
mod tests;
