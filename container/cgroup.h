/* A container's cgroup: one directory per hierarchy (v1) or one (v2). Made with its limits
 * by oci_cgroup.c for both CLIs; here what is independent of the spec: detection, joining,
 * statistics, removal. */
#ifndef CONTAINER_CGROUP_H
#define CONTAINER_CGROUP_H

#include <stdbool.h>
#include <sys/types.h>

#define CG_MAX_DIRS 8

struct cg_stats {
	long long peak_memory_bytes; /* -1 when unknown */
	long long cpu_usec;
};

struct cgroup;

struct cgroup_ops {
	const char *name;
	/* One hierarchy a process can be born in (clone3 CLONE_INTO_CGROUP): cgroup v2. */
	bool clone_into;
	int (*stats)(const struct cgroup *cg, struct cg_stats *st);
};

struct cgroup {
	const struct cgroup_ops *ops;
	const char *root; /* v2: the unified hierarchy's mount point */
	int ndirs;
	char *dirs[CG_MAX_DIRS];
};

extern const struct cgroup_ops cgroup_v1_ops;
extern const struct cgroup_ops cgroup_v2_ops;

/* Pick v2 when /sys/fs/cgroup is a cgroup2 mount, v1 otherwise. */
void cgroup_detect(struct cgroup *cg);
/* Is the host's /sys/fs/cgroup a cgroup2 mount (not a hybrid's or a v1 host's tmpfs)? */
bool cgroup_unified(void);
/* Move a process (0: the caller) into every directory of the cgroup. */
int cgroup_enter(const struct cgroup *cg, pid_t pid);
/* A process joining itself, in two steps (it may have left the host's mount namespace
 * or its user by then): open the files first, write pid 0 to them later, from a
 * single-threaded process (a fork). On v1 the files are `tasks`: moving the caller's own
 * (only) thread skips the global lock whose first writer waits for an RCU grace period
 * (5-15 ms here), which cgroup.procs or another pid takes. The writes are checked against
 * the opener's credentials, so a process that gave up root may still make them. */
struct cgroup_procs {
	int n;
	int fds[CG_MAX_DIRS];
	const char *dirs[CG_MAX_DIRS]; /* for the error message */
};
int cgroup_open_procs(const struct cgroup *cg, struct cgroup_procs *out);
int cgroup_enter_procs(const struct cgroup_procs *p, pid_t pid);
void cgroup_close_procs(struct cgroup_procs *p);
int cgroup_stats(const struct cgroup *cg, struct cg_stats *st);
/* Kill whatever is left inside, then remove the directories. */
void cgroup_destroy(struct cgroup *cg);

/* Shared by the backends. */
int cg_write(const char *dir, const char *file, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int cg_read_ll(const char *dir, const char *file, const char *key, long long *out);

#endif
