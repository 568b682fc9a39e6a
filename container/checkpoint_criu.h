/*
 * One CRIU request (dump or restore) as the runtime builds it, run through libcriu
 * (Debian's criu package: it spawns `criu swrk` and speaks CRIU's RPC over a socket).
 * Only checkpoint_criu.c sees libcriu's types; the verbs fill this model.
 */
#ifndef CONTAINER_CHECKPOINT_CRIU_H
#define CONTAINER_CHECKPOINT_CRIU_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct criu_pair {
	char *key, *val;
};

struct criu_fd {
	int fd;
	char *key;
};

struct criu_req {
	const char *image_dir; /* made if missing (dump) */
	const char *work_dir;  /* logs and work files; NULL: the image dir */
	const char *verb;      /* "checkpoint" or "restore": the error line's prefix */
	pid_t pid;	       /* dump: the tree's root */
	const char *root;      /* the container's root (restore: a mount point) */
	bool leave_running, tcp_established, file_locks;
	/* restore: CRIU's stderr (its helpers' complaints, e.g. nft's about its lock table)
	 * to /dev/null; its log has it. Not when an inherited fd is our own stderr. */
	bool quiet;
	struct criu_pair *ext_mounts, *cg_roots, *veths;
	size_t n_ext_mounts, n_cg_roots, n_veths;
	char **externals;
	size_t n_externals;
	struct criu_fd *inherit;
	size_t n_inherit;
};

void criu_req_ext_mount(struct criu_req *r, const char *key, const char *val);
/* ctrl NULL: every controller (cgroup v2's one hierarchy). */
void criu_req_cg_root(struct criu_req *r, const char *ctrl, const char *path);
void criu_req_external(struct criu_req *r, const char *key);
/* restore: the veth `inside` of the dumped netns gets its peer `outside` here, on
 * bridge when not NULL. */
void criu_req_veth(struct criu_req *r, const char *inside, const char *outside, const char *bridge);
void criu_req_inherit(struct criu_req *r, int fd, const char *key);
void criu_req_free(struct criu_req *r);

/* 0, or -1 after one line: CRIU's first error from its log, and where the log is. */
int criu_run_dump(const struct criu_req *r);
/* The restored tree's root, a child of the caller; -1 after one line. */
pid_t criu_run_restore(const struct criu_req *r);
/* Is the criu binary there? -1 after one line saying how to get it. */
int criu_available(void);

#endif
