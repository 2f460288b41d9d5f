#!/usr/bin/env bash
# The main job, end to end, on a fresh Debian 12 machine with Rust:
# builds staves, turns examples/repo (the staves-demo ebuild repository) into
# a git repository, runs init -> add -> lock -> tree on a new project, then
# builds its image with `staves build` in the test builder (a private dockerd
# from scripts/ci/services.sh; the builder from scripts/test-builder/build.sh)
# and runs it with `docker run`; then builds it again with the three example
# WASM plugins (strip-docs, sbom, labels).
#
#   bash scripts/demo.sh
#
# Env: STAVES_DEMO_DIR (default: a new temp dir; kept afterwards so you can
# look at staves.toml and staves.lock). The services stay running afterwards
# (stop them with scripts/ci/services.sh stop).
set -euo pipefail
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$TOP"
step() { printf '\n==> %s\n' "$*"; }

step "Debian packages, a private dockerd, the test builder image"
bash scripts/ci/deps.sh
# shellcheck disable=SC1090
. "$(bash scripts/ci/services.sh start)"
BUILDER=$(bash scripts/test-builder/build.sh)
echo "builder: $BUILDER"

step "build staves"
need=()
command -v git >/dev/null || need+=(git)
command -v pkg-config >/dev/null || need+=(pkg-config)
dpkg-query -W -f='${Status}' libssl-dev 2>/dev/null | grep -q 'install ok installed' || need+=(libssl-dev)
if ((${#need[@]})); then
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
cargo build --locked -p staves-cli
STAVES=${CARGO_TARGET_DIR:-$TOP/target}/debug/staves

D=${STAVES_DEMO_DIR:-$(mktemp -d /tmp/staves-demo.XXXXXX)}
mkdir -p "$D"
export STAVES_CACHE_DIR=$D/cache

step "the ebuild repository: examples/repo as a git repository"
rm -rf "$D/repo"
cp -a examples/repo "$D/repo"
git -C "$D/repo" init -q -b main
git -C "$D/repo" add -A
git -C "$D/repo" -c user.name=demo -c user.email=demo@staves.invalid commit -q -m "staves-demo repository"
echo "file://$D/repo at $(git -C "$D/repo" rev-parse HEAD)"

step "staves init"
rm -rf "$D/hello-image"
"$STAVES" init "$D/hello-image" --name hello-image
cd "$D/hello-image"
# Point the starter manifest at the demo repository instead of ::gentoo.
sed -i -e "s|https://github.com/gentoo-mirror/gentoo.git|file://$D/repo|" \
	-e 's|^name = "gentoo"|name = "staves-demo"|' -e 's|^branch = "stable"|branch = "main"|' staves.toml
# ... and build with the test builder image instead of a registry builder.
sed -i -e 's|^# \[builder\]|[builder]|' -e "s|^# name = \"x86_64-glibc\"|image = \"$BUILDER\"|" \
	-e '/^# version = "^0.1"/d' staves.toml
sed -i -e 's|^# command = \["/bin/bash"\]|command = ["/usr/bin/hello"]|' staves.toml

step "staves add app-misc/hello app-shells/bash --use -nls"
"$STAVES" add app-misc/hello
"$STAVES" add app-shells/bash --use -nls

step "staves lock --locked (nothing to change)"
"$STAVES" lock --locked

step "staves tree"
"$STAVES" tree
"$STAVES" tree --invert sys-libs/ncurses

step "staves build latest"
"$STAVES" build latest

step "docker run --rm hello-image:latest"
docker run --rm hello-image:latest

step "staves build latest again (unchanged: no container, same digest)"
"$STAVES" build latest

step "post-build plugins: strip-docs, sbom, labels (WebAssembly, wasm32-wasip1)"
if command -v rustup >/dev/null; then rustup target add wasm32-wasip1 >/dev/null 2>&1 || true; fi
(cd "$TOP" && cargo build --locked --quiet --target wasm32-wasip1 --profile plugin \
	-p staves-plugin-strip-docs -p staves-plugin-sbom -p staves-plugin-labels)
mkdir -p plugins
for p in strip-docs sbom labels; do
	cp "${CARGO_TARGET_DIR:-$TOP/target}/wasm32-wasip1/plugin/$p.wasm" plugins/
done
cat >>staves.toml <<'EOF'

[[plugins]]
name = "strip-docs"
path = "plugins/strip-docs.wasm"
hook = "post-build"

[[plugins]]
name = "sbom"
path = "plugins/sbom.wasm"
hook = "post-build"

[[plugins]]
name = "labels"
path = "plugins/labels.wasm"
hook = "post-build"
config = { labels = { "org.opencontainers.image.vendor" = "Staves demo" } }
EOF
"$STAVES" lock
"$STAVES" build latest
echo "docs left in the image: $(docker run --rm --entrypoint /bin/sh hello-image:latest -c 'ls /usr/share/doc /usr/share/man 2>/dev/null | wc -l')"
docker image inspect -f '{{json .Config.Labels}}' hello-image:latest
echo "SBOM: $(ls target/staves/artifacts/hello-image/sbom/)"
docker run --rm hello-image:latest

step "result"
cat staves.toml
echo
head -n 30 staves.lock
echo "..."
echo
echo "demo project: $D/hello-image"
