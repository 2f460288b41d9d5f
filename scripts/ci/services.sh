#!/usr/bin/env bash
# Private test services for the real-engine tests: a Docker engine on its own
# unix socket (never the default socket, docker0 or iptables) and two local
# registries (Debian's docker-registry, distribution 2.8) on 127.0.0.1, one
# anonymous and one with htpasswd (Basic) auth. Everything lives under one
# short temp dir (/tmp/sci.XXXX: containerd's socket path must stay < 108
# bytes); an env file records it.
#
#   scripts/ci/services.sh start    start (or reuse) the services; prints the env file path
#   scripts/ci/services.sh stop     stop them, unmount leftovers, remove the dir and env file
#   scripts/ci/services.sh status   exit 0 if running (prints the env file path)
#
# Then: `. "$(scripts/ci/services.sh start)"` exports DOCKER_HOST,
# STAVES_TEST_REGISTRY(=127.0.0.1:PORT), STAVES_TEST_REGISTRY_AUTH(=127.0.0.1:PORT2),
# STAVES_TEST_REGISTRY_USER, STAVES_TEST_REGISTRY_PASSWORD and STAVES_CI_DIR.
# Env: STAVES_CI_ENV (env file, default /tmp/staves-ci.env); REG_PORT/REG_AUTH_PORT
# (default: free ports chosen at start). Needs root and scripts/ci/deps.sh packages.
set -euo pipefail
ENV_FILE=${STAVES_CI_ENV:-/tmp/staves-ci.env}
REG_USER=staves
REG_PASSWORD=staves-test
log() { echo "services.sh: $*" >&2; }

# Lock so concurrent `start`s (parallel test binaries) don't race.
exec 9>"$ENV_FILE.lock"
flock 9

# Read STAVES_CI_DIR from the env file, if any.
current_dir() {
	[[ -r $ENV_FILE ]] || return 1
	sed -n 's/^export STAVES_CI_DIR=//p' "$ENV_FILE"
}

running() {
	local w
	w=$(current_dir) && [[ -n $w && -d $w ]] || return 1
	pid_alive "$w/dockerd.pid" && pid_alive "$w/registry.pid" && pid_alive "$w/registry-auth.pid" || return 1
	# shellcheck disable=SC1090
	(. "$ENV_FILE" && docker_ok && curl -fsS "http://$STAVES_TEST_REGISTRY/v2/" >/dev/null 2>&1 &&
		[[ $(curl -s -o /dev/null -w '%{http_code}' "http://$STAVES_TEST_REGISTRY_AUTH/v2/") == 401 ]])
}

pid_alive() { [[ -s $1 ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

# The engine answers /_ping on its socket.
docker_ok() {
	curl -fsS --unix-socket "${DOCKER_HOST#unix://}" http://localhost/_ping >/dev/null 2>&1
}

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

teardown() {
	local w=$1 f _
	[[ -n $w && -d $w ]] || return 0
	for f in dockerd registry registry-auth; do
		if [[ -s $w/$f.pid ]]; then kill "$(cat "$w/$f.pid")" 2>/dev/null || true; fi
	done
	# dockerd stops its containers and its containerd; give it up to 20 s.
	for _ in $(seq 1 200); do
		pid_alive "$w/dockerd.pid" || pid_alive "$w/registry.pid" || pid_alive "$w/registry-auth.pid" || break
		sleep 0.1
	done
	for f in dockerd registry registry-auth; do
		pid_alive "$w/$f.pid" && { log "killing $f hard"; kill -9 "$(cat "$w/$f.pid")" 2>/dev/null || true; }
	done
	# dockerd can leave <exec-root>/netns/default and overlay mounts behind.
	awk -v w="$w" 'index($2, w) == 1 {print $2}' /proc/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
	rm -rf "$w"
}

wait_for() {
	local what=$1 logf=$2 _
	shift 2
	for _ in $(seq 1 300); do
		"$@" && return 0
		sleep 0.1
	done
	log "$what did not become ready in 30 s; its log:"
	tail -30 "$logf" >&2 || true
	return 1
}

registry_config() {
	local w=$1 name=$2 port=$3 auth=$4
	cat >"$w/$name.yml" <<YML
version: 0.1
log: {level: warn, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $w/$name-data}, delete: {enabled: true}}
http: {addr: "127.0.0.1:$port", secret: ci-only}
YML
	if [[ $auth == 1 ]]; then
		echo "auth: {htpasswd: {realm: staves-test, path: $w/htpasswd}}" >>"$w/$name.yml"
	fi
}

start() {
	if running; then
		log "reusing the running services ($(current_dir))"
		echo "$ENV_FILE"
		return 0
	fi
	local old
	old=$(current_dir 2>/dev/null) && teardown "$old"
	for c in dockerd docker-registry curl python3; do
		command -v "$c" >/dev/null || { log "$c not found; run scripts/ci/deps.sh first"; exit 1; }
	done
	local w p1 p2
	w=$(mktemp -d /tmp/sci.XXXX)
	p1=${REG_PORT:-$(free_port)}
	p2=${REG_AUTH_PORT:-$(free_port)}
	[[ $p1 != "$p2" ]] || p2=$(free_port)
	# bcrypt at cost 4: the registry checks it on every request.
	python3 -W ignore -c 'import crypt, sys
print(sys.argv[1] + ":" + crypt.crypt(sys.argv[2], crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16)))' \
		"$REG_USER" "$REG_PASSWORD" >"$w/htpasswd"
	registry_config "$w" registry "$p1" 0
	registry_config "$w" registry-auth "$p2" 1
	# setsid: the services outlive this script and the caller's process group.
	setsid dockerd --data-root "$w/data" --exec-root "$w/x" -H "unix://$w/docker.sock" \
		--pidfile "$w/dockerd.pid.d" --bridge=none --iptables=false --ip6tables=false --ip-masq=false \
		</dev/null >"$w/dockerd.log" 2>&1 9>&- &
	echo $! >"$w/dockerd.pid"
	for r in registry registry-auth; do
		setsid docker-registry serve "$w/$r.yml" </dev/null >"$w/$r.log" 2>&1 9>&- &
		echo $! >"$w/$r.pid"
	done
	local ok=1
	DOCKER_HOST=unix://$w/docker.sock wait_for dockerd "$w/dockerd.log" docker_ok || ok=0
	((ok)) && { wait_for registry "$w/registry.log" curl -fsS "http://127.0.0.1:$p1/v2/" -o /dev/null || ok=0; }
	((ok)) && { wait_for registry-auth "$w/registry-auth.log" \
		curl -fsS -u "$REG_USER:$REG_PASSWORD" "http://127.0.0.1:$p2/v2/" -o /dev/null || ok=0; }
	if ((!ok)); then
		teardown "$w"
		exit 1
	fi
	cat >"$ENV_FILE.tmp" <<ENV
export STAVES_CI_DIR=$w
export DOCKER_HOST=unix://$w/docker.sock
export STAVES_TEST_REGISTRY=127.0.0.1:$p1
export STAVES_TEST_REGISTRY_AUTH=127.0.0.1:$p2
export STAVES_TEST_REGISTRY_USER=$REG_USER
export STAVES_TEST_REGISTRY_PASSWORD=$REG_PASSWORD
ENV
	mv "$ENV_FILE.tmp" "$ENV_FILE"
	log "started in $w (registries 127.0.0.1:$p1, 127.0.0.1:$p2 with auth)"
	echo "$ENV_FILE"
}

stop() {
	local w
	if w=$(current_dir 2>/dev/null) && [[ -n $w ]]; then
		teardown "$w"
		log "stopped ($w)"
	fi
	rm -f "$ENV_FILE"
}

case ${1:-} in
start) start ;;
stop) stop ;;
status) running && echo "$ENV_FILE" ;;
*)
	echo "usage: $0 start|stop|status" >&2
	exit 2
	;;
esac
