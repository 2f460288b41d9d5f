//! The builder index that ships with Staves: `registry-index/data`,
//! embedded in the binary at build time (see `build.rs`), read-only.

use registry_index::{
    Index, IndexConfig, IndexEntry, IndexError, index_path, parse_file, same_name, validate_name,
};
use semver::Version;

mod files {
    include!(concat!(env!("OUT_DIR"), "/default_index.rs"));
}

/// How the shipped index is named in messages.
pub const DEFAULT_INDEX_LOCATION: &str = "the default index (shipped with staves)";

/// The index that ships with Staves.
#[derive(Debug, Clone, Copy, Default)]
pub struct DefaultIndex;

impl DefaultIndex {
    fn file(path: &str) -> Option<&'static str> {
        files::FILES
            .iter()
            .find(|(p, _)| *p == path)
            .map(|(_, text)| *text)
    }

    fn read_only(&self) -> IndexError {
        IndexError::Unsupported {
            location: self.location(),
            what: "be written (it is part of staves; publish to your own index)",
        }
    }
}

impl Index for DefaultIndex {
    fn location(&self) -> String {
        DEFAULT_INDEX_LOCATION.to_owned()
    }

    fn config(&self) -> Result<IndexConfig, IndexError> {
        let text = Self::file("config.json").ok_or_else(|| IndexError::ConfigMissing {
            location: self.location(),
        })?;
        IndexConfig::parse(text, &self.location())
    }

    fn versions(&self, name: &str) -> Result<Vec<IndexEntry>, IndexError> {
        validate_name(name).map_err(|source| IndexError::InvalidName {
            name: name.to_owned(),
            source,
        })?;
        let path = index_path(name);
        let Some(text) = Self::file(&path) else {
            return Ok(Vec::new());
        };
        let entries = parse_file(text, &path)?;
        if let Some(first) = entries.first()
            && !same_name(&first.name, name)
        {
            return Err(IndexError::Malformed {
                path,
                line: 1,
                message: format!("builder `{}` is in the file of `{name}`", first.name),
            });
        }
        Ok(entries)
    }

    fn list(&self) -> Result<Vec<String>, IndexError> {
        let mut names = Vec::new();
        for (path, _) in files::FILES {
            let Some(file_name) = path.rsplit('/').next() else {
                continue;
            };
            if validate_name(file_name).is_err() || index_path(file_name) != *path {
                continue;
            }
            if let Some(first) = self.versions(file_name)?.into_iter().next() {
                names.push(first.name);
            }
        }
        names.sort();
        Ok(names)
    }

    fn publish(&self, _entry: &IndexEntry) -> Result<(), IndexError> {
        Err(self.read_only())
    }

    fn yank(&self, _name: &str, _vers: &Version, _yanked: bool) -> Result<(), IndexError> {
        Err(self.read_only())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_index_is_embedded_and_valid() {
        let index = DefaultIndex;
        let config = index.config().unwrap();
        assert!(config.oci.contains('/'), "{}", config.oci);
        // Every builder it lists has readable versions.
        for name in index.list().unwrap() {
            assert!(!index.versions(&name).unwrap().is_empty(), "{name}");
        }
        assert!(index.versions("no-such-builder").unwrap().is_empty());
    }

    #[test]
    fn it_cannot_be_written() {
        let err = DefaultIndex
            .yank("x", &"1.0.0".parse().unwrap(), true)
            .unwrap_err();
        assert!(matches!(err, IndexError::Unsupported { .. }), "{err}");
    }
}
