//! `probe`: a deliberately misbehaving plugin for the host's sandbox and
//! limit tests. `config.mode` picks the behaviour:
//!
//! * `echo`: answers with the counts of index entries and packages;
//! * `fs`: tries `reads`, `lists` and `writes` (guest paths) and `symlinks`
//!   (`[path, target]` pairs), reporting `ok` or the error of each as a message;
//! * `ops`: returns `config.file_ops` verbatim as the response's file operations;
//! * `spin`: loops forever; `hog`: allocates and touches `config.mib` MiB;
//! * `garbage`: prints text that is not JSON; `version`: answers API 99;
//! * `exit`: writes to stderr and exits with `config.code`;
//! * `flood`: writes `config.bytes` bytes to stdout;
//! * `env`: reports the environment, arguments, clock and random bytes.

use std::hash::BuildHasher;
use std::io::Write;

use staves_plugin_sdk::{Error, FileOp, Level, Message, Request, Response};

fn info(text: String) -> Message {
    Message {
        level: Level::Info,
        text,
        path: None,
    }
}

fn outcome<T>(what: &str, path: &str, result: std::io::Result<T>) -> Message {
    match result {
        Ok(_) => info(format!("{what} {path}: ok")),
        Err(e) => info(format!("{what} {path}: error {e}")),
    }
}

fn strings(req: &Request, key: &str) -> Vec<String> {
    serde_json::from_value(req.config[key].clone()).unwrap_or_default()
}

fn handle(req: &Request) -> Result<Response, Error> {
    let mut response = Response::new();
    let mode = req.config["mode"].as_str().unwrap_or("echo");
    match mode {
        "echo" => response.messages.push(info(format!(
            "index {} packages {}",
            req.index.len(),
            req.packages.len()
        ))),
        "fs" => {
            for path in strings(req, "reads") {
                response
                    .messages
                    .push(outcome("read", &path, std::fs::read(&path)));
            }
            for path in strings(req, "lists") {
                response
                    .messages
                    .push(outcome("list", &path, std::fs::read_dir(&path)));
            }
            for path in strings(req, "writes") {
                response
                    .messages
                    .push(outcome("write", &path, std::fs::write(&path, "probe")));
            }
            let links: Vec<(String, String)> =
                serde_json::from_value(req.config["symlinks"].clone()).unwrap_or_default();
            for (path, target) in links {
                let made = symlink(&target, &path);
                response.messages.push(outcome("symlink", &path, made));
            }
        }
        "ops" => {
            response.file_ops =
                serde_json::from_value::<Vec<FileOp>>(req.config["file_ops"].clone())?;
        }
        "spin" => {
            let mut n: u64 = 0;
            loop {
                n = std::hint::black_box(n.wrapping_add(1));
            }
        }
        "hog" => {
            let mib = req.config["mib"].as_u64().unwrap_or(1024);
            let mut chunks: Vec<Vec<u8>> = Vec::new();
            for i in 0..mib {
                chunks.push(vec![i as u8; 1 << 20]);
            }
            response
                .messages
                .push(info(format!("allocated {} MiB", chunks.len())));
        }
        "garbage" => {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(b"this is not JSON {");
            let _ = out.flush();
            std::process::exit(0);
        }
        "version" => response.api_version = 99,
        "exit" => {
            staves_plugin_sdk::log("goodbye from the probe");
            std::process::exit(req.config["code"].as_i64().unwrap_or(3) as i32);
        }
        "flood" => {
            let bytes = req.config["bytes"].as_u64().unwrap_or(1 << 20) as usize;
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(&vec![b' '; bytes]);
        }
        "env" => {
            let vars: Vec<String> = std::env::vars().map(|(k, v)| format!("{k}={v}")).collect();
            response
                .messages
                .push(info(format!("env {}", vars.join(" "))));
            let args: Vec<String> = std::env::args().collect();
            response
                .messages
                .push(info(format!("args {}", args.join(" "))));
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0);
            response.messages.push(info(format!("time {now}")));
            // The hasher keys come from the WASI random source.
            let random = std::collections::hash_map::RandomState::new().hash_one(0u8);
            response
                .messages
                .push(info(format!("random {random:016x}")));
        }
        other => return Err(Error::new(format!("unknown probe mode `{other}`"))),
    }
    Ok(response)
}

#[cfg(target_os = "wasi")]
#[allow(unsafe_code)]
fn symlink(target: &str, path: &str) -> std::io::Result<()> {
    // `std::os::wasi::fs::symlink_path` is unstable; wasi-libc has `symlink`.
    let target = std::ffi::CString::new(target).map_err(std::io::Error::other)?;
    let path = std::ffi::CString::new(path).map_err(std::io::Error::other)?;
    // SAFETY: both are valid NUL-terminated strings that outlive the call.
    match unsafe { libc::symlink(target.as_ptr(), path.as_ptr()) } {
        0 => Ok(()),
        _ => Err(std::io::Error::last_os_error()),
    }
}

#[cfg(not(target_os = "wasi"))]
fn symlink(target: &str, path: &str) -> std::io::Result<()> {
    std::os::unix::fs::symlink(target, path)
}

fn main() {
    staves_plugin_sdk::run(handle)
}
