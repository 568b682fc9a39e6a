/* -t: the command gets a pseudo-terminal; the runtime relays it to the user's terminal. */
#ifndef CONTAINER_PTY_H
#define CONTAINER_PTY_H

#include <stdbool.h>
#include <stddef.h>

struct pty {
	int master;
	bool raw; /* the user's terminal was put in raw mode */
};

/* A pair from /dev/ptmx (in the container: its own devpts); the master, or -1 with errno. */
int pty_alloc(char *slave, size_t len);
/* The master the container's init sent on `sock` (SCM_RIGHTS); 0, or -1 after one line. */
int pty_recv_master(struct pty *p, int sock);
/* Make the slave the caller's controlling terminal and stdio (in the command's process). */
int pty_attach_slave(const char *slave);
void pty_raw_mode(struct pty *p);
void pty_restore(struct pty *p);
void pty_copy_winsize(const struct pty *p);
/* Copy what is ready from `from` to `to`; 0 at end of input, -1 on error. */
int pty_pump(int from, int to);

#endif
