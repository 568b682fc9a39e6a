/*
 * What the container's command may do: capabilities (five sets), rlimits, seccomp,
 * no_new_privs, oom_score_adj, personality, LSM labels. Parsed and checked in the runtime
 * (the seccomp filter compiled there too, so every error comes before anything starts),
 * applied in the command's process just before its execve.
 */
#ifndef CONTAINER_SECURITY_H
#define CONTAINER_SECURITY_H

#include "caps.h"
#include "rlimits.h"
#include "syscall_filter.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct json_object;

struct process_security {
	bool set_caps; /* false: capabilities left as inherited */
	uint64_t caps[NCAPSETS];
	struct process_rlimit *rlimits;
	size_t nrlimits;
	bool no_new_privileges;
	bool set_oom_score_adj;
	int oom_score_adj;
	bool set_personality;
	unsigned long personality;	 /* PER_LINUX or PER_LINUX32, with flags */
	struct syscall_profile *seccomp; /* NULL: no filter */
	struct syscall_bpf filter;	 /* seccomp compiled (len 0: none) */
	char *apparmor_profile;		 /* set only where the host has AppArmor */
	char *selinux_label;		 /* process label, where the host has SELinux */
	/* SCMP_ACT_NOTIFY: the connection to listenerPath and what goes over it with the
	 * notification fd (seccomp_listener.h). */
	bool has_listener;
	int listener_fd;
	char *listener_msg;
};

/* The OCI config's "process" and "linux" objects (either may be NULL); -1 after a one-line
 * error naming the bad field. On success *out owns memory: security_free. */
int security_from_oci(struct json_object *process, struct json_object *linux_obj,
		      struct process_security *out);
/* What the docker-like `container run` uses: docker's capabilities (CAP_MKNOD: the device cgroup
 * decides), its seccomp profile, no_new_privs; privileged: every capability held, no filter. */
void security_docker_defaults(struct process_security *out, bool privileged);
/*
 * In the command's process, just before execve, in this order: rlimits, oom_score_adj,
 * personality, (seccomp here when no_new_privs is off: loading it then needs CAP_SYS_ADMIN),
 * the bounding set, inheritable/permitted/effective, ambient, no_new_privs, seccomp.
 * Call it after the user switch; a switch from uid 0 must keep the permitted set
 * (prctl(PR_SET_KEEPCAPS, 1) before setresuid, as runc), which this then trims.
 */
int security_apply(const struct process_security *s);
/* In the runtime at create: -1 after the one-line error security_apply would give later,
 * for a capability the runtime lacks (not checked with a new user namespace, where the
 * process holds a full set) or a hard rlimit it cannot raise (CAP_SYS_RESOURCE counts in
 * the host's user namespace, so checked always). runc reports these before the container
 * exists. */
int security_check_host(const struct process_security *s, bool new_userns);
void security_free(struct process_security *s);

/* The docker-like path until it builds an OCI spec: switch to uid/gid, then apply s
 * (security_docker_defaults; a non-root user gets no effective or permitted capability,
 * as with docker). */
int confine_process(uid_t uid, gid_t gid, const struct process_security *s);
/* Close every descriptor above 2 except keep (-1 for none). */
void close_fds_except(int keep);
void close_fds_except_two(int a, int b);

#endif
