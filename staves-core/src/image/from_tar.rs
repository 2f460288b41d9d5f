//! Layers from a tar stream (the rootfs as it comes out of a container
//! through the engine's archive API).
//!
//! The input's entry order, header format (GNU, ustar or PAX), user and group
//! names, atimes/ctimes and PAX extras are all discarded: entries are
//! collected (metadata in memory, file data spilled to one anonymous
//! temporary file next to the blob store), sorted into the same depth-first
//! by-name order [`build_layer`](super::layer::build_layer) uses, and written
//! with the same normalised headers. A tree and a tar of that tree therefore
//! give the same `diff_id`.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{self, BufWriter, Read, Write};
use std::os::unix::fs::FileExt;

use tar::EntryType;

use super::digest::BlobStore;
use super::layer::{Layer, LayerError, LayerOptions};
use super::tarout::{Kind, Meta, run_pipeline};

/// How to interpret an input tar stream.
#[derive(Debug, Clone, Copy, Default)]
pub struct TarInput {
    /// Leading path components to remove from every entry (and every hard
    /// link target), like GNU tar's `--strip-components`. Docker's archive
    /// API prefixes entries with the requested directory's name (`root/…`
    /// for `/staves/root`), so that case needs 1. Entries left with no
    /// component (the directory itself) are dropped.
    pub strip_components: usize,
}

/// Archive path as components, so that ordering is depth-first with
/// children sorted by raw bytes.
type Key = Vec<Vec<u8>>;

enum InKind {
    Dir,
    File { offset: u64, len: u64 },
    Symlink(Vec<u8>),
    HardLink(Key),
    Char { major: u32, minor: u32 },
    Block { major: u32, minor: u32 },
    Fifo,
}

struct InEntry {
    meta: Meta,
    kind: InKind,
}

/// Builds a layer from a tar stream and stores it in `store`.
///
/// Memory holds only entry metadata (roughly 200 bytes per entry); file data
/// goes through a temporary file in `store`'s directory.
pub fn layer_from_tar<R: Read>(
    reader: R,
    store: &BlobStore,
    options: &LayerOptions,
    input: &TarInput,
) -> Result<Layer, LayerError> {
    let spill = tempfile::tempfile_in(store.dir()).map_err(|source| LayerError::Output {
        dir: store.dir().to_owned(),
        source,
    })?;
    let mut entries = collect(reader, &spill, input)?;
    resolve_hard_links(&mut entries)?;
    run_pipeline(store, options.compression, options.epoch, |emitter| {
        for (key, entry) in &entries {
            let path = key.join(&b'/');
            let target;
            let mut data;
            let kind = match &entry.kind {
                InKind::Dir => Kind::Dir,
                InKind::File { offset, len } => {
                    data = SpillReader {
                        file: &spill,
                        offset: *offset,
                        remaining: *len,
                    };
                    Kind::File {
                        size: *len,
                        data: &mut data,
                    }
                }
                InKind::Symlink(t) => Kind::Symlink(t),
                InKind::HardLink(t) => {
                    target = t.join(&b'/');
                    Kind::HardLink(&target)
                }
                InKind::Char { major, minor } => Kind::Char {
                    major: *major,
                    minor: *minor,
                },
                InKind::Block { major, minor } => Kind::Block {
                    major: *major,
                    minor: *minor,
                },
                InKind::Fifo => Kind::Fifo,
            };
            emitter
                .emit(&path, &entry.meta, kind)
                .map_err(|source| LayerError::InputTar {
                    entry: Some(String::from_utf8_lossy(&path).into_owned()),
                    source,
                })?;
        }
        Ok(())
    })
}

fn input_err(entry: Option<&[u8]>) -> impl Fn(io::Error) -> LayerError + '_ {
    move |source| LayerError::InputTar {
        entry: entry.map(|e| String::from_utf8_lossy(e).into_owned()),
        source,
    }
}

fn entry_err(path: &[u8], message: impl Into<String>) -> LayerError {
    LayerError::InputEntry {
        entry: String::from_utf8_lossy(path).into_owned(),
        message: message.into(),
    }
}

/// Splits an archive path into components: drops empty and `.` components,
/// refuses `..`, strips the first `strip` components. `None` when nothing
/// is left.
fn normalise(path: &[u8], strip: usize) -> Result<Option<Key>, LayerError> {
    let mut parts = Vec::new();
    for part in path.split(|b| *b == b'/') {
        match part {
            b"" | b"." => {}
            b".." => return Err(entry_err(path, "path contains `..`")),
            _ => parts.push(part.to_vec()),
        }
    }
    if parts.len() <= strip {
        return Ok(None);
    }
    Ok(Some(parts.split_off(strip)))
}

fn collect<R: Read>(
    reader: R,
    spill: &File,
    input: &TarInput,
) -> Result<BTreeMap<Key, InEntry>, LayerError> {
    let mut archive = tar::Archive::new(reader);
    let mut entries = BTreeMap::new();
    let mut out = BufWriter::with_capacity(256 * 1024, spill);
    let mut offset = 0u64;
    for entry in archive.entries().map_err(input_err(None))? {
        let mut entry = entry.map_err(input_err(None))?;
        let raw_path = entry.path_bytes().into_owned();
        let err = input_err(Some(&raw_path));
        let ty = entry.header().entry_type();
        if ty.is_pax_global_extensions() {
            continue;
        }
        let Some(key) = normalise(&raw_path, input.strip_components)? else {
            continue;
        };
        let header = entry.header().clone();
        let mut meta = Meta {
            mode: header.mode().map_err(&err)?,
            uid: header.uid().map_err(&err)?,
            gid: header.gid().map_err(&err)?,
            mtime: i64::try_from(header.mtime().map_err(&err)?).unwrap_or(i64::MAX),
            xattrs: Vec::new(),
        };
        if let Some(pax) = entry.pax_extensions().map_err(&err)? {
            for ext in pax {
                let ext = ext.map_err(&err)?;
                let Ok(key) = ext.key() else { continue };
                let value = ext.value_bytes();
                let number = || {
                    std::str::from_utf8(value)
                        .ok()
                        .and_then(|v| v.split('.').next())
                        .and_then(|v| v.parse::<i64>().ok())
                };
                if let Some(name) = key.strip_prefix("SCHILY.xattr.") {
                    meta.xattrs.push((name.to_owned(), value.to_vec()));
                } else if key == "uid" {
                    meta.uid = number()
                        .and_then(|n| u64::try_from(n).ok())
                        .unwrap_or(meta.uid);
                } else if key == "gid" {
                    meta.gid = number()
                        .and_then(|n| u64::try_from(n).ok())
                        .unwrap_or(meta.gid);
                } else if key == "mtime" {
                    meta.mtime = number().unwrap_or(meta.mtime);
                }
            }
        }
        let link = || {
            entry
                .link_name_bytes()
                .map(|l| l.into_owned())
                .ok_or_else(|| entry_err(&raw_path, "link entry without a target"))
        };
        let kind = match ty {
            EntryType::Regular | EntryType::Continuous => {
                let len = io::copy(&mut entry, &mut out).map_err(&err)?;
                let kind = InKind::File { offset, len };
                offset += len;
                kind
            }
            EntryType::Directory => InKind::Dir,
            EntryType::Symlink => InKind::Symlink(link()?),
            EntryType::Link => {
                let target = link()?;
                match normalise(&target, input.strip_components)? {
                    Some(t) => InKind::HardLink(t),
                    None => {
                        return Err(entry_err(
                            &raw_path,
                            "hard link target lies outside the stripped prefix",
                        ));
                    }
                }
            }
            EntryType::Char | EntryType::Block => {
                let major = header.device_major().map_err(&err)?.unwrap_or(0);
                let minor = header.device_minor().map_err(&err)?.unwrap_or(0);
                if ty == EntryType::Char {
                    InKind::Char { major, minor }
                } else {
                    InKind::Block { major, minor }
                }
            }
            EntryType::Fifo => InKind::Fifo,
            other => {
                return Err(entry_err(
                    &raw_path,
                    format!(
                        "unsupported tar entry type `{}` (sparse files and tape volumes cannot go into a layer)",
                        char::from(other.as_byte())
                    ),
                ));
            }
        };
        entries.insert(key, InEntry { meta, kind });
    }
    out.flush().map_err(input_err(None))?;
    Ok(entries)
}

/// Makes the first path in output order of every hard-link group the one that
/// carries the data, and points the others at it.
fn resolve_hard_links(entries: &mut BTreeMap<Key, InEntry>) -> Result<(), LayerError> {
    let mut groups: HashMap<Key, Vec<Key>> = HashMap::new();
    for (key, entry) in entries.iter() {
        let InKind::HardLink(mut target) = clone_link(&entry.kind) else {
            continue;
        };
        // Follow links to links (a tar may link to an earlier link entry).
        let mut hops = 0;
        loop {
            match entries.get(&target).map(|e| &e.kind) {
                Some(InKind::File { .. }) => break,
                Some(InKind::HardLink(next)) if hops < 64 => {
                    target = next.clone();
                    hops += 1;
                }
                _ => {
                    return Err(entry_err(
                        &key.join(&b'/'),
                        format!(
                            "hard link target `{}` is not a regular file in the archive",
                            String::from_utf8_lossy(&target.join(&b'/'))
                        ),
                    ));
                }
            }
        }
        groups.entry(target).or_default().push(key.clone());
    }
    for (data_key, links) in groups {
        let first = links
            .iter()
            .min()
            .cloned()
            .unwrap_or_else(|| data_key.clone());
        let first = first.min(data_key.clone());
        for link in &links {
            if let Some(e) = entries.get_mut(link) {
                e.kind = InKind::HardLink(first.clone());
            }
        }
        if first != data_key {
            let (data_kind, data_meta) = match entries.get_mut(&data_key) {
                Some(e) => (
                    std::mem::replace(&mut e.kind, InKind::HardLink(first.clone())),
                    e.meta.clone(),
                ),
                None => continue,
            };
            if let Some(e) = entries.get_mut(&first) {
                e.kind = data_kind;
                e.meta = data_meta;
            }
        }
    }
    Ok(())
}

fn clone_link(kind: &InKind) -> InKind {
    match kind {
        InKind::HardLink(t) => InKind::HardLink(t.clone()),
        _ => InKind::Dir,
    }
}

/// Reads one file's bytes back from the spill file.
struct SpillReader<'a> {
    file: &'a File,
    offset: u64,
    remaining: u64,
}

impl Read for SpillReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let max = buf
            .len()
            .min(usize::try_from(self.remaining).unwrap_or(usize::MAX));
        if max == 0 {
            return Ok(0);
        }
        let n = self.file.read_at(&mut buf[..max], self.offset)?;
        self.offset += n as u64;
        self.remaining -= n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalise_strips_and_refuses_parent_components() {
        let k = |s: &[&str]| s.iter().map(|p| p.as_bytes().to_vec()).collect::<Key>();
        assert_eq!(normalise(b"./a//b/", 0).unwrap(), Some(k(&["a", "b"])));
        assert_eq!(normalise(b"root/a/b", 1).unwrap(), Some(k(&["a", "b"])));
        assert_eq!(normalise(b"root/", 1).unwrap(), None);
        assert_eq!(normalise(b"/abs/x", 0).unwrap(), Some(k(&["abs", "x"])));
        assert!(normalise(b"a/../b", 0).is_err());
    }

    #[test]
    fn component_order_is_depth_first_by_name() {
        let mut keys: Vec<Key> = ["a.b", "a/b", "a", "a-b", "b"]
            .iter()
            .map(|s| normalise(s.as_bytes(), 0).unwrap().unwrap())
            .collect();
        keys.sort();
        let joined: Vec<String> = keys
            .iter()
            .map(|k| String::from_utf8(k.join(&b'/')).unwrap())
            .collect();
        assert_eq!(joined, ["a", "a/b", "a-b", "a.b", "b"]);
    }
}
