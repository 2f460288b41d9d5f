//! Whether a build must fetch sources before the (network-less) emerge.
//!
//! Portage's plan summary (`Size of downloads`) says so for repositories
//! with Manifests; repositories without them (`use-manifests = false`)
//! report 0, so the `SRC_URI` of every package the plan builds from source
//! (with its locked USE flags) is checked against the distfiles cache
//! as well.

use std::path::Path;

use crate::builder::PlannedMerge;
use crate::gentoo::{depspec, md5cache};
use crate::lockfile::Lockfile;
use crate::sources::Snapshot;

/// The file names `SRC_URI` fetches with the USE flags `enabled`: the last
/// path segment of each URI, or the name after `->`. `None` when `SRC_URI`
/// does not parse.
pub(crate) fn distfile_names(src_uri: &str, enabled: &dyn Fn(&str) -> bool) -> Option<Vec<String>> {
    let nodes = depspec::parse_plain(src_uri).ok()?;
    let active = depspec::evaluate(&nodes, enabled);
    let mut names: Vec<String> = Vec::new();
    let mut rename = false;
    for token in depspec::collect_items(&active) {
        if token == "->" {
            rename = true;
        } else if rename {
            names.pop();
            names.push(token.clone());
            rename = false;
        } else if token.contains("://") {
            names.push(token.rsplit('/').next().unwrap_or(token).to_owned());
        }
    }
    Some(names)
}

/// Whether a source of a merge that builds from source is missing from
/// `distdir` (or its md5-cache entry cannot be read or parsed: then
/// fetching decides), with the package's locked USE flags (IUSE, so
/// USE_EXPAND flags too), else the ones Portage's plan shows.
pub(crate) fn sources_missing<'a>(
    plan: &[PlannedMerge],
    lock: &Lockfile,
    snapshots: impl Iterator<Item = &'a Snapshot> + Clone,
    distdir: &Path,
) -> bool {
    plan.iter().filter(|m| m.kind == "ebuild").any(|merge| {
        let path = format!("metadata/md5-cache/{}-{}", merge.name, merge.version);
        let names = snapshots
            .clone()
            .find(|s| s.name == merge.repository)
            .and_then(|s| s.files.read(&path).ok().flatten())
            .and_then(|bytes| md5cache::parse(&bytes).ok())
            .and_then(|entry| {
                let locked = lock
                    .packages
                    .iter()
                    .find(|p| p.name == merge.name && p.version == merge.version);
                let enabled = |flag: &str| match locked {
                    Some(p) => p.use_flags.iter().any(|f| f == flag),
                    None => merge.use_enabled.contains(flag),
                };
                distfile_names(&entry.src_uri, &enabled)
            });
        match names {
            Some(names) => names.iter().any(|name| !distdir.join(name).is_file()),
            None => true,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_uris_and_renames() {
        let src_uri = "https://a.example/x/foo-1.0.tar.gz doc? ( https://b.example/d.tar -> foo-doc-1.0.tar ) mirror://gentoo/bar.patch";
        assert_eq!(
            distfile_names(src_uri, &|flag| flag == "doc").unwrap(),
            ["foo-1.0.tar.gz", "foo-doc-1.0.tar", "bar.patch"]
        );
        // Only what the package's USE flags select.
        assert_eq!(
            distfile_names(src_uri, &|_| false).unwrap(),
            ["foo-1.0.tar.gz", "bar.patch"]
        );
        assert!(distfile_names("", &|_| true).unwrap().is_empty());
        assert_eq!(distfile_names("doc? ( x", &|_| true), None);
    }
}
