//! Checks of a plugin's configuration patch and artifacts.

use std::io::Read;
use std::os::fd::OwnedFd;
use std::path::Path;

use rustix::fs::{AtFlags, FileType, Mode, OFlags};
use sha2::{Digest, Sha256};
use staves_plugin_api::{Artifact, ConfigPatch};

use super::{OutputArtifact, PluginError};

/// The most all artifacts of one run may hold together.
const ARTIFACT_BYTES: u64 = 1 << 30;

fn refused(name: &str, what: String, message: String) -> PluginError {
    PluginError::Refused {
        name: name.to_owned(),
        what,
        message,
    }
}

/// Refuses keys the image config cannot hold.
pub(super) fn check_patch(name: &str, patch: &ConfigPatch) -> Result<(), PluginError> {
    let what = |field: &str| format!("config change `{field}`");
    for key in patch.env.set.keys().chain(&patch.env.unset) {
        if key.is_empty() || key.contains(['=', '\0']) {
            return Err(refused(
                name,
                what("env"),
                format!("`{key}` is not a variable name"),
            ));
        }
    }
    for (field, map) in [
        ("labels", &patch.labels),
        ("annotations", &patch.annotations),
    ] {
        if map.set.keys().chain(&map.unset).any(|k| k.is_empty()) {
            return Err(refused(name, what(field), "a key is empty".into()));
        }
    }
    for port in &patch.exposed_ports.add {
        if !valid_port(port) {
            return Err(refused(
                name,
                what("exposed_ports"),
                format!("`{port}` is not a port such as `80/tcp`, `53/udp` or `8080`"),
            ));
        }
    }
    for volume in &patch.volumes.add {
        if !volume.starts_with('/') {
            return Err(refused(
                name,
                what("volumes"),
                format!("`{volume}` is not an absolute path"),
            ));
        }
    }
    let strings = patch
        .user
        .iter()
        .chain(&patch.working_dir)
        .chain(&patch.stop_signal)
        .chain(patch.entrypoint.iter().flatten())
        .chain(patch.cmd.iter().flatten())
        .chain(patch.env.set.values())
        .chain(patch.labels.set.values());
    for value in strings {
        if value.contains('\0') {
            return Err(refused(name, what("*"), "a value contains NUL".into()));
        }
    }
    Ok(())
}

fn valid_port(port: &str) -> bool {
    let (number, proto) = port.split_once('/').unwrap_or((port, "tcp"));
    matches!(proto, "tcp" | "udp" | "sctp")
        && number.parse::<u16>().is_ok_and(|n| n > 0)
        && !number.starts_with('0')
}

/// Each artifact must be a regular file under `out_dir`, reached without
/// symlinks; returns them hashed.
pub(super) fn check_artifacts(
    name: &str,
    out_dir: &Path,
    artifacts: &[Artifact],
) -> Result<Vec<OutputArtifact>, PluginError> {
    let mut total = 0u64;
    let mut out = Vec::new();
    for (i, artifact) in artifacts.iter().enumerate() {
        let what = format!("artifact {} ({})", i + 1, artifact.path);
        let (digest, size) =
            hash_artifact(out_dir, &artifact.path).map_err(|m| refused(name, what.clone(), m))?;
        total += size;
        if total > ARTIFACT_BYTES {
            return Err(refused(
                name,
                what,
                "the artifacts exceed 1 GiB together".into(),
            ));
        }
        if artifact.media_type.is_empty() || !artifact.media_type.contains('/') {
            return Err(refused(
                name,
                what,
                format!("`{}` is not a media type", artifact.media_type),
            ));
        }
        out.push(super::OutputArtifact {
            path: out_dir.join(artifact.path.trim_start_matches('/')),
            media_type: artifact.media_type.clone(),
            digest: format!("sha256:{digest}"),
            size,
        });
    }
    Ok(out)
}

fn hash_artifact(out_dir: &Path, path: &str) -> Result<(String, u64), String> {
    let path = path.strip_prefix("/out/").unwrap_or(path);
    let parts = super::fileops::components(path)?;
    let root: OwnedFd = rustix::fs::open(
        out_dir,
        OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| format!("cannot open {}: {e}", out_dir.display()))?;
    let dir = super::fileops::open_parent(&root, &parts)?;
    let leaf = parts[parts.len() - 1];
    let stat = rustix::fs::statat(&dir, leaf, AtFlags::SYMLINK_NOFOLLOW)
        .map_err(|e| format!("`{path}`: {e}"))?;
    if FileType::from_raw_mode(stat.st_mode) != FileType::RegularFile {
        return Err(format!("`{path}` is not a regular file"));
    }
    let fd = rustix::fs::openat(
        &dir,
        leaf,
        OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| format!("`{path}`: {e}"))?;
    let mut file = std::fs::File::from(fd);
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 << 10];
    let mut size = 0u64;
    loop {
        let n = file.read(&mut buf).map_err(|e| format!("`{path}`: {e}"))?;
        if n == 0 {
            break;
        }
        size += n as u64;
        hasher.update(&buf[..n]);
    }
    Ok((hex::encode(hasher.finalize()), size))
}
