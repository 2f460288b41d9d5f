//! Resolving a profile into its ordered list of nodes (gentoo.md §5.1),
//! copying Portage 3.0.83's `LocationsManager._addProfile`: `parent` files
//! are followed depth-first, left to right, parents before the child;
//! `repo:path` and `:path` parents need `profile-formats = portage-2`;
//! each directory's `eapi` file sets that node's EAPI only.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::layout::{LayoutConf, eapi_at_least};
use super::md5cache::supported_eapi;
use super::pkgfiles::grab_words;
use super::profile::{ProfileError, display_dir};
use super::tree::RepoFiles;

/// What the loader knows about one repository.
pub(crate) struct RepoCtx {
    pub(crate) name: String,
    pub(crate) files: Arc<dyn RepoFiles>,
    pub(crate) layout: LayoutConf,
    /// `profile-formats`, with Portage's default applied.
    pub(crate) formats: Vec<String>,
    /// The EAPI of profile directories without an `eapi` file (Portage's
    /// `RepoConfig.eapi`).
    pub(crate) eapi: String,
    /// The content of `profiles/eapi` (when it is exactly one line).
    pub(crate) profiles_eapi: Option<String>,
    /// Whether repository-level files (`profiles/package.mask`…) may be
    /// directories (Portage's `portage1_profiles`).
    pub(crate) portage1_profiles: bool,
}

const DIR_FORMATS: [&str; 3] = ["portage-1-compat", "portage-1", "portage-2"];

impl RepoCtx {
    fn load(name: &str, files: Arc<dyn RepoFiles>) -> Result<RepoCtx, ProfileError> {
        let layout = LayoutConf::load(files.as_ref()).map_err(|source| ProfileError::Layout {
            repo: name.to_owned(),
            source,
        })?;
        // `read_corresponding_eapi_file`: exactly one line, else ignored.
        let profiles_eapi = read_text(name, files.as_ref(), "profiles/eapi")?.and_then(|t| {
            let lines: Vec<&str> = t.split_inclusive('\n').collect();
            (lines.len() == 1).then(|| lines[0].trim_end_matches('\n').to_owned())
        });
        let formats = layout.profile_formats_or_default(profiles_eapi.as_deref().unwrap_or("0"));
        let eapi = match &profiles_eapi {
            Some(e) if eapi_at_least(e, 9) => e.clone(),
            _ if formats.iter().any(|f| f == "profile-default-eapi") => layout
                .profile_eapi_when_unspecified
                .clone()
                .filter(|e| supported_eapi(e))
                .unwrap_or_else(|| "0".to_owned()),
            _ => "0".to_owned(),
        };
        let portage1_profiles = eapi_at_least(profiles_eapi.as_deref().unwrap_or(&eapi), 7)
            || formats.iter().any(|f| DIR_FORMATS.contains(&f.as_str()));
        Ok(RepoCtx {
            name: name.to_owned(),
            files,
            layout,
            formats,
            eapi,
            profiles_eapi,
            portage1_profiles,
        })
    }

    /// Whether profile files of this repository may carry `::repo`.
    pub(crate) fn allows_repo_deps(&self) -> bool {
        self.formats.iter().any(|f| f == "profile-repo-deps")
    }
}

/// One resolved profile directory.
#[derive(Debug, Clone)]
pub(crate) struct NodeLoc {
    pub(crate) repo: String,
    /// Path from the repository root (`profiles/default/linux`).
    pub(crate) dir: String,
    pub(crate) eapi: String,
    pub(crate) allow_dirs: bool,
}

/// Reads a file as text (lossy UTF-8, as Portage reads with
/// `errors="replace"`).
pub(crate) fn read_text(
    repo: &str,
    files: &dyn RepoFiles,
    path: &str,
) -> Result<Option<String>, ProfileError> {
    files
        .read(path)
        .map(|b| b.map(|b| String::from_utf8_lossy(&b).into_owned()))
        .map_err(|source| ProfileError::Io {
            repo: repo.to_owned(),
            path: path.to_owned(),
            source,
        })
}

fn dir_exists(ctx: &RepoCtx, dir: &str) -> Result<bool, ProfileError> {
    ctx.files
        .list(dir)
        .map(|l| l.is_some())
        .map_err(|source| ProfileError::Io {
            repo: ctx.name.clone(),
            path: dir.to_owned(),
            source,
        })
}

/// Joins `rel` to the directory `base` (both `/`-separated, relative to a
/// repository root) and normalises `.` and `..`; `None` when the result
/// would leave the repository.
fn join_normalized(base: &str, rel: &str) -> Option<String> {
    let mut parts: Vec<&str> = base.split('/').filter(|p| !p.is_empty()).collect();
    for p in rel.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            other => parts.push(other),
        }
    }
    Some(parts.join("/"))
}

/// The resolver of profile stacks: repository lookups and caches.
pub(crate) struct Walker<'a> {
    repos: &'a dyn Fn(&str) -> Option<Arc<dyn RepoFiles>>,
    pub(crate) ctx: BTreeMap<String, Arc<RepoCtx>>,
    pub(crate) nodes: Vec<NodeLoc>,
    active: Vec<(String, String)>,
}

impl<'a> Walker<'a> {
    pub(crate) fn new(repos: &'a dyn Fn(&str) -> Option<Arc<dyn RepoFiles>>) -> Self {
        Self {
            repos,
            ctx: BTreeMap::new(),
            nodes: Vec::new(),
            active: Vec::new(),
        }
    }

    /// The context of repository `name`; `referrer` explains where the name
    /// came from, for the error when it is not configured.
    pub(crate) fn repo(
        &mut self,
        name: &str,
        referrer: &str,
    ) -> Result<Arc<RepoCtx>, ProfileError> {
        if let Some(c) = self.ctx.get(name) {
            return Ok(c.clone());
        }
        let files = (self.repos)(name).ok_or_else(|| ProfileError::UnknownRepo {
            repo: name.to_owned(),
            referrer: referrer.to_owned(),
        })?;
        let ctx = Arc::new(RepoCtx::load(name, files)?);
        self.ctx.insert(name.to_owned(), ctx.clone());
        Ok(ctx)
    }

    /// Resolves the profile `path` (relative to `profiles/`) of `repo`.
    pub(crate) fn walk_top(&mut self, repo: &str, path: &str) -> Result<(), ProfileError> {
        let ctx = self.repo(repo, "the requested profile")?;
        let Some(dir) = join_normalized("profiles", path.trim_matches('/')) else {
            return Err(ProfileError::MissingProfile {
                repo: repo.to_owned(),
                profile: path.to_owned(),
            });
        };
        if !dir_exists(&ctx, &dir)? {
            return Err(ProfileError::MissingProfile {
                repo: repo.to_owned(),
                profile: path.to_owned(),
            });
        }
        self.walk(&ctx, &dir)
    }

    fn walk(&mut self, ctx: &Arc<RepoCtx>, dir: &str) -> Result<(), ProfileError> {
        let key = (ctx.name.clone(), dir.to_owned());
        if self.active.contains(&key) {
            let mut chain: Vec<String> = self
                .active
                .iter()
                .skip_while(|k| **k != key)
                .map(|(r, d)| format!("{r}:{}", display_dir(d)))
                .collect();
            chain.push(format!("{}:{}", ctx.name, display_dir(dir)));
            return Err(ProfileError::Cycle {
                chain: chain.join(" -> "),
            });
        }
        self.active.push(key);
        let eapi = self.node_eapi(ctx, dir)?;
        let allow_dirs = eapi_at_least(&eapi, 7)
            || ctx
                .formats
                .iter()
                .any(|f| DIR_FORMATS.contains(&f.as_str()));
        let allow_colon = ctx.formats.iter().any(|f| f == "portage-2");
        let parent_file = format!("{dir}/parent");
        if let Some(text) = read_text(&ctx.name, ctx.files.as_ref(), &parent_file)? {
            let lines = grab_words(&text);
            if lines.is_empty() {
                return Err(ProfileError::EmptyParent {
                    repo: ctx.name.clone(),
                    path: parent_file,
                });
            }
            for (line, words) in lines {
                let entry = words.join(" ");
                let (pctx, pdir) =
                    self.resolve_parent(ctx, dir, &parent_file, line, &entry, allow_colon)?;
                self.walk(&pctx, &pdir)?;
            }
        }
        self.active.pop();
        self.nodes.push(NodeLoc {
            repo: ctx.name.clone(),
            dir: dir.to_owned(),
            eapi,
            allow_dirs,
        });
        Ok(())
    }

    fn node_eapi(&self, ctx: &RepoCtx, dir: &str) -> Result<String, ProfileError> {
        let path = format!("{dir}/eapi");
        match read_text(&ctx.name, ctx.files.as_ref(), &path)? {
            None => Ok(ctx.eapi.clone()),
            Some(text) => {
                let eapi = text.lines().next().unwrap_or("").trim().to_owned();
                if supported_eapi(&eapi) {
                    Ok(eapi)
                } else {
                    Err(ProfileError::UnsupportedEapi {
                        repo: ctx.name.clone(),
                        path,
                        eapi,
                    })
                }
            }
        }
    }

    fn resolve_parent(
        &mut self,
        ctx: &Arc<RepoCtx>,
        dir: &str,
        parent_file: &str,
        line: usize,
        entry: &str,
        allow_colon: bool,
    ) -> Result<(Arc<RepoCtx>, String), ProfileError> {
        let bad = |reason: String| ProfileError::BadParent {
            repo: ctx.name.clone(),
            path: parent_file.to_owned(),
            line,
            parent: entry.to_owned(),
            reason,
        };
        if entry.starts_with('/') {
            return Err(bad(
                "absolute parent paths are not supported; use a path relative to this profile \
                 or `repo:path`"
                    .to_owned(),
            ));
        }
        let (target, base, rel) = match entry.split_once(':') {
            Some((repo, rel)) if allow_colon => {
                let target = if repo.is_empty() {
                    ctx.clone()
                } else {
                    self.repo(
                        repo,
                        &format!("`{parent_file}` line {line} of repository `{}`", ctx.name),
                    )?
                };
                (target, "profiles".to_owned(), rel.to_owned())
            }
            _ => (ctx.clone(), dir.to_owned(), entry.to_owned()),
        };
        let resolved = join_normalized(&base, &rel)
            .ok_or_else(|| bad("the path leaves the repository".to_owned()))?;
        if !dir_exists(&target, &resolved)? {
            return Err(ProfileError::MissingParent {
                repo: ctx.name.clone(),
                target_repo: target.name.clone(),
                parent: entry.to_owned(),
                path: parent_file.to_owned(),
                line,
            });
        }
        Ok((target, resolved))
    }
}

#[cfg(test)]
mod tests {
    use super::join_normalized;

    #[test]
    fn joins_and_normalises() {
        assert_eq!(
            join_normalized("profiles/default/linux/amd64", "../../../base").as_deref(),
            Some("profiles/base")
        );
        assert_eq!(
            join_normalized("profiles/a", "./b/").as_deref(),
            Some("profiles/a/b")
        );
        assert_eq!(join_normalized("profiles", "../..").as_deref(), None);
    }
}
