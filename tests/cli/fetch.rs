//! The fetch step and the runtime libraries of `staves build`, with a real
//! engine, the test builder and a real HTTP server on 127.0.0.1: sources
//! are downloaded once (with network), checked against the repository's
//! Manifest, kept in the distfiles cache for builds without network, and a
//! source that cannot be fetched is reported; `libgcc_s.so.1` from the
//! builder lands in the image.

use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::build::{assert_ok, build, docker, no_leftover_containers, services, stdout};
use crate::common::TestContext;

/// A `python3 -m http.server` serving `dir`, killed on drop.
struct HttpServer {
    child: Child,
    port: u16,
}

impl HttpServer {
    fn start(dir: &Path) -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("python3")
            .args([
                "-m",
                "http.server",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
            ])
            .current_dir(dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 -m http.server");
        let deadline = Instant::now() + Duration::from_secs(20);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "http.server did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        HttpServer { child, port }
    }

    fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        self.stop();
    }
}

fn hash(tool: &str, file: &Path) -> String {
    let out = Command::new(tool).arg(file).output().expect(tool);
    stdout(&out).split_whitespace().next().unwrap().to_owned()
}

/// Adds `app-misc/greeting-VERSION`, whose source comes from `port`, with
/// its Manifest line (when `distfile` exists) and md5-cache entry.
fn add_greeting(repo: &Path, version: &str, port: u16, distfile: &Path) {
    let dir = repo.join("app-misc/greeting");
    std::fs::create_dir_all(&dir).unwrap();
    let file = format!("greeting-{version}.txt");
    let uri = format!("http://127.0.0.1:{port}/{file}");
    let ebuild = format!(
        "EAPI=8\nDESCRIPTION=\"Installs a file fetched over HTTP\"\nSRC_URI=\"{uri}\"\nLICENSE=\"MIT\"\nSLOT=\"0\"\nKEYWORDS=\"amd64\"\nS=\"${{WORKDIR}}\"\nsrc_unpack() {{\n\tcp \"${{DISTDIR}}/{file}\" . || die\n}}\nsrc_install() {{\n\tinsinto /usr/share/greeting\n\tdoins {file}\n}}\n"
    );
    let path = dir.join(format!("greeting-{version}.ebuild"));
    std::fs::write(&path, ebuild).unwrap();
    if distfile.is_file() {
        let size = std::fs::metadata(distfile).unwrap().len();
        let line = format!(
            "DIST {file} {size} BLAKE2B {} SHA512 {}\n",
            hash("b2sum", distfile),
            hash("sha512sum", distfile)
        );
        let manifest = dir.join("Manifest");
        let old = std::fs::read_to_string(&manifest).unwrap_or_default();
        std::fs::write(&manifest, old + &line).unwrap();
    }
    std::fs::write(
        repo.join(format!("metadata/md5-cache/app-misc/greeting-{version}")),
        format!(
            "DEFINED_PHASES=install unpack\nDESCRIPTION=Installs a file fetched over HTTP\nEAPI=8\nKEYWORDS=amd64\nLICENSE=MIT\nSLOT=0\nSRC_URI={uri}\n_md5_={}\n",
            hash("md5sum", &path)
        ),
    )
    .unwrap();
}

#[test]
fn sources_are_fetched_once_and_runtime_libraries_are_added() {
    if services().is_none() {
        return;
    }
    let ctx = TestContext::new();
    let served = ctx.root.join("served");
    std::fs::create_dir_all(&served).unwrap();
    let distfile = served.join("greeting-1.0.txt");
    std::fs::write(&distfile, "fetched over http\n").unwrap();
    let mut server = HttpServer::start(&served);
    add_greeting(&ctx.repo_dir, "1.0", server.port, &distfile);
    ctx.commit_repo("a package with a source to fetch");
    ctx.write_manifest(
        &ctx.demo_manifest("[\"app-misc/hello\", \"app-misc/greeting\"]")
            .replace("name = \"demo\"", "name = \"staves-e2e/fetch\""),
    );

    let first = build(&ctx, &[]);
    let digest = assert_ok(&first);
    let stderr = String::from_utf8_lossy(&first.stderr);
    assert!(stderr.contains("Fetching"), "{stderr}");
    assert!(
        stderr.contains("Added libgcc_s.so.1 from the builder"),
        "{stderr}"
    );
    let probe = docker(&[
        "run",
        "--rm",
        "--entrypoint",
        "/bin/sh",
        "staves-e2e/fetch:latest",
        "-c",
        "cat /usr/share/greeting/greeting-1.0.txt && ls /usr/lib*/libgcc_s.so.1",
    ]);
    let out = stdout(&probe);
    assert!(out.starts_with("fetched over http\n"), "{out}");
    assert!(out.contains("/libgcc_s.so.1"), "{out}");
    no_leftover_containers("staves-e2e-fetch");

    // The source is cached: without the server, a full rebuild needs no
    // network and gives the same image.
    server.stop();
    let again = build(&ctx, &["--force"]);
    assert_eq!(assert_ok(&again), digest);
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(!stderr.contains("Fetching"), "{stderr}");

    // A source that cannot be fetched is reported, and nothing is left.
    add_greeting(&ctx.repo_dir, "1.1", server.port, &served.join("missing"));
    ctx.commit_repo("a version whose source is gone");
    let update = ctx.staves().arg("update").output().unwrap();
    assert!(update.status.success(), "{update:?}");
    let offline = build(&ctx, &["--offline"]);
    assert_eq!(offline.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&offline.stderr);
    assert!(
        stderr.contains("--offline forbids fetching them"),
        "{stderr}"
    );
    let failed = build(&ctx, &[]);
    assert_eq!(failed.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&failed.stderr);
    assert!(
        stderr.contains("error: fetching the sources failed"),
        "{stderr}"
    );
    assert!(stderr.contains("greeting-1.1.txt"), "{stderr}");
    no_leftover_containers("staves-e2e-fetch");
}
