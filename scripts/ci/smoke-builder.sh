#!/usr/bin/env bash
# End-to-end check of the test builder image the way Staves drives it:
# repositories mounted read-only at /var/db/repos/<name>, a generated
# /etc/portage mounted read-only at /staves/cfg/etc/portage, a binpkg cache
# bind-mounted read-write at /var/cache/binpkgs, no network, and
#   emerge --root=/staves/root --sysroot=/staves/root --config-root=/staves/cfg ...
# then /staves/root streamed out as a tar. Two runs: (1) build app-misc/stack
# from ebuilds with --buildpkg; (2) a fresh container installs it from the
# binpkg cache only (--usepkgonly). Both roots must list the same files.
#
# Needs the services (DOCKER_HOST; else the env file of scripts/ci/services.sh
# is sourced) and builds the image with scripts/test-builder/build.sh if needed.
# Repository: tests/fixtures/repos/oracle; its md5-cache is generated inside
# the builder (egencache) when the fixture has none.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
REPO=${SMOKE_REPO:-$ROOT/tests/fixtures/repos/oracle}
ATOM=${SMOKE_ATOM:-app-misc/stack}
now() { date +%s.%N; }
el() { awk -v a="$1" -v b="$(now)" 'BEGIN{printf "%.1f", b-a}'; }
log() { echo "smoke-builder: $*" >&2; }
if [[ -z ${DOCKER_HOST:-} ]]; then
	env_file=${STAVES_CI_ENV:-/tmp/staves-ci.env}
	[[ -r $env_file ]] || { log "no DOCKER_HOST and no $env_file: run scripts/ci/services.sh start"; exit 1; }
	# shellcheck disable=SC1090
	. "$env_file"
fi
t0=$(now)
s=$(now)
IMAGE=$("$ROOT/scripts/test-builder/build.sh")
log "builder image $IMAGE ready: $(el "$s")s"

W=$(mktemp -d /tmp/smoke.XXXX)
BUILD_ID=smoke-$$
cleanup() {
	docker ps -aq --filter "label=io.staves.build=$BUILD_ID" | xargs -r docker rm -f >/dev/null
	rm -rf "$W"
}
trap cleanup EXIT

# The repository: read-only in builds; a copy gets the md5-cache if it lacks one.
repo_name=$(cat "$REPO/profiles/repo_name")
if [[ ! -d $REPO/metadata/md5-cache ]]; then
	s=$(now)
	cp -a "$REPO" "$W/repo"
	REPO=$W/repo
	docker run --rm --network none --label "io.staves.build=$BUILD_ID" \
		-v "$REPO:/var/db/repos/$repo_name" "$IMAGE" \
		egencache --update --repo="$repo_name" --jobs=2 \
		--repositories-configuration="$(printf '[%s]\nlocation = /var/db/repos/%s\n' "$repo_name" "$repo_name")"
	log "egencache in the builder: $(el "$s")s ($(find "$REPO/metadata/md5-cache" -type f | wc -l) entries)"
fi

# The generated Portage configuration (what Staves writes per build).
CFG=$W/cfg/etc/portage
mkdir -p "$CFG/repos.conf" "$W/binpkgs"
cat >"$CFG/make.conf" <<'MC'
FEATURES="-sandbox -usersandbox -ipc-sandbox -network-sandbox -pid-sandbox -news -parallel-fetch buildpkg"
BINPKG_FORMAT="gpkg"
BINPKG_COMPRESS="zstd"
ACCEPT_LICENSE="*"
CLEAN_DELAY="0"
EMERGE_WARNING_DELAY="0"
NOCOLOR="true"
MC
printf '[DEFAULT]\nmain-repo = %s\n\n[%s]\nlocation = /var/db/repos/%s\nauto-sync = no\n' \
	"$repo_name" "$repo_name" "$repo_name" >"$CFG/repos.conf/$repo_name.conf"
ln -s "/var/db/repos/$repo_name/profiles/oracle/amd64" "$CFG/make.profile"

E=(emerge --root=/staves/root --sysroot=/staves/root --config-root=/staves/cfg --color=n --nospinner --oneshot --quiet-build)
# The builder's own "/" (BDEPEND) is configured by /etc/portage: mount the
# same generated config there too (Portage reads it for ROOT=/ when ROOT != /).
run_build() { # name, emerge args...
	local name=$1
	shift
	docker create --network none --label "io.staves.build=$BUILD_ID" --name "$BUILD_ID-$name" \
		-v "$REPO:/var/db/repos/$repo_name:ro" \
		-v "$W/cfg/etc/portage:/staves/cfg/etc/portage:ro" \
		-v "$W/cfg/etc/portage:/etc/portage:ro" \
		-v "$W/binpkgs:/var/cache/binpkgs" \
		"$IMAGE" "${E[@]}" "$@" >/dev/null
	if ! docker start -a "$BUILD_ID-$name" >"$W/$name.log" 2>&1; then
		tail -40 "$W/$name.log" >&2
		log "$name: emerge failed"
		exit 1
	fi
	docker cp "$BUILD_ID-$name:/staves/root" - | tar -t | sed 's|^root/|./|; s|/$||' | grep -v '^./var/cache' | sort >"$W/$name.files"
	docker rm "$BUILD_ID-$name" >/dev/null
}

s=$(now)
run_build build --buildpkg "$ATOM"
log "build $ATOM from ebuilds (+ binpkgs): $(el "$s")s"
if grep -E '^(!!!|\* (QA|ERROR|WARNING))|not found' "$W/build.log"; then
	log "the build log has warnings (above)"
	exit 1
fi
grep -qx './usr/bin/hello' "$W/build.files" || { log "/staves/root/usr/bin/hello is missing"; exit 1; }
pkgs=$(grep -c '^\./var/db/pkg/[^/]*/[^/]*$' "$W/build.files")
binpkgs=$(find "$W/binpkgs" -name '*.gpkg.tar' | wc -l)
log "root: $(wc -l <"$W/build.files") entries, $pkgs packages in its VDB; $binpkgs binpkgs in the cache"
((pkgs > 0 && binpkgs > pkgs)) || { log "expected binpkgs for the root's packages and the BDEPEND"; exit 1; }

s=$(now)
run_build binonly --usepkgonly "$ATOM"
log "install $ATOM from binpkgs only (fresh container): $(el "$s")s"
diff "$W/build.files" "$W/binonly.files" >&2 || { log "the binpkg-only root differs"; exit 1; }
log "SMOKE TEST PASSED in $(el "$t0")s"
