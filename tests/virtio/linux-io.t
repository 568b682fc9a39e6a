#!/usr/bin/env bash
# Real Linux guest on the virtio devices, in one boot: root file system on
# virtio-blk (a copy of rootfs.ext4), a second disk read-only, virtio-net on
# a TAP vmm creates, virtio-rng. The guest writes a file, syncs, checks the
# read-only disk refuses writes, talks TCP to the host both ways, reads
# /dev/hwrng and powers off; the host then reads the file back out of the
# image with debugfs.
. "$(dirname "$0")/../lib.sh"
need_root
need_kvm
vmm=$ISOLAB_BIN/vmm
[ -x "$vmm" ] || skip_all "vmm not built"
"$vmm" --help 2>/dev/null | grep -q -- '--disk' || skip_all "vmm has no --disk yet (virtio not wired into the CLI)"
# The ELF vmlinux (PVH) first: where KVM emulates guest kernel code, a
# bzImage spends many minutes decompressing itself.
kernel=$ISOLAB_IMAGES/vmlinux
[ -f "$kernel" ] || kernel=$ISOLAB_IMAGES/bzImage
[ -f "$kernel" ] && [ -f "$ISOLAB_IMAGES/rootfs.ext4" ] || skip_all "guest images not built (make images)"
command -v debugfs >/dev/null || skip_all "debugfs missing (apt-get install e2fsprogs)"
command -v python3 >/dev/null || skip_all "python3 missing"
[ -c /dev/net/tun ] || skip_all "no /dev/net/tun"

tmp=$(mktemp -d)
vmm_pid=
cleanup() {
	[ -n "$vmm_pid" ] && kill "$vmm_pid" 2>/dev/null && wait "$vmm_pid" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT

cp "$ISOLAB_IMAGES/rootfs.ext4" "$tmp/root.ext4"
head -c 1048576 /dev/zero | tr '\0' 'R' >"$tmp/ro.img"
ro_sum=$(sha256sum <"$tmp/ro.img")

# The guest's side, run by /init after boot (words after "--" on the cmdline).
cat >"$tmp/guest.sh" <<'GUEST'
#!/bin/sh
say() { echo "LIO: $*"; }
say root $(grep ' / ' /proc/mounts | cut -d' ' -f1)
echo "virtio-blk-bytes-$(cat /proc/sys/kernel/random/boot_id 2>/dev/null | cut -c1-8)" >/lio-written.txt
cat /lio-written.txt | sed 's/^/LIO: wrote /'
sync
say ro-head $(head -c 4 /dev/vdb)
if echo overwrite | dd of=/dev/vdb bs=512 count=1 conv=sync,fsync 2>/dev/null; then say ro-write accepted; else say ro-write refused; fi
say hwrng $(head -c 16 /dev/hwrng | od -An -tx1 | tr -d ' \n')
gw=$(ip route | sed -n 's/^default via \([0-9.]*\).*/\1/p')
say gateway $gw
echo guest-to-host | timeout 20 nc "$gw" 7101 && say sent
timeout 60 nc -l -p 7102 >/tmp/from-host &
say listening
sleep 1
i=0
while [ $i -lt 60 ] && ! grep -q host-to-guest /tmp/from-host 2>/dev/null; do sleep 1; i=$((i + 1)); done
say received $(cat /tmp/from-host)
GUEST
chmod +x "$tmp/guest.sh"
debugfs -w -R "write $tmp/guest.sh /lio-guest.sh" "$tmp/root.ext4" >/dev/null 2>&1
debugfs -w -R "set_inode_field /lio-guest.sh mode 0100755" "$tmp/root.ext4" >/dev/null 2>&1

# Host side of the TCP checks: accept one line on 7101 once the TAP exists,
# then connect to the guest's 7102 when it says it listens.
cat >"$tmp/host.py" <<'HOST'
import re, socket, sys, time
log, console, out = sys.argv[1], sys.argv[2], sys.argv[3]
deadline = time.time() + 900
def wait_for(path, pattern):
    while time.time() < deadline:
        try:
            m = re.search(pattern, open(path, errors="replace").read())
            if m:
                return m
        except FileNotFoundError:
            pass
        time.sleep(0.5)
    sys.exit("timed out waiting for " + pattern)
m = wait_for(log, r"TAP \S+, host ([0-9.]+)/24, guest ([0-9.]+)")
host, guest = m.group(1), m.group(2)
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind((host, 7101))
srv.listen(1)
srv.settimeout(deadline - time.time())
conn, _ = srv.accept()
data = conn.makefile().readline().strip()
open(out, "w").write(data + "\n")
wait_for(console, r"LIO: listening")
for _ in range(60):
    try:
        s = socket.create_connection((guest, 7102), timeout=5)
        s.sendall(b"host-to-guest\n")
        s.close()
        break
    except OSError:
        time.sleep(1)
HOST

python3 "$tmp/host.py" "$tmp/vmm.err" "$tmp/console" "$tmp/from-guest" &
host_pid=$!
timeout -k 5 900 "$vmm" --kernel "$kernel" --mem 128M --disk "$tmp/root.ext4" \
	--disk "$tmp/ro.img,ro" --net tap --rng --stats \
	--cmdline "root=/dev/vda rw -- /lio-guest.sh" </dev/null >"$tmp/console" 2>"$tmp/vmm.err" &
vmm_pid=$!
wait "$vmm_pid"
rc=$?
vmm_pid=
wait "$host_pid" 2>/dev/null
console=$(cat "$tmp/console")
is "$rc" 0 "guest booted from virtio-blk and powered off"
like "$console" "LIO: root /dev/(vda|root)" "root file system is /dev/vda"
written=$(sed -n 's/^LIO: wrote //p' <<<"$console" | tr -d '\r')
ok $([ -n "$written" ]; echo $?) "guest wrote a file"
got=$(debugfs -R "cat /lio-written.txt" "$tmp/root.ext4" 2>/dev/null)
is "$got" "$written" "the guest's synced file is in the image on the host"
like "$console" "LIO: ro-head RRRR" "read-only disk is readable"
like "$console" "LIO: ro-write refused" "read-only disk refuses writes"
is "$(sha256sum <"$tmp/ro.img")" "$ro_sum" "read-only image unchanged"
like "$console" "LIO: hwrng [0-9a-f]{32}" "/dev/hwrng returns bytes"
unlike "$console" "LIO: hwrng 0{32}" "/dev/hwrng bytes are not all zero"
is "$(cat "$tmp/from-guest" 2>/dev/null)" "guest-to-host" "TCP guest -> host over the TAP"
like "$console" "LIO: received host-to-guest" "TCP host -> guest over the TAP"
like "$(cat "$tmp/vmm.err")" "virtio_blk0_requests: [1-9]" "--stats counts virtio-blk requests"
tap=$(sed -n 's/.*TAP \([^,]*\),.*/\1/p' "$tmp/vmm.err" | head -1)
ok $([ -n "$tap" ] && [ ! -e "/sys/class/net/$tap" ]; echo $?) "TAP $tap removed at exit"
[ "$rc" = 0 ] || { diag "console tail:"; tail -n 20 "$tmp/console" | sed 's/^/#   /'; tail -n 5 "$tmp/vmm.err" | sed 's/^/#   /'; }
done_testing
