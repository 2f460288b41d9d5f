#!/bin/bash
# Build the Staves test builder image, staves-test/builder:<content-hash>, and
# print its reference on stdout (progress and timings go to stderr).
#
#   scripts/test-builder/build.sh            build unless the image exists
#   scripts/test-builder/build.sh --ref      only print the reference
#
# Steps: (1) debootstrap a Debian bookworm minbase rootfs once and cache it as
# a tar under $STAVES_CI_CACHE (default /var/cache/staves-ci); (2) `docker
# import` it as staves-test/debian-minbase:bookworm-<arch> unless present;
# (3) `docker build` the Dockerfile here (Portage from PyPI) unless an image
# with the same content hash exists, and `docker save` it to the cache, so a
# fresh engine (services.sh starts one with an empty data root) only needs a
# `docker load`. The hash covers the Dockerfile, install-portage.sh, the
# suite/variant/arch and the Portage version.
#
# Needs root, debootstrap (scripts/ci/deps.sh), a Docker engine (DOCKER_HOST
# honoured; scripts/ci/services.sh starts one), the Debian mirror and PyPI.
# The mirror is DEBIAN_MIRROR if set, else the first Debian archive URI of the
# host's own apt sources (security archives are skipped). On networks that
# intercept TLS the host's CA bundle is handed to pip inside the build.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CACHE=${STAVES_CI_CACHE:-/var/cache/staves-ci}
SUITE=bookworm
VARIANT=minbase
PORTAGE_VERSION=${PORTAGE_VERSION:-3.0.83}
ARCH=$(dpkg --print-architecture 2>/dev/null || uname -m)
HASH=$( {
	printf 'suite=%s variant=%s arch=%s portage=%s\n' "$SUITE" "$VARIANT" "$ARCH" "$PORTAGE_VERSION"
	cat "$HERE/Dockerfile" "$HERE/install-portage.sh"
} | sha256sum | cut -c1-16)
REF=staves-test/builder:$HASH
BASE_REF=staves-test/debian-minbase:$SUITE-$ARCH
BASE_TAR=$CACHE/debian-$SUITE-$VARIANT-$ARCH.tar
IMAGE_TAR=$CACHE/builder-$HASH.tar

if [[ ${1:-} == --ref ]]; then
	echo "$REF"
	exit 0
fi

now() { date +%s.%N; }
el() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.1f", b-a}'; }
log() { echo "test-builder: $*" >&2; }
command -v docker >/dev/null || { log "the docker CLI is missing"; exit 1; }
docker version >/dev/null 2>&1 || {
	log "cannot reach a Docker engine (DOCKER_HOST=${DOCKER_HOST:-unset}); start one: . \"\$(scripts/ci/services.sh start)\""
	exit 1
}
if docker image inspect "$REF" >/dev/null 2>&1; then
	log "$REF exists"
	echo "$REF"
	exit 0
fi

# First usable (http, https, ftp or file) non-security "deb" URI of the host's
# apt configuration: deb822 *.sources first, then one-line *.list files.
host_mirror() {
	local f uri
	for f in /etc/apt/sources.list.d/*.sources; do
		[[ -r $f ]] || continue
		uri=$(awk '
			function flush(   i) {
				if (!found && types ~ / deb / && tolower(enabled) != "no")
					for (i = 1; i <= n; i++)
						if (u[i] ~ /^(https?|ftp|file):\/\// && u[i] !~ /security/) { print u[i]; found = 1; break }
				types = " "; enabled = ""; n = 0; key = ""
			}
			BEGIN { types = " " }
			/^[ \t]*#/ { next }
			/^[ \t]*$/ { flush(); next }
			/^[ \t]/ { if (key == "uris:") for (i = 1; i <= NF; i++) u[++n] = $i; next }
			{
				key = tolower($1)
				if (key == "types:") for (i = 2; i <= NF; i++) types = types $i " "
				else if (key == "uris:") for (i = 2; i <= NF; i++) u[++n] = $i
				else if (key == "enabled:") enabled = $2
			}
			END { flush() }' "$f") || true
		[[ -n $uri ]] && { echo "$uri"; return; }
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[[ -r $f ]] || continue
		uri=$(awk '
			/^[ \t]*deb[ \t]/ {
				line = $0
				sub(/^[ \t]*deb[ \t]+/, "", line)
				if (line ~ /^\[/) sub(/^\[[^]]*\][ \t]*/, "", line)
				split(line, a, /[ \t]+/)
				if (a[1] ~ /^(https?|ftp|file):\/\// && a[1] !~ /security/) { print a[1]; exit }
			}' "$f") || true
		[[ -n $uri ]] && { echo "$uri"; return; }
	done
	return 0
}

mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"
flock 9
TMP=$(mktemp -d /tmp/stb.XXXX)
trap 'rm -rf "$TMP"' EXIT

# 0. A saved image from an earlier build (another engine, or a wiped one).
if [[ -s $IMAGE_TAR ]]; then
	s=$(now)
	if docker load -i "$IMAGE_TAR" >/dev/null 2>"$TMP/load.log" && docker image inspect "$REF" >/dev/null 2>&1; then
		log "docker load $REF from $IMAGE_TAR: $(el "$s")s"
		echo "$REF"
		exit 0
	fi
	cat "$TMP/load.log" >&2
	log "cannot load $IMAGE_TAR; rebuilding"
	rm -f "$IMAGE_TAR"
fi

# 1. The minbase rootfs, cached as a tar (owners kept numerically).
if [[ ! -s $BASE_TAR ]]; then
	command -v debootstrap >/dev/null || { log "debootstrap is missing: run scripts/ci/deps.sh"; exit 1; }
	MIRROR=${DEBIAN_MIRROR:-$(host_mirror)}
	[[ -n $MIRROR ]] || { log "no Debian mirror found in the host's apt sources; set DEBIAN_MIRROR"; exit 1; }
	s=$(now)
	if ! debootstrap --variant="$VARIANT" "$SUITE" "$TMP/rootfs" "$MIRROR" >"$TMP/debootstrap.log" 2>&1; then
		tail -30 "$TMP/debootstrap.log" >&2
		log "debootstrap $SUITE from $MIRROR failed"
		exit 1
	fi
	# Leftovers that only make sense on the debootstrap host.
	rm -rf "$TMP"/rootfs/var/lib/apt/lists/* "$TMP"/rootfs/var/cache/apt/archives/*.deb "$TMP"/rootfs/var/log/*.log
	tar --numeric-owner --sort=name -C "$TMP/rootfs" -cf "$BASE_TAR.tmp" .
	mv "$BASE_TAR.tmp" "$BASE_TAR"
	rm -rf "$TMP/rootfs"
	log "debootstrap $VARIANT $SUITE ($MIRROR): $(el "$s")s, $(du -h "$BASE_TAR" | cut -f1) in $BASE_TAR"
fi

# 2. The base image.
if ! docker image inspect "$BASE_REF" >/dev/null 2>&1; then
	s=$(now)
	docker import "$BASE_TAR" "$BASE_REF" >/dev/null
	log "docker import $BASE_REF: $(el "$s")s"
fi

# 3. The builder. The legacy builder (DOCKER_BUILDKIT=0) works with any engine
# and CLI without buildx; --network=host because the private engine has no bridge.
s=$(now)
mkdir -p "$TMP/ctx"
cp "$HERE/Dockerfile" "$HERE/install-portage.sh" "$TMP/ctx/"
if [[ -r /etc/ssl/certs/ca-certificates.crt ]]; then
	cp /etc/ssl/certs/ca-certificates.crt "$TMP/ctx/host-ca.crt"
else
	: >"$TMP/ctx/host-ca.crt"
fi
if ! DOCKER_BUILDKIT=0 docker build --network=host --build-arg "BASE=$BASE_REF" \
	--build-arg "CONTENT_HASH=$HASH" --build-arg "PORTAGE_VERSION=$PORTAGE_VERSION" \
	-t "$REF" "$TMP/ctx" >"$TMP/build.log" 2>&1; then
	tail -40 "$TMP/build.log" >&2
	log "docker build failed"
	exit 1
fi
log "docker build $REF: $(el "$s")s, $(docker image inspect -f '{{.Size}}' "$REF" | awk '{printf "%.0f MB", $1/1e6}')"
s=$(now)
docker save -o "$IMAGE_TAR.tmp" "$REF"
mv "$IMAGE_TAR.tmp" "$IMAGE_TAR"
# Older builds are superseded: drop their saved archives and tags.
for f in "$CACHE"/builder-*.tar; do
	[[ $f == "$IMAGE_TAR" ]] || rm -f "$f"
done
docker images --format '{{.Repository}}:{{.Tag}}' staves-test/builder | grep -vx "$REF" | xargs -r docker rmi >/dev/null 2>&1 || true
log "docker save to $IMAGE_TAR: $(el "$s")s"
echo "$REF"
