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

# like TEXT EXTENDED-REGEX DESCRIPTION
like() {
	if printf '%s' "$1" | grep -Eq -- "$2"; then ok 0 "$3"; else
		ok 1 "$3"
		diag "no match for /$2/ in:"
		printf '%s\n' "$1" | head -20 | sed 's/^/#   /'
		return 1
	fi
}

# unlike TEXT EXTENDED-REGEX DESCRIPTION
unlike() {
	if printf '%s' "$1" | grep -Eq -- "$2"; then
		ok 1 "$3"
		diag "unexpected match for /$2/"
		return 1
	else ok 0 "$3"; fi
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

done_testing() {
	echo "1..$_tap_n"
	[ "$_tap_failed" -eq 0 ]
	exit $?
}
