//! `strip-docs`: remove documentation and unwanted locales from the root.
//!
//! Config (all optional):
//! * `man`, `info`, `doc` (bool, default `true`): remove `usr/share/man`,
//!   `usr/share/info`, and `usr/share/doc` + `usr/share/gtk-doc`;
//! * `locales` (bool, default `true`): remove `usr/share/locale/<name>`
//!   and `usr/share/i18n/locales/<name>` (directories) except `keep_locales`;
//! * `keep_locales` (list, default `["en"]`): locale names to keep; `en`
//!   also keeps `en_GB`, `en@quot` and so on;
//! * `extra` (list): more paths (relative to the root) to remove;
//! * `keep` (list): paths never removed, even inside a removed directory.
//!
//! Reports the number of entries and bytes removed.

use std::fs;
use std::path::Path;

use serde::Deserialize;
use staves_plugin_sdk::{EntryKind, Error, Level, Message, Request, Response};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct Config {
    man: bool,
    info: bool,
    doc: bool,
    locales: bool,
    keep_locales: Vec<String>,
    extra: Vec<String>,
    keep: Vec<String>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            man: true,
            info: true,
            doc: true,
            locales: true,
            keep_locales: vec!["en".into()],
            extra: Vec::new(),
            keep: Vec::new(),
        }
    }
}

/// What was removed.
#[derive(Debug, Default, PartialEq, Eq)]
struct Stats {
    entries: u64,
    bytes: u64,
}

fn handle(req: &Request) -> Result<Response, Error> {
    let config: Config = serde_json::from_value(req.config.clone())
        .map_err(|e| Error::new(format!("invalid config: {e}")))?;
    let root = Path::new(&req.paths.rootfs);
    let keep: Vec<String> = config.keep.iter().map(|k| normalize(k)).collect();
    let mut targets: Vec<String> = Vec::new();
    if config.man {
        targets.push("usr/share/man".into());
    }
    if config.info {
        targets.push("usr/share/info".into());
    }
    if config.doc {
        targets.extend(["usr/share/doc".into(), "usr/share/gtk-doc".into()]);
    }
    if config.locales {
        for dir in ["usr/share/locale", "usr/share/i18n/locales"] {
            for name in sorted_names(&root.join(dir))? {
                let is_dir = fs::symlink_metadata(root.join(dir).join(&name))?.is_dir();
                if is_dir && !keeps_locale(&config.keep_locales, &name) {
                    targets.push(format!("{dir}/{name}"));
                }
            }
        }
    }
    targets.extend(config.extra.iter().map(|p| normalize(p)));
    let mut stats = Stats::default();
    for target in &targets {
        strip(root, target, &keep, &mut stats)
            .map_err(|e| e.context(format!("removing {target}")))?;
    }
    let mut response = Response::new();
    response.messages.push(Message {
        level: Level::Info,
        text: format!("removed {} entries, {} bytes", stats.entries, stats.bytes),
        path: None,
    });
    Ok(response)
}

fn normalize(path: &str) -> String {
    path.trim_matches('/').to_string()
}

fn keeps_locale(keep: &[String], name: &str) -> bool {
    let base = name.split(['_', '@', '.']).next().unwrap_or(name);
    keep.iter().any(|k| k == name || k == base)
}

fn sorted_names(dir: &Path) -> Result<Vec<String>, Error> {
    let mut names = Vec::new();
    match fs::read_dir(dir) {
        Ok(entries) => {
            for entry in entries {
                names.push(entry?.file_name().to_string_lossy().into_owned());
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(Error::from(e).context(dir.display())),
    }
    names.sort();
    Ok(names)
}

/// Removes `rel` under `root` except the `keep` paths; never follows a
/// symlink (a symlink is removed as itself).
fn strip(root: &Path, rel: &str, keep: &[String], stats: &mut Stats) -> Result<(), Error> {
    let path = root.join(rel);
    let meta = match fs::symlink_metadata(&path) {
        Ok(meta) => meta,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    if keep
        .iter()
        .any(|k| k == rel || rel.starts_with(&format!("{k}/")))
    {
        return Ok(());
    }
    let keeps_inside = keep.iter().any(|k| k.starts_with(&format!("{rel}/")));
    if meta.is_dir() && keeps_inside {
        for name in sorted_names(&path)? {
            strip(root, &format!("{rel}/{name}"), keep, stats)?;
        }
        return Ok(());
    }
    if meta.is_dir() {
        for entry in staves_plugin_sdk::walk(&path)? {
            stats.entries += 1;
            if entry.kind == EntryKind::File {
                stats.bytes += fs::symlink_metadata(&entry.path)?.len();
            }
        }
        fs::remove_dir_all(&path)?;
    } else {
        if meta.is_file() {
            stats.bytes += meta.len();
        }
        fs::remove_file(&path)?;
    }
    stats.entries += 1;
    Ok(())
}

fn main() {
    staves_plugin_sdk::run(handle)
}

#[cfg(test)]
mod tests {
    use staves_plugin_sdk::harness::Harness;

    use super::*;

    fn tree() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for file in [
            "usr/share/man/man1/ls.1",
            "usr/share/doc/bash-5.2/README",
            "usr/share/doc/keepme/LICENSE",
            "usr/share/info/bash.info",
            "usr/share/locale/de/LC_MESSAGES/bash.mo",
            "usr/share/locale/en_GB/LC_MESSAGES/bash.mo",
            "usr/share/locale/locale.alias",
            "usr/bin/bash",
        ] {
            fs::create_dir_all(root.join(file).parent().unwrap()).unwrap();
            fs::write(root.join(file), "12345").unwrap();
        }
        dir
    }

    fn files(root: &Path) -> Vec<String> {
        staves_plugin_sdk::walk(root)
            .unwrap()
            .into_iter()
            .filter(|e| e.kind == EntryKind::File)
            .map(|e| e.rel)
            .collect()
    }

    #[test]
    fn defaults_remove_docs_and_foreign_locales() {
        let rootfs = tree();
        let out = tempfile::tempdir().unwrap();
        let response = Harness::new(rootfs.path(), out.path()).run(handle).unwrap();
        assert_eq!(
            files(rootfs.path()),
            vec![
                "usr/bin/bash",
                "usr/share/locale/en_GB/LC_MESSAGES/bash.mo",
                "usr/share/locale/locale.alias",
            ]
        );
        let text = &response.messages[0].text;
        assert_eq!(text, "removed 13 entries, 25 bytes");
    }

    #[test]
    fn keep_and_switches_are_honoured() {
        let rootfs = tree();
        let out = tempfile::tempdir().unwrap();
        Harness::new(rootfs.path(), out.path())
            .config(serde_json::json!({
                "man": false, "locales": false,
                "keep": ["/usr/share/doc/keepme"], "extra": ["usr/bin/bash"]
            }))
            .run(handle)
            .unwrap();
        assert_eq!(
            files(rootfs.path()),
            vec![
                "usr/share/doc/keepme/LICENSE",
                "usr/share/locale/de/LC_MESSAGES/bash.mo",
                "usr/share/locale/en_GB/LC_MESSAGES/bash.mo",
                "usr/share/locale/locale.alias",
                "usr/share/man/man1/ls.1",
            ]
        );
    }
}
