//! Whether a build must fetch sources before the (network-less) emerge.
//!
//! Portage's plan summary (`Size of downloads`) says so for repositories
//! with Manifests; repositories without them (`use-manifests = false`)
//! report 0, so the `SRC_URI` of every package the plan builds from source
//! is checked against the distfiles cache as well.

use std::path::Path;

use crate::builder::PlannedMerge;
use crate::gentoo::md5cache;
use crate::sources::Snapshot;

/// The file names `SRC_URI` can fetch (every alternative of every USE
/// conditional, so this over-approximates): the last path segment of each
/// URI, or the name after `->`.
pub(crate) fn distfile_names(src_uri: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let mut rename = false;
    for token in src_uri.split_whitespace() {
        if token == "->" {
            rename = true;
        } else if rename {
            names.pop();
            names.push(token.to_owned());
            rename = false;
        } else if token.contains("://") {
            let name = token.rsplit('/').next().unwrap_or(token);
            names.push(name.to_owned());
        }
    }
    names
}

/// Whether a source of a merge that builds from source is missing from
/// `distdir` (or its md5-cache entry cannot be read: then fetching decides).
pub(crate) fn sources_missing<'a>(
    plan: &[PlannedMerge],
    snapshots: impl Iterator<Item = &'a Snapshot> + Clone,
    distdir: &Path,
) -> bool {
    plan.iter().filter(|m| m.kind == "ebuild").any(|merge| {
        let path = format!("metadata/md5-cache/{}-{}", merge.name, merge.version);
        let entry = snapshots
            .clone()
            .find(|s| s.name == merge.repository)
            .and_then(|s| s.files.read(&path).ok().flatten())
            .and_then(|bytes| md5cache::parse(&bytes).ok());
        match entry {
            Some(entry) => distfile_names(&entry.src_uri)
                .iter()
                .any(|name| !distdir.join(name).is_file()),
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
            distfile_names(src_uri),
            ["foo-1.0.tar.gz", "foo-doc-1.0.tar", "bar.patch"]
        );
        assert!(distfile_names("").is_empty());
    }
}
