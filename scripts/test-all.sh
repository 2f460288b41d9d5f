#!/usr/bin/env bash
# Every test of the project, on a fresh Debian 12 machine with Rust (as root):
# installs what the tests need (Debian packages, Portage from PyPI, the
# wasm32-wasip1 target when plugins need it), starts the private services
# (dockerd, two local registries), builds the test builder image, then runs
# formatting and lint checks, the fixture checks and `cargo test`.
#
#   bash scripts/test-all.sh
#
# Env: CARGO_TARGET_DIR (default target/), STAVES_KEEP_SERVICES=1 to leave the
# services running afterwards. Under CI=true every test that needs one of
# these parts fails when the part is missing (none is skipped).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
step() { printf '\n==> %s\n' "$*"; }
started=$(date +%s)

step "Debian packages"
bash scripts/ci/deps.sh

step "the wasm32-wasip1 target (example and sandbox-test plugins)"
rustup target add wasm32-wasip1

step "Portage from PyPI (the oracle)"
STAVES_PORTAGE_VENV=$(bash scripts/ensure-portage.sh)
export STAVES_PORTAGE_VENV

step "services: dockerd and local registries"
env_file=$(bash scripts/ci/services.sh start)
# shellcheck disable=SC1090
. "$env_file"
if [[ ${STAVES_KEEP_SERVICES:-0} != 1 ]]; then
	trap 'bash scripts/ci/services.sh stop >/dev/null 2>&1 || true' EXIT
fi

step "test builder image"
STAVES_TEST_BUILDER=$(bash scripts/test-builder/build.sh)
export STAVES_TEST_BUILDER
echo "$STAVES_TEST_BUILDER"

step "the demo repository's md5-cache is egencache's"
bash scripts/gen-md5-cache.sh --check examples/repo

step "cargo fmt"
cargo fmt --all -- --check

step "cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "cargo test"
export CI="${CI:-}"
cargo test --workspace --locked --no-fail-fast

echo
echo "all tests passed in $(( $(date +%s) - started ))s"
