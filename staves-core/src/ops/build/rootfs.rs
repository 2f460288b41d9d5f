//! The image root as it comes out of the builder, made fit for an image.
//!
//! Dropped (the directories themselves stay, so `/tmp` keeps mode 1777):
//!
//! * everything below `var/cache/` (Portage's `edb` dep cache, …), `var/tmp/`
//!   and `tmp/`;
//! * `var/log/emerge.log` and `var/log/emerge-fetch.log`.
//!
//! Kept: `var/db/pkg` (the installed-package database: SBOMs and
//! `CONTENTS`-based layer splitting read it), made independent of whether a
//! package was built from its ebuild or installed from the binary-package
//! cache, and of when: `BUILD_TIME` files hold the epoch, the mtimes in
//! `CONTENTS` lines are clamped to the epoch (like the tar headers), and
//! the per-package files that only record the build machine's state are
//! dropped: `BUILD_ID` and `BINPKGMD5` (which cache instance was used),
//! `metadata` (Portage's own cache of the directory, with its mtime) and
//! `environment.bz2` (the saved build environment, needed only to uninstall
//! with Portage, which an image does not have).

use std::io::{self, Read, Write};

/// Whether the entry at `path` (relative, without a leading `./` or `/`)
/// belongs in the image.
pub(crate) fn keep(path: &str) -> bool {
    let path = path.trim_start_matches("./").trim_end_matches('/');
    for dir in ["var/cache/", "var/tmp/", "tmp/"] {
        if path.starts_with(dir) {
            return false;
        }
    }
    !matches!(path, "var/log/emerge.log" | "var/log/emerge-fetch.log")
}

/// What to do with a kept file's content.
#[derive(Debug, PartialEq, Eq)]
enum Rewrite {
    Drop,
    BuildTime,
    Contents,
    None,
}

fn rewrite_of(path: &str) -> Rewrite {
    let Some(rest) = path.trim_start_matches("./").strip_prefix("var/db/pkg/") else {
        return Rewrite::None;
    };
    let parts: Vec<&str> = rest.split('/').collect();
    match parts.as_slice() {
        [_, _, "BUILD_TIME"] => Rewrite::BuildTime,
        [_, _, "CONTENTS"] => Rewrite::Contents,
        [
            _,
            _,
            "BUILD_ID" | "BINPKGMD5" | "metadata" | "environment.bz2",
        ] => Rewrite::Drop,
        _ => Rewrite::None,
    }
}

/// `CONTENTS` with every `obj`/`sym` line's trailing mtime clamped to `epoch`.
pub(crate) fn clamp_contents(text: &str, epoch: u64) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let clamped = (line.starts_with("obj ") || line.starts_with("sym "))
            .then(|| line.rsplit_once(' '))
            .flatten()
            .and_then(|(head, mtime)| {
                let t: u64 = mtime.parse().ok()?;
                Some(format!("{head} {}", t.min(epoch)))
            });
        out.push_str(clamped.as_deref().unwrap_or(line));
        out.push('\n');
    }
    out
}

/// Copies the tar `input` to `output` without the dropped entries, with the
/// `var/db/pkg` rewrites. `strip` leading components are ignored when
/// matching paths (1 for the engine's `root/…` prefix); entries are written
/// with their original names. Returns how many entries were dropped.
pub(crate) fn filter_tar<R: Read, W: Write>(
    input: R,
    output: W,
    strip: usize,
    epoch: u64,
) -> io::Result<usize> {
    filter_tar_with(input, output, strip, epoch, &keep)
}

/// [`filter_tar`] with another rule for which entries to keep (the
/// `var/db/pkg` rewrites are the same).
pub(crate) fn filter_tar_with<R: Read, W: Write>(
    input: R,
    output: W,
    strip: usize,
    epoch: u64,
    keep: &dyn Fn(&str) -> bool,
) -> io::Result<usize> {
    let mut archive = tar::Archive::new(input);
    let mut builder = tar::Builder::new(output);
    builder.follow_symlinks(false);
    let mut dropped = 0;
    for entry in archive.entries()? {
        let mut entry = entry?;
        let raw = entry.path_bytes().into_owned();
        let full = String::from_utf8_lossy(&raw).into_owned();
        let relative: String = full
            .trim_start_matches("./")
            .splitn(strip + 1, '/')
            .nth(strip)
            .unwrap_or("")
            .to_owned();
        if !relative.is_empty() && !keep(&relative) {
            dropped += 1;
            continue;
        }
        let mut header = entry.header().clone();
        if let Some(pax) = entry.pax_extensions()? {
            let mut xattrs = Vec::new();
            for ext in pax {
                let ext = ext?;
                if let Ok(key) = ext.key()
                    && key.starts_with("SCHILY.xattr.")
                {
                    xattrs.push((key.to_owned(), ext.value_bytes().to_vec()));
                }
            }
            if !xattrs.is_empty() {
                builder.append_pax_extensions(xattrs.iter().map(|(k, v)| (k.as_str(), &v[..])))?;
            }
        }
        let kind = header.entry_type();
        if kind.is_symlink() || kind.is_hard_link() {
            let target = entry
                .link_name_bytes()
                .map(|l| l.into_owned())
                .unwrap_or_default();
            let target = std::path::PathBuf::from(String::from_utf8_lossy(&target).into_owned());
            builder.append_link(&mut header, &full, target)?;
            continue;
        }
        match rewrite_of(&relative) {
            Rewrite::Drop => dropped += 1,
            Rewrite::None => builder.append_data(&mut header, &full, &mut entry)?,
            rewrite => {
                let mut text = String::new();
                entry.read_to_string(&mut text)?;
                let new = if rewrite == Rewrite::BuildTime {
                    format!("{epoch}\n")
                } else {
                    clamp_contents(&text, epoch)
                };
                header.set_size(new.len() as u64);
                builder.append_data(&mut header, &full, new.as_bytes())?;
            }
        }
    }
    builder.into_inner()?.flush()?;
    Ok(dropped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drops_caches_and_logs_only() {
        for dropped in [
            "var/cache/edb/counter",
            "./var/tmp/portage/x",
            "tmp/.keep",
            "var/log/emerge.log",
        ] {
            assert!(!keep(dropped), "{dropped}");
        }
        for kept in [
            "var/cache",
            "tmp",
            "var/tmp/",
            "var/log/messages",
            "var/db/pkg/app-misc/hello-2.0/CONTENTS",
            "usr/bin/hello",
            "tmpfiles",
        ] {
            assert!(keep(kept), "{kept}");
        }
    }

    #[test]
    fn clamps_contents_mtimes() {
        let text = "dir /usr\nobj /usr/bin/my file 0123abcd 1800000000\nsym /bin/sh -> busybox 1700000000\n";
        assert_eq!(
            clamp_contents(text, 1750000000),
            "dir /usr\nobj /usr/bin/my file 0123abcd 1750000000\nsym /bin/sh -> busybox 1700000000\n"
        );
    }

    fn append(b: &mut tar::Builder<Vec<u8>>, path: &str, data: &[u8]) {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        b.append_data(&mut h, path, data).unwrap();
    }

    #[test]
    fn filters_and_rewrites_a_tar() {
        let mut b = tar::Builder::new(Vec::new());
        append(&mut b, "root/usr/bin/hello", b"hi\n");
        append(&mut b, "root/var/cache/edb/x", b"x");
        append(&mut b, "root/var/db/pkg/a/b-1/BUILD_TIME", b"1800000000\n");
        append(&mut b, "root/var/db/pkg/a/b-1/environment.bz2", b"BZh");
        append(
            &mut b,
            "root/var/db/pkg/a/b-1/CONTENTS",
            b"obj /usr/bin/hello 00 1800000000\n",
        );
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Symlink);
        h.set_size(0);
        b.append_link(&mut h, "root/bin/sh", "busybox").unwrap();
        let input = b.into_inner().unwrap();

        let mut out = Vec::new();
        assert_eq!(filter_tar(&input[..], &mut out, 1, 1000).unwrap(), 2);
        let mut archive = tar::Archive::new(&out[..]);
        let mut seen = Vec::new();
        for e in archive.entries().unwrap() {
            let mut e = e.unwrap();
            let path = e.path().unwrap().display().to_string();
            let mut data = String::new();
            e.read_to_string(&mut data).unwrap();
            let link = e.link_name().unwrap().map(|l| l.display().to_string());
            seen.push((path, data, link));
        }
        assert_eq!(
            seen,
            [
                ("root/usr/bin/hello".into(), "hi\n".into(), None),
                (
                    "root/var/db/pkg/a/b-1/BUILD_TIME".into(),
                    "1000\n".into(),
                    None
                ),
                (
                    "root/var/db/pkg/a/b-1/CONTENTS".into(),
                    "obj /usr/bin/hello 00 1000\n".into(),
                    None
                ),
                (
                    "root/bin/sh".into(),
                    String::new(),
                    Some("busybox".to_owned())
                ),
            ]
        );
    }
}
