//! Names: categories, packages (with tier, slotting and USE flags) and
//! eclasses.

use std::collections::BTreeSet;

use super::{Package, Rng, Shape, SlotKind, Tier};

/// Categories every repository has (special packages live there).
const FIXED_CATEGORIES: [&str; 12] = [
    "sys-libs",
    "virtual",
    "dev-lang",
    "dev-libs",
    "dev-build",
    "dev-util",
    "sys-apps",
    "app-misc",
    "app-arch",
    "dev-python",
    "media-libs",
    "x11-libs",
];

const PREFIXES: [&str; 24] = [
    "app", "dev", "media", "net", "sys", "x11", "games", "gnome", "kde", "sci", "www", "mail",
    "gui", "acct", "xfce", "lxqt", "mate", "sec", "java", "perl", "ruby", "lua", "llvm", "gnustep",
];
const SUFFIXES: [&str; 24] = [
    "libs",
    "misc",
    "util",
    "apps",
    "plugins",
    "fonts",
    "themes",
    "admin",
    "text",
    "emulation",
    "editors",
    "base",
    "extra",
    "servers",
    "client",
    "proxy",
    "analyzer",
    "sound",
    "video",
    "gfx",
    "office",
    "crypt",
    "doc",
    "wm",
];

/// `n` category names, the fixed ones first.
pub(crate) fn categories(n: usize, rng: &mut Rng) -> Vec<String> {
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut out: Vec<String> = Vec::new();
    for c in FIXED_CATEGORIES {
        seen.insert(c.to_owned());
        out.push(c.to_owned());
    }
    while out.len() < n {
        let c = format!("{}-{}", rng.pick(&PREFIXES), rng.pick(&SUFFIXES));
        if seen.insert(c.clone()) {
            out.push(c);
        }
    }
    out.truncate(n.max(FIXED_CATEGORIES.len()));
    out
}

const SYLLABLES: [&str; 32] = [
    "ka", "lo", "mi", "ver", "zan", "tor", "el", "qua", "rin", "so", "bex", "dul", "fen", "gri",
    "hap", "jo", "kru", "lem", "nox", "pil", "ras", "sti", "tum", "vo", "wex", "yul", "zor", "ath",
    "bri", "cel", "dro", "fa",
];

fn word(rng: &mut Rng) -> String {
    let n = rng.range(2, 4);
    (0..n).map(|_| *rng.pick(&SYLLABLES)).collect()
}

/// USE flags packages pick from (as in ::gentoo's use.desc).
pub(crate) const GLOBAL_FLAGS: [&str; 64] = [
    "ssl",
    "ipv6",
    "unicode",
    "zlib",
    "nls",
    "doc",
    "debug",
    "examples",
    "threads",
    "readline",
    "ncurses",
    "X",
    "wayland",
    "gtk",
    "qt6",
    "python",
    "perl",
    "lua",
    "introspection",
    "vala",
    "systemd",
    "udev",
    "pam",
    "acl",
    "xattr",
    "caps",
    "seccomp",
    "lz4",
    "zstd",
    "lzma",
    "bzip2",
    "jpeg",
    "png",
    "gif",
    "tiff",
    "webp",
    "svg",
    "alsa",
    "pulseaudio",
    "pipewire",
    "dbus",
    "policykit",
    "gnutls",
    "idn",
    "ldap",
    "kerberos",
    "sasl",
    "sqlite",
    "postgres",
    "mysql",
    "gdbm",
    "curl",
    "xml",
    "json",
    "icu",
    "fontconfig",
    "truetype",
    "cairo",
    "opengl",
    "vulkan",
    "egl",
    "vaapi",
    "ffmpeg",
    "bluetooth",
];

/// The licences packages use (the repository ships each as a file).
pub(crate) const LICENSES: [&str; 10] = [
    "GPL-2",
    "GPL-2+",
    "GPL-3",
    "LGPL-2.1",
    "MIT",
    "BSD",
    "BSD-2",
    "Apache-2.0",
    "ZLIB",
    "ISC",
];

/// Named packages: (name, tier, slotting, multilib).
const NAMED_CORE: [(&str, SlotKind, bool); 8] = [
    ("sys-libs/glibc", SlotKind::Plain, true),
    ("virtual/libc", SlotKind::Plain, false),
    ("sys-libs/zlib", SlotKind::Lib, true),
    ("app-arch/xz-utils", SlotKind::Plain, true),
    ("app-arch/bzip2", SlotKind::Lib, true),
    ("sys-libs/ncurses", SlotKind::Lib, true),
    ("dev-libs/openssl", SlotKind::Lib, true),
    ("dev-libs/libffi", SlotKind::Lib, true),
];
const NAMED_TOOLS: [(&str, SlotKind, bool); 7] = [
    ("dev-util/pkgconf", SlotKind::Lib, true),
    ("virtual/pkgconfig", SlotKind::Plain, true),
    ("dev-build/ninja", SlotKind::Plain, false),
    ("dev-build/meson", SlotKind::Plain, false),
    ("dev-build/cmake", SlotKind::Plain, false),
    ("dev-build/autoconf", SlotKind::Multi, false),
    ("dev-build/libtool", SlotKind::Plain, false),
];

/// Tier sizes for `total` packages: (core, tools, common, lib); the rest
/// are applications plus one meta package.
pub(crate) fn tiers(total: usize) -> [usize; 4] {
    [40, 30, total * 3 / 100, total * 21 / 100]
}

/// Every package with its name, tier, slotting, flags and licence; no
/// versions or dependencies yet.
pub(crate) fn skeleton(shape: Shape, categories: &[String], rng: &mut Rng) -> Vec<Package> {
    let [core, tools, common, lib] = tiers(shape.packages);
    let mut taken: BTreeSet<String> = BTreeSet::new();
    let mut out = Vec::with_capacity(shape.packages);
    for i in 0..shape.packages {
        let tier = if i + 1 == shape.packages {
            Tier::Meta
        } else if i < core {
            Tier::Core
        } else if i < core + tools {
            Tier::Tool
        } else if i < core + tools + common {
            Tier::Common
        } else if i < core + tools + common + lib {
            Tier::Lib
        } else {
            Tier::App
        };
        let named = match tier {
            Tier::Core => NAMED_CORE.get(i).copied(),
            Tier::Tool => NAMED_TOOLS.get(i - core).copied(),
            Tier::Common if i == core + tools + 5 => {
                Some(("dev-lang/python", SlotKind::Multi, false))
            }
            Tier::Meta => Some(("app-misc/desktop-meta", SlotKind::Plain, false)),
            _ => None,
        };
        let is_lib = matches!(tier, Tier::Core | Tier::Common | Tier::Lib);
        let (name, slot, multilib) = match named {
            Some((n, s, m)) => (n.to_owned(), s, m),
            None => {
                let cat = &categories[rng.popular(0, categories.len())];
                let mut pn = word(rng);
                if is_lib && rng.chance(0.4) {
                    pn = format!("lib{pn}");
                }
                if rng.chance(0.1) {
                    pn = format!("{pn}-{}", word(rng));
                }
                let mut name = format!("{cat}/{pn}");
                let mut n = 0;
                while taken.contains(&name) {
                    n += 1;
                    name = format!("{cat}/{pn}{}", (b'a' + (n % 26) as u8) as char);
                    if n >= 26 {
                        name = format!("{cat}/{pn}-x{}", word(rng));
                    }
                }
                let slot = if is_lib && rng.chance(0.6) {
                    SlotKind::Lib
                } else if is_lib && rng.chance(0.02) {
                    SlotKind::Multi
                } else {
                    SlotKind::Plain
                };
                (name, slot, is_lib && rng.chance(0.3))
            }
        };
        taken.insert(name.clone());
        let (cat, pn) = name.split_once('/').map_or_else(
            || (String::new(), name.clone()),
            |(c, p)| (c.to_owned(), p.to_owned()),
        );
        let leaf = tier == Tier::App;
        out.push(Package {
            cat,
            pn,
            tier,
            slot,
            multilib,
            iuse: flags(rng, is_lib, tier == Tier::Meta),
            versions: Vec::new(),
            license: if leaf && rng.chance(0.01) {
                "all-rights-reserved"
            } else {
                LICENSES[rng.range(0, LICENSES.len())]
            },
            inherit: Vec::new(),
            rdepend: String::new(),
            depend: String::new(),
            bdepend: String::new(),
            pdepend: String::new(),
            required_use: String::new(),
            dead: leaf && rng.chance(0.01),
            testing_only: leaf && rng.chance(0.03),
        });
    }
    out
}

/// 2–8 global flags with defaults; `test`, `doc`, `static-libs` for
/// libraries.
fn flags(rng: &mut Rng, lib: bool, meta: bool) -> Vec<(String, bool)> {
    let mut out: Vec<(String, bool)> = Vec::new();
    let n = if meta { 12 } else { rng.range(2, 9) };
    while out.len() < n {
        let f = rng.pick(&GLOBAL_FLAGS);
        if !out.iter().any(|(g, _)| g == f) {
            out.push(((*f).to_owned(), rng.chance(0.3)));
        }
    }
    if !meta && rng.chance(0.6) {
        out.push(("test".to_owned(), false));
    }
    if lib && rng.chance(0.5) {
        out.push(("static-libs".to_owned(), false));
    }
    out
}

/// Eclasses: `(name, content)`.
pub(crate) fn eclasses() -> Vec<(String, String)> {
    [
        "toolchain-funcs",
        "multilib",
        "multilib-build",
        "multilib-minimal",
        "flag-o-matic",
        "autotools",
        "cmake",
        "meson",
        "ninja-utils",
        "python-r1",
        "python-single-r1",
        "python-utils-r1",
        "xdg",
        "xdg-utils",
        "systemd",
        "udev",
        "git-r3",
        "verify-sig",
        "optfeature",
        "edo",
    ]
    .iter()
    .map(|name| {
        let content = format!(
            "# Copyright 2026 Staves benchmark generator\n\
             # Distributed under the terms of the GNU General Public License v2\n\n\
             # @ECLASS: {name}.eclass\n\
             # @BLURB: generated stand-in for the ::gentoo eclass of that name\n\n\
             if [[ -z ${{_{guard}_ECLASS}} ]]; then\n\
             _{guard}_ECLASS=1\n\
             {fn_name}_noop() {{ :; }}\n\
             fi\n",
            guard = name.replace('-', "_").to_uppercase(),
            fn_name = name.replace('-', "_"),
        );
        ((*name).to_owned(), content)
    })
    .collect()
}
