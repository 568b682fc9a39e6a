#!/usr/bin/env bash
# The monitor through its socket (vmm --monitor unix:PATH, vmm monitor PATH)
# against firmware/monitor_target.c: known registers, pause freezing the exit
# counters, memory dumps of the payload's bytes (physical, and virtual
# through the payload's own 4 KiB page tables), NMI delivery, and errors
# answered while the guest keeps running.
. "$(dirname "$0")/../lib.sh"
need_firmware_vm monitor_target.bin
scratch_dir
sock=$tmp/mon.sock

mon() { run --timeout 30 "$VMM" monitor "$sock" "$@"; }
# hex BYTES: the hex column of a dump, as one string
hex() { printf '%s\n' "$1" | sed 's/^[0-9a-f]*://; s/  |.*//' | tr -d ' \n'; }
io_exits() { printf '%s\n' "$1" | sed -n "s/^vcpu$2_exits_io: //p"; }

# --rng: a virtio device the payload has no driver for, so info devices has one to show.
timeout 300 "$VMM" --firmware "$FW/monitor_target.bin" --cpus 2 --monitor "unix:$sock" \
	--console "$tmp/console" --stats --rng 2>"$tmp/stderr" &
vmm_pid=$!
ready() { has_line "$tmp/console" "monitor target ready" && [ -S "$sock" ]; }
wait_until 30 ready
is "$(cat "$tmp/console")" "monitor target ready" "the payload mapped its high page and is spinning"
is "$(stat -c %a "$sock")" 600 "the socket is for its owner only"

mon info registers
is "$rc" 0 "info registers answers"
like "$out" "rbx=0x1111111111111111" "rbx holds the payload's value"
like "$out" "r12=0x0123456789abcdef r13=0xfeedfacecafebeef r14=0x00000000deadbeef r15=0x0000000000000000" \
	"r12-r15 hold the payload's values (r15 = vCPU index 0)"
like "$out" "CPU #0 \(long \(64-bit\)\)" "the vCPU is in long mode"
like "$out" "cr3=0x0000000000009000" "CR3 is vmm's boot page table"
like "$out" "efer=0x0000000000000500" "EFER has LME and LMA"
mon info registers 1
like "$out" "r15=0x0000000000000001" "vCPU 1 reports its own index in r15"

mon info cpus
like "$out" "CPU #0: running, runnable, rip=0x00000000001[0-9a-f]{5} mode=long \(64-bit\)" "info cpus: vCPU 0"
like "$out" "CPU #1: running" "info cpus: vCPU 1"

mon pause
is "$out" "paused" "pause"
mon stats
first=$out
sleep 1
mon stats
is "$out" "$first" "exit counters are frozen while paused"
ok "$([ -n "$(io_exits "$first" 0)" ]; echo $?)" "stats shows vCPU 0's I/O exits ($(io_exits "$first" 0))"
mon info cpus
like "$out" "CPU #0: paused" "info cpus says paused"
mon info registers
like "$out" "r12=0x0123456789abcdef" "registers are readable while paused"
mon resume
is "$out" "running" "resume"
sleep 1
mon stats
ok "$([ "$(io_exits "$out" 0)" -gt "$(io_exits "$first" 0)" ]; echo $?)" \
	"exit counters move again after resume ($(io_exits "$out" 0))"

mon xp 0x100000 32
is "$(hex "$out")" "$(od -An -tx1 -N32 "$FW/monitor_target.bin" | tr -d ' \n')" \
	"xp shows the payload's first 32 bytes as loaded at 1 MiB"
like "$out" "^0000000000100000: " "xp labels rows with the physical address"
text="isolab monitor target: mapped at 0xffff800000000000"
mon x 0xffff800000000000 ${#text}
is "$(hex "$out")" "$(printf '%s' "$text" | od -An -tx1 | tr -d ' \n')" \
	"x walks the guest's 4-level tables to its 4 KiB high page"
like "$out" "^ffff800000000000: " "x labels rows with the virtual address"
mon x 0x100000 16
is "$(hex "$out")" "$(od -An -tx1 -N16 "$FW/monitor_target.bin" | tr -d ' \n')" \
	"x through vmm's 2 MiB identity pages"

nmi_addr=$(nm "$FW/monitor_target.elf" 2>/dev/null | awk '$3 == "nmi_count" { print "0x" $1 }')
if [ -n "$nmi_addr" ]; then
	mon nmi
	like "$out" "NMI sent to 2 vCPU\(s\)" "nmi"
	sleep 0.5
	mon xp "$nmi_addr" 1
	like "$out" ": 02 " "both vCPUs ran the payload's NMI handler once"
else
	skip "no monitor_target.elf to find nmi_count in"
	skip "no monitor_target.elf to find nmi_count in"
fi

mon info memory
like "$out" "guest RAM: 128 MiB, touched [0-9]+ KiB" "info memory: guest RAM"
like "$out" "vmm private memory \(guest RAM excluded\): [0-9]+ KiB" "info memory: vmm's own"
mon info devices
is "$rc" 0 "info devices answers"
like "$out" "rng0: mmio 0x[0-9a-f]+ irq [0-9]+, status 0x00" "info devices: the virtio device, its window, IRQ and status"
like "$out" "features: offered 0x[0-9a-f]{16}, accepted 0x0{16}" "info devices: offered and accepted features"
like "$out" "queue 0: not set up by the driver" "info devices: queue state"
like "$out" "virtio_rng0_requests: 0" "info devices: the device's counters"
mon help
like "$out" "xp ADDR \[LEN\]" "help lists xp"

# errors: one line each, status 1 from the client, the guest unharmed
answers_error() {
	local regex=$1 desc=$2
	is "$rc" 1 "$desc: client exits 1"
	like "$out" "^error: $regex" "$desc: says why"
	is "$(printf '%s\n' "$out" | wc -l)" 1 "$desc: in one line"
}
mon frobnicate
answers_error "unknown command 'frobnicate'" "unknown command"
mon info registers 7
answers_error "no vCPU '7'" "vCPU out of range"
mon xp 0x40000000 16
answers_error "0x40000000\+16 is not guest RAM" "xp beyond RAM"
mon xp 0 999999
answers_error "bad length" "LEN too big"
mon x 0xffff800000001000 8
answers_error "0xffff800000001000: not mapped" "x of an unmapped page"
mon x 0x0000900000000000
answers_error "0x900000000000: non-canonical" "x of a non-canonical address"
run --timeout 30 bash -c 'head -c 5000 /dev/urandom | tr -d "\n" | "$0" monitor "$1"' "$VMM" "$sock"
answers_error "line too long" "a 5000-byte line"
run --timeout 30 bash -c 'head -c 3000 /dev/urandom | "$0" monitor "$1"' "$VMM" "$sock"
ok "$([ "$rc" -le 1 ]; echo $?)" "random bytes on the socket get answers, not a crash"
run --timeout 30 bash -c '(echo "stats watch"; sleep 1.5) | "$0" monitor "$1"' "$VMM" "$sock"
like "$out" "   1s vcpu0: io=[0-9]+/s" "stats watch prints exits per second until input ends"

# Clients at once: one connects, sends half a command and goes idle; another is
# served meanwhile; then the first finishes its line and gets its own answer.
idle_client() {
	python3 - "$sock" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"info cp")
time.sleep(1.5)
s.sendall(b"us\n")
s.shutdown(socket.SHUT_WR)
print(s.makefile().read(), end="")
PY
}
if command -v python3 >/dev/null; then
	idle_client >"$tmp/idle.out" 2>&1 &
	idle_pid=$!
	sleep 0.5
	mon info registers 1
	like "$out" "r15=0x0000000000000001" "a second client is served while the first is idle mid-line"
	wait "$idle_pid"
	like "$(cat "$tmp/idle.out")" "CPU #1: running" \
		"the idle client's line, sent in two parts, is answered afterwards"
else
	skip "needs python3 to hold an idle client"
	skip "needs python3 to hold an idle client"
fi

mon stats
ok "$([ "$(io_exits "$out" 0)" -gt 0 ]; echo $?)" "the guest still runs after all that"
run --timeout 30 "$VMM" --firmware "$FW/monitor_target.bin" --monitor "unix:$sock" --console /dev/null
is "$rc" 1 "a second vmm on the same socket fails"
like "$err" "^vmm: monitor socket .*: another vmm is serving it" "and says why"

mon quit
is "$out" "stopping the VM" "quit"
wait "$vmm_pid"
is "$?" 0 "vmm exits 0 after quit"
ok "$([ ! -e "$sock" ]; echo $?)" "the socket is removed at exit"
unlike "$(cat "$tmp/stderr")" "ERROR: AddressSanitizer|runtime error" "no sanitizer report"

run --timeout 10 "$VMM" monitor
is "$rc" 2 "vmm monitor without a path: usage"
run --timeout 10 "$VMM" monitor "$tmp/none"
is "$rc" 1 "vmm monitor with no one listening fails"
like "$err" "^vmm: cannot connect to the monitor at $tmp/none" "and says why"
run --timeout 10 "$VMM" --firmware "$FW/monitor_target.bin" --monitor tcp:1234
is "$rc" 2 "--monitor with a bad value is a usage error"
like "$err" "^vmm: invalid --monitor 'tcp:1234'" "and says why"
done_testing
