#!/usr/bin/env bash
# Prints the path of Debian's busybox-static for arm64, taken from the
# archive with apt-get download and unpacked with dpkg-deb -x (never
# installed: it would replace this host's own /bin/busybox), for the arm64
# rootfs and the arm64 lab host's initramfs.
#
# Cache: ${XDG_CACHE_HOME:-~/.cache}/isolab/busybox-arm64-VERSION/busybox; the
# version apt offers, or offline the newest cached one. Exit status 77: none
# can be had (no arm64 architecture in dpkg, nothing cached).
set -euo pipefail
cache=${XDG_CACHE_HOME:-$HOME/.cache}/isolab
say() { echo "busybox-arm64: $*" >&2; }

version=$(apt-cache show --no-all-versions busybox-static:arm64 2>/dev/null |
	sed -n 's/^Version: //p' | head -1) || true
if [ -n "$version" ]; then
	dir=$cache/busybox-arm64-${version//:/_}
	if [ ! -x "$dir/busybox" ]; then
		mkdir -p "$cache"
		tmp=$(mktemp -d "$cache/.busybox-arm64.XXXXXX")
		trap 'rm -rf "$tmp"' EXIT
		say "downloading busybox-static:arm64 $version (apt-get download)"
		if (cd "$tmp" && apt-get download "busybox-static:arm64=$version" >download.log 2>&1 &&
			dpkg-deb -x busybox-static_*.deb x); then
			mkdir -p "$tmp/out"
			cp "$tmp/x/bin/busybox" "$tmp/out/busybox"
			echo "$version" >"$tmp/out/version"
			mv -T "$tmp/out" "$dir" 2>/dev/null || true # another build won the race
		else
			tail -3 "$tmp/download.log" >&2
			say "download failed"
		fi
	fi
fi
if [ -z "${dir:-}" ] || [ ! -x "$dir/busybox" ]; then
	dir=$(ls -d "$cache"/busybox-arm64-*/ 2>/dev/null | sort -V | tail -1)
	[ -n "$dir" ] || {
		say "no busybox-static:arm64: run dpkg --add-architecture arm64 && apt-get update"
		exit 77
	}
	dir=${dir%/}
fi
echo "$dir/busybox"
