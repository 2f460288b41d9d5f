//! Pushing an image to an OCI registry (distribution spec v2 API).
//!
//! Flow: `GET /v2/` (ping; a 401 carries the auth challenge), then for the
//! config and each layer `HEAD /v2/<repo>/blobs/<digest>` and, when absent,
//! a monolithic upload (`POST /v2/<repo>/blobs/uploads/` → `Location`, then
//! `PUT <location>&digest=…` with the whole blob), and finally
//! `PUT /v2/<repo>/manifests/<tag>` with the manifest's exact bytes and media
//! type. Basic and Bearer (token endpoint with scope, refresh tokens via the
//! OAuth2 POST form) are supported; a 401 during the push re-runs the
//! challenge once with the scope the registry asks for.
//!
//! Like Docker, registries on `localhost` and `127.0.0.0/8`/`::1` are spoken
//! to over plain HTTP, everything else over HTTPS (system OpenSSL through
//! native-tls). This module uses reqwest's blocking client: call it from a
//! plain thread (e.g. `tokio::task::spawn_blocking`), not from async code.

use std::fs::File;
use std::net::IpAddr;
use std::thread;
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::blocking::{Client, RequestBuilder, Response};
use reqwest::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderMap};
use url::Url;

use super::assemble::Image;
use super::auth::{AuthError, Credentials, credentials_for};
use super::digest::{BlobStore, Digest};
use super::reference::ImageRef;

use super::push_auth::{Challenge, fetch_token};
pub use super::push_error::PushError;
use super::push_error::{error_from_response, transport};

/// Options for [`push`].
#[derive(Debug, Clone, Default)]
pub struct PushOptions {
    /// Credentials to use; `None` reads the Docker client config
    /// ([`credentials_for`]).
    pub credentials: Option<Credentials>,
    /// Force plain HTTP (`Some(true)`) or HTTPS (`Some(false)`); `None`
    /// picks HTTP for loopback registries only.
    pub plain_http: Option<bool>,
}

/// What a push did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushReport {
    /// Digest of the pushed manifest (what `<repo>@<digest>` pulls).
    pub manifest_digest: Digest,
    /// Blobs that were uploaded.
    pub uploaded: Vec<Digest>,
    /// Blobs the registry already had (HEAD answered 200).
    pub skipped: Vec<Digest>,
    /// HTTP requests sent to the registry (not counting the token endpoint).
    pub requests: u32,
}

/// Authorization state for one registry and repository.
#[derive(Debug, Clone)]
enum Auth {
    Anonymous,
    Basic,
    Bearer(String),
}

/// A connection to one registry for one repository.
pub struct Registry {
    client: Client,
    base: Url,
    host: String,
    repository: String,
    credentials: Option<Credentials>,
    auth: Auth,
    requests: u32,
}

impl std::fmt::Debug for Registry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registry")
            .field("base", &self.base.as_str())
            .field("repository", &self.repository)
            .finish_non_exhaustive()
    }
}

/// Whether `host[:port]` is a loopback registry (plain HTTP, like Docker).
fn is_loopback(host: &str) -> bool {
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or(rest)
    } else {
        host.rsplit_once(':').map_or(host, |(h, _)| h)
    };
    name == "localhost" || name.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

impl Registry {
    /// Connects to the registry of `reference` (no request is sent yet).
    pub fn new(reference: &ImageRef, options: &PushOptions) -> Result<Self, PushError> {
        let host = if reference.registry == "docker.io" {
            "registry-1.docker.io".to_owned()
        } else {
            reference.registry.clone()
        };
        let plain = options.plain_http.unwrap_or_else(|| is_loopback(&host));
        let scheme = if plain { "http" } else { "https" };
        let base = Url::parse(&format!("{scheme}://{host}/")).map_err(|e| PushError::Config {
            registry: reference.registry.clone(),
            message: format!("not a valid registry address: {e}"),
        })?;
        let credentials = match &options.credentials {
            Some(c) => Some(c.clone()),
            None => credentials_for(&reference.registry).map_err(PushError::Credentials)?,
        };
        let client = Client::builder()
            .user_agent(concat!("staves/", env!("CARGO_PKG_VERSION")))
            .connect_timeout(Duration::from_secs(30))
            .timeout(None::<Duration>)
            .build()
            .map_err(|e| transport(&reference.registry, &reference.repository, "set up", e))?;
        Ok(Self {
            client,
            base,
            host: reference.registry.clone(),
            repository: reference.repository.clone(),
            credentials,
            auth: Auth::Anonymous,
            requests: 0,
        })
    }

    fn url(&self, path: &str) -> Result<Url, PushError> {
        self.base.join(path).map_err(|e| PushError::Config {
            registry: self.host.clone(),
            message: format!("cannot form the URL for `{path}`: {e}"),
        })
    }

    fn authorize(&self, request: RequestBuilder) -> RequestBuilder {
        match (&self.auth, &self.credentials) {
            (Auth::Bearer(token), _) => request.bearer_auth(token),
            (Auth::Basic, Some(Credentials::Basic { username, password })) => {
                request.basic_auth(username, Some(password))
            }
            _ => request,
        }
    }

    /// Sends a request built by `build`, with authorization; on 401 answers
    /// the challenge once and retries; retries 502/503/504 a few times.
    fn send(
        &mut self,
        action: &str,
        build: &dyn Fn(&Client) -> Result<RequestBuilder, PushError>,
    ) -> Result<Response, PushError> {
        let mut challenged = false;
        let mut attempt = 0;
        loop {
            self.requests += 1;
            let request = self.authorize(build(&self.client)?);
            let response = request
                .send()
                .map_err(|e| transport(&self.host, &self.repository, action, e))?;
            let status = response.status();
            if status == StatusCode::UNAUTHORIZED && !challenged {
                challenged = true;
                let challenge = Challenge::from_headers(response.headers());
                self.answer(challenge, action)?;
                continue;
            }
            if matches!(status.as_u16(), 502..=504) && attempt < 3 {
                attempt += 1;
                thread::sleep(Duration::from_millis(250 << attempt));
                continue;
            }
            return Ok(response);
        }
    }

    /// Sets up authorization from a `WWW-Authenticate` challenge.
    fn answer(&mut self, challenge: Option<Challenge>, action: &str) -> Result<(), PushError> {
        match challenge {
            Some(Challenge::Basic) => match &self.credentials {
                Some(Credentials::Basic { .. }) => {
                    self.auth = Auth::Basic;
                    Ok(())
                }
                _ => Err(self.no_credentials()),
            },
            Some(Challenge::Bearer {
                realm,
                service,
                scope,
            }) => {
                let scope =
                    scope.unwrap_or_else(|| format!("repository:{}:pull,push", self.repository));
                let token = fetch_token(
                    &self.client,
                    &self.host,
                    &realm,
                    service.as_deref(),
                    &scope,
                    self.credentials.as_ref(),
                )?;
                self.auth = Auth::Bearer(token);
                Ok(())
            }
            None => Err(PushError::Unauthorized {
                registry: self.host.clone(),
                repository: self.repository.clone(),
                action: action.to_owned(),
                detail: "401 without a usable WWW-Authenticate challenge".to_owned(),
            }),
        }
    }

    fn no_credentials(&self) -> PushError {
        PushError::NoCredentials {
            registry: self.host.clone(),
        }
    }

    fn fail(&self, action: &str, response: Response) -> PushError {
        error_from_response(&self.host, &self.repository, action, response)
    }

    /// `GET /v2/`: checks the registry speaks the v2 API and sets up auth.
    pub fn ping(&mut self) -> Result<(), PushError> {
        let url = self.url("v2/")?;
        let response = self.send("ping", &|c| Ok(c.get(url.clone())))?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(self.fail("ping", response))
        }
    }

    /// Whether the repository already holds `digest`.
    pub fn blob_exists(&mut self, digest: &Digest) -> Result<bool, PushError> {
        let url = self.url(&format!("v2/{}/blobs/{digest}", self.repository))?;
        let action = format!("check blob {digest}");
        let response = self.send(&action, &|c| Ok(c.head(url.clone())))?;
        match response.status() {
            s if s.is_success() => Ok(true),
            StatusCode::NOT_FOUND => Ok(false),
            _ => Err(self.fail(&action, response)),
        }
    }

    /// Uploads the blob at `path` (monolithic POST + PUT).
    pub fn upload_blob(
        &mut self,
        digest: &Digest,
        path: &std::path::Path,
        size: u64,
    ) -> Result<(), PushError> {
        let action = format!("upload blob {digest}");
        let start = self.url(&format!("v2/{}/blobs/uploads/", self.repository))?;
        let response = self.send(&action, &|c| {
            Ok(c.post(start.clone()).header(CONTENT_LENGTH, "0"))
        })?;
        if response.status() != StatusCode::ACCEPTED {
            return Err(self.fail(&action, response));
        }
        let location = location(response.headers()).ok_or_else(|| PushError::Protocol {
            registry: self.host.clone(),
            repository: self.repository.clone(),
            message: format!("{action}: 202 without a Location header"),
        })?;
        // The Location is opaque: absolute or relative, maybe with a query.
        let mut put = start.join(&location).map_err(|e| PushError::Protocol {
            registry: self.host.clone(),
            repository: self.repository.clone(),
            message: format!("{action}: unusable Location `{location}`: {e}"),
        })?;
        put.query_pairs_mut()
            .append_pair("digest", &digest.to_string());
        let response = self.send(&action, &|c| {
            let file = File::open(path).map_err(|source| PushError::Blob {
                path: path.to_owned(),
                source,
            })?;
            Ok(c.put(put.clone())
                .header(CONTENT_TYPE, "application/octet-stream")
                .body(reqwest::blocking::Body::sized(file, size)))
        })?;
        if response.status() != StatusCode::CREATED {
            return Err(self.fail(&action, response));
        }
        Ok(())
    }

    /// `PUT`s a manifest under `reference` (a tag or digest) and returns the
    /// digest of the bytes.
    pub fn put_manifest(
        &mut self,
        reference: &str,
        media_type: &str,
        bytes: &[u8],
    ) -> Result<Digest, PushError> {
        let action = format!("push manifest `{reference}`");
        let url = self.url(&format!("v2/{}/manifests/{reference}", self.repository))?;
        let body = bytes.to_vec();
        let response = self.send(&action, &|c| {
            Ok(c.put(url.clone())
                .header(CONTENT_TYPE, media_type)
                .body(body.clone()))
        })?;
        if response.status() != StatusCode::CREATED {
            return Err(self.fail(&action, response));
        }
        let digest = Digest::of(bytes);
        if let Some(said) = response
            .headers()
            .get("docker-content-digest")
            .and_then(|v| v.to_str().ok())
            && said != digest.to_string()
        {
            return Err(PushError::Protocol {
                registry: self.host.clone(),
                repository: self.repository.clone(),
                message: format!(
                    "{action}: registry stored the manifest as {said}, expected {digest} (it rewrote the manifest)"
                ),
            });
        }
        Ok(digest)
    }

    /// `GET`s a manifest's exact bytes and content type.
    pub fn get_manifest(
        &mut self,
        reference: &str,
        accept: &[&str],
    ) -> Result<(Vec<u8>, String), PushError> {
        let action = format!("pull manifest `{reference}`");
        let url = self.url(&format!("v2/{}/manifests/{reference}", self.repository))?;
        let accept = accept.join(", ");
        let response = self.send(&action, &|c| {
            Ok(c.get(url.clone()).header(reqwest::header::ACCEPT, &accept))
        })?;
        if !response.status().is_success() {
            return Err(self.fail(&action, response));
        }
        let media_type = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let bytes = response
            .bytes()
            .map_err(|e| transport(&self.host, &self.repository, &action, e))?;
        Ok((bytes.to_vec(), media_type))
    }

    /// HTTP requests sent so far.
    pub fn requests(&self) -> u32 {
        self.requests
    }
}

fn location(headers: &HeaderMap) -> Option<String> {
    headers
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// Pushes `image` (blobs from `store`) as `reference` and returns what was
/// done. Blobs the registry already has are skipped.
pub fn push(
    image: &Image,
    store: &BlobStore,
    reference: &ImageRef,
    options: &PushOptions,
) -> Result<PushReport, PushError> {
    let mut registry = Registry::new(reference, options)?;
    registry.ping()?;
    let mut uploaded = Vec::new();
    let mut skipped = Vec::new();
    for desc in image.blobs() {
        if registry.blob_exists(&desc.digest)? {
            skipped.push(desc.digest.clone());
            continue;
        }
        let path = store.path(&desc.digest);
        registry.upload_blob(&desc.digest, &path, desc.size)?;
        uploaded.push(desc.digest.clone());
    }
    let manifest_digest = registry.put_manifest(
        &reference.tag,
        &image.manifest_descriptor.media_type,
        &image.manifest_bytes,
    )?;
    Ok(PushReport {
        manifest_digest,
        uploaded,
        skipped,
        requests: registry.requests(),
    })
}

impl From<AuthError> for PushError {
    fn from(e: AuthError) -> Self {
        PushError::Credentials(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_detection_matches_docker() {
        for h in [
            "localhost",
            "localhost:5000",
            "127.0.0.1:5000",
            "127.1.2.3",
            "[::1]:5000",
        ] {
            assert!(is_loopback(h), "{h}");
        }
        for h in [
            "ghcr.io",
            "10.0.0.1:5000",
            "localhost.example:5000",
            "[fe80::1]:5000",
        ] {
            assert!(!is_loopback(h), "{h}");
        }
    }
}
