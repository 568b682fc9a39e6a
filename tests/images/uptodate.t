#!/usr/bin/env bash
# `make images` is incremental: right after it ran, every artefact is up to
# date (make -q), so a second run would only print the sizes.
. "$(dirname "$0")/../lib.sh"

[ -e "$ISOLAB_IMAGES/vmlinux" ] || skip_all "$ISOLAB_IMAGES missing: run 'make images' first"
[ "$ISOLAB_IMAGES" = "$ISOLAB_ROOT/guest-images/out" ] && [ "$ISOLAB_BUILD" = "$ISOLAB_ROOT/build" ] ||
	skip_all "images or build directory not the default ones"

for target in guest-images/out/vmlinux guest-images/out/bzImage guest-images/out/rootfs.stamp \
	guest-images/out/rootfs.ext4 guest-images/out/initramfs.cpio; do
	make -C "$ISOLAB_ROOT" -q "$target" >/dev/null 2>&1
	ok $? "$target is up to date"
done

run --timeout 120 make -C "$ISOLAB_ROOT" --no-print-directory images
is "$rc" 0 "make images succeeds"
unlike "$out" '^(kernel|rootfs):' "a second make images builds nothing"
like "$out" 'images: kernel \(ELF vmlinux\) +[0-9.]+ ?[KMG]?i?B' "it prints the kernel's size"
like "$out" 'images: rootfs ext4 image +[0-9.]+' "it prints the ext4 image's size"
like "$out" 'images: rootfs cpio +[0-9.]+' "it prints the cpio's size"
like "$out" 'images: rootfs directory +[0-9.]+' "it prints the directory's size"

done_testing
