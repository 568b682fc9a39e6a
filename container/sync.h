/*
 * The start protocol between the runtime and the container's init: typed
 * messages both ways on a SOCK_SEQPACKET pair (one message per datagram), as
 * runc's sync.go and crun's sync socket. Each step is named, and the init
 * answers READY or ERROR (errno and a message) before the runtime reports.
 *
 *   runtime                         init
 *   clone  ----------------------->  (new namespaces)
 *   id maps, veth; NAMESPACES_DONE ->  cgroup join (itself), hostname, network, rootfs,
 *                                      cgroup namespace
 *          <----------------------  READY | ERROR(errno, "volume target /etc/passwd: ...")
 *          <----------------------  (-t) the terminal's master, SCM_RIGHTS, from its devpts
 *
 * NAMESPACES_DONE only when the runtime has work after the clone (a new user namespace's
 * id maps, a veth): without it the init goes on at once, one round trip less. The init
 * joins its cgroup itself unless born there (cgroup_open_procs: no RCU grace period).
 *
 * The OCI create adds one round before READY, for the hooks of the runtime's namespace:
 *          <----------------------  HOOKS (mounts done, before pivot_root)
 *   prestart, createRuntime; HOOKS_DONE ->  createContainer, pivot_root, ...
 */
#ifndef CONTAINER_SYNC_H
#define CONTAINER_SYNC_H

#include <stdbool.h>
#include <stdint.h>

enum sync_type {
	SYNC_NAMESPACES_DONE = 1, /* runtime: id maps and network are in place */
	SYNC_READY,		  /* init: set up, about to run (or wait for) the command */
	SYNC_ERROR,		  /* init: setup failed; errnum and text say why */
	SYNC_HOOKS,		  /* init (OCI): mounts done; run prestart, createRuntime */
	SYNC_HOOKS_DONE,	  /* runtime: they ran */
};

struct sync_msg {
	uint32_t type;
	int32_t errnum;
	int32_t value; /* READY from exec's joiner: the command's pid */
	char text[476];
};

/* 0, or -1 with errno set (EPIPE when the other side is gone). */
int sync_send(int fd, enum sync_type type, int errnum, const char *text);
int sync_send_value(int fd, enum sync_type type, int value);
/* The next message; -1 after one line when the other side is gone. */
int sync_recv(int fd, struct sync_msg *m, const char *stage);
/* Wait for `want`; ERROR is printed as the init's own line. 0, or -1 after one line. */
int sync_expect(int fd, enum sync_type want, const char *stage);

const char *sync_type_name(uint32_t type);

struct cgroup_procs;
/* The init's first step: NAMESPACES_DONE when the runtime has a step after the clone, then
 * its cgroup join (join: opened by the runtime before the clone, emptied by a child born
 * in its cgroup; closed here). 0, or -1. */
int sync_await_namespaces(int fd, bool runtime_step, struct cgroup_procs *join);

#endif
