#!/usr/bin/env bash
# A minimal Debian root filesystem as a tarball for `container image import`, made by
# mmdebstrap (variant minbase) from the package archive apt uses, cached like the kernel:
#
#   guest-images/debian-image.sh [SUITE]   prints the path of the cached tarball
#
# The cache is ${XDG_CACHE_HOME:-~/.cache}/isolab/debian-minimal.tar (SUITE bookworm by
# default; another suite gets debian-minimal-SUITE.tar). ~100 MB is downloaded the first
# time, so nothing in `make test` depends on it; the bench's image-size table uses it when
# it is there. Then: container image import "$(guest-images/debian-image.sh)" debian:minimal
set -euo pipefail
suite=${1:-bookworm}
cache=${XDG_CACHE_HOME:-$HOME/.cache}/isolab
name=debian-minimal.tar
[ "$suite" = bookworm ] || name=debian-minimal-$suite.tar
out=$cache/$name
if [ -s "$out" ]; then
	echo "$out"
	exit 0
fi
command -v mmdebstrap >/dev/null || { echo "debian-image: mmdebstrap missing; run: sudo apt-get install -y mmdebstrap" >&2; exit 1; }
mkdir -p "$cache"
tmp=$(mktemp "$cache/.$name.XXXXXX")
chmod 0644 "$tmp"
trap 'rm -f "$tmp"' EXIT
# Run as root or under mmdebstrap's own user-namespace mode (unshare), no fakeroot needed.
mode=root
[ "$(id -u)" = 0 ] || mode=unshare
echo "debian-image: mmdebstrap --variant=minbase $suite (downloads ~100 MB)" >&2
mmdebstrap --quiet --mode="$mode" --variant=minbase --format=tar "$suite" "$tmp" >&2
mv "$tmp" "$out"
trap - EXIT
echo "$out"
