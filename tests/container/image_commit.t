#!/usr/bin/env bash
# commit: a container's writable layer becomes the top layer of a new image (whiteouts for
# what it deleted); diff lists it as docker does; the committed image runs with the change.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/rootfs.sh"
. "$(dirname "$0")/image_lib.sh"
image_setup
NAME=images-commit-$$
trap '"$CTR" rm -f "$NAME" >/dev/null 2>&1; rm -rf "$TMP"' EXIT

make_rootfs "$TMP/base"
echo old >"$TMP/base/etc/motd"
run "$CTR" image import "$TMP/base" base
is "$rc" 0 "import of a directory"
run --timeout 30 "$CTR" run --name "$NAME" --net none base sh -c \
	'echo new >/etc/added; rm /etc/motd; echo more >>/etc/passwd; mkdir -p /srv/d; head -c 10485760 /dev/zero >/srv/d/big'
is "$rc" 0 "a container changes its filesystem"
run "$CTR" diff "$NAME"
like "$out" $'C /etc\nA /etc/added' "diff: C for the changed directory, A for the added file"
like "$out" "D /etc/motd" "diff: D for the deleted file"
like "$out" "C /etc/passwd" "diff: C for the modified file"
like "$out" $'A /srv\nA /srv/d\nA /srv/d/big' "diff: new directories and what is in them"
run "$CTR" commit "$NAME" base:changed
is "$rc" 0 "commit"
like "$out" '^sha256:[0-9a-f]{64}$' "commit prints the new image ID"
run "$CTR" image inspect base:changed
is "$(printf '%s' "$out" | grep -c '"sha256:')" 7 "the new image: two layers (2 diffIDs, 2 layer digests, config, manifest, ID)"
run --timeout 30 "$CTR" run --rm --net none base:changed sh -c 'cat /etc/added; tail -1 /etc/passwd; wc -c </srv/d/big; cat /etc/motd'
is "$out" $'new\nmore\n10485760' "run of the committed image sees the additions and the change"
like "$err" "can't open '/etc/motd'" "and not the file the container deleted (a whiteout in the new layer)"
run --timeout 30 "$CTR" run --rm --net none base cat /etc/motd
is "$out" old "the base image is unchanged"
run "$CTR" image history base:changed
like "$out" "container commit $NAME" "history names the commit"
run "$CTR" image rm base
like "$err" "image base is used by container $NAME" "image rm of an image a container still uses is refused"
run "$CTR" run --rm --net none base true
is "$rc" 0 "and the image still runs"
"$CTR" rm "$NAME" >/dev/null
run "$CTR" commit "$NAME" x
like "$err" "no such container" "commit of a container that is gone: one-line error"
is "$rc" 1 "exit status 1"
run --timeout 30 "$CTR" run --name "$NAME" --net none "$TMP/base" true
run "$CTR" commit "$NAME" x
like "$err" "runs a rootfs directory, not an image" "commit of a container of a rootfs directory is refused"
"$CTR" rm "$NAME" >/dev/null
is "$(leftovers)" "$before" "no cgroup, state, address, veth or mount left behind"
done_testing
