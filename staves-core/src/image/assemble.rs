//! Turning layers plus an image description into stored config and manifest
//! blobs.

use std::collections::BTreeMap;
use std::io;
use std::path::PathBuf;

use super::digest::{BlobStore, Digest};
use super::layer::Layer;
use super::oci::{
    Descriptor, History, ImageConfig, Manifest, RootFs, RuntimeConfig, annotations, canonical_json,
    media_types, rfc3339,
};

/// Everything about an image except its layers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImageSpec {
    /// Go architecture name (`amd64`, `arm64`, …).
    pub architecture: String,
    /// CPU variant (`v7`, `v8`), if any.
    pub variant: Option<String>,
    /// `SOURCE_DATE_EPOCH`: the config's and history's `created`.
    pub epoch: u64,
    /// Runtime defaults (user, ports, env, entrypoint, cmd, workdir, labels).
    pub runtime: RuntimeConfig,
    /// Extra manifest annotations (`org.opencontainers.image.*`,
    /// `io.staves.*`). The config labels are copied in as well, and
    /// `created`, the epoch and the compressor identity are added.
    pub annotations: BTreeMap<String, String>,
    /// `created_by` text of each layer's history entry (by position; missing
    /// entries say `staves build`).
    pub history: Vec<String>,
}

/// A complete image whose blobs are in a [`BlobStore`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Image {
    /// The manifest document.
    pub manifest: Manifest,
    /// Its exact bytes (the ones that were hashed and must be pushed).
    pub manifest_bytes: Vec<u8>,
    /// Descriptor of the manifest (media type, digest, size).
    pub manifest_descriptor: Descriptor,
    /// The config document.
    pub config: ImageConfig,
}

impl Image {
    /// Every blob the image references: config first, then layers.
    pub fn blobs(&self) -> impl Iterator<Item = &Descriptor> {
        std::iter::once(&self.manifest.config).chain(self.manifest.layers.iter())
    }

    /// The image ID engines show: the config digest.
    pub fn id(&self) -> &Digest {
        &self.manifest.config.digest
    }
}

/// Why an image could not be assembled.
#[derive(Debug, thiserror::Error)]
pub enum AssembleError {
    /// An image needs at least one layer.
    #[error("an image needs at least one layer")]
    NoLayers,
    /// Layers were compressed differently (one compressor per image).
    #[error(
        "layers use different compressors (`{0}` and `{1}`); build all layers of an image with one compression"
    )]
    MixedCompressors(String, String),
    /// A document could not be encoded.
    #[error("cannot encode the image {what} as JSON: {source}")]
    Encode {
        /// `config` or `manifest`.
        what: &'static str,
        /// The underlying error.
        source: serde_json::Error,
    },
    /// A blob could not be stored.
    #[error("cannot store the image {what} in `{dir}`: {source}")]
    Store {
        /// `config` or `manifest`.
        what: &'static str,
        /// The blob store directory.
        dir: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
}

/// Writes the config and manifest for `layers` into `store`.
pub fn assemble(
    store: &BlobStore,
    spec: &ImageSpec,
    layers: &[Layer],
) -> Result<Image, AssembleError> {
    let first = layers.first().ok_or(AssembleError::NoLayers)?;
    if let Some(other) = layers.iter().find(|l| l.compressor != first.compressor) {
        return Err(AssembleError::MixedCompressors(
            first.compressor.clone(),
            other.compressor.clone(),
        ));
    }
    let created = rfc3339(spec.epoch);
    let history = (0..layers.len())
        .map(|i| History {
            created: Some(created.clone()),
            created_by: Some(
                spec.history
                    .get(i)
                    .cloned()
                    .unwrap_or_else(|| "staves build".to_owned()),
            ),
            ..History::default()
        })
        .collect();
    let config = ImageConfig {
        created: Some(created.clone()),
        architecture: spec.architecture.clone(),
        os: "linux".to_owned(),
        variant: spec.variant.clone(),
        config: spec.runtime.clone(),
        rootfs: RootFs {
            kind: "layers".to_owned(),
            diff_ids: layers.iter().map(|l| l.diff_id.clone()).collect(),
        },
        history,
    };
    let store_err = |what| {
        move |source| AssembleError::Store {
            what,
            dir: store.dir().to_owned(),
            source,
        }
    };
    let config_bytes = canonical_json(&config).map_err(|source| AssembleError::Encode {
        what: "config",
        source,
    })?;
    let config_digest = store
        .put_bytes(&config_bytes)
        .map_err(store_err("config"))?;

    let mut manifest_annotations = spec.runtime.labels.clone();
    manifest_annotations.extend(spec.annotations.clone());
    manifest_annotations.insert(annotations::CREATED.to_owned(), created);
    manifest_annotations.insert(annotations::STAVES_EPOCH.to_owned(), spec.epoch.to_string());
    manifest_annotations.insert(
        annotations::STAVES_COMPRESSOR.to_owned(),
        first.compressor.clone(),
    );
    let manifest = Manifest {
        schema_version: 2,
        media_type: media_types::MANIFEST.to_owned(),
        config: Descriptor::new(
            media_types::CONFIG,
            config_digest,
            config_bytes.len() as u64,
        ),
        layers: layers.iter().map(Layer::descriptor).collect(),
        annotations: manifest_annotations,
    };
    let manifest_bytes = canonical_json(&manifest).map_err(|source| AssembleError::Encode {
        what: "manifest",
        source,
    })?;
    let manifest_digest = store
        .put_bytes(&manifest_bytes)
        .map_err(store_err("manifest"))?;
    Ok(Image {
        manifest_descriptor: Descriptor::new(
            media_types::MANIFEST,
            manifest_digest,
            manifest_bytes.len() as u64,
        ),
        manifest,
        manifest_bytes,
        config,
    })
}
