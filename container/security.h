/* What the container's command may do: capabilities, no_new_privs, seccomp, inherited fds. */
#ifndef CONTAINER_SECURITY_H
#define CONTAINER_SECURITY_H

#include <stdbool.h>
#include <sys/types.h>

/* Switch to uid/gid and confine the calling process; prints its own error. */
int confine_process(uid_t uid, gid_t gid, bool privileged);
/* Close every descriptor above 2 except keep (-1 for none). */
void close_fds_except(int keep);

#endif
