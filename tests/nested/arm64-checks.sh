#!/bin/sh
# Run by tests/nested/arm64.t inside the arm64 lab host (busybox sh, no
# bash, no TAP helpers): every check of one L1 boot, each leaving NAME.out,
# NAME.err and NAME.rc in OUT for the assertions on the host. Each vmm run is
# bounded, so one that hangs costs its own check and not the others.
#
#   arm64-checks.sh OUT VMM FIRMWARE_DIR IMAGES_DIR ROOT_DISK DATA_DISK SNAP_DISK
set -u
out=$1 vmm=$2 fw=$3 img=$4 root_disk=$5 data_disk=$6 snap_disk=$7
limit=${ARM64_CHECK_TIMEOUT:-150}

check() {
	name=$1
	shift
	timeout "$limit" "$@" </dev/null >"$out/$name.out" 2>"$out/$name.err"
	echo $? >"$out/$name.rc"
}

# The lab host itself: an arm64 machine with a real (VHE) KVM.
{
	uname -m
	[ -c /dev/kvm ] && echo "dev kvm"
	dmesg | grep -o 'kvm \[1\]: VHE mode initialized successfully'
} >"$out/l1.out" 2>&1

# Firmware payloads (firmware/arm64/): exit device, SYSTEM_OFF, SYSTEM_RESET,
# the marker; CPU_ON for three secondaries.
check hello "$vmm" --firmware "$fw/hello.bin" --cmdline "exit=42 marker" --stats
check hello-off "$vmm" --firmware "$fw/hello.bin"
check hello-reset "$vmm" --firmware "$fw/hello.bin" --cmdline reset
check smp "$vmm" --firmware "$fw/smp.bin" --cpus 4

# Linux from the initramfs: the ready line, the architecture, a command from
# the command line and its exit status back through the exit device.
check linux "$vmm" --kernel "$img/Image" --initrd "$img/initramfs.cpio" --stats \
	--cmdline '-- /bin/sh -c "uname -m; echo isolab-cmd-$((6 * 7)); exit 7"'

# Linux on 2 vCPUs with its root on virtio-blk: a file on the ext4 root and
# raw bytes at 4 KiB into a second disk, both written through to the host.
check disk "$vmm" --kernel "$img/Image" --disk "$root_disk" --disk "$data_disk" --cpus 2 --stats \
	--cmdline 'root=/dev/vda rw -- /bin/sh -c "echo cpus=$(nproc); echo isolab-durable-42 >/durable && printf isolab-raw-42 | dd of=/dev/vdb bs=4096 seek=1 conv=fsync 2>/dev/null && sync && echo written"'

# Snapshots (issue 14): the counter paused, snapshotted and restored (with
# a secondary vCPU left off); the snapshot corrupted, truncated, or an x86
# one ($out/x86-snap when the host could take it) refused in one line; a
# Linux guest snapshotted at its shell prompt, restored, answers what is
# typed after and reads the file it wrote on virtio-blk before. Snapshots
# and monitor sockets live in L1's RAM (/tmp), not on the 9p checkout.
snaps=/tmp/isolab-armsnap
mkdir -p $snaps
mon() { timeout 60 "$vmm" monitor "$@" >>"$out/snap-monitor.out" 2>&1; }
# wait_for FILE PATTERN COUNT SECONDS: until FILE has COUNT lines matching PATTERN.
wait_for() {
	i=0
	while n=$(grep -c "$2" "$1" 2>/dev/null); [ "${n:-0}" -lt "$3" ] && [ $i -lt $(($4 * 5)) ]; do
		sleep 0.2
		i=$((i + 1))
	done
}
# bg NAME INPUT CMD...: CMD in the background with stdin from INPUT and NAME.out/.err, its
# monitor socket $sock awaited; bg_wait NAME records NAME.rc.
bg() {
	name=$1 input=$2
	shift 2
	timeout "$limit" "$@" <"$input" >"$out/$name.out" 2>"$out/$name.err" &
	bg_pid=$!
}
wait_sock() {
	i=0
	while [ ! -S "$sock" ] && [ $i -lt 300 ] && kill -0 $bg_pid 2>/dev/null; do
		sleep 0.2
		i=$((i + 1))
	done
}
bg_wait() { wait $bg_pid; echo $? >"$out/$1.rc"; }

sock=$snaps/count.sock
bg count-before /dev/null "$vmm" --firmware "$fw/counter.bin" --cpus 2 --monitor "unix:$sock"
wait_sock
wait_for "$out/count-before.out" '^count' 5 60
mon "$sock" pause
mon "$sock" snapshot $snaps/count
mon "$sock" quit
bg_wait count-before
rm -f "$sock"
bg count-after /dev/null "$vmm" --restore $snaps/count --cpus 2 --monitor "unix:$sock" --stats
wait_sock
wait_for "$out/count-after.out" '^count' 5 60
mon "$sock" quit
bg_wait count-after

mkdir -p $snaps/bad
cp $snaps/count/memory $snaps/bad/memory
size=$(wc -c <$snaps/count/state)
cp $snaps/count/state $snaps/bad/state
printf '\377' | dd of=$snaps/bad/state bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
check snap-corrupt "$vmm" --restore $snaps/bad --cpus 2
head -c $((size / 2)) $snaps/count/state >$snaps/bad/state
check snap-truncated "$vmm" --restore $snaps/bad --cpus 2
if [ -e "$out/x86-snap/state" ]; then
	check snap-x86 "$vmm" --restore "$out/x86-snap" --cpus 2
fi

# Linux at its shell prompt; what is typed after the restore comes from a fifo.
sock=$snaps/linux.sock
mkfifo $snaps/in-before $snaps/in-after
bg linux-before $snaps/in-before "$vmm" --kernel "$img/Image" --disk "$snap_disk" --cpus 2 \
	--monitor "unix:$sock" \
	--cmdline 'root=/dev/vda rw -- /bin/sh -c "echo isolab-before-$((6 * 7)) >/snapfile && sync && echo snap-ready && exec /bin/sh"'
exec 3>$snaps/in-before
wait_for "$out/linux-before.out" '^snap-ready' 1 "$limit"
sleep 1
mon "$sock" pause
mon "$sock" snapshot $snaps/linux
mon "$sock" quit
bg_wait linux-before
exec 3>&-
rm -f "$sock"
bg linux-after $snaps/in-after "$vmm" --restore $snaps/linux --disk "$snap_disk" --cpus 2 --stats
exec 3>$snaps/in-after
sleep 2
echo 'cat /snapfile' >&3
echo 'echo answer-$((6 * 7))' >&3
echo 'echo isolab-after-7 >/snapfile2; sync' >&3
echo 'exit 7' >&3
bg_wait linux-after
exec 3>&-

# Live migration of the counter (vmm/migration/: the same arch hooks, KVM's
# dirty log): source and target on 2 vCPUs, the target waiting on its socket.
timeout "$limit" "$vmm" --firmware "$fw/counter.bin" --cpus 2 --incoming "unix:$snaps/mig.in" \
	--monitor "unix:$snaps/mig-target.sock" --stats </dev/null >"$out/mig-target.out" \
	2>"$out/mig-target.err" &
target_pid=$!
sock=$snaps/mig-source.sock
bg mig-source /dev/null "$vmm" --firmware "$fw/counter.bin" --cpus 2 --monitor "unix:$sock" --stats
wait_sock
wait_for "$out/mig-source.out" '^count' 5 60
i=0
while [ ! -S $snaps/mig.in ] && [ $i -lt 300 ]; do
	sleep 0.2
	i=$((i + 1))
done
timeout 120 "$vmm" monitor "$sock" migrate "unix:$snaps/mig.in" >"$out/mig-monitor.out" 2>&1
bg_wait mig-source
wait_for "$out/mig-target.out" '^count' 4 60
timeout 60 "$vmm" monitor $snaps/mig-target.sock quit >/dev/null 2>&1
wait $target_pid
echo $? >"$out/mig-target.rc"
