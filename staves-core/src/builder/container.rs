//! Containers: spec, create, run with streamed output, copy out, removal.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::PathBuf;
use std::pin::Pin;
use std::time::{Duration, Instant};

use bollard::container::LogOutput;
use bollard::errors::Error as DockerError;
use bollard::models::{
    ContainerCreateBody, HostConfig, Mount as DockerMount, MountTmpfsOptions, MountType,
};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, DownloadFromContainerOptionsBuilder,
    ListContainersOptionsBuilder, LogsOptionsBuilder, RemoveContainerOptionsBuilder,
};
use bytes::Bytes;
use futures_util::{Stream, StreamExt};

use super::engine::Engine;
use super::error::BuilderError;
use super::logs::{LineSplitter, LogSink, LogStream};

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

    fn to_body(&self) -> Result<ContainerCreateBody, BuilderError> {
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

/// How a container run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunOutcome {
    /// The main process's exit status (128 + n when killed by signal n).
    pub exit_code: i64,
    /// From start to exit.
    pub duration: Duration,
}

impl RunOutcome {
    /// Whether the exit code is 0.
    pub fn success(&self) -> bool {
        self.exit_code == 0
    }
}

/// A created container. It is force-removed (with its anonymous volumes)
/// when dropped, so every early return and error path cleans up; call
/// [`Container::remove`] to see removal errors.
#[derive(Debug)]
pub struct Container<'e> {
    engine: &'e Engine,
    id: String,
    removed: bool,
}

impl Engine {
    /// Creates (does not start) a container from `spec`. The image must be
    /// present (see [`Engine::ensure_image`]).
    pub fn create(&self, spec: &ContainerSpec) -> Result<Container<'_>, BuilderError> {
        if self.interrupt.is_set() {
            return Err(BuilderError::Interrupted {
                during: format!("creating a container from {}", spec.image),
            });
        }
        let body = spec.to_body()?;
        let mut options = CreateContainerOptionsBuilder::default();
        if let Some(name) = &spec.name {
            options = options.name(name);
        }
        let created = self
            .block_on(self.docker.create_container(Some(options.build()), body))
            .map_err(|e| {
                self.engine_error(format!("creating a container from image {}", spec.image), e)
            })?;
        Ok(Container {
            engine: self,
            id: created.id,
            removed: false,
        })
    }

    /// Creates a container, runs it to completion streaming its output to
    /// `sink`, and removes it. A non-zero exit is an `Ok` outcome.
    pub fn run(
        &self,
        spec: &ContainerSpec,
        sink: &mut dyn LogSink,
    ) -> Result<RunOutcome, BuilderError> {
        let mut container = self.create(spec)?;
        let outcome = container.start_and_wait(sink)?;
        container.remove()?;
        Ok(outcome)
    }

    /// Force-removes every container (running or not) matching the label
    /// filter `label` (`key` or `key=value`, e.g. [`BUILD_LABEL`] for all
    /// Staves containers); returns how many were removed.
    pub fn remove_leftovers(&self, label: &str) -> Result<usize, BuilderError> {
        let filters = HashMap::from([("label", vec![label])]);
        let options = ListContainersOptionsBuilder::default()
            .all(true)
            .filters(&filters)
            .build();
        let list = self
            .block_on(self.docker.list_containers(Some(options)))
            .map_err(|e| self.engine_error(format!("listing containers labelled {label}"), e))?;
        let mut removed = 0;
        for id in list.into_iter().filter_map(|c| c.id) {
            if self.remove_container(&id)? {
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// Force-removes container `id` and its anonymous volumes; `false` if it was gone.
    fn remove_container(&self, id: &str) -> Result<bool, BuilderError> {
        let options = RemoveContainerOptionsBuilder::default()
            .force(true)
            .v(true)
            .build();
        match self.block_on(self.docker.remove_container(id, Some(options))) {
            Ok(()) => Ok(true),
            Err(DockerError::DockerResponseServerError {
                status_code: 404, ..
            }) => Ok(false),
            // 409: removal already in progress.
            Err(DockerError::DockerResponseServerError {
                status_code: 409, ..
            }) => Ok(true),
            Err(e) => Err(self.engine_error(format!("removing container {id}"), e)),
        }
    }
}

impl Container<'_> {
    /// The container id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Starts the container, hands its output to `sink` line by line (in
    /// order per stream) and waits for it to exit. On interrupt the container
    /// is removed and [`BuilderError::Interrupted`] returned.
    pub fn start_and_wait(&mut self, sink: &mut dyn LogSink) -> Result<RunOutcome, BuilderError> {
        let engine = self.engine;
        let id = self.id.clone();
        let started = Instant::now();
        engine
            .block_on(engine.docker.start_container(&id, None))
            .map_err(|e| engine.engine_error(format!("starting container {id}"), e))?;
        let logs = engine.docker.logs(
            &id,
            Some(
                LogsOptionsBuilder::default()
                    .follow(true)
                    .stdout(true)
                    .stderr(true)
                    .build(),
            ),
        );
        let mut split = LineSplitter::default();
        let interrupted = engine.block_on(async {
            let mut logs = std::pin::pin!(logs);
            let mut tick = tokio::time::interval(Duration::from_millis(100));
            loop {
                tokio::select! {
                    item = logs.next() => match item {
                        None => return Ok(false),
                        Some(Ok(LogOutput::StdOut { message } | LogOutput::Console { message })) => {
                            split.push(LogStream::Stdout, &message, sink);
                        }
                        Some(Ok(LogOutput::StdErr { message })) => split.push(LogStream::Stderr, &message, sink),
                        Some(Ok(LogOutput::StdIn { .. })) => {}
                        Some(Err(e)) => return Err(e),
                    },
                    _ = tick.tick() => if engine.interrupt.is_set() { return Ok(true) },
                }
            }
        });
        split.finish(sink);
        match interrupted {
            Ok(false) => {}
            Ok(true) => {
                self.remove_now()?;
                return Err(BuilderError::Interrupted {
                    during: format!("running container {id} (removed)"),
                });
            }
            Err(e) => {
                return Err(engine.engine_error(format!("reading the output of container {id}"), e));
            }
        }
        let exit = engine.block_on(async { engine.docker.wait_container(&id, None).next().await });
        let exit_code = match exit {
            Some(Ok(response)) => response.status_code,
            // bollard turns a non-zero exit into this error; it is an outcome.
            Some(Err(DockerError::DockerContainerWaitError { code, .. })) => code,
            Some(Err(e)) => {
                return Err(engine.engine_error(format!("waiting for container {id}"), e));
            }
            None => {
                return Err(BuilderError::Engine {
                    endpoint: engine.endpoint.clone(),
                    action: format!("waiting for container {id}"),
                    source: DockerError::RequestTimeoutError,
                });
            }
        };
        Ok(RunOutcome {
            exit_code,
            duration: started.elapsed(),
        })
    }

    /// Streams `path` (a file or directory) out of the container as a tar
    /// archive, like `docker cp CONTAINER:PATH -`. Works on stopped containers.
    pub fn copy_out(&self, path: &str) -> Result<ArchiveReader<'_>, BuilderError> {
        let options = DownloadFromContainerOptionsBuilder::default()
            .path(path)
            .build();
        let mut stream: ByteStream = Box::pin(
            self.engine
                .docker
                .download_from_container(&self.id, Some(options)),
        );
        // Fetch the first chunk now so a wrong path is an error here, not mid-read.
        let first = self.engine.block_on(stream.next());
        let buf = match first {
            None => Bytes::new(),
            Some(Ok(bytes)) => bytes,
            Some(Err(DockerError::DockerResponseServerError {
                status_code: 404, ..
            })) => {
                return Err(BuilderError::PathNotFound {
                    container: self.id.clone(),
                    path: path.to_owned(),
                });
            }
            Some(Err(e)) => {
                return Err(self
                    .engine
                    .engine_error(format!("copying {path} out of container {}", self.id), e));
            }
        };
        Ok(ArchiveReader {
            engine: self.engine,
            stream,
            buf,
            done: false,
        })
    }

    /// Removes the container now (also stops it), reporting errors.
    pub fn remove(mut self) -> Result<(), BuilderError> {
        self.remove_now()
    }

    fn remove_now(&mut self) -> Result<(), BuilderError> {
        if !self.removed {
            self.engine.remove_container(&self.id)?;
            self.removed = true;
        }
        Ok(())
    }
}

impl Drop for Container<'_> {
    fn drop(&mut self) {
        // Best effort: an error here has nowhere to go; `remove_leftovers`
        // catches what is left.
        let _ = self.remove_now();
    }
}

type ByteStream = Pin<Box<dyn Stream<Item = Result<Bytes, DockerError>> + Send>>;

/// A tar stream out of a container ([`Container::copy_out`]); reads block on
/// the engine. An [`Interrupt`](super::Interrupt) makes reads fail.
pub struct ArchiveReader<'c> {
    engine: &'c Engine,
    stream: ByteStream,
    buf: Bytes,
    done: bool,
}

impl std::fmt::Debug for ArchiveReader<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ArchiveReader")
            .field("buffered", &self.buf.len())
            .field("done", &self.done)
            .finish()
    }
}

impl Read for ArchiveReader<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        while self.buf.is_empty() {
            if self.done {
                return Ok(0);
            }
            if self.engine.interrupt.is_set() {
                return Err(std::io::Error::other(
                    "interrupted while copying out of a container",
                ));
            }
            match self.engine.block_on(self.stream.next()) {
                None => self.done = true,
                Some(Ok(bytes)) => self.buf = bytes,
                Some(Err(e)) => return Err(std::io::Error::other(e)),
            }
        }
        let n = out.len().min(self.buf.len());
        out[..n].copy_from_slice(&self.buf[..n]);
        let _ = self.buf.split_to(n);
        Ok(n)
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
