/* Small helpers shared by every part of the container runtime. */
#ifndef CONTAINER_UTIL_H
#define CONTAINER_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Print "container: MSG" on stderr; err_ret returns -1, die _exits with 125. */
__attribute__((format(printf, 1, 2))) int err_ret(const char *fmt, ...);
__attribute__((format(printf, 1, 2), noreturn)) void die(const char *fmt, ...);
__attribute__((format(printf, 1, 2))) void warnx_ctr(const char *fmt, ...);

/* The init's setup: errors go to the start protocol's socket as ERROR (-1: stderr again). */
void err_send_to_sync(int fd);
/* OCI --log FILE [--log-format json]: errors and warnings appended there as well. */
int err_log_to(const char *path, bool json);
/* A wait status as a shell reports it: the exit code, or 128+N after signal N. */
int exit_code(int status);

void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
__attribute__((format(printf, 1, 2))) char *xasprintf(const char *fmt, ...);

/* Write a whole string to a file (no O_CREAT); -1 with errno set on failure. */
int write_file(const char *path, const char *s);
/* Read up to len-1 bytes of a file, NUL-terminated; -1 on failure. */
int read_file(const char *path, char *buf, size_t len);
int mkdir_p(const char *path, unsigned mode);
/* A SOCK_STREAM connection to a UNIX socket (close-on-exec); -1 after one line naming
 * what it is for ("--console-socket"). */
int connect_unix(const char *what, const char *path);
/* One message of len bytes (at least 1) with fd attached (SCM_RIGHTS); -1 with errno. */
int send_fd(int sock, int fd, const void *data, size_t len);
int remove_tree(const char *path);
uint64_t now_ns(void);
/* fork with a pipe from parent to child (child_reads) or back: *fd is this side's end
 * (close-on-exec), the other end closed. The pid, 0 in the child, -1 after one line. */
pid_t fork_with_pipe(bool child_reads, int *fd);
/* Replace what ps shows for this process (the container's init hides the host's paths). */
void proc_title_init(int argc, char **argv);
void proc_title_set(const char *title);

#endif
