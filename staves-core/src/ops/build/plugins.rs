//! Post-build plugins in `staves build`: after the root filesystem is
//! assembled (built or taken from the rootfs cache) and before the image is
//! written.
//!
//! The root's layer is unpacked into the build's scratch directory (see
//! `plugin_root`), the plugins of `staves.toml` run on it in manifest order
//! with one [`PluginHost`] per build (compiled modules cached under
//! `<cache>/plugins/`), each seeing the image configuration the ones before
//! it produced, and the directory becomes the image's layer. Artifacts go
//! to `<artifacts dir>/<plugin name>/` (the directory of each plugin is
//! emptied first).
//!
//! The result is cached under `<cache>/rootfs/<key>.plugins.json`, keyed by
//! the rootfs key plus every plugin's name, SHA-256, `config` and `limits`:
//! the new layer, the final image configuration, and the artifacts (their
//! bytes kept in the blob store), so an unchanged rebuild runs neither the
//! builder nor the plugins and still writes the artifacts. A change of a
//! plugin or its config re-runs only the plugins, on the cached root.

use std::collections::BTreeMap;
use std::io::BufReader;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::image::oci::{Empty, RuntimeConfig};
use crate::image::{BlobStore, Digest, Layer, LayerOptions};
use crate::plugin::api::{ImageConfig, Level};
use crate::plugin::{PluginError, PluginHost, PluginRequest, PluginSpec};

use super::BuildReporter;
use super::cache::RootfsRecord;
use super::error::BuildError;
use super::plugin_root;

/// What the plugins produced.
#[derive(Debug, Clone)]
pub(crate) struct PluginsOutcome {
    /// The layer after the plugins.
    pub(crate) layer: Layer,
    /// The image configuration after the plugins.
    pub(crate) image: ImageConfig,
    /// The artifacts, written under the artifacts directory.
    pub(crate) artifacts: Vec<BuildArtifact>,
}

/// A file a plugin produced, as delivered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuildArtifact {
    /// The plugin.
    pub plugin: String,
    /// The file, under the artifacts directory.
    pub path: PathBuf,
    /// Its media type.
    pub media_type: String,
    /// `sha256:<hex>`.
    pub digest: String,
    /// Its size in bytes.
    pub size: u64,
}

/// The cache record of a plugin run.
#[derive(Serialize, Deserialize)]
struct Record {
    layer: RootfsRecord,
    image: ImageConfig,
    /// `(plugin, path relative to its directory, media type, digest, size)`.
    artifacts: Vec<(String, String, String, String, u64)>,
}

/// Everything one post-build run needs.
pub(crate) struct PostBuild<'a> {
    pub(crate) specs: &'a [PluginSpec],
    pub(crate) cache_dir: &'a Path,
    pub(crate) store: &'a BlobStore,
    pub(crate) layer_options: &'a LayerOptions,
    pub(crate) scratch: &'a Path,
    pub(crate) artifacts_dir: &'a Path,
    /// The rootfs cache key, or `None` when the build is not cacheable.
    pub(crate) rootfs_key: Option<&'a str>,
    /// Keep the cached result out of consideration (`--force`).
    pub(crate) force: bool,
}

/// The plugins' part of the cache key: the root, the plugins, and what
/// they are told (the image config before them, the packages, the build
/// facts), since their answers depend on all of it.
fn key(rootfs_key: &str, specs: &[PluginSpec], request: &PluginRequest) -> String {
    let json = |value: Result<String, serde_json::Error>| value.unwrap_or_default();
    let mut parts = vec![
        "staves-plugins-2".to_owned(),
        rootfs_key.to_owned(),
        crate::plugin::api::API_VERSION.to_string(),
        json(serde_json::to_string(&request.image)),
        json(serde_json::to_string(&request.packages)),
        json(serde_json::to_string(&request.build)),
    ];
    for spec in specs {
        parts.push(spec.name.clone());
        parts.push(spec.sha256.to_ascii_lowercase());
        // serde_json maps are sorted: the same config gives the same text.
        parts.push(spec.config.to_string());
        parts.push(format!("{:?}", spec.limits));
    }
    let refs: Vec<&str> = parts.iter().map(String::as_str).collect();
    super::sha256_hex(&refs)
}

fn record_path(cache_dir: &Path, key: &str) -> PathBuf {
    let hex = key.strip_prefix("sha256:").unwrap_or(key);
    cache_dir
        .join("rootfs")
        .join(format!("{}.plugins.json", &hex[..hex.len().min(32)]))
}

impl PostBuild<'_> {
    /// Runs the plugins on `layer` (or reuses a cached run).
    pub(crate) fn run(
        &self,
        layer: &Layer,
        request: PluginRequest,
        reporter: &dyn BuildReporter,
    ) -> Result<PluginsOutcome, BuildError> {
        let key = self.rootfs_key.map(|k| key(k, self.specs, &request));
        if let Some(key) = key.as_deref().filter(|_| !self.force)
            && let Some(outcome) = self.cached(key)?
        {
            return Ok(outcome);
        }
        let root = self.scratch.join("plugin-root");
        let out_root = self.scratch.join("plugin-out");
        for dir in [&root, &out_root] {
            fs_err::create_dir_all(dir).map_err(|e| BuildError::io("create", dir, e))?;
        }
        reporter.status("Unpacking", "the image root for the plugins");
        let blob = self.store.path(&layer.digest);
        let file = fs_err::File::open(&blob).map_err(|e| BuildError::io("read", &blob, e))?;
        let reader = BufReader::new(file);
        let owners = if layer.media_type.ends_with("+zstd") {
            let decoder =
                zstd::Decoder::new(reader).map_err(|e| BuildError::io("read", &blob, e))?;
            plugin_root::unpack(decoder, &root)
        } else {
            plugin_root::unpack(flate2::read::GzDecoder::new(reader), &root)
        }
        .map_err(|e| BuildError::io("unpack the image root into", &root, e))?;

        let host = PluginHost::new(self.cache_dir).map_err(super::super::Error::from)?;
        let mut request = request;
        let mut produced = Vec::new();
        for spec in self.specs {
            reporter.plugin(&spec.name);
            let out = out_root.join(&spec.name);
            fs_err::create_dir_all(&out).map_err(|e| BuildError::io("create", &out, e))?;
            let outcome = host
                .run(spec, &root, &out, &request)
                .map_err(super::super::Error::from)?;
            for message in &outcome.messages {
                let level = if message.level == Level::Warning {
                    "warning"
                } else {
                    "info"
                };
                reporter.plugin_message(&spec.name, level, &message.text);
            }
            for artifact in outcome.artifacts {
                let relative = artifact
                    .path
                    .strip_prefix(&out)
                    .unwrap_or(&artifact.path)
                    .to_string_lossy()
                    .into_owned();
                produced.push((spec.name.clone(), relative, artifact));
            }
            request.image = outcome.image;
        }
        drop(host);

        reporter.status("Packing", "the image root after the plugins");
        let new_layer = super::run::layer_through_file(
            &self.scratch.join("plugin-root.tar"),
            0,
            self.store,
            self.layer_options,
            |output| {
                plugin_root::repack(&root, &owners, output)
                    .and_then(|mut w| std::io::Write::flush(&mut w))
            },
        )?;

        let mut artifacts = Vec::new();
        let mut record_artifacts = Vec::new();
        for plugin in self.specs {
            self.clear_artifacts(&plugin.name)?;
        }
        for (plugin, relative, artifact) in produced {
            let bytes = fs_err::read(&artifact.path)
                .map_err(|e| BuildError::io("read", &artifact.path, e))?;
            let target = self.write_artifact(&plugin, &relative, &bytes)?;
            if key.is_some() {
                self.store
                    .put_bytes(&bytes)
                    .map_err(|e| BuildError::io("store", self.store.dir(), e))?;
            }
            record_artifacts.push((
                plugin.clone(),
                relative,
                artifact.media_type.clone(),
                artifact.digest.clone(),
                artifact.size,
            ));
            artifacts.push(BuildArtifact {
                plugin,
                path: target,
                media_type: artifact.media_type,
                digest: artifact.digest,
                size: artifact.size,
            });
        }
        if let Some(key) = &key {
            let record = Record {
                layer: RootfsRecord::from_layer(&new_layer, ""),
                image: request.image.clone(),
                artifacts: record_artifacts,
            };
            let path = record_path(self.cache_dir, key);
            let text = serde_json::to_vec_pretty(&record)
                .map_err(|e| BuildError::io("encode", &path, std::io::Error::other(e)))?;
            crate::util::fs::write_atomic(&path, &text)
                .map_err(|e| BuildError::io("write", &path, e))?;
        }
        Ok(PluginsOutcome {
            layer: new_layer,
            image: request.image,
            artifacts,
        })
    }

    /// The cached run for `key`, with its artifacts written out again, when
    /// the record and every blob it names are there.
    fn cached(&self, key: &str) -> Result<Option<PluginsOutcome>, BuildError> {
        let Ok(text) = fs_err::read(record_path(self.cache_dir, key)) else {
            return Ok(None);
        };
        let Ok(record) = serde_json::from_slice::<Record>(&text) else {
            return Ok(None);
        };
        let Some(layer) = record.layer.to_layer() else {
            return Ok(None);
        };
        let layer_ok =
            std::fs::metadata(self.store.path(&layer.digest)).is_ok_and(|m| m.len() == layer.size);
        let mut contents = Vec::new();
        for (_, _, _, digest, _) in &record.artifacts {
            let Some(bytes) = Digest::parse(digest)
                .ok()
                .and_then(|d| self.store.read(&d).ok())
            else {
                return Ok(None);
            };
            contents.push(bytes);
        }
        if !layer_ok {
            return Ok(None);
        }
        for plugin in self.specs {
            self.clear_artifacts(&plugin.name)?;
        }
        let mut artifacts = Vec::new();
        for ((plugin, relative, media_type, digest, size), bytes) in
            record.artifacts.into_iter().zip(contents)
        {
            let path = self.write_artifact(&plugin, &relative, &bytes)?;
            artifacts.push(BuildArtifact {
                plugin,
                path,
                media_type,
                digest,
                size,
            });
        }
        Ok(Some(PluginsOutcome {
            layer,
            image: record.image,
            artifacts,
        }))
    }

    fn clear_artifacts(&self, plugin: &str) -> Result<(), BuildError> {
        // Plugin names are plain directory names (checked in the manifest).
        let dir = self.artifacts_dir.join(plugin);
        match std::fs::remove_dir_all(&dir) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(BuildError::io("remove", &dir, e))
            }
            _ => Ok(()),
        }
    }

    fn write_artifact(
        &self,
        plugin: &str,
        relative: &str,
        bytes: &[u8],
    ) -> Result<PathBuf, BuildError> {
        // `relative` stayed under the plugin's `/out` (checked by the host).
        let path = self.artifacts_dir.join(plugin).join(relative);
        if let Some(parent) = path.parent() {
            fs_err::create_dir_all(parent).map_err(|e| BuildError::io("create", parent, e))?;
        }
        crate::util::fs::write_atomic(&path, bytes)
            .map_err(|e| BuildError::io("write", &path, e))?;
        Ok(path)
    }
}

/// Runs the post-build plugins of a build, when it has any: `layer` is
/// replaced by the layer after the plugins, and their configuration changes
/// are applied to `spec`. Returns the artifacts.
pub(crate) fn post_build(
    lock: &crate::lockfile::Lockfile,
    run: &PostBuild<'_>,
    layer: &mut Layer,
    spec: &mut crate::image::ImageSpec,
    reporter: &dyn BuildReporter,
) -> Result<Vec<BuildArtifact>, BuildError> {
    if run.specs.is_empty() {
        return Ok(Vec::new());
    }
    let before = to_plugin_image(&spec.runtime, &spec.annotations);
    let request = PluginRequest {
        image: before.clone(),
        packages: crate::plugin::packages_from_lock(lock),
        build: crate::plugin::api::BuildInfo {
            source_date_epoch: spec.epoch,
            staves_version: env!("CARGO_PKG_VERSION").to_owned(),
            arch: spec.architecture.clone(),
            extra: BTreeMap::new(),
        },
    };
    let outcome = run.run(layer, request, reporter)?;
    apply_image(
        &before,
        &outcome.image,
        &mut spec.runtime,
        &mut spec.annotations,
    )
    .map_err(super::super::Error::from)?;
    *layer = outcome.layer;
    Ok(outcome.artifacts)
}

/// The lock text the rootfs cache key uses: without `[[plugin]]` rows, so a
/// changed plugin re-runs only the plugins (the same text as the lock when
/// there are no plugins).
pub(crate) fn lock_text_without_plugins(lock: &crate::lockfile::Lockfile) -> String {
    crate::lockfile::to_toml(&crate::lockfile::Lockfile {
        plugins: Vec::new(),
        ..lock.clone()
    })
}

/// The default artifacts directory: `target/staves/artifacts/<image name>`
/// next to `staves.toml`.
pub(crate) fn default_artifacts_dir(ctx: &super::Context, name: &str) -> PathBuf {
    ctx.manifest_path
        .parent()
        .unwrap_or(Path::new("."))
        .join("target/staves/artifacts")
        .join(name.replace('/', "-"))
}

/// The image configuration a build writes, as plugins see it.
pub(crate) fn to_plugin_image(
    runtime: &RuntimeConfig,
    annotations: &BTreeMap<String, String>,
) -> ImageConfig {
    ImageConfig {
        user: runtime.user.clone(),
        working_dir: runtime.working_dir.clone(),
        entrypoint: runtime.entrypoint.clone().unwrap_or_default(),
        cmd: runtime.cmd.clone().unwrap_or_default(),
        env: runtime
            .env
            .iter()
            .map(|e| match e.split_once('=') {
                Some((k, v)) => (k.to_owned(), v.to_owned()),
                None => (e.clone(), String::new()),
            })
            .collect(),
        labels: runtime.labels.clone(),
        annotations: annotations.clone(),
        exposed_ports: runtime.exposed_ports.keys().cloned().collect(),
        volumes: Default::default(),
        stop_signal: None,
    }
}

/// Applies what the plugins changed (`before` → `after`) to the runtime
/// configuration and the annotations. Volumes and the stop signal cannot be
/// written by this version of the image writer: changing them is an error.
pub(crate) fn apply_image(
    before: &ImageConfig,
    after: &ImageConfig,
    runtime: &mut RuntimeConfig,
    annotations: &mut BTreeMap<String, String>,
) -> Result<(), PluginError> {
    if after.volumes != before.volumes || after.stop_signal != before.stop_signal {
        return Err(PluginError::Refused {
            name: "(plugins)".into(),
            what: "the image configuration".into(),
            message: "a plugin set `volumes` or `stop_signal`, which staves build cannot write yet"
                .into(),
        });
    }
    runtime.user.clone_from(&after.user);
    runtime.working_dir.clone_from(&after.working_dir);
    if after.entrypoint != before.entrypoint {
        runtime.entrypoint = Some(after.entrypoint.clone());
    }
    if after.cmd != before.cmd {
        runtime.cmd = Some(after.cmd.clone());
    }
    if after.env != before.env {
        runtime.env = after.env.iter().map(|(k, v)| format!("{k}={v}")).collect();
    }
    runtime.labels.clone_from(&after.labels);
    *annotations = after.annotations.clone();
    runtime.exposed_ports = after
        .exposed_ports
        .iter()
        .map(|p| (p.clone(), Empty {}))
        .collect();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_changes_reach_the_runtime_config() {
        let mut runtime = RuntimeConfig {
            env: vec!["PATH=/bin".into(), "A=1".into()],
            labels: BTreeMap::from([("x".into(), "1".into())]),
            entrypoint: Some(vec!["/bin/sh".into()]),
            ..RuntimeConfig::default()
        };
        let mut annotations = BTreeMap::new();
        let before = to_plugin_image(&runtime, &annotations);
        // Nothing changed: nothing moves (env keeps its order).
        apply_image(&before, &before.clone(), &mut runtime, &mut annotations).unwrap();
        assert_eq!(runtime.env, ["PATH=/bin", "A=1"]);
        let mut after = before.clone();
        after.labels.insert("org.example".into(), "2".into());
        after.env.remove("A");
        after.exposed_ports.insert("80/tcp".into());
        after.annotations.insert("a".into(), "b".into());
        apply_image(&before, &after, &mut runtime, &mut annotations).unwrap();
        assert_eq!(runtime.env, ["PATH=/bin"]);
        assert_eq!(runtime.labels["org.example"], "2");
        assert!(runtime.exposed_ports.contains_key("80/tcp"));
        assert_eq!(
            runtime.entrypoint.as_deref(),
            Some(&["/bin/sh".to_owned()][..])
        );
        assert_eq!(annotations["a"], "b");
        let mut volumes = after.clone();
        volumes.volumes.insert("/data".into());
        assert!(apply_image(&after, &volumes, &mut runtime, &mut annotations).is_err());
    }

    #[test]
    fn the_key_covers_sha_config_limits_and_the_request() {
        let spec = |config: serde_json::Value| PluginSpec {
            name: "p".into(),
            wasm_path: "p.wasm".into(),
            sha256: "a".repeat(64),
            config,
            limits: Default::default(),
        };
        let request = PluginRequest {
            image: Default::default(),
            packages: Vec::new(),
            build: crate::plugin::api::BuildInfo {
                source_date_epoch: 1,
                staves_version: "0".into(),
                arch: "amd64".into(),
                extra: BTreeMap::new(),
            },
        };
        let key = |root: &str, specs: &[PluginSpec]| key(root, specs, &request);
        let base = key("k", &[spec(serde_json::json!({}))]);
        assert_eq!(base, key("k", &[spec(serde_json::json!({}))]));
        assert_ne!(base, key("k", &[spec(serde_json::json!({"a": 1}))]));
        assert_ne!(base, key("k2", &[spec(serde_json::json!({}))]));
        let mut other = spec(serde_json::json!({}));
        other.sha256 = "b".repeat(64);
        assert_ne!(base, key("k", &[other]));
        let mut limited = spec(serde_json::json!({}));
        limited.limits.fuel = 1;
        assert_ne!(base, key("k", &[limited]));
        // A new command or tag changes what the plugins see.
        let mut retagged = request.clone();
        retagged
            .image
            .labels
            .insert("org.opencontainers.image.version".into(), "v2".into());
        let specs = [spec(serde_json::json!({}))];
        assert_ne!(base, super::key("k", &specs, &retagged));
    }
}
