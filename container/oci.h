/* The OCI runtime CLI (runc's shape) and what its verbs share. */
#ifndef CONTAINER_OCI_H
#define CONTAINER_OCI_H

#include "oci_state.h"
#include "security.h"
#include "spec.h"

#include <stdbool.h>

struct oci_globals {
	const char *root; /* --root, default /run/isolab/oci */
	bool debug;
};

struct oci_create;

/* What the docker-like CLI does around the create core, where OCI has no field: each
 * step may be NULL; arg is theirs. Errors: one line, -1 (in the init: ERROR to the
 * runtime). */
struct create_steps {
	/* runtime, after the clone and the id maps, before NAMESPACES_DONE: the veth */
	int (*after_clone)(void *arg, pid_t pid);
	/* init, first thing: its own id maps (rootless), the parent-death signal */
	int (*init_first)(void *arg);
	/* init, after the cgroup join, the user switch and the hostname: eth0 */
	int (*in_namespaces)(void *arg);
	/* init, in its mount namespace before the root is bound: the overlay */
	int (*before_root)(void *arg);
	/* init, after READY: runs the process instead of waiting for `start` */
	__attribute__((noreturn)) void (*run)(struct oci_create *c, void *arg);
	void *arg;
};

/* One `create`: both sides of the clone use it. */
struct oci_create {
	struct spec s;
	struct oci_state st;
	int sync[2];	/* [0] the runtime's end, [1] the init's */
	int fifo_fd;	/* ROOT/ID/exec.fifo, O_RDWR: the init reads `start`'s byte from it */
	int console_fd; /* connected --console-socket, or -1 */
	int ns_fds[8];	/* per s.ns[i]: opened path to join, or -1 for a new one */
	bool no_pivot;
	struct cgroup_procs join;    /* the init joins its cgroup itself (unless born there) */
	struct process_security sec; /* built before the clone: errors come first */
	bool have_sec;
	const struct create_steps *steps; /* the docker-like CLI's, or NULL */
	bool maps_by_init;		  /* rootless: the init writes its own id maps */
	/* The terminal is for the init's child (steps->run): /dev/console shows it, the init
	 * keeps it in tty_slave instead of attaching it; the master goes to console_fd. */
	bool terminal_for_child;
	char tty_slave[64];
};

struct process_desc;
/* The process to exec from the spec's process object (create's init, exec's process). */
void oci_process_desc(const struct spec_process *p, const struct process_security *sec,
		      struct process_desc *out);
/* The init's side: set up, READY, wait for start, exec the process. */
__attribute__((noreturn)) void oci_init(struct oci_create *c);
/* The create core, both CLIs': clone the init into the spec's namespaces (born in
 * c->st.cg on v2) and take it through the start protocol up to READY. c->sync[0] stays
 * open (the init's exec closes the other end). 0, or -1 after one line (*pid set when the
 * init exists: the caller kills it). */
int create_spawn(struct oci_create *c, pid_t *pid);
/* Has the runtime a step between the clone and NAMESPACES_DONE (id maps, the veth)? */
bool create_runtime_step(const struct oci_create *c);
/* create: the init waits for `start`; 0 or -1 after one line. *pid_out for run. */
int oci_do_create(const struct oci_globals *g, const char *id, const char *bundle,
		  const char *pid_file, const char *console_socket, bool no_pivot, pid_t *pid_out);
int oci_do_start(const struct oci_globals *g, const char *id);
int oci_do_delete(const struct oci_globals *g, const char *id, bool force);
/* Send the pty master over the console socket (SCM_RIGHTS), as runc. */
int oci_send_fd(int sock, int fd);
int oci_exec(const struct oci_globals *g, int argc, char **argv);
int oci_verbs(const struct oci_globals *g, const char *verb, int argc, char **argv);
int oci_more_verbs(const struct oci_globals *g, const char *verb, int argc, char **argv);
int oci_main(int argc, char **argv);
/* Is this command line for the OCI CLI rather than the docker-like one? */
bool oci_wants(int argc, char **argv);
/* The state JSON as hooks get it (status given, pid from the state). */
char *oci_hook_state(const struct oci_state *st, const char *status, pid_t pid);
int oci_parse_signal(const char *s);
/* Now, as the state's "created" (RFC 3339, nanoseconds). */
void rfc3339_now(char *buf, size_t len);
/* --pid-file: written whole (a temporary renamed), or -1 after one line. */
int write_pid_file(const char *path, pid_t pid);

#endif
