//! The "dual" image archive: one tar holding an OCI image layout *and* a
//! Docker `manifest.json`.
//!
//! Docker's classic image store (every Docker 20.10–24 engine, and later
//! ones not switched to the containerd store) loads only archives with a
//! `manifest.json`; the containerd store and Podman read `index.json`. The
//! same tar serves both, and is what Staves writes for `docker-archive:FILE`
//! outputs too (Docker ≥ 25's own `docker save` writes this very shape).
//! `manifest.json`'s `Config` and `Layers` point at `blobs/sha256/<hex>`;
//! `docker load` detects gzip itself. It does **not** read zstd layers on
//! Docker 20.10, neither here nor when pulling (measured: "archive/tar:
//! invalid tar header"), so archives
//! meant for loading into an engine should be built with
//! [`Compression::None`](super::Compression::None) (fastest; local loads
//! need no compression) or gzip. The image ID engines show is the config
//! digest, which depends only on the diff_ids, so it is the same whichever
//! compression the archive uses.
//!
//! Entry order and headers are fixed (mode 0644/0755, uid/gid 0, mtime =
//! the image's epoch), so the archive bytes are reproducible too.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::assemble::Image;
use super::digest::{BlobStore, Digest};
use super::layout::{OCI_LAYOUT, index_for};
use super::oci::canonical_json;
use super::reference::ImageRef;

/// Why an archive could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ArchiveError {
    /// Writing the archive failed.
    #[error("cannot write the image archive `{path}`: {source}")]
    Io {
        /// The archive (or `-` for a stream).
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// A blob the image needs is missing from the store (or has the wrong size).
    #[error("blob {digest} is missing or damaged in the blob store `{store}`; rebuild the image")]
    MissingBlob {
        /// The missing blob.
        digest: Digest,
        /// The store directory.
        store: PathBuf,
    },
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct DockerManifestEntry {
    config: String,
    repo_tags: Vec<String>,
    layers: Vec<String>,
}

fn blob_path(digest: &Digest) -> String {
    format!("blobs/sha256/{}", digest.hex())
}

/// Writes the dual archive for `image` to the file `dest` (atomically:
/// temporary file in the same directory, then rename).
pub fn write_archive(
    image: &Image,
    store: &BlobStore,
    reference: &ImageRef,
    dest: &Path,
) -> Result<(), ArchiveError> {
    let io_err = |source| ArchiveError::Io {
        path: dest.to_owned(),
        source,
    };
    let dir = match dest.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    let tmp = tempfile::Builder::new()
        .prefix(".staves-archive-")
        .tempfile_in(&dir)
        .map_err(io_err)?;
    let mut out = BufWriter::with_capacity(256 * 1024, tmp.reopen().map_err(io_err)?);
    archive_to_writer(image, store, reference, &mut out).map_err(|e| match e {
        ArchiveError::Io { source, .. } => io_err(source),
        other => other,
    })?;
    out.flush().map_err(io_err)?;
    drop(out);
    tmp.as_file().sync_data().map_err(io_err)?;
    tmp.persist(dest).map_err(|e| io_err(e.error))?;
    Ok(())
}

/// Streams the dual archive for `image` into `writer` (e.g. the body of an
/// engine's image-load request).
pub fn archive_to_writer<W: Write>(
    image: &Image,
    store: &BlobStore,
    reference: &ImageRef,
    writer: W,
) -> Result<(), ArchiveError> {
    let io_err = |source| ArchiveError::Io {
        path: PathBuf::from("-"),
        source,
    };
    for desc in image.blobs() {
        if !store.contains(&desc.digest) {
            return Err(ArchiveError::MissingBlob {
                digest: desc.digest.clone(),
                store: store.dir().to_owned(),
            });
        }
    }
    let epoch = image
        .manifest
        .annotations
        .get(super::oci::annotations::STAVES_EPOCH)
        .and_then(|e| e.parse::<u64>().ok())
        .unwrap_or(0);
    let docker_manifest = vec![DockerManifestEntry {
        config: blob_path(&image.manifest.config.digest),
        repo_tags: vec![reference.familiar()],
        layers: image
            .manifest
            .layers
            .iter()
            .map(|l| blob_path(&l.digest))
            .collect(),
    }];
    let json_err = |e| io_err(io::Error::other(e));
    let index = canonical_json(&index_for(image, reference)).map_err(json_err)?;
    let manifest_json = canonical_json(&docker_manifest).map_err(json_err)?;

    let mut tar = tar::Builder::new(writer);
    let mut add = |path: &str, size: u64, data: &mut dyn io::Read, dir: bool| {
        let mut h = tar::Header::new_gnu();
        h.set_mode(if dir { 0o755 } else { 0o644 });
        h.set_uid(0);
        h.set_gid(0);
        h.set_mtime(epoch);
        h.set_size(size);
        h.set_entry_type(if dir {
            tar::EntryType::Directory
        } else {
            tar::EntryType::Regular
        });
        tar.append_data(&mut h, path, data)
    };
    add(
        "oci-layout",
        OCI_LAYOUT.len() as u64,
        &mut &OCI_LAYOUT[..],
        false,
    )
    .map_err(io_err)?;
    add("index.json", index.len() as u64, &mut &index[..], false).map_err(io_err)?;
    add(
        "manifest.json",
        manifest_json.len() as u64,
        &mut &manifest_json[..],
        false,
    )
    .map_err(io_err)?;
    add("blobs/", 0, &mut io::empty(), true).map_err(io_err)?;
    add("blobs/sha256/", 0, &mut io::empty(), true).map_err(io_err)?;
    let manifest = &image.manifest_bytes;
    add(
        &blob_path(&image.manifest_descriptor.digest),
        manifest.len() as u64,
        &mut &manifest[..],
        false,
    )
    .map_err(io_err)?;
    let mut seen = std::collections::BTreeSet::new();
    for desc in image.blobs() {
        if !seen.insert(desc.digest.clone()) {
            continue;
        }
        let mut file = File::open(store.path(&desc.digest)).map_err(io_err)?;
        let len = file.metadata().map_err(io_err)?.len();
        if len != desc.size {
            return Err(ArchiveError::MissingBlob {
                digest: desc.digest.clone(),
                store: store.dir().to_owned(),
            });
        }
        add(&blob_path(&desc.digest), desc.size, &mut file, false).map_err(io_err)?;
    }
    tar.into_inner().map_err(io_err)?;
    Ok(())
}
