#!/usr/bin/env bash
# Prints the size of each guest artefact: how big "the VM" and "the
# container" are is one of the figures the lab quotes.
#
# Usage: sizes.sh KERNEL... ROOTFS_DIR EXT4 CPIO
#        (x86: vmlinux and bzImage; arm64: Image)
set -euo pipefail
[ $# -ge 4 ] || { echo "usage: sizes.sh KERNEL... ROOTFS_DIR EXT4 CPIO" >&2; exit 2; }

human() { numfmt --to=iec-i --suffix=B --format='%.1f' "$1"; }
bytes() { stat -c %s "$1"; }
line() { printf 'images: %-24s %10s  %s\n' "$1" "$2" "$3"; }

while [ $# -gt 3 ]; do
	case $(basename "$1") in
	vmlinux) what="kernel (ELF vmlinux)" ;;
	Image) what="kernel (arm64 Image)" ;;
	*) what="kernel ($(basename "$1"))" ;;
	esac
	line "$what" "$(human "$(bytes "$1")")" "$1"
	shift
done
files=$(find "$1" | wc -l)
line "rootfs directory" "$(human "$(du -sb "$1" | cut -f1)")" "$1 ($files entries)"
line "rootfs ext4 image" "$(human "$(bytes "$2")")" "$2 ($(human "$(($(stat -c %b "$2") * 512))") used on disk)"
line "rootfs cpio" "$(human "$(bytes "$3")")" "$3"
