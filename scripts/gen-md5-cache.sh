#!/usr/bin/env bash
# Generate metadata/md5-cache of a standalone ebuild repository (no masters)
# with real Portage's egencache, so the committed cache is provably Portage's.
#
# Usage: scripts/gen-md5-cache.sh [--check] REPO_DIR [PROFILE]
#   (no option)  regenerate REPO_DIR/metadata/md5-cache in place
#   --check      regenerate into a temporary copy; exit 1 with a diff unless
#                it is byte-identical to the committed cache
# PROFILE defaults to the first profile of REPO_DIR/profiles/profiles.desc.
# Env: STAVES_PORTAGE_VENV (see scripts/ensure-portage.sh).
set -euo pipefail
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CHECK=0
if [[ ${1:-} == --check ]]; then CHECK=1; shift; fi
[[ $# -ge 1 ]] || { echo "usage: $0 [--check] REPO_DIR [PROFILE]" >&2; exit 2; }
SRC=$(cd "$1" && pwd)
NAME=$(head -n1 "$SRC/profiles/repo_name")
PROFILE=${2:-$(awk '!/^#/ && NF >= 2 {print $2; exit}' "$SRC/profiles/profiles.desc")}
VENV=$("$TOP/scripts/ensure-portage.sh")
T=$(mktemp -d "${TMPDIR:-/tmp}/staves-egencache.XXXXXX")
trap 'rm -rf "$T"' EXIT
P=$T/prefix
mkdir -p "$P/etc/portage" "$P/share/portage/config" "$P/tmp"
cp -a "$SRC" "$T/repo"
rm -rf "$T/repo/metadata/md5-cache"
ln -s "$VENV/share/portage/config/make.globals" "$P/share/portage/config/make.globals"
ln -s "$VENV/share/portage/config/sets" "$P/share/portage/config/sets"
printf '[DEFAULT]\nmain-repo = %s\n' "$NAME" >"$P/share/portage/config/repos.conf"
REPOS_CONF=$(printf '[DEFAULT]\nmain-repo = %s\n\n[%s]\nlocation = %s\nauto-sync = no\n' "$NAME" "$NAME" "$T/repo")
cat >"$P/etc/portage/make.conf" <<MAKECONF
FEATURES="-sandbox -usersandbox -ipc-sandbox -network-sandbox -pid-sandbox -userpriv -userfetch -usersync -news -parallel-fetch"
PORTAGE_USERNAME="root"
PORTAGE_GRPNAME="root"
PORTAGE_TMPDIR="$P/tmp"
MAKECONF
ln -s "$T/repo/profiles/$PROFILE" "$P/etc/portage/make.profile"
env -i HOME="$T" TERM=dumb LC_ALL=C.UTF-8 PATH="$VENV/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
	PORTAGE_OVERRIDE_EPREFIX="$P" PORTAGE_USERNAME=root PORTAGE_GRPNAME=root \
	"$VENV/bin/egencache" --config-root="$P" --repositories-configuration="$REPOS_CONF" \
	--update --jobs="$(nproc)" --repo="$NAME" >&2
if ((CHECK)); then
	if ! diff -ru "$SRC/metadata/md5-cache" "$T/repo/metadata/md5-cache"; then
		echo "the committed md5-cache of $SRC differs from egencache's; run scripts/gen-md5-cache.sh $1" >&2
		exit 1
	fi
	echo "md5-cache of $NAME matches egencache"
else
	rm -rf "$SRC/metadata/md5-cache"
	cp -a "$T/repo/metadata/md5-cache" "$SRC/metadata/md5-cache"
	echo "wrote $(find "$SRC/metadata/md5-cache" -type f | wc -l) entries to $SRC/metadata/md5-cache"
fi
