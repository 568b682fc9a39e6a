#!/usr/bin/env bash
# checkpoint and restore refuse bad input in one line with a non-zero exit, before CRIU
# runs (so on any host, CRIU working or not), and leave no container behind.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/rootfs.sh"
need_root
[ -x "$CTR" ] || skip_all "container not built"
TMP=$(mktemp -d)
ROOT=$TMP/state
trap '"$CTR" --root "$ROOT" delete -f ckbad-created >/dev/null 2>&1; rm -rf "$TMP"' EXIT
mkdir -p "$TMP/b/rootfs/bin" "$TMP/empty"
"$CTR" spec --bundle "$TMP/b" >/dev/null 2>&1 || skip_all "no OCI runtime CLI in this build"
cp /bin/busybox "$TMP/b/rootfs/bin/" && ln -s busybox "$TMP/b/rootfs/bin/sh"

# bad DESCRIPTION EXPECTED-REGEX CMD...: fails, one line on stderr matching, nothing on stdout.
bad() {
	local what=$1 want=$2
	shift 2
	run --timeout 30 "$CTR" --root "$ROOT" "$@"
	ok "$([ "$rc" != 0 ] && [ -z "$out" ] && echo 0 || echo 1)" "$what: non-zero exit ($rc)"
	is "$(printf '%s\n' "$err" | wc -l)" 1 "$what: one line"
	like "$err" "$want" "$what: says why"
}
bad "checkpoint without an ID" "^container: usage: container checkpoint " checkpoint
bad "checkpoint of an unknown container" "container ckbad-nosuch does not exist" \
	checkpoint --image-path "$TMP/img" ckbad-nosuch
bad "checkpoint with an unknown option" "checkpoint: unknown option .*--bogus" \
	checkpoint --bogus ckbad-nosuch
bad "checkpoint --image-path without its value" "checkpoint: unknown option or missing value" \
	checkpoint --image-path
bad "restore from a missing image directory" "restore: image directory $TMP/nope: No such file" \
	restore --bundle "$TMP/b" --image-path "$TMP/nope" ckbad-r
bad "restore from a directory that holds no checkpoint" "is missing or not a checkpoint's" \
	restore --bundle "$TMP/b" --image-path "$TMP/empty" ckbad-r
bad "restore from a missing bundle" "bundle $TMP/nob: No such file" \
	restore --bundle "$TMP/nob" --image-path "$TMP/empty" ckbad-r
bad "restore with a bad ID" "bad container ID" \
	restore --bundle "$TMP/b" --image-path "$TMP/empty" "../x"
is "$(ls "$ROOT" 2>/dev/null)" "" "no container was left under --root"

# A container that is not running (created, waiting for start) is not checkpointed.
"$CTR" --root "$ROOT" create --bundle "$TMP/b" ckbad-created </dev/null >/dev/null 2>&1
bad "checkpoint of a created container" "ckbad-created is created, not running" \
	checkpoint --image-path "$TMP/img" ckbad-created
like "$("$CTR" --root "$ROOT" state ckbad-created 2>&1)" '"status": *"created"' "it stays created"
ok "$([ ! -e "$TMP/img" ] && echo 0 || echo 1)" "and no image directory was made"
done_testing
