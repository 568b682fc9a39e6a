/* One container being run: what both sides of the clone need to know. */
#ifndef CONTAINER_CONTAINER_H
#define CONTAINER_CONTAINER_H

#include "cgroup.h"
#include "options.h"
#include "pty.h"
#include "rootfs.h"
#include "security.h"
#include "state.h"

#include <stdint.h>

struct container {
	struct run_opts *o;
	char name[64];
	char *dir; /* state directory */
	struct rootfs_spec fs;
	struct cgroup cg;
	struct state st;
	struct pty pty;
	struct process_security security; /* the command's, built before the clone */
	bool has_pty;
	bool userns;
	uid_t host_uid; /* who runs the runtime, for rootless id maps */
	gid_t host_gid;
	int sync[2]; /* [0] the runtime's end, [1] the container's */
	int log_fd;  /* -d: the container's stdout/stderr, else -1 */
	char ip[16];
	char veth[16];
	pid_t pid; /* init, in the host's pid namespace */
	pid_t proxy;
	bool started; /* init got its go */
	bool reaped;  /* init's exit status collected */
	uint64_t t_clone, t_exec;
};

/* What runs in the container and as whom (it grows into the OCI `process` object). */
struct process_desc {
	char **argv;		/* NULL-terminated */
	const char *const *env; /* KEY=VAL, on top of PATH, HOME, container= */
	size_t nenv;
	const char *hostname; /* HOSTNAME in the environment, or NULL */
	const char *cwd;      /* created when missing; NULL means / */
	uid_t uid;
	gid_t gid;
	bool privileged; /* no confinement */
	bool tty;	 /* TERM=xterm */
	/* Built by the runtime before the clone, applied just before the exec. */
	const struct process_security *security;
};

/* The container side: runs as pid 1 of the new namespaces, never returns. */
__attribute__((noreturn)) void container_init(struct container *c);
/* The command's process: confine it and exec (shared with `container exec`). */
__attribute__((noreturn)) void exec_command(const struct process_desc *p);

int cmd_run(int argc, char **argv);

#endif
