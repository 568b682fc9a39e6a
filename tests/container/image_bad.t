#!/usr/bin/env bash
# Bad image input is a one-line error and leaves the store exactly as it was: a truncated
# tar, a digest mismatch, paths out of the layer, a symlink out, a device node, no such image.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/rootfs.sh"
. "$(dirname "$0")/image_lib.sh"
command -v python3 >/dev/null || skip_all "python3 missing (makes the hostile tars)"
image_setup

mkdir -p "$TMP/good/etc"
head -c 200000 /dev/urandom >"$TMP/good/etc/blob"
echo fine >"$TMP/good/etc/motd"
tar -C "$TMP/good" -cf "$TMP/good.tar" .
run "$CTR" image import "$TMP/good.tar" good
is "$rc" 0 "a good import first (the store is not empty)"

# hostile TAR KIND: tars no honest layer contains.
python3 - "$TMP" <<'PY'
import io, sys, tarfile
d = sys.argv[1]
def tar(name, entries):
    with tarfile.open(f"{d}/{name}.tar", "w") as t:
        for e, data in entries:
            t.addfile(e, io.BytesIO(data) if data else None)
def f(name, data=b"x"):
    i = tarfile.TarInfo(name); i.size = len(data); return (i, data)
def ln(name, target, kind=tarfile.SYMTYPE):
    i = tarfile.TarInfo(name); i.type = kind; i.linkname = target; return (i, None)
def dev(name, major, minor):
    i = tarfile.TarInfo(name); i.type = tarfile.CHRTYPE; i.devmajor = major; i.devminor = minor
    return (i, None)
tar("dotdot", [f("ok"), f("../../escaped")])
tar("absolute", [f("/tmp/absolute-escape")])
tar("symlink-out", [ln("etc/evil", "../../../../etc")])
tar("through-symlink", [ln("etc", "/etc"), f("etc/isolab-pwned")])
tar("hardlink-out", [ln("etc/hl", "../../etc/shadow", tarfile.LNKTYPE)])
tar("device", [dev("disk", 8, 0)])
tar("devnull", [dev("null", 1, 3)])
PY
head -c 150000 "$TMP/good.tar" >"$TMP/truncated.tar"
gzip -c "$TMP/good.tar" | head -c 100000 >"$TMP/truncated.tar.gz"

# bad DESCRIPTION CMD...: fails, one line on stderr, the store unchanged.
bad() {
	local what=$1 want
	shift
	want=$(store_listing "$TMP/store")
	run --timeout 30 "$@"
	ok $((rc == 0)) "$what: refused (exit $rc)"
	is "$(printf '%s\n' "$err" | wc -l)" 1 "$what: one line on stderr ($err)"
	is "$(store_listing "$TMP/store")" "$want" "$what: the store is unchanged"
}
bad "truncated tar" "$CTR" image import "$TMP/truncated.tar" t1
bad "truncated gzip" "$CTR" image import "$TMP/truncated.tar.gz" t2
bad "entry with ../" "$CTR" image import "$TMP/dotdot.tar" t3
bad "absolute path" "$CTR" image import "$TMP/absolute.tar" t4
bad "symlink pointing out" "$CTR" image import "$TMP/symlink-out.tar" t5
bad "a path through a symlink" "$CTR" image import "$TMP/through-symlink.tar" t6
bad "hard link out" "$CTR" image import "$TMP/hardlink-out.tar" t7
bad "block device node (root)" "$CTR" image import "$TMP/device.tar" t8
[ -e /etc/isolab-pwned ] || [ -e /tmp/absolute-escape ]
ok $((! $?)) "nothing was written outside the store"

# A digest mismatch: one byte of a layer blob changed under its name.
oci_layout "$TMP/layout" v1 '"Cmd":["sh"]' "$TMP/good.tar"
blob=$(ls -S "$TMP/layout/blobs/sha256" | head -1)
printf 'X' | dd of="$TMP/layout/blobs/sha256/$blob" bs=1 seek=100000 conv=notrunc status=none
bad "layer digest mismatch" "$CTR" image load "$TMP/layout" t9
oci_layout "$TMP/layout2" v1 '"Cmd":["sh"]' "$TMP/good.tar"
sed -i 's/"diff_ids":\["sha256:./"diff_ids":["sha256:0/' "$TMP"/layout2/blobs/sha256/*
bad "manifest digest mismatch (config edited)" "$CTR" image load "$TMP/layout2" t10
bad "not an image layout" "$CTR" image load "$TMP/good" t11
bad "unknown image (inspect)" "$CTR" image inspect no-such-image
bad "unknown image (rm)" "$CTR" image rm good no-such-image
bad "unknown image (run)" "$CTR" run --rm --net none no-such-image
bad "bad name" "$CTR" image import "$TMP/good.tar" 'Bad/../Name'

# Rootless: any device node is refused, even /dev/null's.
# (nobody must reach the binary: a checkout under a 0700 mktemp -d directory hides it.)
if id nobody >/dev/null 2>&1 && command -v setpriv >/dev/null &&
	setpriv --reuid nobody --regid nogroup --clear-groups test -x "$CTR"; then
	mkdir -p "$TMP/rootless" && chown nobody "$TMP/rootless" && chmod 755 "$TMP"
	chmod 644 "$TMP/devnull.tar"
	run setpriv --reuid nobody --regid nogroup --clear-groups "$CTR" image --root "$TMP/rootless/store" import "$TMP/devnull.tar" dn
	ok $((rc == 0)) "rootless import of a device node: refused"
	like "$err" "device node.*rootless" "it says why"
	chmod 644 "$TMP/good.tar"
	rl() { setpriv --reuid nobody --regid nogroup --clear-groups env HOME="$TMP/rootless" "$@"; }
	run rl "$CTR" image --root "$TMP/rootless/store" import "$TMP/good.tar" mine
	is "$rc" 0 "a rootless import of a good tar (the store owned by the caller)"
	run rl "$CTR" image --root "$TMP/rootless/store" ls
	like "$out" "^mine +latest" "and its image listed"
else
	for _ in 1 2 3 4; do skip "no nobody user or setpriv, or nobody cannot reach $CTR"; done
fi
run "$CTR" image import "$TMP/devnull.tar" devnull
is "$rc" 0 "as root, /dev/null's node (1:3) is accepted"
done_testing
