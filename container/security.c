/*
 * Confinement of the container's command, applied just before its execve in the order
 * the kernel's rules need (see security.h), and docker's defaults for the docker-like CLI.
 */
#include "security.h"
#include "seccomp_listener.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/close_range.h>

void security_docker_defaults(struct process_security *out, bool privileged)
{
	memset(out, 0, sizeof(*out));
	out->set_caps = true;
	caps_docker_default(out->caps, privileged);
	if (privileged)
		return;
	/* Not docker's default, but nothing in a lab container needs setuid binaries. */
	out->no_new_privileges = true;
	out->seccomp = xrealloc(NULL, sizeof(*out->seccomp));
	syscall_profile_docker_default(out->seccomp);
	/* A failure (only ENOMEM or an old libseccomp) leaves no filter: security_apply
	 * then refuses to start the command rather than run it unconfined. */
	syscall_filter_build(out->seccomp, &out->filter);
}

void security_free(struct process_security *s)
{
	if (s->seccomp)
		syscall_profile_free(s->seccomp);
	free(s->seccomp);
	syscall_bpf_free(&s->filter);
	free(s->rlimits);
	free(s->apparmor_profile);
	free(s->selinux_label);
	if (s->has_listener)
		close(s->listener_fd);
	free(s->listener_msg);
	memset(s, 0, sizeof(*s));
}

int security_check_host(const struct process_security *s, bool new_userns)
{
	if (s->set_caps && !new_userns && caps_check_held(s->caps) < 0)
		return -1;
	/* Not oom_score_adj: its floor (oom_score_adj_min) cannot be read, only hit. */
	return rlimits_check(s->rlimits, s->nrlimits);
}

static int set_oom_score_adj(int adj)
{
	char v[16];
	snprintf(v, sizeof(v), "%d", adj);
	if (write_file("/proc/self/oom_score_adj", v) == 0)
		return 0;
	if (errno == EACCES)
		return err_ret("cannot set oom_score_adj to %d: lowering it needs "
			       "CAP_SYS_RESOURCE, which this runtime does not have",
			       adj);
	return err_ret("cannot set oom_score_adj to %d: %s", adj, strerror(errno));
}

/* The LSM labels take effect at the execve, as their attr/exec files say. */
static int set_exec_label(const char *path, const char *fmt, const char *label)
{
	char v[512];
	snprintf(v, sizeof(v), fmt, label);
	if (write_file(path, v) == 0)
		return 0;
	return err_ret("cannot set the label %s (%s): %s", label, path, strerror(errno));
}

static int apply_labels(const struct process_security *s)
{
	if (s->apparmor_profile &&
	    set_exec_label(access("/proc/thread-self/attr/apparmor/exec", F_OK) == 0
			       ? "/proc/thread-self/attr/apparmor/exec"
			       : "/proc/thread-self/attr/exec",
			   "exec %s", s->apparmor_profile) < 0)
		return -1;
	if (s->selinux_label &&
	    set_exec_label("/proc/thread-self/attr/exec", "%s", s->selinux_label) < 0)
		return -1;
	return 0;
}

static int load_filter(const struct process_security *s)
{
	if (!s->seccomp)
		return 0;
	if (s->filter.len == 0)
		return err_ret("seccomp: the profile was not compiled, refusing to run unconfined");
	int notify_fd = syscall_filter_load(&s->filter);
	/* At once: a notified syscall of ours would wait for an agent without the fd. */
	return notify_fd > 0 ? seccomp_listener_send(s, notify_fd) : notify_fd;
}

int security_apply(const struct process_security *s)
{
	/* A setuid from root with PR_SET_KEEPCAPS kept the permitted set, not the effective. */
	if (s->set_caps && caps_raise_effective() < 0)
		return -1;
	if (rlimits_apply(s->rlimits, s->nrlimits) < 0)
		return -1;
	if (s->set_oom_score_adj && set_oom_score_adj(s->oom_score_adj) < 0)
		return -1;
	if (s->set_personality && personality(s->personality) < 0)
		return err_ret("cannot set personality %#lx: %s", s->personality, strerror(errno));
	if (apply_labels(s) < 0)
		return -1;
	/* Without no_new_privs, loading a filter needs CAP_SYS_ADMIN: before the drop (runc). */
	if (!s->no_new_privileges && load_filter(s) < 0)
		return -1;
	if (s->set_caps && caps_apply(s->caps) < 0)
		return -1;
	if (s->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return err_ret("no_new_privs: %s", strerror(errno));
	return s->no_new_privileges ? load_filter(s) : 0;
}

static int switch_user(uid_t uid, gid_t gid)
{
	if (setgroups(0, NULL) < 0 && errno != EPERM)
		return err_ret("setgroups: %s", strerror(errno));
	if (setresgid(gid, gid, gid) < 0)
		return err_ret("cannot switch to gid %u: %s", (unsigned)gid, strerror(errno));
	if (setresuid(uid, uid, uid) < 0)
		return err_ret("cannot switch to uid %u: %s", (unsigned)uid, strerror(errno));
	return 0;
}

int confine_process(uid_t uid, gid_t gid, const struct process_security *s)
{
	struct process_security mine = *s; /* shares s's memory: not freed here */
	/* docker: a non-root user starts with no effective or permitted capability. */
	if (uid != 0)
		mine.caps[CAPSET_EFFECTIVE] = mine.caps[CAPSET_PERMITTED] =
		    mine.caps[CAPSET_INHERITABLE] = 0;
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return err_ret("keepcaps: %s", strerror(errno));
	if (switch_user(uid, gid) < 0)
		return -1;
	return security_apply(&mine);
}

void close_fds_except_two(int a, int b)
{
	int lo = a < b ? a : b, hi = a < b ? b : a;
	if (lo < 3) /* -1 (none) or a standard stream: nothing to keep above 2 */
		lo = hi, hi = -1;
	unsigned from = 3;
	bool failed = false;
	for (int k = 0; k < 2 && !failed; k++) {
		int keep = k ? hi : lo;
		if (keep < 3)
			break;
		if ((unsigned)keep > from)
			failed = syscall(SYS_close_range, from, (unsigned)keep - 1, 0u) < 0;
		from = (unsigned)keep + 1;
	}
	if (!failed && syscall(SYS_close_range, from, ~0u, 0u) == 0)
		return;
	for (int fd = 3; fd < 65536; fd++)
		if (fd != a && fd != b)
			close(fd);
}

void close_fds_except(int keep)
{
	close_fds_except_two(keep, -1);
}
