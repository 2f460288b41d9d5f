//! An index served over plain HTTP(S), read like Cargo's sparse protocol.

use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::blocking::Client;
use reqwest::header::{ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED};
use semver::Version;
use serde::{Deserialize, Serialize};

use crate::entry::{IndexConfig, IndexEntry};
use crate::error::IndexError;
use crate::fsutil::{cache_dir_name, write_atomic};
use crate::{Index, checked_name, entries_of, index_path};

/// An index read over HTTP(S): one GET per file (`config.json`, then the
/// file of each builder asked for) below a base URL. Responses are cached on
/// disk with their `ETag` (or `Last-Modified`) and revalidated with
/// `If-None-Match` (or `If-Modified-Since`); a `304 Not Modified` reuses the
/// cached copy. `404`, `410` and `451` mean "no such builder".
///
/// The index is read-only (publish to the directory or git repository it is
/// served from), and it cannot list its builders: the protocol has no
/// listing, so [`Index::list`] and [`Index::search`] answer
/// [`IndexError::Unsupported`].
#[derive(Debug)]
pub struct HttpIndex {
    /// The base URL, ending in `/`.
    base: String,
    cache: PathBuf,
    client: Client,
    offline: bool,
}

/// What is remembered about a cached response, beside its body.
#[derive(Debug, Default, Serialize, Deserialize)]
struct CacheMeta {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    etag: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    last_modified: Option<String>,
}

impl HttpIndex {
    /// The index at `url` (`http://` or `https://`, without the `sparse+`
    /// prefix), cached under `cache_root` (see [`HttpIndex::cache_dir`]).
    pub fn new(url: &str, cache_root: &Path) -> Result<Self, IndexError> {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(IndexError::InvalidLocation {
                location: url.to_owned(),
                message: "an HTTP index URL starts with `http://` or `https://`".to_owned(),
            });
        }
        let mut base = url.to_owned();
        if !base.ends_with('/') {
            base.push('/');
        }
        let client = Client::builder()
            .user_agent(concat!("staves/", env!("CARGO_PKG_VERSION")))
            .timeout(Duration::from_secs(60))
            .build()
            .map_err(|source| IndexError::Http {
                url: base.clone(),
                source,
            })?;
        Ok(Self {
            cache: Self::cache_dir(cache_root, &base),
            base,
            client,
            offline: false,
        })
    }

    /// Where the cache of `url` lives under `cache_root`.
    pub fn cache_dir(cache_root: &Path, url: &str) -> PathBuf {
        let mut url = url.to_owned();
        if !url.ends_with('/') {
            url.push('/');
        }
        cache_root.join(cache_dir_name(&url))
    }

    /// Never touches the network: answers from the cache, and
    /// [`IndexError::Offline`] for what is not cached.
    pub fn with_offline(mut self, offline: bool) -> Self {
        self.offline = offline;
        self
    }

    /// The text of the file at `path` below the base URL, `None` when the
    /// server says it does not exist.
    fn get(&self, path: &str) -> Result<Option<String>, IndexError> {
        let url = format!("{}{path}", self.base);
        let body_path = self.cache.join(path);
        let meta_path = self.cache.join(format!("{path}.meta"));
        let cached = read_optional(&body_path)?;
        if self.offline {
            return match cached {
                Some(body) => Ok(Some(body)),
                None => Err(IndexError::Offline { location: url }),
            };
        }
        let meta: CacheMeta = match (&cached, read_optional(&meta_path)?) {
            (Some(_), Some(text)) => serde_json::from_str(&text).unwrap_or_default(),
            _ => CacheMeta::default(),
        };
        let mut request = self.client.get(&url);
        if let Some(etag) = &meta.etag {
            request = request.header(IF_NONE_MATCH, etag);
        } else if let Some(date) = &meta.last_modified {
            request = request.header(IF_MODIFIED_SINCE, date);
        }
        let http_error = |source| IndexError::Http {
            url: url.clone(),
            source,
        };
        let response = request.send().map_err(http_error)?;
        let status = response.status();
        match status {
            StatusCode::NOT_MODIFIED if cached.is_some() => Ok(cached),
            StatusCode::OK => {
                let header = |name| {
                    response
                        .headers()
                        .get(name)
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned)
                };
                let meta = CacheMeta {
                    etag: header(ETAG),
                    last_modified: header(LAST_MODIFIED),
                };
                let bytes = response.bytes().map_err(http_error)?;
                let text =
                    String::from_utf8(bytes.to_vec()).map_err(|_| IndexError::Malformed {
                        path: path.to_owned(),
                        line: 1,
                        message: "the file is not UTF-8".to_owned(),
                    })?;
                write_atomic(&body_path, text.as_bytes())?;
                let meta = serde_json::to_string(&meta).unwrap_or_default();
                write_atomic(&meta_path, meta.as_bytes())?;
                Ok(Some(text))
            }
            StatusCode::NOT_FOUND
            | StatusCode::GONE
            | StatusCode::UNAVAILABLE_FOR_LEGAL_REASONS => {
                remove_optional(&body_path)?;
                remove_optional(&meta_path)?;
                Ok(None)
            }
            _ => Err(IndexError::HttpStatus {
                url,
                status: status.as_u16(),
            }),
        }
    }
}

impl Index for HttpIndex {
    fn location(&self) -> String {
        self.base.clone()
    }

    fn config(&self) -> Result<IndexConfig, IndexError> {
        match self.get("config.json")? {
            Some(text) => IndexConfig::parse(&text, self.base.trim_end_matches('/')),
            None => Err(IndexError::ConfigMissing {
                location: self.base.clone(),
            }),
        }
    }

    fn versions(&self, name: &str) -> Result<Vec<IndexEntry>, IndexError> {
        checked_name(name)?;
        let path = index_path(name);
        entries_of(name, self.get(&path)?.as_deref(), &path)
    }

    fn list(&self) -> Result<Vec<String>, IndexError> {
        Err(IndexError::Unsupported {
            location: self.base.clone(),
            what: "list its builders (an HTTP index has no listing)",
        })
    }

    fn publish(&self, _entry: &IndexEntry) -> Result<(), IndexError> {
        Err(IndexError::Unsupported {
            location: self.base.clone(),
            what: "be published to (an HTTP index is read-only)",
        })
    }

    fn yank(&self, _name: &str, _vers: &Version, _yanked: bool) -> Result<(), IndexError> {
        Err(IndexError::Unsupported {
            location: self.base.clone(),
            what: "yank (an HTTP index is read-only)",
        })
    }
}

fn read_optional(path: &Path) -> Result<Option<String>, IndexError> {
    match fs_err::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::NotFound | io::ErrorKind::InvalidData
            ) =>
        {
            Ok(None)
        }
        Err(source) => Err(IndexError::Io {
            action: "read",
            path: path.to_path_buf(),
            source,
        }),
    }
}

fn remove_optional(path: &Path) -> Result<(), IndexError> {
    match fs_err::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(IndexError::Io {
            action: "remove",
            path: path.to_path_buf(),
            source: e,
        }),
        _ => Ok(()),
    }
}
