#!/usr/bin/env bash
# SCMP_ACT_NOTIFY with linux.seccomp.listenerPath: the container's notification fd and its
# process state reach a seccomp agent (tests/container/seccomp_agent.c, libseccomp's
# seccomp_notify_receive/respond) that answers the notified syscalls: mkdir fails with the
# agent's EHOSTDOWN, uname continues. And the profiles the runtime must refuse.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/rootfs.sh"
oci_setup
AGENT=$ISOLAB_BUILD/tests/container/seccomp_agent
[ -x "$AGENT" ] || skip_all "seccomp_agent not built"
agent_pid=
trap 'stop_pid "$agent_pid"; for i in ocinotify-1 ocinotify-2 ocinotify-3; do "$CTR" --root "$ROOT" delete -f $i >/dev/null 2>&1; done; rm -rf "$TMP"' EXIT
SOCK=$TMP/agent.sock
# start_agent SOCKET OUT [STATES]: the agent in the background, once it listens.
start_agent() {
	: >"$2"
	"$AGENT" "$1" "${3:-1}" >"$2" 2>&1 &
	agent_pid=$!
	wait_until 5 has_line "$2" listening
}
# reap_agent: its exit status, once it is done (killed after 10 s: a failure).
reap_agent() { stop_pid --grace 10 "$agent_pid"; }

# seccomp 'JSON': the bundle's linux.seccomp; the command mkdirs and unames.
seccomp() {
	python3 - "$TMP/b/config.json" "$1" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["process"]["terminal"] = False
c["process"]["args"] = ["/bin/sh", "-c", "mkdir /tmp/x; uname -s"]
c["linux"]["seccomp"] = json.loads(sys.argv[2])
json.dump(c, open(sys.argv[1], "w"))
PY
}
NOTIFY='"syscalls": [{"names": ["mkdir", "mkdirat", "uname"], "action": "SCMP_ACT_NOTIFY"}]'

start_agent "$SOCK" "$TMP/agent.out"
seccomp "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": \"$SOCK\", \"listenerMetadata\": \"lab=1\", $NOTIFY}"
run --timeout 30 "$CTR" --root "$ROOT" create --bundle "$TMP/b" --pid-file "$TMP/pid" ocinotify-1
is "$rc" 0 "create with a listenerPath: connected ($err)"
"$CTR" --root "$ROOT" start ocinotify-1 >/dev/null 2>&1
wait_until 10 has_line "$TMP/agent.out" '^done'
agent=$(cat "$TMP/agent.out")
like "$agent" '^notified: mkdir(at)? -> EHOSTDOWN$' "the agent was asked about mkdir"
like "$agent" '^notified: uname -> continue$' "...and about uname"
like "$agent" '^done$' "the agent saw the filter go with the process"
state=$(sed -n 's/^state: //p' "$TMP/agent.out")
pid=$(cat "$TMP/pid" 2>/dev/null)
field() { python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(*eval(sys.argv[2]))' "$state" "$1" 2>&1; }
is "$(field 'd["fds"], d["metadata"], d["state"]["id"], d["state"]["bundle"]')" \
	"['seccompFd'] lab=1 ocinotify-1 $TMP/b" "the state: fds, metadata, id, bundle"
is "$(field 'd["pid"], d["state"]["pid"]')" "$pid $pid" "...and the container process's pid (--pid-file's)"
reap_agent
is "$?" 0 "the agent answered every notification"

# The command's own view: run --bundle with a fresh agent.
start_agent "$SOCK.2" "$TMP/agent2.out"
seccomp "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": \"$SOCK.2\", $NOTIFY}"
run --timeout 30 "$CTR" --root "$ROOT" run --bundle "$TMP/b" ocinotify-2
like "$err" "mkdir: can't create directory '/tmp/x': Host is down" "mkdir failed with the agent's errno"
is "$out" "Linux" "uname, continued by the agent, ran as usual"
reap_agent

# exec: the exec'd process has its own connection, its own state ("running") and fd.
start_agent "$SOCK.3" "$TMP/agent3.out" 2
seccomp "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": \"$SOCK.3\", $NOTIFY}"
python3 - "$TMP/b/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["process"]["args"] = ["/bin/sleep", "60"]
json.dump(c, open(sys.argv[1], "w"))
PY
"$CTR" --root "$ROOT" create --bundle "$TMP/b" ocinotify-3 >/dev/null 2>&1 &&
	"$CTR" --root "$ROOT" start ocinotify-3 >/dev/null 2>&1
run --timeout 30 "$CTR" --root "$ROOT" exec --pid-file "$TMP/exec.pid" ocinotify-3 sh -c 'mkdir /tmp/y; uname -s'
like "$err" "mkdir: can't create directory '/tmp/y': Host is down" "exec: mkdir answered by the agent"
is "$out" "Linux" "exec: uname continued"
"$CTR" --root "$ROOT" kill ocinotify-3 KILL >/dev/null 2>&1
reap_agent
is "$?" 0 "exec: the agent served both processes to their end"
states=$(sed -n 's/^state: //p' "$TMP/agent3.out")
is "$(printf '%s\n' "$states" | python3 -c 'import json,sys; print(*[json.loads(l)["state"]["status"] + ":" + str(json.loads(l)["pid"]) for l in sys.stdin])')" \
	"created:$(sed -n 's/.*"pid":\([0-9]*\).*/\1/p' "$ROOT/ocinotify-3/state.json" 2>/dev/null | head -1) running:$(cat "$TMP/exec.pid" 2>/dev/null)" \
	"two states: the container's process (created) and the exec'd one (running), with their pids"
"$CTR" --root "$ROOT" delete -f ocinotify-3 >/dev/null 2>&1

# refused: each one line, no container left
bad() {
	seccomp "$1"
	run --timeout 30 "$CTR" --root "$ROOT" create --bundle "$TMP/b" ocinotify-bad
	[ "$rc" != 0 ] && [ "$(printf '%s\n' "$err" | wc -l)" = 1 ]
	ok $? "refused, one line: $2"
	like "$err" "$3" "...saying: $3"
}
bad "{\"defaultAction\": \"SCMP_ACT_ALLOW\", $NOTIFY}" "notify without listenerPath" 'SCMP_ACT_NOTIFY needs linux.seccomp.listenerPath'
bad "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerMetadata\": \"x\"}" "metadata without a path" 'listenerMetadata is set without listenerPath'
bad "{\"defaultAction\": \"SCMP_ACT_NOTIFY\", \"listenerPath\": \"$SOCK\"}" "notify as the default action" 'defaultAction cannot be SCMP_ACT_NOTIFY'
bad "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": \"$SOCK\", \"syscalls\": [{\"names\": [\"sendmsg\"], \"action\": \"SCMP_ACT_NOTIFY\"}]}" \
	"notify on the sendmsg that sends the fd" 'cannot be used for sendmsg'
bad "{\"defaultAction\": \"SCMP_ACT_ALLOW\", \"listenerPath\": \"$TMP/nobody.sock\", $NOTIFY}" "no agent at listenerPath" 'cannot connect to the seccomp listener'
run "$CTR" --root "$ROOT" list
unlike "$out" 'ocinotify-bad' "the refused creates left nothing"
done_testing
