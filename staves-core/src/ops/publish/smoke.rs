//! The smoke image of `staves publish`: a throw-away project next to the
//! build's scratch space with the builder project's repositories and
//! profile and no packages beyond the implicit `virtual/libc`, built with
//! the new builder.

use std::path::Path;

use super::super::Context;
use super::super::build::{self, BuildOptions, BuildReporter, OutputTarget};
use super::checks::project_dir;
use super::{PublishError, PublishOptions};
use crate::manifest::{Manifest, RepositoryKind};

/// Builds a throw-away image project with the new builder `builder` (by its
/// local reference): the builder project's repositories and profile, only
/// the implicit `virtual/libc`. Returns the image's manifest digest.
pub(super) fn smoke(
    ctx: &Context,
    manifest: &Manifest,
    profile: &str,
    builder: &str,
    options: &PublishOptions,
    reporter: &dyn BuildReporter,
) -> Result<String, PublishError> {
    let project_dir = project_dir(&ctx.manifest_path);
    let scratch = tempfile::Builder::new()
        .prefix("publish-smoke-")
        .tempdir_in(ctx.cache_dir.join("builds"))
        .or_else(|_| tempfile::tempdir())
        .map_err(|source| PublishError::Io {
            path: ctx.cache_dir.join("builds"),
            source,
        })?;
    let text = smoke_manifest(manifest, profile, &project_dir);
    let path = scratch.path().join("staves.toml");
    fs_err::write(&path, text).map_err(|source| PublishError::Io {
        path: path.clone(),
        source,
    })?;
    reporter.status(
        "Verifying",
        &format!("the new builder by building virtual/libc with {builder}"),
    );
    let smoke_ctx = Context {
        manifest_path: path,
        cache_dir: ctx.cache_dir.clone(),
        offline: ctx.offline,
        locked: false,
    };
    let oci = scratch.path().join("oci");
    let outcome = build::build(
        &smoke_ctx,
        &BuildOptions {
            tag: Some("smoke".to_owned()),
            load: false,
            outputs: vec![OutputTarget::Oci(oci)],
            push: None,
            builder_image: Some(builder.to_owned()),
            ..options.build.clone()
        },
        reporter,
    )
    .map_err(|source| PublishError::Smoke {
        packages: "virtual/libc".to_owned(),
        source: Box::new(source),
    })?;
    Ok(outcome.digest.to_string())
}

/// The smoke project's `staves.toml`.
fn smoke_manifest(manifest: &Manifest, profile: &str, project_dir: &Path) -> String {
    let mut root = toml::Table::new();
    root.insert(
        "name".into(),
        format!("{}-smoke", manifest.name.get_ref()).into(),
    );
    root.insert("profile".into(), profile.to_owned().into());
    let mut repos = Vec::new();
    for repo in &manifest.repositories {
        let mut table = toml::Table::new();
        table.insert("name".into(), repo.name.get_ref().clone().into());
        let kind = match repo.kind {
            RepositoryKind::Git => "git",
            RepositoryKind::Local => "local",
        };
        table.insert("type".into(), kind.into());
        for (key, value) in [
            ("uri", &repo.uri),
            ("branch", &repo.branch),
            ("tag", &repo.tag),
            ("rev", &repo.rev),
        ] {
            if let Some(value) = value {
                table.insert(key.into(), value.clone().into());
            }
        }
        if let Some(path) = &repo.path {
            let absolute = project_dir.join(path);
            table.insert("path".into(), absolute.display().to_string().into());
        }
        repos.push(toml::Value::Table(table));
    }
    root.insert("repositories".into(), toml::Value::Array(repos));
    toml::to_string(&root).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::ProjectKind;

    #[test]
    fn the_smoke_project_reuses_repositories_and_profile() {
        let manifest = Manifest::from_str_at(
            "name = \"b\"\nversion = \"1.0.0\"\nkind = \"builder\"\npackages = [\"app-misc/hello\"]\n\n[[repositories]]\nname = \"gentoo\"\ntype = \"git\"\nuri = \"https://example.org/gentoo.git\"\nbranch = \"stable\"\n\n[[repositories]]\nname = \"mine\"\ntype = \"local\"\npath = \"overlay\"\n",
            Path::new("staves.toml"),
        )
        .unwrap();
        let text = smoke_manifest(&manifest, "default/linux/amd64/23.0", Path::new("/p"));
        let smoke = Manifest::from_str_at(&text, Path::new("staves.toml")).unwrap();
        assert_eq!(smoke.name.get_ref(), "b-smoke");
        assert!(smoke.packages.is_empty());
        assert_eq!(
            smoke.profile.as_ref().map(|p| p.get_ref().as_str()),
            Some("default/linux/amd64/23.0")
        );
        assert_eq!(smoke.repositories.len(), 2);
        assert_eq!(smoke.repositories[0].branch.as_deref(), Some("stable"));
        assert_eq!(
            smoke.repositories[1].path.as_deref(),
            Some(Path::new("/p/overlay"))
        );
    }

    #[test]
    fn examples_builders_parse() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/builders");
        for (name, libc) in [("x86_64-glibc", "glibc"), ("x86_64-musl", "musl")] {
            let path = dir.join(name).join("staves.toml");
            let manifest = Manifest::load(&path).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(manifest.project_kind(), ProjectKind::Builder);
            assert_eq!(manifest.name.get_ref(), name);
            let version = manifest.version.as_ref().unwrap().get_ref();
            semver::Version::parse(version).unwrap();
            let image = manifest.builder.as_ref().unwrap().image.as_deref().unwrap();
            assert!(image.starts_with("docker.io/gentoo/stage3:"), "{image}");
            let profile = manifest.profile.as_ref().unwrap().get_ref();
            assert_eq!(profile.ends_with("/musl"), libc == "musl", "{profile}");
            assert!(manifest.description.is_some());
            assert!(dir.join(name).join("README.md").is_file());
        }
    }
}
