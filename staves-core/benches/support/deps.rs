//! Dependency strings: every atom names an earlier package, with the
//! operators, slot operators, USE dependencies, USE-conditional groups,
//! any-of groups and blockers ::gentoo uses, always in a form the
//! generated profile satisfies.

use std::collections::BTreeSet;

use super::names::tiers;
use super::{Package, Rng, Shape, SlotKind, Tier};

/// `${MULTILIB_USEDEP}` of ::gentoo's multilib-build.eclass.
pub(crate) const MULTILIB_FLAGS: [&str; 8] = [
    "abi_x86_32",
    "abi_x86_64",
    "abi_x86_x32",
    "abi_mips_n32",
    "abi_mips_n64",
    "abi_mips_o32",
    "abi_s390_32",
    "abi_s390_64",
];

/// Fills the dependency strings, REQUIRED_USE and eclasses of package `i`
/// (all dependencies name packages before `i`).
pub(crate) fn fill(
    packages: &mut [Package],
    i: usize,
    shape: Shape,
    eclasses: usize,
    rng: &mut Rng,
) {
    let (before, rest) = packages.split_at_mut(i);
    let p = &mut rest[0];
    let [core, tools, common, lib] = tiers(shape.packages);
    let tools_end = core + tools;
    let common_end = tools_end + common;
    let lib_end = common_end + lib;
    let (run, build) = {
        let mut want = |lo: usize, hi: usize, n: usize, popular: bool, into: &mut Vec<usize>| {
            let hi = hi.min(i);
            for _ in 0..n * 3 {
                if into.len() >= n || hi <= lo {
                    break;
                }
                let t = if popular {
                    rng.popular(lo, hi)
                } else {
                    rng.range(lo, hi)
                };
                if before[t].usable() && !into.contains(&t) {
                    into.push(t);
                }
            }
        };
        let mut r = Vec::new();
        let mut b = Vec::new();
        match p.tier {
            Tier::Core if i == 1 => r.push(0),
            Tier::Core => want(2, core, rng_count(i, 0, 3), false, &mut r),
            Tier::Tool => {
                want(2, core, 2, false, &mut r);
                want(core, tools_end, 1, false, &mut b);
            }
            Tier::Common if p.slot == SlotKind::Multi && p.pn == "python" => {
                want(2, core, 9, false, &mut r);
                want(tools_end, common_end, 3, true, &mut r);
                want(core, tools_end, 3, false, &mut b);
            }
            Tier::Common => {
                want(2, core, rng_count(i, 1, 4), false, &mut r);
                want(tools_end, common_end, rng_count(i * 7, 0, 2), true, &mut r);
                want(core, tools_end, rng_count(i * 3, 1, 3), false, &mut b);
            }
            Tier::Lib => {
                want(2, core, rng_count(i, 1, 2), true, &mut r);
                want(tools_end, common_end, rng_count(i * 5, 1, 3), true, &mut r);
                want(common_end, lib_end, rng_count(i * 7, 0, 2), true, &mut r);
                want(core, tools_end, rng_count(i * 3, 1, 3), false, &mut b);
            }
            Tier::App => {
                want(2, core, 1, true, &mut r);
                want(tools_end, common_end, rng_count(i * 5, 1, 3), true, &mut r);
                want(common_end, lib_end, rng_count(i * 7, 1, 4), true, &mut r);
                want(lib_end, i, rng_count(i * 11, 0, 1), true, &mut r);
                want(core, tools_end, rng_count(i * 3, 1, 3), false, &mut b);
            }
            Tier::Meta => {
                want(lib_end, i, shape.meta_deps, false, &mut r);
            }
        }
        (r, b)
    };
    let meta = p.tier == Tier::Meta;
    let mut rdep: Vec<String> = Vec::new();
    for (k, &t) in run.iter().enumerate() {
        let a = atom(p, &before[t], rng, meta);
        let flag = own_flag(p, rng);
        let item = match flag {
            Some(f) if !meta && rng.chance(0.2) => format!("{f}? ( {a} )"),
            Some(f) if meta && k % 5 == 4 => format!("{f}? ( {a} )"),
            _ => a,
        };
        rdep.push(item);
    }
    // An any-of group over two earlier libraries.
    if !meta && run.len() >= 2 && rng.chance(0.06) {
        let (a, b) = (run[run.len() - 1], run[run.len() - 2]);
        rdep.pop();
        rdep.pop();
        rdep.push(format!(
            "|| ( {} {} )",
            atom(p, &before[a], rng, false),
            atom(p, &before[b], rng, false)
        ));
    }
    // Blockers: older versions of a dependency, or a dead package.
    if let Some(&t) = run.first()
        && rng.chance(0.05)
    {
        let t = &before[t];
        rdep.push(format!("!<{}-{}", t.name(), t.versions[0].text));
    }
    if p.tier == Tier::App
        && rng.chance(0.02)
        && let Some(d) = (lib_end..i).rev().find(|&d| before[d].dead)
    {
        rdep.push(format!("!!{}", before[d].name()));
    }
    p.rdepend = rdep.join("\n\t");
    p.depend = match p.tier {
        Tier::Meta => String::new(),
        Tier::App if rng.chance(0.3) => rdep[..rdep.len() / 2].join(" "),
        _ => rdep.join(" "),
    };
    if p.flag_on("test").is_some()
        && let Some(&t) = run.first()
    {
        let test_dep = format!("test? ( {} )", atom(p, &before[t], rng, false));
        p.depend = format!("{} {test_dep}", p.depend).trim().to_owned();
    }
    let mut bdep: Vec<String> = build
        .iter()
        .map(|&t| atom(p, &before[t], rng, false))
        .collect();
    if p.tier != Tier::Core && i > tools_end && rng.chance(0.3) {
        bdep.push("virtual/pkgconfig".to_owned());
    }
    p.bdepend = bdep.join(" ");
    if p.tier == Tier::App && i > lib_end + 10 && rng.chance(0.01) {
        let t = rng.popular(lib_end, i);
        if before[t].usable() {
            p.pdepend = before[t].name();
        }
    }
    p.required_use = required_use(p, rng);
    let mut inherit: BTreeSet<usize> = BTreeSet::new();
    for _ in 0..rng.range(0, 4) {
        inherit.insert(rng.range(0, eclasses));
    }
    if p.multilib {
        inherit.insert(3);
    }
    p.inherit = inherit.into_iter().collect();
}

/// A deterministic count in `[lo, hi]` mixing the package index.
fn rng_count(seed: usize, lo: usize, hi: usize) -> usize {
    let mut r = Rng::new(seed as u64 ^ 0xd1b5_4a32_d192_ed03);
    r.range(lo, hi + 1)
}

/// One of the package's own (non-`test`) flags.
fn own_flag(p: &Package, rng: &mut Rng) -> Option<String> {
    let own: Vec<&String> = p
        .iuse
        .iter()
        .map(|(f, _)| f)
        .filter(|f| *f != "test" && *f != "static-libs")
        .collect();
    if own.is_empty() {
        None
    } else {
        Some((*rng.pick(&own)).clone())
    }
}

/// The atom `p` uses to depend on `t`.
fn atom(p: &Package, t: &Package, rng: &mut Rng, plain: bool) -> String {
    let oldest = &t.versions[0];
    let newest = &t.versions[t.versions.len() - 1];
    let u = rng.unit();
    let mut s = if plain || u >= 0.25 {
        t.name()
    } else if u < 0.2 {
        format!(">={}-{}", t.name(), oldest.text)
    } else {
        format!("<{}-{}", t.name(), newest.major + 1)
    };
    if !plain {
        let u = rng.unit();
        match t.slot {
            SlotKind::Lib if u < 0.5 => s.push_str(":="),
            SlotKind::Lib if u < 0.65 => s.push_str(":0="),
            SlotKind::Lib if u < 0.75 => s.push_str(":0"),
            SlotKind::Multi if u < 0.5 => s.push_str(":="),
            SlotKind::Multi => s.push_str(":*"),
            SlotKind::Plain if u < 0.05 => s.push_str(":0"),
            _ => {}
        }
    }
    let mut use_deps: Vec<String> = Vec::new();
    if p.multilib && t.multilib {
        use_deps.extend(MULTILIB_FLAGS.iter().map(|f| format!("{f}(-)?")));
    }
    if !plain && rng.chance(0.15) {
        let candidates: Vec<&(String, bool)> = t
            .iuse
            .iter()
            .filter(|(f, _)| f != "test" && f != "static-libs")
            .collect();
        if !candidates.is_empty() {
            let (f, _) = rng.pick(&candidates);
            let on = t.flag_on(f).unwrap_or(false);
            let dep = match (p.flag_on(f), on) {
                (Some(parent), _) if parent == on => format!("{f}="),
                (Some(_), true) => format!("{f}?"),
                (_, true) if rng.chance(0.5) => format!("{f}(+)"),
                (_, true) => f.clone(),
                (_, false) => format!("-{f}"),
            };
            use_deps.push(dep);
        }
    }
    if p.flag_on("static-libs").is_some() && t.flag_on("static-libs").is_some() {
        use_deps.push("static-libs?".to_owned());
    }
    if !use_deps.is_empty() {
        s.push('[');
        s.push_str(&use_deps.join(","));
        s.push(']');
    }
    s
}

/// A REQUIRED_USE that the profile's flag states satisfy (or nothing).
fn required_use(p: &Package, rng: &mut Rng) -> String {
    if p.tier == Tier::Meta || !rng.chance(0.1) {
        return String::new();
    }
    let on: Vec<&String> = p
        .iuse
        .iter()
        .map(|(f, _)| f)
        .filter(|f| p.flag_on(f) == Some(true))
        .collect();
    let off: Vec<&String> = p
        .iuse
        .iter()
        .map(|(f, _)| f)
        .filter(|f| p.flag_on(f) == Some(false))
        .collect();
    match (on.first(), off.first(), off.get(1)) {
        (Some(a), Some(b), _) if rng.chance(0.5) => format!("|| ( {a} {b} )"),
        (Some(a), Some(b), _) => format!("{b}? ( {a} )"),
        (None, Some(b), Some(c)) => format!("?? ( {b} {c} )"),
        _ => String::new(),
    }
}
