#!/usr/bin/env bash
# container run: namespaces, filesystem view, identity, exit status, PID 1, errors.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/rootfs.sh"
container_setup --rootfs
R=(--rm --net none)

run --timeout 30 "$CTR" run "${R[@]}" --hostname box1 "$TMP/root" -- probe info
is "$rc" 0 "probe runs in the container"
like "$out" $'^pid: 2\n' "the command is pid 2, under the container's own init (pid 1)"
for ns in pid mnt uts ipc net cgroup; do
	host=$(readlink /proc/self/ns/$ns)
	in=$(printf '%s\n' "$out" | sed -n "s/^ns_$ns: //p")
	[ -n "$in" ] && [ "$in" != "$host" ]
	ok $? "$ns namespace differs from the host's ($in)"
done
like "$out" '^hostname: box1$' "--hostname"
like "$out" '^env_container: isolab$' "container=isolab in the environment"
like "$out" '^extra_fds:$' "no host file descriptor inherited"

run --timeout 30 "$CTR" run "${R[@]}" "$TMP/root" -- sh -c "tr '\\0' ' ' </proc/1/cmdline"
like "$out" container "pid 1 is the runtime's init"
run --timeout 30 "$CTR" run "${R[@]}" --name named1 "$TMP/root" -- hostname
is "$out" named1 "hostname defaults to the name"

run --timeout 30 "$CTR" run "${R[@]}" "$TMP/root" -- cat /proc/mounts
like "$out" '^overlay / overlay rw' "root is an overlay"
like "$out" '^proc /proc proc rw,nosuid,nodev,noexec' "/proc mounted"
like "$out" '^sysfs /sys sysfs ro,' "/sys read-only"
like "$out" '^devpts /dev/pts devpts ' "/dev/pts is a fresh devpts"
like "$out" '^proc /proc/sys proc ro,' "/proc/sys read-only"

run --timeout 30 "$CTR" run "${R[@]}" "$TMP/root" -- ls /dev
is "$(echo $out)" "fd full null ptmx pts random shm stderr stdin stdout tty urandom zero" "/dev holds only the standard nodes"

run --timeout 30 "$CTR" run "${R[@]}" "$TMP/root" -- sh -c 'for p in /proc/kcore /proc/keys /proc/timer_list /proc/sched_debug; do [ -e $p ] && probe read $p; done; ls /sys/firmware | wc -l; echo x > /proc/sys/kernel/hostname; echo rc=$?'
unlike "$out" 'read /proc/[a-z_]+: [1-9][0-9]* bytes' "masked /proc files read as empty"
like "$out" '^0$' "/sys/firmware is empty"
like "$out" 'rc=1' "/proc/sys cannot be written"

run --timeout 30 "$CTR" run "${R[@]}" -e FOO=bar -e X=1 -w /work/dir -u 1000:1000 "$TMP/root" -- sh -c 'echo $FOO$X; pwd; id -u; id -g'
is "$out" $'bar1\n/work/dir\n1000\n1000' "-e, -w (created), -u"
run --timeout 30 "$CTR" run "${R[@]}" -u 1000 "$TMP/root" -- probe info
like "$out" '^CapEff: 0000000000000000$' "a non-root user has no capabilities"

run --timeout 30 "$CTR" run "${R[@]}" "$TMP/root" -- sh -c 'exit 42'
is "$rc" 42 "exit status propagates"
run --timeout 30 "$CTR" run "${R[@]}" "$TMP/root" -- sh -c 'kill -TERM $$'
is "$rc" 143 "death by signal N gives 128+N"
run --timeout 30 "$CTR" run "${R[@]}" "$TMP/root" -- probe zombies 5
is "$out" "zombies: 0" "init reaps orphaned zombies"
run --timeout 30 "$CTR" run "${R[@]}" "$TMP/root"
like "$out" "isolab: userspace ready \(container\)" "no command: the rootfs's /init runs with container=isolab"
is "$rc" 0 "/init with stdin at EOF exits 0"

# Data: the writable layer goes with --rm, volumes stay, layers stack.
mkdir -p "$TMP/vol" "$TMP/layer/etc"
echo from-layer >"$TMP/layer/etc/motd"
run --timeout 30 "$CTR" run "${R[@]}" -v "$TMP/vol:/data" --layer "$TMP/layer" "$TMP/root" -- sh -c 'cat /etc/motd; echo kept > /data/f; echo lost > /etc/new; cat /etc/new'
is "$out" $'from-layer\nlost' "--layer is visible, the writable layer works"
is "$(cat "$TMP/vol/f" 2>/dev/null)" kept "volume data persists on the host"
[ ! -e "$TMP/root/etc/new" ] && [ ! -e "$TMP/layer/etc/new" ]
ok $? "the rootfs and layers are not written"
run --timeout 30 "$CTR" run "${R[@]}" "$TMP/root" -- cat /etc/new
is "$rc" 1 "a new container does not see the old writable layer"
run --timeout 30 "$CTR" run "${R[@]}" -v "$TMP/vol:/data:ro" "$TMP/root" -- sh -c 'cat /data/f; echo x > /data/g'
like "$out" kept "read-only volume is readable"
[ ! -e "$TMP/vol/g" ]
ok $? "read-only volume is not writable"

# A rootfs's absolute symlink must not lead a volume onto the host (resolved inside the root).
ln -s /etc "$TMP/root/evil"
run --timeout 30 "$CTR" run "${R[@]}" -v "$TMP/vol:/evil/isolab-escape-$$" "$TMP/root" -- ls -d /etc/isolab-escape-$$
is "$rc/$out" "0//etc/isolab-escape-$$" "the volume lands in the container's /etc"
[ ! -e "/etc/isolab-escape-$$" ]
ok $? "and nothing is created in the host's /etc"
rm -f "$TMP/root/evil"

# Errors: one line, non-zero, nothing left behind.
run "$CTR" run "${R[@]}" "$TMP/missing"
is "$rc/$err" "125/container: rootfs not found: $TMP/missing" "rootfs missing"
run --timeout 30 "$CTR" run "${R[@]}" "$TMP/root" -- /bin/nope
is "$rc/$err" "127/container: command not found in rootfs: /bin/nope" "command not in the rootfs"
for bad in "--memory 12x" "--memory 0" "--cpus -1" "--pids 0" "--io-weight 5" "-v relative:/x" "-p 99999:1" "--net bogus" "-u abc" "--name ../x"; do
	run "$CTR" run $bad "$TMP/root" -- true
	[ "$rc" = 125 ] && [ "$(printf '%s\n' "$err" | wc -l)" = 1 ]
	ok $? "bad input '$bad': one line, exit 125 ($err)"
done
run --timeout 30 "$CTR" run --rm --net none --memory 1 "$TMP/root" -- true
is "$rc/$err" "125/container: --memory 1: the minimum is 6m (a container needs more)" "--memory below 6 MiB is refused, as docker"
run --timeout 30 "$CTR" run --net none -v "$TMP/nonexistent:/x" "$TMP/root" -- true
like "$rc/$err" "^125/container: volume source not found" "missing volume source"

is "$(leftovers)" "$before" "no cgroup, state, address, veth or mount left behind"
done_testing
