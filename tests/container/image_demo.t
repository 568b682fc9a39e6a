#!/usr/bin/env bash
# make demo's image part (bench/demo-images): two images sharing their base layer.
. "$(dirname "$0")/../lib.sh"
need_root
[ -x "$ISOLAB_BIN/container" ] || skip_all "container not built"
[ -x "$ISOLAB_IMAGES/rootfs/init" ] || skip_all "no $ISOLAB_IMAGES/rootfs (make images)"
run --timeout 120 bench/demo-images "$ISOLAB_BIN" "$ISOLAB_IMAGES"
is "$rc" 0 "demo-images runs"
like "$out" $'isolab +latest .*\n +hello +latest ' "image ls lists the base and the image built on it"
like "$out" "layers on disk: .*add up to" "and what the store holds beside the sum of their sizes"
like "$out" "for 3 layers" "three layers on disk for two images of one and three layers"
like "$out" "/etc/hostname: No such file" "the built image lacks what its RUN deleted"
like "$out" "the base image still has it: isolab" "the base image is unchanged"
done_testing
