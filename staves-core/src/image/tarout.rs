//! The normalised tar writer and the two-thread layer pipeline shared by
//! [`build_layer`](super::layer::build_layer) and
//! [`layer_from_tar`](super::layer::layer_from_tar).
//!
//! Header rules (the layer's reproducibility contract; changing any of them
//! changes every image digest):
//! - GNU headers (`tar::Header::new_gnu`); names and link targets longer than
//!   the 100-byte fields go into GNU `K` (link, written first) and `L` (name)
//!   records named `././@LongLink`, mode 0644, ids 0, mtime 0;
//! - directories end in `/`, no `./` prefix, the root itself is not stored;
//! - numeric uid/gid, empty uname/gname, `mode & 07777`, `mtime =
//!   min(mtime, epoch)` (negative times become 0), no atime/ctime;
//! - xattrs as one PAX `x` record before the entry holding
//!   `SCHILY.xattr.<name>` keys sorted by name, `security.selinux` dropped;
//! - link targets are stored byte-exact (no path normalisation).
//!
//! Pipeline: the caller's thread walks and writes the tar (hashing it for the
//! diff_id) into 256 KiB chunks sent over a bounded channel; a second thread
//! compresses, hashes the compressed stream and writes the blob file. Memory
//! use is bounded by the channel (a few MiB), whatever the layer size.

use std::ffi::OsStr;
use std::io::{self, BufWriter, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use sha2::{Digest as _, Sha256};
use tar::{EntryType, Header};

use super::compress::Compression;
use super::digest::{BlobStore, Digest, HashWriter};
use super::layer::{Layer, LayerError};

const CHUNK: usize = 256 * 1024;
const CHANNEL_DEPTH: usize = 8;
const NAME_FIELD: usize = 100;

/// Extended attribute that is never stored (host labelling, not image data).
const DROPPED_XATTRS: &[&str] = &["security.selinux"];

/// Metadata common to every entry.
#[derive(Debug, Clone, Default)]
pub(crate) struct Meta {
    pub(crate) mode: u32,
    pub(crate) uid: u64,
    pub(crate) gid: u64,
    pub(crate) mtime: i64,
    /// `(name, value)`, any order; sorted and filtered on output.
    pub(crate) xattrs: Vec<(String, Vec<u8>)>,
}

/// What kind of entry to write.
pub(crate) enum Kind<'a> {
    Dir,
    File { size: u64, data: &'a mut dyn Read },
    Symlink(&'a [u8]),
    HardLink(&'a [u8]),
    Char { major: u32, minor: u32 },
    Block { major: u32, minor: u32 },
    Fifo,
}

/// Writes normalised entries into the layer tar.
pub(crate) struct Emitter {
    builder: tar::Builder<BufWriter<ChunkSink>>,
    epoch: u64,
    entries: u64,
}

impl Emitter {
    /// Writes one entry at `path` (relative, `/`-separated, no trailing `/`).
    pub(crate) fn emit(&mut self, path: &[u8], meta: &Meta, kind: Kind<'_>) -> io::Result<()> {
        let mut header = Header::new_gnu();
        header.set_mode(meta.mode & 0o7777);
        header.set_uid(meta.uid);
        header.set_gid(meta.gid);
        let mtime = u64::try_from(meta.mtime).unwrap_or(0).min(self.epoch);
        header.set_mtime(mtime);
        header.set_size(0);

        let mut xattrs: Vec<(String, &[u8])> = meta
            .xattrs
            .iter()
            .filter(|(name, _)| !DROPPED_XATTRS.contains(&name.as_str()))
            .map(|(name, value)| (format!("SCHILY.xattr.{name}"), value.as_slice()))
            .collect();
        if !xattrs.is_empty() {
            xattrs.sort();
            self.builder
                .append_pax_extensions(xattrs.iter().map(|(k, v)| (k.as_str(), *v)))?;
        }

        let mut dir_path;
        let path_os = match kind {
            Kind::Dir => {
                dir_path = path.to_vec();
                dir_path.push(b'/');
                OsStr::from_bytes(&dir_path)
            }
            _ => OsStr::from_bytes(path),
        };
        let path = Path::new(path_os);
        match kind {
            Kind::Dir => {
                header.set_entry_type(EntryType::Directory);
                self.builder.append_data(&mut header, path, io::empty())?;
            }
            Kind::File { size, data } => {
                header.set_entry_type(EntryType::Regular);
                header.set_size(size);
                let mut exact = ExactReader {
                    inner: data,
                    remaining: size,
                };
                self.builder.append_data(&mut header, path, &mut exact)?;
            }
            Kind::Symlink(target) | Kind::HardLink(target) => {
                let ty = if matches!(kind, Kind::Symlink(_)) {
                    EntryType::Symlink
                } else {
                    EntryType::Link
                };
                header.set_entry_type(ty);
                if target.len() > NAME_FIELD {
                    self.append_long_record(b'K', target)?;
                    header.set_link_name_literal(&target[..NAME_FIELD])?;
                } else {
                    header.set_link_name_literal(target)?;
                }
                self.builder.append_data(&mut header, path, io::empty())?;
            }
            Kind::Char { major, minor } | Kind::Block { major, minor } => {
                let ty = if matches!(kind, Kind::Char { .. }) {
                    EntryType::Char
                } else {
                    EntryType::Block
                };
                header.set_entry_type(ty);
                header.set_device_major(major)?;
                header.set_device_minor(minor)?;
                self.builder.append_data(&mut header, path, io::empty())?;
            }
            Kind::Fifo => {
                header.set_entry_type(EntryType::Fifo);
                self.builder.append_data(&mut header, path, io::empty())?;
            }
        }
        self.entries += 1;
        Ok(())
    }

    /// A GNU long-name/long-link record, formatted like the tar crate's own.
    fn append_long_record(&mut self, kind: u8, value: &[u8]) -> io::Result<()> {
        let mut header = Header::new_gnu();
        let name = b"././@LongLink";
        if let Some(gnu) = header.as_gnu_mut() {
            gnu.name[..name.len()].copy_from_slice(name);
        }
        header.set_mode(0o644);
        header.set_uid(0);
        header.set_gid(0);
        header.set_mtime(0);
        header.set_size(value.len() as u64 + 1);
        header.set_entry_type(EntryType::new(kind));
        header.set_cksum();
        self.builder.append(&header, value.chain(&[0u8][..]))
    }
}

/// Reads exactly `remaining` bytes or fails (a file that shrank while being
/// read would otherwise corrupt the archive).
struct ExactReader<'a> {
    inner: &'a mut dyn Read,
    remaining: u64,
}

impl Read for ExactReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.remaining == 0 {
            return Ok(0);
        }
        let max = buf
            .len()
            .min(usize::try_from(self.remaining).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..max])?;
        if n == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "file ended {} bytes early (did it change while the layer was built?)",
                    self.remaining
                ),
            ));
        }
        self.remaining -= n as u64;
        Ok(n)
    }
}

/// The producer end: hashes the tar and ships it in chunks to the compressor.
struct ChunkSink {
    tx: SyncSender<Vec<u8>>,
    hasher: Sha256,
    size: u64,
}

impl Write for ChunkSink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.hasher.update(buf);
        self.size += buf.len() as u64;
        self.tx
            .send(buf.to_vec())
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "layer compressor stopped"))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Output of the compressor thread.
type Compressed = (tempfile::NamedTempFile, Digest, u64);

fn compress_thread(
    rx: Receiver<Vec<u8>>,
    store: &BlobStore,
    compression: Compression,
) -> io::Result<Compressed> {
    let tmp = store.temp_file()?;
    let file = tmp.reopen()?;
    let out = HashWriter::new(BufWriter::with_capacity(CHUNK, file));
    let mut enc = compression.encoder(out)?;
    for chunk in rx {
        enc.write_all(&chunk)?;
    }
    let out = enc.finish()?;
    let (mut file, digest, size) = out.finish();
    file.flush()?;
    Ok((tmp, digest, size))
}

/// Runs `produce` against an [`Emitter`] and stores the resulting layer blob.
pub(crate) fn run_pipeline(
    store: &BlobStore,
    compression: Compression,
    epoch: u64,
    produce: impl FnOnce(&mut Emitter) -> Result<(), LayerError>,
) -> Result<Layer, LayerError> {
    let (tx, rx) = sync_channel::<Vec<u8>>(CHANNEL_DEPTH);
    let worker_store = store.clone();
    let worker = std::thread::Builder::new()
        .name("staves-layer-compress".to_owned())
        .spawn(move || compress_thread(rx, &worker_store, compression))
        .map_err(|source| LayerError::Output {
            dir: store.dir().to_owned(),
            source,
        })?;

    let sink = ChunkSink {
        tx,
        hasher: Sha256::new(),
        size: 0,
    };
    let mut emitter = Emitter {
        builder: tar::Builder::new(BufWriter::with_capacity(CHUNK, sink)),
        epoch,
        entries: 0,
    };
    let produced = produce(&mut emitter);
    let Emitter {
        builder, entries, ..
    } = emitter;
    let output_error = |source| LayerError::Output {
        dir: store.dir().to_owned(),
        source,
    };
    let finished = produced.and_then(|()| {
        builder
            .into_inner()
            .and_then(|w| w.into_inner().map_err(|e| e.into_error()))
            .map_err(output_error)
    });
    // On every path the sender is gone once `finished` is unpacked, so the
    // worker sees the end of the stream and can be joined.
    let (sink, produce_error) = match finished {
        Ok(sink) => (Some(sink), None),
        Err(e) => (None, Some(e)),
    };
    let tar_digest = sink.map(|ChunkSink { hasher, size, .. }| (hasher, size));
    let worker_result = worker
        .join()
        .map_err(|_| output_error(io::Error::other("layer compressor thread panicked")))
        .and_then(|r| r.map_err(output_error));
    let (tmp, digest, compressed_size) = match (worker_result, produce_error) {
        // The compressor's own failure explains a producer's broken pipe.
        (Err(e), _) => return Err(e),
        (Ok(_), Some(e)) => return Err(e),
        (Ok(v), None) => v,
    };
    let Some((hasher, size)) = tar_digest else {
        return Err(output_error(io::Error::other("layer tar was not finished")));
    };
    let diff_id = Digest::from_hasher(hasher);
    store.persist(tmp, &digest).map_err(output_error)?;
    Ok(Layer {
        digest,
        size: compressed_size,
        diff_id,
        uncompressed_size: size,
        media_type: compression.media_type().to_owned(),
        compressor: compression.identity(),
        entries,
    })
}
