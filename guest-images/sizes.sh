#!/usr/bin/env bash
# Prints the size of each guest artefact: how big "the VM" and "the
# container" are is one of the figures the lab quotes.
#
# Usage: sizes.sh VMLINUX BZIMAGE ROOTFS_DIR EXT4 CPIO
set -euo pipefail
[ $# -eq 5 ] || { echo "usage: sizes.sh VMLINUX BZIMAGE ROOTFS_DIR EXT4 CPIO" >&2; exit 2; }

human() { numfmt --to=iec-i --suffix=B --format='%.1f' "$1"; }
bytes() { stat -c %s "$1"; }
line() { printf 'images: %-24s %10s  %s\n' "$1" "$2" "$3"; }

line "kernel (ELF vmlinux)" "$(human "$(bytes "$1")")" "$1"
line "kernel (bzImage)" "$(human "$(bytes "$2")")" "$2"
files=$(find "$3" | wc -l)
line "rootfs directory" "$(human "$(du -sb "$3" | cut -f1)")" "$3 ($files entries)"
line "rootfs ext4 image" "$(human "$(bytes "$4")")" "$4 ($(human "$(($(stat -c %b "$4") * 512))") used on disk)"
line "rootfs cpio" "$(human "$(bytes "$5")")" "$5"
