//! An index in a local directory.

use std::io;
use std::path::{Path, PathBuf};

use semver::Version;

use crate::edit::{add_version, set_yanked};
use crate::entry::{IndexConfig, IndexEntry};
use crate::error::IndexError;
use crate::fsutil::write_atomic;
use crate::walk::{builder_at, may_hold_builders};
use crate::{Index, checked_name, entries_of, index_path};

/// An index in a local directory: `config.json` at its root and the builder
/// files below. Writes replace whole files atomically (write a temporary file
/// beside, then rename); there is no locking between concurrent writers.
#[derive(Debug, Clone)]
pub struct DirIndex {
    root: PathBuf,
}

impl DirIndex {
    /// The index in directory `root` (nothing is read yet).
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// Creates an empty index in `root` (created when missing) with
    /// `config.json`. An existing `config.json` is an error rather than
    /// overwritten.
    pub fn init(root: impl Into<PathBuf>, config: &IndexConfig) -> Result<Self, IndexError> {
        let index = Self::new(root);
        let path = index.root.join("config.json");
        if path.exists() {
            return Err(IndexError::Io {
                action: "create",
                path,
                source: io::Error::new(io::ErrorKind::AlreadyExists, "the index exists already"),
            });
        }
        let mut text = serde_json::to_string_pretty(config).unwrap_or_default();
        text.push('\n');
        index.write("config.json", &text)?;
        Ok(index)
    }

    /// The index's directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The text of the file at `path` (`/`-separated, relative to the root),
    /// `None` when it does not exist.
    fn read(&self, path: &str) -> Result<Option<String>, IndexError> {
        let full = self.root.join(path);
        match fs_err::read_to_string(&full) {
            Ok(text) => Ok(Some(text)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(IndexError::Io {
                action: "read",
                path: full,
                source,
            }),
        }
    }

    /// Replaces the file at `path` atomically, creating its directories.
    fn write(&self, path: &str, text: &str) -> Result<(), IndexError> {
        write_atomic(&self.root.join(path), text.as_bytes())
    }

    /// Collects the builder files below `dir` (relative path `rel`).
    fn walk(&self, rel: &str, depth: usize, out: &mut Vec<String>) -> Result<(), IndexError> {
        let dir = self.root.join(rel);
        let read_dir = fs_err::read_dir(&dir).map_err(|source| IndexError::Io {
            action: "list",
            path: dir.clone(),
            source,
        })?;
        for item in read_dir {
            let item = item.map_err(|source| IndexError::Io {
                action: "list",
                path: dir.clone(),
                source,
            })?;
            let Ok(file_name) = item.file_name().into_string() else {
                continue;
            };
            let path = if rel.is_empty() {
                file_name.clone()
            } else {
                format!("{rel}/{file_name}")
            };
            let is_dir = item.file_type().is_ok_and(|t| t.is_dir());
            if is_dir {
                if may_hold_builders(depth + 1, &file_name) {
                    self.walk(&path, depth + 1, out)?;
                }
            } else if let Some(name) = builder_at(&path) {
                out.push(name.to_owned());
            }
        }
        Ok(())
    }
}

impl Index for DirIndex {
    fn location(&self) -> String {
        self.root.display().to_string()
    }

    fn config(&self) -> Result<IndexConfig, IndexError> {
        match self.read("config.json")? {
            Some(text) => IndexConfig::parse(&text, &self.location()),
            None => Err(IndexError::ConfigMissing {
                location: self.location(),
            }),
        }
    }

    fn versions(&self, name: &str) -> Result<Vec<IndexEntry>, IndexError> {
        checked_name(name)?;
        let path = index_path(name);
        entries_of(name, self.read(&path)?.as_deref(), &path)
    }

    fn list(&self) -> Result<Vec<String>, IndexError> {
        let mut files = Vec::new();
        self.walk("", 0, &mut files)?;
        published_names(self, files)
    }

    fn publish(&self, entry: &IndexEntry) -> Result<(), IndexError> {
        checked_name(&entry.name)?;
        let path = index_path(&entry.name);
        let text = add_version(self.read(&path)?.as_deref(), &path, entry)?;
        self.write(&path, &text)
    }

    fn yank(&self, name: &str, vers: &Version, yanked: bool) -> Result<(), IndexError> {
        checked_name(name)?;
        let path = index_path(name);
        let Some(current) = self.read(&path)? else {
            return Err(IndexError::NotFound {
                name: name.to_owned(),
                location: self.location(),
            });
        };
        match set_yanked(&current, &path, name, vers, yanked)? {
            Some(text) => self.write(&path, &text),
            None => Ok(()),
        }
    }
}

/// The published spellings of the builders whose files are `files`
/// (canonical names), sorted; empty files are left out.
pub(crate) fn published_names(
    index: &dyn Index,
    files: Vec<String>,
) -> Result<Vec<String>, IndexError> {
    let mut names = Vec::with_capacity(files.len());
    for file in files {
        if let Some(first) = index.versions(&file)?.into_iter().next() {
            names.push(first.name);
        }
    }
    names.sort();
    Ok(names)
}
