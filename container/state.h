/* The state directory of a container (/run/isolab/containers/NAME), read by ps/exec/stop/kill/rm.
 */
#ifndef CONTAINER_STATE_H
#define CONTAINER_STATE_H

#include "cgroup.h"

#include <stdbool.h>
#include <sys/types.h>

struct state {
	char name[64];
	pid_t pid;	 /* the container's init, seen from the host */
	pid_t monitor;	 /* the `container run` process that cleans up */
	char status[16]; /* running or exited */
	int exit_code;
	bool rm, userns, privileged;
	char ip[16];
	char rootfs[1024];
	char command[1024];
	long long created;
	int ndirs;
	char cgroup_dirs[CG_MAX_DIRS][1024];
};

/* /run/isolab when root, a per-user directory otherwise. */
const char *state_base(void);
char *state_dir(const char *name);
char *ipam_dir(void);
int state_write(const char *dir, const struct state *st);
/* 0, or -1 after printing "no such container" style errors. */
int state_read(const char *name, struct state *st);
/* Is the container still running (its monitor alive)? */
bool state_running(const struct state *st);
/* Clean up after monitors that died without doing it (kill -9). */
void state_sweep_stale(void);
/* Remove what a finished container still holds on the host: cgroups, address, veth. */
void state_release(struct state *st);

#endif
