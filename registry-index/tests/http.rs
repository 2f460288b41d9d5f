//! HttpIndex against a real HTTP server on 127.0.0.1 that serves a DirIndex
//! tree with ETags and answers conditional requests with 304.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use common::{config, entry};
use registry_index::{DirIndex, HttpIndex, Index, IndexError, IndexSource};
use semver::VersionReq;
use sha2::{Digest, Sha256};

/// What the server answered: (path, status).
type Log = Arc<Mutex<Vec<(String, u16)>>>;

/// A small static file server: `ETag` is the quoted sha256 of the body,
/// `If-None-Match` with that tag gets `304`, missing files `404`, and the
/// path `/fail/...` gets `500`. One request per connection.
struct Server {
    base: String,
    log: Log,
}

impl Server {
    fn start(root: PathBuf) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}/", listener.local_addr().unwrap());
        let log: Log = Arc::default();
        let server_log = Arc::clone(&log);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                serve(stream, &root, &server_log);
            }
        });
        Self { base, log }
    }

    /// The statuses answered so far, and forget them.
    fn take(&self) -> Vec<(String, u16)> {
        std::mem::take(&mut *self.log.lock().unwrap())
    }
}

fn serve(stream: TcpStream, root: &Path, log: &Log) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut request_line = String::new();
    reader.read_line(&mut request_line).unwrap();
    let path = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("/")
        .to_owned();
    let mut if_none_match = None;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header).unwrap() == 0 || header.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':')
            && name.eq_ignore_ascii_case("if-none-match")
        {
            if_none_match = Some(value.trim().to_owned());
        }
    }
    let file = root.join(path.trim_start_matches('/'));
    let (status, etag, body) = if path.starts_with("/fail/") {
        (500, None, b"oops".to_vec())
    } else {
        match std::fs::read(&file) {
            Ok(body) => {
                let etag = format!("\"{}\"", hex::encode(Sha256::digest(&body)));
                if if_none_match.as_deref() == Some(etag.as_str()) {
                    (304, Some(etag), Vec::new())
                } else {
                    (200, Some(etag), body)
                }
            }
            Err(_) => (404, None, b"not found".to_vec()),
        }
    };
    log.lock().unwrap().push((path, status));
    let mut out = stream;
    let mut head = format!(
        "HTTP/1.1 {status} X\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    if let Some(etag) = etag {
        head.push_str(&format!("ETag: {etag}\r\n"));
    }
    head.push_str("\r\n");
    let _ = out.write_all(head.as_bytes());
    let _ = out.write_all(&body);
}

fn setup() -> (tempfile::TempDir, DirIndex, Server) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = DirIndex::init(tmp.path().join("index"), &config()).unwrap();
    dir.publish(&entry("gentoo", "1.0.0")).unwrap();
    let server = Server::start(dir.root().to_path_buf());
    (tmp, dir, server)
}

#[test]
fn reads_config_and_versions_and_revalidates_with_etags() {
    let (tmp, dir, server) = setup();
    let cache = tmp.path().join("cache");
    let index = HttpIndex::new(&server.base, &cache).unwrap();
    assert_eq!(index.config().unwrap(), config());
    assert_eq!(
        index.versions("gentoo").unwrap(),
        vec![entry("gentoo", "1.0.0")]
    );
    assert_eq!(
        server.take(),
        [
            ("/config.json".to_owned(), 200),
            ("/ge/nt/gentoo".to_owned(), 200)
        ]
    );

    // Unchanged: a conditional request, answered 304, served from the cache
    // (also by a new HttpIndex on the same cache).
    let again = HttpIndex::new(&server.base, &cache).unwrap();
    assert_eq!(
        again.versions("gentoo").unwrap(),
        vec![entry("gentoo", "1.0.0")]
    );
    assert_eq!(server.take(), [("/ge/nt/gentoo".to_owned(), 304)]);

    // Changed on the server: 200 with the new body.
    dir.publish(&entry("gentoo", "1.1.0")).unwrap();
    let req = VersionReq::STAR;
    assert_eq!(
        again
            .resolve("gentoo", &req, None)
            .unwrap()
            .vers
            .to_string(),
        "1.1.0"
    );
    assert_eq!(server.take(), [("/ge/nt/gentoo".to_owned(), 200)]);

    // Offline: the cache answers, nothing is requested.
    let offline = HttpIndex::new(&server.base, &cache)
        .unwrap()
        .with_offline(true);
    assert_eq!(offline.versions("gentoo").unwrap().len(), 2);
    assert!(matches!(
        offline.versions("other"),
        Err(IndexError::Offline { .. })
    ));
    assert_eq!(server.take(), []);
}

#[test]
fn missing_builders_are_404_and_drop_the_cache() {
    let (tmp, dir, server) = setup();
    let cache = tmp.path().join("cache");
    let index = HttpIndex::new(&server.base, &cache).unwrap();
    assert_eq!(index.versions("x86_64-glibc").unwrap(), vec![]);
    assert_eq!(server.take(), [("/x8/6-/x86-64-glibc".to_owned(), 404)]);
    let err = index
        .resolve("x86_64-glibc", &VersionReq::STAR, None)
        .unwrap_err();
    assert!(matches!(err, IndexError::NotFound { .. }), "{err}");

    assert_eq!(index.versions("gentoo").unwrap().len(), 1);
    fs_err::remove_file(dir.root().join("ge/nt/gentoo")).unwrap();
    assert_eq!(index.versions("gentoo").unwrap(), vec![]);
    let offline = HttpIndex::new(&server.base, &cache)
        .unwrap()
        .with_offline(true);
    assert!(matches!(
        offline.versions("gentoo"),
        Err(IndexError::Offline { .. })
    ));
}

#[test]
fn server_errors_malformed_files_and_writes_are_reported() {
    let (tmp, dir, server) = setup();
    let cache = tmp.path().join("cache");
    let failing = HttpIndex::new(&format!("{}fail", server.base), &cache).unwrap();
    let err = failing.config().unwrap_err();
    assert!(
        matches!(err, IndexError::HttpStatus { status: 500, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("/fail/config.json"), "{err}");

    fs_err::write(dir.root().join("ge/nt/gentoo"), "{\"v\":1}\n").unwrap();
    let index = HttpIndex::new(&server.base, &cache).unwrap();
    let err = index.versions("gentoo").unwrap_err();
    assert!(err.to_string().starts_with("ge/nt/gentoo:1: "), "{err}");

    assert!(matches!(index.list(), Err(IndexError::Unsupported { .. })));
    assert!(matches!(
        index.search("x"),
        Err(IndexError::Unsupported { .. })
    ));
    assert!(matches!(
        index.publish(&entry("gentoo", "2.0.0")),
        Err(IndexError::Unsupported { .. })
    ));
}

#[test]
fn a_sparse_location_opens_an_http_index() {
    let (tmp, _dir, server) = setup();
    let source: IndexSource = format!("sparse+{}", server.base).parse().unwrap();
    let index = source.open(&tmp.path().join("cache"), false).unwrap();
    assert_eq!(index.versions("gentoo").unwrap().len(), 1);
    assert_eq!(index.location(), server.base);
}

#[test]
fn nothing_listens_is_an_http_error() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    drop(listener);
    let tmp = tempfile::tempdir().unwrap();
    let err = HttpIndex::new(&url, tmp.path())
        .unwrap()
        .config()
        .unwrap_err();
    assert!(matches!(err, IndexError::Http { .. }), "{err}");
}
