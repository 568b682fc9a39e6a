/*
 * docker's default seccomp profile (moby profiles/seccomp/default.json, 2024: io_uring
 * removed), resolved for the capabilities the docker-like CLI grants (docker's default set:
 * no CAP_SYS_ADMIN, so no mount/unshare/setns/namespace clones; CAP_SYS_CHROOT, so chroot)
 * and for x86-64/arm64 with their 32-bit entry points. It is a profile like any OCI one:
 * the same model, compiled and loaded by the same functions.
 */
#include "syscall_filter.h"
#include "util.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Allowed whatever the arguments. Denied (EPERM, the default) among others: io_uring_*,
 * bpf, keyctl/add_key/request_key, mount and the new mount API, unshare, setns, kexec,
 * *_module, open_by_handle_at, perf_event_open, userfaultfd, kcmp, clock/time setting. */
static const char docker_allowed[] =
    "accept accept4 access adjtimex alarm bind brk cachestat capget capset chdir chmod chown "
    "chown32 clock_adjtime clock_adjtime64 clock_getres clock_getres_time64 clock_gettime "
    "clock_gettime64 clock_nanosleep clock_nanosleep_time64 close close_range connect "
    "copy_file_range creat dup dup2 dup3 epoll_create epoll_create1 epoll_ctl epoll_ctl_old "
    "epoll_pwait epoll_pwait2 epoll_wait epoll_wait_old eventfd eventfd2 execve execveat exit "
    "exit_group faccessat faccessat2 fadvise64 fadvise64_64 fallocate fanotify_mark fchdir "
    "fchmod fchmodat fchmodat2 fchown fchown32 fchownat fcntl fcntl64 fdatasync fgetxattr "
    "flistxattr flock fork fremovexattr fsetxattr fstat fstat64 fstatat64 fstatfs fstatfs64 "
    "fsync ftruncate ftruncate64 futex futex_requeue futex_time64 futex_wait futex_waitv "
    "futex_wake futimesat getcpu getcwd getdents getdents64 getegid getegid32 geteuid "
    "geteuid32 getgid getgid32 getgroups getgroups32 getitimer getpeername getpgid getpgrp "
    "getpid getppid getpriority getrandom getresgid getresgid32 getresuid getresuid32 "
    "getrlimit get_robust_list getrusage getsid getsockname getsockopt get_thread_area gettid "
    "gettimeofday getuid getuid32 getxattr inotify_add_watch inotify_init inotify_init1 "
    "inotify_rm_watch io_cancel ioctl io_destroy io_getevents io_pgetevents "
    "io_pgetevents_time64 ioprio_get ioprio_set io_setup io_submit ipc kill landlock_add_rule "
    "landlock_create_ruleset landlock_restrict_self lchown lchown32 lgetxattr link linkat "
    "listen listxattr llistxattr _llseek lremovexattr lseek lsetxattr lstat lstat64 madvise "
    "map_shadow_stack membarrier memfd_create memfd_secret mincore mkdir mkdirat mknod "
    "mknodat mlock mlock2 mlockall mmap mmap2 mprotect mq_getsetattr mq_notify mq_open "
    "mq_timedreceive mq_timedreceive_time64 mq_timedsend mq_timedsend_time64 mq_unlink mremap "
    "msgctl msgget msgrcv msgsnd msync munlock munlockall munmap name_to_handle_at nanosleep "
    "newfstatat _newselect open openat openat2 pause pidfd_open pidfd_send_signal pipe pipe2 "
    "pkey_alloc pkey_free pkey_mprotect poll ppoll ppoll_time64 prctl pread64 preadv preadv2 "
    "prlimit64 process_mrelease pselect6 pselect6_time64 pwrite64 pwritev pwritev2 read "
    "readahead readlink readlinkat readv recv recvfrom recvmmsg recvmmsg_time64 recvmsg "
    "remap_file_pages removexattr rename renameat renameat2 restart_syscall rmdir rseq "
    "rt_sigaction rt_sigpending rt_sigprocmask rt_sigqueueinfo rt_sigreturn rt_sigsuspend "
    "rt_sigtimedwait rt_sigtimedwait_time64 rt_tgsigqueueinfo sched_getaffinity sched_getattr "
    "sched_getparam sched_get_priority_max sched_get_priority_min sched_getscheduler "
    "sched_rr_get_interval sched_rr_get_interval_time64 sched_setaffinity sched_setattr "
    "sched_setparam sched_setscheduler sched_yield seccomp select semctl semget semop "
    "semtimedop semtimedop_time64 send sendfile sendfile64 sendmmsg sendmsg sendto setfsgid "
    "setfsgid32 setfsuid setfsuid32 setgid setgid32 setgroups setgroups32 setitimer setpgid "
    "setpriority setregid setregid32 setresgid setresgid32 setresuid setresuid32 setreuid "
    "setreuid32 setrlimit set_robust_list setsid setsockopt set_thread_area set_tid_address "
    "setuid setuid32 setxattr shmat shmctl shmdt shmget shutdown sigaltstack signalfd "
    "signalfd4 sigprocmask sigreturn socketcall socketpair splice stat stat64 statfs statfs64 "
    "statx symlink symlinkat sync sync_file_range syncfs sysinfo tee tgkill time timer_create "
    "timer_delete timer_getoverrun timer_gettime timer_gettime64 timer_settime "
    "timer_settime64 timerfd_create timerfd_gettime timerfd_gettime64 timerfd_settime "
    "timerfd_settime64 times tkill truncate truncate64 ugetrlimit umask uname unlink unlinkat "
    "utime utimensat utimensat_time64 utimes vfork vmsplice wait4 waitid waitpid write writev ";

/* docker's minKernel 4.8 rule (ptrace no longer bypasses seccomp); chroot, as CAP_SYS_CHROOT is
 * in the default set; the x86-only calls (names unknown to an arch are skipped). */
static const char docker_allowed_more[] =
    "process_vm_readv process_vm_writev ptrace chroot arch_prctl modify_ldt";

/* personality(2) only for these: the 32-bit and uname26 domains and the query. */
static const uint64_t docker_personalities[] = {0x0, 0x8, 0x20000, 0x20008, 0xffffffff};

/* clone(2) without namespace flags (CLONE_NEWNS|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET|NEWCGROUP). */
#define CLONE_NAMESPACE_FLAGS 0x7E020000ULL
#define AF_VSOCK_FAMILY	      40

static struct syscall_rule *new_rule(struct syscall_profile *p, uint32_t action, const char *name,
				     size_t nargs)
{
	p->rules = xrealloc(p->rules, (p->nrules + 1) * sizeof(*p->rules));
	struct syscall_rule *r = &p->rules[p->nrules++];
	memset(r, 0, sizeof(*r));
	r->action = action;
	if (name)
		syscall_rule_add_names(r, &name, 1);
	if (nargs) {
		r->args = xrealloc(NULL, nargs * sizeof(*r->args));
		r->nargs = nargs;
	}
	return r;
}

/* A space-separated list of syscall names into the rule. */
static void add_name_list(struct syscall_rule *r, const char *list)
{
	char *copy = xstrdup(list), *save = NULL;
	for (char *name = strtok_r(copy, " ", &save); name; name = strtok_r(NULL, " ", &save))
		syscall_rule_add_names(r, (const char *const *)&name, 1);
	free(copy);
}

static void add_conditional_rules(struct syscall_profile *p)
{
	for (size_t i = 0; i < sizeof(docker_personalities) / sizeof(docker_personalities[0]); i++)
		new_rule(p, SCMP_ACT_ALLOW, "personality", 1)->args[0] =
		    (struct syscall_arg_cmp){0, SCMP_CMP_EQ, docker_personalities[i], 0};
	new_rule(p, SCMP_ACT_ALLOW, "socket", 1)->args[0] =
	    (struct syscall_arg_cmp){0, SCMP_CMP_NE, AF_VSOCK_FAMILY, 0};
	new_rule(p, SCMP_ACT_ALLOW, "clone", 1)->args[0] =
	    (struct syscall_arg_cmp){0, SCMP_CMP_MASKED_EQ, CLONE_NAMESPACE_FLAGS, 0};
	/* clone3 hides its flags in memory: ENOSYS makes libc fall back to clone. */
	new_rule(p, SCMP_ACT_ERRNO(ENOSYS), "clone3", 0);
}

int syscall_profile_docker_default(struct syscall_profile *out)
{
	memset(out, 0, sizeof(*out));
	out->default_action = SCMP_ACT_ERRNO(EPERM);
	/* The compat entry points would otherwise be a way around the rules. */
	static const uint32_t x86_64_subarches[] = {SCMP_ARCH_X86, SCMP_ARCH_X32};
	static const uint32_t aarch64_subarches[] = {SCMP_ARCH_ARM};
	const uint32_t *sub = NULL;
	size_t nsub = 0;
	if (seccomp_arch_native() == SCMP_ARCH_X86_64)
		sub = x86_64_subarches, nsub = 2;
	else if (seccomp_arch_native() == SCMP_ARCH_AARCH64)
		sub = aarch64_subarches, nsub = 1;
	if (nsub) {
		out->arches = xrealloc(NULL, nsub * sizeof(*out->arches));
		memcpy(out->arches, sub, nsub * sizeof(*sub));
		out->narches = nsub;
	}
	struct syscall_rule *all = new_rule(out, SCMP_ACT_ALLOW, NULL, 0);
	add_name_list(all, docker_allowed);
	add_name_list(all, docker_allowed_more);
	add_conditional_rules(out);
	return 0;
}
