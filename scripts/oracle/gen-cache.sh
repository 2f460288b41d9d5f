#!/usr/bin/env bash
# Generate metadata/md5-cache of the agreement-suite repositories with real
# Portage (egencache), so the committed cache is provably Portage's.
#
# Usage: scripts/oracle/gen-cache.sh [--check]
#   (no option)  regenerate and write tests/fixtures/agreement/repos/*/metadata/md5-cache
#   --check      regenerate into a temporary copy and fail (exit 1, with a diff)
#                unless it is byte-identical to the committed cache
# Env: STAVES_PORTAGE_VENV (see scripts/ensure-portage.sh).
#
# egencache runs on a copy of the repositories under a throw-away Portage
# prefix (PORTAGE_OVERRIDE_EPREFIX): its own etc/portage (make.conf,
# repos.conf, make.profile), the venv's make.globals, a clean environment.
# Nothing outside the temporary directory is read or written besides the
# repositories' md5-cache directories (and only without --check).
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
FIX=$TOP/tests/fixtures/agreement/repos
REPOS=(agree agree-overlay)
CHECK=0
case ${1:-} in
	--check) CHECK=1 ;;
	"") ;;
	*) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

VENV=$("$TOP/scripts/ensure-portage.sh")
T=$(mktemp -d "${TMPDIR:-/tmp}/staves-gencache.XXXXXX")
trap 'rm -rf "$T"' EXIT

P=$T/prefix
mkdir -p "$P/etc/portage" "$P/share/portage/config" "$P/tmp"
for r in "${REPOS[@]}"; do
	cp -a "$FIX/$r" "$T/$r"
	rm -rf "$T/$r/metadata/md5-cache"
done
ln -s "$VENV/share/portage/config/make.globals" "$P/share/portage/config/make.globals"
ln -s "$VENV/share/portage/config/sets" "$P/share/portage/config/sets"
printf '[DEFAULT]\nmain-repo = agree\n' >"$P/share/portage/config/repos.conf"
REPOS_CONF=$(printf '[DEFAULT]\nmain-repo = agree\n\n[agree]\nlocation = %s\nauto-sync = no\n\n[agree-overlay]\nlocation = %s\nauto-sync = no\n' \
	"$T/agree" "$T/agree-overlay")
cat >"$P/etc/portage/make.conf" <<-MAKECONF
	FEATURES="-sandbox -usersandbox -ipc-sandbox -network-sandbox -pid-sandbox -userpriv -userfetch -usersync -news -parallel-fetch"
	PORTAGE_USERNAME="root"
	PORTAGE_GRPNAME="root"
	PORTAGE_TMPDIR="$P/tmp"
MAKECONF
ln -s "$T/agree/profiles/agree/amd64" "$P/etc/portage/make.profile"

env -i HOME="$T" TERM=dumb LC_ALL=C.UTF-8 \
	PATH="$VENV/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
	PORTAGE_OVERRIDE_EPREFIX="$P" PORTAGE_USERNAME=root PORTAGE_GRPNAME=root \
	"$VENV/bin/egencache" --config-root="$P" --repositories-configuration="$REPOS_CONF" \
	--update --jobs="$(nproc)" --repo=agree
env -i HOME="$T" TERM=dumb LC_ALL=C.UTF-8 \
	PATH="$VENV/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
	PORTAGE_OVERRIDE_EPREFIX="$P" PORTAGE_USERNAME=root PORTAGE_GRPNAME=root \
	"$VENV/bin/egencache" --config-root="$P" --repositories-configuration="$REPOS_CONF" \
	--update --jobs="$(nproc)" --repo=agree-overlay

status=0
for r in "${REPOS[@]}"; do
	n_ebuilds=$(find "$T/$r" -name '*.ebuild' | wc -l)
	n_cache=$(find "$T/$r/metadata/md5-cache" -type f | wc -l)
	if [[ $n_ebuilds != "$n_cache" ]]; then
		echo "gen-cache: $r has $n_ebuilds ebuilds but egencache wrote $n_cache entries" >&2
		exit 1
	fi
	if ((CHECK)); then
		if ! diff -r "$FIX/$r/metadata/md5-cache" "$T/$r/metadata/md5-cache"; then
			echo "gen-cache: the committed md5-cache of $r is not what egencache generates;" \
				"run scripts/oracle/gen-cache.sh and commit the result" >&2
			status=1
		fi
	else
		rm -rf "$FIX/$r/metadata/md5-cache"
		cp -a "$T/$r/metadata/md5-cache" "$FIX/$r/metadata/md5-cache"
		echo "gen-cache: wrote $n_cache entries to $FIX/$r/metadata/md5-cache"
	fi
done
((CHECK)) && ((status == 0)) && echo "gen-cache: committed md5-cache matches egencache"
exit $status
