//! `labels`: OCI labels from the locked packages.
//!
//! Config (all optional):
//! * `prefix` (string, default `"org.staves."`): the label key prefix;
//! * `summary` (bool, default `true`): `<prefix>packages` = the image's
//!   packages as `category/name-version` separated by spaces, and
//!   `<prefix>repositories` = `name@commit` of every repository used;
//! * `per_package` (bool, default `false`): one label per package,
//!   `<prefix>package.<category>.<name>` = `version` (`version:slot` when the
//!   slot is not `0`);
//! * `labels` (table of strings): extra labels, set verbatim.
//!
//! No file system access; the smallest useful plugin.

use std::collections::BTreeSet;

use serde::Deserialize;
use staves_plugin_sdk::{Error, Request, Response};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct Config {
    prefix: String,
    summary: bool,
    per_package: bool,
    labels: std::collections::BTreeMap<String, String>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            prefix: "org.staves.".into(),
            summary: true,
            per_package: false,
            labels: Default::default(),
        }
    }
}

fn handle(req: &Request) -> Result<Response, Error> {
    let config: Config = serde_json::from_value(req.config.clone())
        .map_err(|e| Error::new(format!("invalid config: {e}")))?;
    let mut response = Response::new();
    let set = &mut response.config.labels.set;
    if config.summary {
        let packages: Vec<String> = req
            .packages
            .iter()
            .map(|p| format!("{}-{}", p.name, p.version))
            .collect();
        set.insert(format!("{}packages", config.prefix), packages.join(" "));
        let repositories: BTreeSet<String> = req
            .packages
            .iter()
            .map(|p| match &p.repository_commit {
                Some(commit) => format!("{}@{commit}", p.repository),
                None => p.repository.clone(),
            })
            .collect();
        let repositories: Vec<String> = repositories.into_iter().collect();
        set.insert(
            format!("{}repositories", config.prefix),
            repositories.join(" "),
        );
    }
    if config.per_package {
        for p in &req.packages {
            let key = format!("{}package.{}", config.prefix, p.name.replace('/', "."));
            let value = if p.slot == "0" {
                p.version.clone()
            } else {
                format!("{}:{}", p.version, p.slot)
            };
            set.insert(key, value);
        }
    }
    set.extend(config.labels);
    Ok(response)
}

fn main() {
    staves_plugin_sdk::run(handle)
}

#[cfg(test)]
mod tests {
    use staves_plugin_sdk::Package;
    use staves_plugin_sdk::harness::Harness;

    use super::*;

    fn package(name: &str, version: &str, slot: &str, commit: Option<&str>) -> Package {
        Package {
            name: name.into(),
            version: version.into(),
            slot: slot.into(),
            subslot: slot.into(),
            use_flags: vec![],
            repository: "gentoo".into(),
            repository_commit: commit.map(str::to_owned),
        }
    }

    #[test]
    fn summary_per_package_and_extra_labels() {
        let dir = tempfile::tempdir().unwrap();
        let response = Harness::new(dir.path(), dir.path())
            .config(serde_json::json!({"per_package": true, "labels": {"team": "infra"}}))
            .packages(vec![
                package("app-shells/bash", "5.2_p37-r4", "0", Some("abc")),
                package("dev-lang/python", "3.12.8", "3.12", Some("abc")),
            ])
            .run(handle)
            .unwrap();
        let labels = &response.config.labels.set;
        assert_eq!(
            labels["org.staves.packages"],
            "app-shells/bash-5.2_p37-r4 dev-lang/python-3.12.8"
        );
        assert_eq!(labels["org.staves.repositories"], "gentoo@abc");
        assert_eq!(labels["org.staves.package.dev-lang.python"], "3.12.8:3.12");
        assert_eq!(labels["org.staves.package.app-shells.bash"], "5.2_p37-r4");
        assert_eq!(labels["team"], "infra");
    }

    #[test]
    fn unknown_config_keys_are_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let err = Harness::new(dir.path(), dir.path())
            .config(serde_json::json!({"prefx": "x."}))
            .run(handle)
            .unwrap_err();
        assert!(err.to_string().contains("prefx"), "{err}");
    }
}
