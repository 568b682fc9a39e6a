/*
 * SCMP_ACT_NOTIFY (runtime spec, linux.seccomp.listenerPath): the seccomp notification fd
 * of the container's process goes to the agent listening on a UNIX socket, with the
 * "container process state" (fds, pid, metadata, state) in the same message.
 *
 * The runtime connects to listenerPath at create, in its own mount namespace (the path
 * is the host's); the process inherits the connection and, right after loading its
 * filter, sends the JSON and the fd (SCM_RIGHTS) over it and closes it, one state per
 * connection as the spec asks. The filter is loaded just before the execve, at start,
 * when the create command that connected is gone: the connection is what outlives it.
 * `exec` does the same for the process it starts (status "running").
 */
#ifndef CONTAINER_SECCOMP_LISTENER_H
#define CONTAINER_SECCOMP_LISTENER_H

#include "security.h"

#include <stdbool.h>
#include <sys/types.h>

/* Does the profile notify (and so need a listener)? */
bool seccomp_notifies(const struct process_security *s);
/* In the runtime: connect to the profile's listenerPath when it notifies; -1 after one
 * line (the spec: failing to reach the listener is an error). */
int seccomp_listener_connect(struct process_security *s);
/* In the runtime once the process holds its own copy of the connection: ours closed, so
 * that the agent sees the connection end after the one message. */
void seccomp_listener_release(struct process_security *s);
/* In the process, while its pid as the runtime sees it is known: the message to send.
 * state_json: the container's state (oci_hook_state). */
void seccomp_listener_prepare(struct process_security *s, const char *state_json, pid_t pid);
/* Right after the filter is loaded: send the message with notify_fd, close both. */
int seccomp_listener_send(const struct process_security *s, int notify_fd);

#endif
