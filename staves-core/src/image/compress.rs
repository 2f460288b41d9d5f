//! Layer compression: which compressor, its OCI media type, and the pinned
//! implementation identity recorded in the image.
//!
//! The compressed bytes (and so the layer digest) depend on the compressor's
//! implementation and version, not only on its level: gzip-6 of one tar gave
//! three different digests with three zlib implementations. The uncompressed
//! `diff_id` is therefore the reproducibility identity, and the compressor is
//! pinned in `Cargo.toml` (`zstd = "=0.14.4"`, `flate2 = "=1.1.11"`) and
//! recorded as an `io.staves.layer.compressor` annotation.
//!
//! zstd runs in single-threaded mode (`nbWorkers = 0`, the crate's
//! `zstdmt` feature is off). libzstd's multi-threaded mode emits different
//! bytes than its single-threaded mode (though the same bytes for 1 and 2
//! workers), so one mode must be picked for good. Single-threaded wins
//! because it also exists in every libzstd build (a library compiled without
//! thread support cannot produce the MT format at all), the measured MT gain
//! on two cores was only ~10–20 %, and the layer pipeline already overlaps
//! compression with the tree walk on a second thread.
//!
//! Compatibility: Debian 12's Docker engine (20.10.24) has no zstd
//! decompressor: pulling, loading or importing a zstd layer fails with
//! "archive/tar: invalid tar header" (measured; Docker ≥ 23, containerd and
//! Podman read zstd). Images for such engines need `gzip` (push) or `none`
//! (local load). The image ID (config digest) is the same either way.

use std::fmt;
use std::io::{self, Write};
use std::str::FromStr;

use super::oci::media_types;

/// How a layer blob is compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    /// zstd at the given level (1–19), single-threaded mode, with a content
    /// checksum. The default, at level 3.
    Zstd {
        /// Compression level.
        level: i32,
    },
    /// gzip at the given level (0–9) through flate2's zlib-rs backend;
    /// header mtime 0, no file name.
    Gzip {
        /// Compression level.
        level: u32,
    },
    /// An uncompressed tar (layer digest = diff_id).
    None,
}

/// The version of the pinned `zstd` crate (checked against `Cargo.toml` by a test).
pub const ZSTD_CRATE_VERSION: &str = "0.14.4";
/// The version of the pinned `flate2` crate (checked against `Cargo.toml` by a test).
pub const FLATE2_CRATE_VERSION: &str = "1.1.11";

impl Default for Compression {
    fn default() -> Self {
        Compression::Zstd { level: 3 }
    }
}

/// A compression name that `Compression::from_str` does not understand.
#[derive(Debug, thiserror::Error)]
#[error(
    "unknown layer compression `{0}`: use `zstd`, `zstd:<1-19>`, `gzip`, `gzip:<0-9>` or `none`"
)]
pub struct CompressionParseError(pub String);

impl FromStr for Compression {
    type Err = CompressionParseError;

    /// Parses `zstd`, `zstd:<level>`, `gzip`, `gzip:<level>` or `none`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || CompressionParseError(s.to_owned());
        let (name, level) = match s.split_once(':') {
            Some((n, l)) => (n, Some(l)),
            None => (s, None),
        };
        match (name, level) {
            ("zstd", None) => Ok(Compression::Zstd { level: 3 }),
            ("zstd", Some(l)) => match l.parse::<i32>() {
                Ok(level @ 1..=19) => Ok(Compression::Zstd { level }),
                _ => Err(err()),
            },
            ("gzip", None) => Ok(Compression::Gzip { level: 6 }),
            ("gzip", Some(l)) => match l.parse::<u32>() {
                Ok(level @ 0..=9) => Ok(Compression::Gzip { level }),
                _ => Err(err()),
            },
            ("none", None) => Ok(Compression::None),
            _ => Err(err()),
        }
    }
}

impl fmt::Display for Compression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Compression::Zstd { level } => write!(f, "zstd:{level}"),
            Compression::Gzip { level } => write!(f, "gzip:{level}"),
            Compression::None => f.write_str("none"),
        }
    }
}

impl Compression {
    /// The OCI layer media type for this compression.
    pub fn media_type(&self) -> &'static str {
        match self {
            Compression::Zstd { .. } => media_types::LAYER_ZSTD,
            Compression::Gzip { .. } => media_types::LAYER_GZIP,
            Compression::None => media_types::LAYER_TAR,
        }
    }

    /// The implementation identity (crate, version, backend, level), e.g.
    /// `zstd-rs 0.14.4 (libzstd 1.5.7) level 3 single-threaded checksum`.
    pub fn identity(&self) -> String {
        match self {
            Compression::Zstd { level } => format!(
                "zstd-rs {ZSTD_CRATE_VERSION} (libzstd {}) level {level} single-threaded checksum",
                zstd::zstd_safe::version_string()
            ),
            Compression::Gzip { level } => {
                format!("flate2 {FLATE2_CRATE_VERSION} (zlib-rs) gzip level {level}")
            }
            Compression::None => "none".to_owned(),
        }
    }

    /// Wraps `inner` in this compressor.
    pub(crate) fn encoder<W: Write>(&self, inner: W) -> io::Result<Encoder<W>> {
        Ok(match *self {
            Compression::Zstd { level } => {
                let mut enc = zstd::stream::write::Encoder::new(inner, level)?;
                enc.include_checksum(true)?;
                Encoder::Zstd(enc)
            }
            Compression::Gzip { level } => Encoder::Gzip(flate2::write::GzEncoder::new(
                inner,
                flate2::Compression::new(level),
            )),
            Compression::None => Encoder::Plain(inner),
        })
    }
}

/// A compressing writer; call [`finish`](Encoder::finish) to end the stream.
pub(crate) enum Encoder<W: Write> {
    Zstd(zstd::stream::write::Encoder<'static, W>),
    Gzip(flate2::write::GzEncoder<W>),
    Plain(W),
}

impl<W: Write> Encoder<W> {
    /// Writes the stream trailer and returns the inner writer.
    pub(crate) fn finish(self) -> io::Result<W> {
        match self {
            Encoder::Zstd(e) => e.finish(),
            Encoder::Gzip(e) => e.finish(),
            Encoder::Plain(w) => Ok(w),
        }
    }
}

impl<W: Write> Write for Encoder<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Encoder::Zstd(e) => e.write(buf),
            Encoder::Gzip(e) => e.write(buf),
            Encoder::Plain(w) => w.write(buf),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Encoder::Zstd(e) => e.flush(),
            Encoder::Gzip(e) => e.flush(),
            Encoder::Plain(w) => w.flush(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_and_display_round_trip() {
        for s in ["zstd:3", "zstd:19", "gzip:6", "gzip:0", "none"] {
            assert_eq!(s.parse::<Compression>().unwrap().to_string(), s);
        }
        assert_eq!(
            "zstd".parse::<Compression>().unwrap(),
            Compression::default()
        );
        assert_eq!(
            "gzip".parse::<Compression>().unwrap(),
            Compression::Gzip { level: 6 }
        );
        for bad in ["zstd:0", "zstd:x", "gzip:10", "brotli", "none:1", ""] {
            assert!(bad.parse::<Compression>().is_err(), "{bad}");
        }
    }

    /// The identity string must name the versions actually pinned.
    #[test]
    fn identity_versions_match_the_workspace_pins() {
        let manifest = include_str!("../../../Cargo.toml");
        assert!(
            manifest.contains(&format!("zstd = {{ version = \"={ZSTD_CRATE_VERSION}\"")),
            "update ZSTD_CRATE_VERSION with the zstd pin in Cargo.toml"
        );
        assert!(
            manifest.contains(&format!(
                "flate2 = {{ version = \"={FLATE2_CRATE_VERSION}\""
            )),
            "update FLATE2_CRATE_VERSION with the flate2 pin in Cargo.toml"
        );
        assert!(Compression::default().identity().contains("libzstd 1."));
    }

    #[test]
    fn encoders_round_trip_and_are_deterministic() {
        let data: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        for c in [
            Compression::default(),
            Compression::Gzip { level: 6 },
            Compression::None,
        ] {
            let compress = || {
                let mut e = c.encoder(Vec::new()).unwrap();
                e.write_all(&data).unwrap();
                e.finish().unwrap()
            };
            let a = compress();
            assert_eq!(a, compress(), "{c}");
            let back = match c {
                Compression::Zstd { .. } => zstd::decode_all(&a[..]).unwrap(),
                Compression::Gzip { .. } => {
                    let mut out = Vec::new();
                    io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&a[..]), &mut out)
                        .unwrap();
                    // gzip header: mtime 0 (bytes 4..8), OS 255 (byte 9)
                    assert_eq!(&a[4..8], &[0, 0, 0, 0]);
                    assert_eq!(a[9], 255);
                    out
                }
                Compression::None => a.clone(),
            };
            assert_eq!(back, data, "{c}");
        }
    }
}
