# TAP helpers for the shell tests. Source it from a .t file:
#   . "$(dirname "$0")/../lib.sh"
# then call ok/is/like/run, and done_testing at the end.
set -u
ISOLAB_ROOT=${ISOLAB_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
cd "$ISOLAB_ROOT" || exit 1
# Paths from the environment may be relative to the repository root.
_abs() { case $1 in /*) echo "$1" ;; *) echo "$ISOLAB_ROOT/$1" ;; esac; }
ISOLAB_BIN=$(_abs "${ISOLAB_BIN:-build/bin}")
ISOLAB_ASAN_BIN=$(_abs "${ISOLAB_ASAN_BIN:-build-asan/bin}")
ISOLAB_BUILD=$(_abs "${ISOLAB_BUILD:-build}")
ISOLAB_IMAGES=$(_abs "${ISOLAB_IMAGES:-guest-images/out}")
_tap_n=0
_tap_failed=0

diag() { printf '# %s\n' "$@"; }

# ok STATUS DESCRIPTION: STATUS 0 passes (use: ok $? "...", or a test command's result)
ok() {
	_tap_n=$((_tap_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $_tap_n - $2"
	else
		echo "not ok $_tap_n - $2"
		_tap_failed=$((_tap_failed + 1))
	fi
	return "$1"
}

# is GOT EXPECTED DESCRIPTION
is() {
	if [ "$1" = "$2" ]; then ok 0 "$3"; else
		ok 1 "$3"
		diag "got:      '$1'" "expected: '$2'"
		return 1
	fi
}

# _matches TEXT REGEX: grep -E's meaning, line by line, for a one-line REGEX. A REGEX with a
# newline in it is one pattern over the whole text (grep would take each line of it as a
# pattern of its own, and the empty ones match anything): PCRE with ^ and $ at line ends and
# . never a newline, so $'^a\nb$' is a line "a" followed by a line "b".
_matches() {
	case $2 in
	'') echo "# like/unlike: an empty pattern matches anything" >&2 && return 2 ;;
	*$'\n'*) printf '%s' "$1" | grep -Pzq -- "(?m)${2//$'\n'/\\n}" ;;
	*) printf '%s' "$1" | grep -Eq -- "$2" ;;
	esac
}

# like TEXT EXTENDED-REGEX DESCRIPTION (see _matches)
like() {
	if _matches "$1" "$2"; then ok 0 "$3"; else
		ok 1 "$3"
		diag "no match for /$2/ in:"
		printf '%s\n' "$1" | head -20 | sed 's/^/#   /'
		return 1
	fi
}

# unlike TEXT EXTENDED-REGEX DESCRIPTION (see _matches)
unlike() {
	local status
	_matches "$1" "$2"
	status=$?
	if [ $status = 0 ] || [ $status = 2 ]; then
		ok 1 "$3"
		diag "unexpected match for /$2/"
		return 1
	else ok 0 "$3"; fi
}

# subtest FILE.t [VAR=VALUE...]: another test file as one check of this one, its TAP
# indented (a TAP subtest: prove reads only the outer ok line).
subtest() {
	local file=$1
	shift
	env "$@" bash "$file" 2>&1 | sed 's/^/    /'
	ok "${PIPESTATUS[0]}" "$file${*:+ ($*)}"
}

skip() { _tap_n=$((_tap_n + 1)); echo "ok $_tap_n # skip $*"; }
skip_all() { echo "1..0 # SKIP $*"; exit 0; }
bail_out() { echo "Bail out! $*"; exit 255; }

# run [--timeout S] CMD...: sets $out (stdout), $err (stderr), $rc
run() {
	local t=""
	if [ "$1" = --timeout ]; then t=$2; shift 2; fi
	local o e
	o=$(mktemp) e=$(mktemp)
	if [ -n "$t" ]; then timeout -k 5 "$t" "$@" >"$o" 2>"$e" </dev/null; else "$@" >"$o" 2>"$e" </dev/null; fi
	rc=$?
	out=$(cat "$o") err=$(cat "$e")
	rm -f "$o" "$e"
}

need_root() { [ "$(id -u)" = 0 ] || skip_all "needs root"; }
need_kvm() { [ -c /dev/kvm ] && [ -r /dev/kvm ] && [ -w /dev/kvm ] || skip_all "no usable /dev/kvm on this host"; }

# PVM (kvm_pvm, no VT-x/AMD-V) emulates guest kernel code ~1000x slower; see README.md.
is_pvm_host() { [ -d /sys/module/kvm_pvm ]; }
have_real_kvm() { [ -c /dev/kvm ] && [ -r /dev/kvm ] && [ -w /dev/kvm ] && ! is_pvm_host; }
# need_real_kvm: hardware KVM, or the lab host's nested kvm_amd (tests/nested/ runs the
# test there when this host has PVM or no KVM).
need_real_kvm() {
	need_kvm
	! is_pvm_host || skip_all "this host's KVM is PVM: tests/nested/ runs this in the lab host (real kvm_amd)"
}
# need_firmware_vm PAYLOAD...: KVM, and $VMM (the sanitizer build where there is one) with
# the firmware payloads in $FW it is to run; bails out where they are not built.
need_firmware_vm() {
	local payload
	need_kvm
	VMM=$ISOLAB_ASAN_BIN/vmm
	[ -x "$VMM" ] || VMM=$ISOLAB_BIN/vmm
	FW=$ISOLAB_BUILD/firmware
	for payload in "$@"; do
		[ -x "$VMM" ] && [ -f "$FW/$payload" ] || bail_out "build vmm and firmware first (make)"
	done
}
# need_linux_guest [--net]: a real Linux guest on a copy of the guest images' ext4 root, on a
# real KVM (a PVM boot takes minutes). Sets $vmm (the normal build: the sanitizer one would
# only slow the guest down), $kernel and $rootfs, or skips saying what is missing. --net: the
# test also talks to the guest over a TAP vmm creates, from a python3 peer.
need_linux_guest() {
	if [ "${1:-}" = --net ]; then
		need_root
		[ -c /dev/net/tun ] || skip_all "no /dev/net/tun"
		command -v python3 >/dev/null || skip_all "python3 missing"
	fi
	need_real_kvm
	vmm=$ISOLAB_BIN/vmm
	[ -x "$vmm" ] || skip_all "vmm not built (make)"
	# The ELF vmlinux (PVH) first: where KVM emulates guest kernel code, a bzImage spends
	# many minutes decompressing itself.
	kernel=$ISOLAB_IMAGES/vmlinux
	[ -f "$kernel" ] || kernel=$ISOLAB_IMAGES/bzImage
	rootfs=$ISOLAB_IMAGES/rootfs.ext4
	[ -f "$kernel" ] && [ -f "$rootfs" ] || skip_all "guest images not built (make images)"
	command -v debugfs >/dev/null || skip_all "debugfs missing (apt-get install e2fsprogs)"
}
# guest_vsock: for a Linux guest's vsock checks, sets $vsock_peer (the program that is the
# guest's end) and $vsock (a CID for the guest, unique on this host); $vsock stays empty,
# with a line saying why, where this host has no vhost-vsock or the peer is not built.
guest_vsock() {
	vsock_peer=$ISOLAB_BUILD/tests/nested/vsock-peer vsock=
	if [ ! -c /dev/vhost-vsock ]; then
		diag "no /dev/vhost-vsock here (modprobe vhost_vsock): the vsock checks skip"
	elif [ ! -x "$vsock_peer" ]; then
		diag "$vsock_peer not built (make): the vsock checks skip"
	else
		vsock=$((1000 + $$ % 100000))
	fi
}
# image_put IMAGE FILE PATH: copies FILE into the ext4 IMAGE as the executable PATH.
image_put() {
	debugfs -w -R "write $2 $3" "$1" >/dev/null 2>&1
	debugfs -w -R "set_inode_field $3 mode 0100755" "$1" >/dev/null 2>&1
}

# scratch_dir: $tmp, a new directory; at exit the test's background processes still running
# are stopped (stop_pid) and it is removed. A test with more to undo at exit traps a handler
# of its own that calls end_scratch.
scratch_dir() {
	tmp=$(mktemp -d)
	trap end_scratch EXIT
}
end_scratch() {
	stop_pid $(jobs -rp)
	rm -rf "$tmp"
}

# wait_until SECONDS CMD...: runs CMD every 0.1 s until it succeeds (status 0) or SECONDS
# have passed (status 1).
wait_until() {
	local tries=$(($1 * 10))
	shift
	while [ "$tries" -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		tries=$((tries - 1))
	done
	return 1
}
# has_line FILE REGEX: FILE (which may not exist yet) has a line matching the extended REGEX.
has_line() { grep -aqE -- "$2" "$1" 2>/dev/null; }
# lines FILE: how many lines FILE has (0 while it does not exist); has_lines FILE N: N or more.
lines() { { wc -l <"$1"; } 2>/dev/null || echo 0; }
has_lines() { [ "$(lines "$1")" -ge "$2" ]; }
# wait_line FILE REGEX SECONDS [PID]: until FILE has a line matching REGEX; gives up early
# when PID, the process that writes FILE, has ended without writing it.
wait_line() {
	wait_until "$3" _line_or_gone "$1" "$2" "${4:-}"
	has_line "$1" "$2"
}
_line_or_gone() { has_line "$1" "$2" || { [ -n "$3" ] && ! kill -0 "$3" 2>/dev/null; }; }

# stop_pid [--grace S] PID...: ends background processes of this shell: each has S seconds
# (none by default) to end by itself, then gets SIGTERM, and is reaped; the status is the
# last one's exit status. An empty PID is skipped, and one that has ended or is no child of
# this shell gets no signal: a cleanup trap may name processes the test stopped already,
# and never hits a stranger that took over the number.
stop_pid() {
	local grace=0 pid status=0
	[ "${1:-}" = --grace ] && grace=$2 && shift 2
	for pid in "$@"; do
		[ -n "$pid" ] || continue
		if _running_child "$pid"; then
			wait_until "$grace" _ended "$pid" || kill "$pid" 2>/dev/null
		fi
		wait "$pid" 2>/dev/null
		status=$?
	done
	return "$status"
}
_running_child() { jobs -rp | grep -qx "$1"; }
_ended() { ! _running_child "$1"; }

# count_run FILE...: the files' bytes, in order, read as "count 0", "count 1", ... with no
# gap (the firmware counters' console across a snapshot or a migration). A last line the
# final quit cut short is left out: a pause lands anywhere in a line.
count_run() {
	cat "$@" | head -n "$(cat "$@" | wc -l)" |
		awk '$0 != "count " NR - 1 { bad = 1; print "line " NR ": " $0 > "/dev/stderr"; exit }
		END { exit bad || NR < 2 }'
}

# A pure cgroup-v2 host: cgroup2 alone on /sys/fs/cgroup, with its controllers.
is_cgroup2_host() {
	[ "$(stat -fc %T /sys/fs/cgroup 2>/dev/null)" = cgroup2fs ] &&
		grep -qw memory /sys/fs/cgroup/cgroup.controllers 2>/dev/null
}
need_cgroup2_host() {
	is_cgroup2_host || skip_all "not a cgroup-v2-only host: tests/nested/ runs this in the lab host"
}

# labhost_test [--smp N] FILE.t: runs FILE.t in the lab host (tests/nested/run) and relays
# its TAP as this test's; a lab host that cannot be had here skips, one that dies fails,
# one that stops beating runs once more.
labhost_test() {
	local smp=1 body o e status n try
	[ "$1" = --smp ] && smp=$2 && shift 2
	body=$1 o=$(mktemp) e=$(mktemp)
	diag "$body in the lab host: Debian's kernel under QEMU TCG with SVM, $smp vCPU(s), real kvm_amd, cgroup v2"
	# A lab host that stops beating (tests/nested/run exit 123, the TCG hang that loses
	# L1's timer) is not the test's failure: its output goes out as comments and it runs
	# once more. The output is gathered, not streamed, so that the TAP stream stays one.
	for try in 1 2; do
		# Under TCG everything costs 10-50x: LC_ALL=C (grep in UTF-8 takes twice as long), and
		# the normal build where a test would take the sanitizer one (the host's tests run that).
		"$ISOLAB_ROOT/tests/nested/run" --smp "$smp" --timeout "${ISOLAB_NESTED_TIMEOUT:-900}" -- \
			env LC_ALL=C ISOLAB_ASAN_BIN="$ISOLAB_BIN" "$body" </dev/null >"$o" 2>"$e"
		status=$?
		[ "$status" = 123 ] && [ "$try" = 1 ] || break
		sed 's/^/# first try: /' "$o" "$e"
		diag "the lab host stopped beating (see above): one more try"
	done
	if [ "$status" = 77 ] && [ ! -s "$o" ]; then
		n=$(sed -n 's/^nested: skip: //p' "$e" | tail -1)
		rm -f "$o" "$e"
		skip_all "no lab host here: ${n:-see tests/nested/run}"
	fi
	sed 's/^/# /' "$e"
	cat "$o"
	if ! grep -qE '^1\.\.[0-9]+' "$o"; then
		n=$(grep -cE '^(not )?ok ' "$o")
		echo "not ok $((n + 1)) - $body ran to its end in the lab host (tests/nested/run exit $status)"
		echo "1..$((n + 1))"
		status=1
	fi
	rm -f "$o" "$e"
	exit "$status"
}

done_testing() {
	echo "1..$_tap_n"
	[ "$_tap_failed" -eq 0 ]
	exit $?
}
