#!/usr/bin/env bash
# The docker-like `container checkpoint NAME DIR` and `container restore DIR` (podman's
# verbs) through CRIU: a `run -d` container's counter keeps its PID and its count, a
# file written in its root and one on its volume are there after restore, in its cgroup
# with its memory limit, on the bridge with its address, its -p relay serving again;
# ps, exec and rm work on it; the
# same checkpoint restored again in the foreground under a new name, ended by stop.
# Where CRIU does not work on the kernel (this PVM host), tests/nested/checkpoint_cli.t
# runs this in the lab host.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/rootfs.sh"
need_root
[ -x "$CTR" ] && [ -x "$PROBE" ] || skip_all "container or probe not built"
[ -x "$(dirname "$CTR")/container-init" ] || skip_all "container-init not built"
command -v criu >/dev/null || skip_all "criu not installed (apt-get install criu)"
if ! why=$(criu check 2>&1); then
	skip_all "CRIU does not work on this kernel ($(uname -r)): $(grep -m1 Error <<<"$why" | sed 's/^.*): //')"
fi
scratch_dir
NAME=ckcli-a
trap 'for n in $NAME ckcli-b; do "$CTR" rm -f $n >/dev/null 2>&1; done; end_scratch' EXIT
# Not make_rootfs: its 400 applet links take over a minute under the lab host's TCG.
mkdir -p "$tmp/r/"{bin,usr/bin,proc,sys,dev,tmp} "$tmp/vol"
cp "$PROBE" "$tmp/r/usr/bin/probe"
cp /bin/busybox "$tmp/r/bin/"
for a in sh sleep cat nc; do ln -s busybox "$tmp/r/bin/$a"; done

# ctr_pids NAME: every process of its pid namespace as PID:NAME, in PID order.
ctr_pids() {
	local pid ns p
	pid=$(sed -n 's/^pid: //p' "/run/isolab/containers/$1/state")
	ns=$(readlink "/proc/$pid/ns/pid")
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/ns/pid" 2>/dev/null)" = "$ns" ] &&
			awk '/^Name/ {n=$2} /^NSpid/ {print $NF ":" n}' "$p/status" 2>/dev/null
	done | sort -n | tr '\n' ' '
}
count_above() { [ "$(cat "$1" 2>/dev/null || echo 0)" -gt "$2" ] 2>/dev/null; }

run "$CTR" run -d --name $NAME --memory 64m -v "$tmp/vol:/vol" -p 18471:8080 "$tmp/r" -- /bin/sh -c \
	'echo before >/in-root; sleep 100000 & probe serve 8080 & nc -l -p 9000 -e cat & i=0; while :; do i=$((i+1)); echo $i >/vol/count; sleep 0.1; done'
is "$rc" 0 "run -d: the counter container runs${err:+: $err}"
wait_until 20 count_above "$tmp/vol/count" 3
ok $? "it counts ($(cat "$tmp/vol/count" 2>/dev/null))"
ip=$(awk '$1 == "'$NAME'" {print $5}' <<<"$("$CTR" ps)")
# A TCP connection from the host to its echo server (nc -e cat), kept across the
# checkpoint with --tcp-established (its address is the same after restore).
mkfifo "$tmp/to" "$tmp/from"
busybox nc "$ip" 9000 <"$tmp/to" >"$tmp/from" &
exec 7>"$tmp/to" 8<"$tmp/from"
echo one >&7
read -r -t 30 line <&8
is "$line" one "a TCP connection from the host to its echo server"
before=$(ctr_pids $NAME)

# ms since $t0
ms() { echo $((($(date +%s%N) - t0) / 1000000)); }
run --timeout 300 "$CTR" checkpoint $NAME "$tmp/ck-notcp"
like "$rc/$err" "^1/container: checkpoint: CRIU: .*tcp-established" \
	"without --tcp-established CRIU's refusal of the connection is one line"
like "$("$CTR" ps)" "$NAME +running " "and the container runs on"
ok "$([ ! -e "$tmp/ck-notcp" ] && echo 0 || echo 1)" "with no checkpoint directory left"

t0=$(date +%s%N)
run --timeout 300 "$CTR" checkpoint --tcp-established $NAME "$tmp/ck"
is "$rc" 0 "checkpoint --tcp-established NAME DIR${err:+: $err} ($(ms) ms)"
at_dump=$(cat "$tmp/vol/count")
unlike "$("$CTR" ps)" "$NAME" "the container is gone afterwards (podman's way)"
ok "$([ -f "$tmp/ck/checkpoint.json" ] && [ -s "$tmp/ck/criu/pstree.img" ] && [ -s "$tmp/ck/upper.tar" ] && echo 0 || echo 1)" \
	"DIR holds checkpoint.json, CRIU's images and the upper layer"
diag "checkpoint: $(du -sk "$tmp/ck" | cut -f1) KiB, upper.tar $(stat -c %s "$tmp/ck/upper.tar") bytes"

t0=$(date +%s%N)
run --timeout 300 "$CTR" restore -d --tcp-established "$tmp/ck"
is "$rc" 0 "restore -d --tcp-established DIR${err:+: $err} ($(ms) ms)"
is "$out" "$NAME" "it prints the name"
like "$("$CTR" ps)" "$NAME +running +[0-9]+ +- +$ip " "ps lists it running, at its address $ip"
like "$before" '^1:container-init 2:sh ' "pid 1 is container-init, the shell pid 2 ($before)"
is "$(ctr_pids $NAME)" "$before" "every process keeps its PID"
first=$(cat "$tmp/vol/count")
ok "$([ "$first" -ge "$at_dump" ] && echo 0 || echo 1)" "the counter resumes from $at_dump, not 1 ($first)"
wait_until 20 count_above "$tmp/vol/count" "$at_dump"
ok $? "and goes on counting on the re-bound volume ($(cat "$tmp/vol/count"))"
run "$CTR" exec $NAME cat /in-root
is "$out" before "exec: the file written in its root before is there"
pid=$(sed -n 's/^pid: //p' "/run/isolab/containers/$NAME/state")
cg=$(sed -n 's/^0:://p' "/proc/$pid/cgroup")
like "$cg" "isolab/$NAME\$" "it is in its cgroup ($cg)"
is "$(cat "/sys/fs/cgroup$cg/memory.max" 2>/dev/null)" 67108864 "with its memory limit"
like "$(nsenter -t "$pid" -n ip -4 -o addr show eth0 2>&1)" "inet $ip/" "eth0 has its address"
unlike "$(nsenter -t "$pid" -n nft list tables 2>&1)" "CRIU" "CRIU's network lock is gone from its namespace"
run busybox ping -c1 -W5 "$ip"
is "$rc" 0 "and the host reaches it through the bridge"
echo two >&7
line=
read -r -t 30 line <&8
is "$line" two "the host's TCP connection goes on with the restored server"
exec 7>&- 8<&-
run --timeout 30 "$PROBE" fetch 127.0.0.1 18471
is "$out" "fetch: hello from $NAME" "-p 18471:8080 relays to its server again"
run "$CTR" rm -f $NAME
is "$rc" 0 "rm -f the restored container"
unlike "$("$CTR" ps)" "$NAME" "and it is gone"

# The same checkpoint again, in the foreground under another name: stop ends it, and
# the restoring command exits with its status.
"$CTR" restore --tcp-established --name ckcli-b "$tmp/ck" >"$tmp/fg.out" 2>&1 &
fg=$!
wait_until 120 has_line /run/isolab/containers/ckcli-b/state "pid: [1-9]"
like "$("$CTR" ps)" "ckcli-b +running " "restore --name NEW (no -d): running under the new name"
n=$(cat "$tmp/vol/count")
wait_until 20 count_above "$tmp/vol/count" "$n"
ok $? "counting from the same checkpoint again ($(cat "$tmp/vol/count"))"
run "$CTR" stop -t 1 ckcli-b
is "$rc" 0 "stop ends it"
wait "$fg"
is "$?" 143 "and restore exits with its status (SIGTERM: 143) $(cat "$tmp/fg.out")"
done_testing
