//! Embeds the builder index that ships with Staves (`registry-index/data`)
//! into the library: every file of the tree becomes a `(path, text)` pair of
//! `$OUT_DIR/default_index.rs`, read by `ops::builders::default_index`.

// Build scripts talk to Cargo on stdout.
#![allow(clippy::print_stdout)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
    let manifest_dir =
        PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let root = manifest_dir.join("../registry-index/data");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut files = Vec::new();
    collect(&root, "", &mut files);
    files.sort();
    let mut out = String::from("/// Every file of the shipped index: path inside it, text.\n");
    out.push_str("pub(super) static FILES: &[(&str, &str)] = &[\n");
    for (rel, abs) in &files {
        println!("cargo:rerun-if-changed={}", abs.display());
        let _ = writeln!(
            out,
            "    ({rel:?}, include_str!({:?})),",
            abs.display().to_string()
        );
    }
    out.push_str("];\n");
    let dest =
        PathBuf::from(std::env::var_os("OUT_DIR").expect("OUT_DIR")).join("default_index.rs");
    std::fs::write(&dest, out).expect("write default_index.rs");
}

/// Regular files below `dir` (hidden entries skipped), `/`-separated paths.
fn collect(dir: &Path, rel: &str, out: &mut Vec<(String, PathBuf)>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        let path = if rel.is_empty() {
            name.clone()
        } else {
            format!("{rel}/{name}")
        };
        let abs = entry.path();
        if abs.is_dir() {
            // Directories are watched too, so a new builder file reruns this.
            println!("cargo:rerun-if-changed={}", abs.display());
            collect(&abs, &path, out);
        } else if abs.is_file() {
            out.push((path, abs));
        }
    }
}
