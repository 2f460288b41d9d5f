//! Image references (`[registry/]repository[:tag]`), Docker's rules.

use std::fmt;
use std::str::FromStr;

/// The registry Docker assumes when a reference names none.
pub const DEFAULT_REGISTRY: &str = "docker.io";

/// A parsed image reference: registry host, repository path and tag.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ImageRef {
    /// Registry host with optional port (`docker.io`, `127.0.0.1:5000`).
    pub registry: String,
    /// Repository path (`library/debian`, `staves/app`).
    pub repository: String,
    /// Tag (`latest` when none was given).
    pub tag: String,
}

/// A string that is not a valid image reference.
#[derive(Debug, thiserror::Error)]
#[error("invalid image reference `{input}`: {reason}")]
pub struct RefError {
    /// The rejected input.
    pub input: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

impl FromStr for ImageRef {
    type Err = RefError;

    /// Parses `name`, `name:tag`, `host[:port]/path/name[:tag]`. The first
    /// component is a registry when it contains `.` or `:` or is `localhost`
    /// (Docker's rule); a one-component Docker Hub name gets `library/`.
    /// Digest references (`@sha256:…`) are refused: Staves tags what it
    /// writes.
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let err = |reason| RefError {
            input: input.to_owned(),
            reason,
        };
        if input.contains('@') {
            return Err(err("digest references cannot be written to; give a tag"));
        }
        let (registry, rest) = match input.split_once('/') {
            Some((first, rest))
                if first.contains('.') || first.contains(':') || first == "localhost" =>
            {
                (first.to_owned(), rest)
            }
            _ => (DEFAULT_REGISTRY.to_owned(), input),
        };
        let (repository, tag) = match rest.rsplit_once(':') {
            Some((repo, tag)) if !tag.contains('/') => (repo, tag),
            _ => (rest, "latest"),
        };
        let tag_ok = !tag.is_empty()
            && tag.len() <= 128
            && !tag.starts_with(['.', '-'])
            && tag
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
        if !tag_ok {
            return Err(err(
                "a tag is 1-128 of [A-Za-z0-9_.-], not starting with `.` or `-`",
            ));
        }
        let component_ok = |c: &str| {
            !c.is_empty()
                && c.bytes().all(|b| {
                    b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
                })
                && c.as_bytes()[0].is_ascii_alphanumeric()
                && c.as_bytes()[c.len() - 1].is_ascii_alphanumeric()
        };
        if !repository.split('/').all(component_ok) {
            return Err(err(
                "repository components are lowercase letters, digits and `._-` separators",
            ));
        }
        let repository = if registry == DEFAULT_REGISTRY && !repository.contains('/') {
            format!("library/{repository}")
        } else {
            repository.to_owned()
        };
        Ok(ImageRef {
            registry,
            repository,
            tag: tag.to_owned(),
        })
    }
}

impl ImageRef {
    /// The short form Docker prints (`debian:12`, `127.0.0.1:5000/x/y:1`):
    /// used for `RepoTags` in `manifest.json`.
    pub fn familiar(&self) -> String {
        if self.registry == DEFAULT_REGISTRY {
            let repo = self
                .repository
                .strip_prefix("library/")
                .unwrap_or(&self.repository);
            format!("{repo}:{}", self.tag)
        } else {
            self.to_string()
        }
    }
}

impl fmt::Display for ImageRef {
    /// The fully qualified form (`docker.io/library/debian:12`), as
    /// containerd names images.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}:{}", self.registry, self.repository, self.tag)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(s: &str) -> ImageRef {
        s.parse().unwrap()
    }

    #[test]
    fn docker_hub_defaults() {
        let d = r("debian");
        assert_eq!(d.to_string(), "docker.io/library/debian:latest");
        assert_eq!(d.familiar(), "debian:latest");
        assert_eq!(r("staves/app:1.0").to_string(), "docker.io/staves/app:1.0");
    }

    #[test]
    fn registry_hosts_and_ports() {
        let x = r("127.0.0.1:5000/staves/app:v2");
        assert_eq!(
            (x.registry.as_str(), x.repository.as_str(), x.tag.as_str()),
            ("127.0.0.1:5000", "staves/app", "v2")
        );
        assert_eq!(x.familiar(), "127.0.0.1:5000/staves/app:v2");
        assert_eq!(r("localhost/app").registry, "localhost");
        assert_eq!(r("localhost:5000/app").tag, "latest");
        assert_eq!(r("ghcr.io/o/p").registry, "ghcr.io");
    }

    #[test]
    fn rejects_bad_references() {
        for bad in [
            "Upper/case",
            "x@sha256:00",
            "app:",
            "app:-x",
            "a//b",
            "reg.io/",
            "reg.io/app:a/b",
        ] {
            assert!(bad.parse::<ImageRef>().is_err(), "{bad}");
        }
    }
}
