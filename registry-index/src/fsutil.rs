//! Small file helpers shared by the index forms.

use std::io::Write;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::error::IndexError;

/// Replaces `path` atomically (a temporary file beside it, then a rename),
/// creating its directory.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), IndexError> {
    let io_err = |action| {
        move |source| IndexError::Io {
            action,
            path: path.to_path_buf(),
            source,
        }
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    fs_err::create_dir_all(dir).map_err(io_err("create the directory of"))?;
    let mut file = tempfile::NamedTempFile::new_in(dir).map_err(io_err("write"))?;
    file.write_all(bytes)
        .and_then(|()| file.as_file().sync_all())
        .map_err(io_err("write"))?;
    file.persist(path).map_err(|e| io_err("write")(e.error))?;
    Ok(())
}

/// The name of the cache directory of the index at `url`: a readable label
/// (the URL's last path segment) and a hash of the whole URL, so different
/// indexes never share a cache.
pub(crate) fn cache_dir_name(url: &str) -> String {
    let label: String = url
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or("")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .take(32)
        .collect();
    let label = label.trim_start_matches('.');
    let hash = hex::encode(Sha256::digest(url.as_bytes()));
    if label.is_empty() {
        format!("index-{}", &hash[..16])
    } else {
        format!("{label}-{}", &hash[..16])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_names_are_readable_and_distinct() {
        let a = cache_dir_name("https://example.org/staves-index.git");
        assert!(a.starts_with("staves-index.git-"), "{a}");
        assert_ne!(a, cache_dir_name("https://example.com/staves-index.git"));
        assert!(cache_dir_name("/").starts_with("index-"));
        assert!(cache_dir_name("https://x/..").starts_with("index-"));
    }
}
