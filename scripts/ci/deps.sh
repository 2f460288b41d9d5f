#!/usr/bin/env bash
# Install the Debian packages the real-engine tests, the CI services and the
# test builder need, idempotently: only what is missing is installed, and
# apt-get update runs only when something is. Needs root on Debian/Ubuntu.
#
#   scripts/ci/deps.sh            install what is missing (quiet)
#   scripts/ci/deps.sh --check    list what is missing, exit 1 if anything is
set -euo pipefail
PKGS=(
	docker.io       # dockerd 20.10 (+ containerd, runc) for the private engine
	docker-registry # distribution 2.8: local registries for push/pull tests
	skopeo          # independent registry client to cross-check pushes
	debootstrap     # Debian minbase rootfs for the test builder image
	busybox-static  # a static /bin/busybox for tiny test images
	python3-venv    # Portage from PyPI lives in a venv
	zstd pax-utils bzip2 xz-utils patch # helpers Portage's ebuild phases call
	curl            # readiness probes
	pkg-config libssl-dev               # native builds of Rust crates
)
missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [[ ${1:-} == --check ]]; then
	((${#missing[@]} == 0)) && exit 0
	echo "missing: ${missing[*]}"
	exit 1
fi
((${#missing[@]} == 0)) && exit 0
if [[ $(id -u) != 0 ]]; then
	echo "deps.sh: missing packages (${missing[*]}); run as root" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
	cat "$log" >&2
	echo "deps.sh: apt-get failed installing: ${missing[*]}" >&2
	exit 1
fi
echo "deps.sh: installed ${missing[*]}" >&2
