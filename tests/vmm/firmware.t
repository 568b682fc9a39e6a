#!/usr/bin/env bash
# vmm on real KVM with the firmware payloads: output bytes, exit codes,
# SMP check-ins, the shutdown paths, --stats, the console file and input.
. "$(dirname "$0")/../lib.sh"
need_firmware_vm hello.bin dirty_rate.bin
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

run --timeout 60 "$VMM" --firmware "$FW/hello.bin"
is "$rc" 0 "hello exits 0 by default"
is "$out" "hello from isolab firmware
cmdline: " "hello's serial output arrives byte for byte"
is "$err" "" "nothing on stderr"

run --timeout 60 "$VMM" --firmware "$FW/hello.bin" --cmdline "exit=7 greeting"
is "$rc" 7 "the guest's exit port sets vmm's exit status"
like "$out" "cmdline: exit=7 greeting$" "--cmdline reaches the payload"
run --timeout 60 "$VMM" --firmware "$FW/hello.bin" --cmdline=exit=255
is "$rc" 255 "exit status 255 passes through (--opt=value form)"

for n in 1 2 4; do
	run --timeout 120 "$VMM" --firmware "$FW/smp.bin" --cpus "$n"
	is "$rc" 0 "smp with $n vCPUs exits 0"
	first=$(printf '%s\n' "$out" | head -1 | fold -w1 | sort | tr -d '\n')
	is "$first" "$(printf '%s' ABCD | head -c "$n")" "all $n vCPUs checked in once each"
	like "$out" "smp: $n vCPUs checked in" "the boot vCPU saw $n check-ins"
done

run --timeout 60 "$VMM" --firmware "$FW/triple_fault.bin" --stats
is "$rc" 0 "a triple fault ends vmm cleanly with status 0"
is "$out" "triple fault next" "output before the fault is kept"
like "$err" "vcpu0_exits_shutdown: 1" "--stats counts the shutdown exit"
like "$err" "vcpu0_exits_io: [0-9]+" "--stats counts I/O exits"
like "$err" "first_kvm_run_ms: [0-9]+" "--stats reports exec -> first KVM_RUN"
unlike "$err" "userspace_marker_ms" "no marker time when the guest never wrote it"

run --timeout 60 "$VMM" --firmware "$FW/hello.bin" --cmdline "reset exit=9"
is "$rc" 0 "an i8042 reset (reboot=k) ends vmm with status 0"

run --timeout 60 "$VMM" --firmware "$FW/fpu.bin" --stats
is "$rc" 0 "the fpu payload gets past FWAIT, FNCLEX and EMMS"
is "$out" "fwait ok
fnclex ok
emms ok" "each of them completed"
if [ -d /sys/module/kvm_pvm ]; then
	like "$err" "vcpu0_insns_completed_by_vmm: 3" "on PVM vmm completes all three itself"
fi

# SYSCALL from user mode: the host's answer decides whether Linux userspace can run.
run --timeout 60 "$VMM" --firmware "$FW/syscall.bin"
ok "$([ "$rc" = 0 ] || [ "$rc" = 3 ]; echo $?)" "the syscall probe reaches a verdict (exit 0 or 3, got $rc)"
diag "$(printf '%s\n' "$out" | tail -1)"

run --timeout 60 "$VMM" --firmware "$FW/hello.bin" --cmdline marker --stats
like "$err" "userspace_marker_ms: [0-9]+" "the marker port records a time"
like "$err" "vmm: guest userspace reached after [0-9]+ ms" "and the human-readable line"

run --timeout 60 "$VMM" --firmware "$FW/hello.bin" --console "$tmp/console.log" --cmdline exit=3
is "$rc" 3 "exit status with --console FILE"
is "$out" "" "--console FILE keeps stdout quiet"
is "$(cat "$tmp/console.log")" "hello from isolab firmware
cmdline: exit=3" "--console FILE holds the guest's output"

out=$(printf 'abc xyz\n' | timeout -k 5 60 "$VMM" --firmware "$FW/echo.bin" 2>"$tmp/err")
rc=$?
is "$rc" 0 "echo payload exits 0"
is "$out" "echo ready
ABC XYZ" "stdin reaches the guest through COM1"

# 20000 bytes through a 16-byte FIFO, ending right after the last byte: vmm
# reads stdin only as the UART makes room, so none is lost, from a pipe or a file.
head -c 15000 /dev/urandom | base64 -w0 | head -c 20000 >"$tmp/long"
expected=$(tr a-z A-Z <"$tmp/long")
printf '\n' >>"$tmp/long"
out=$(cat "$tmp/long" | timeout -k 5 120 "$VMM" --firmware "$FW/echo.bin" 2>"$tmp/err")
is "$?:${#out}" "0:20011" "a 20000-byte line piped in comes back whole"
ok "$([ "${out#echo ready$'\n'}" = "$expected" ]; echo $?)" "every byte of it, in order"
out=$(timeout -k 5 120 "$VMM" --firmware "$FW/echo.bin" <"$tmp/long" 2>"$tmp/err")
ok "$([ "${out#echo ready$'\n'}" = "$expected" ]; echo $?)" "the same from a regular file (read on a timer)"

# The pause lets the guest echo "ab" before vmm is told to quit.
out=$({ printf 'ab'; sleep 2; printf '\001xcd\n'; } |
	timeout -k 5 60 "$VMM" --firmware "$FW/echo.bin" 2>"$tmp/err")
rc=$?
is "$rc" 0 "Ctrl-A x quits with status 0"
is "$out" "echo ready
AB" "input before Ctrl-A x is delivered, after it is not"

# A guest that never stops: vmm must still end cleanly on SIGTERM.
mkfifo "$tmp/in"
exec 3<>"$tmp/in" # an input that stays open and silent
"$VMM" --firmware "$FW/echo.bin" <&3 >"$tmp/out" 2>"$tmp/err" &
pid=$!
wait_until 5 has_line "$tmp/out" ready
kill -TERM "$pid" 2>/dev/null
wait "$pid"
is "$?" 143 "SIGTERM stops the VM with status 128+15"
is "$(cat "$tmp/err")" "" "and no error or sanitizer report"
exec 3>&-

# A guest that prints, then computes without a single exit: its console line
# (a queued THR write) still shows, within the event loop's flush period.
"$VMM" --firmware "$FW/dirty_rate.bin" --cmdline "rate=1000000 mib=1" >"$tmp/busy" 2>&1 &
pid=$!
wait_until 5 has_line "$tmp/busy" "tsc_khz [0-9]+"
ok "$?" "a busy guest's output shows though it makes no exit"
stop_pid "$pid"

done_testing
