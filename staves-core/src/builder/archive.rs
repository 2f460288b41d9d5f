//! A tar stream out of the engine, read synchronously: what
//! [`Container::copy_out`](super::Container::copy_out) and
//! [`Engine::export_container`] return.

use std::io::Read;
use std::pin::Pin;

use bollard::errors::Error as DockerError;
use bytes::Bytes;
use futures_util::{Stream, StreamExt};

use super::engine::Engine;

/// The engine's byte stream behind an [`ArchiveReader`].
pub(super) type ByteStream = Pin<Box<dyn Stream<Item = Result<Bytes, DockerError>> + Send>>;

/// A tar stream out of the engine ([`Container::copy_out`](super::Container::copy_out),
/// [`Engine::export_container`]); reads block on the engine. An
/// [`Interrupt`](super::Interrupt) makes reads fail.
pub struct ArchiveReader<'e> {
    engine: &'e Engine,
    stream: ByteStream,
    buf: Bytes,
    done: bool,
    /// What the stream is for, as in "interrupted while {during}".
    during: &'static str,
}

impl<'e> ArchiveReader<'e> {
    /// Fetches the first chunk of `stream` now, so that a wrong container
    /// or path is an error from the call that asked for the stream, not
    /// mid-read. `during` names the transfer in the interrupt error.
    pub(super) fn open(
        engine: &'e Engine,
        mut stream: ByteStream,
        during: &'static str,
    ) -> Result<Self, DockerError> {
        let buf = match engine.block_on(stream.next()) {
            None => Bytes::new(),
            Some(Ok(bytes)) => bytes,
            Some(Err(e)) => return Err(e),
        };
        Ok(ArchiveReader {
            engine,
            stream,
            buf,
            done: false,
            during,
        })
    }
}

impl std::fmt::Debug for ArchiveReader<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ArchiveReader")
            .field("during", &self.during)
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
                return Err(std::io::Error::other(format!(
                    "interrupted while {}",
                    self.during
                )));
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
