/*
 * Confinement of the container's processes, in docker's defaults: a small
 * capability set, no_new_privs, and a seccomp filter denying what lets a
 * root process in a container reach the host (modules, kexec, keyrings,
 * mounts, new namespaces, clock, BPF, open_by_handle_at...).
 */
#include "security.h"
#include "util.h"

#include <errno.h>
#include <grp.h>
#include <sched.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/close_range.h>

/* docker's default set minus CAP_MKNOD: on cgroup v2 no device filter stops mknod. */
static const cap_value_t default_caps[] = {
    CAP_CHOWN,	    CAP_DAC_OVERRIDE, CAP_FSETID,      CAP_FOWNER,  CAP_NET_RAW,
    CAP_SETGID,	    CAP_SETUID,	      CAP_SETFCAP,     CAP_SETPCAP, CAP_NET_BIND_SERVICE,
    CAP_SYS_CHROOT, CAP_KILL,	      CAP_AUDIT_WRITE,
};
#define NCAPS (sizeof(default_caps) / sizeof(default_caps[0]))

static bool is_default_cap(cap_value_t c)
{
	for (size_t i = 0; i < NCAPS; i++)
		if (default_caps[i] == c)
			return true;
	return false;
}

static int drop_bounding_set(void)
{
	for (cap_value_t c = 0; c <= CAP_LAST_CAP; c++)
		if (!is_default_cap(c) && cap_drop_bound(c) < 0 && errno != EINVAL)
			return err_ret("cannot drop capability %d: %s", c, strerror(errno));
	return 0;
}

static int set_default_caps(void)
{
	cap_t caps = cap_init();
	if (!caps)
		return err_ret("cap_init: %s", strerror(errno));
	int rc = cap_set_flag(caps, CAP_PERMITTED, NCAPS, default_caps, CAP_SET) |
		 cap_set_flag(caps, CAP_EFFECTIVE, NCAPS, default_caps, CAP_SET) |
		 cap_set_flag(caps, CAP_INHERITABLE, NCAPS, default_caps, CAP_SET);
	if (rc == 0)
		rc = cap_set_proc(caps);
	cap_free(caps);
	if (rc < 0)
		return err_ret("cannot set capabilities: %s", strerror(errno));
	return 0;
}

static const char *const denied_syscalls[] = {
    "kexec_load",
    "kexec_file_load",
    "init_module",
    "finit_module",
    "delete_module",
    "create_module",
    "keyctl",
    "add_key",
    "request_key",
    "mount",
    "umount2",
    "pivot_root",
    "move_mount",
    "open_tree",
    "fsopen",
    "fsmount",
    "fsconfig",
    "fspick",
    "mount_setattr",
    "swapon",
    "swapoff",
    "reboot",
    "syslog",
    "acct",
    "settimeofday",
    "clock_settime",
    "clock_adjtime",
    "adjtimex",
    "bpf",
    "perf_event_open",
    "userfaultfd",
    "open_by_handle_at",
    "name_to_handle_at",
    "lookup_dcookie",
    "iopl",
    "ioperm",
    "unshare",
    "setns",
    "quotactl",
    "nfsservctl",
    "vhangup",
    "uselib",
    "_sysctl",
    "get_kernel_syms",
    "query_module",
    "kcmp",
    "process_vm_readv",
    "process_vm_writev",
};

static int deny(scmp_filter_ctx ctx, const char *name)
{
	int nr = seccomp_syscall_resolve_name(name);
	if (nr == __NR_SCMP_ERROR)
		return 0; /* not on this architecture */
	return seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), nr, 0);
}

/* clone/clone3 may not create namespaces: clone3 hides its flags in memory, so ENOSYS
 * makes libc fall back to clone, whose flags the filter can see (docker does the same). */
static int deny_namespace_clones(scmp_filter_ctx ctx)
{
	static const unsigned long ns_flags[] = {CLONE_NEWNS,	 CLONE_NEWUTS, CLONE_NEWIPC,
						 CLONE_NEWUSER,	 CLONE_NEWPID, CLONE_NEWNET,
						 CLONE_NEWCGROUP};
	int rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	for (size_t i = 0; rc == 0 && i < sizeof(ns_flags) / sizeof(ns_flags[0]); i++)
		rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(clone), 1,
				      SCMP_A0(SCMP_CMP_MASKED_EQ, ns_flags[i], ns_flags[i]));
	return rc;
}

static int load_seccomp(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	if (!ctx)
		return err_ret("seccomp_init failed");
	/* The same denials for 32-bit and x32 entry points, which would otherwise bypass them. */
	int rc = 0;
	if (seccomp_arch_native() == SCMP_ARCH_X86_64) {
		rc = seccomp_arch_add(ctx, SCMP_ARCH_X86);
		if (rc == 0)
			rc = seccomp_arch_add(ctx, SCMP_ARCH_X32);
	}
	for (size_t i = 0; rc == 0 && i < sizeof(denied_syscalls) / sizeof(denied_syscalls[0]); i++)
		rc = deny(ctx, denied_syscalls[i]);
	if (rc == 0)
		rc = deny_namespace_clones(ctx);
	if (rc == 0)
		rc = seccomp_load(ctx);
	seccomp_release(ctx);
	if (rc < 0)
		return err_ret("cannot load the seccomp filter: %s", strerror(-rc));
	return 0;
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

int confine_process(uid_t uid, gid_t gid, bool privileged)
{
	if (privileged)
		return switch_user(uid, gid);
	if (drop_bounding_set() < 0)
		return -1;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return err_ret("no_new_privs: %s", strerror(errno));
	if (switch_user(uid, gid) < 0)
		return -1;
	/* A non-root uid lost every capability in setresuid; root keeps the default set. */
	if (uid == 0 && set_default_caps() < 0)
		return -1;
	cap_reset_ambient();
	return load_seccomp();
}

void close_fds_except(int keep)
{
	if (keep < 0) {
		if (syscall(SYS_close_range, 3u, ~0u, 0u) == 0)
			return;
	} else {
		if (keep > 3 && syscall(SYS_close_range, 3u, (unsigned)keep - 1, 0u) < 0)
			goto slow;
		if (syscall(SYS_close_range, (unsigned)keep + 1, ~0u, 0u) == 0)
			return;
	}
slow:
	for (int fd = 3; fd < 65536; fd++)
		if (fd != keep)
			close(fd);
}
