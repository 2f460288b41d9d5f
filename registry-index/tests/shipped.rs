//! The index data shipped in `registry-index/data/` is valid.

use std::path::{Path, PathBuf};

use registry_index::{DirIndex, Index, SCHEMA_VERSION, index_path, validate_name};

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data")
}

/// Every file below `dir`, as `/`-separated paths relative to `root`.
fn files(root: &Path, dir: &Path, out: &mut Vec<String>) {
    for item in fs_err::read_dir(dir).unwrap() {
        let path = item.unwrap().path();
        if path.is_dir() {
            files(root, &path, out);
        } else {
            let rel = path.strip_prefix(root).unwrap();
            out.push(rel.to_str().unwrap().replace('\\', "/"));
        }
    }
}

#[test]
fn every_shipped_file_and_line_validates() {
    let root = data_dir();
    let index = DirIndex::new(&root);
    let config = index.config().expect("data/config.json is valid");
    let mut all = Vec::new();
    files(&root, &root, &mut all);
    all.sort();
    let mut builders = Vec::new();
    for file in &all {
        if file == "config.json" || file == "README.md" {
            continue;
        }
        let name = file.rsplit('/').next().unwrap();
        assert!(
            validate_name(name).is_ok() && index_path(name) == *file,
            "data/{file} is neither config.json, README.md nor a builder file at its path"
        );
        let text = fs_err::read_to_string(root.join(file)).unwrap();
        let readable = text.lines().filter(|l| !l.trim().is_empty()).count();
        let entries = index.versions(name).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            entries.len(),
            readable,
            "data/{file}: every line uses schema {SCHEMA_VERSION}"
        );
        for entry in &entries {
            for platform in entry.images.keys() {
                assert!(config.image_ref(entry, platform).is_some());
            }
        }
        builders.push(entries[0].name.clone());
    }
    builders.sort();
    assert_eq!(index.list().unwrap(), builders);
}
