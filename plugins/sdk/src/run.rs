//! The plugin entry point.

use std::io::{self, Read, Write};

use crate::{Error, Level, Message, Request, Response};

/// Reads the request on stdin, calls `handler` and writes its response on
/// stdout. A handler error (or an unreadable request) is written as a
/// response with one `error` message, and the process exits with status 1.
pub fn run(handler: impl FnOnce(&Request) -> Result<Response, Error>) -> ! {
    let result = read_request().and_then(|req| handler(&req));
    let (response, status) = match result {
        Ok(response) => (response, 0),
        Err(e) => {
            let mut response = Response::new();
            response.messages.push(Message {
                level: Level::Error,
                text: e.to_string(),
                path: None,
            });
            (response, 1)
        }
    };
    let written = serde_json::to_vec(&response)
        .map_err(io::Error::other)
        .and_then(|bytes| {
            let mut out = io::stdout().lock();
            out.write_all(&bytes)?;
            out.flush()
        });
    if let Err(e) = written {
        log(&format!("cannot write the response: {e}"));
        std::process::exit(1);
    }
    std::process::exit(status)
}

fn read_request() -> Result<Request, Error> {
    let mut input = Vec::new();
    io::stdin()
        .read_to_end(&mut input)
        .map_err(|e| Error::new(format!("cannot read the request on stdin: {e}")))?;
    let request: Request = serde_json::from_slice(&input)
        .map_err(|e| Error::new(format!("the request on stdin is not valid: {e}")))?;
    if request.api_version != crate::API_VERSION {
        return Err(Error::new(format!(
            "the host speaks plugin API {}, this plugin was built for API {}",
            request.api_version,
            crate::API_VERSION
        )));
    }
    Ok(request)
}

/// Writes one line to stderr, which the host shows when the plugin fails
/// (stdout is reserved for the response).
pub fn log(line: &str) {
    let mut err = io::stderr().lock();
    let _ = writeln!(err, "{line}");
}
