#!/usr/bin/env bash
# Builds the isolab arm64 guest kernel from Debian's linux-source-6.1 with the
# cross compiler (ARCH=arm64 CROSS_COMPILE=aarch64-linux-gnu-):
#   tinyconfig + guest-images/arm64/kernel.config
# and copies the raw Image (the arm64 boot protocol's format), .config and
# System.map into OUT_DIR.
#
# Usage: build-kernel.sh OUT_DIR
#        build-kernel.sh --cache-dir   print where the current recipe is cached
#
# Beside ../build-kernel.sh rather than inside it: that script's bytes are part
# of the x86 kernel's cache key, and the x86 kernel must not rebuild for
# everyone because arm64 arrived. The cache is
# ${XDG_CACHE_HOME:-~/.cache}/isolab/kernel-arm64-<hash> (source package
# version, fragment, this script, check-config.sh). ISOLAB_KERNEL_JOBS sets
# make's -j (default: the number of CPUs); the compiler runs under nice.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: build-kernel.sh OUT_DIR | --cache-dir}
fragment=$here/kernel.config
check=$here/../check-config.sh
tarball=/usr/src/linux-source-6.1.tar.xz
cross=aarch64-linux-gnu-
jobs=${ISOLAB_KERNEL_JOBS:-$(nproc)}
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES
export ARCH=arm64 CROSS_COMPILE=$cross
t0=$SECONDS

say() { echo "kernel-arm64: $*"; }
die() {
	echo "kernel-arm64: error: $*" >&2
	exit 1
}

# step NAME COMMAND...: output into the log; on failure its tail is shown.
step() {
	local name=$1
	shift
	"$@" >>"$log" 2>&1 && return 0
	echo "kernel-arm64: error: $name failed; last lines of $log:" >&2
	tail -n 25 "$log" | sed 's/^/  | /' >&2
	exit 1
}

[ -r "$tarball" ] || die "$tarball missing; run: sudo apt-get install -y linux-source-6.1"
srcver=$(dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null) ||
	die "package linux-source-6.1 not installed; run: sudo apt-get install -y linux-source-6.1"
command -v "${cross}gcc" >/dev/null ||
	die "${cross}gcc missing; run: sudo apt-get install -y gcc-aarch64-linux-gnu"
key=$( {
	echo "arm64 linux-source-6.1 $srcver"
	cat "$fragment" "$0" "$check"
} | sha256sum | cut -c1-16)

cache_root=${XDG_CACHE_HOME:-${HOME:-/nonexistent}/.cache}/isolab
if mkdir -p "$cache_root" 2>/dev/null && [ -w "$cache_root" ]; then
	done_dir=$cache_root/kernel-arm64-$key
else
	[ "$out" != --cache-dir ] || exit 1
	done_dir=$(realpath -m "$out")/kernel-build/kernel-arm64-$key
fi
if [ "$out" = --cache-dir ]; then
	echo "$done_dir"
	exit 0
fi
mkdir -p "$out"
out=$(cd "$out" && pwd)

install_outputs() {
	local f
	for f in Image config System.map; do
		cp "$done_dir/$f" "$out/$f.tmp" && mv "$out/$f.tmp" "$out/${f/#config/kernel.config}"
	done
}

if [ -f "$done_dir/complete" ]; then
	say "cached build $done_dir (key $key)"
	install_outputs
	exit 0
fi

# A fresh tree beside the final directory, renamed into place only when
# everything succeeded; removed in the background on every exit.
work=$done_dir.work.$$
make_pid=
cleanup() {
	[ -z "$make_pid" ] || kill "$make_pid" 2>/dev/null || true
	[ -d "$work" ] || return 0
	mv "$work" "$work.trash" 2>/dev/null && work=$work.trash
	rm -rf "$work" >/dev/null 2>&1 &
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
mkdir -p "$work"
log=$out/kernel-build.log
: >"$log"
src=$work/linux-source-6.1

say "unpack $tarball (linux-source-6.1 $srcver)"
step unpack tar -C "$work" -xf "$tarball"
say "configure: ARCH=arm64 tinyconfig + $fragment"
step "make tinyconfig" make -C "$src" tinyconfig
step merge_config env -C "$src" scripts/kconfig/merge_config.sh -m .config "$fragment"
step "make olddefconfig" make -C "$src" olddefconfig
"$check" "$fragment" "$src/.config" "$src" || die "config check failed (details above)"

say "compile Image (make -j$jobs under nice, log: $log)"
nice -n 10 make -C "$src" -j"$jobs" Image >>"$log" 2>&1 &
make_pid=$!
# A progress line every 30 s (tail --pid returns as soon as make ends).
while kill -0 "$make_pid" 2>/dev/null; do
	timeout 30 tail --pid="$make_pid" -f /dev/null || true
	kill -0 "$make_pid" 2>/dev/null &&
		say "  ... $(grep -c '^  \(CC\|AS\)' "$log" || true) objects compiled, $((SECONDS - t0)) s"
done
if ! wait "$make_pid"; then
	make_pid=
	echo "kernel-arm64: error: compile Image failed; last lines of $log:" >&2
	tail -n 25 "$log" | sed 's/^/  | /' >&2
	exit 1
fi
make_pid=

staged=$work/done
mkdir -p "$staged"
cp "$src/arch/arm64/boot/Image" "$src/System.map" "$staged/"
cp "$src/.config" "$staged/config"
cp "$log" "$staged/build.log"
touch "$staged/complete"
rm -rf "$done_dir"
mv "$staged" "$done_dir"
install_outputs
say "done in $((SECONDS - t0)) s (cache: $done_dir)"
