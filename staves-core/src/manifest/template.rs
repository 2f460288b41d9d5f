//! The starter `staves.toml` written by `staves init`.

use super::error::toml_quote;

/// A commented starter manifest for an image called `name`.
///
/// It names the image, has an empty `packages` list, the Gentoo repository
/// (the `stable` branch of the gentoo-mirror git repository), and shows the
/// other sections, the builder among them, as comments. `name` is written as
/// a TOML string, so any text yields valid TOML; whether it is a valid image
/// name is checked when the manifest is parsed.
pub fn starter(name: &str) -> String {
    format!(
        r#"# staves.toml: what goes into the image, and how it is built.
# Every key is documented in docs/manifest.md.

# The image name (and, with `version`, its tag).
name = {name}
# version = "0.1.0"

# Gentoo atoms to install, e.g. "app-shells/bash" or "=dev-lang/python-3.12.8".
# `staves add <atom>` adds one and updates staves.lock.
packages = []

# The entrypoint: a program, or a program and its arguments.
# command = ["/bin/bash"]

# The Portage profile; by default the first stable one for the builder's arch.
# profile = "default/linux/amd64/23.0"

# The ebuild repositories, main repository first; staves.lock pins their commits.
[[repositories]]
name = "gentoo"
type = "git"
uri = "https://github.com/gentoo-mirror/gentoo.git"
branch = "stable"

# The builder the packages are built in: a name and a semver requirement
# from a builder index, pinned by version and digest in staves.lock. The index
# that ships with this version of Staves has no builders yet: publish one
# from examples/builders (see its README) and set `index` to that index, or
# use an image (`image = "ghcr.io/me/builder@sha256:…"`) or a local builder
# project (`path = "builders/x"`) instead.
# [builder]
# name = "x86_64-glibc"
# version = "^0.1"

# make.conf variables for every package:
# [env]
# CFLAGS = "-O2 -pipe"
# USE = "-nls"

# A named environment, applied only to the packages that list it:
# [env.no-cache]
# FEATURES = "-buildpkg"

# Settings for one package:
# [package."app-shells/bash"]
# use = ["-nls", "readline"]
# keywords = ["~amd64"]
# env = ["no-cache"]

# Image metadata:
# [image]
# user = "app"
# workdir = "/srv"
# env = {{ LANG = "C.UTF-8" }}
# labels = {{ "org.opencontainers.image.source" = "https://example.com/repo" }}
# expose = ["8080/tcp"]
"#,
        name = toml_quote(name)
    )
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::manifest::{BuilderSource, Manifest};

    #[test]
    fn the_starter_parses_with_our_own_parser() {
        let text = starter("bash-image");
        let m = Manifest::from_str_at(&text, Path::new("staves.toml")).unwrap();
        assert_eq!(m.name.get_ref(), "bash-image");
        assert!(m.packages.is_empty());
        assert_eq!(m.repositories.len(), 1);
        assert_eq!(m.repositories[0].name.get_ref(), "gentoo");
        assert_eq!(m.repositories[0].branch.as_deref(), Some("stable"));
        // The shipped index is empty: the starter names no builder.
        assert!(m.builder.is_none());
    }

    #[test]
    fn every_commented_example_parses_when_uncommented() {
        let text = starter("demo");
        let uncommented: String = text
            .lines()
            .map(|line| match line.strip_prefix("# ") {
                Some(rest) if looks_like_toml(rest) => rest,
                _ => line,
            })
            .map(|line| format!("{line}\n"))
            .collect();
        let m = Manifest::from_str_at(&uncommented, Path::new("staves.toml"))
            .unwrap_or_else(|e| panic!("{}", e.render_snippet(&uncommented)));
        assert_eq!(
            m.version.as_ref().map(|v| v.get_ref().as_str()),
            Some("0.1.0")
        );
        assert!(m.command.is_some());
        assert!(m.profile.is_some());
        assert_eq!(m.env.vars.len(), 2);
        assert!(m.env.named.contains_key("no-cache"));
        assert_eq!(m.package.len(), 1);
        assert_eq!(m.image.exposed_ports().len(), 1);
        assert_eq!(
            m.builder.as_ref().and_then(|b| b.source()),
            Some(BuilderSource::Registry {
                name: "x86_64-glibc",
                version: "^0.1".parse().unwrap()
            })
        );
    }

    fn looks_like_toml(line: &str) -> bool {
        line.starts_with('[')
            || line
                .split_once(" = ")
                .is_some_and(|(k, _)| !k.contains(' '))
    }

    #[test]
    fn odd_names_still_give_valid_toml() {
        let text = starter("we\"ird\\name\n");
        let err = Manifest::from_str_at(&text, Path::new("staves.toml")).unwrap_err();
        assert_eq!(err.key(), Some("name"), "{err}");
    }
}
