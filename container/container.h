/* One container being run: what both sides of the clone need to know. */
#ifndef CONTAINER_CONTAINER_H
#define CONTAINER_CONTAINER_H

#include "cgroup.h"
#include "oci.h"
#include "options.h"
#include "pty.h"
#include "rootfs.h"
#include "security.h"
#include "state.h"

#include <stdint.h>

/* Where the container sees its pid 1's program (container/reaper/container-init.c). */
#define REAPER_PATH "/dev/.container-init"

/* container restore (restore_run.c): CRIU brings the checkpoint's process tree back in
 * place of the create core's clone, at the checkpoint's address. */
struct run_restore {
	const char *dir; /* the checkpoint directory */
	char ip[16];	 /* the checkpointed container's; "" without --net bridge */
	bool tcp_established, file_locks;
};

struct container {
	struct run_opts *o;
	struct run_restore *restore; /* NULL for run */
	char name[64];
	char *dir;	       /* state directory */
	struct rootfs_spec fs; /* the overlay, mounted before the core binds the root */
	/* The create core's: the spec run_build_spec makes, the cgroup (core.st.cg), the
	 * start protocol's sockets (core.sync), the command's security (core.sec). */
	struct oci_create core;
	struct create_steps steps; /* ours around the core: run.c, init.c */
	char **volume_labels;	   /* "volume HOST:CTR", for the mounts' errors */
	char cgroup_controllers[64];
	char *cgroups_path;
	struct state st;
	struct pty pty;
	bool has_pty;
	bool userns;
	uid_t host_uid; /* who runs the runtime, for rootless id maps */
	gid_t host_gid;
	int console[2]; /* -t: the console socket pair, [0] the runtime's end */
	int log_fd;	/* -d: the container's stdout/stderr, else -1 */
	char ip[16];
	char veth[16];
	char reaper[4096]; /* container-init on the host, bound on REAPER_PATH; "" if none */
	pid_t pid;	   /* init, in the host's pid namespace */
	pid_t proxy;
	bool started; /* init got its go */
	bool reaped;  /* init's exit status collected */
	uint64_t t_clone, t_exec;
};

/* What runs in the container and as whom: the OCI `process` object's part that is not
 * security (security.h has capabilities, rlimits, seccomp...). */
struct process_desc {
	char **argv;	 /* NULL-terminated */
	char **env;	 /* the whole environment, NULL-terminated */
	const char *cwd; /* NULL means / */
	bool make_cwd;	 /* docker's -w: created when missing */
	uid_t uid;
	gid_t gid;
	const gid_t *gids; /* additional groups */
	size_t ngids;
	int umask; /* -1: inherited */
	/* Built by the runtime before the clone, applied just before the exec. */
	const struct process_security *security;
	/* docker's rules (confine_process): no additional groups, and a non-root user gets
	 * no capability. Off for OCI, whose process object says exactly what it gets. */
	bool docker_user;
};

/* docker's environment: PATH, HOME, container=isolab, HOSTNAME, TERM with -t, then -e's. */
char **docker_env(const char *const *user, size_t n, const char *hostname, bool tty);

/* The command's process: confine it and exec (shared with `container exec`). */
__attribute__((noreturn)) void exec_command(const struct process_desc *p);

int cmd_run(int argc, char **argv);
/* run's work once the options are there (cmd_run's, or a checkpoint's for restore);
 * detach: the caller returns once it started (-d). The container's exit code, or 125. */
int run_start(struct run_opts *o, struct run_restore *restore, bool detach);
/* restore: the upper layer back, then CRIU's restore of the tree as our child (c->pid). */
int restore_run_spawn(struct container *c);
/* The container as an OCI spec for the create core (run_spec.c). */
void run_build_spec(struct container *c, struct spec *s);
/* Does it get a cgroup (limits, --stats, the device filter)? Not rootless. */
bool run_wants_cgroup(const struct container *c);
/* Our steps around the core in the init (init.c): into c->steps. */
void run_init_steps(struct container *c);

#endif
