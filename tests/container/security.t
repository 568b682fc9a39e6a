#!/usr/bin/env bash
# Confinement: capabilities, no_new_privs, seccomp, the runtime binary out of reach, --privileged.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/rootfs.sh"
container_setup --rootfs
R=(--rm --net none)

# docker's default set: chown dac_override fowner fsetid kill mknod setgid setuid
# setpcap net_bind_service net_raw sys_chroot audit_write setfcap.
run --timeout 30 "$CTR" run "${R[@]}" "$TMP/root" -- probe info
like "$out" '^CapEff: 00000000a80425fb$' "effective capabilities: the default set"
like "$out" '^CapBnd: 00000000a80425fb$' "bounding set reduced to the default set"
like "$out" '^CapAmb: 0000000000000000$' "no ambient capabilities"
like "$out" '^Seccomp: 2$' "seccomp filter mode (2)"
like "$out" '^NoNewPrivs: 1$' "no_new_privs set"

ops="mount unshare-user unshare-net keyctl kexec init_module mknod sethostname io_uring_setup"
run --timeout 30 "$CTR" run "${R[@]}" "$TMP/root" -- sh -c "for o in $ops chown; do probe try \$o; done"
for o in $ops; do
	like "$out" "^$o: error (Operation not permitted|Function not implemented)" "$o is denied"
done
like "$out" "chown: ok" "chown (a default capability) is allowed"

# The device cgroup (v1 rules here, v2's program elsewhere): CAP_MKNOD as docker, but only
# the default devices may be made and opened.
run --timeout 30 "$CTR" run "${R[@]}" "$TMP/root" -- sh -c \
	'mknod /dev/sda b 8 0 2>/dev/null; echo "block=$?"; mknod /dev/kmsg c 1 11 2>/dev/null; echo "kmsg=$?"
	mknod /root/null2 c 1 3 && echo x >/root/null2 && echo null-ok; echo x >/dev/null && echo devnull-ok'
like "$out" '^block=1$' "device filter: mknod of a block device is refused"
like "$out" '^kmsg=1$' "device filter: mknod of /dev/kmsg (c 1:11) is refused"
like "$out" '^null-ok$' "device filter: a node of an allowed device (c 1:3) is made and opened"
like "$out" '^devnull-ok$' "/dev/null works"

# CVE-2019-5736: /proc/1/exe is the runtime's binary; the container may not open it.
run --timeout 30 "$CTR" run "${R[@]}" "$TMP/root" -- sh -c "probe try open-exe; probe try write-exe"
like "$out" "open-exe: error Permission denied" "the runtime's binary cannot be opened via /proc/1/exe"
like "$out" "write-exe: error Permission denied" "nor opened for writing"

run --timeout 30 "$CTR" run -d --net none --name sec1 "$TMP/root" -- sleep 100
run --timeout 30 "$CTR" exec sec1 -- sh -c 'probe info; probe try open-exe'
like "$out" '^Seccomp: 2$' "exec'd processes are confined too"
like "$out" '^extra_fds:$' "exec passes no host file descriptor"
like "$out" "open-exe: error Permission denied" "exec: the runtime's binary is out of reach"
"$CTR" rm -f sec1 >/dev/null 2>&1

run --timeout 30 "$CTR" run "${R[@]}" --privileged "$TMP/root" -- sh -c 'probe info; probe try mount'
like "$err" "^container: warning: --privileged" "--privileged warns"
like "$out" '^Seccomp: 0$' "--privileged: no seccomp"
like "$out" "mount: ok" "--privileged: mount allowed"

is "$(leftovers)" "$before" "no cgroup, state, address, veth or mount left behind"
done_testing
