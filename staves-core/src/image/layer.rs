//! Reproducible layers from a root directory.
//!
//! [`build_layer`] walks a root filesystem depth-first with each directory's
//! children sorted by their raw name bytes (GNU tar's `--sort=name` order),
//! writes normalised tar headers (see [`tarout`](super::tarout) for the exact
//! rules) and streams the tar through sha256 (the `diff_id`), the compressor
//! and sha256 again into a [`BlobStore`]. The same tree gives the same bytes
//! whatever the file system's readdir order, whatever the files' atimes and
//! ctimes, and whatever mtimes newer than the epoch they carry.
//!
//! Kept: numeric uid/gid, `mode & 07777` (setuid, setgid, sticky), hard links
//! (the first path in walk order holds the data, later paths are type-`1`
//! links to it), symlinks, character and block devices, FIFOs, extended
//! attributes. Skipped: sockets (tar cannot represent them) and the root
//! directory's own entry.

use std::fs::{self, File};
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};

use std::collections::HashMap;

use super::compress::Compression;
use super::digest::{BlobStore, Digest};
use super::oci::Descriptor;
use super::tarout::{Emitter, Kind, Meta, run_pipeline};

pub use super::from_tar::{TarInput, layer_from_tar};

/// Options shared by every layer of one image.
#[derive(Debug, Clone, Copy)]
pub struct LayerOptions {
    /// `SOURCE_DATE_EPOCH` in seconds: mtimes are clamped to it.
    pub epoch: u64,
    /// How to compress the layer blob.
    pub compression: Compression,
}

/// A layer stored in a [`BlobStore`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layer {
    /// Digest of the (compressed) blob.
    pub digest: Digest,
    /// Size of the blob in bytes.
    pub size: u64,
    /// Digest of the uncompressed tar (`rootfs.diff_ids` entry).
    pub diff_id: Digest,
    /// Size of the uncompressed tar.
    pub uncompressed_size: u64,
    /// The OCI media type of the blob.
    pub media_type: String,
    /// The compressor identity (see [`Compression::identity`]).
    pub compressor: String,
    /// How many entries the tar holds (not counting long-name/PAX records).
    pub entries: u64,
}

impl Layer {
    /// The layer's descriptor for a manifest.
    pub fn descriptor(&self) -> Descriptor {
        Descriptor::new(&self.media_type, self.digest.clone(), self.size)
    }
}

/// Why a layer could not be built.
#[derive(Debug, thiserror::Error)]
pub enum LayerError {
    /// Reading something under the root directory failed.
    #[error("cannot read `{path}` while building a layer: {source}")]
    Read {
        /// The file or directory.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// The root is not a directory.
    #[error("layer root `{0}` is not a directory")]
    NotADirectory(PathBuf),
    /// Writing the layer blob failed.
    #[error("cannot write the layer blob into `{dir}`: {source}")]
    Output {
        /// The blob store directory.
        dir: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// An extended attribute name is not UTF-8 (PAX records need UTF-8 keys).
    #[error("extended attribute {name:?} of `{path}` is not UTF-8 and cannot be stored in a tar")]
    XattrName {
        /// The file carrying it.
        path: PathBuf,
        /// The name, lossily decoded.
        name: String,
    },
    /// The input tar stream could not be read.
    #[error("cannot read the input tar stream{}: {source}", entry_suffix(.entry))]
    InputTar {
        /// The entry being read, if known.
        entry: Option<String>,
        /// The underlying error.
        source: io::Error,
    },
    /// The input tar holds something a layer cannot hold.
    #[error("input tar entry `{entry}`: {message}")]
    InputEntry {
        /// The entry path.
        entry: String,
        /// What is wrong with it.
        message: String,
    },
}

fn entry_suffix(entry: &Option<String>) -> String {
    entry
        .as_ref()
        .map(|e| format!(" at entry `{e}`"))
        .unwrap_or_default()
}

/// Builds a layer from the directory `root` and stores it in `store`.
pub fn build_layer(
    root: &Path,
    store: &BlobStore,
    options: &LayerOptions,
) -> Result<Layer, LayerError> {
    let meta = fs::symlink_metadata(root).map_err(|source| LayerError::Read {
        path: root.to_owned(),
        source,
    })?;
    if !meta.is_dir() {
        return Err(LayerError::NotADirectory(root.to_owned()));
    }
    run_pipeline(store, options.compression, options.epoch, |emitter| {
        let mut walker = Walker {
            emitter,
            links: HashMap::new(),
        };
        walker.visit_dir(root, &mut Vec::new())
    })
}

struct Walker<'a> {
    emitter: &'a mut Emitter,
    /// (dev, ino) of multiply-linked non-directories → first archive path.
    links: HashMap<(u64, u64), Vec<u8>>,
}

impl Walker<'_> {
    /// Emits the children of `dir` (whose archive path is `rel`) in order.
    fn visit_dir(&mut self, dir: &Path, rel: &mut Vec<u8>) -> Result<(), LayerError> {
        let read_err = |path: &Path| {
            let path = path.to_owned();
            move |source| LayerError::Read { path, source }
        };
        let mut names = Vec::new();
        for entry in fs::read_dir(dir).map_err(read_err(dir))? {
            names.push(entry.map_err(read_err(dir))?.file_name());
        }
        names.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
        for name in names {
            let path = dir.join(&name);
            let len = rel.len();
            if !rel.is_empty() {
                rel.push(b'/');
            }
            rel.extend_from_slice(name.as_bytes());
            self.visit(&path, rel)?;
            rel.truncate(len);
        }
        Ok(())
    }

    fn visit(&mut self, path: &Path, rel: &mut Vec<u8>) -> Result<(), LayerError> {
        let read_err = |source| LayerError::Read {
            path: path.to_owned(),
            source,
        };
        let md = fs::symlink_metadata(path).map_err(read_err)?;
        let ft = md.file_type();
        if ft.is_socket() {
            return Ok(());
        }
        let meta = Meta {
            mode: md.mode(),
            uid: u64::from(md.uid()),
            gid: u64::from(md.gid()),
            mtime: md.mtime(),
            xattrs: read_xattrs(path)?,
        };
        if !ft.is_dir() && md.nlink() > 1 {
            let key = (md.dev(), md.ino());
            if let Some(first) = self.links.get(&key) {
                return self
                    .emitter
                    .emit(rel, &meta, Kind::HardLink(first))
                    .map_err(read_err);
            }
            self.links.insert(key, rel.clone());
        }
        let rdev = md.rdev();
        let (major, minor) = (rustix::fs::major(rdev), rustix::fs::minor(rdev));
        let result = if ft.is_dir() {
            self.emitter.emit(rel, &meta, Kind::Dir).map_err(read_err)?;
            return self.visit_dir(path, rel);
        } else if ft.is_file() {
            let mut file = File::open(path).map_err(read_err)?;
            let kind = Kind::File {
                size: md.len(),
                data: &mut file,
            };
            self.emitter.emit(rel, &meta, kind)
        } else if ft.is_symlink() {
            let target = fs::read_link(path).map_err(read_err)?;
            let target = target.as_os_str().as_bytes();
            self.emitter.emit(rel, &meta, Kind::Symlink(target))
        } else if ft.is_char_device() {
            self.emitter.emit(rel, &meta, Kind::Char { major, minor })
        } else if ft.is_block_device() {
            self.emitter.emit(rel, &meta, Kind::Block { major, minor })
        } else if ft.is_fifo() {
            self.emitter.emit(rel, &meta, Kind::Fifo)
        } else {
            return Ok(());
        };
        result.map_err(read_err)
    }
}

/// Reads all extended attributes of `path` (not following symlinks).
/// File systems without xattr support yield none.
fn read_xattrs(path: &Path) -> Result<Vec<(String, Vec<u8>)>, LayerError> {
    let read_err = |e: rustix::io::Errno| LayerError::Read {
        path: path.to_owned(),
        source: e.into(),
    };
    let mut names = vec![0u8; 256];
    let len = loop {
        match rustix::fs::llistxattr(path, &mut names[..]) {
            Ok(n) => break n,
            Err(rustix::io::Errno::RANGE) => {
                let needed = rustix::fs::llistxattr(path, &mut [0u8; 0][..]).map_err(read_err)?;
                names.resize(needed.max(names.len() * 2), 0);
            }
            Err(rustix::io::Errno::NOTSUP) => return Ok(Vec::new()),
            Err(e) => return Err(read_err(e)),
        }
    };
    let mut out = Vec::new();
    for name in names[..len].split(|b| *b == 0).filter(|n| !n.is_empty()) {
        let name_str = std::str::from_utf8(name).map_err(|_| LayerError::XattrName {
            path: path.to_owned(),
            name: String::from_utf8_lossy(name).into_owned(),
        })?;
        let mut value = vec![0u8; 256];
        let n = loop {
            match rustix::fs::lgetxattr(path, name_str, &mut value[..]) {
                Ok(n) => break n,
                Err(rustix::io::Errno::RANGE) => {
                    let needed = rustix::fs::lgetxattr(path, name_str, &mut [0u8; 0][..])
                        .map_err(read_err)?;
                    value.resize(needed.max(value.len() * 2), 0);
                }
                // Removed between list and get: treat as absent.
                Err(rustix::io::Errno::NODATA) => break usize::MAX,
                Err(e) => return Err(read_err(e)),
            }
        };
        if n != usize::MAX {
            value.truncate(n);
            out.push((name_str.to_owned(), value));
        }
    }
    Ok(out)
}
