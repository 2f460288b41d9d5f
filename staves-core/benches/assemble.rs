//! Image-assembly benchmark: Staves' layer pipeline against the GNU tar +
//! compressor CLI pipelines on the same synthetic root filesystem.
//!
//!     cargo bench -p staves-core --bench assemble [-- --files 50000 --runs 3]
//!
//! Generates (deterministic seed) a tree of `--files` files with log-normal
//! sizes (median 2 KiB, ~200 MB in total for 50,000 files), 40 % random and
//! 60 % text content, in a temporary directory; warms the page cache; then
//! times, `--runs` times each, and reports the median wall time:
//! `build_layer` with zstd-3 and gzip-6, `layer_from_tar` fed by `tar -c`,
//! and the CLI pipelines `tar --sort=name -c | zstd -3` and
//! `tar --sort=name -c | gzip -6 -n`. Results are printed as a table; the
//! goal is a ratio ≤ 1.2 against the matching CLI pipeline.

use std::fs;
use std::io::{self, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use staves_core::image::{
    BlobStore, Compression, LayerOptions, TarInput, build_layer, layer_from_tar,
};

#[path = "../tests/common/rng.rs"]
mod rng;
use rng::Rng;

const WORDS: &[&str] = &[
    "the",
    "portage",
    "ebuild",
    "package",
    "install",
    "library",
    "function",
    "return",
    "static",
    "const",
    "include",
    "define",
    "struct",
    "value",
    "error",
    "python",
    "module",
    "import",
    "self",
    "config",
    "usr",
    "lib",
    "share",
    "doc",
    "license",
    "copyright",
    "gentoo",
    "foundation",
    "distributed",
    "under",
    "terms",
    "general",
    "public",
    "version",
    "if",
    "then",
    "else",
    "fi",
];

/// One measured pipeline: its median wall time and output size.
type Measure<'a> = dyn Fn() -> Result<(Duration, u64), Box<dyn std::error::Error>> + 'a;

/// Writes the synthetic tree; returns (files, bytes).
fn generate(root: &Path, files: usize) -> io::Result<(usize, u64)> {
    let mut rng = Rng(0x0057_a7e5_2024);
    let (mu, sigma) = ((2048f64).ln(), 1.16);
    let mut total = 0u64;
    let dirs = (files / 100).max(1);
    for d in 0..dirs {
        fs::create_dir_all(root.join(format!("d{:03}/e{:02}", d / 10, d % 10)))?;
    }
    let mut buf = Vec::new();
    for i in 0..files {
        let size = ((mu + sigma * rng.normal()).exp() as usize).clamp(1, 8 << 20);
        buf.clear();
        if rng.unit() < 0.4 {
            while buf.len() < size {
                buf.extend_from_slice(&rng.next().to_le_bytes());
            }
        } else {
            while buf.len() < size {
                let w = WORDS[(rng.next() % WORDS.len() as u64) as usize];
                buf.extend_from_slice(w.as_bytes());
                buf.push(if rng.next().is_multiple_of(12) {
                    b'\n'
                } else {
                    b' '
                });
            }
        }
        buf.truncate(size);
        let d = i % dirs;
        let path = root.join(format!("d{:03}/e{:02}/f{i:06}.dat", d / 10, d % 10));
        fs::write(path, &buf)?;
        total += size as u64;
    }
    Ok((files, total))
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn shell(script: &str) -> io::Result<()> {
    let status = Command::new("sh")
        .arg("-c")
        .arg(script)
        .stdin(Stdio::null())
        .status()?;
    if status.success() {
        Ok(())
    } else {
        Err(io::Error::other(format!("`{script}` failed: {status}")))
    }
}

struct Row {
    name: String,
    time: Duration,
    size: u64,
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut files = 50_000usize;
    let mut runs = 3usize;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--files" => files = args.next().ok_or("--files needs a number")?.parse()?,
            "--runs" => runs = args.next().ok_or("--runs needs a number")?.parse()?,
            "--bench" => {}
            other => return Err(format!("unknown argument `{other}`").into()),
        }
    }
    let runs = runs.max(1);
    let mut out = io::stdout().lock();
    let dir = tempfile::tempdir()?;
    let root = dir.path().join("root");
    let started = Instant::now();
    let (n, bytes) = generate(&root, files)?;
    writeln!(
        out,
        "tree: {n} files, {:.1} MB, generated in {:.1} s ({})",
        bytes as f64 / 1e6,
        started.elapsed().as_secs_f64(),
        root.display()
    )?;
    let store = BlobStore::open(dir.path().join("blobs"))?;
    let root_s = root.display().to_string();
    let outf = dir.path().join("cli.out").display().to_string();
    // Warm the page cache (and check the tools exist).
    shell(&format!(
        "tar --sort=name -C '{root_s}' -cf - . | cat > /dev/null"
    ))?;
    shell("zstd --version >/dev/null && gzip --version >/dev/null")?;

    let mut rows: Vec<Row> = Vec::new();
    let epoch = 1_700_000_000;
    let staves = |c: Compression| -> Result<(Duration, u64), Box<dyn std::error::Error>> {
        let mut times = Vec::new();
        let mut size = 0;
        for _ in 0..runs {
            let t = Instant::now();
            let layer = build_layer(
                &root,
                &store,
                &LayerOptions {
                    epoch,
                    compression: c,
                },
            )?;
            times.push(t.elapsed());
            size = layer.size;
        }
        Ok((median(times), size))
    };
    let cli = |compress: &str| -> Result<(Duration, u64), Box<dyn std::error::Error>> {
        let mut times = Vec::new();
        for _ in 0..runs {
            let t = Instant::now();
            shell(&format!(
                "tar --sort=name -C '{root_s}' -cf - . | {compress} > '{outf}'"
            ))?;
            times.push(t.elapsed());
        }
        Ok((median(times), fs::metadata(&outf)?.len()))
    };
    let from_tar = |c: Compression| -> Result<(Duration, u64), Box<dyn std::error::Error>> {
        let mut times = Vec::new();
        let mut size = 0;
        for _ in 0..runs {
            let t = Instant::now();
            let mut child = Command::new("tar")
                .args(["-C", &root_s, "-cf", "-", "."])
                .stdout(Stdio::piped())
                .spawn()?;
            let stdout = child.stdout.take().ok_or("no tar stdout")?;
            let layer = layer_from_tar(
                stdout,
                &store,
                &LayerOptions {
                    epoch,
                    compression: c,
                },
                &TarInput::default(),
            )?;
            child.wait()?;
            times.push(t.elapsed());
            size = layer.size;
        }
        Ok((median(times), size))
    };

    let cases: [(&str, Box<Measure<'_>>); 7] = [
        (
            "staves build_layer, none (tar+sha256)",
            Box::new(|| staves(Compression::None)),
        ),
        (
            "staves build_layer, zstd-3",
            Box::new(|| staves(Compression::Zstd { level: 3 })),
        ),
        (
            "tar --sort=name -c | zstd -3",
            Box::new(|| cli("zstd -3 -q -c")),
        ),
        (
            "staves build_layer, gzip-6",
            Box::new(|| staves(Compression::Gzip { level: 6 })),
        ),
        (
            "tar --sort=name -c | gzip -6 -n",
            Box::new(|| cli("gzip -6 -n -c")),
        ),
        (
            "staves layer_from_tar(tar -c), zstd-3",
            Box::new(|| from_tar(Compression::Zstd { level: 3 })),
        ),
        (
            "staves layer_from_tar(tar -c), gzip-6",
            Box::new(|| from_tar(Compression::Gzip { level: 6 })),
        ),
    ];
    for (name, run) in &cases {
        let (time, size) = run()?;
        writeln!(out, "  {name}: {:.2} s", time.as_secs_f64())?;
        rows.push(Row {
            name: (*name).to_owned(),
            time,
            size,
        });
    }

    let find = |n: &str| {
        rows.iter()
            .find(|r| r.name == n)
            .map(|r| r.time.as_secs_f64())
    };
    let zstd_cli = find("tar --sort=name -c | zstd -3");
    let gzip_cli = find("tar --sort=name -c | gzip -6 -n");
    writeln!(
        out,
        "\nmedian of {runs} runs, {n} files, {:.1} MB",
        bytes as f64 / 1e6
    )?;
    writeln!(out, "| pipeline | wall (s) | MB/s | output (MB) | vs CLI |")?;
    writeln!(out, "|---|---:|---:|---:|---:|")?;
    for r in &rows {
        let secs = r.time.as_secs_f64();
        let base = if r.name.contains("zstd") {
            zstd_cli
        } else if r.name.contains("gzip") {
            gzip_cli
        } else {
            None
        };
        let ratio = match base {
            Some(b) if !r.name.starts_with("tar ") => format!("{:.2}×", secs / b),
            _ => "—".to_owned(),
        };
        writeln!(
            out,
            "| {} | {secs:.2} | {:.0} | {:.1} | {ratio} |",
            r.name,
            bytes as f64 / 1e6 / secs,
            r.size as f64 / 1e6
        )?;
    }
    Ok(())
}
