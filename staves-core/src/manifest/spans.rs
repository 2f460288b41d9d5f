//! Finding key paths and spans in the span-preserving TOML tree.
//!
//! serde errors only carry a byte span, and validation works on the typed
//! model; both need the other half (the key path for an error span, the span
//! for a key path), which this module reads from the `toml::de::DeTable` the
//! manifest was parsed from.

use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::error::Seg;

fn contains(outer: &Range<usize>, inner: &Range<usize>) -> bool {
    outer.start <= inner.start && inner.end <= outer.end && outer.start < outer.end
}

/// The deepest key path whose key or value span contains `target`.
pub(crate) fn path_at(root: &DeTable<'_>, target: &Range<usize>) -> Vec<Seg> {
    let mut path = Vec::new();
    find_in_table(root, target, &mut path);
    path
}

fn find_in_table(table: &DeTable<'_>, target: &Range<usize>, path: &mut Vec<Seg>) -> bool {
    for (key, value) in table.iter() {
        path.push(Seg::Key(key.get_ref().to_string()));
        if contains(&key.span(), target) || find_in_value(value, target, path) {
            return true;
        }
        path.pop();
    }
    false
}

/// Containers are searched even when their own span does not contain the
/// target: the span of a `[table]` may cover only its header.
fn find_in_value(value: &Spanned<DeValue<'_>>, target: &Range<usize>, path: &mut Vec<Seg>) -> bool {
    match value.get_ref() {
        DeValue::Table(table) => {
            find_in_table(table, target, path) || contains(&value.span(), target)
        }
        DeValue::Array(array) => {
            for (i, item) in array.iter().enumerate() {
                path.push(Seg::Index(i));
                if find_in_value(item, target, path) {
                    return true;
                }
                path.pop();
            }
            contains(&value.span(), target)
        }
        _ => contains(&value.span(), target),
    }
}

/// The value at `path`.
pub(crate) fn value_at<'a, 'i>(
    root: &'a DeTable<'i>,
    path: &[Seg],
) -> Option<&'a Spanned<DeValue<'i>>> {
    let (first, rest) = path.split_first()?;
    let Seg::Key(key) = first else {
        return None;
    };
    let mut current = root.get(key.as_str())?;
    for seg in rest {
        current = match (seg, current.get_ref()) {
            (Seg::Key(key), DeValue::Table(table)) => table.get(key.as_str())?,
            (Seg::Index(i), DeValue::Array(array)) => array.get(*i)?,
            _ => return None,
        };
    }
    Some(current)
}

/// The span of the key at the end of `path` (the last key segment).
pub(crate) fn key_span_at(root: &DeTable<'_>, path: &[Seg]) -> Option<Range<usize>> {
    let (last, parent) = path.split_last()?;
    let Seg::Key(key) = last else {
        return None;
    };
    let table = if parent.is_empty() {
        root
    } else {
        match value_at(root, parent)?.get_ref() {
            DeValue::Table(table) => table,
            _ => return None,
        }
    };
    table.get_key_value(key.as_str()).map(|(key, _)| key.span())
}

/// The span to point at for `path`: the value's span when it is a scalar or
/// an inline container, else the key's span (a `[table]` header).
pub(crate) fn span_at(root: &DeTable<'_>, path: &[Seg]) -> Option<Range<usize>> {
    let value = value_at(root, path)?;
    let span = value.span();
    if span.start < span.end {
        Some(span)
    } else {
        key_span_at(root, path)
    }
}
