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
# A pure cgroup-v2 host: cgroup2 alone on /sys/fs/cgroup, with its controllers.
is_cgroup2_host() {
	[ "$(stat -fc %T /sys/fs/cgroup 2>/dev/null)" = cgroup2fs ] &&
		grep -qw memory /sys/fs/cgroup/cgroup.controllers 2>/dev/null
}
need_cgroup2_host() {
	is_cgroup2_host || skip_all "not a cgroup-v2-only host: tests/nested/ runs this in the lab host"
}

# labhost_test [--smp N] FILE.t: runs FILE.t in the lab host (tests/nested/run) and relays
# its TAP as this test's; a lab host that cannot be had here skips, one that dies fails.
labhost_test() {
	local smp=1 body o e status n
	[ "$1" = --smp ] && smp=$2 && shift 2
	body=$1 o=$(mktemp) e=$(mktemp)
	diag "$body in the lab host: Debian's kernel under QEMU TCG with SVM, $smp vCPU(s), real kvm_amd, cgroup v2"
	# Under TCG everything costs 10-50x: LC_ALL=C (grep in UTF-8 takes twice as long), and
	# the normal build where a test would take the sanitizer one (the host's tests run that).
	"$ISOLAB_ROOT/tests/nested/run" --smp "$smp" --timeout "${ISOLAB_NESTED_TIMEOUT:-900}" -- \
		env LC_ALL=C ISOLAB_ASAN_BIN="$ISOLAB_BIN" "$body" </dev/null 2>"$e" | tee "$o"
	status=${PIPESTATUS[0]}
	if [ "$status" = 77 ] && [ ! -s "$o" ]; then
		n=$(sed -n 's/^nested: skip: //p' "$e" | tail -1)
		rm -f "$o" "$e"
		skip_all "no lab host here: ${n:-see tests/nested/run}"
	fi
	sed 's/^/# /' "$e"
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
