//! Differential tests against real Portage (the oracle scripts in
//! `scripts/oracle/`): version ordering on 120 000 generated pairs, and atom
//! parsing on a few thousand generated atoms.
//!
//! Needs the venv from `scripts/ensure-portage.sh` (env `STAVES_PORTAGE_VENV`,
//! default `/tmp/staves-portage-venv`). Without it the tests fail when
//! `CI=true` and are skipped (with a printed reason) otherwise.
#![allow(clippy::print_stderr)]

use std::cmp::Ordering;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use staves_core::gentoo::atom::{Atom, Blocker, Operator, SlotOperator};
use staves_core::gentoo::version::Version;

#[path = "common/portage.rs"]
mod portage;
#[path = "common/rng.rs"]
mod rng;
use rng::Rng;

/// The venv's python, or `None` (after printing why) when the test should
/// be skipped. Panics in CI.
fn portage_python() -> Option<PathBuf> {
    match portage::portage_python() {
        Ok(python) => Some(python),
        Err(why) => {
            assert!(std::env::var("CI").as_deref() != Ok("true"), "{why}");
            eprintln!("skipping: {why}");
            None
        }
    }
}

/// Runs an oracle script with `input` on stdin; returns its output lines.
fn run_oracle(python: &PathBuf, script: &str, input: &str) -> Vec<String> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../scripts/oracle")
        .join(script);
    let mut child = Command::new(python)
        .arg(&path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", path.display()));
    let mut stdin = child.stdin.take().expect("piped stdin");
    let input = input.to_owned();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().expect("oracle output");
    writer
        .join()
        .expect("writer thread")
        .expect("write to oracle");
    assert!(out.status.success(), "{} failed", path.display());
    String::from_utf8(out.stdout)
        .expect("utf-8")
        .lines()
        .map(str::to_owned)
        .collect()
}

fn digits(rng: &mut Rng, max_len: usize) -> String {
    let len = 1 + rng.below(max_len);
    (0..len)
        .map(|_| char::from(b'0' + rng.below(10) as u8))
        .collect()
}

/// A number with a bias to small values, leading zeros and long strings.
fn number(rng: &mut Rng) -> String {
    match rng.below(10) {
        0 => format!("0{}", digits(rng, 2)),
        1 => digits(rng, 25),
        2 => "0".to_owned(),
        3 => "9999".to_owned(),
        _ => digits(rng, 2),
    }
}

fn version(rng: &mut Rng) -> String {
    let mut v = number(rng);
    for _ in 0..rng.below(4) {
        v.push('.');
        v += &number(rng);
    }
    if rng.percent(20) {
        v.push(char::from(b'a' + rng.below(26) as u8));
    }
    for _ in 0..[0, 0, 0, 1, 1, 2, 3][rng.below(7)] {
        v.push('_');
        v += *rng.pick(&["alpha", "beta", "pre", "rc", "p"]);
        if rng.percent(70) {
            v += &number(rng);
        }
    }
    if rng.percent(30) {
        v += "-r";
        v += &number(rng);
    }
    v
}

/// A small edit of `v` that often keeps it equal or nearly equal.
fn tweak(rng: &mut Rng, v: &str) -> String {
    let mut s = v.to_owned();
    match rng.below(9) {
        0 => s.insert(0, '0'),
        1 => s = s.replacen('.', ".0", 1),
        2 if !s.contains("-r") => s += *rng.pick(&["-r0", "-r00", "-r1"]),
        3 => s = s.replacen("-r", "-r0", 1),
        4 => {
            // Trailing zero on the numeric part (`1.01` vs `1.010`).
            let end = s
                .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                .unwrap_or(s.len());
            s.insert(end, '0');
        }
        5 => s = s.replacen("_p", "_p0", 1),
        6 => {
            let end = s.find('-').unwrap_or(s.len());
            s.insert_str(end, rng.pick::<&str>(&["_p", "_rc", "_alpha1", ".0", "a"]));
        }
        7 => s = version(rng),
        _ => {}
    }
    if Version::parse(&s).is_ok() {
        s
    } else {
        v.to_owned()
    }
}

fn hash_of(v: &Version) -> u64 {
    let mut h = DefaultHasher::new();
    v.hash(&mut h);
    h.finish()
}

#[test]
fn version_order_matches_portage_vercmp() {
    let Some(python) = portage_python() else {
        return;
    };
    let mut rng = Rng(0x5eed_0001);
    let pairs: Vec<(String, String)> = (0..120_000)
        .map(|i| {
            let a = version(&mut rng);
            let b = if i % 2 == 0 {
                tweak(&mut rng, &a)
            } else {
                version(&mut rng)
            };
            (a, b)
        })
        .collect();
    let input: String = pairs.iter().map(|(a, b)| format!("{a} {b}\n")).collect();
    let answers = run_oracle(&python, "vercmp.py", &input);
    assert_eq!(
        answers.len(),
        pairs.len(),
        "oracle answered a different number of lines"
    );

    let mut mismatches = Vec::new();
    let mut equal = 0;
    for ((a, b), answer) in pairs.iter().zip(&answers) {
        let (va, vb) = (Version::parse(a).unwrap(), Version::parse(b).unwrap());
        let ours = va.cmp(&vb);
        let want = match answer.as_str() {
            "-1" => Ordering::Less,
            "0" => Ordering::Equal,
            "1" => Ordering::Greater,
            other => panic!("Portage rejected {a} or {b}: {other}"),
        };
        if want == Ordering::Equal {
            equal += 1;
            assert_eq!(
                hash_of(&va),
                hash_of(&vb),
                "equal versions {a} {b} hash differently"
            );
        }
        assert_eq!(vb.cmp(&va), ours.reverse(), "asymmetric: {a} {b}");
        if ours != want {
            mismatches.push(format!("{a} vs {b}: ours {ours:?}, Portage {want:?}"));
        }
    }
    assert!(equal > 5_000, "too few equal pairs generated ({equal})");
    assert!(
        mismatches.is_empty(),
        "{} mismatches, first ones:\n{}",
        mismatches.len(),
        mismatches[..mismatches.len().min(20)].join("\n")
    );
}

/// Picks from `good` most of the time and from `bad` otherwise.
fn mostly<'a>(rng: &mut Rng, good: &[&'a str], bad: &[&'a str]) -> &'a str {
    if rng.percent(92) {
        rng.pick::<&str>(good)
    } else {
        rng.pick::<&str>(bad)
    }
}

fn use_item(rng: &mut Rng) -> String {
    let flag = mostly(
        rng,
        &["foo", "ssl", "abi_x86_32", "a+b", "x@y", "f-"],
        &["_bad", "", "f.o"],
    );
    let prefix = mostly(rng, &["", "", "", "-", "!"], &["!-", "--"]);
    let default = mostly(rng, &["", "", "(+)", "(-)"], &["(*)", "(+)(-)"]);
    let suffix = mostly(rng, &["", "", "=", "?"], &["?=", "=="]);
    format!("{prefix}{flag}{default}{suffix}")
}

fn atom(rng: &mut Rng) -> String {
    let mut s = String::new();
    s += mostly(rng, &["", "", "", "", "!", "!!"], &["!!!"]);
    let op = mostly(
        rng,
        &["", "", "", "=", ">=", "<=", "<", ">", "~"],
        &["=<", "==", "!"],
    );
    s += op;
    s += mostly(
        rng,
        &[
            "dev-libs", "sys-libs", "x11-libs", "virtual", "c", "_c", "c+", "c.d",
        ],
        &["-c", ".c", ""],
    );
    s += mostly(rng, &["/"], &["", "//"]);
    s += mostly(
        rng,
        &[
            "foo",
            "foo-bar",
            "gtk+",
            "foo-r1",
            "foo-1xy",
            "9foo",
            "foo_",
            "foo-1-bar",
        ],
        &["+foo", "fo.o", "foo-1x", "foo-1", "-foo", ""],
    );
    if !op.is_empty() || rng.percent(5) {
        if rng.percent(5) {
            s += *rng.pick(&["-1.0-5", "-x", "-1..0", "-1.0-r", "-", ""]);
        } else {
            s.push('-');
            s += &version(rng);
        }
        if rng.percent(if op == "=" { 30 } else { 3 }) {
            s.push('*');
        }
    } else if rng.percent(3) {
        s.push('*');
    }
    if rng.percent(35) {
        s += mostly(
            rng,
            &[
                ":0", ":2", ":=", ":*", ":0=", ":0/6", ":0/6=", ":3.14t", ":a_b+c-d",
            ],
            &[
                ":2/", ":/2", ":2*", ":", ":2/=", ":.1", ":a/b/c", ":=*", ":a:b",
            ],
        );
    }
    if rng.percent(20) {
        s += mostly(
            rng,
            &["::gentoo", "::my-overlay", "::_x", "::x1"],
            &["::", "::a.b", "::-x", ":::x"],
        );
    }
    if rng.percent(4) {
        // Out-of-order parts.
        s += *rng.pick(&[":2", "::gentoo", "x", " "]);
    }
    if rng.percent(35) {
        let n = 1 + rng.below(3);
        let items: Vec<String> = (0..n).map(|_| use_item(rng)).collect();
        s.push('[');
        s += &items.join(",");
        s += mostly(rng, &["]"], &["", "]x", "]]", ",]"]);
    }
    s
}

fn our_fields(a: &Atom) -> String {
    let blocker = match a.blocker {
        None => "none",
        Some(Blocker::Weak) => "weak",
        Some(Blocker::Strong) => "strong",
    };
    let op = match a.op {
        None => "-",
        Some(Operator::EqualGlob) => "=*",
        Some(op) => op.as_str(),
    };
    let slot = a.slot.as_ref();
    let fields = [
        blocker.to_owned(),
        op.to_owned(),
        a.name.to_string(),
        a.version
            .as_ref()
            .map_or("-".to_owned(), ToString::to_string),
        slot.and_then(|s| s.slot.clone())
            .unwrap_or_else(|| "-".into()),
        slot.and_then(|s| s.subslot.clone())
            .unwrap_or_else(|| "-".into()),
        match slot.and_then(|s| s.op) {
            None => "-".into(),
            Some(SlotOperator::Any) => "*".into(),
            Some(SlotOperator::Equal) => "=".into(),
        },
        a.repo.clone().unwrap_or_else(|| "-".into()),
    ];
    fields.join("\t")
}

#[test]
fn atom_parsing_matches_portage() {
    let Some(python) = portage_python() else {
        return;
    };
    let mut rng = Rng(0x5eed_0002);
    let atoms: Vec<String> = (0..8_000).map(|_| atom(&mut rng)).collect();
    let input: String = atoms.iter().map(|a| format!("{a}\n")).collect();
    let answers = run_oracle(&python, "atom.py", &input);
    assert_eq!(answers.len(), atoms.len());

    let mut mismatches = Vec::new();
    let (mut valid, mut invalid) = (0, 0);
    for (s, want) in atoms.iter().zip(&answers) {
        let ours = match Atom::parse(s) {
            Ok(a) => {
                assert_eq!(a.to_string(), *s, "Display must round-trip a valid atom");
                valid += 1;
                our_fields(&a)
            }
            Err(_) => {
                invalid += 1;
                "invalid".to_owned()
            }
        };
        if ours != *want {
            mismatches.push(format!("{s}\n  ours:    {ours}\n  Portage: {want}"));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} mismatches, first ones:\n{}",
        mismatches.len(),
        mismatches[..mismatches.len().min(20)].join("\n")
    );
    assert!(
        valid > 2_000 && invalid > 2_000,
        "unbalanced cases: {valid} valid, {invalid} invalid"
    );
}
