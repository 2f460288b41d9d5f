//! What a container should be: image, command, environment, mounts, network.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;

use bollard::models::{
    ContainerCreateBody, HostConfig, Mount as DockerMount, MountTmpfsOptions, MountType,
};

use super::error::BuilderError;

/// The label every Staves container carries; its value is the build id.
pub const BUILD_LABEL: &str = "io.staves.build";

/// A filesystem mount of a container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mount {
    /// A host path (absolute; must exist) at `target`.
    Bind {
        /// The host path.
        source: PathBuf,
        /// The path in the container.
        target: String,
        /// Mount read-only.
        read_only: bool,
    },
    /// A fresh tmpfs at `target`.
    Tmpfs {
        /// The path in the container.
        target: String,
        /// Size limit in bytes (engine default: half the RAM).
        size_bytes: Option<u64>,
    },
    /// A named engine volume (created on first use) at `target`.
    Volume {
        /// The volume's name.
        name: String,
        /// The path in the container.
        target: String,
        /// Mount read-only.
        read_only: bool,
    },
}

/// The network a container gets.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Network {
    /// No network at all (the default: builds must not fetch).
    #[default]
    None,
    /// The host's network (fetch steps).
    Host,
    /// A named engine network.
    Named(String),
}

/// Everything needed to create a container. Build it with [`ContainerSpec::new`]
/// and the chaining methods.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerSpec {
    /// The image reference.
    pub image: String,
    /// The build id, stored as label [`BUILD_LABEL`].
    pub build_id: String,
    /// A container name (engine-generated when `None`).
    pub name: Option<String>,
    /// Replaces the image's entrypoint when set.
    pub entrypoint: Option<Vec<String>>,
    /// The command (the image's default when empty).
    pub cmd: Vec<String>,
    /// Environment variables.
    pub env: Vec<(String, String)>,
    /// `user[:group]` (names or ids); the image's default when `None`.
    pub user: Option<String>,
    /// The working directory.
    pub working_dir: Option<String>,
    /// Mounts, in order.
    pub mounts: Vec<Mount>,
    /// The network.
    pub network: Network,
    /// Further labels.
    pub labels: BTreeMap<String, String>,
}

impl ContainerSpec {
    /// A spec for `image`, labelled with `build_id`, no network, no mounts.
    pub fn new(image: impl Into<String>, build_id: impl Into<String>) -> Self {
        ContainerSpec {
            image: image.into(),
            build_id: build_id.into(),
            name: None,
            entrypoint: None,
            cmd: Vec::new(),
            env: Vec::new(),
            user: None,
            working_dir: None,
            mounts: Vec::new(),
            network: Network::None,
            labels: BTreeMap::new(),
        }
    }

    /// Sets the command.
    pub fn cmd<I: IntoIterator<Item = S>, S: Into<String>>(mut self, cmd: I) -> Self {
        self.cmd = cmd.into_iter().map(Into::into).collect();
        self
    }

    /// Replaces the image's entrypoint.
    pub fn entrypoint<I: IntoIterator<Item = S>, S: Into<String>>(mut self, entrypoint: I) -> Self {
        self.entrypoint = Some(entrypoint.into_iter().map(Into::into).collect());
        self
    }

    /// Adds an environment variable.
    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    /// Runs as `user[:group]`.
    pub fn user(mut self, user: impl Into<String>) -> Self {
        self.user = Some(user.into());
        self
    }

    /// Sets the working directory.
    pub fn working_dir(mut self, dir: impl Into<String>) -> Self {
        self.working_dir = Some(dir.into());
        self
    }

    /// Bind-mounts host path `source` read-only at `target`.
    pub fn bind_ro(mut self, source: impl Into<PathBuf>, target: impl Into<String>) -> Self {
        self.mounts.push(Mount::Bind {
            source: source.into(),
            target: target.into(),
            read_only: true,
        });
        self
    }

    /// Bind-mounts host path `source` read-write at `target`.
    pub fn bind_rw(mut self, source: impl Into<PathBuf>, target: impl Into<String>) -> Self {
        self.mounts.push(Mount::Bind {
            source: source.into(),
            target: target.into(),
            read_only: false,
        });
        self
    }

    /// Mounts a fresh tmpfs at `target`.
    pub fn tmpfs(mut self, target: impl Into<String>, size_bytes: Option<u64>) -> Self {
        self.mounts.push(Mount::Tmpfs {
            target: target.into(),
            size_bytes,
        });
        self
    }

    /// Mounts the named volume `name` at `target`.
    pub fn volume(
        mut self,
        name: impl Into<String>,
        target: impl Into<String>,
        read_only: bool,
    ) -> Self {
        self.mounts.push(Mount::Volume {
            name: name.into(),
            target: target.into(),
            read_only,
        });
        self
    }

    /// Sets the network.
    pub fn network(mut self, network: Network) -> Self {
        self.network = network;
        self
    }

    /// Adds a label.
    pub fn label(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.labels.insert(key.into(), value.into());
        self
    }

    /// Names the container.
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    pub(super) fn to_body(&self) -> Result<ContainerCreateBody, BuilderError> {
        let mut mounts = Vec::with_capacity(self.mounts.len());
        for mount in &self.mounts {
            mounts.push(match mount {
                Mount::Bind {
                    source,
                    target,
                    read_only,
                } => {
                    if !source.is_absolute() {
                        return Err(BuilderError::InvalidSpec(format!(
                            "bind mount source {} for {target} must be an absolute path",
                            source.display()
                        )));
                    }
                    let source = source.to_str().ok_or_else(|| {
                        BuilderError::InvalidSpec(format!(
                            "bind mount source {} is not UTF-8",
                            source.display()
                        ))
                    })?;
                    DockerMount {
                        typ: Some(MountType::BIND),
                        source: Some(source.to_owned()),
                        target: Some(target.clone()),
                        read_only: Some(*read_only),
                        ..Default::default()
                    }
                }
                Mount::Tmpfs { target, size_bytes } => DockerMount {
                    typ: Some(MountType::TMPFS),
                    target: Some(target.clone()),
                    tmpfs_options: size_bytes.map(|s| MountTmpfsOptions {
                        size_bytes: i64::try_from(s).ok(),
                        ..Default::default()
                    }),
                    ..Default::default()
                },
                Mount::Volume {
                    name,
                    target,
                    read_only,
                } => DockerMount {
                    typ: Some(MountType::VOLUME),
                    source: Some(name.clone()),
                    target: Some(target.clone()),
                    read_only: Some(*read_only),
                    ..Default::default()
                },
            });
        }
        for mount in &self.mounts {
            let target = match mount {
                Mount::Bind { target, .. }
                | Mount::Tmpfs { target, .. }
                | Mount::Volume { target, .. } => target,
            };
            if !target.starts_with('/') {
                return Err(BuilderError::InvalidSpec(format!(
                    "mount target {target} must be an absolute path"
                )));
            }
        }
        let mut labels: HashMap<String, String> = self.labels.clone().into_iter().collect();
        labels.insert(BUILD_LABEL.to_owned(), self.build_id.clone());
        let network_mode = match &self.network {
            Network::None => "none".to_owned(),
            Network::Host => "host".to_owned(),
            Network::Named(name) => name.clone(),
        };
        Ok(ContainerCreateBody {
            image: Some(self.image.clone()),
            entrypoint: self.entrypoint.clone(),
            cmd: (!self.cmd.is_empty()).then(|| self.cmd.clone()),
            env: Some(self.env.iter().map(|(k, v)| format!("{k}={v}")).collect()),
            user: self.user.clone(),
            working_dir: self.working_dir.clone(),
            labels: Some(labels),
            attach_stdout: Some(true),
            attach_stderr: Some(true),
            tty: Some(false),
            host_config: Some(HostConfig {
                mounts: Some(mounts),
                network_mode: Some(network_mode),
                ..Default::default()
            }),
            ..Default::default()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_maps_to_an_isolated_labelled_container() {
        let spec = ContainerSpec::new("img:1", "b1")
            .cmd(["sh", "-c", "true"])
            .env("A", "1")
            .user("250:250")
            .bind_ro("/repos/gentoo", "/var/db/repos/gentoo")
            .bind_rw("/cache", "/var/cache/binpkgs")
            .tmpfs("/var/tmp", Some(1 << 20))
            .label("k", "v");
        let body = spec.to_body().unwrap();
        assert_eq!(body.cmd.unwrap(), ["sh", "-c", "true"]);
        assert_eq!(body.env.unwrap(), ["A=1"]);
        assert_eq!(body.user.as_deref(), Some("250:250"));
        let labels = body.labels.unwrap();
        assert_eq!(labels[BUILD_LABEL], "b1");
        assert_eq!(labels["k"], "v");
        let host = body.host_config.unwrap();
        assert_eq!(host.network_mode.as_deref(), Some("none"));
        let mounts = host.mounts.unwrap();
        assert_eq!(mounts[0].read_only, Some(true));
        assert_eq!(mounts[0].source.as_deref(), Some("/repos/gentoo"));
        assert_eq!(mounts[1].read_only, Some(false));
        assert_eq!(mounts[2].typ, Some(MountType::TMPFS));
        assert_eq!(
            mounts[2].tmpfs_options.as_ref().unwrap().size_bytes,
            Some(1 << 20)
        );
    }

    #[test]
    fn relative_paths_are_rejected() {
        let err = ContainerSpec::new("i", "b")
            .bind_ro("repos", "/x")
            .to_body()
            .unwrap_err();
        assert!(err.to_string().contains("bind mount source repos"), "{err}");
        let err = ContainerSpec::new("i", "b")
            .tmpfs("tmp", None)
            .to_body()
            .unwrap_err();
        assert!(err.to_string().contains("mount target tmp"), "{err}");
    }
}
