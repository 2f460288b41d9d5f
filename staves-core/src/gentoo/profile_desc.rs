//! `profiles/profiles.desc`: the profiles a repository offers, and the
//! default choice for an architecture.

use super::layout::repo_name;
use super::pkgfiles::grab_words;
use super::profile::ProfileError;
use super::profile_walk::read_text;
use super::tree::RepoFiles;

/// One line of `profiles/profiles.desc`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileDesc {
    /// The keyword/architecture (`amd64`, `arm64`, `amd64-linux`…).
    pub arch: String,
    /// The profile path relative to `profiles/`.
    pub path: String,
    /// `stable`, `dev` or `exp`.
    pub status: String,
}

/// Reads `profiles/profiles.desc` (`<arch> <path> <status>` per line;
/// comments and blank lines skipped). A repository without the file offers
/// no profiles.
///
/// # Errors
/// An I/O failure, or a line without exactly three fields.
pub fn profiles_desc(files: &dyn RepoFiles) -> Result<Vec<ProfileDesc>, ProfileError> {
    const PATH: &str = "profiles/profiles.desc";
    // Only for error messages.
    let repo = repo_name(files).unwrap_or_else(|_| "(unnamed)".to_owned());
    let text = read_text(&repo, files, PATH)?.unwrap_or_default();
    let mut out = Vec::new();
    for (line, words) in grab_words(&text) {
        let [arch, path, status] = words.as_slice() else {
            return Err(ProfileError::Parse {
                repo: repo.clone(),
                path: PATH.to_owned(),
                line,
                message: format!(
                    "expected `<arch> <profile path> <stable|dev|exp>`, found `{}`",
                    words.join(" ")
                ),
            });
        };
        out.push(ProfileDesc {
            arch: arch.clone(),
            path: path.trim_matches('/').to_owned(),
            status: status.clone(),
        });
    }
    Ok(out)
}

/// The default profile for `arch`: the first `stable` entry for it in
/// `profiles/profiles.desc` (design.md), or `None` when there is none.
/// Read errors count as "none"; call [`profiles_desc`] to see them.
pub fn default_profile(files: &dyn RepoFiles, arch: &str) -> Option<String> {
    profiles_desc(files)
        .ok()?
        .into_iter()
        .find(|d| d.arch == arch && d.status == "stable")
        .map(|d| d.path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gentoo::tree::MemFiles;

    #[test]
    fn reads_desc_and_picks_first_stable() {
        let mut t = MemFiles::new();
        t.insert(
            "profiles/profiles.desc",
            "# arch  profile  status\n\
             arm64  default/linux/arm64/23.0  dev\n\
             amd64\tdefault/linux/amd64/23.0\tstable\n\
             amd64  default/linux/amd64/23.0/systemd stable\n\
             arm64  default/linux/arm64/23.0/systemd stable\n",
        );
        let all = profiles_desc(&t).unwrap();
        assert_eq!(all.len(), 4);
        assert_eq!(all[1].path, "default/linux/amd64/23.0");
        assert_eq!(
            default_profile(&t, "amd64").as_deref(),
            Some("default/linux/amd64/23.0")
        );
        assert_eq!(
            default_profile(&t, "arm64").as_deref(),
            Some("default/linux/arm64/23.0/systemd")
        );
        assert_eq!(default_profile(&t, "riscv"), None);

        t.insert("profiles/profiles.desc", "amd64 only-two\n");
        let e = profiles_desc(&t).unwrap_err().to_string();
        assert!(
            e.contains("profiles/profiles.desc") && e.contains("line 1"),
            "{e}"
        );
    }
}
