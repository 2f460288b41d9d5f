//! Image metadata from the manifest, and where a built image goes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use crate::builder::Engine;
use crate::image::oci::{Empty, RuntimeConfig};
use crate::image::{
    BlobStore, Image, ImageRef, PushOptions, PushReport, push, write_archive, write_layout,
};
use crate::manifest::Manifest;

use super::error::BuildError;

/// Where an image is written (`--output`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutputTarget {
    /// `oci:DIR`: an OCI image layout directory.
    Oci(PathBuf),
    /// `docker-archive:FILE`: a tar for `docker load` (also an OCI layout).
    DockerArchive(PathBuf),
}

impl FromStr for OutputTarget {
    type Err = BuildError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (kind, path) = s
            .split_once(':')
            .ok_or_else(|| BuildError::InvalidOutput(s.to_owned()))?;
        if path.is_empty() {
            return Err(BuildError::InvalidOutput(s.to_owned()));
        }
        match kind {
            "oci" => Ok(OutputTarget::Oci(PathBuf::from(path))),
            "docker-archive" => Ok(OutputTarget::DockerArchive(PathBuf::from(path))),
            _ => Err(BuildError::InvalidOutput(s.to_owned())),
        }
    }
}

/// The label holding the lock's checksum.
pub const LOCK_CHECKSUM_LABEL: &str = "io.staves.lock.checksum";

/// The image's runtime config and labels: `command` as the entrypoint,
/// `[image]` env/user/workdir/ports, labels from `[annotations]` and
/// `[image].labels`, plus `org.opencontainers.image.{title,version,created}`
/// and the lock checksum (manifest labels win on a conflict).
pub(crate) fn runtime_config(
    manifest: &Manifest,
    tag: &str,
    epoch: u64,
    lock_checksum: &str,
) -> RuntimeConfig {
    let mut labels = BTreeMap::from([
        (
            "org.opencontainers.image.title".to_owned(),
            manifest.name.get_ref().clone(),
        ),
        (
            "org.opencontainers.image.version".to_owned(),
            tag.to_owned(),
        ),
        (
            "org.opencontainers.image.created".to_owned(),
            crate::image::oci::rfc3339(epoch),
        ),
        (LOCK_CHECKSUM_LABEL.to_owned(), lock_checksum.to_owned()),
    ]);
    labels.extend(manifest.labels());
    RuntimeConfig {
        user: manifest.image.user.clone(),
        exposed_ports: manifest
            .image
            .exposed_ports()
            .iter()
            .map(|p| (p.to_string(), Empty {}))
            .collect(),
        env: manifest
            .image
            .env
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect(),
        entrypoint: manifest.command.as_ref().map(|c| c.argv()),
        cmd: None,
        working_dir: manifest.image.workdir.clone(),
        labels,
    }
}

/// What happened to the built image.
#[derive(Debug, Clone, Default)]
pub struct Delivered {
    /// Loaded into the engine as this reference (`None`: not loaded).
    pub loaded: Option<String>,
    /// Whether the engine already had the image under that tag (no load).
    pub already_loaded: bool,
    /// Written outputs.
    pub written: Vec<OutputTarget>,
    /// The push, if any: reference and report.
    pub pushed: Option<(ImageRef, PushReport)>,
}

/// Loads `image` into the engine as `reference`, unless the engine already
/// has exactly this image (same id) under that name. Returns whether it
/// was loaded.
pub(crate) fn load(
    engine: &Engine,
    image: &Image,
    store: &BlobStore,
    reference: &ImageRef,
    scratch: &Path,
) -> Result<bool, BuildError> {
    let name = reference.familiar();
    if let Some(info) = engine.inspect_image(&name)?
        && info.id == image.id().to_string()
    {
        return Ok(false);
    }
    let archive = scratch.join("load.tar");
    write_archive(image, store, reference, &archive)?;
    engine.load_image(&archive)?;
    let _ = std::fs::remove_file(&archive);
    Ok(true)
}

/// Writes one `--output`.
pub(crate) fn write_output(
    target: &OutputTarget,
    image: &Image,
    store: &BlobStore,
    reference: &ImageRef,
) -> Result<(), BuildError> {
    match target {
        OutputTarget::Oci(dir) => write_layout(image, store, reference, dir)?,
        OutputTarget::DockerArchive(file) => write_archive(image, store, reference, file)?,
    }
    Ok(())
}

/// Pushes the image to `reference` (credentials from the Docker config).
pub(crate) fn push_image(
    image: &Image,
    store: &BlobStore,
    reference: &ImageRef,
) -> Result<PushReport, BuildError> {
    Ok(push(image, store, reference, &PushOptions::default())?)
}

/// `--push REF`: a full reference; without a tag of its own it gets `tag`.
pub(crate) fn push_reference(text: &str, tag: &str) -> Result<ImageRef, BuildError> {
    let mut reference: ImageRef = text.parse()?;
    let last = text.rsplit('/').next().unwrap_or(text);
    if !last.contains(':') {
        reference.tag = tag.to_owned();
    }
    Ok(reference)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_outputs() {
        assert_eq!(
            "oci:out/dir".parse::<OutputTarget>().unwrap(),
            OutputTarget::Oci("out/dir".into())
        );
        assert_eq!(
            "docker-archive:/tmp/x.tar".parse::<OutputTarget>().unwrap(),
            OutputTarget::DockerArchive("/tmp/x.tar".into())
        );
        for bad in ["oci:", "tar:/x", "dir"] {
            let err = bad.parse::<OutputTarget>().unwrap_err();
            assert!(err.to_string().contains("use `oci:DIR`"), "{err}");
        }
    }

    #[test]
    fn push_reference_takes_the_build_tag_when_it_has_none() {
        let r = push_reference("127.0.0.1:5000/demo/app", "1.0").unwrap();
        assert_eq!(r.to_string(), "127.0.0.1:5000/demo/app:1.0");
        let r = push_reference("127.0.0.1:5000/demo/app:edge", "1.0").unwrap();
        assert_eq!(r.tag, "edge");
    }

    #[test]
    fn runtime_config_from_the_manifest() {
        let manifest = Manifest::from_str_at(
            "name = \"demo\"\ncommand = [\"/usr/bin/hello\", \"-v\"]\n[image]\nuser = \"1000\"\nenv = { LANG = \"C.UTF-8\" }\nlabels = { \"org.opencontainers.image.title\" = \"Demo\" }\n",
            Path::new("staves.toml"),
        )
        .unwrap();
        let config = runtime_config(&manifest, "1.0", 0, "sha256:ab");
        assert_eq!(config.entrypoint.unwrap(), ["/usr/bin/hello", "-v"]);
        assert_eq!(config.env, ["LANG=C.UTF-8"]);
        assert_eq!(config.user.as_deref(), Some("1000"));
        assert_eq!(config.labels["org.opencontainers.image.title"], "Demo");
        assert_eq!(config.labels["org.opencontainers.image.version"], "1.0");
        assert_eq!(
            config.labels["org.opencontainers.image.created"],
            "1970-01-01T00:00:00Z"
        );
        assert_eq!(config.labels[LOCK_CHECKSUM_LABEL], "sha256:ab");
    }
}
