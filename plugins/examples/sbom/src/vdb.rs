//! Reading Portage's installed-package database (`var/db/pkg/<cat>/<pf>/`).

use std::collections::BTreeSet;
use std::fs;
use std::io;
use std::path::Path;

use staves_plugin_sdk::{Error, Package};

/// One installed package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Installed {
    pub(crate) category: String,
    pub(crate) pn: String,
    pub(crate) version: String,
    pub(crate) slot: String,
    pub(crate) repository: String,
    pub(crate) license: String,
    /// Enabled USE flags (from `USE`, restricted to `IUSE` when present).
    pub(crate) use_flags: Vec<String>,
}

/// Every package under `vdb`, sorted by category then PF.
pub(crate) fn read(vdb: &Path) -> Result<Vec<Installed>, Error> {
    let mut out = Vec::new();
    for category in sorted_dirs(vdb)? {
        for pf in sorted_dirs(&vdb.join(&category))? {
            let dir = vdb.join(&category).join(&pf);
            if pf.starts_with('-') || pf.starts_with('.') {
                continue; // Portage's in-progress merges (`-MERGING-x`).
            }
            out.push(read_one(&dir, &category, &pf).map_err(|e| e.context(dir.display()))?);
        }
    }
    Ok(out)
}

fn read_one(dir: &Path, category: &str, pf: &str) -> Result<Installed, Error> {
    let (pn, version) = split_pf(pf)
        .ok_or_else(|| Error::new(format!("`{pf}` is not a package-version directory name")))?;
    let iuse: BTreeSet<String> = field(dir, "IUSE")?
        .split_whitespace()
        .map(|f| f.trim_start_matches(['+', '-']).to_string())
        .collect();
    let mut use_flags: Vec<String> = field(dir, "USE")?
        .split_whitespace()
        .filter(|f| iuse.is_empty() || iuse.contains(*f))
        .map(str::to_owned)
        .collect();
    use_flags.sort();
    use_flags.dedup();
    Ok(Installed {
        category: category.into(),
        pn: pn.into(),
        version: version.into(),
        slot: field(dir, "SLOT")?,
        repository: field(dir, "repository")?,
        license: field(dir, "LICENSE")?,
        use_flags,
    })
}

/// Splits `bash-5.2_p37-r4` into `bash` and `5.2_p37-r4`. The version
/// starts after the last `-` followed by a digit (a revision `-rN` is not a
/// candidate, and PMS forbids a name ending in something version-like).
fn split_pf(pf: &str) -> Option<(&str, &str)> {
    let bytes = pf.as_bytes();
    let i = (0..bytes.len())
        .rev()
        .find(|&i| bytes[i] == b'-' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit))?;
    (i > 0).then(|| (&pf[..i], &pf[i + 1..]))
}

fn field(dir: &Path, name: &str) -> Result<String, Error> {
    match fs::read_to_string(dir.join(name)) {
        Ok(text) => Ok(text.split_whitespace().collect::<Vec<_>>().join(" ")),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(String::new()),
        Err(e) => Err(Error::from(e).context(name)),
    }
}

fn sorted_dirs(dir: &Path) -> Result<Vec<String>, Error> {
    let mut names = Vec::new();
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(names),
        Err(e) => return Err(Error::from(e).context(dir.display())),
    };
    for entry in entries {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            names.push(entry.file_name().to_string_lossy().into_owned());
        }
    }
    names.sort();
    Ok(names)
}

/// `(name, version)` pairs found on only one side: installed or locked.
pub(crate) fn mismatches(installed: &[Installed], locked: &[Package]) -> Vec<(String, String)> {
    let have: BTreeSet<(String, String)> = installed
        .iter()
        .map(|p| (format!("{}/{}", p.category, p.pn), p.version.clone()))
        .collect();
    let want: BTreeSet<(String, String)> = locked
        .iter()
        .map(|p| (p.name.clone(), p.version.clone()))
        .collect();
    have.symmetric_difference(&want).cloned().collect()
}

#[cfg(test)]
mod tests {
    use super::split_pf;

    #[test]
    fn package_version_split() {
        assert_eq!(split_pf("bash-5.2_p37-r4"), Some(("bash", "5.2_p37-r4")));
        assert_eq!(split_pf("gtk+-3.24.0"), Some(("gtk+", "3.24.0")));
        assert_eq!(
            split_pf("font-adobe-100dpi-1.0.4"),
            Some(("font-adobe-100dpi", "1.0.4"))
        );
        assert_eq!(split_pf("python-3.12.8"), Some(("python", "3.12.8")));
        assert_eq!(split_pf("foo-1-r1"), Some(("foo", "1-r1")));
        assert_eq!(split_pf("nodigits"), None);
    }
}
