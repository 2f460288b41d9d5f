//! Shared helpers for the image tests: a rich sample root filesystem, layer
//! decoding, and local `docker-registry` instances.

#![allow(dead_code, unreachable_pub)]

use std::fs;
use std::io::Read;
use std::net::TcpListener;
use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use staves_core::image::{BlobStore, Compression, Layer};

/// The epoch every test builds with (2023-11-14T22:13:20Z).
pub const EPOCH: u64 = 1_700_000_000;

/// Whether tests must fail rather than skip when a part is missing.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// Skips (outside CI) or fails (in CI) for a missing external part.
#[macro_export]
macro_rules! require {
    ($cond:expr, $($why:tt)+) => {
        if !$cond {
            let why = format!($($why)+);
            if $crate::image_support::in_ci() {
                panic!("CI=true and a required part is missing: {why}");
            }
            #[allow(clippy::print_stderr)]
            { eprintln!("skipping: {why}"); }
            return;
        }
    };
}

/// Sets mtime (and atime) of `path` without following symlinks.
pub fn set_mtime(path: &Path, secs: i64) {
    let t = rustix::fs::Timestamps {
        last_access: rustix::fs::Timespec {
            tv_sec: secs,
            tv_nsec: 0,
        },
        last_modification: rustix::fs::Timespec {
            tv_sec: secs,
            tv_nsec: 0,
        },
    };
    rustix::fs::utimensat(
        rustix::fs::CWD,
        path,
        &t,
        rustix::fs::AtFlags::SYMLINK_NOFOLLOW,
    )
    .unwrap();
}

/// Whether the process runs as root (device nodes, chown).
pub fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// Builds a tree exercising every entry type the layer writer handles.
/// Returns whether a `user.*` xattr could be set (file-system dependent).
pub fn make_tree(root: &Path) -> bool {
    let long_dir = "d".repeat(60);
    let long_name = format!(
        "{}-file-with-a-name-longer-than-one-hundred-bytes.txt",
        "n".repeat(70)
    );
    fs::create_dir_all(root.join("usr/bin")).unwrap();
    fs::create_dir_all(root.join("etc")).unwrap();
    fs::create_dir_all(root.join(&long_dir).join(&long_dir)).unwrap();
    fs::create_dir_all(root.join("tmp")).unwrap();
    fs::create_dir_all(root.join("dev")).unwrap();
    fs::create_dir_all(root.join("a")).unwrap();
    fs::write(root.join("a/b"), b"inside a\n").unwrap();
    fs::write(root.join("a.b"), b"sorts after a/ in depth-first order\n").unwrap();
    fs::write(root.join("a-b"), b"also after a/\n").unwrap();
    fs::write(root.join("etc/hostname"), b"staves\n").unwrap();
    fs::write(root.join("usr/bin/tool"), vec![0x7f; 70_000]).unwrap();
    fs::set_permissions(
        root.join("usr/bin/tool"),
        fs::Permissions::from_mode(0o4755),
    )
    .unwrap();
    fs::set_permissions(root.join("tmp"), fs::Permissions::from_mode(0o1777)).unwrap();
    // Hard links: "z-original" is created first, but "usr/bin/alias" sorts
    // first, so it must carry the data.
    fs::write(root.join("z-original"), b"linked data\n").unwrap();
    fs::hard_link(root.join("z-original"), root.join("usr/bin/alias")).unwrap();
    fs::hard_link(root.join("z-original"), root.join("etc/third")).unwrap();
    symlink("tool", root.join("usr/bin/sym")).unwrap();
    symlink("./.././/odd", root.join("usr/bin/odd-target")).unwrap();
    symlink(
        format!("/{long_dir}/{long_dir}/{long_name}"),
        root.join("long-link"),
    )
    .unwrap();
    fs::write(
        root.join(&long_dir).join(&long_dir).join(&long_name),
        b"long\n",
    )
    .unwrap();
    // A socket is skipped.
    let _socket = std::os::unix::net::UnixListener::bind(root.join("tmp/sock")).unwrap();
    rustix::fs::mknodat(
        rustix::fs::CWD,
        root.join("dev/fifo"),
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o600),
        0,
    )
    .unwrap();
    if is_root() {
        rustix::fs::mknodat(
            rustix::fs::CWD,
            root.join("dev/null"),
            rustix::fs::FileType::CharacterDevice,
            rustix::fs::Mode::from_raw_mode(0o666),
            rustix::fs::makedev(1, 3),
        )
        .unwrap();
        rustix::fs::mknodat(
            rustix::fs::CWD,
            root.join("dev/loop9"),
            rustix::fs::FileType::BlockDevice,
            rustix::fs::Mode::from_raw_mode(0o660),
            rustix::fs::makedev(7, 9),
        )
        .unwrap();
        std::os::unix::fs::lchown(root.join("etc/hostname"), Some(250), Some(250)).unwrap();
    }
    let xattr_ok = rustix::fs::lsetxattr(
        root.join("etc/hostname"),
        "user.staves",
        b"value\0with nul",
        rustix::fs::XattrFlags::empty(),
    )
    .is_ok();
    // Deterministic mtimes below the epoch, some above (they get clamped).
    walk(root, &mut |p| set_mtime(p, 1_600_000_000));
    set_mtime(&root.join("etc/hostname"), 1_800_000_000);
    xattr_ok
}

/// A temporary directory holding the sample tree (`root`, see `make_tree`)
/// and a blob store.
pub struct Sample {
    pub dir: tempfile::TempDir,
    pub root: PathBuf,
    pub store: BlobStore,
    /// Whether the file system took the tree's user xattr.
    pub xattr_ok: bool,
}

pub fn sample() -> Sample {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("root");
    let xattr_ok = make_tree(&root);
    let store = BlobStore::open(dir.path().join("blobs")).unwrap();
    Sample {
        dir,
        root,
        store,
        xattr_ok,
    }
}

/// Calls `f` on every path below `root` (children before parents, so
/// directory mtimes set by `f` stick).
pub fn walk(root: &Path, f: &mut dyn FnMut(&Path)) {
    for entry in fs::read_dir(root).unwrap() {
        let path = entry.unwrap().path();
        if fs::symlink_metadata(&path).unwrap().is_dir() {
            walk(&path, f);
        }
        f(&path);
    }
}

/// The uncompressed tar of a stored layer.
pub fn layer_tar(store: &BlobStore, layer: &Layer) -> Vec<u8> {
    let blob = fs::read(store.path(&layer.digest)).unwrap();
    match layer.media_type.as_str() {
        m if m.ends_with("+zstd") => zstd::decode_all(&blob[..]).unwrap(),
        m if m.ends_with("+gzip") => {
            let mut out = Vec::new();
            flate2::read::GzDecoder::new(&blob[..])
                .read_to_end(&mut out)
                .unwrap();
            out
        }
        _ => blob,
    }
}

/// A static busybox to put into images the engine (`DOCKER_HOST`) runs,
/// or what is missing for that (the caller skips, or fails under CI via
/// `require!`).
pub fn busybox_for_docker() -> Result<&'static Path, String> {
    if std::env::var("DOCKER_HOST").unwrap_or_default().is_empty() {
        return Err(
            "DOCKER_HOST is not set (run scripts/ci/services.sh start and source its env file)"
                .into(),
        );
    }
    ["/bin/busybox", "/usr/bin/busybox"]
        .into_iter()
        .map(Path::new)
        .find(|p| p.is_file())
        .ok_or_else(|| "no static busybox (apt-get install busybox-static)".into())
}

/// Makes `root` a tree that runs: `bin/busybox` (a copy of `busybox`) and
/// `bin/sh` linking to it.
pub fn busybox_root(root: &Path, busybox: &Path) {
    fs::create_dir_all(root.join("bin")).unwrap();
    fs::copy(busybox, root.join("bin/busybox")).unwrap();
    symlink("busybox", root.join("bin/sh")).unwrap();
}

/// Compressions every layer test runs with.
pub fn compressions() -> [Compression; 3] {
    [
        Compression::default(),
        Compression::Gzip { level: 6 },
        Compression::None,
    ]
}

/// A `docker-registry` (distribution 2.8) for the registry tests: the one
/// `scripts/ci/services.sh` started (env vars) or a private one.
pub struct TestRegistry {
    /// `127.0.0.1:PORT`.
    pub addr: String,
    /// Basic credentials when the registry requires them.
    pub credentials: Option<(String, String)>,
    child: Option<Child>,
    _dir: Option<tempfile::TempDir>,
}

impl Drop for TestRegistry {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn find_program(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    })
}

/// bcrypt (cost 4) htpasswd line via Python's `crypt` or `htpasswd -B`.
fn htpasswd_line(user: &str, password: &str) -> Option<String> {
    let py = format!(
        "import crypt;print('{user}:'+crypt.crypt('{password}',crypt.mksalt(crypt.METHOD_BLOWFISH,rounds=16)))"
    );
    for python in ["/usr/bin/python3", "python3"] {
        if let Ok(out) = Command::new(python)
            .args(["-W", "ignore", "-c", &py])
            .stderr(Stdio::null())
            .output()
        {
            let line = String::from_utf8_lossy(&out.stdout).trim().to_owned();
            if out.status.success() && line.contains(":$2") {
                return Some(line);
            }
        }
    }
    let out = Command::new("htpasswd")
        .args(["-nbB", "-C", "4", user, password])
        .output()
        .ok()?;
    let line = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    (out.status.success() && line.contains(':')).then_some(line)
}

impl TestRegistry {
    /// An anonymous registry, or `None` when none can be had (the caller
    /// skips, or fails under CI via `require!`).
    pub fn anonymous() -> Result<Self, String> {
        if let Ok(addr) = std::env::var("STAVES_TEST_REGISTRY") {
            return Ok(Self {
                addr,
                credentials: None,
                child: None,
                _dir: None,
            });
        }
        Self::start(None)
    }

    /// A registry with htpasswd auth (user `staves`, password `staves-test`).
    pub fn with_auth() -> Result<Self, String> {
        if let Ok(addr) = std::env::var("STAVES_TEST_REGISTRY_AUTH") {
            let user = std::env::var("STAVES_TEST_REGISTRY_USER").unwrap_or("staves".into());
            let password =
                std::env::var("STAVES_TEST_REGISTRY_PASSWORD").unwrap_or("staves-test".into());
            return Ok(Self {
                addr,
                credentials: Some((user, password)),
                child: None,
                _dir: None,
            });
        }
        Self::start(Some(("staves".to_owned(), "staves-test".to_owned())))
    }

    fn start(credentials: Option<(String, String)>) -> Result<Self, String> {
        let program = find_program("docker-registry").ok_or(
            "no `docker-registry` on PATH (apt-get install docker-registry, or run scripts/ci/services.sh and export its env)",
        )?;
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let port = free_port();
        let mut config = format!(
            "version: 0.1\nlog: {{level: warn, accesslog: {{disabled: true}}}}\n\
             storage: {{filesystem: {{rootdirectory: {}}}, delete: {{enabled: true}}}}\n\
             http: {{addr: 127.0.0.1:{port}, secret: staves-test-only}}\n",
            dir.path().join("data").display()
        );
        if let Some((user, password)) = &credentials {
            let line = htpasswd_line(user, password)
                .ok_or("cannot make a bcrypt htpasswd line (no python3 crypt, no htpasswd)")?;
            let path = dir.path().join("htpasswd");
            fs::write(&path, format!("{line}\n")).map_err(|e| e.to_string())?;
            config.push_str(&format!(
                "auth: {{htpasswd: {{realm: staves-test, path: {}}}}}\n",
                path.display()
            ));
        }
        let config_path = dir.path().join("config.yml");
        fs::write(&config_path, config).map_err(|e| e.to_string())?;
        let log = fs::File::create(dir.path().join("registry.log")).map_err(|e| e.to_string())?;
        let child = Command::new(program)
            .arg("serve")
            .arg(&config_path)
            .stdout(log.try_clone().map_err(|e| e.to_string())?)
            .stderr(log)
            .spawn()
            .map_err(|e| format!("cannot start docker-registry: {e}"))?;
        let registry = Self {
            addr: format!("127.0.0.1:{port}"),
            credentials,
            child: Some(child),
            _dir: Some(dir),
        };
        let deadline = Instant::now() + Duration::from_secs(15);
        while std::net::TcpStream::connect(&registry.addr).is_err() {
            if Instant::now() > deadline {
                return Err(format!(
                    "docker-registry did not listen on {}",
                    registry.addr
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(registry)
    }
}
