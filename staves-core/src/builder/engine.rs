//! Connecting to the engine, and images: inspect, pull, load, import.

use std::collections::BTreeMap;
use std::future::Future;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use bollard::Docker;
use bollard::auth::DockerCredentials;
use bollard::errors::Error as DockerError;
use bollard::query_parameters::{
    CreateImageOptionsBuilder, ImportImageOptionsBuilder, RemoveImageOptionsBuilder,
};
use bytes::Bytes;
use futures_util::{Stream, StreamExt};

use super::error::BuilderError;
use super::interrupt::Interrupt;
use super::logs::{PullEvent, PullReporter};

/// How long connecting and negotiating the API version may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);
/// Request timeout for calls whose response starts only after a large upload.
const UPLOAD_TIMEOUT: Duration = Duration::from_secs(3600);
/// Where the engine's socket usually is.
const DOCKER_SOCKET: &str = "/var/run/docker.sock";

/// A connection to a Docker-compatible engine, with the API version negotiated.
pub struct Engine {
    pub(super) docker: Docker,
    pub(super) rt: tokio::runtime::Runtime,
    pub(super) endpoint: String,
    pub(super) interrupt: Interrupt,
    info: EngineInfo,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("endpoint", &self.endpoint)
            .field("info", &self.info)
            .finish()
    }
}

/// What the engine says about itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EngineInfo {
    /// The engine's version, e.g. `20.10.24+dfsg1`.
    pub server_version: String,
    /// The API version in use after negotiation, e.g. `1.41`.
    pub api_version: String,
    /// The engine's OS (`linux`).
    pub os: String,
    /// The engine's architecture (`amd64`, `arm64`).
    pub arch: String,
    /// Whether this is Podman's Docker-compatible API.
    pub podman: bool,
}

/// An image as the engine has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageInfo {
    /// The image id: the digest of its config (`sha256:…`).
    pub id: String,
    /// Its tags (`name:tag`).
    pub repo_tags: Vec<String>,
    /// Registry digests it was pulled by or pushed as (`name@sha256:…`).
    pub repo_digests: Vec<String>,
    /// The config's labels.
    pub labels: BTreeMap<String, String>,
    /// Size in bytes, as reported by the engine.
    pub size: u64,
    /// `os/architecture`, e.g. `linux/amd64`.
    pub platform: String,
}

/// Credentials for pulling from a registry.
#[derive(Clone, PartialEq, Eq)]
pub struct RegistryAuth {
    /// The user name.
    pub username: String,
    /// The password or token.
    pub password: String,
}

impl std::fmt::Debug for RegistryAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistryAuth")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// The endpoint `Engine::connect` uses: `DOCKER_HOST`, else the first existing
/// socket of Docker, rootless Podman, system Podman; else Docker's default.
pub(super) fn default_endpoint() -> String {
    if let Some(host) = std::env::var("DOCKER_HOST").ok().filter(|h| !h.is_empty()) {
        return host;
    }
    let mut candidates = vec![PathBuf::from(DOCKER_SOCKET)];
    if let Some(xdg) = std::env::var_os("XDG_RUNTIME_DIR") {
        candidates.push(Path::new(&xdg).join("podman/podman.sock"));
    }
    if let Ok(meta) = std::fs::metadata("/proc/self") {
        use std::os::unix::fs::MetadataExt;
        candidates.push(PathBuf::from(format!(
            "/run/user/{}/podman/podman.sock",
            meta.uid()
        )));
    }
    candidates.push(PathBuf::from("/run/podman/podman.sock"));
    let found = candidates.into_iter().find(|p| p.exists());
    format!(
        "unix://{}",
        found
            .as_deref()
            .unwrap_or(Path::new(DOCKER_SOCKET))
            .display()
    )
}

impl Engine {
    /// Connects to the engine at `DOCKER_HOST`, or at the first existing socket
    /// of Docker (`/var/run/docker.sock`) or Podman (rootless, then system),
    /// and negotiates the API version. Docker CLI contexts are not read.
    pub fn connect() -> Result<Self, BuilderError> {
        Self::connect_to(&default_endpoint())
    }

    /// Connects to `endpoint` (`unix:///path`, `/path`, `tcp://host:port`,
    /// `http://host:port`) and negotiates the API version.
    pub fn connect_to(endpoint: &str) -> Result<Self, BuilderError> {
        let endpoint = if endpoint.starts_with('/') {
            format!("unix://{endpoint}")
        } else {
            endpoint.to_owned()
        };
        let no_engine = |reason: String| BuilderError::NoEngine {
            endpoint: endpoint.clone(),
            reason,
        };
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .build()
            .map_err(BuilderError::Runtime)?;
        let docker = Docker::connect_with_host(&endpoint).map_err(|e| no_engine(e.to_string()))?;
        let (docker, version) = rt
            .block_on(async {
                let docker = tokio::time::timeout(CONNECT_TIMEOUT, docker.negotiate_version())
                    .await
                    .map_err(|_| format!("no answer within {} s", CONNECT_TIMEOUT.as_secs()))?
                    .map_err(|e| e.to_string())?;
                let version = docker.version().await.map_err(|e| e.to_string())?;
                Ok::<_, String>((docker, version))
            })
            .map_err(no_engine)?;
        let podman = version
            .components
            .iter()
            .flatten()
            .any(|c| c.name.to_ascii_lowercase().contains("podman"));
        let info = EngineInfo {
            server_version: version.version.unwrap_or_default(),
            api_version: docker.client_version().to_string(),
            os: version.os.unwrap_or_default(),
            arch: version.arch.unwrap_or_default(),
            podman,
        };
        Ok(Engine {
            docker,
            rt,
            endpoint,
            interrupt: Interrupt::new(),
            info,
        })
    }

    /// Uses `interrupt` to stop long waits (see [`Interrupt`]).
    pub fn with_interrupt(mut self, interrupt: Interrupt) -> Self {
        self.interrupt = interrupt;
        self
    }

    /// The endpoint connected to, e.g. `unix:///var/run/docker.sock`.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The engine's version data (API version after negotiation).
    pub fn info(&self) -> &EngineInfo {
        &self.info
    }

    pub(super) fn engine_error(
        &self,
        action: impl Into<String>,
        source: DockerError,
    ) -> BuilderError {
        BuilderError::Engine {
            endpoint: self.endpoint.clone(),
            action: action.into(),
            source,
        }
    }

    /// Runs `fut` on the private runtime.
    pub(super) fn block_on<F: Future>(&self, fut: F) -> F::Output {
        self.rt.block_on(fut)
    }

    /// The image `reference` if the engine has it, `None` if not.
    pub fn inspect_image(&self, reference: &str) -> Result<Option<ImageInfo>, BuilderError> {
        match self.block_on(self.docker.inspect_image(reference)) {
            Ok(image) => {
                let labels = image
                    .config
                    .as_ref()
                    .and_then(|c| c.labels.clone())
                    .unwrap_or_default();
                Ok(Some(ImageInfo {
                    id: image.id.unwrap_or_default(),
                    repo_tags: image.repo_tags.unwrap_or_default(),
                    repo_digests: image.repo_digests.unwrap_or_default(),
                    labels: labels.into_iter().collect(),
                    size: image.size.and_then(|s| u64::try_from(s).ok()).unwrap_or(0),
                    platform: format!(
                        "{}/{}",
                        image.os.unwrap_or_default(),
                        image.architecture.unwrap_or_default()
                    ),
                }))
            }
            Err(DockerError::DockerResponseServerError {
                status_code: 404, ..
            }) => Ok(None),
            Err(e) => Err(self.engine_error(format!("inspecting image {reference}"), e)),
        }
    }

    /// The image id (`sha256:…`, the config digest) of `reference`, if present.
    pub fn image_digest(&self, reference: &str) -> Result<Option<String>, BuilderError> {
        Ok(self.inspect_image(reference)?.map(|i| i.id))
    }

    /// Makes sure the engine has `reference`: present → its info; otherwise
    /// pulls it, reporting progress, and returns the pulled image's info.
    pub fn ensure_image(
        &self,
        reference: &str,
        auth: Option<&RegistryAuth>,
        reporter: &mut dyn PullReporter,
    ) -> Result<ImageInfo, BuilderError> {
        if let Some(info) = self.inspect_image(reference)? {
            return Ok(info);
        }
        let (name, tag) = split_reference(reference);
        let options = CreateImageOptionsBuilder::default()
            .from_image(name)
            .tag(tag)
            .build();
        let credentials = auth.map(|a| DockerCredentials {
            username: Some(a.username.clone()),
            password: Some(a.password.clone()),
            serveraddress: Some(registry_of(name).to_owned()),
            ..Default::default()
        });
        let stream = self.docker.create_image(Some(options), None, credentials);
        let pull_error = |message: String| BuilderError::Pull {
            reference: reference.to_owned(),
            message,
        };
        self.drive(stream, |info| {
            let progress = info.progress_detail.as_ref();
            reporter.event(&PullEvent {
                layer: info.id.as_deref(),
                status: info.status.as_deref().unwrap_or(""),
                current: progress
                    .and_then(|p| p.current)
                    .and_then(|v| u64::try_from(v).ok()),
                total: progress
                    .and_then(|p| p.total)
                    .and_then(|v| u64::try_from(v).ok()),
            });
        })
        .map_err(|e| match e {
            Drive::Interrupted => BuilderError::Interrupted {
                during: format!("pulling {reference}"),
            },
            Drive::Failed(DockerError::DockerStreamError { error }) => pull_error(error),
            Drive::Failed(DockerError::DockerResponseServerError { message, .. }) => {
                pull_error(message)
            }
            Drive::Failed(e) => pull_error(e.to_string()),
        })?;
        self.inspect_image(reference)?.ok_or_else(|| {
            pull_error("the engine reported success but does not have the image".to_owned())
        })
    }

    /// Loads a `docker save` / OCI image archive (like `docker load`) and
    /// returns what the engine reports as loaded (`name:tag` or `sha256:…`).
    pub fn load_image(&self, tar_path: &Path) -> Result<Vec<String>, BuilderError> {
        let body = bollard::body_try_stream(file_stream(tar_path)?);
        let docker = self.docker.clone().with_timeout(UPLOAD_TIMEOUT);
        let options = ImportImageOptionsBuilder::default().quiet(false).build();
        let mut loaded = Vec::new();
        self.drive(docker.import_image(options, body, None), |info| {
            if let Some(text) = info.stream.as_deref() {
                for line in text.lines() {
                    let name = line
                        .strip_prefix("Loaded image: ")
                        .or_else(|| line.strip_prefix("Loaded image ID: "));
                    if let Some(name) = name {
                        loaded.push(name.trim().to_owned());
                    }
                }
            }
        })
        .map_err(|e| self.drive_error(format!("loading {}", tar_path.display()), e))?;
        if loaded.is_empty() {
            return Err(BuilderError::NothingLoaded {
                path: tar_path.to_owned(),
            });
        }
        Ok(loaded)
    }

    /// Creates image `reference` (`name:tag`) from a root filesystem tar (like
    /// `docker import`) and returns its id.
    pub fn import_rootfs(&self, tar_path: &Path, reference: &str) -> Result<String, BuilderError> {
        let body = bollard::body_try_stream(file_stream(tar_path)?);
        let docker = self.docker.clone().with_timeout(UPLOAD_TIMEOUT);
        // Podman ignores a separate `tag`: pass "name:tag" as the repo.
        let options = CreateImageOptionsBuilder::default()
            .from_src("-")
            .repo(reference)
            .build();
        self.drive(docker.create_image(Some(options), Some(body), None), |_| {})
            .map_err(|e| {
                self.drive_error(
                    format!("importing {} as {reference}", tar_path.display()),
                    e,
                )
            })?;
        self.image_digest(reference)?
            .ok_or_else(|| BuilderError::NothingLoaded {
                path: tar_path.to_owned(),
            })
    }

    /// Removes image `reference` (forced); `false` if it did not exist.
    pub fn remove_image(&self, reference: &str) -> Result<bool, BuilderError> {
        let options = RemoveImageOptionsBuilder::default().force(true).build();
        match self.block_on(self.docker.remove_image(reference, Some(options), None)) {
            Ok(_) => Ok(true),
            Err(DockerError::DockerResponseServerError {
                status_code: 404, ..
            }) => Ok(false),
            Err(e) => Err(self.engine_error(format!("removing image {reference}"), e)),
        }
    }

    /// Consumes a progress stream, polling the interrupt flag.
    fn drive<T>(
        &self,
        stream: impl Stream<Item = Result<T, DockerError>>,
        mut each: impl FnMut(&T),
    ) -> Result<(), Drive> {
        let interrupt = &self.interrupt;
        self.block_on(async {
            let mut stream = std::pin::pin!(stream);
            let mut tick = tokio::time::interval(Duration::from_millis(100));
            loop {
                tokio::select! {
                    item = stream.next() => match item {
                        None => return Ok(()),
                        Some(Ok(item)) => each(&item),
                        Some(Err(e)) => return Err(Drive::Failed(e)),
                    },
                    _ = tick.tick() => if interrupt.is_set() { return Err(Drive::Interrupted) },
                }
            }
        })
    }

    /// `action` is a gerund phrase ("loading x.tar").
    fn drive_error(&self, action: String, e: Drive) -> BuilderError {
        match e {
            Drive::Interrupted => BuilderError::Interrupted { during: action },
            Drive::Failed(source) => self.engine_error(action, source),
        }
    }
}

/// Why consuming a stream stopped early.
enum Drive {
    Interrupted,
    Failed(DockerError),
}

/// Splits `name[:tag]` / `name@digest` into the pull's `fromImage` and `tag`
/// (an empty tag would pull every tag: default to `latest`).
fn split_reference(reference: &str) -> (&str, &str) {
    if let Some((name, digest)) = reference.split_once('@') {
        return (name, digest);
    }
    let last_slash = reference.rfind('/').map_or(0, |i| i + 1);
    match reference[last_slash..].rfind(':') {
        Some(i) => (
            &reference[..last_slash + i],
            &reference[last_slash + i + 1..],
        ),
        None => (reference, "latest"),
    }
}

/// The registry host of an image name (`docker.io` when it has none).
fn registry_of(name: &str) -> &str {
    match name.split_once('/') {
        Some((host, _)) if host.contains(['.', ':']) || host == "localhost" => host,
        _ => "docker.io",
    }
}

/// A file as a stream of 256 KiB chunks, for request bodies.
fn file_stream(
    path: &Path,
) -> Result<impl Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static, BuilderError> {
    let file = std::fs::File::open(path).map_err(|source| BuilderError::Io {
        path: path.to_owned(),
        source,
    })?;
    Ok(futures_util::stream::unfold(
        Some(file),
        |file| async move {
            let mut file = file?;
            let mut buf = vec![0u8; 256 * 1024];
            match file.read(&mut buf) {
                Ok(0) => None,
                Ok(n) => {
                    buf.truncate(n);
                    Some((Ok(Bytes::from(buf)), Some(file)))
                }
                Err(e) => Some((Err(e), None)),
            }
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_references() {
        assert_eq!(split_reference("busybox"), ("busybox", "latest"));
        assert_eq!(split_reference("a/b:1.0"), ("a/b", "1.0"));
        assert_eq!(
            split_reference("127.0.0.1:5000/x/y"),
            ("127.0.0.1:5000/x/y", "latest")
        );
        assert_eq!(
            split_reference("127.0.0.1:5000/x/y:t"),
            ("127.0.0.1:5000/x/y", "t")
        );
        assert_eq!(split_reference("r/x@sha256:ab"), ("r/x", "sha256:ab"));
    }

    #[test]
    fn finds_the_registry_host() {
        assert_eq!(registry_of("127.0.0.1:5000/x/y"), "127.0.0.1:5000");
        assert_eq!(registry_of("ghcr.io/o/p"), "ghcr.io");
        assert_eq!(registry_of("localhost/p"), "localhost");
        assert_eq!(registry_of("library/busybox"), "docker.io");
        assert_eq!(registry_of("busybox"), "docker.io");
    }
}
