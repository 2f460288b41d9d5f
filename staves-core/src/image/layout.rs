//! OCI image layout directories (`oci-layout`, `index.json`, `blobs/`).
//!
//! The layout is written into a temporary sibling directory and then moved
//! into place: with an atomic exchange (`renameat2(RENAME_EXCHANGE)`) when a
//! previous layout is there, so readers see either the old or the new layout,
//! never a half-written one. Blobs are hard-linked from the [`BlobStore`]
//! when it is on the same file system, copied otherwise.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::assemble::Image;
use super::digest::BlobStore;
use super::oci::{Descriptor, Index, annotations, canonical_json};
use super::reference::ImageRef;

/// `oci-layout` file contents.
pub(crate) const OCI_LAYOUT: &[u8] = br#"{"imageLayoutVersion":"1.0.0"}"#;

/// Why a layout could not be written.
#[derive(Debug, thiserror::Error)]
pub enum LayoutError {
    /// A file system operation failed.
    #[error("cannot write the OCI layout `{path}`: {source}")]
    Io {
        /// The path being written.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// The destination exists and is not an OCI layout Staves may replace.
    #[error(
        "`{0}` exists and is not an OCI image layout (no `oci-layout` file); remove it or choose another output path"
    )]
    NotALayout(PathBuf),
}

fn io_err(path: &Path) -> impl Fn(io::Error) -> LayoutError + '_ {
    move |source| LayoutError::Io {
        path: path.to_owned(),
        source,
    }
}

/// The `index.json` descriptor of `image` tagged as `reference`.
pub(crate) fn index_for(image: &Image, reference: &ImageRef) -> Index {
    let mut desc: Descriptor = image.manifest_descriptor.clone();
    desc.annotations
        .insert(annotations::REF_NAME.to_owned(), reference.tag.clone());
    desc.annotations.insert(
        annotations::CONTAINERD_IMAGE_NAME.to_owned(),
        reference.to_string(),
    );
    Index::new(vec![desc])
}

/// Writes `image` (blobs from `store`) as an OCI layout at `dest`, replacing
/// an existing layout there.
pub fn write_layout(
    image: &Image,
    store: &BlobStore,
    reference: &ImageRef,
    dest: &Path,
) -> Result<(), LayoutError> {
    if dest.exists() && !dest.join("oci-layout").is_file() {
        let empty_dir = fs::read_dir(dest)
            .map(|mut d| d.next().is_none())
            .unwrap_or(false);
        if !empty_dir {
            return Err(LayoutError::NotALayout(dest.to_owned()));
        }
    }
    let parent = match dest.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    fs::create_dir_all(&parent).map_err(io_err(&parent))?;
    let tmp = tempfile::Builder::new()
        .prefix(".staves-layout-")
        .tempdir_in(&parent)
        .map_err(io_err(&parent))?;
    let root = tmp.path();
    let blobs = root.join("blobs/sha256");
    fs::create_dir_all(&blobs).map_err(io_err(&blobs))?;
    fs::write(root.join("oci-layout"), OCI_LAYOUT).map_err(io_err(root))?;
    let index = canonical_json(&index_for(image, reference))
        .map_err(|e| io_err(root)(io::Error::other(e)))?;
    fs::write(root.join("index.json"), index).map_err(io_err(root))?;
    fs::write(
        blobs.join(image.manifest_descriptor.digest.hex()),
        &image.manifest_bytes,
    )
    .map_err(io_err(&blobs))?;
    for desc in image.blobs() {
        let from = store.path(&desc.digest);
        let to = blobs.join(desc.digest.hex());
        if fs::hard_link(&from, &to).is_err() {
            fs::copy(&from, &to).map_err(io_err(&from))?;
        }
    }
    // Make the temporary directory world-readable like a normal output dir.
    set_dir_mode(root).map_err(io_err(root))?;
    replace_dir(root, dest)?;
    Ok(())
}

fn set_dir_mode(dir: &Path) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(dir, fs::Permissions::from_mode(0o755))
}

/// Moves `tmp` to `dest`; an existing `dest` is swapped out atomically and
/// removed (it ends up at `tmp`, which the caller's `TempDir` deletes).
fn replace_dir(tmp: &Path, dest: &Path) -> Result<(), LayoutError> {
    if !dest.exists() {
        return fs::rename(tmp, dest).map_err(io_err(dest));
    }
    let exchanged = rustix::fs::renameat_with(
        rustix::fs::CWD,
        tmp,
        rustix::fs::CWD,
        dest,
        rustix::fs::RenameFlags::EXCHANGE,
    );
    match exchanged {
        Ok(()) => Ok(()),
        Err(_) => {
            // File systems without RENAME_EXCHANGE: move the old one aside.
            let aside = tmp.with_extension("old");
            fs::rename(dest, &aside).map_err(io_err(dest))?;
            fs::rename(tmp, dest).map_err(io_err(dest))?;
            fs::remove_dir_all(&aside).map_err(io_err(&aside))
        }
    }
}
