#!/usr/bin/env bash
# -t / -it: the command's terminal is its controlling tty, from the container's own devpts.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/rootfs.sh"
need_root
[ -x "$CTR" ] && [ -x "$PROBE" ] || skip_all "container or probe not built"
[ -x /usr/bin/python3 ] || skip_all "python3 not installed (it gives the runtime a terminal)"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
make_rootfs "$TMP/root"
before=$(leftovers)

# (like greps line by line: its patterns stay on one line.)
# The runtime on a pseudo-terminal of python3's pty module: each argument after :: is typed
# once the output has settled (waiting for the shell, not asserting a time); \x03 is Ctrl-C.
cat >"$TMP/term.py" <<'PY'
import os, pty, select, sys, time
sep = sys.argv.index("::")
cmd, keys = sys.argv[1:sep], sys.argv[sep + 1:]
pid, fd = pty.fork()
if pid == 0:
    os.execv(cmd[0], cmd)
out = b""
def settle(quiet=0.7, limit=20):
    global out
    end = time.time() + limit
    while time.time() < end:
        if not select.select([fd], [], [], quiet)[0]:
            return
        try:
            data = os.read(fd, 4096)
        except OSError:
            return
        if not data:
            return
        out += data
settle()
for k in keys:
    os.write(fd, k.encode().decode("unicode_escape").encode())
    settle()
settle()
for _ in range(200):  # a runtime still running after 20 s is killed, its output kept
    done, status = os.waitpid(pid, os.WNOHANG)
    if done:
        break
    time.sleep(0.1)
else:
    os.kill(pid, 9)
    done, status = os.waitpid(pid, 0)
status = os.waitstatus_to_exitcode(status)
sys.stdout.write(out.decode(errors="replace").replace("\r", ""))
print("exit:", status)
PY
term() { timeout 60 /usr/bin/python3 "$TMP/term.py" "$@"; }

out=$(term "$CTR" run --rm --net none -it "$TMP/root" -- sh :: \
	'tty\n' 'sleep 100\n' '\x03' 'echo after=$?\n' 'sleep 200\n' '\x1a' 'jobs\n' \
	'fg\n' '\x03' 'exit 7\n')
like "$out" '^/dev/pts/0$' "-it: tty is /dev/pts/0, from the container's devpts"
unlike "$out" "can't access tty" "-it: sh has job control"
like "$out" '^after=130$' "-it: Ctrl-C interrupts the foreground command (130), the shell stays"
like "$out" $'\\[1\\]\\+ *Stopped *sleep 200' "-it: Ctrl-Z stops the foreground job"
like "$(printf '%s' "$out" | tr '\n' '|')" 'fg\|sleep 200\|\^C\|' "-it: fg resumes it in the foreground, where Ctrl-C reaches it"
like "$out" '^exit: 7$' "-it: the shell's exit status is the runtime's"

# -t without -i: /proc/self/stat's session (6), tty_nr (7) and tpgid (8): the command leads
# its own session, on a controlling terminal, in the foreground process group.
out=$(term "$CTR" run --rm --net none -t "$TMP/root" -- sh -c \
	'tty; read -r s </proc/self/stat; set -- ${s#*) }; echo "sid=$4 tty_nr=$5 pgrp=$3 tpgid=$6"
	[ /dev/console -ef /dev/pts/0 ] && echo "console is pts/0"' ::)
like "$out" '^/dev/pts/0$' "-t: tty is /dev/pts/0"
like "$out" '^sid=2 tty_nr=[1-9][0-9]* pgrp=([0-9]+) tpgid=\1$' \
	"-t: the command (pid 2) leads a session with a controlling tty, in the foreground"
like "$out" '^console is pts/0$' \
	"-t: /dev/console is the same terminal (as runc binds it)"
like "$out" '^exit: 0$' "-t: exit status 0"

run --timeout 30 "$CTR" run --rm --net none -d -t "$TMP/root" -- true
is "$rc/$err" "125/container: -t with -d is not supported (there is no attach)" "-d -t is refused as before"

is "$(leftovers)" "$before" "no cgroup, state, address, veth or mount left behind"
done_testing
