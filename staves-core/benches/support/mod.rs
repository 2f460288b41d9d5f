//! A deterministic generator of ::gentoo-shaped ebuild repositories for the
//! lock benchmark.
//!
//! [`generate`] builds the model (categories, packages, versions, USE flags
//! and dependency strings) from a seed; [`render::files`] turns it into the
//! files of a repository (md5-cache entries, ebuilds whose MD5 the entries
//! record, eclasses, licences, a profile stack); [`git`] commits them into
//! a git repository or writes them to a directory.
//!
//! # Shape
//!
//! Packages are ordered, and every dependency of any class points to a
//! package earlier in that order, so the graph is acyclic in both roots.
//! The order is tiered: a few dozen *core* packages (`sys-libs/glibc`,
//! `virtual/libc`, ...), build *tools* (`dev-build/cmake`,
//! `virtual/pkgconfig`, ...), common libraries (tier 1, holding
//! `dev-lang/python` with one slot per minor version), libraries (tier 2)
//! and applications (tier 3), then `app-misc/desktop-meta`, which depends
//! on many applications. Targets pick dependencies biased towards earlier
//! (more popular) packages, as in ::gentoo where a few libraries are
//! depended on by thousands.
//!
//! Everything is chosen so that a resolution succeeds with the generated
//! profile: every package's oldest version is stable on amd64 and
//! unmasked; masks and `~amd64` only hit newer versions or packages nobody
//! depends on; USE dependencies only ask for the state the flag already
//! has; blockers name versions below any that exist, or dead packages.

pub(crate) mod deps;
pub(crate) mod git;
pub(crate) mod measure;
pub(crate) mod names;
pub(crate) mod portage;
pub(crate) mod profile;
pub(crate) mod render;

#[path = "../../tests/common/rng.rs"]
mod rng;
pub(crate) use rng::Rng;

/// How big a repository to generate.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Shape {
    /// Packages (`category/name`).
    pub(crate) packages: usize,
    /// Categories.
    pub(crate) categories: usize,
    /// How many applications `app-misc/desktop-meta` depends on.
    pub(crate) meta_deps: usize,
    /// Lines of `profiles/package.mask` (approximately).
    pub(crate) mask_lines: usize,
    /// The seed.
    pub(crate) seed: u64,
}

/// The size of ::gentoo (2025): about 19,000 packages and 31,000 ebuilds.
pub(crate) const GENTOO: Shape = Shape {
    packages: 19_000,
    categories: 170,
    meta_deps: 160,
    mask_lines: 400,
    seed: 0x5747_4553,
};

/// A smaller repository of the same shape, for comparing with Portage.
pub(crate) const SMALL: Shape = Shape {
    packages: 2_000,
    categories: 60,
    meta_deps: 40,
    mask_lines: 120,
    seed: 0x5747_4553,
};

/// The package typical images ask for.
pub(crate) const TYPICAL_TARGET: &str = "dev-lang/python";
/// A big meta package.
pub(crate) const BIG_TARGET: &str = "app-misc/desktop-meta";

/// The position of a package in the tiered order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tier {
    Core,
    Tool,
    Common,
    Lib,
    App,
    Meta,
}

/// How a package's versions are slotted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SlotKind {
    /// `SLOT="0"`.
    Plain,
    /// `SLOT="0/<major>"`: a library with an ABI sub-slot.
    Lib,
    /// `SLOT="<major>.<minor>"`: each version in its own slot.
    Multi,
}

/// One version of a package.
#[derive(Debug, Clone)]
pub(crate) struct Ver {
    pub(crate) text: String,
    pub(crate) major: u32,
    pub(crate) minor: u32,
    /// `KEYWORDS`.
    pub(crate) keywords: String,
}

/// One package with everything its entries need.
#[derive(Debug, Clone)]
pub(crate) struct Package {
    pub(crate) cat: String,
    pub(crate) pn: String,
    pub(crate) tier: Tier,
    pub(crate) slot: SlotKind,
    /// Has the multilib `abi_*` flags.
    pub(crate) multilib: bool,
    /// Own flags with their IUSE default (no `abi_*` flags).
    pub(crate) iuse: Vec<(String, bool)>,
    pub(crate) versions: Vec<Ver>,
    pub(crate) license: &'static str,
    /// Indices into [`Repo::eclasses`].
    pub(crate) inherit: Vec<usize>,
    pub(crate) rdepend: String,
    pub(crate) depend: String,
    pub(crate) bdepend: String,
    pub(crate) pdepend: String,
    pub(crate) required_use: String,
    /// Masked as a whole (`package.mask`); nothing depends on it.
    pub(crate) dead: bool,
    /// Only `~amd64` keywords, and nothing depends on it.
    pub(crate) testing_only: bool,
}

impl Package {
    pub(crate) fn name(&self) -> String {
        format!("{}/{}", self.cat, self.pn)
    }

    /// Whether a flag of the package's IUSE is enabled with the generated
    /// profile (its default, or the profile's USE).
    pub(crate) fn flag_on(&self, flag: &str) -> Option<bool> {
        self.iuse
            .iter()
            .find(|(f, _)| f == flag)
            .map(|(f, default)| *default || profile::PROFILE_USE.contains(&f.as_str()))
    }

    /// Whether other packages may depend on it.
    pub(crate) fn usable(&self) -> bool {
        !self.dead && !self.testing_only && self.license != "all-rights-reserved"
    }
}

/// A generated repository.
#[derive(Debug, Clone)]
pub(crate) struct Repo {
    pub(crate) shape: Shape,
    pub(crate) categories: Vec<String>,
    pub(crate) packages: Vec<Package>,
    /// `(name, content)` of every eclass.
    pub(crate) eclasses: Vec<(String, String)>,
}

impl Repo {
    /// Number of ebuilds (md5-cache entries).
    pub(crate) fn entries(&self) -> usize {
        self.packages.iter().map(|p| p.versions.len()).sum()
    }
}

/// Generates the repository model for `shape`.
pub(crate) fn generate(shape: Shape) -> Repo {
    let mut rng = Rng::new(shape.seed);
    let categories = names::categories(shape.categories, &mut rng);
    let mut packages = names::skeleton(shape, &categories, &mut rng);
    for p in &mut packages {
        versions(p, &mut rng);
    }
    let eclasses = names::eclasses();
    for i in 0..packages.len() {
        deps::fill(&mut packages, i, shape, eclasses.len(), &mut rng);
    }
    Repo {
        shape,
        categories,
        packages,
        eclasses,
    }
}

/// Versions per package: mostly 1, some 2–6 (mean ≈ 1.63, as in ::gentoo).
fn version_count(p: &Package, rng: &mut Rng) -> usize {
    if p.slot == SlotKind::Multi {
        return 3;
    }
    let u = rng.unit();
    match u {
        _ if u < 0.65 => 1,
        _ if u < 0.85 => 2,
        _ if u < 0.93 => 3,
        _ if u < 0.97 => 4,
        _ if u < 0.99 => 5,
        _ => 6,
    }
}

const ARCHES: [&str; 15] = [
    "alpha",
    "amd64",
    "arm",
    "arm64",
    "hppa",
    "loong",
    "m68k",
    "mips",
    "ppc",
    "ppc64",
    "riscv",
    "s390",
    "sparc",
    "x86",
    "amd64-linux",
];

fn keywords(rng: &mut Rng, amd64_stable: bool) -> String {
    let mut out = Vec::new();
    for arch in ARCHES {
        let stable = if arch == "amd64" {
            amd64_stable
        } else if rng.chance(0.45) {
            continue;
        } else {
            rng.chance(0.6)
        };
        out.push(if stable && arch != "amd64-linux" {
            arch.to_owned()
        } else {
            format!("~{arch}")
        });
    }
    out.join(" ")
}

fn versions(p: &mut Package, rng: &mut Rng) {
    let n = version_count(p, rng);
    let (mut major, mut minor, mut patch) = if p.slot == SlotKind::Multi {
        (3, 11, rng.range(1, 12) as u32)
    } else {
        (
            rng.range(0, 12) as u32,
            rng.range(0, 10) as u32,
            rng.range(0, 9) as u32,
        )
    };
    for i in 0..n {
        if i > 0 {
            let u = rng.unit();
            if p.slot == SlotKind::Multi || (0.5..0.8).contains(&u) {
                minor += 1;
                patch = rng.range(0, 4) as u32;
            } else if u < 0.5 {
                patch += rng.range(1, 4) as u32;
            } else {
                major += 1;
                minor = 0;
                patch = 0;
            }
        }
        let mut text = if patch == 0 && rng.chance(0.5) {
            format!("{major}.{minor}")
        } else {
            format!("{major}.{minor}.{patch}")
        };
        if text.matches('.').count() == 2 && rng.chance(0.05) {
            text.push_str(&format!("_p{}", rng.range(1, 30)));
        }
        if rng.chance(0.15) {
            text.push_str(&format!("-r{}", rng.range(1, 4)));
        }
        let newest = i + 1 == n;
        // Only a newer version may be testing; the oldest is always stable.
        let stable = !p.testing_only && (i == 0 || !newest || !rng.chance(0.3));
        p.versions.push(Ver {
            text,
            major,
            minor,
            keywords: keywords(rng, stable),
        });
    }
}
