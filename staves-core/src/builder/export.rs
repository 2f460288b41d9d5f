//! A container's whole file system as a tar stream (`docker export`), and an
//! image's runtime configuration: what turning a finished builder container
//! into a new builder image needs.
//!
//! Unlike [`Container::copy_out`](super::Container::copy_out) of `/`, an
//! export never includes the contents of mounts (volumes, bind mounts,
//! tmpfs), only the container's own layers.

use std::io::Read;
use std::pin::Pin;

use bollard::errors::Error as DockerError;
use bytes::Bytes;
use futures_util::{Stream, StreamExt};

use super::engine::Engine;
use super::error::BuilderError;
use crate::image::oci::{Empty, RuntimeConfig};

type ByteStream = Pin<Box<dyn Stream<Item = Result<Bytes, DockerError>> + Send>>;

impl Engine {
    /// Streams the file system of container `id` (created or stopped) as a
    /// tar archive with paths relative to `/`, like `docker export`.
    pub fn export_container(&self, id: &str) -> Result<ExportReader<'_>, BuilderError> {
        let mut stream: ByteStream = Box::pin(self.docker.export_container(id));
        // The first chunk now, so that an unknown container is an error here.
        let buf = match self.block_on(stream.next()) {
            None => Bytes::new(),
            Some(Ok(bytes)) => bytes,
            Some(Err(e)) => {
                return Err(self.engine_error(format!("exporting container {id}"), e));
            }
        };
        Ok(ExportReader {
            engine: self,
            stream,
            buf,
            done: false,
        })
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

/// The tar stream of [`Engine::export_container`]; reads block on the
/// engine. An [`Interrupt`](super::Interrupt) makes reads fail.
pub struct ExportReader<'e> {
    engine: &'e Engine,
    stream: ByteStream,
    buf: Bytes,
    done: bool,
}

impl std::fmt::Debug for ExportReader<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExportReader")
            .field("buffered", &self.buf.len())
            .field("done", &self.done)
            .finish()
    }
}

impl Read for ExportReader<'_> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        while self.buf.is_empty() {
            if self.done {
                return Ok(0);
            }
            if self.engine.interrupt.is_set() {
                return Err(std::io::Error::other(
                    "interrupted while exporting a container",
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
