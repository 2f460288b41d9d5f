#!/bin/bash
# Turn a Debian 12 root filesystem into a Staves test builder: Gentoo Portage
# from PyPI in /opt/portage, configured as a normal (non-prefix) system whose
# own "/" receives BDEPEND packages and which merges into separate roots
# (emerge --root=/staves/root --config-root=/staves/cfg). Runs as a Dockerfile
# RUN step (or in a chroot). Adapted from the portage-oracle builder notes
# (docs: PyPI portage is a "MODULE" install; see the comments below).
#
# No repository and no profile are configured here: Staves mounts repositories
# at /var/db/repos/<name> and generates the Portage configuration per build.
#
# Env: PORTAGE_VERSION (3.0.83), PORTAGE_VENV (/opt/portage),
# PIP_CERT (CA bundle for pip on networks that intercept TLS).
set -euo pipefail
# An empty bundle (the host had none) means: use the image's own CA store.
[[ -s ${PIP_CERT:-} ]] || unset PIP_CERT
PORTAGE_VERSION=${PORTAGE_VERSION:-3.0.83}
V=${PORTAGE_VENV:-/opt/portage}

# 1. Debian packages: python3-venv for the venv, zstd for gpkg (BINPKG_COMPRESS),
#    pax-utils for scanelf (estrip/QA), bzip2 (environment.bz2), patch (eapply),
#    xz-utils (unpack), ca-certificates for pip, busybox-static (/bin/busybox:
#    the staves-demo sys-apps/busybox ebuild copies it), wget (Portage's default
#    FETCHCOMMAND, as in every stage3: `staves build` fetches sources with it).
#    No -dev packages: the wheel is pure Python. No compiler: test ebuilds are
#    scripts only.
need=()
for p in python3 python3-venv zstd pax-utils bzip2 xz-utils patch ca-certificates busybox-static wget; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
done
if ((${#need[@]})); then
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
apt-get clean
rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin

# 2. Portage in a venv. Never pip-install it into Debian's system python:
#    portage derives its bin/ and share/ paths from sys.prefix.
rm -rf "$V"
python3 -m venv "$V"
"$V/bin/pip" install -q --disable-pip-version-check --no-cache-dir "portage==$PORTAGE_VERSION"

# 3. pip-installed portage is a "MODULE" install: its EPREFIX is sys.prefix.
#    PORTAGE_OVERRIDE_EPREFIX=/ makes it a normal, non-prefix system, but then it
#    looks for make.globals & co. in /share/portage/config (not /usr/share/...).
#    Link them there, except repos.conf, which would declare ::gentoo at
#    /var/db/repos/gentoo and warn on every command when that is absent.
rm -rf /share/portage
mkdir -p /share/portage/config
for f in "$V"/share/portage/config/*; do
	[[ ${f##*/} == repos.conf ]] || ln -s "$f" /share/portage/config/
done
printf '[DEFAULT]\n' >/share/portage/config/repos.conf

# 4. Wrappers on PATH that always run with the override.
for t in emerge ebuild egencache emaint portageq quickpkg gpkg-sign env-update; do
	cat >"/usr/local/bin/$t" <<-EOW
		#!/bin/sh
		PORTAGE_OVERRIDE_EPREFIX=/ exec "$V/bin/$t" "\$@"
	EOW
	chmod +x "/usr/local/bin/$t"
done

# 5. The portage user (uid/gid 250 as on Gentoo) lets FEATURES=userpriv work.
getent group portage >/dev/null || groupadd -r -g 250 portage
getent passwd portage >/dev/null || useradd -r -u 250 -g portage -d /var/tmp/portage -s /bin/false portage

# 6. Minimal /etc/portage for the builder's own "/" (used for BDEPEND when a
#    build merges into another ROOT). sandbox/usersandbox need sys-apps/sandbox
#    (absent); the *-sandbox namespace features need unshare(), which
#    unprivileged containers forbid. No repos.conf entries, no make.profile.
mkdir -p /etc/portage/repos.conf /var/db/repos /var/cache/binpkgs /var/cache/distfiles
cat >/etc/portage/make.conf <<-EOC
	FEATURES="-sandbox -usersandbox -ipc-sandbox -network-sandbox -pid-sandbox -news -parallel-fetch"
	BINPKG_FORMAT="gpkg"
	BINPKG_COMPRESS="zstd"
	ACCEPT_LICENSE="*"
	CLEAN_DELAY="0"
	EMERGE_WARNING_DELAY="0"
	NOCOLOR="true"
EOC
PORTAGE_OVERRIDE_EPREFIX=/ "$V/bin/python3" -c 'import portage.const as c; assert c.EPREFIX == "", c.EPREFIX; print("portage", c.__name__, "EPREFIX=%r" % c.EPREFIX)'
