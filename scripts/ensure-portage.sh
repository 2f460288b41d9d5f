#!/usr/bin/env bash
# Install real Gentoo Portage (from PyPI) into a venv, idempotently, and print
# the venv's path. Tests use it as an oracle (version ordering, resolution,
# egencache). Env: STAVES_PORTAGE_VENV (default /tmp/staves-portage-venv),
# PORTAGE_VERSION (default 3.0.83). Needs python3 with venv; installs the
# Debian packages Portage's helpers call (zstd, bzip2, patch, pax-utils) when
# run as root and they are missing.
set -euo pipefail
V=${STAVES_PORTAGE_VENV:-/tmp/staves-portage-venv}
PORTAGE_VERSION=${PORTAGE_VERSION:-3.0.83}
need=()
python3 -c 'import venv, ensurepip' 2>/dev/null || need+=(python3-venv)
command -v zstd >/dev/null || need+=(zstd)
command -v bzip2 >/dev/null || need+=(bzip2)
command -v patch >/dev/null || need+=(patch)
command -v scanelf >/dev/null || need+=(pax-utils)
if ((${#need[@]})); then
	if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
		apt-get update -qq >&2
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
	else
		echo "ensure-portage: missing packages: ${need[*]}" >&2
	fi
fi
if [[ $("$V/bin/python" -c 'import portage; print(portage.VERSION)' 2>/dev/null) != "$PORTAGE_VERSION" ]]; then
	rm -rf "$V"
	python3 -m venv "$V" >&2
	"$V/bin/pip" install -q --disable-pip-version-check "portage==$PORTAGE_VERSION" >&2
fi
echo "$V"
