//! Plugin benchmarks (docs/benchmarks.md, "Plugins"):
//! 1. per-plugin overhead with a warm compile cache (a trivial plugin on an
//!    empty root), with a fresh host per run and with a reused host;
//! 2. strip-docs over a generated 50,000-file tree against the same work
//!    done by native Rust in the same process.
//!
//! `cargo bench -p staves-core --bench plugins` (needs `rustup target add
//! wasm32-wasip1`; `STAVES_BENCH_FILES` sets the tree size, default 50000,
//! and `STAVES_BENCH_ROUNDS` the strip-docs rounds, default 3).

#[path = "../tests/plugin_support/mod.rs"]
mod plugin_support;

use std::fs;
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use staves_core::plugin::{PluginHost, build_index};

fn say(line: &str) {
    let _ = writeln!(std::io::stdout(), "{line}");
}

fn stats(mut samples: Vec<Duration>) -> String {
    samples.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    format!(
        "median {:.2} ms, min {:.2} ms, max {:.2} ms ({} runs)",
        ms(samples[samples.len() / 2]),
        ms(samples[0]),
        ms(samples[samples.len() - 1]),
        samples.len()
    )
}

/// A tree of `files` files: 60% under directories strip-docs removes (docs,
/// man pages, info, foreign locales), 40% kept (libraries, English locale).
fn generate(root: &Path, files: usize) {
    let removed = files * 6 / 10;
    let groups = [
        "usr/share/doc",
        "usr/share/man",
        "usr/share/info",
        "usr/share/locale/de",
        "usr/share/locale/fr",
    ];
    for i in 0..files {
        let rel = if i < removed {
            let group = groups[i % groups.len()];
            format!("{group}/pkg-{}/d{}/file-{i}", i % 97, i % 7)
        } else if i % 10 == 0 {
            format!("usr/share/locale/en/LC_MESSAGES/m{}/file-{i}.mo", i % 13)
        } else {
            format!("usr/lib64/pkg-{}/d{}/file-{i}.so", i % 89, i % 5)
        };
        let path = root.join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, b"0123456789abcdef").unwrap();
    }
}

/// What strip-docs does with its default config, natively.
fn native_strip(root: &Path) -> (u64, u64) {
    fn count(path: &Path, stats: &mut (u64, u64)) {
        for entry in fs::read_dir(path).unwrap() {
            let entry = entry.unwrap();
            let meta = entry.metadata().unwrap();
            stats.0 += 1;
            if meta.is_dir() {
                count(&entry.path(), stats);
            } else {
                stats.1 += meta.len();
            }
        }
    }
    let mut stats = (0, 0);
    let mut targets = vec![
        root.join("usr/share/man"),
        root.join("usr/share/info"),
        root.join("usr/share/doc"),
    ];
    let mut locales: Vec<_> = fs::read_dir(root.join("usr/share/locale"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap() != "en")
        .collect();
    locales.sort();
    targets.extend(locales);
    for target in targets {
        if target.exists() {
            count(&target, &mut stats);
            fs::remove_dir_all(&target).unwrap();
            stats.0 += 1;
        }
    }
    stats
}

fn main() {
    let (Some(probe), Some(labels), Some(strip)) = (
        plugin_support::spec("probe", serde_json::json!({"mode": "echo"})),
        plugin_support::spec("labels", serde_json::json!({})),
        plugin_support::spec("strip-docs", serde_json::json!({})),
    ) else {
        say("the plugins could not be built for wasm32-wasip1; nothing measured");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let (empty, out) = (dir.path().join("empty"), dir.path().join("out"));
    fs::create_dir_all(&empty).unwrap();
    fs::create_dir_all(&out).unwrap();
    let request = plugin_support::request();

    say("== per-plugin overhead, warm compile cache, empty root");
    for plugin in [&probe, &labels, &strip] {
        let started = Instant::now();
        let cold = PluginHost::new(&cache).unwrap().prepare(plugin).unwrap();
        say(&format!(
            "{}: first load {:.0} ms (from cache: {cold})",
            plugin.name,
            started.elapsed().as_secs_f64() * 1000.0
        ));
    }
    for plugin in [&probe, &labels] {
        let mut fresh = Vec::new();
        for _ in 0..30 {
            let started = Instant::now();
            let host = PluginHost::new(&cache).unwrap();
            host.run(plugin, &empty, &out, &request).unwrap();
            drop(host);
            fresh.push(started.elapsed());
        }
        say(&format!(
            "{} (new host per run: engine, cache load, run): {}",
            plugin.name,
            stats(fresh)
        ));
        let host = PluginHost::new(&cache).unwrap();
        let mut reused = Vec::new();
        let mut fuel = 0;
        for _ in 0..30 {
            let started = Instant::now();
            fuel = host.run(plugin, &empty, &out, &request).unwrap().fuel_used;
            reused.push(started.elapsed());
        }
        say(&format!(
            "{} (same host, module in memory): {} — {fuel} fuel",
            plugin.name,
            stats(reused)
        ));
    }

    let files: usize = std::env::var("STAVES_BENCH_FILES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50_000);
    say(&format!(
        "== strip-docs over a generated {files}-file tree (60% removed)"
    ));
    let host = PluginHost::new(&cache).unwrap();
    let (mut wasm, mut native, mut index) = (Vec::new(), Vec::new(), Vec::new());
    let rounds: usize = std::env::var("STAVES_BENCH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    for round in 0..rounds {
        let root = dir.path().join(format!("wasm-{round}"));
        generate(&root, files);
        let started = Instant::now();
        let entries = build_index(&root).unwrap().len();
        index.push(started.elapsed());
        let started = Instant::now();
        let outcome = host.run(&strip, &root, &out, &request).unwrap();
        wasm.push(started.elapsed());
        if round == 0 {
            say(&format!(
                "plugin: {} ({entries} index entries, {} fuel)",
                outcome.messages[0].text, outcome.fuel_used
            ));
        }
        fs::remove_dir_all(&root).unwrap();

        let root = dir.path().join(format!("native-{round}"));
        generate(&root, files);
        let started = Instant::now();
        let (entries, bytes) = native_strip(&root);
        native.push(started.elapsed());
        if round == 0 {
            say(&format!("native: removed {entries} entries, {bytes} bytes"));
        }
        fs::remove_dir_all(&root).unwrap();
    }
    say(&format!(
        "strip-docs plugin (includes the host's index walk): {}",
        stats(wasm)
    ));
    say(&format!(
        "  of which the host's native index walk: {}",
        stats(index)
    ));
    say(&format!("native Rust walk + remove: {}", stats(native)));
}
