#!/usr/bin/env bash
# A Linux guest's devices across a snapshot (vmm/virtio/README.md, "Snapshots
# and migration"): the guest appends a number to a file on its virtio-blk
# root, syncs, prints it and tries a new TCP connection to the host over its
# TAP, in a loop. The snapshot is taken mid-loop (pause, snapshot, quit);
# the restore, with the same --disk and --net tap,name=, goes on counting
# from the next number, its writes land in the image (the numbers on disk
# are one run, none lost or repeated), new TCP connections reach the host,
# and virtio-rng keeps serving. With vhost-vsock the guest also connects to
# the host over vsock each round: after the restore (vhost's ring positions
# set back, TRANSPORT_RESET sent) new vsock connections work too.
#
# A real KVM only (hardware, or the lab host, by hand: vmm/virtio/README.md
# says how; it takes too long there for make test).
. "$(dirname "$0")/../lib.sh"
need_linux_guest --net
guest_vsock

scratch_dir
tap=devst$(($$ % 100000))

cp "$rootfs" "$tmp/root.ext4"
cat >"$tmp/guest.sh" <<'GUEST'
#!/bin/sh
gw=$(ip route | sed -n 's/^default via \([0-9.]*\).*/\1/p')
head -c 16 /dev/hwrng >/dev/null && echo "SIO: hwrng"
i=0
while :; do
	echo $i >>/sio-data
	sync
	echo "SIO: tick $i"
	echo "tick $i" | timeout 2 nc "$gw" 7301 2>/dev/null
	[ -x /sio-vsock-peer ] && timeout 3 /sio-vsock-peer send 2 7302 "vtick $i" >/dev/null 2>&1
	i=$((i + 1))
	sleep 0.2
done
GUEST
chmod +x "$tmp/guest.sh"
image_put "$tmp/root.ext4" "$tmp/guest.sh" /sio-guest.sh
[ -z "$vsock" ] || image_put "$tmp/root.ext4" "$vsock_peer" /sio-vsock-peer

mon() { run --timeout 120 "$vmm" monitor "$1" "${@:2}"; }
ticks() { grep -a '^SIO: tick' "$1" | tr -d '\r' | awk '{print $3}'; }
devices=(--mem 128M --disk "$tmp/root.ext4" --net "tap,name=$tap" --rng ${vsock:+--vsock cid=$vsock})

timeout -k 5 900 "$vmm" --kernel "$kernel" "${devices[@]}" --monitor "unix:$tmp/a.sock" \
	--cmdline "root=/dev/vda rw init=/init -- /sio-guest.sh" </dev/null >"$tmp/before" 2>"$tmp/a.err" &
vmm_pid=$!
wait_line "$tmp/before" '^SIO: tick 5' 600 "$vmm_pid"
ok $? "the guest counts on its virtio-blk root"
like "$(cat "$tmp/before")" "SIO: hwrng" "the guest reads virtio-rng before the snapshot"
mon "$tmp/a.sock" pause
mon "$tmp/a.sock" snapshot "$tmp/snap"
is "$out" "snapshot written to $tmp/snap" "snapshot of the guest mid-I/O"
mon "$tmp/a.sock" quit
wait "$vmm_pid"
last=$(ticks "$tmp/before" | tail -1)
host_a=$(sed -n 's/.*TAP [^,]*, host \([0-9.]*\)\/24.*/\1/p' "$tmp/a.err")

# The host's end of the guest's connections: each new one after the restore is a line.
cat >"$tmp/host.py" <<'HOST'
import socket, sys, threading
def serve(family, addr, path, reply):
    srv = socket.socket(family, socket.SOCK_STREAM)
    if family == socket.AF_INET:
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(addr)
    srv.listen(8)
    with open(path, "a") as out:
        while True:
            conn, _ = srv.accept()
            out.write(conn.makefile().readline())
            out.flush()
            if reply:
                conn.sendall(b"ack\n")
            conn.close()
if sys.argv[3]:
    threading.Thread(target=serve, daemon=True,
                     args=(socket.AF_VSOCK, (socket.VMADDR_CID_ANY, 7302), sys.argv[3], True)).start()
serve(socket.AF_INET, (sys.argv[1], 7301), sys.argv[2], False)
HOST

timeout -k 5 900 "$vmm" --restore "$tmp/snap" "${devices[@]}" --monitor "unix:$tmp/b.sock" \
	</dev/null >"$tmp/after" 2>"$tmp/b.err" &
vmm_pid=$!
# tap_up: vmm has said the restored TAP's host address ($host_b) and the TAP has it.
tap_up() {
	host_b=$(sed -n 's/.*TAP [^,]*, host \([0-9.]*\)\/24.*/\1/p' "$tmp/b.err")
	[ -n "$host_b" ] && ip -4 addr show dev "$tap" 2>/dev/null | grep -q "$host_b"
}
wait_until 60 tap_up
is "$host_b" "$host_a" "the restored guest's TAP $tap has the host address it had"
python3 "$tmp/host.py" "$host_b" "$tmp/tcp" "${vsock:+$tmp/vsock}" &
host_pid=$!
wait_line "$tmp/after" "^SIO: tick $((last + 3))[^0-9]" 120 "$vmm_pid"
ok $? "the restored guest goes on counting" || {
	diag "restored console: $(tail -c 600 "$tmp/after" | tr -d '\r')"
	diag "restored vmm: $(cat "$tmp/b.err")"
	mon "$tmp/b.sock" info cpus
	diag "cpus: $out"
	sleep 2
	mon "$tmp/b.sock" info cpus
	diag "cpus 2 s later: $out"
	mon "$tmp/b.sock" info devices
	diag "devices: $out"
}
first=$(ticks "$tmp/after" | head -1)
is "$first" $((last + 1)) "it starts at the next number (last before the snapshot: $last)"
wait_line "$tmp/tcp" "^tick" 60 "$vmm_pid"
ok $? "a new TCP connection from the restored guest reaches the host"
after_tick=$(sed -n 's/^tick //p' "$tmp/tcp" | head -1)
ok "$([ "${after_tick:-0}" -gt "$last" ]; echo $?)" "...made after the restore (tick $after_tick)"
if [ -n "$vsock" ]; then
	wait_line "$tmp/vsock" "^vtick" 60 "$vmm_pid"
	ok $? "a new vsock connection from the restored guest reaches the host (cid $vsock)"
	vtick=$(sed -n 's/^vtick //p' "$tmp/vsock" | head -1)
	ok "$([ "${vtick:-0}" -gt "$last" ]; echo $?)" "...made after the restore (tick $vtick)"
fi
mon "$tmp/b.sock" quit
wait "$vmm_pid"
stop_pid "$host_pid"
end=$(ticks "$tmp/after" | tail -1)
debugfs -R "cat /sio-data" "$tmp/root.ext4" 2>/dev/null >"$tmp/data"
# Every number printed was synced before it was printed; one more may have been written.
awk -v end="$end" '$0 != NR - 1 { print "line " NR ": " $0; exit 1 }
	END { if (NR < end + 1) { print NR " numbers, " end + 1 " printed"; exit 1 } }' "$tmp/data" >"$tmp/data.check"
ok $? "the image holds 0..$end in one run: the writes before and after the snapshot landed"
[ -s "$tmp/data.check" ] && diag "$(cat "$tmp/data.check")"
unlike "$(cat "$tmp/a.err" "$tmp/b.err")" "guest error|snapshot:" "no device complained"
done_testing
