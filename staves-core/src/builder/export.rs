//! A container's whole file system as a tar stream (`docker export`), and an
//! image's runtime configuration: what turning a finished builder container
//! into a new builder image needs.
//!
//! Unlike [`Container::copy_out`](super::Container::copy_out) of `/`, an
//! export never includes the contents of mounts (volumes, bind mounts,
//! tmpfs), only the container's own layers.

use bollard::errors::Error as DockerError;

use super::archive::ArchiveReader;
use super::engine::Engine;
use super::error::BuilderError;
use crate::image::oci::{Empty, RuntimeConfig};

impl Engine {
    /// Streams the file system of container `id` (created or stopped) as a
    /// tar archive with paths relative to `/`, like `docker export`. An
    /// unknown container is an error here, not mid-read.
    pub fn export_container(&self, id: &str) -> Result<ArchiveReader<'_>, BuilderError> {
        let stream = Box::pin(self.docker.export_container(id));
        ArchiveReader::open(self, stream, "exporting a container")
            .map_err(|e| self.engine_error(format!("exporting container {id}"), e))
    }

    /// The runtime configuration (environment, entrypoint, command, working
    /// directory, user, ports, labels) of image `reference`, `None` when the
    /// engine does not have it.
    pub fn image_runtime(&self, reference: &str) -> Result<Option<RuntimeConfig>, BuilderError> {
        match self.block_on(self.docker.inspect_image(reference)) {
            Ok(image) => {
                let config = image.config.unwrap_or_default();
                Ok(Some(RuntimeConfig {
                    user: config.user.filter(|u| !u.is_empty()),
                    exposed_ports: config
                        .exposed_ports
                        .unwrap_or_default()
                        .into_iter()
                        .map(|p| (p, Empty {}))
                        .collect(),
                    env: config.env.unwrap_or_default(),
                    entrypoint: config.entrypoint.filter(|e| !e.is_empty()),
                    cmd: config.cmd.filter(|c| !c.is_empty()),
                    working_dir: config.working_dir.filter(|w| !w.is_empty()),
                    labels: config.labels.unwrap_or_default().into_iter().collect(),
                }))
            }
            Err(DockerError::DockerResponseServerError {
                status_code: 404, ..
            }) => Ok(None),
            Err(e) => Err(self.engine_error(format!("inspecting image {reference}"), e)),
        }
    }
}
