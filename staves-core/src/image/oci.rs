//! OCI image-spec documents (descriptor, image config, manifest, index) as
//! plain serde types, and their canonical JSON encoding.
//!
//! Maps are `BTreeMap`s and [`canonical_json`] re-sorts every object's keys
//! itself (independent of serde_json's `preserve_order` feature), writes no
//! whitespace and escapes strings the serde_json way, so the same document
//! always gives the same bytes and digest.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::digest::Digest;

/// OCI media types Staves writes or reads.
pub mod media_types {
    /// Image index.
    pub const INDEX: &str = "application/vnd.oci.image.index.v1+json";
    /// Image manifest.
    pub const MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
    /// Image config.
    pub const CONFIG: &str = "application/vnd.oci.image.config.v1+json";
    /// Uncompressed layer.
    pub const LAYER_TAR: &str = "application/vnd.oci.image.layer.v1.tar";
    /// gzip layer.
    pub const LAYER_GZIP: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
    /// zstd layer.
    pub const LAYER_ZSTD: &str = "application/vnd.oci.image.layer.v1.tar+zstd";
    /// Docker schema 2 manifest (accepted when reading back).
    pub const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
}

/// Annotation keys.
pub mod annotations {
    /// Tag of a manifest inside an OCI layout's `index.json`.
    pub const REF_NAME: &str = "org.opencontainers.image.ref.name";
    /// Full image reference, read by containerd's importer.
    pub const CONTAINERD_IMAGE_NAME: &str = "io.containerd.image.name";
    /// Creation time (RFC 3339).
    pub const CREATED: &str = "org.opencontainers.image.created";
    /// Compressor identity of the image's layers.
    pub const STAVES_COMPRESSOR: &str = "io.staves.layer.compressor";
    /// `SOURCE_DATE_EPOCH` the image was built with.
    pub const STAVES_EPOCH: &str = "io.staves.source-date-epoch";
}

/// A content descriptor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    /// Media type of the referenced content.
    pub media_type: String,
    /// Digest of the referenced content.
    pub digest: Digest,
    /// Size in bytes.
    pub size: u64,
    /// Annotations (e.g. `org.opencontainers.image.ref.name` in an index).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// Platform (only meaningful inside an index).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub platform: Option<Platform>,
}

impl Descriptor {
    /// A descriptor without annotations or platform.
    pub fn new(media_type: &str, digest: Digest, size: u64) -> Self {
        Self {
            media_type: media_type.to_owned(),
            digest,
            size,
            annotations: BTreeMap::new(),
            platform: None,
        }
    }
}

/// Platform of an image (Go architecture names: `amd64`, `arm64`, …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Platform {
    /// CPU architecture.
    pub architecture: String,
    /// Operating system (`linux`).
    pub os: String,
    /// CPU variant (`v7`, `v8`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
}

/// An empty JSON object (`{}`), the value type of `ExposedPorts`/`Volumes`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Empty {}

/// The runtime part of an image config (`config` key; Docker's field names).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RuntimeConfig {
    /// `name`, `uid`, `uid:gid` or `name:group`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Keys like `8080/tcp`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub exposed_ports: BTreeMap<String, Empty>,
    /// `KEY=value` entries.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<String>,
    /// Entrypoint argv.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entrypoint: Option<Vec<String>>,
    /// Default arguments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cmd: Option<Vec<String>>,
    /// Working directory.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub working_dir: Option<String>,
    /// Labels.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
}

/// `rootfs` of an image config.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RootFs {
    /// Always `layers`.
    #[serde(rename = "type")]
    pub kind: String,
    /// sha256 of each uncompressed layer tar, base layer first.
    pub diff_ids: Vec<Digest>,
}

/// One `history` entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct History {
    /// RFC 3339 time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// What created the layer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_by: Option<String>,
    /// Free text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment: Option<String>,
    /// True for entries without a layer (Staves writes none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub empty_layer: Option<bool>,
}

/// An image config (`application/vnd.oci.image.config.v1+json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageConfig {
    /// Creation time (RFC 3339), the build's epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    /// CPU architecture.
    pub architecture: String,
    /// Operating system.
    pub os: String,
    /// CPU variant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    /// Runtime defaults.
    pub config: RuntimeConfig,
    /// Layer diff_ids.
    pub rootfs: RootFs,
    /// One entry per layer.
    pub history: Vec<History>,
}

/// An image manifest (`application/vnd.oci.image.manifest.v1+json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Manifest {
    /// Always 2.
    pub schema_version: u32,
    /// The manifest media type.
    pub media_type: String,
    /// The config blob.
    pub config: Descriptor,
    /// Layer blobs, base first.
    pub layers: Vec<Descriptor>,
    /// Manifest annotations (`org.opencontainers.image.*`, `io.staves.*`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

/// An image index (`application/vnd.oci.image.index.v1+json`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Index {
    /// Always 2.
    pub schema_version: u32,
    /// The index media type.
    pub media_type: String,
    /// Manifests.
    pub manifests: Vec<Descriptor>,
    /// Index annotations.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
}

impl Index {
    /// An index of the given manifests.
    pub fn new(manifests: Vec<Descriptor>) -> Self {
        Self {
            schema_version: 2,
            media_type: media_types::INDEX.to_owned(),
            manifests,
            annotations: BTreeMap::new(),
        }
    }
}

/// Encodes `value` as canonical JSON: object keys sorted by their UTF-8
/// bytes at every level, no insignificant whitespace.
pub fn canonical_json<T: Serialize>(value: &T) -> Result<Vec<u8>, serde_json::Error> {
    let value = serde_json::to_value(value)?;
    let mut out = Vec::new();
    write_canonical(&value, &mut out)?;
    Ok(out)
}

fn write_canonical(value: &Value, out: &mut Vec<u8>) -> Result<(), serde_json::Error> {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push(b'{');
            for (i, (key, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                serde_json::to_writer(&mut *out, key)?;
                out.push(b':');
                write_canonical(v, out)?;
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_canonical(v, out)?;
            }
            out.push(b']');
        }
        scalar => serde_json::to_writer(&mut *out, scalar)?,
    }
    Ok(())
}

/// Formats Unix seconds as RFC 3339 UTC (`1970-01-01T00:00:00Z`).
pub fn rfc3339(epoch: u64) -> String {
    let days = epoch / 86_400;
    let secs = epoch % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian
/// (Howard Hinnant's `civil_from_days`, for non-negative day counts).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + u64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_known_values() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(rfc3339(4_107_542_399), "2100-02-28T23:59:59Z");
    }

    #[test]
    fn canonical_json_sorts_keys_at_every_level_without_whitespace() {
        let v = serde_json::json!({"b": 1, "a": {"z": [3, {"y": "é\n", "x": null}], "c": true}});
        assert_eq!(
            String::from_utf8(canonical_json(&v).unwrap()).unwrap(),
            r#"{"a":{"c":true,"z":[3,{"x":null,"y":"é\n"}]},"b":1}"#
        );
    }

    fn sample_config() -> ImageConfig {
        let mut labels = BTreeMap::new();
        for i in 0..50 {
            labels.insert(format!("label.{i}"), format!("value {i}"));
        }
        ImageConfig {
            created: Some(rfc3339(0)),
            architecture: "amd64".into(),
            os: "linux".into(),
            variant: None,
            config: RuntimeConfig {
                user: Some("250:250".into()),
                exposed_ports: [("8080/tcp".to_owned(), Empty {})].into(),
                env: vec!["PATH=/usr/bin:/bin".into()],
                entrypoint: Some(vec!["/bin/sh".into()]),
                cmd: None,
                working_dir: Some("/".into()),
                labels,
            },
            rootfs: RootFs {
                kind: "layers".into(),
                diff_ids: vec![Digest::of(b"layer")],
            },
            history: vec![History {
                created: Some(rfc3339(0)),
                created_by: Some("staves build".into()),
                ..History::default()
            }],
        }
    }

    #[test]
    fn config_encoding_is_stable_and_round_trips() {
        let a = canonical_json(&sample_config()).unwrap();
        for _ in 0..5 {
            assert_eq!(canonical_json(&sample_config()).unwrap(), a);
        }
        let text = String::from_utf8(a.clone()).unwrap();
        assert!(
            text.starts_with(
                r#"{"architecture":"amd64","config":{"Entrypoint":["/bin/sh"],"Env":"#
            )
        );
        assert!(text.contains(r#""ExposedPorts":{"8080/tcp":{}}"#));
        assert!(text.contains(r#""rootfs":{"diff_ids":["sha256:"#));
        let back: ImageConfig = serde_json::from_slice(&a).unwrap();
        assert_eq!(back, sample_config());
    }

    #[test]
    fn manifest_field_names_follow_the_spec() {
        let m = Manifest {
            schema_version: 2,
            media_type: media_types::MANIFEST.into(),
            config: Descriptor::new(media_types::CONFIG, Digest::of(b"c"), 1),
            layers: vec![Descriptor::new(
                media_types::LAYER_ZSTD,
                Digest::of(b"l"),
                2,
            )],
            annotations: [(annotations::CREATED.to_owned(), rfc3339(0))].into(),
        };
        let text = String::from_utf8(canonical_json(&m).unwrap()).unwrap();
        assert!(text.starts_with(r#"{"annotations":{"org.opencontainers.image.created":"1970-01-01T00:00:00Z"},"config":{"digest":"sha256:"#));
        assert!(text.contains(
            r#""mediaType":"application/vnd.oci.image.manifest.v1+json","schemaVersion":2}"#
        ));
        assert!(!text.contains("platform"));
    }
}
