#!/usr/bin/env bash
# Live migration between two vmm processes (vmm/migration/README.md): the
# monitor's `migrate unix:PATH` to `vmm --incoming unix:PATH`. A counter
# (firmware/counter.c, 2 vCPUs) goes on at the target with no step lost or
# repeated and the source exits 0; a guest writing its memory throughout
# (firmware/dirty_rate.c, which checks every page it rewrites) finds no page
# stale; a target that dies or refuses leaves the source running with the
# reason in the answer; malformed streams are refused in one line.
. "$(dirname "$0")/../lib.sh"
need_firmware_vm counter.bin dirty_rate.bin
command -v python3 >/dev/null || skip_all "needs python3 for the hostile peers"
tmp=$(mktemp -d)
pids=()
cleanup() {
	stop_pid "${pids[@]}"
	rm -rf "$tmp"
}
trap cleanup EXIT

mon() { run --timeout 120 "$VMM" monitor "$1" "${@:2}"; }
# source NAME ARGS...: a guest with a monitor at $tmp/NAME.sock, console $tmp/NAME.out
source_vm() {
	local name=$1
	shift
	timeout 300 "$VMM" "$@" --monitor "unix:$tmp/$name.sock" --console "$tmp/$name.out" \
		2>"$tmp/$name.err" &
	src_pid=$!
	pids+=("$src_pid")
	wait_until 60 test -S "$tmp/$name.sock"
}
# target NAME ARGS...: vmm --incoming unix:$tmp/NAME.in, monitor $tmp/NAME.sock
target_vm() {
	local name=$1
	shift
	timeout 300 "$VMM" "$@" --incoming "unix:$tmp/$name.in" --monitor "unix:$tmp/$name.sock" \
		--console "$tmp/$name.out" --stats 2>"$tmp/$name.err" &
	dst_pid=$!
	pids+=("$dst_pid")
	wait_until 60 test -S "$tmp/$name.in"
}

# --- a counter on 2 vCPUs moves; the source exits 0 once the target runs it
source_vm a --firmware "$FW/counter.bin" --cpus 2 --stats
target_vm b --firmware "$FW/counter.bin" --cpus 2
ok "$?" "the target waits on its --incoming socket"
wait_until 60 has_lines "$tmp/a.out" 3
mon "$tmp/a.sock" migrate "unix:$tmp/b.in"
is "$rc" 0 "migrate answers without an error"
like "$out" "migrated to unix:$tmp/b.in; the guest runs there now" "the answer says where it went"
like "$out" "migration_downtime_us: [0-9]+" "the answer gives the downtime"
like "$out" "migration_round0_pages: [0-9]+" "and the pages sent per round"
like "$out" "migration_total_ms: [0-9]+" "and the total time"
wait "$src_pid"
is "$?" 0 "the source exits 0"
like "$(cat "$tmp/a.err")" "migration_downtime_us: [0-9]+" "the source's --stats has the figures"
before=$(lines "$tmp/a.out")
wait_until 60 has_lines "$tmp/b.out" 3
ok "$?" "the target prints on"
mon "$tmp/b.sock" quit
wait "$dst_pid"
is "$?" 0 "the target quits with status 0"
count_run "$tmp/a.out" "$tmp/b.out"
ok "$?" "source then target console: one count, none lost or repeated ($before + $(lines "$tmp/b.out") lines)"
like "$(cat "$tmp/b.err")" "migration_incoming_pages: [0-9]+" "the target's --stats counts what came"
unlike "$(cat "$tmp/a.err" "$tmp/b.err")" "AddressSanitizer|runtime error" "no sanitizer report"

# --- a disk moves with the guest: its lock passes from the source to the target
head -c 1048576 /dev/zero >"$tmp/disk.img"
source_vm h --firmware "$FW/counter.bin" --disk "$tmp/disk.img"
target_vm i --firmware "$FW/counter.bin" --disk "$tmp/disk.img"
ok "$?" "the target starts on a disk the source holds (it locks it when the guest arrives)"
wait_until 60 has_lines "$tmp/h.out" 2
mon "$tmp/h.sock" migrate "unix:$tmp/i.in"
is "$rc" 0 "a guest with a --disk migrates"
wait "$src_pid"
is "$?" 0 "its source exits 0"
run --timeout 30 "$VMM" --firmware "$FW/counter.bin" --disk "$tmp/disk.img"
like "$err" "disk $tmp/disk.img: in use by another process" "the target holds the disk's lock now"
mon "$tmp/i.sock" quit
wait "$dst_pid"
is "$?" 0 "the target quits with status 0"

# --- a guest that rewrites its memory all along: every page it finds is the one it wrote
guest=(--firmware "$FW/dirty_rate.bin" --cmdline "rate=64 mib=4")
source_vm c "${guest[@]}"
target_vm d "${guest[@]}"
wait_until 60 has_lines "$tmp/c.out" 2
mon "$tmp/c.sock" migrate "unix:$tmp/d.in"
is "$rc" 0 "a guest writing 64 MiB/s migrates"
like "$out" "migration_rounds: [0-9]+" "in rounds"
wait "$src_pid"
is "$?" 0 "its source exits 0"
wait_until 60 has_lines "$tmp/d.out" 2
mon "$tmp/d.sock" quit
wait "$dst_pid"
is "$?" 0 "the target ran on without finding a stale page (exit 3 if it had)"
unlike "$(cat "$tmp/d.out")" "stale page" "no stale page reported"

# --- a guest rewriting 1 MiB as fast as it can, over a stream held to 8 MiB/s
# that must send everything (downtime=0): it never converges by itself, so
# auto-converge throttles it step by step (its vCPU sleeps, and it still finds
# every page it wrote); throttle=off keeps it at full speed; bad options are
# refused before anything is sent
busy=(--firmware "$FW/dirty_rate.bin" --cmdline "rate=1000000 mib=1") # never done: no tick
slow=(downtime=0 bandwidth=8)
source_vm t "${busy[@]}"
target_vm u "${busy[@]}"
wait_until 60 has_lines "$tmp/t.out" 1 # tsc_khz: it writes from here on, ticking no more
for bad in downtime=x downtime=-1 downtime=60001 downtime= bandwidth=1M throttle=maybe speed=9; do
	mon "$tmp/t.sock" migrate "unix:$tmp/u.in" "$bad"
	like "$out" "^error: .*(downtime=MS|bandwidth=MIB|unknown migrate option)" \
		"migrate $bad: refused in one line"
done
mon "$tmp/t.sock" migrate "unix:$tmp/u.in" "${slow[@]}"
is "$rc" 0 "${slow[*]}: the guest migrates"
like "$out" "migration_throttle_pct: [2-9]0" "throttled by auto-converge"
throttled=$(sed -n 's/^migration_throttled_ms: \([0-9]*\).*/\1/p' <<<"$out")
ok $([ "${throttled:-0}" -gt 0 ]; echo $?) "its vCPU slept for it (${throttled:-?} ms)"
wait "$src_pid"
is "$?" 0 "its source exits 0"
sleep 1 # it writes on, checking each page
mon "$tmp/u.sock" quit
wait "$dst_pid"
is "$?" 0 "the throttled guest ran on at the target without a stale page"
source_vm v "${busy[@]}"
target_vm w "${busy[@]}"
wait_until 60 has_lines "$tmp/v.out" 1
mon "$tmp/v.sock" migrate "unix:$tmp/w.in" "${slow[@]}" throttle=off
is "$rc" 0 "throttle=off: the guest migrates"
like "$out" "migration_throttle_pct: 0" "not throttled"
like "$out" "migration_throttled_ms: 0.0" "its vCPU never slept"
wait "$src_pid"
sleep 1
mon "$tmp/w.sock" quit
wait "$dst_pid"
is "$?" 0 "and ran on at the target"

# --- a target that dies mid-stream: the source says so and runs on
source_vm e --firmware "$FW/counter.bin"
wait_until 60 has_lines "$tmp/e.out" 2
python3 - "$tmp/dies.in" <<'EOF' &
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1]); s.listen(1)
c, _ = s.accept()
c.recv(4096)
c.close()  # gone after the header
EOF
pids+=($!)
wait_until 60 test -S "$tmp/dies.in"
mon "$tmp/e.sock" migrate "unix:$tmp/dies.in"
is "$rc" 1 "a migration whose target dies is an error"
like "$out" "^error: migration to unix:$tmp/dies.in failed: .*; the guest runs on here" \
	"the answer says it failed and the guest runs on"
n=$(lines "$tmp/e.out")
wait_until 60 has_lines "$tmp/e.out" $((n + 3))
ok "$?" "the source's guest keeps counting"
mon "$tmp/e.sock" migrate "unix:$tmp/nobody.in"
like "$out" "error: migration to unix:$tmp/nobody.in failed: cannot connect" "no one listening: an error"
mon "$tmp/e.sock" migrate "tcp:localhost:4444"
like "$out" "error: migrate to unix:PATH" "only unix:PATH"

# --- a target that refuses (another --mem): the reason reaches the source
target_vm f --firmware "$FW/counter.bin" --mem 64M
mon "$tmp/e.sock" migrate "unix:$tmp/f.in"
like "$out" "error: .*the target refused: .*same --mem" "a refusing target: its reason in the answer"
wait "$dst_pid"
is "$?" 1 "the refusing target exits 1"
like "$(cat "$tmp/f.err")" "vmm: incoming migration: .*RAM region" "and says why"
mon "$tmp/e.sock" quit
wait "$src_pid"
is "$?" 0 "the source that kept its guest quits with 0"
count_run "$tmp/e.out"
ok "$?" "its count never broke"

# --- a guest with a TAP: the target runs on the source's own TAP (its fd handed over)
# holds_tap PID NAME: one of the process's fds (or its child's, under timeout) is that TAP
holds_tap() {
	local p
	for p in "$1" $(pgrep -P "$1"); do
		grep -qs "^iff:[[:space:]]*$2\$" /proc/"$p"/fdinfo/* && return 0
	done
	return 1
}
tap=vmnet$$
if [ "$(id -u)" != 0 ] || [ ! -c /dev/net/tun ]; then
	skip "TAP migration: needs root and /dev/net/tun"
else
	source_vm t --firmware "$FW/counter.bin" --net "tap,name=$tap"
	target_vm u --firmware "$FW/counter.bin" --net "tap,name=$tap"
	ok "$?" "the target of a VM with a TAP starts while the source holds the TAP"
	wait_until 60 has_lines "$tmp/t.out" 2
	addr=$(ip -br addr show "$tap" | awk '{print $3}')
	mon "$tmp/t.sock" migrate "unix:$tmp/u.in"
	is "$rc" 0 "a guest with --net tap migrates on one host"
	wait "$src_pid"
	is "$?" 0 "its source exits 0"
	like "$(cat "$tmp/u.err")" "net0: TAP $tap, handed over by the migration's source" \
		"the target says it took the source's TAP"
	holds_tap "$dst_pid" "$tap"
	ok "$?" "the target holds the TAP"
	is "$(ip -br addr show "$tap" 2>/dev/null | awk '{print $3}')" "$addr" \
		"the TAP vmm created outlives its source, with the address it gave it ($addr)"
	mon "$tmp/u.sock" quit
	wait "$dst_pid"
	is "$?" 0 "the target quits with status 0"
	ok "$(! ip link show "$tap" >/dev/null 2>&1; echo $?)" "the TAP goes with its last vmm"

	# A target that takes the TAP's fd and dies: the source runs on with its own.
	source_vm v --firmware "$FW/counter.bin" --net "tap,name=$tap"
	wait_until 60 has_lines "$tmp/v.out" 2
	python3 - "$tmp/grab.in" <<'EOF2' &
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1]); s.listen(1)
c, _ = s.accept()
while True:
    data, anc, _, _ = c.recvmsg(1 << 16, socket.CMSG_SPACE(4))
    if anc or not data:
        break
c.close()  # gone with the TAP's fd in hand
EOF2
	pids+=($!)
	wait_until 60 test -S "$tmp/grab.in"
	mon "$tmp/v.sock" migrate "unix:$tmp/grab.in"
	like "$out" "^error: migration to unix:$tmp/grab.in failed: .*; the guest runs on here" \
		"a target that dies holding the TAP's fd: the migration fails"
	holds_tap "$src_pid" "$tap"
	ok "$?" "the source still holds its TAP"
	n=$(lines "$tmp/v.out")
	wait_until 60 has_lines "$tmp/v.out" $((n + 2))
	ok "$?" "and its guest runs on"
	mon "$tmp/v.sock" quit
	wait "$src_pid"
	is "$?" 0 "that source quits with 0"
fi

# --- malformed streams: one line, exit 1, nothing run
# send_stream NAME PYTHON-EXPR: connects to $tmp/NAME.in and sends the bytes of the expression
send_stream() {
	python3 - "$tmp/$1.in" "$2" <<'EOF'
import socket, struct, sys, zlib
def header(regions=((0, 128 << 20),), version=1):
    h = b"isolabMG" + struct.pack("<IIII", version, 4096, len(regions), 0)
    for gpa, size in regions:
        h += struct.pack("<QQ", gpa, size)
    return h + struct.pack("<I", zlib.crc32(h))
def record(kind, payload, claim=None):
    head = struct.pack("<II", kind, len(payload) if claim is None else claim)
    return head + payload + struct.pack("<I", zlib.crc32(head + payload))
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(eval(sys.argv[2]))
s.shutdown(socket.SHUT_WR)
s.recv(4096)
EOF
}
bad_stream() {
	local what=$1 stream=$2 msg=$3
	target_vm g --firmware "$FW/counter.bin"
	send_stream g "$stream"
	wait "$dst_pid"
	is "$?" 1 "$what: the target exits 1"
	like "$(cat "$tmp/g.err")" "vmm: incoming migration: .*$msg" "$what: a line says why"
	ok "$([ "$(lines "$tmp/g.err")" -le 3 ]; echo $?)" "$what: and little else ($(lines "$tmp/g.err") lines)"
	is "$(cat "$tmp/g.out" 2>/dev/null)" "" "$what: the guest never ran"
}
bad_stream "garbage" 'b"GET / HTTP/1.0\r\n\r\n" * 2' "not a vmm migration stream"
bad_stream "another version" 'header(version=9)' "migration stream version 9"
bad_stream "a truncated stream" 'header() + record(1, bytes(100))[:50]' \
	"the peer closed the connection after"
bad_stream "an oversized record" 'header() + record(3, b"", claim=0xffffffff)' \
	"record type 3 claims 4294967295 bytes, at most"
bad_stream "a corrupted record" 'header() + record(3, b"x" * 10)[:-1] + b"\0"' "fails its checksum"
bad_stream "a page outside RAM" \
	'header() + record(2, struct.pack("<IQ", 1, 1 << 40))' "not a page of guest RAM"
bad_stream "an end that does not add up" 'header() + record(4, struct.pack("<QQQ", 5, 0, 0))' \
	"not what the source says it sent"
bad_stream "bad state" 'header() + record(3, b"junk") + record(4, struct.pack("<QQQ", 4, 0, 0))' \
	"the CPU and device state did not load"

run --timeout 30 "$VMM" --firmware "$FW/counter.bin" --incoming tcp:1.2.3.4:5
is "$rc" 2 "--incoming other than unix:PATH is bad usage"
like "$err" "invalid --incoming 'tcp:1.2.3.4:5'" "and says so"
: >"$tmp/taken"
run --timeout 30 "$VMM" --firmware "$FW/counter.bin" --incoming "unix:$tmp/taken"
is "$rc" 1 "--incoming on a path that exists fails"
like "$err" "the path exists" "and says so"

# --- a target still waiting stops on SIGTERM or Ctrl-C: one line, non-zero, its socket gone
for sig in TERM INT; do
	"$VMM" --firmware "$FW/counter.bin" --incoming "unix:$tmp/w.in" 2>"$tmp/w.err" &
	w_pid=$!
	pids+=("$w_pid")
	wait_until 60 test -S "$tmp/w.in"
	kill -"$sig" "$w_pid"
	wait "$w_pid"
	st=$?
	ok "$([ "$st" -ne 0 ]; echo $?)" "SIG$sig stops a waiting --incoming with a non-zero status ($st)"
	is "$(grep -c . "$tmp/w.err")" 2 "SIG$sig: the waiting line and one more"
	like "$(cat "$tmp/w.err")" "vmm: stopped while waiting for a migration on unix:$tmp/w.in" \
		"SIG$sig: that says it stopped while waiting"
	ok "$([ ! -e "$tmp/w.in" ]; echo $?)" "SIG$sig: the socket path is removed"
done
# Mid-stream: the target stops on SIGTERM and refuses, so its source would resume.
"$VMM" --firmware "$FW/counter.bin" --incoming "unix:$tmp/w.in" 2>"$tmp/w.err" &
w_pid=$!
pids+=("$w_pid")
wait_until 60 test -S "$tmp/w.in"
python3 - "$tmp/w.in" "$tmp/w.nack" <<'EOF2' &
import socket, struct, sys, zlib
h = b"isolabMG" + struct.pack("<IIII", 1, 4096, 1, 0) + struct.pack("<QQ", 0, 128 << 20)
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(h + struct.pack("<I", zlib.crc32(h)))
open(sys.argv[2], "wb").write(s.recv(4096))  # silent after the header: the answer, or EOF
EOF2
peer_pid=$!
pids+=("$peer_pid")
sleep 1
kill -TERM "$w_pid"
wait "$w_pid"
st=$?
is "$st" 143 "SIGTERM mid-stream stops the target with 128+15"
like "$(cat "$tmp/w.err")" "incoming migration: .*stopped by a signal" "and one line says so"
wait "$peer_pid"
like "$(tr -c '[:print:]' . <"$tmp/w.nack")" "stopped by a signal" "the source hears the refusal"
done_testing
