//! Post-build plugins in `staves lock` and `staves build`: pinning each
//! manifest plugin into the lock, and finding (or downloading) the pinned
//! `.wasm` file.
//!
//! * `path` plugins are relative to `staves.toml` and hashed when locking.
//! * `url` plugins are pinned to the `sha256` the manifest gives; the build
//!   downloads them once into `<cache>/plugins/downloads/<sha256>.wasm`
//!   (content-addressed, verified before an atomic rename, so a partial or
//!   wrong download is never used). `--offline` uses only that cache.
//! * Under `--locked`/`--frozen` a `path` plugin whose file no longer has
//!   the locked SHA-256 fails with [`PluginError::Changed`] (plugin, both
//!   hashes, "run `staves lock`").

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};

use crate::lockfile::{LockedPlugin, Lockfile};
use crate::manifest::{Manifest, Plugin};
use crate::plugin::{self, Limits, PluginError, PluginSpec};

use super::Context;

/// The biggest plugin download accepted (a plugin is a few MiB at most).
const MAX_DOWNLOAD: u64 = 256 << 20;

fn manifest_dir(ctx: &Context) -> &Path {
    ctx.manifest_path.parent().unwrap_or(Path::new("."))
}

/// Pins every plugin of `manifest`, in manifest order. Under `ctx.locked`,
/// a plugin whose file changed since `old` was written is an error.
pub(crate) fn pin_all(
    ctx: &Context,
    manifest: &Manifest,
    old: Option<&Lockfile>,
) -> Result<Vec<LockedPlugin>, PluginError> {
    let dir = manifest_dir(ctx);
    let mut pinned = Vec::with_capacity(manifest.plugins.len());
    for plugin in &manifest.plugins {
        let pin = plugin::pin(plugin, dir)?;
        if ctx.locked
            && let Some(previous) = old
                .into_iter()
                .flat_map(|l| &l.plugins)
                .find(|p| p.name == pin.name && p.source == pin.source)
            && previous.sha256 != pin.sha256
        {
            return Err(PluginError::Changed {
                name: pin.name,
                path: plugin
                    .path
                    .as_ref()
                    .map_or_else(|| PathBuf::from(&pin.source), |p| dir.join(p)),
                expected: previous.sha256.clone(),
                actual: pin.sha256,
            });
        }
        pinned.push(LockedPlugin {
            name: pin.name,
            source: pin.source,
            sha256: pin.sha256,
        });
    }
    Ok(pinned)
}

/// What a build runs for each plugin of `manifest`, in manifest order:
/// the file the lock pins (downloaded into the cache for `url` plugins),
/// its config as JSON and its limits.
pub(crate) fn specs(
    ctx: &Context,
    manifest: &Manifest,
    lock: &Lockfile,
) -> Result<Vec<PluginSpec>, PluginError> {
    let mut specs = Vec::with_capacity(manifest.plugins.len());
    for plugin in &manifest.plugins {
        let name = plugin.name.get_ref();
        let locked = lock
            .plugins
            .iter()
            .find(|p| &p.name == name)
            .ok_or_else(|| PluginError::NotLocked { name: name.clone() })?;
        let wasm_path = wasm_file(ctx, plugin, locked)?;
        let config = serde_json::to_value(&plugin.config).map_err(|e| PluginError::Source {
            name: name.clone(),
            message: format!("its `config` cannot be passed as JSON: {e}"),
        })?;
        specs.push(PluginSpec {
            name: name.clone(),
            wasm_path,
            sha256: locked.sha256.clone(),
            config,
            limits: Limits::with_overrides(name, &plugin.limits.to_table())?,
        });
    }
    Ok(specs)
}

/// The local `.wasm` file of a locked plugin.
fn wasm_file(
    ctx: &Context,
    plugin: &Plugin,
    locked: &LockedPlugin,
) -> Result<PathBuf, PluginError> {
    if let Some(relative) = locked.source.strip_prefix("path+") {
        return Ok(manifest_dir(ctx).join(relative));
    }
    let Some(url) = locked.source.strip_prefix("url+") else {
        return Err(PluginError::Source {
            name: locked.name.clone(),
            message: format!(
                "staves.lock has source `{}`; expected `path+…` or `url+…` (run `staves lock`)",
                locked.source
            ),
        });
    };
    if plugin.url.as_deref() != Some(url) {
        return Err(PluginError::NotLocked {
            name: locked.name.clone(),
        });
    }
    fetch(
        &ctx.cache_dir,
        &locked.name,
        url,
        &locked.sha256,
        ctx.offline,
    )
}

/// `<cache>/plugins/downloads/<sha256>.wasm`, downloading it first when
/// missing (or corrupt) and `offline` is false.
pub(crate) fn fetch(
    cache_dir: &Path,
    name: &str,
    url: &str,
    sha256: &str,
    offline: bool,
) -> Result<PathBuf, PluginError> {
    let sha256 = sha256.to_ascii_lowercase();
    let dir = cache_dir.join("plugins").join("downloads");
    let file = dir.join(format!("{sha256}.wasm"));
    if plugin::sha256_file(&file).is_ok_and(|actual| actual == sha256) {
        return Ok(file);
    }
    if offline {
        return Err(PluginError::Offline {
            name: name.to_owned(),
            url: url.to_owned(),
        });
    }
    let failed = |message: String| PluginError::Download {
        name: name.to_owned(),
        url: url.to_owned(),
        message,
    };
    let io = |action: &str, path: &Path, e: std::io::Error| {
        failed(format!("{action} {}: {e}", path.display()))
    };
    fs_err::create_dir_all(&dir).map_err(|e| io("cannot create", &dir, e))?;
    let response = reqwest::blocking::Client::builder()
        .user_agent(concat!("staves/", env!("CARGO_PKG_VERSION")))
        .build()
        .and_then(|client| client.get(url).send())
        .and_then(|r| r.error_for_status())
        .map_err(|e| failed(e.to_string()))?;
    let mut temp = tempfile::NamedTempFile::new_in(&dir)
        .map_err(|e| io("cannot create a file in", &dir, e))?;
    let mut hasher = Sha256::new();
    let mut reader = response.take(MAX_DOWNLOAD + 1);
    let mut buf = vec![0u8; 64 << 10];
    let mut total = 0u64;
    loop {
        let n = reader.read(&mut buf).map_err(|e| failed(e.to_string()))?;
        if n == 0 {
            break;
        }
        total += n as u64;
        if total > MAX_DOWNLOAD {
            return Err(failed(format!(
                "it is larger than {} MiB",
                MAX_DOWNLOAD >> 20
            )));
        }
        hasher.update(&buf[..n]);
        temp.write_all(&buf[..n])
            .map_err(|e| io("cannot write", temp.path(), e))?;
    }
    let actual = hex::encode(hasher.finalize());
    if actual != sha256 {
        return Err(failed(format!(
            "the download has sha256 {actual}, but staves.toml pins {sha256}; \
             if the new file is intended, update `sha256` and run `staves lock`"
        )));
    }
    temp.persist(&file)
        .map_err(|e| io("cannot rename the download to", &file, e.error))?;
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offline_uses_only_the_cache_and_verifies_it() {
        let dir = tempfile::tempdir().unwrap();
        let bytes = b"\0asm\x01\0\0\0";
        let sha = hex::encode(Sha256::digest(bytes));
        let url = "http://127.0.0.1:9/x.wasm";
        let err = fetch(dir.path(), "x", url, &sha, true).unwrap_err();
        assert!(matches!(err, PluginError::Offline { .. }), "{err}");
        let cached = dir.path().join(format!("plugins/downloads/{sha}.wasm"));
        std::fs::create_dir_all(cached.parent().unwrap()).unwrap();
        std::fs::write(&cached, bytes).unwrap();
        assert_eq!(fetch(dir.path(), "x", url, &sha, true).unwrap(), cached);
        // A corrupt cache entry is not used.
        std::fs::write(&cached, b"other").unwrap();
        assert!(fetch(dir.path(), "x", url, &sha, true).is_err());
    }

    fn project(dir: &Path, plugins: &str) -> (Context, Manifest) {
        let text = format!("name = \"x\"\n{plugins}");
        let manifest_path = dir.join("staves.toml");
        std::fs::write(&manifest_path, &text).unwrap();
        let manifest = Manifest::from_str_at(&text, &manifest_path).unwrap();
        let ctx = Context {
            manifest_path,
            cache_dir: dir.join("cache"),
            offline: true,
            locked: true,
        };
        (ctx, manifest)
    }

    #[test]
    fn pins_path_and_url_plugins_and_finds_their_files() {
        let dir = tempfile::tempdir().unwrap();
        let bytes = b"\0asm\x01\0\0\0";
        let sha = hex::encode(Sha256::digest(bytes));
        std::fs::create_dir_all(dir.path().join("p")).unwrap();
        std::fs::write(dir.path().join("p/a.wasm"), bytes).unwrap();
        let (ctx, manifest) = project(
            dir.path(),
            &format!(
                "[[plugins]]\nname = \"a\"\npath = \"./p/a.wasm\"\nhook = \"post-build\"\n\
                 config = {{ keep = [\"en\"], n = 2 }}\nlimits = {{ fuel = 1000 }}\n\
                 [[plugins]]\nname = \"b\"\nurl = \"http://127.0.0.1:9/b.wasm\"\nsha256 = \"{sha}\"\nhook = \"post-build\"\n"
            ),
        );
        let pinned = pin_all(&ctx, &manifest, None).unwrap();
        assert_eq!(
            pinned,
            [
                LockedPlugin {
                    name: "a".into(),
                    source: "path+p/a.wasm".into(),
                    sha256: sha.clone()
                },
                LockedPlugin {
                    name: "b".into(),
                    source: "url+http://127.0.0.1:9/b.wasm".into(),
                    sha256: sha.clone()
                },
            ]
        );
        let mut lock = Lockfile {
            plugins: pinned,
            ..Lockfile::default()
        };
        // Offline, and the url plugin is not cached yet.
        let err = specs(&ctx, &manifest, &lock).unwrap_err();
        assert!(matches!(err, PluginError::Offline { .. }), "{err}");
        let cached = ctx.cache_dir.join(format!("plugins/downloads/{sha}.wasm"));
        std::fs::create_dir_all(cached.parent().unwrap()).unwrap();
        std::fs::write(&cached, bytes).unwrap();
        let specs_ = specs(&ctx, &manifest, &lock).unwrap();
        assert_eq!(specs_[0].wasm_path, dir.path().join("p/a.wasm"));
        assert_eq!(
            specs_[0].config,
            serde_json::json!({"keep": ["en"], "n": 2})
        );
        assert_eq!(specs_[0].limits.fuel, 1000);
        assert_eq!(specs_[1].wasm_path, cached);

        // The file changed: --locked names it and both hashes.
        std::fs::write(dir.path().join("p/a.wasm"), b"other").unwrap();
        let err = pin_all(&ctx, &manifest, Some(&lock))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("plugin `a` changed since it was locked")
                && err.contains(&sha)
                && err.contains("run `staves lock`"),
            "{err}"
        );
        // A plugin the lock does not pin.
        lock.plugins.pop();
        let err = specs(&ctx, &manifest, &lock).unwrap_err();
        assert!(
            matches!(err, PluginError::NotLocked { ref name } if name == "b"),
            "{err}"
        );
    }

    #[test]
    fn a_download_with_another_hash_is_refused_and_not_kept() {
        // A one-shot HTTP server on a loopback port.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/p.wasm", listener.local_addr().unwrap());
        let server = std::thread::spawn(move || {
            for _ in 0..2 {
                let (mut stream, _) = listener.accept().unwrap();
                let mut request = [0u8; 1024];
                let _ = stream.read(&mut request);
                let body = b"\0asm\x01\0\0\0";
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                stream.write_all(head.as_bytes()).unwrap();
                stream.write_all(body).unwrap();
            }
        });
        let dir = tempfile::tempdir().unwrap();
        let wrong = "0".repeat(64);
        let err = fetch(dir.path(), "p", &url, &wrong, false).unwrap_err();
        assert!(err.to_string().contains("staves.toml pins 0000"), "{err}");
        assert!(
            !dir.path()
                .join(format!("plugins/downloads/{wrong}.wasm"))
                .exists()
        );
        let right = hex::encode(Sha256::digest(b"\0asm\x01\0\0\0"));
        let file = fetch(dir.path(), "p", &url, &right, false).unwrap();
        assert_eq!(plugin::sha256_file(&file).unwrap(), right);
        server.join().unwrap();
        let leftovers = std::fs::read_dir(file.parent().unwrap()).unwrap().count();
        assert_eq!(leftovers, 1);
    }
}
