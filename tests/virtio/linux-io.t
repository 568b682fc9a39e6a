#!/usr/bin/env bash
# Real Linux guest on the virtio devices, in one boot: root file system on
# virtio-blk (a copy of rootfs.ext4), a second disk read-only, virtio-net on
# a TAP vmm creates, virtio-rng, virtio-console (hvc0 on vmm's stdout). The
# guest writes a file, syncs, checks the read-only disk refuses writes, talks
# TCP to the host both ways, reads /dev/hwrng, writes a line to hvc0 only,
# talks vsock to the host both ways (virtio-vsock through the host's
# vhost-vsock) and powers off; the host then reads the file back out of the
# image with debugfs.
#
# A real KVM only (hardware, or the lab host: tests/nested/linux-io.t runs
# this there): on a PVM host one boot takes minutes, and PVM hosts have no
# vhost-vsock; tests/vmm/linux-boot.t keeps a PVM boot.
. "$(dirname "$0")/../lib.sh"
need_linux_guest --net
guest_vsock

scratch_dir

cp "$rootfs" "$tmp/root.ext4"
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
say ro-flag $(cat /sys/block/vdb/ro)
if dd if=/dev/zero of=/dev/vdb bs=512 count=1 2>/tmp/dd.err; then say ro-write accepted; else say ro-write refused $(cat /tmp/dd.err); fi
say hwrng $(head -c 16 /dev/hwrng | od -An -tx1 | tr -d ' \n')
# Only to hvc0: the token can reach vmm's stdout through virtio-console alone.
[ -c /dev/hvc0 ] && echo "HVC: virtio-console hvc0 works" >/dev/hvc0
gw=$(ip route | sed -n 's/^default via \([0-9.]*\).*/\1/p')
say gateway $gw
# The host's side may still be starting (it runs emulated in the lab host): retry.
i=0
while [ $i -lt 60 ]; do
	if echo guest-to-host | timeout 10 nc "$gw" 7101; then
		say sent
		break
	fi
	i=$((i + 1))
	sleep 0.5
done
timeout 60 nc -l -p 7102 >/tmp/from-host &
say listening
sleep 1
i=0
while [ $i -lt 60 ] && ! grep -q host-to-guest /tmp/from-host 2>/dev/null; do sleep 1; i=$((i + 1)); done
say received $(cat /tmp/from-host)
if [ -x /lio-vsock-peer ]; then
	/lio-vsock-peer serve 7104 >/tmp/vsock-serve 2>&1 &
	i=0
	while [ $i -lt 50 ] && ! grep -q listening /tmp/vsock-serve; do sleep 0.1; i=$((i + 1)); done
	say vsock-listening
	say vsock-send $(/lio-vsock-peer send 2 7103 guest-to-host-vsock 2>&1)
	wait
	say vsock-serve $(cat /tmp/vsock-serve)
fi
say done
GUEST
chmod +x "$tmp/guest.sh"
image_put "$tmp/root.ext4" "$tmp/guest.sh" /lio-guest.sh
[ -z "$vsock" ] || image_put "$tmp/root.ext4" "$vsock_peer" /lio-vsock-peer

# Host side of the TCP checks: accept one line on 7101 once the TAP exists,
# then connect to the guest's 7102 when it says it listens.
cat >"$tmp/host.py" <<'HOST'
import re, socket, sys, time
log, console, out, cid = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
deadline = time.time() + 900
# Listening before the guest boots: it connects to the host (CID 2) when it gets there.
vsrv = None
if cid:
    vsrv = socket.socket(socket.AF_VSOCK, socket.SOCK_STREAM)
    vsrv.bind((socket.VMADDR_CID_ANY, 7103))
    vsrv.listen(1)
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
conn.close() # the guest's nc exits at this EOF
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
if vsrv:
    vsrv.settimeout(120)
    conn, _ = vsrv.accept()
    line = conn.makefile().readline().strip()
    conn.sendall(b"host-reply-vsock\n")
    conn.close()
    wait_for(console, r"LIO: vsock-listening")
    s = socket.socket(socket.AF_VSOCK, socket.SOCK_STREAM)
    s.settimeout(60)
    s.connect((int(cid), 7104))
    s.sendall(b"host-to-guest-vsock\n")
    ack = s.makefile().readline().strip()
    open(out + "-vsock", "w").write("%s %s\n" % (line, ack))
HOST

python3 "$tmp/host.py" "$tmp/vmm.err" "$tmp/console" "$tmp/from-guest" "$vsock" &
host_pid=$!
timeout -k 5 900 "$vmm" --kernel "$kernel" --mem 128M --disk "$tmp/root.ext4" \
	--disk "$tmp/ro.img,ro" --net tap --rng --hvc --stats ${vsock:+--vsock cid=$vsock} \
	--cmdline "root=/dev/vda rw init=/init -- /lio-guest.sh" </dev/null >"$tmp/console" 2>"$tmp/vmm.err" &
vmm_pid=$!
wait "$vmm_pid"
rc=$?
# The host side is done once the guest is gone, whatever it got to.
stop_pid --grace 2 "$host_pid"
# Only the guest script's lines: the kernel log would drown any diagnostic.
lio=$(grep -a '^LIO:' "$tmp/console" | tr -d '\r')
console=$(tr -d '\r' <"$tmp/console")
stats=$(cat "$tmp/vmm.err")
is "$rc" 0 "vmm exited cleanly"
like "$console" "virtio_blk virtio[0-9]+: \[vda\]" "the kernel finds the first --disk as vda"
like "$console" "virtio_blk virtio[0-9]+: \[vdb\]" "the kernel finds the read-only --disk as vdb"
like "$console" "VFS: Mounted root \(ext4 filesystem\)" "the kernel mounts its root file system from virtio-blk"
like "$stats" "virtio_blk0_requests: [1-9]" "--stats counts virtio-blk requests"
like "$stats" "virtio_rng0_requests: [1-9]" "the kernel draws entropy from virtio-rng"
like "$stats" "vmm: net0: TAP [^,]+, host " "vmm reports the TAP it created"
like "$lio" "LIO: done" "guest booted from virtio-blk and ran its script to the end"
like "$lio" "LIO: root /dev/(vda|root)" "root file system is /dev/vda"
written=$(sed -n 's/^LIO: wrote //p' <<<"$lio")
got=$(debugfs -R "cat /lio-written.txt" "$tmp/root.ext4" 2>/dev/null)
ok $([ -n "$written" ] && [ "$got" = "$written" ]; echo $?) "the guest's synced file is in the image on the host"
[ -n "$written" ] && [ "$got" != "$written" ] && diag "guest wrote '$written', image has '$got'"
like "$lio" "LIO: ro-head RRRR" "read-only disk is readable"
like "$lio" "LIO: ro-flag 1" "the guest sees the disk as read-only"
like "$lio" "LIO: ro-write refused" "read-only disk refuses writes"
is "$(sha256sum <"$tmp/ro.img")" "$ro_sum" "read-only image unchanged"
hwrng=$(sed -n 's/^LIO: hwrng //p' <<<"$lio")
ok $([[ $hwrng =~ ^[0-9a-f]{32}$ ]] && [[ ! $hwrng =~ ^0+$ ]]; echo $?) "/dev/hwrng returns random bytes"
is "$(cat "$tmp/from-guest" 2>/dev/null)" "guest-to-host" "TCP guest -> host over the TAP"
like "$lio" "LIO: received host-to-guest" "TCP host -> guest over the TAP"
like "$console" "HVC: virtio-console hvc0 works" "the guest's write to /dev/hvc0 reaches vmm's stdout (virtio-console)"
if [ -n "$vsock" ]; then
	like "$lio" "LIO: vsock-send vsock-reply: host-reply-vsock" "vsock: guest -> host (CID 2) and the host's reply back"
	is "$(cat "$tmp/from-guest-vsock" 2>/dev/null)" "guest-to-host-vsock ack" \
		"vsock: the host got the guest's line, then connected to CID $vsock and got the guest's ack"
	like "$lio" "LIO: vsock-serve .*vsock-got: host-to-guest-vsock" "vsock: host -> guest (the guest's listener got the line)"
else
	skip "vsock: no /dev/vhost-vsock or no vsock-peer"
	skip "vsock"
	skip "vsock"
fi
tap=$(sed -n 's/.*TAP \([^,]*\),.*/\1/p' "$tmp/vmm.err" | head -1)
ok $([ -n "$tap" ] && [ ! -e "/sys/class/net/$tap" ]; echo $?) "TAP $tap removed at exit"
if ! grep -q '^LIO: done' "$tmp/console"; then
	diag "console tail:"
	tail -n 15 "$tmp/console" | sed 's/^/#   /'
	tail -n 5 "$tmp/vmm.err" | sed 's/^/#   /'
fi
done_testing
