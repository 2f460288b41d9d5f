//! Registry credentials from the Docker client configuration.
//!
//! Reads `$DOCKER_CONFIG/config.json` (default `~/.docker/config.json`), as
//! `docker login` writes it: a per-host `credHelpers` entry wins, then the
//! global `credsStore`, then the inline `auths.<host>` entry (`auth` =
//! base64 `user:password`, or `identitytoken`). Helpers run as
//! `docker-credential-<name> get` with the server address on stdin.
//! Credentials never appear in `Debug` output or in error messages.

use std::collections::BTreeMap;
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use base64::Engine as _;
use serde::Deserialize;

/// Credentials for one registry.
#[derive(Clone, PartialEq, Eq)]
pub enum Credentials {
    /// User name and password (or personal access token).
    Basic {
        /// User name.
        username: String,
        /// Password or token.
        password: String,
    },
    /// An OAuth2 refresh token (`identitytoken`, or a helper's
    /// `Username: "<token>"`), exchanged at the token endpoint.
    IdentityToken(String),
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credentials::Basic { username, .. } => f
                .debug_struct("Basic")
                .field("username", username)
                .field("password", &"<redacted>")
                .finish(),
            Credentials::IdentityToken(_) => f.write_str("IdentityToken(<redacted>)"),
        }
    }
}

/// Why credentials could not be read.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// The config file exists but cannot be read or parsed.
    #[error("cannot read the Docker client config `{path}`: {message}")]
    Config {
        /// The config file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// A credential helper failed.
    #[error(
        "credential helper `docker-credential-{helper}` failed for `{registry}`: {message} (is it installed and logged in?)"
    )]
    Helper {
        /// Helper name.
        helper: String,
        /// Registry asked for.
        registry: String,
        /// What went wrong (never the secret).
        message: String,
    },
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct DockerConfig {
    #[serde(default)]
    auths: BTreeMap<String, AuthEntry>,
    #[serde(default)]
    creds_store: Option<String>,
    #[serde(default)]
    cred_helpers: BTreeMap<String, String>,
}

#[derive(Debug, Default, Deserialize)]
struct AuthEntry {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    identitytoken: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct HelperReply {
    username: String,
    secret: String,
}

/// The Docker client config directory: `$DOCKER_CONFIG`, else `~/.docker`.
pub fn docker_config_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("DOCKER_CONFIG").filter(|d| !d.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(|h| PathBuf::from(h).join(".docker"))
}

/// Credentials for `registry` (`host[:port]`) from the user's Docker config,
/// or `None` when there are none (anonymous access).
pub fn credentials_for(registry: &str) -> Result<Option<Credentials>, AuthError> {
    match docker_config_dir() {
        Some(dir) => credentials_in(&dir, registry, None),
        None => Ok(None),
    }
}

/// Like [`credentials_for`] with an explicit config directory. `helper_dir`
/// makes helpers resolve there instead of through `PATH`.
pub(crate) fn credentials_in(
    config_dir: &Path,
    registry: &str,
    helper_dir: Option<&Path>,
) -> Result<Option<Credentials>, AuthError> {
    let path = config_dir.join("config.json");
    let text = match std::fs::read(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(AuthError::Config {
                path,
                message: e.to_string(),
            });
        }
    };
    let config: DockerConfig = serde_json::from_slice(&text).map_err(|e| AuthError::Config {
        path: path.clone(),
        message: e.to_string(),
    })?;
    let wanted = normalise_host(registry);
    let helper = config
        .cred_helpers
        .iter()
        .find(|(host, _)| normalise_host(host) == wanted)
        .map(|(_, h)| h)
        .or(config.creds_store.as_ref());
    if let Some(helper) = helper.filter(|h| !h.is_empty())
        && let Some(creds) = run_helper(helper, registry, helper_dir)?
    {
        return Ok(Some(creds));
    }
    let Some(entry) = config
        .auths
        .iter()
        .find(|(host, _)| normalise_host(host) == wanted)
        .map(|(_, e)| e)
    else {
        return Ok(None);
    };
    if let Some(token) = entry.identitytoken.as_ref().filter(|t| !t.is_empty()) {
        return Ok(Some(Credentials::IdentityToken(token.clone())));
    }
    if let Some(auth) = entry.auth.as_ref().filter(|a| !a.is_empty()) {
        let bad = || AuthError::Config {
            path: path.clone(),
            message: format!(
                "`auths.{registry}.auth` is not base64 of `user:password`; run `docker login {registry}` again"
            ),
        };
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(auth.trim())
            .map_err(|_| bad())?;
        let decoded = String::from_utf8(decoded).map_err(|_| bad())?;
        let (username, password) = decoded.split_once(':').ok_or_else(bad)?;
        return Ok(Some(Credentials::Basic {
            username: username.to_owned(),
            password: password.to_owned(),
        }));
    }
    match (&entry.username, &entry.password) {
        (Some(u), Some(p)) => Ok(Some(Credentials::Basic {
            username: u.clone(),
            password: p.clone(),
        })),
        _ => Ok(None),
    }
}

/// `https://index.docker.io/v1/` → `docker.io`, `http://h:5000/x` → `h:5000`.
fn normalise_host(key: &str) -> String {
    let key = key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
        .unwrap_or(key);
    let host = key.split('/').next().unwrap_or(key).to_ascii_lowercase();
    match host.as_str() {
        "index.docker.io" | "registry-1.docker.io" | "registry.hub.docker.com" => {
            "docker.io".to_owned()
        }
        _ => host,
    }
}

/// The server address a helper is asked about (Docker Hub's legacy key).
fn helper_server(registry: &str) -> String {
    if normalise_host(registry) == "docker.io" {
        "https://index.docker.io/v1/".to_owned()
    } else {
        registry.to_owned()
    }
}

fn run_helper(
    helper: &str,
    registry: &str,
    helper_dir: Option<&Path>,
) -> Result<Option<Credentials>, AuthError> {
    let program = format!("docker-credential-{helper}");
    let program = match helper_dir {
        Some(dir) => dir.join(program),
        None => PathBuf::from(program),
    };
    let fail = |message: String| AuthError::Helper {
        helper: helper.to_owned(),
        registry: registry.to_owned(),
        message,
    };
    let mut child = Command::new(&program)
        .arg("get")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| fail(format!("cannot run `{}`: {e}", program.display())))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(helper_server(registry).as_bytes())
            .map_err(|e| fail(format!("cannot write to it: {e}")))?;
    }
    let out = child
        .wait_with_output()
        .map_err(|e| fail(format!("cannot wait for it: {e}")))?;
    if !out.status.success() {
        let said = String::from_utf8_lossy(&out.stdout);
        // The helper protocol's "no entry" answer means anonymous access.
        if said.contains("credentials not found") {
            return Ok(None);
        }
        return Err(fail(format!(
            "exited with {}: {}",
            out.status,
            said.trim().chars().take(200).collect::<String>()
        )));
    }
    let reply: HelperReply = serde_json::from_slice(&out.stdout)
        .map_err(|e| fail(format!("its answer is not the helper JSON: {e}")))?;
    if reply.username == "<token>" {
        Ok(Some(Credentials::IdentityToken(reply.secret)))
    } else {
        Ok(Some(Credentials::Basic {
            username: reply.username,
            password: reply.secret,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_config(dir: &Path, json: &str) {
        std::fs::write(dir.join("config.json"), json).unwrap();
    }

    #[test]
    fn inline_auths_decode_and_match_by_host() {
        let dir = tempfile::tempdir().unwrap();
        let auth = base64::engine::general_purpose::STANDARD.encode("staves:s3cret:x");
        write_config(
            dir.path(),
            &format!(
                r#"{{"auths":{{"http://127.0.0.1:5000/v2/":{{"auth":"{auth}"}},
                "https://index.docker.io/v1/":{{"identitytoken":"refresh"}}}}}}"#
            ),
        );
        let c = credentials_in(dir.path(), "127.0.0.1:5000", None).unwrap();
        assert_eq!(
            c,
            Some(Credentials::Basic {
                username: "staves".into(),
                password: "s3cret:x".into()
            })
        );
        assert!(!format!("{c:?}").contains("s3cret"));
        assert_eq!(
            credentials_in(dir.path(), "docker.io", None).unwrap(),
            Some(Credentials::IdentityToken("refresh".into()))
        );
        assert_eq!(credentials_in(dir.path(), "ghcr.io", None).unwrap(), None);
    }

    #[test]
    fn missing_config_means_anonymous_and_bad_auth_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(credentials_in(dir.path(), "x.io", None).unwrap(), None);
        write_config(dir.path(), r#"{"auths":{"x.io":{"auth":"!!notbase64"}}}"#);
        let err = credentials_in(dir.path(), "x.io", None)
            .unwrap_err()
            .to_string();
        assert!(err.contains("docker login x.io"), "{err}");
    }

    #[test]
    fn credential_helpers_run_with_the_server_on_stdin() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let helper = dir.path().join("docker-credential-stavestest");
        std::fs::write(
            &helper,
            "#!/bin/sh\nread server\ncase \"$server\" in\n  reg.example:443) printf '{\"ServerURL\":\"%s\",\"Username\":\"u\",\"Secret\":\"p\"}' \"$server\";;\n  *) echo 'credentials not found in native keychain'; exit 1;;\nesac\n",
        )
        .unwrap();
        std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).unwrap();
        write_config(
            dir.path(),
            r#"{"credHelpers":{"reg.example:443":"stavestest"},"credsStore":"stavestest",
               "auths":{"other.example":{"username":"a","password":"b"}}}"#,
        );
        let get = |r| credentials_in(dir.path(), r, Some(dir.path())).unwrap();
        assert_eq!(
            get("reg.example:443"),
            Some(Credentials::Basic {
                username: "u".into(),
                password: "p".into()
            })
        );
        // The store has nothing for it: fall back to the inline entry.
        assert_eq!(
            get("other.example"),
            Some(Credentials::Basic {
                username: "a".into(),
                password: "b".into()
            })
        );
        write_config(dir.path(), r#"{"credsStore":"absent-helper"}"#);
        let err = credentials_in(dir.path(), "x.io", Some(dir.path())).unwrap_err();
        assert!(
            err.to_string().contains("docker-credential-absent-helper"),
            "{err}"
        );
    }
}
