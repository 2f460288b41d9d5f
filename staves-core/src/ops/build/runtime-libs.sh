# Run as `sh -c "$(cat runtime-libs.sh)" staves-emerge emerge ARGS...` in the
# builder: runs emerge, then copies the gcc runtime libraries named in
# STAVES_RUNTIME_LIBS (no ebuild depends on them) from the builder into the
# image root, next to the image's C library, as the original Staves did.
# Lines `staves: VERB MESSAGE` are shown by `staves build` as status lines.
set -e
"$@"
[ -n "${STAVES_RUNTIME_LIBS:-}" ] || exit 0
root=/staves/root
first() { find "$@" 2>/dev/null | LC_ALL=C sort | head -n 1; }
libc=
for dir in lib64 usr/lib64 lib usr/lib; do
	[ -n "$libc" ] || libc=$(first "$root/$dir" -maxdepth 2 \( -name 'libc.so.6' -o -name 'ld-musl-*.so.1' \))
done
if [ -n "$libc" ]; then
	dest=$(dirname "$libc")
elif [ -d "$root/usr/lib64" ] && [ ! -L "$root/usr/lib64" ]; then
	dest=$root/usr/lib64
else
	dest=$root/usr/lib
fi
for lib in $STAVES_RUNTIME_LIBS; do
	if [ -n "$(first "$root" -xdev -name "$lib")" ]; then
		echo "staves: kept $lib: the image root has its own"
		continue
	fi
	src=
	if command -v gcc >/dev/null 2>&1; then
		src=$(gcc -print-file-name="$lib" 2>/dev/null || true)
		case $src in /*) [ -e "$src" ] || src= ;; *) src= ;; esac
	fi
	for dir in /usr/lib/gcc /usr/lib64 /lib64 /usr/lib /lib; do
		[ -n "$src" ] || src=$(first "$dir" -name "$lib")
	done
	if [ -z "$src" ]; then
		echo "staves: missing $lib: the builder has none, so the image has none"
		continue
	fi
	mkdir -p "$dest"
	cp -L "$src" "$dest/$lib"
	echo "staves: added $lib from the builder ($src) to ${dest#"$root"}"
done
