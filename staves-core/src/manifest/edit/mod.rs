//! [`StavesTomlMut`]: format-preserving edits of `staves.toml` for
//! `staves add` and `staves remove`.
//!
//! Every comment, blank line, key order, inline table, quoting style and
//! line ending the user wrote stays (a file mixing CRLF and LF comes out
//! with the more common one; a missing final line break stays missing). A sorted `packages` list stays sorted
//! (ordered by `category/package`); an unsorted one gets new entries at the
//! end. Single-line arrays stay on one line; in multi-line arrays a new
//! element gets its own line with the indentation and trailing-comma style
//! of the others. Adding an atom and removing it again gives back the
//! original text byte for byte (see `array.rs` for how).

mod array;
#[cfg(test)]
mod tests;

use std::fmt;

use toml_edit::{Array, DocumentMut, InlineTable, Item, Table, TableLike, Value};

use super::atoms;

/// Why an edit could not be made.
#[derive(Debug, thiserror::Error)]
pub enum EditError {
    /// The text is not valid TOML.
    #[error("staves.toml is not valid TOML")]
    Parse(#[source] Box<toml_edit::TomlError>),
    /// A key the edit needs has an unexpected type.
    #[error("`{key}` in staves.toml should be {expected}")]
    Malformed {
        /// The dotted key path.
        key: String,
        /// What it should be, e.g. "an array of strings".
        expected: &'static str,
    },
    /// The given atom is not a valid Gentoo atom.
    #[error("invalid atom `{atom}`: {message}")]
    InvalidAtom {
        /// The atom as given.
        atom: String,
        /// What is wrong with it.
        message: String,
    },
    /// The given atom is a blocker, which cannot be installed.
    #[error("`{atom}` is a blocker; only packages to install can be added")]
    Blocker {
        /// The atom as given.
        atom: String,
    },
}

/// What [`StavesTomlMut::add_package`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddOutcome {
    /// The atom was added to `packages`.
    Added,
    /// The exact atom was already listed; nothing changed.
    AlreadyPresent,
    /// An entry for the same `category/package` was replaced in place.
    Replaced {
        /// The entry that was replaced.
        old: String,
    },
}

/// A `staves.toml` opened for editing.
#[derive(Debug, Clone)]
pub struct StavesTomlMut {
    doc: DocumentMut,
    newline: &'static str,
    /// Whether the text ended with a line break (`toml_edit` always writes one).
    final_newline: bool,
}

impl fmt::Display for StavesTomlMut {
    /// The edited text, with the document's line ending throughout.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut text = self.doc.to_string();
        if !self.final_newline && text.ends_with('\n') {
            text.pop();
        }
        if self.newline == "\n" {
            return f.write_str(&text);
        }
        let mut previous = '\0';
        for c in text.chars() {
            if c == '\n' && previous != '\r' {
                f.write_str("\r")?;
            }
            write!(f, "{c}")?;
            previous = c;
        }
        Ok(())
    }
}

/// `category/package` of an atom, for matching and sorting.
fn cp_of(atom: &str) -> Option<String> {
    atoms::check(atom).ok().map(|info| info.cp)
}

fn check_installable(atom: &str) -> Result<String, EditError> {
    match atoms::check(atom) {
        Ok(info) if info.blocker => Err(EditError::Blocker {
            atom: atom.to_owned(),
        }),
        Ok(info) => Ok(info.cp),
        Err(err) => Err(EditError::InvalidAtom {
            atom: atom.to_owned(),
            message: err.message,
        }),
    }
}

/// A string value written in the quoting style of `like` (literal `'…'`
/// strings stay literal when the text allows it).
fn string_like(text: &str, like: Option<&Value>) -> Value {
    let literal = like
        .and_then(|v| match v {
            Value::String(formatted) => formatted.as_repr(),
            _ => None,
        })
        .and_then(|repr| repr.as_raw().as_str())
        .is_some_and(|raw| raw.starts_with('\'') && !raw.starts_with("'''"));
    if literal
        && !text.contains(['\'', '\n', '\r'])
        && let Ok(value) = format!("'{text}'").parse::<Value>()
    {
        return value;
    }
    Value::from(text)
}

/// The largest table position in `table` and below.
fn max_position(table: &Table) -> isize {
    let mut max = table.position().unwrap_or(0);
    for (_, item) in table.iter() {
        match item {
            Item::Table(sub) => max = max.max(max_position(sub)),
            Item::ArrayOfTables(tables) => {
                for sub in tables.iter() {
                    max = max.max(max_position(sub));
                }
            }
            _ => {}
        }
    }
    max
}

impl StavesTomlMut {
    /// Parses `text` for editing.
    ///
    /// # Errors
    ///
    /// [`EditError::Parse`] when `text` is not valid TOML.
    pub fn parse(text: &str) -> Result<Self, EditError> {
        let doc = text
            .parse::<DocumentMut>()
            .map_err(|err| EditError::Parse(Box::new(err)))?;
        // Mixed line endings come out as the more common one.
        let crlf = text.matches("\r\n").count();
        let crlf = crlf > text.matches('\n').count() - crlf;
        Ok(Self {
            doc,
            newline: if crlf { "\r\n" } else { "\n" },
            final_newline: text.is_empty() || text.ends_with('\n'),
        })
    }

    /// The `packages` array, created (empty) when absent.
    fn packages_mut(&mut self) -> Result<&mut Array, EditError> {
        let item = self
            .doc
            .as_table_mut()
            .entry("packages")
            .or_insert_with(|| toml_edit::value(Array::new()));
        let array = item.as_array_mut().ok_or(EditError::Malformed {
            key: "packages".to_owned(),
            expected: "an array of strings",
        })?;
        if array.iter().any(|v| v.as_str().is_none()) {
            return Err(EditError::Malformed {
                key: "packages".to_owned(),
                expected: "an array of strings",
            });
        }
        Ok(array)
    }

    /// Adds `atom` to `packages`.
    ///
    /// An entry for the same `category/package` is replaced in place (the
    /// first one, when there are several), like `cargo add` updating a
    /// dependency; the exact atom already present changes nothing. A new
    /// entry goes to its sorted position when the list is sorted by
    /// `category/package`, else to the end.
    ///
    /// # Errors
    ///
    /// An invalid atom or blocker, or a `packages` key that is not an array
    /// of strings.
    pub fn add_package(&mut self, atom: &str) -> Result<AddOutcome, EditError> {
        let cp = check_installable(atom)?;
        let newline = self.newline;
        let packages = self.packages_mut()?;
        let entries: Vec<String> = packages
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect();
        if entries.iter().any(|entry| entry == atom) {
            return Ok(AddOutcome::AlreadyPresent);
        }
        let keys: Vec<String> = entries
            .iter()
            .map(|entry| cp_of(entry).unwrap_or_else(|| entry.clone()))
            .collect();
        if let Some(i) = keys.iter().position(|key| *key == cp) {
            let value = string_like(atom, packages.get(i));
            packages.replace(i, value);
            return Ok(AddOutcome::Replaced {
                old: entries[i].clone(),
            });
        }
        let sorted = keys.windows(2).all(|w| w[0] <= w[1]);
        let index = if sorted {
            keys.iter().position(|key| *key > cp).unwrap_or(keys.len())
        } else {
            keys.len()
        };
        let like = packages
            .get(index)
            .or_else(|| packages.get(index.wrapping_sub(1)));
        let value = string_like(atom, like);
        array::insert(packages, index, value, newline);
        Ok(AddOutcome::Added)
    }

    /// Finds the settings table of package `key`: `[package."key"]`, else
    /// the legacy top-level `['key']`.
    fn package_table_mut(&mut self, key: &str) -> Option<&mut dyn TableLike> {
        let root = self.doc.as_table_mut();
        let canonical = root
            .get("package")
            .and_then(Item::as_table_like)
            .is_some_and(|t| t.get(key).is_some_and(|i| i.as_table_like().is_some()));
        if canonical {
            return root
                .get_mut("package")
                .and_then(Item::as_table_like_mut)
                .and_then(|t| t.get_mut(key))
                .and_then(Item::as_table_like_mut);
        }
        root.get_mut(key).and_then(Item::as_table_like_mut)
    }

    /// Creates `[package."key"]` at the end of the document.
    fn create_package_table(&mut self, key: &str) -> Result<&mut dyn TableLike, EditError> {
        let position = max_position(self.doc.as_table()) + 1;
        let newline = self.newline;
        let package = self.doc.as_table_mut().entry("package").or_insert_with(|| {
            let mut table = Table::new();
            table.set_implicit(true);
            Item::Table(table)
        });
        let malformed = || EditError::Malformed {
            key: "package".to_owned(),
            expected: "a table",
        };
        match package {
            Item::Table(parent) => {
                let mut table = Table::new();
                table.set_position(Some(position));
                table.decor_mut().set_prefix(newline);
                parent.insert(key, Item::Table(table));
            }
            Item::Value(Value::InlineTable(parent)) => {
                parent.insert(key, Value::InlineTable(InlineTable::new()));
            }
            _ => return Err(malformed()),
        }
        package
            .as_table_like_mut()
            .and_then(|t| t.get_mut(key))
            .and_then(Item::as_table_like_mut)
            .ok_or_else(malformed)
    }

    /// Merges settings into the table of package `key` (a `category/package`
    /// or an atom): `[package."key"]`, or the legacy `['key']` table when the
    /// package uses that form. The table is created only when there is
    /// something to set.
    ///
    /// A USE flag replaces an entry for the same flag (`-nls` replaces
    /// `nls`); keywords and environment names already present are kept.
    /// Returns whether anything changed.
    ///
    /// # Errors
    ///
    /// An invalid key, or existing settings of the wrong type.
    pub fn set_package_config(
        &mut self,
        key: &str,
        use_flags: &[String],
        keywords: &[String],
        env: &[String],
    ) -> Result<bool, EditError> {
        check_installable(key)?;
        if use_flags.is_empty() && keywords.is_empty() && env.is_empty() {
            return Ok(false);
        }
        let newline = self.newline;
        let table = if self.package_table_mut(key).is_some() {
            self.package_table_mut(key).ok_or(EditError::Malformed {
                key: format!("package.\"{key}\""),
                expected: "a table",
            })?
        } else {
            self.create_package_table(key)?
        };
        let mut changed = false;
        for (field, values) in [("use", use_flags), ("keywords", keywords), ("env", env)] {
            if values.is_empty() {
                continue;
            }
            let item = table.entry(field).or_insert(toml_edit::value(Array::new()));
            let array = item.as_array_mut().ok_or_else(|| EditError::Malformed {
                key: format!("package.\"{key}\".{field}"),
                expected: "an array of strings",
            })?;
            for value in values {
                changed |= merge_value(array, field, value, newline);
            }
        }
        Ok(changed)
    }

    /// Removes `cp_or_atom` from `packages`: the entries equal to it, or, when
    /// there are none, every entry for the same `category/package`. The
    /// package's table (either form) goes too unless another entry for that
    /// package remains. Returns the removed entries.
    ///
    /// # Errors
    ///
    /// An invalid atom, or a `packages` key that is not an array of strings.
    pub fn remove_package(&mut self, cp_or_atom: &str) -> Result<Vec<String>, EditError> {
        let cp = check_installable(cp_or_atom)?;
        let mut removed = Vec::new();
        let mut remaining_same_cp = false;
        if self.doc.get("packages").is_some() {
            let packages = self.packages_mut()?;
            let entries: Vec<String> = packages
                .iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect();
            let exact = entries.iter().any(|entry| entry == cp_or_atom);
            let matches = |entry: &String| {
                if exact {
                    entry == cp_or_atom
                } else {
                    cp_of(entry).as_deref() == Some(cp.as_str())
                }
            };
            for i in (0..entries.len()).rev() {
                if matches(&entries[i]) {
                    array::remove(packages, i);
                    removed.push(entries[i].clone());
                } else if cp_of(&entries[i]).as_deref() == Some(cp.as_str()) {
                    remaining_same_cp = true;
                }
            }
            removed.reverse();
        }
        if !remaining_same_cp {
            self.remove_package_tables(&cp);
        }
        Ok(removed)
    }

    /// Removes every package table whose key is an atom for `cp`.
    fn remove_package_tables(&mut self, cp: &str) {
        let for_cp = |key: &str| cp_of(key).as_deref() == Some(cp);
        let root = self.doc.as_table_mut();
        let mut drop_parent = false;
        if let Some(package) = root.get_mut("package").and_then(Item::as_table_like_mut) {
            let keys: Vec<String> = package
                .iter()
                .map(|(k, _)| k.to_owned())
                .filter(|k| for_cp(k))
                .collect();
            for key in &keys {
                package.remove(key);
            }
            drop_parent = !keys.is_empty()
                && package.is_empty()
                && root
                    .get("package")
                    .and_then(Item::as_table)
                    .is_some_and(Table::is_implicit);
        }
        if drop_parent {
            root.remove("package");
        }
        let legacy: Vec<String> = root
            .iter()
            .map(|(k, _)| k.to_owned())
            .filter(|k| k.contains('/') && for_cp(k))
            .collect();
        for key in legacy {
            root.remove(&key);
        }
    }
}

/// Adds `value` to a settings array; a USE flag replaces an entry for the
/// same flag. Returns whether the array changed.
fn merge_value(array: &mut Array, field: &str, value: &str, newline: &str) -> bool {
    let flag = |s: &str| s.strip_prefix('-').unwrap_or(s).to_owned();
    let mut same = None;
    for (i, existing) in array.iter().enumerate() {
        let Some(existing) = existing.as_str() else {
            continue;
        };
        if existing == value {
            return false;
        }
        if field == "use" && flag(existing) == flag(value) {
            same = Some(i);
            break;
        }
    }
    match same {
        Some(i) => {
            let replacement = string_like(value, array.get(i));
            array.replace(i, replacement);
        }
        None => {
            let index = array.len();
            let replacement = string_like(value, array.get(index.wrapping_sub(1)));
            array::insert(array, index, replacement, newline);
        }
    }
    true
}
