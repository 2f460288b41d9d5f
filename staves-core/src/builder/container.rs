//! Containers: create, run with streamed output, copy out, removal.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use bollard::container::LogOutput;
use bollard::errors::Error as DockerError;
use bollard::query_parameters::{
    AttachContainerOptionsBuilder, CreateContainerOptionsBuilder,
    DownloadFromContainerOptionsBuilder, ListContainersOptionsBuilder,
    RemoveContainerOptionsBuilder,
};
use futures_util::StreamExt;

use super::archive::ArchiveReader;
use super::engine::Engine;
use super::error::BuilderError;
use super::logs::{LineSplitter, LogSink, LogStream};
use super::spec::ContainerSpec;

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
    /// filter `label` (`key` or `key=value`, e.g. [`BUILD_LABEL`](super::BUILD_LABEL) for all
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
        // Attach before starting: nothing is lost, and unlike `logs(follow)`
        // (Docker 20.10 drops an unterminated last line there) the stream
        // carries exactly what the process wrote.
        let attach = AttachContainerOptionsBuilder::default()
            .stream(true)
            .stdout(true)
            .stderr(true)
            .build();
        let attached = engine
            .block_on(engine.docker.attach_container(&id, Some(attach)))
            .map_err(|e| engine.engine_error(format!("attaching to container {id}"), e))?;
        let logs = attached.output;
        engine
            .block_on(engine.docker.start_container(&id, None))
            .map_err(|e| engine.engine_error(format!("starting container {id}"), e))?;
        let started = Instant::now();
        let mut split = LineSplitter::default();
        let interrupted = engine.block_on(async {
            let mut logs = logs;
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
        let stream = Box::pin(
            self.engine
                .docker
                .download_from_container(&self.id, Some(options)),
        );
        ArchiveReader::open(self.engine, stream, "copying out of a container").map_err(
            |e| match e {
                DockerError::DockerResponseServerError {
                    status_code: 404, ..
                } => BuilderError::PathNotFound {
                    container: self.id.clone(),
                    path: path.to_owned(),
                },
                e => self
                    .engine
                    .engine_error(format!("copying {path} out of container {}", self.id), e),
            },
        )
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
