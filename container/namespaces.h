/* Creating and entering the container's namespaces. */
#ifndef CONTAINER_NAMESPACES_H
#define CONTAINER_NAMESPACES_H

#include <stdbool.h>
#include <sys/types.h>

/* Root's --userns maps container ids 0..65535 to these host ids. */
#define USERNS_BASE 100000
#define USERNS_SIZE 65536

/* fork() with namespace flags: returns 0 in the child, which is pid 1 with CLONE_NEWPID.
 * With a cgroup v2 directory fd (else -1), the child may start inside it: *in_cgroup. */
pid_t clone_process(unsigned long flags, int cgroup_fd, bool *in_cgroup);
/* As root: map ids 0..65535 of pid's new user namespace to USERNS_BASE... */
int write_id_maps(pid_t pid);
/* Rootless, from inside the new user namespace: root there is uid/gid outside. */
int write_own_id_maps(uid_t uid, gid_t gid);
/* Join every namespace of pid (user first when it has its own). */
int enter_namespaces(pid_t pid, bool userns);

#endif
