//! Reading Portage's line-list files (`packages`, `package.mask`,
//! `use.mask`, `profiles/categories`, …) through [`RepoFiles`].
//!
//! Line handling copies Portage's `grabfile`: whitespace is normalised,
//! a line starting with `#` is a comment, and a word starting with `#` ends
//! the line (a trailing comment). Bytes that are not UTF-8 are replaced,
//! as Portage opens these files with `errors="replace"`.
//!
//! In the `portage-1` profile format (and profile EAPI 7+) such a file may
//! be a directory: its files are read in name order, recursively, skipping
//! names that start with `.` or end with `~` (Portage's
//! `_recursive_file_list`, which also skips VCS directories such as `.git`
//! because they start with a dot).

use std::io;

use super::tree::{EntryKind, RepoFiles};

/// One non-comment line of a line-list file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    /// The file the line comes from (a path inside the repository; differs
    /// from the requested path when that path is a directory).
    pub file: String,
    /// 1-based line number in [`file`](Self::file).
    pub line: usize,
    /// The line's words (whitespace-split, trailing comment removed).
    pub words: Vec<String>,
}

/// Splits `text` the way Portage's `grabfile` does: the non-empty,
/// non-comment lines, each as its words, with 1-based line numbers.
pub fn grab_words(text: &str) -> Vec<(usize, Vec<String>)> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let mut words = Vec::new();
        for w in raw.split_whitespace() {
            if w.starts_with('#') {
                break;
            }
            words.push(w.to_owned());
        }
        if !words.is_empty() {
            out.push((i + 1, words));
        }
    }
    out
}

/// Reads the line-list file at `path`: all of its [`Line`]s, or an empty
/// list when nothing is there. With `allow_dirs`, a directory at `path` is
/// read recursively in name order (see the module documentation);
/// without it, a directory is ignored like a missing file.
///
/// # Errors
/// An I/O failure of `files`.
pub fn read_lines(files: &dyn RepoFiles, path: &str, allow_dirs: bool) -> io::Result<Vec<Line>> {
    let mut out = Vec::new();
    for (file, text) in read_texts(files, path, allow_dirs)? {
        for (line, words) in grab_words(&text) {
            out.push(Line {
                file: file.clone(),
                line,
                words,
            });
        }
    }
    Ok(out)
}

/// Whether a directory entry takes part in a recursive read.
fn wanted(name: &str) -> bool {
    !name.starts_with('.') && !name.ends_with('~')
}

/// Reads every file making up a (possibly directory-form) config file such
/// as `make.defaults`: `(file path, contents)` in Portage's order. A plain
/// file yields itself; a directory (only with `allow_dirs`) yields its
/// files recursively in name order.
///
/// # Errors
/// An I/O failure of `files`.
pub fn read_texts(
    files: &dyn RepoFiles,
    path: &str,
    allow_dirs: bool,
) -> io::Result<Vec<(String, String)>> {
    if let Some(bytes) = files.read(path)? {
        return Ok(vec![(
            path.to_owned(),
            String::from_utf8_lossy(&bytes).into_owned(),
        )]);
    }
    let mut out = Vec::new();
    if allow_dirs {
        collect_texts(files, path, &mut out, 0)?;
    }
    Ok(out)
}

fn collect_texts(
    files: &dyn RepoFiles,
    dir: &str,
    out: &mut Vec<(String, String)>,
    depth: usize,
) -> io::Result<()> {
    // Symlink loops cannot happen through RepoFiles (symlinks are not
    // followed), but keep a bound anyway.
    if depth > 32 {
        return Ok(());
    }
    let Some(mut entries) = files.list(dir)? else {
        return Ok(());
    };
    entries.sort_by(|a, b| a.name.cmp(&b.name));
    for e in entries {
        if !wanted(&e.name) {
            continue;
        }
        let child = format!("{dir}/{}", e.name);
        match e.kind {
            EntryKind::Dir => collect_texts(files, &child, out, depth + 1)?,
            EntryKind::File | EntryKind::Symlink => {
                if let Some(bytes) = files.read(&child)? {
                    out.push((child, String::from_utf8_lossy(&bytes).into_owned()));
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gentoo::tree::MemFiles;

    #[test]
    fn grab_words_strips_comments_and_blank_lines() {
        let got = grab_words("# head\n\n  a/b   foo # trailing\nc/d#x\n   # indented\n");
        assert_eq!(
            got,
            [
                (3, vec!["a/b".to_owned(), "foo".to_owned()]),
                // `#` inside a word does not start a comment.
                (4, vec!["c/d#x".to_owned()]),
            ]
        );
    }

    #[test]
    fn directories_are_read_in_name_order_skipping_dot_and_backup_files() {
        let mut t = MemFiles::new();
        t.insert("p/package.mask/20-b", "b/b\n")
            .insert("p/package.mask/10-a", "a/a\n")
            .insert("p/package.mask/.hidden", "x/x\n")
            .insert("p/package.mask/10-a~", "y/y\n")
            .insert("p/package.mask/15-sub/z", "z/z\n");
        let got: Vec<_> = read_lines(&t, "p/package.mask", true)
            .unwrap()
            .into_iter()
            .map(|l| (l.file, l.words[0].clone()))
            .collect();
        assert_eq!(
            got,
            [
                ("p/package.mask/10-a".to_owned(), "a/a".to_owned()),
                ("p/package.mask/15-sub/z".to_owned(), "z/z".to_owned()),
                ("p/package.mask/20-b".to_owned(), "b/b".to_owned()),
            ]
        );
        assert!(read_lines(&t, "p/package.mask", false).unwrap().is_empty());
        assert!(read_lines(&t, "p/missing", true).unwrap().is_empty());
        assert_eq!(read_texts(&t, "p/package.mask", true).unwrap().len(), 3);
    }
}
