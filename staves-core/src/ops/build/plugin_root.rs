//! The image root as a directory for post-build plugins, and back.
//!
//! The root comes out of the builder as a layer (a sorted, normalised tar
//! in the blob store). Plugins need a directory, so [`unpack`] writes the
//! layer out under the build's scratch directory and keeps an [`Owners`]
//! index of every entry's owner and mode as the layer has them; after the
//! plugins, [`repack`] turns the directory into a tar again, which
//! `layer_from_tar` sorts and normalises like any other root.
//!
//! Run as root (the usual case with a rootful engine), the directory has
//! the real owners and modes, so a plugin's `chown`/`chmod` operations land
//! in the image. Without privileges the directory belongs to the user:
//! owners (and directory modes, which are made writable to unpack into
//! them) come from the index instead, device nodes are kept aside and put
//! back, and `chown` operations fail (the plugin's operations are then
//! undone and the build stops). Extended attributes (file capabilities,
//! ACLs) are kept in the index too and written back with the entries the
//! plugins leave in place.

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::io::{self, BufReader, Read};
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::Path;

use tar::{EntryType, Header};

/// Owner and mode of every entry of the layer, by path (`usr/bin/x`).
#[derive(Debug, Default)]
pub(crate) struct Owners {
    entries: HashMap<String, (u64, u64, u32)>,
    /// Device nodes and FIFOs that could not be created (no privileges).
    specials: Vec<(String, Header)>,
    /// Whether the directory carries the real owners (running as root).
    real: bool,
    /// Files made owner-readable to unpack them without privileges.
    widened: std::collections::HashSet<String>,
    /// Extended attributes (`SCHILY.xattr.<name>` PAX records) by path.
    xattrs: HashMap<String, Vec<(String, Vec<u8>)>>,
}

fn clean(path: &[u8]) -> String {
    let text = String::from_utf8_lossy(path);
    text.trim_start_matches("./")
        .trim_end_matches('/')
        .to_owned()
}

/// Writes the (decompressed) layer tar `input` out under `root` (which must
/// exist and be empty).
pub(crate) fn unpack<R: Read>(input: R, root: &Path) -> io::Result<Owners> {
    unpack_as(input, root, rustix::process::geteuid().is_root())
}

/// [`unpack`], with `real` saying whether owners can be set (root).
fn unpack_as<R: Read>(input: R, root: &Path, real: bool) -> io::Result<Owners> {
    let mut owners = Owners {
        real,
        ..Owners::default()
    };
    let mut archive = tar::Archive::new(input);
    archive.set_preserve_permissions(true);
    archive.set_preserve_ownerships(real);
    archive.set_preserve_mtime(true);
    archive.set_overwrite(true);
    let mut dirs = Vec::new();
    for entry in archive.entries()? {
        let mut entry = entry?;
        let path = clean(&entry.path_bytes());
        if path.is_empty() {
            continue;
        }
        let header = entry.header().clone();
        if let Some(pax) = entry.pax_extensions()? {
            let mut found = Vec::new();
            for ext in pax {
                let ext = ext?;
                if let Ok(key) = ext.key()
                    && key.starts_with("SCHILY.xattr.")
                {
                    found.push((key.to_owned(), ext.value_bytes().to_vec()));
                }
            }
            if !found.is_empty() {
                owners.xattrs.insert(path.clone(), found);
            }
        }
        let mode = header.mode()? & 0o7777;
        owners
            .entries
            .insert(path.clone(), (header.uid()?, header.gid()?, mode));
        let kind = header.entry_type();
        if !real && matches!(kind, EntryType::Char | EntryType::Block | EntryType::Fifo) {
            owners.specials.push((path, header));
            continue;
        }
        entry.unpack_in(root)?;
        if !real && kind == EntryType::Regular && mode & 0o600 != 0o600 {
            // Without privileges a file the owner cannot read (sudo's
            // 04111) could not be packed again: open it up, and give it its
            // mode back on the way out unless a plugin changed it.
            fs::set_permissions(root.join(&path), fs::Permissions::from_mode(mode | 0o600))?;
            owners.widened.insert(path.clone());
        }
        if kind == EntryType::Directory {
            if !real {
                // Keep it writable while its contents are unpacked.
                fs::set_permissions(root.join(&path), fs::Permissions::from_mode(0o700))?;
            }
            dirs.push((path, mode));
        }
    }
    // Directory modes last (a read-only directory would refuse its
    // contents); deepest first.
    if real {
        for (path, mode) in dirs.iter().rev() {
            fs::set_permissions(root.join(path), fs::Permissions::from_mode(*mode))?;
        }
    }
    Ok(owners)
}

/// Writes the tree under `root` as a tar to `output` (paths relative to
/// `root`), with the owners of `owners` where the directory cannot carry
/// them. Hard links stay hard links.
pub(crate) fn repack<W: io::Write>(root: &Path, owners: &Owners, output: W) -> io::Result<W> {
    let mut builder = tar::Builder::new(output);
    builder.follow_symlinks(false);
    let mut links: BTreeMap<(u64, u64), String> = BTreeMap::new();
    walk(root, "", owners, &mut builder, &mut links)?;
    for (path, header) in &owners.specials {
        let parent = Path::new(path).parent().unwrap_or(Path::new(""));
        if root.join(parent).is_dir() && fs::symlink_metadata(root.join(path)).is_err() {
            let mut header = header.clone();
            builder.append_data(&mut header, path, io::empty())?;
        }
    }
    builder.into_inner()
}

fn walk<W: io::Write>(
    dir: &Path,
    rel: &str,
    owners: &Owners,
    builder: &mut tar::Builder<W>,
    links: &mut BTreeMap<(u64, u64), String>,
) -> io::Result<()> {
    let mut names: Vec<_> = fs::read_dir(dir)?
        .map(|e| e.map(|e| e.file_name()))
        .collect::<io::Result<_>>()?;
    names.sort();
    for name in names {
        let full = dir.join(&name);
        let path = if rel.is_empty() {
            name.to_string_lossy().into_owned()
        } else {
            format!("{rel}/{}", name.to_string_lossy())
        };
        let meta = fs::symlink_metadata(&full)?;
        let file_type = meta.file_type();
        let mut header = Header::new_gnu();
        header.set_metadata(&meta);
        header.set_mtime(meta.mtime().max(0) as u64);
        if !owners.real {
            let (uid, gid, mode) = owners.entries.get(&path).copied().unwrap_or((0, 0, 0));
            header.set_uid(uid);
            header.set_gid(gid);
            let widened = owners.widened.contains(&path)
                && meta.permissions().mode() & 0o7777 == mode | 0o600;
            if (file_type.is_dir() || widened) && owners.entries.contains_key(&path) {
                header.set_mode(mode);
            }
        }
        let hard_link = file_type.is_file()
            && meta.nlink() > 1
            && links.contains_key(&(meta.dev(), meta.ino()));
        if let Some(xattrs) = owners.xattrs.get(&path).filter(|_| !hard_link) {
            builder
                .append_pax_extensions(xattrs.iter().map(|(k, v)| (k.as_str(), v.as_slice())))?;
        }
        if file_type.is_dir() {
            header.set_entry_type(EntryType::Directory);
            header.set_size(0);
            builder.append_data(&mut header, &path, io::empty())?;
            walk(&full, &path, owners, builder, links)?;
        } else if file_type.is_symlink() {
            header.set_entry_type(EntryType::Symlink);
            header.set_size(0);
            builder.append_link(&mut header, &path, fs::read_link(&full)?)?;
        } else if file_type.is_file() {
            if meta.nlink() > 1 {
                if let Some(first) = links.get(&(meta.dev(), meta.ino())) {
                    header.set_entry_type(EntryType::Link);
                    header.set_size(0);
                    builder.append_link(&mut header, &path, first)?;
                    continue;
                }
                links.insert((meta.dev(), meta.ino()), path.clone());
            }
            header.set_entry_type(EntryType::Regular);
            let file = BufReader::new(fs::File::open(&full)?);
            builder.append_data(&mut header, &path, file)?;
        } else if file_type.is_char_device() || file_type.is_block_device() || file_type.is_fifo() {
            header.set_size(0);
            builder.append_data(&mut header, &path, io::empty())?;
        }
        // Sockets cannot be stored in a tar; layers skip them too.
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A GNU header of a `kind` entry owned by `uid`:`uid`.
    fn header(kind: EntryType, mode: u32, uid: u64, size: u64) -> Header {
        let mut h = Header::new_gnu();
        h.set_entry_type(kind);
        h.set_mode(mode);
        h.set_uid(uid);
        h.set_gid(uid);
        h.set_size(size);
        h.set_mtime(1000);
        h
    }

    #[test]
    fn round_trips_owners_modes_links_and_removals() {
        round_trip(true);
    }

    #[test]
    fn without_privileges_owners_and_directory_modes_come_from_the_index() {
        round_trip(false);
    }

    fn round_trip(real: bool) {
        let mut b = tar::Builder::new(Vec::new());
        let (directory, regular) = (EntryType::Directory, EntryType::Regular);
        for (path, kind, mode, uid, data) in [
            ("usr/", directory, 0o755, 0, &b""[..]),
            ("usr/bin/", directory, 0o555, 0, b""),
            ("usr/bin/ping", regular, 0o4711, 0, b"ping"),
            ("usr/bin/sudo", regular, 0o4111, 0, b"sudo"),
            ("srv/", directory, 0o750, 1000, b""),
            ("srv/data", regular, 0o640, 1000, b"d"),
            ("usr/share/", directory, 0o755, 0, b""),
            ("usr/share/doc", regular, 0o644, 0, b"doc"),
        ] {
            let mut h = header(kind, mode, uid, data.len() as u64);
            if path == "usr/bin/ping" {
                b.append_pax_extensions([(CAPABILITY, &CAP_NET_RAW[..])])
                    .unwrap();
            }
            b.append_data(&mut h, path, data).unwrap();
        }
        for (kind, path, target) in [
            (EntryType::Symlink, "usr/bin/sh", "/bin/busybox"),
            (EntryType::Link, "usr/bin/ping6", "usr/bin/ping"),
        ] {
            let mut h = header(kind, 0o777, 0, 0);
            b.append_link(&mut h, path, target).unwrap();
        }
        let input = b.into_inner().unwrap();

        let dir = tempfile::tempdir().unwrap();
        let owners = unpack_as(&input[..], dir.path(), real).unwrap();
        fs::remove_file(dir.path().join("usr/share/doc")).unwrap();
        let out = repack(dir.path(), &owners, Vec::new()).unwrap();

        let mut seen = BTreeMap::new();
        let mut xattrs = BTreeMap::new();
        for e in tar::Archive::new(&out[..]).entries().unwrap() {
            let mut e = e.unwrap();
            let path = e.path().unwrap().display().to_string();
            if let Some(pax) = e.pax_extensions().unwrap() {
                for ext in pax {
                    let ext = ext.unwrap();
                    let path = path.clone();
                    let value = ext.value_bytes().to_vec();
                    xattrs.insert(path, (ext.key().unwrap().to_owned(), value));
                }
            }
            let h = e.header();
            let link = e.link_name().unwrap().map(|l| l.display().to_string());
            seen.insert(
                e.path().unwrap().display().to_string(),
                (
                    h.entry_type(),
                    h.mode().unwrap() & 0o7777,
                    h.uid().unwrap(),
                    link,
                ),
            );
        }
        assert_eq!(seen["usr/bin"], (EntryType::Directory, 0o555, 0, None));
        assert_eq!(seen["usr/bin/ping"], (EntryType::Regular, 0o4711, 0, None));
        assert_eq!(seen["usr/bin/sudo"], (EntryType::Regular, 0o4111, 0, None));
        assert_eq!(seen["srv"], (EntryType::Directory, 0o750, 1000, None));
        assert_eq!(seen["srv/data"], (EntryType::Regular, 0o640, 1000, None));
        assert_eq!(seen["usr/bin/sh"].3.as_deref(), Some("/bin/busybox"));
        assert_eq!(seen["usr/bin/ping6"].0, EntryType::Link);
        assert!(!seen.contains_key("usr/share/doc"));
        assert!(seen.contains_key("usr/share"));
        // The file capability survives (once: not on the hard link).
        assert_eq!(
            xattrs.into_iter().collect::<Vec<_>>(),
            [(
                "usr/bin/ping".to_owned(),
                (CAPABILITY.to_owned(), CAP_NET_RAW.to_vec())
            )]
        );
    }

    const CAPABILITY: &str = "SCHILY.xattr.security.capability";
    const CAP_NET_RAW: [u8; 4] = [1, 0, 0, 2];
}
