#!/usr/bin/env bash
# The (vmm) prompt on the console (vmm --monitor, Ctrl-A c) through a
# pseudo-terminal (tests/monitor/console.py): readline completion, commands,
# Ctrl-D back to the guest, Ctrl-A x to quit.
. "$(dirname "$0")/../lib.sh"
need_firmware_vm monitor_target.bin
command -v python3 >/dev/null || skip_all "needs python3 for a pseudo-terminal"

run --timeout 120 python3 "$(dirname "$0")/console.py" "$VMM" --firmware "$FW/monitor_target.bin" \
	--cpus 2 --monitor
is "$rc" 0 "Ctrl-A x after the monitor ends vmm with status 0"
like "$out" "monitor target ready" "the guest console works before the monitor"
like "$out" "vmm monitor: help lists the commands" "Ctrl-A c opens the monitor"
# typed as "info reg<Tab> 1": only the completed word gives an answer
like "$out" "CPU #1 \(long \(64-bit\)\)" "Tab completes 'info reg' to 'info registers'"
like "$out" "r15=0x0000000000000001" "and the command shows vCPU 1's registers"
like "$out" "paused" "pause from the prompt"
like "$out" "running" "resume from the prompt"
like "$out" "\[back to the guest console\]" "Ctrl-D returns to the guest console"
unlike "$out" "AddressSanitizer|runtime error" "no sanitizer report"
done_testing
