//! Checks for builder projects (`kind = "builder"`): the name must be a
//! registry-index builder name and the version a semver version, because
//! `staves publish` puts both into the index. Semver build metadata
//! (`1.0.0+glibc`) never gets here: the version is the image tag, and the
//! tag check that runs first for every project refuses `+`.

use super::{Result, invalid, invalid_spanned, key};
use crate::manifest::model::{Manifest, ProjectKind};
use crate::manifest::parse::Ctx;

pub(super) fn check(m: &Manifest, ctx: &Ctx<'_, '_>) -> Result {
    if m.project_kind() != ProjectKind::Builder {
        return Ok(());
    }
    let name = m.name.get_ref();
    if let Err(e) = registry_index::validate_name(name) {
        return Err(invalid_spanned(
            ctx,
            &m.name,
            &[key("name")],
            format!("invalid builder name `{name}`: {e}"),
            Some(
                "builder names are 1 to 64 lowercase letters, digits, `-` and `_`, such as \
                 `x86_64-glibc` (no `/`, `.` or registry: `staves publish` takes those from the index)"
                    .to_owned(),
            ),
        ));
    }
    let Some(version) = &m.version else {
        return Err(invalid(
            ctx,
            &[key("kind")],
            "a builder project needs a `version`".to_owned(),
            Some("add a semver version, e.g. version = \"1.0.0\"".to_owned()),
        ));
    };
    if let Err(e) = semver::Version::parse(version.get_ref()) {
        return Err(invalid_spanned(
            ctx,
            version,
            &[key("version")],
            format!(
                "a builder's version must be a semver version, not `{}`: {e}",
                version.get_ref()
            ),
            Some("write MAJOR.MINOR.PATCH, e.g. version = \"1.2.0\"".to_owned()),
        ));
    }
    if let Some(description) = &m.description
        && (description.contains(['\n', '\r'])
            || description.chars().count() > registry_index::MAX_SUMMARY_LEN)
    {
        return Err(invalid(
            ctx,
            &[key("description")],
            format!(
                "a builder's description must be one line of at most {} characters",
                registry_index::MAX_SUMMARY_LEN
            ),
            Some("it becomes the builder's summary in the registry index".to_owned()),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use crate::manifest::{Manifest, ProjectKind};

    fn parse(text: &str) -> Result<Manifest, String> {
        Manifest::from_str_at(text, Path::new("staves.toml")).map_err(|e| e.to_string())
    }

    #[test]
    fn a_builder_project_parses() {
        let m = parse(
            "name = \"x86_64-glibc\"\nversion = \"1.2.0\"\nkind = \"builder\"\ndescription = \"Gentoo with Python\"\npackages = [\"dev-lang/python\"]\n",
        )
        .unwrap();
        assert_eq!(m.project_kind(), ProjectKind::Builder);
        assert_eq!(m.description.as_deref(), Some("Gentoo with Python"));
        let image = parse("name = \"demo\"\n").unwrap();
        assert_eq!(image.project_kind(), ProjectKind::Image);
    }

    #[test]
    fn builder_names_and_versions_are_checked_with_their_line() {
        let err = parse("kind = \"builder\"\nname = \"ghcr.io/me/b\"\nversion = \"1.0.0\"\n")
            .unwrap_err();
        assert!(err.contains("invalid builder name `ghcr.io/me/b`"), "{err}");
        assert!(err.contains("staves.toml:2:"), "{err}");
        let err = parse("kind = \"builder\"\nname = \"b\"\n").unwrap_err();
        assert!(err.contains("a builder project needs a `version`"), "{err}");
        let err = parse("kind = \"builder\"\nname = \"b\"\nversion = \"1.0\"\n").unwrap_err();
        assert!(err.contains("must be a semver version, not `1.0`"), "{err}");
        assert!(err.contains("staves.toml:3:"), "{err}");
        // Build metadata cannot be in the image tag; a pre-release can.
        let err = Manifest::from_str_at(
            "kind = \"builder\"\nname = \"b\"\nversion = \"1.0.0+glibc\"\n",
            Path::new("staves.toml"),
        )
        .unwrap_err();
        let text = err.to_string();
        assert!(text.contains("staves.toml:3:"), "{text}");
        assert!(text.contains("`1.0.0+glibc`"), "{text}");
        assert!(
            err.help()
                .is_some_and(|h| h.contains("becomes the image tag")),
            "{:?}",
            err.help()
        );
        parse("kind = \"builder\"\nname = \"b\"\nversion = \"1.0.0-rc.1\"\n").unwrap();
        let err = parse("kind = \"tool\"\nname = \"b\"\n").unwrap_err();
        assert!(err.contains("kind"), "{err}");
    }
}
