//! Inserting into and removing from a `toml_edit` array so that the text
//! around the other elements stays as the user wrote it.
//!
//! In `toml_edit` the whitespace and comments before an element are that
//! element's *prefix*, and those after the last element are the array's
//! *trailing* text. A comment at the end of a line therefore sits in the
//! prefix of the *next* element (or in the trailing text). Inserting splits
//! such a prefix at its first newline: the part up to the newline stays
//! where it was (it ends the previous line), the new element starts on a
//! fresh line with the same indentation. Removing joins the two halves
//! again, so an insertion followed by the removal of the same element gives
//! back the original text exactly.

use toml_edit::{Array, Value};

/// The prefix of element `i`, resolving `toml_edit`'s defaults.
fn prefix(array: &Array, i: usize) -> String {
    array
        .get(i)
        .and_then(|v| v.decor().prefix())
        .and_then(|raw| raw.as_str())
        .map_or_else(|| if i == 0 { "" } else { " " }.to_owned(), str::to_owned)
}

fn suffix(array: &Array, i: usize) -> String {
    array
        .get(i)
        .and_then(|v| v.decor().suffix())
        .and_then(|raw| raw.as_str())
        .unwrap_or("")
        .to_owned()
}

fn set_prefix(array: &mut Array, i: usize, prefix: String) {
    if let Some(value) = array.get_mut(i) {
        value.decor_mut().set_prefix(prefix);
    }
}

fn trailing(array: &Array) -> String {
    array.trailing().as_str().unwrap_or("").to_owned()
}

/// `(head, tail)` of `text` split after its first `\n`.
fn split_line(text: &str) -> Option<(&str, &str)> {
    text.find('\n').map(|i| text.split_at(i + 1))
}

/// The whitespace after the last newline: the indentation of what follows.
fn indent(text: &str) -> &str {
    text.rfind('\n').map_or("", |i| &text[i + 1..])
}

/// Without a trailing comma, the parser puts the text between the last
/// element and `]` in that element's suffix; with one, in the array's
/// trailing text. The edits below work on the second form, so move the text
/// there first and back afterwards (both print the same bytes).
fn gather_trailing(array: &mut Array) {
    let len = array.len();
    if len > 0 && !array.trailing_comma() {
        let text = suffix(array, len - 1) + &trailing(array);
        if let Some(last) = array.get_mut(len - 1) {
            last.decor_mut().set_suffix("");
        }
        array.set_trailing(text);
    }
}

fn scatter_trailing(array: &mut Array) {
    let len = array.len();
    if len > 0 && !array.trailing_comma() {
        let text = suffix(array, len - 1) + &trailing(array);
        if let Some(last) = array.get_mut(len - 1) {
            last.decor_mut().set_suffix(text);
        }
        array.set_trailing("");
    }
}

/// Inserts `value` at `index` (`index <= len`), formatting it like its
/// neighbours. `newline` is the document's line ending.
pub(super) fn insert(array: &mut Array, index: usize, value: Value, newline: &str) {
    gather_trailing(array);
    insert_gathered(array, index, value, newline);
    scatter_trailing(array);
}

fn insert_gathered(array: &mut Array, index: usize, mut value: Value, newline: &str) {
    let len = array.len();
    let index = index.min(len);
    let new_prefix;
    let new_suffix;
    if index < len {
        let p = prefix(array, index);
        new_suffix = suffix(array, index);
        if let Some((head, tail)) = split_line(&p) {
            new_prefix = format!("{head}{}", indent(&p));
            set_prefix(array, index, format!("{newline}{tail}"));
        } else {
            new_prefix = p.clone();
            if index == 0 {
                let separator = match array.get(1).map(|_| prefix(array, 1)) {
                    Some(next) if !next.contains('\n') && !next.is_empty() => next,
                    _ => " ".to_owned(),
                };
                set_prefix(array, 0, separator);
            }
        }
    } else {
        let t = trailing(array);
        if len == 0 {
            new_suffix = String::new();
            if let Some((head, tail)) = split_line(&t) {
                new_prefix = format!("{head}    ");
                array.set_trailing(format!("{newline}{tail}"));
                array.set_trailing_comma(true);
            } else {
                new_prefix = String::new();
            }
        } else {
            let last = prefix(array, len - 1);
            new_suffix = suffix(array, len - 1);
            let last_indent = if last.contains('\n') {
                indent(&last)
            } else {
                "    "
            };
            if let Some((head, tail)) = split_line(&t) {
                new_prefix = format!("{head}{last_indent}");
                array.set_trailing(format!("{newline}{tail}"));
            } else if last.contains('\n') {
                new_prefix = format!("{newline}{last_indent}");
            } else if last.is_empty() {
                new_prefix = " ".to_owned();
            } else {
                new_prefix = last;
            }
        }
    }
    value.decor_mut().set_prefix(new_prefix);
    value.decor_mut().set_suffix(new_suffix);
    array.insert_formatted(index, value);
}

/// Removes the element at `index` (`index < len`), undoing what [`insert`]
/// does to the surrounding text.
pub(super) fn remove(array: &mut Array, index: usize) -> Option<Value> {
    if index >= array.len() {
        return None;
    }
    gather_trailing(array);
    let value = remove_gathered(array, index);
    scatter_trailing(array);
    Some(value)
}

fn remove_gathered(array: &mut Array, index: usize) -> Value {
    let len = array.len();
    let removed = prefix(array, index);
    if index + 1 < len {
        let next = prefix(array, index + 1);
        let merged = match (split_line(&removed), split_line(&next)) {
            (Some((head, _)), Some((_, tail))) => format!("{head}{tail}"),
            (Some(_), None) => removed.clone(),
            (None, _) if index == 0 => removed.clone(),
            (None, _) => next,
        };
        set_prefix(array, index + 1, merged);
    } else {
        let t = trailing(array);
        if let (Some((head, _)), Some((_, tail))) = (split_line(&removed), split_line(&t)) {
            array.set_trailing(format!("{head}{tail}"));
        }
    }
    let value = array.remove(index);
    if array.is_empty() {
        array.set_trailing_comma(false);
    }
    value
}
