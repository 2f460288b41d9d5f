//! The profile stack and repository-level files: a ::gentoo-like chain
//! `default/linux/amd64/23.0` → `default/linux`, `arch/amd64` →
//! `arch/base`, `base`, with make.defaults, masks and forces, plus
//! `profiles/package.mask`, `profiles.desc`, `layout.conf` and friends.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::deps::MULTILIB_FLAGS;
use super::names::GLOBAL_FLAGS;
use super::{Repo, Rng};

/// USE of the profile's make.defaults (flags enabled on top of IUSE
/// defaults).
pub(crate) const PROFILE_USE: [&str; 12] = [
    "acl", "ipv6", "ncurses", "nls", "pam", "readline", "ssl", "unicode", "xattr", "zlib", "bzip2",
    "lzma",
];

/// The profile the benchmark resolves with.
pub(crate) const PROFILE: &str = "default/linux/amd64/23.0";

/// Flags the profile masks (none is in [`GLOBAL_FLAGS`], so nothing a
/// dependency asks for is masked).
const MASKED_FLAGS: [&str; 10] = [
    "altivec",
    "cpu_flags_arm_neon",
    "cpu_flags_ppc_vsx",
    "sparc-only",
    "hppa-only",
    "mips-only",
    "s390-only",
    "m68k-only",
    "alpha-only",
    "loong-only",
];

/// Adds the profile and repository-level files to `files`.
pub(crate) fn add_files(repo: &Repo, files: &mut BTreeMap<String, Vec<u8>>) {
    let mut put = |path: &str, text: String| {
        files.insert(path.to_owned(), text.into_bytes());
    };
    put("profiles/repo_name", "gentoo\n".to_owned());
    put("profiles/eapi", "8\n".to_owned());
    put(
        "profiles/categories",
        repo.categories.iter().fold(String::new(), |mut s, c| {
            s.push_str(c);
            s.push('\n');
            s
        }),
    );
    put(
        "profiles/arch.list",
        "alpha\namd64\narm\narm64\nhppa\nloong\nm68k\nmips\nppc\nppc64\nriscv\ns390\nsparc\nx86\n\n# Prefix keywords\namd64-linux\n"
            .to_owned(),
    );
    put(
        "profiles/profiles.desc",
        format!("amd64\t\t{PROFILE}\t\t\tstable\namd64\t\t{PROFILE}/desktop\t\tstable\n"),
    );
    put(
        "profiles/license_groups",
        "FREE-SOFTWARE GPL-2 GPL-2+ GPL-3 LGPL-2.1 MIT BSD BSD-2 Apache-2.0 ZLIB ISC\nFREE @FREE-SOFTWARE\n"
            .to_owned(),
    );
    put(
        "metadata/layout.conf",
        "masters =\nrepo-name = gentoo\ncache-formats = md5-dict\nprofile-formats = portage-2 profile-default-eapi profile-set\n\
         thin-manifests = true\nsign-manifests = false\nsign-commits = false\nuse-manifests = false\n"
            .to_owned(),
    );
    let mut use_desc = String::from("# Global USE flags\n");
    for f in GLOBAL_FLAGS.iter().chain(["test", "static-libs"].iter()) {
        let _ = writeln!(use_desc, "{f} - Enable {f} support");
    }
    put("profiles/use.desc", use_desc);
    put("profiles/package.mask", package_mask(repo));

    // base
    put("profiles/base/eapi", "8\n".to_owned());
    put(
        "profiles/base/make.defaults",
        format!(
            "# Base profile: settings shared by every profile.\n\
             ACCEPT_LICENSE=\"-* @FREE\"\n\
             ELIBC=\"glibc\"\nKERNEL=\"linux\"\n\
             IUSE_IMPLICIT=\"prefix prefix-guest prefix-stack\"\n\
             USE_EXPAND=\"ABI_MIPS ABI_S390 ABI_X86 ELIBC KERNEL PYTHON_TARGETS\"\n\
             USE_EXPAND_UNPREFIXED=\"ARCH\"\n\
             USE_EXPAND_IMPLICIT=\"ARCH ELIBC KERNEL\"\n\
             USE_EXPAND_VALUES_ARCH=\"alpha amd64 amd64-linux arm arm64 hppa loong m68k mips ppc ppc64 riscv s390 sparc x86\"\n\
             USE_EXPAND_VALUES_ELIBC=\"glibc musl\"\n\
             USE_EXPAND_VALUES_KERNEL=\"linux\"\n\
             USE_EXPAND_HIDDEN=\"ABI_MIPS ABI_S390 ABI_X86 ELIBC KERNEL\"\n\
             PROFILE_ONLY_VARIABLES=\"ARCH ELIBC KERNEL\"\n\
             PYTHON_TARGETS=\"python3_12\"\n\
             USE=\"{}\"\n\
             CONFIG_PROTECT=\"/etc\"\nCONFIG_PROTECT_MASK=\"/etc/env.d\"\n",
            PROFILE_USE.join(" ")
        ),
    );
    put(
        "profiles/base/use.mask",
        lines("# Flags unusable everywhere\n", &MASKED_FLAGS[..4]),
    );
    put(
        "profiles/base/use.force",
        "# Nothing forced in base\n".to_owned(),
    );
    put(
        "profiles/base/package.use.mask",
        "# Broken combinations\ndev-libs/openssl sparc-only\nsys-libs/glibc hppa-only\n".to_owned(),
    );
    put("profiles/base/packages", "*virtual/libc\n".to_owned());
    put(
        "profiles/base/package.use",
        "# Defaults for a few packages\nsys-libs/ncurses -ncurses\napp-arch/xz-utils -nls\n"
            .to_owned(),
    );

    // arch/base, arch/amd64
    put("profiles/arch/base/eapi", "8\n".to_owned());
    put(
        "profiles/arch/base/use.mask",
        lines("# Arch-specific flags\n", &MASKED_FLAGS[4..]),
    );
    put("profiles/arch/amd64/eapi", "8\n".to_owned());
    put("profiles/arch/amd64/parent", "../base\n".to_owned());
    put(
        "profiles/arch/amd64/make.defaults",
        "ARCH=\"amd64\"\nACCEPT_KEYWORDS=\"${ARCH}\"\nCHOST=\"x86_64-pc-linux-gnu\"\nCHOST_amd64=\"x86_64-pc-linux-gnu\"\n\
         ABI=\"amd64\"\nDEFAULT_ABI=\"amd64\"\nMULTILIB_ABIS=\"amd64\"\nLIBDIR_amd64=\"lib64\"\nABI_X86=\"64\"\n"
            .to_owned(),
    );
    put("profiles/arch/amd64/use.force", "abi_x86_64\n".to_owned());
    put(
        "profiles/arch/amd64/use.mask",
        lines("# Other ABIs\n", &MULTILIB_FLAGS[2..]),
    );

    // default/linux, default/linux/amd64/23.0, .../desktop
    put("profiles/default/linux/eapi", "8\n".to_owned());
    put(
        "profiles/default/linux/make.defaults",
        "# Linux\nUSE=\"crypt\"\n".to_owned(),
    );
    let p = format!("profiles/{PROFILE}");
    put(&format!("{p}/eapi"), "8\n".to_owned());
    put(
        &format!("{p}/parent"),
        "../../../../base\n../../../../arch/amd64\n../..\n".to_owned(),
    );
    put(
        &format!("{p}/make.defaults"),
        "# 23.0 merged-usr\nSYMLINK_LIB=\"no\"\n".to_owned(),
    );
    put(&format!("{p}/desktop/eapi"), "8\n".to_owned());
    put(&format!("{p}/desktop/parent"), "..\n".to_owned());
    put(
        &format!("{p}/desktop/make.defaults"),
        "USE=\"X dbus gtk png jpeg\"\n".to_owned(),
    );
}

fn lines(header: &str, items: &[&str]) -> String {
    let mut s = header.to_owned();
    for i in items {
        s.push_str(i);
        s.push('\n');
    }
    s
}

/// `profiles/package.mask`: dead packages (as a whole) and the newest
/// version of some packages that have older ones, in ::gentoo's comment
/// style.
fn package_mask(repo: &Repo) -> String {
    let mut rng = Rng::new(repo.shape.seed ^ 0x6d61_736b);
    let mut out = String::from(
        "# Copyright 2026 Staves benchmark generator\n\
         # Distributed under the terms of the GNU General Public License v2\n\n\
         ####################################################################\n\
         # When you add an entry to the top of this file, add your name, the date\n\
         # in the UTC timezone, and an explanation of why something is getting masked.\n\n",
    );
    let mut count = 0;
    for p in repo.packages.iter().filter(|p| p.dead) {
        let _ = write!(
            out,
            "# Generator <gen@example.invalid> (2026-01-{:02})\n# Dead upstream. Removal on 2026-03-01.\n{}\n\n",
            rng.range(1, 29),
            p.name()
        );
        count += 1;
    }
    for p in repo.packages.iter().filter(|p| p.versions.len() >= 2) {
        if count >= repo.shape.mask_lines {
            break;
        }
        if !rng.chance(0.15) {
            continue;
        }
        let v = &p.versions[p.versions.len() - 1];
        let _ = write!(
            out,
            "# Generator <gen@example.invalid> (2026-02-{:02})\n# Breaks reverse dependencies, bug #{}.\n={}-{}\n\n",
            rng.range(1, 29),
            rng.range(900_000, 960_000),
            p.name(),
            v.text
        );
        count += 1;
    }
    out
}
