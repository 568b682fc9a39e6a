#!/usr/bin/env bash
# Builds the isolab guest kernel from Debian's linux-source-6.1:
#   tinyconfig + guest-images/kernel.config + guest-images/*.patch
# and copies vmlinux, bzImage and .config into OUT_DIR.
#
# Usage: build-kernel.sh OUT_DIR
#        build-kernel.sh --cache-dir   print where the current recipe is cached
#
# A finished build is kept in ${XDG_CACHE_HOME:-$HOME/.cache}/isolab/
# kernel-<hash>, keyed by the source package version and the contents of the
# fragment, the patches and this script, so a clean clone (CI) reuses it.
# Without a usable cache directory the build happens under OUT_DIR.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: build-kernel.sh OUT_DIR | --cache-dir}
fragment=$here/kernel.config
tarball=/usr/src/linux-source-6.1.tar.xz
jobs=$(nproc)
# Called from isolab's make: keep its command-line variables (CC=clang,
# BUILD=...) and jobserver out of the kernel's own build.
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES
t0=$SECONDS

say() { echo "kernel: $*"; }
die() {
	echo "kernel: error: $*" >&2
	exit 1
}
elapsed() { echo "$((SECONDS - t0)) s"; }

# Runs a build step with its output in a log; on failure shows the tail.
logged() {
	local step=$1 log=$2
	shift 2
	if ! "$@" >>"$log" 2>&1; then
		echo "kernel: error: $step failed; last lines of $log:" >&2
		tail -n 25 "$log" | sed 's/^/  | /' >&2
		exit 1
	fi
}

[ -r "$tarball" ] || die "$tarball missing; run: sudo apt-get install -y linux-source-6.1"
srcver=$(dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null) ||
	die "package linux-source-6.1 not installed; run: sudo apt-get install -y linux-source-6.1"
patches=("$here"/*.patch)
[ -e "${patches[0]}" ] || patches=()
key=$( {
	echo "linux-source-6.1 $srcver"
	cat "$fragment" "$0" ${patches[@]+"${patches[@]}"}
} | sha256sum | cut -c1-16)

cache_root=${XDG_CACHE_HOME:-${HOME:-/nonexistent}/.cache}/isolab
if mkdir -p "$cache_root" 2>/dev/null && [ -w "$cache_root" ]; then
	done_dir=$cache_root/kernel-$key
else
	[ "$out" != --cache-dir ] || exit 1
	say "no writable cache directory ($cache_root); building under $out"
	done_dir=$(realpath -m "$out")/kernel-build/kernel-$key
fi

if [ "$out" = --cache-dir ]; then
	echo "$done_dir"
	exit 0
fi
mkdir -p "$out"
out=$(cd "$out" && pwd)

install_outputs() {
	cp "$done_dir/vmlinux" "$out/vmlinux.tmp" && mv "$out/vmlinux.tmp" "$out/vmlinux"
	cp "$done_dir/bzImage" "$out/bzImage.tmp" && mv "$out/bzImage.tmp" "$out/bzImage"
	cp "$done_dir/config" "$out/kernel.config"
	cp "$done_dir/System.map" "$out/System.map"
}

if [ -f "$done_dir/complete" ]; then
	say "cached build $done_dir (key $key)"
	say "copy: vmlinux, bzImage, .config -> $out"
	install_outputs
	exit 0
fi

# Fresh work tree next to the final directory; renamed into place only when
# everything succeeded, so an interrupted build never looks finished.
work=$done_dir.work.$$
make_pid=
cleanup() {
	[ -z "$make_pid" ] || kill "$make_pid" 2>/dev/null || true
	[ -d "$work" ] || return 0
	# Removing 70,000 files takes minutes on a busy disk: do it behind the
	# build's back (a later run also removes work trees whose pid is gone).
	mv "$work" "$work.trash" 2>/dev/null && work=$work.trash
	rm -rf "$work" >/dev/null 2>&1 &
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
# Work trees of builds that were killed outright (their pid is gone).
for stale in "${done_dir%/*}"/kernel-*.work.*; do
	pid=${stale%.trash}
	[ -d "$stale" ] && ! kill -0 "${pid##*.}" 2>/dev/null && { rm -rf "$stale" >/dev/null 2>&1 & }
done
mkdir -p "$work"
log=$out/kernel-build.log
: >"$log"
src=$work/linux-source-6.1

say "unpack $tarball (linux-source-6.1 $srcver) -> $work"
logged unpack "$log" tar -C "$work" -xf "$tarball"
for p in ${patches[@]+"${patches[@]}"}; do
	say "patch $(basename "$p")"
	logged "patch $(basename "$p")" "$log" patch -d "$src" -p1 --forward -i "$p"
done

say "configure: tinyconfig + $(basename "$fragment")"
logged "make tinyconfig" "$log" make -C "$src" tinyconfig
logged merge_config "$log" env -C "$src" scripts/kconfig/merge_config.sh -m .config "$fragment"
logged "make olddefconfig" "$log" make -C "$src" olddefconfig

say "check config: every option of $(basename "$fragment")"
"$here/check-config.sh" "$fragment" "$src/.config" "$src" || die "config check failed (details above)"

say "compile vmlinux (make -j$jobs, log: $log)"
make -C "$src" -j"$jobs" vmlinux >>"$log" 2>&1 &
make_pid=$!
while kill -0 "$make_pid" 2>/dev/null; do
	for _ in $(seq 30); do
		sleep 1
		kill -0 "$make_pid" 2>/dev/null || break
	done
	kill -0 "$make_pid" 2>/dev/null &&
		say "  ... $(grep -c '^  \(CC\|AS\)' "$log" || true) objects compiled, $(elapsed)"
done
if ! wait "$make_pid"; then
	echo "kernel: error: compile vmlinux failed; last lines of $log:" >&2
	tail -n 25 "$log" | sed 's/^/  | /' >&2
	exit 1
fi
say "  vmlinux done, $(elapsed)"

say "bzImage"
logged "make bzImage" "$log" make -C "$src" -j"$jobs" bzImage

say "copy: vmlinux, bzImage, .config -> $out"
staged=$work/done
mkdir -p "$staged"
cp "$src/vmlinux" "$src/arch/x86/boot/bzImage" "$src/System.map" "$staged/"
cp "$src/.config" "$staged/config"
cp "$log" "$staged/build.log"
touch "$staged/complete"
rm -rf "$done_dir"
mv "$staged" "$done_dir"
install_outputs
say "done in $(elapsed) (cache: $done_dir)"
