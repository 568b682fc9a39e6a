#!/usr/bin/env bash
# Every bad input gets one "vmm: ..." line on stderr and a non-zero exit,
# never a crash (the sanitizer build would report one).
. "$(dirname "$0")/../lib.sh"
VMM=$ISOLAB_ASAN_BIN/vmm
[ -x "$VMM" ] || VMM=$ISOLAB_BIN/vmm
[ -x "$VMM" ] || bail_out "build vmm first (make)"
FW=$ISOLAB_BUILD/firmware
tmp=$(mktemp -d)
chmod 755 "$tmp"
trap 'rm -rf "$tmp"' EXIT

# fails EXPECTED_RC REGEX DESCRIPTION -- ARGS...: one line on stderr matching REGEX
fails() {
	local want=$1 regex=$2 desc=$3
	shift 4
	run --timeout 60 "$@"
	is "$rc" "$want" "$desc: exit status $want"
	like "$err" "^vmm: $regex" "$desc: says why"
	is "$(printf '%s\n' "$err" | grep -vc '^vmm: warning:')" 1 "$desc: in one line"
}

run "$VMM" --help
is "$rc" 0 "--help exits 0"
like "$out" "--kernel FILE" "--help lists --kernel"
like "$out" "first_kvm_run_ms" "--help documents the --stats keys"
run "$VMM" --version
like "$out" "^vmm [0-9]" "--version prints the version"

fails 2 "unknown option '--frobnicate'" "unknown option" -- "$VMM" --frobnicate
fails 2 "unexpected argument" "stray argument" -- "$VMM" vmlinux
fails 2 "no kernel given" "no kernel" -- "$VMM"
fails 2 "option --kernel needs a value" "missing value" -- "$VMM" --kernel
fails 2 "option --stats takes no value" "value on a flag" -- "$VMM" --stats=1
for bad in abc 0 1M 12Q -5 2T 128MX ""; do
	fails 2 "invalid --mem '$bad'" "--mem '$bad'" -- "$VMM" --kernel /x --mem "$bad"
done
if [ "$(uname -m)" = x86_64 ]; then # arm64 builds one (vmm/arm64/fdt.c)
	fails 2 "--dump-dtb: x86 guests boot without a device tree" "--dump-dtb on x86" -- \
		"$VMM" --kernel /x --dump-dtb "$tmp/t.dtb"
fi
for bad in 0 65 x -1 1.5 ""; do
	fails 2 "invalid --cpus '$bad'" "--cpus '$bad'" -- "$VMM" --kernel /x --cpus "$bad"
done

fails 1 "cannot open kernel $tmp/missing: No such file" "missing kernel" \
	-- "$VMM" --kernel "$tmp/missing"
: >"$tmp/empty"
fails 1 "kernel $tmp/empty is empty" "empty kernel" -- "$VMM" --kernel "$tmp/empty"
fails 1 "kernel $tmp is not a regular file" "directory as kernel" -- "$VMM" --kernel "$tmp"
head -c 4096 /dev/zero >"$tmp/zeros"
head -c 5000000 /dev/zero >"$tmp/big"
fails 1 "initrd $tmp/big \(4882 KiB\) is larger than guest RAM \(4096 KiB\)" "initrd larger than RAM" \
	-- "$VMM" --kernel "$tmp/zeros" --initrd "$tmp/big" --mem 4M
fails 1 "cannot open initrd" "missing initrd" -- "$VMM" --kernel "$tmp/zeros" --initrd "$tmp/nope"

# A FIFO opens without a writer only with O_NONBLOCK: vmm must refuse it, not wait.
mkfifo "$tmp/fifo"
fails 1 "kernel $tmp/fifo is not a regular file" "FIFO as kernel" -- "$VMM" --kernel "$tmp/fifo"
fails 1 "initrd $tmp/fifo is not a regular file" "FIFO as initrd" \
	-- "$VMM" --kernel "$tmp/zeros" --initrd "$tmp/fifo"
fails 1 "firmware $tmp/fifo is not a regular file" "FIFO as firmware" \
	-- "$VMM" --firmware "$tmp/fifo"

# Option values vmm can only judge once it builds the device are still usage errors.
fails 2 "--disk: expected PATH" "--disk ''" -- "$VMM" --firmware "$FW/hello.bin" --disk ""
fails 2 "--disk $tmp/zeros: unknown option 'rw'" "--disk with a bad flag" \
	-- "$VMM" --firmware "$FW/hello.bin" --disk "$tmp/zeros,rw"
fails 2 "--net: expected tap" "--net with a bad type" -- "$VMM" --firmware "$FW/hello.bin" --net tup
fails 2 "--net: bad MAC" "--net with a bad MAC" \
	-- "$VMM" --firmware "$FW/hello.bin" --net tap,mac=zz:00:00:00:00:01
fails 2 "--vsock: expected cid=N" "--vsock cid=2" -- "$VMM" --firmware "$FW/hello.bin" --vsock cid=2
fails 2 "invalid --monitor: the socket path is longer" "--monitor with a 200-byte path" \
	-- "$VMM" --firmware "$FW/hello.bin" --monitor "unix:/tmp/$(printf 'x%.0s' $(seq 200))"

fails 1 "/nonexistent/kvm not found: KVM is not available" "no /dev/kvm" \
	-- env VMM_KVM_DEVICE=/nonexistent/kvm "$VMM" --firmware "$FW/hello.bin"
fails 1 "/dev/null is not a usable KVM device" "not a KVM device" \
	-- env VMM_KVM_DEVICE=/dev/null "$VMM" --firmware "$FW/hello.bin"

if [ -c /dev/kvm ] && [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	cp "$VMM" "$FW/hello.bin" "$tmp/"
	fails 1 "no permission to open /dev/kvm" "/dev/kvm without permission" \
		-- setpriv --reuid=65534 --regid=65534 --clear-groups "$tmp/vmm" \
		--firmware "$tmp/hello.bin"
else
	skip "no permission test: needs root, /dev/kvm and setpriv"
fi

if [ -c /dev/kvm ] && [ -w /dev/kvm ]; then
	# Kernels the loaders must refuse, each with its own reason.
	fails 1 "kernel is not a bzImage" "zeros as kernel" -- "$VMM" --kernel "$tmp/zeros"
	head -c 300 "$FW/hello.bin" >"$tmp/short"
	fails 1 "kernel is truncated" "a few bytes as kernel" -- "$VMM" --kernel "$tmp/short"
	if [ -f "$ISOLAB_IMAGES/bzImage" ]; then
		head -c 100000 "$ISOLAB_IMAGES/bzImage" >"$tmp/cut"
		fails 1 "kernel is truncated \(" "a cut bzImage" -- "$VMM" --kernel "$tmp/cut"
	else
		skip "no guest-images bzImage to cut"
	fi
	printf '\177ELF\002\001\001' >"$tmp/elf"
	head -c 100 /dev/zero >>"$tmp/elf"
	fails 1 "kernel is an ELF file but not an x86-64 executable" "foreign ELF" \
		-- "$VMM" --kernel "$tmp/elf"
	fails 1 "kernel ELF has no PVH entry note" "ELF without PVH note" \
		-- "$VMM" --kernel "$FW/hello.elf"
	fails 1 "firmware \([0-9]+ KiB\) does not fit" "firmware larger than RAM" \
		-- "$VMM" --firmware "$tmp/big" --mem 4M
	# The guest's output cannot be written: said once, and vmm does not exit 0.
	run --timeout 60 "$VMM" --firmware "$FW/hello.bin" --console /dev/full
	is "$rc" 1 "--console /dev/full: exit status 1"
	like "$err" "^vmm: console output: No space left on device" "--console /dev/full: says why"
	is "$(printf '%s\n' "$err" | grep -c '^vmm: ')" 1 "--console /dev/full: once"
else
	skip "loader refusals need /dev/kvm"
fi

done_testing
