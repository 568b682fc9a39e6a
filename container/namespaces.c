/* Creating and entering the container's namespaces. */
#include "namespaces.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <linux/sched.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

pid_t clone_process(unsigned long flags, int cgroup_fd, bool *in_cgroup)
{
	*in_cgroup = false;
	/* cgroup v2: born in its cgroup. Moving a process there later takes a lock whose
	 * first writer waits for an RCU grace period (~10 ms here). */
	if (cgroup_fd >= 0) {
		struct clone_args args = {
		    .flags = flags | CLONE_INTO_CGROUP,
		    .exit_signal = SIGCHLD,
		    .cgroup = (uint64_t)cgroup_fd,
		};
		long pid = syscall(SYS_clone3, &args, sizeof(args));
		*in_cgroup = pid >= 0;
		if (pid >= 0 || (errno != ENOSYS && errno != E2BIG))
			return (pid_t)pid;
	}
	/* The raw syscall without a stack behaves as fork(), so the child keeps our stack
	 * and data: no separate stack to size, no function-pointer trampoline. */
	return (pid_t)syscall(SYS_clone, flags | SIGCHLD, NULL, NULL, NULL, 0);
}

static int write_proc(pid_t pid, const char *file, const char *val)
{
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	if (write_file(path, val) < 0)
		return err_ret("cannot write %s: %s", path, strerror(errno));
	return 0;
}

int write_id_maps(pid_t pid)
{
	char map[64];
	snprintf(map, sizeof(map), "0 %d %d\n", USERNS_BASE, USERNS_SIZE);
	if (write_proc(pid, "uid_map", map) < 0 || write_proc(pid, "gid_map", map) < 0)
		return -1;
	return 0;
}

int write_own_id_maps(uid_t uid, gid_t gid)
{
	char map[64];
	/* One id each way, and setgroups denied first, as the kernel requires of the unprivileged.
	 */
	snprintf(map, sizeof(map), "0 %u 1\n", (unsigned)uid);
	if (write_file("/proc/self/uid_map", map) < 0)
		return err_ret("cannot write /proc/self/uid_map: %s", strerror(errno));
	if (write_file("/proc/self/setgroups", "deny") < 0)
		return err_ret("cannot write /proc/self/setgroups: %s", strerror(errno));
	snprintf(map, sizeof(map), "0 %u 1\n", (unsigned)gid);
	if (write_file("/proc/self/gid_map", map) < 0)
		return err_ret("cannot write /proc/self/gid_map: %s", strerror(errno));
	return 0;
}

int enter_namespaces(pid_t pid, bool userns)
{
	static const char *const names[] = {"user", "ipc", "uts", "net", "pid", "cgroup", "mnt"};
	int fds[7];
	/* Open all first: after joining the mount namespace, /proc/PID is the container's. */
	for (int i = 0; i < 7; i++) {
		char path[64];
		fds[i] = -1;
		if (i == 0 && !userns)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/ns/%s", (int)pid, names[i]);
		fds[i] = open(path, O_RDONLY | O_CLOEXEC);
		if (fds[i] < 0) {
			err_ret("cannot open %s: %s", path, strerror(errno));
			goto fail;
		}
	}
	for (int i = 0; i < 7; i++) {
		if (fds[i] < 0)
			continue;
		if (setns(fds[i], 0) < 0) {
			err_ret("cannot join the %s namespace: %s", names[i], strerror(errno));
			goto fail;
		}
		close(fds[i]);
		fds[i] = -1;
	}
	return 0;
fail:
	for (int i = 0; i < 7; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return -1;
}
