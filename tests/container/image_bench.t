#!/usr/bin/env bash
# bench/harness/storage.py on a tiny configuration: the density table (containers share the
# image's layers, VMs each hold a disk), the image-size table and the image-work times.
. "$(dirname "$0")/../lib.sh"
need_root
command -v python3 >/dev/null || skip_all "python3 missing"
CTRBIN=$ISOLAB_BIN
[ -x "$CTRBIN/container" ] || skip_all "container not built"
[ -x "$ISOLAB_IMAGES/rootfs/init" ] || skip_all "no $ISOLAB_IMAGES/rootfs (make images)"
run --timeout 300 env ISOLAB_BIN="$CTRBIN" python3 -m bench.harness.storage --quick
is "$rc" 0 "storage figures (--quick)"
like "$out" '\| 1 instance \| MiB \| lower \| [0-9.]+ \| [0-9.]+ \|' "density: one instance, containers and VM disks"
like "$out" '\| 2 instances \|' "density: two instances"
c1=$(printf '%s\n' "$out" | sed -n 's/^| 1 instance | MiB | lower | \([0-9.]*\) | \([0-9.]*\) .*/\1 \2/p')
c2=$(printf '%s\n' "$out" | sed -n 's/^| 2 instances | MiB | lower | \([0-9.]*\) | \([0-9.]*\) .*/\1 \2/p')
python3 -c "
a, b = map(float, '$c1'.split()); c, d = map(float, '$c2'.split())
assert c < a * 1.1, 'a second container adds its writable layer only'
assert d > b * 1.9, 'a second VM adds a whole disk'
"
ok $? "a second container costs its writable layer; a second VM a whole disk ($c1 -> $c2)"
like "$out" 'image as layers \(du\)' "image sizes"
like "$out" 'run, 20 layers \| ms' "the time to run an image of 20 layers"
like "$out" 'build, 5 steps, warm cache' "cold and warm builds"
like "$out" 'commit of a 10 MiB change' "commit time"
done_testing
