//! Output of containers and image pulls, handed to caller-supplied traits.

/// Which output stream of a container a line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LogStream {
    /// Standard output.
    Stdout,
    /// Standard error.
    Stderr,
}

/// Receives a container's output, one line at a time (without the newline;
/// invalid UTF-8 is replaced). Closures `FnMut(LogStream, &str)` implement it.
pub trait LogSink {
    /// One complete line (or the unterminated last part at exit).
    fn line(&mut self, stream: LogStream, line: &str);
}

impl<F: FnMut(LogStream, &str)> LogSink for F {
    fn line(&mut self, stream: LogStream, line: &str) {
        self(stream, line)
    }
}

/// A [`LogSink`] that keeps every line, in arrival order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CollectLines(pub Vec<(LogStream, String)>);

impl CollectLines {
    /// The lines of one stream, in order.
    pub fn of(&self, stream: LogStream) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(s, _)| *s == stream)
            .map(|(_, l)| l.as_str())
            .collect()
    }
}

impl LogSink for CollectLines {
    fn line(&mut self, stream: LogStream, line: &str) {
        self.0.push((stream, line.to_owned()));
    }
}

/// One progress message of an image pull.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PullEvent<'a> {
    /// The layer (short id) the message is about, if any.
    pub layer: Option<&'a str>,
    /// The engine's status text ("Downloading", "Pull complete", "Digest: …").
    pub status: &'a str,
    /// Bytes done, when the engine reports them.
    pub current: Option<u64>,
    /// Bytes in total, when the engine reports them.
    pub total: Option<u64>,
}

/// Receives image pull progress (a CLI turns it into progress bars).
pub trait PullReporter {
    /// One progress message.
    fn event(&mut self, event: &PullEvent<'_>);
}

/// A [`PullReporter`] that ignores everything.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoPullProgress;

impl PullReporter for NoPullProgress {
    fn event(&mut self, _event: &PullEvent<'_>) {}
}

/// Cuts the byte chunks of both streams into lines.
#[derive(Debug, Default)]
pub(crate) struct LineSplitter {
    stdout: Vec<u8>,
    stderr: Vec<u8>,
}

impl LineSplitter {
    /// Appends a chunk and hands every completed line to `sink`.
    pub(crate) fn push(&mut self, stream: LogStream, chunk: &[u8], sink: &mut dyn LogSink) {
        let buf = match stream {
            LogStream::Stdout => &mut self.stdout,
            LogStream::Stderr => &mut self.stderr,
        };
        buf.extend_from_slice(chunk);
        let mut start = 0;
        while let Some(nl) = buf[start..].iter().position(|&b| b == b'\n') {
            let end = start + nl;
            let line = buf[start..end]
                .strip_suffix(b"\r")
                .unwrap_or(&buf[start..end]);
            sink.line(stream, &String::from_utf8_lossy(line));
            start = end + 1;
        }
        buf.drain(..start);
    }

    /// Hands unterminated trailing output (if any) to `sink`.
    pub(crate) fn finish(&mut self, sink: &mut dyn LogSink) {
        for (stream, buf) in [
            (LogStream::Stdout, &mut self.stdout),
            (LogStream::Stderr, &mut self.stderr),
        ] {
            if !buf.is_empty() {
                sink.line(stream, &String::from_utf8_lossy(buf));
                buf.clear();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_chunks_into_lines_per_stream() {
        let mut split = LineSplitter::default();
        let mut sink = CollectLines::default();
        split.push(LogStream::Stdout, b"one\ntw", &mut sink);
        split.push(LogStream::Stderr, b"err\r\n", &mut sink);
        split.push(LogStream::Stdout, b"o\n\nthree", &mut sink);
        split.finish(&mut sink);
        assert_eq!(sink.of(LogStream::Stdout), ["one", "two", "", "three"]);
        assert_eq!(sink.of(LogStream::Stderr), ["err"]);
        assert_eq!(sink.0[1], (LogStream::Stderr, "err".to_owned()));
    }

    #[test]
    fn replaces_invalid_utf8() {
        let mut split = LineSplitter::default();
        let mut sink = CollectLines::default();
        split.push(LogStream::Stdout, b"a\xffb\n", &mut sink);
        assert_eq!(sink.of(LogStream::Stdout), ["a\u{fffd}b"]);
    }
}
