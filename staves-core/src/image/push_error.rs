//! Errors of the registry client, built from HTTP responses.

use std::path::PathBuf;

use reqwest::blocking::Response;
use serde::Deserialize;

use super::auth::AuthError;

/// Why a push (or a registry request) failed. Every variant names the
/// registry; none carries credentials.
#[derive(Debug, thiserror::Error)]
pub enum PushError {
    /// The registry could not be reached or the connection broke.
    #[error("cannot {action} at registry `{registry}` (repository `{repository}`): {message}")]
    Transport {
        /// Registry host.
        registry: String,
        /// Repository.
        repository: String,
        /// What was being done.
        action: String,
        /// The transport error, with its causes.
        message: String,
    },
    /// The registry answered with an error status.
    #[error(
        "registry `{registry}` refused to {action} in `{repository}`: HTTP {status}{}{}",
        code.as_ref().map(|c| format!(" {c}")).unwrap_or_default(),
        if message.is_empty() { String::new() } else { format!(": {message}") }
    )]
    // Boxed strings keep the error (and callers' error enums) small.
    Status {
        /// Registry host.
        registry: String,
        /// Repository.
        repository: String,
        /// What was being done.
        action: String,
        /// HTTP status code.
        status: u16,
        /// The first distribution error code (`BLOB_UNKNOWN`, `DENIED`, …).
        code: Option<Box<str>>,
        /// The error message(s) the registry gave.
        message: Box<str>,
    },
    /// Authentication was rejected.
    #[error(
        "registry `{registry}` rejected the credentials for `{repository}` ({action}): {detail}; check them with `docker login {registry}`"
    )]
    Unauthorized {
        /// Registry host.
        registry: String,
        /// Repository.
        repository: String,
        /// What was being done.
        action: String,
        /// Status and registry error text.
        detail: String,
    },
    /// The registry wants credentials and none were found.
    #[error(
        "registry `{registry}` requires authentication and no credentials were found; run `docker login {registry}` (Staves reads $DOCKER_CONFIG/config.json)"
    )]
    NoCredentials {
        /// Registry host.
        registry: String,
    },
    /// The token endpoint failed.
    #[error("cannot get a token for `{registry}` from `{realm}`: {message}")]
    Token {
        /// Registry host.
        registry: String,
        /// Token endpoint.
        realm: String,
        /// What went wrong.
        message: String,
    },
    /// The registry broke the protocol (missing header, rewritten manifest).
    #[error("registry `{registry}` (repository `{repository}`): {message}")]
    Protocol {
        /// Registry host.
        registry: String,
        /// Repository.
        repository: String,
        /// What happened.
        message: String,
    },
    /// The registry address or a URL is invalid.
    #[error("registry `{registry}`: {message}")]
    Config {
        /// Registry host.
        registry: String,
        /// What is wrong.
        message: String,
    },
    /// A local blob could not be read.
    #[error("cannot read blob `{path}`: {source}")]
    Blob {
        /// The blob file.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Reading the Docker credentials failed.
    #[error(transparent)]
    Credentials(AuthError),
}

/// A transport error with its whole cause chain (reqwest hides the useful
/// part, e.g. "connection refused", in its sources).
pub(crate) fn transport(
    registry: &str,
    repository: &str,
    action: &str,
    error: reqwest::Error,
) -> PushError {
    PushError::Transport {
        registry: registry.to_owned(),
        repository: repository.to_owned(),
        action: action.to_owned(),
        message: chain(error),
    }
}

/// The error text with all its causes, without the URL (which may carry an
/// upload session's state).
pub(crate) fn chain(error: reqwest::Error) -> String {
    let error = error.without_url();
    let mut message = error.to_string();
    let mut source = std::error::Error::source(&error);
    while let Some(s) = source {
        message.push_str(": ");
        message.push_str(&s.to_string());
        source = s.source();
    }
    message
}

#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default)]
    errors: Vec<ErrorItem>,
}

#[derive(Deserialize)]
struct ErrorItem {
    #[serde(default)]
    code: String,
    #[serde(default)]
    message: String,
}

/// Turns an error response into a [`PushError`], reading the distribution
/// error body (`{"errors":[{"code","message","detail"}]}`) when there is one.
pub(crate) fn error_from_response(
    registry: &str,
    repository: &str,
    action: &str,
    response: Response,
) -> PushError {
    let status = response.status().as_u16();
    let body = response.bytes().map(|b| b.to_vec()).unwrap_or_default();
    let (code, message) = match serde_json::from_slice::<ErrorBody>(&body) {
        Ok(parsed) if !parsed.errors.is_empty() => (
            Some(parsed.errors[0].code.as_str())
                .filter(|c| !c.is_empty())
                .map(Box::from),
            parsed
                .errors
                .iter()
                .map(|e| e.message.as_str())
                .filter(|m| !m.is_empty())
                .collect::<Vec<_>>()
                .join("; "),
        ),
        _ => (
            None,
            String::from_utf8_lossy(&body)
                .trim()
                .chars()
                .take(300)
                .collect(),
        ),
    };
    if status == 401 || status == 403 {
        return PushError::Unauthorized {
            registry: registry.to_owned(),
            repository: repository.to_owned(),
            action: action.to_owned(),
            detail: format!(
                "HTTP {status}{}{}",
                code.as_ref().map(|c| format!(" {c}")).unwrap_or_default(),
                if message.is_empty() {
                    String::new()
                } else {
                    format!(": {message}")
                }
            ),
        };
    }
    PushError::Status {
        registry: registry.to_owned(),
        repository: repository.to_owned(),
        action: action.to_owned(),
        status,
        code,
        message: message.into_boxed_str(),
    }
}
