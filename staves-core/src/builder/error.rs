//! Errors of the Docker driver.

use std::path::PathBuf;

/// What can go wrong while driving a container engine.
#[derive(Debug, thiserror::Error)]
pub enum BuilderError {
    /// No engine answers at the endpoint (socket missing, connection refused, API unusable).
    #[error(
        "cannot reach a Docker engine at {endpoint}: {reason}; start dockerd or set DOCKER_HOST"
    )]
    NoEngine {
        /// The endpoint tried, e.g. `unix:///var/run/docker.sock`.
        endpoint: String,
        /// Why it failed.
        reason: String,
    },
    /// The driver's private async runtime could not be created.
    #[error("cannot start the Docker driver's async runtime: {0}")]
    Runtime(#[source] std::io::Error),
    /// An engine call failed.
    #[error("{action} failed at the Docker engine {endpoint}: {source}")]
    Engine {
        /// The engine endpoint.
        endpoint: String,
        /// What was being done, e.g. "creating a container from image x:1".
        action: String,
        /// The engine's (or transport's) error.
        #[source]
        source: bollard::errors::Error,
    },
    /// An image is not present locally and pulling it failed.
    #[error(
        "cannot pull image {reference}: {message}; check the name, the registry and your login"
    )]
    Pull {
        /// The image reference.
        reference: String,
        /// The engine's message.
        message: String,
    },
    /// A local file could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// A [`ContainerSpec`](super::ContainerSpec) the engine cannot accept.
    #[error("invalid container spec: {0}")]
    InvalidSpec(String),
    /// `copy_out` of a path that does not exist in the container.
    #[error("{path} does not exist in container {container}")]
    PathNotFound {
        /// The container id.
        container: String,
        /// The path inside the container.
        path: String,
    },
    /// The [`Interrupt`](super::Interrupt) flag was set (Ctrl-C / SIGTERM)
    /// during a wait; a running container has been removed.
    #[error("interrupted while {during}")]
    Interrupted {
        /// What was going on, e.g. "running container 3f2a… (removed)".
        during: String,
    },
    /// An archive given to `load_image` loaded no image.
    #[error("loading {}: the engine reported no loaded image (is it a `docker save`/OCI archive?)", path.display())]
    NothingLoaded {
        /// The archive.
        path: PathBuf,
    },
}

impl BuilderError {
    /// Whether this is a "no engine reachable" error (tests skip on it outside CI).
    pub fn is_no_engine(&self) -> bool {
        matches!(self, BuilderError::NoEngine { .. })
    }
}
