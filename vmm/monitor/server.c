/*
 * The monitor on a Unix socket: one client at a time, one command per line,
 * answers written back as they are produced (no prompt, so scripts read
 * plain text). Lines are bounded: an over-long one is answered with an
 * error and skipped, never truncated into a different command.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "../util.h"
#include "internal.h"

struct client {
	int fd;
	char line[MONITOR_LINE_MAX + 1];
	size_t len;
	bool overlong; /* dropping the rest of a line that was too long */
};

/* Writes through send(MSG_NOSIGNAL): a client that went away must not kill vmm. */
static ssize_t sock_write(void *cookie, const char *buf, size_t size)
{
	int fd = *(int *)cookie;
	size_t done = 0;
	while (done < size) {
		ssize_t n = send(fd, buf + done, size - done, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return done ? (ssize_t)done : -1;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

/* more_input: the next line is already here, so `stats watch` must not wait for one. */
static void handle_line(struct monitor *mon, struct client *cl, FILE *out, bool more_input)
{
	cl->line[cl->len] = '\0';
	if (cl->overlong)
		fprintf(out, "error: line too long (at most %d bytes)\n", MONITOR_LINE_MAX);
	else
		monitor_exec(mon, cl->line, out, more_input ? -1 : cl->fd);
	fflush(out);
	cl->len = 0;
	cl->overlong = false;
}

/* Feeds received bytes into lines; runs each complete one. */
static void take_bytes(struct monitor *mon, struct client *cl, FILE *out, const char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (buf[i] == '\n') {
			handle_line(mon, cl, out, i + 1 < n);
		} else if (cl->len == MONITOR_LINE_MAX) {
			cl->overlong = true;
		} else if (buf[i] == '\0') {
			cl->line[cl->len++] = ' '; /* a NUL must not hide the rest of the line */
		} else {
			cl->line[cl->len++] = buf[i];
		}
	}
}

static void serve_client(struct monitor *mon, int fd)
{
	struct client cl = {.fd = fd};
	cookie_io_functions_t io = {.write = sock_write};
	FILE *out = fopencookie(&cl.fd, "w", io);
	if (!out)
		return;
	struct pollfd fds[2] = {{.fd = fd, .events = POLLIN},
				{.fd = mon->stop_pipe[0], .events = POLLIN}};
	while (!mon->ops->exiting(mon->ctx)) {
		if (poll(fds, 2, 500) < 0 && errno != EINTR)
			break;
		if (fds[1].revents)
			break;
		if (!fds[0].revents)
			continue;
		char buf[4096];
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (cl.len)
				handle_line(mon, &cl, out,
					    false); /* a last line without a newline */
			break;
		}
		take_bytes(mon, &cl, out, buf, (size_t)n);
	}
	fclose(out);
}

static void *server_thread(void *arg)
{
	struct monitor *mon = arg;
	struct pollfd fds[2] = {{.fd = mon->listen_fd, .events = POLLIN},
				{.fd = mon->stop_pipe[0], .events = POLLIN}};
	for (;;) {
		if (poll(fds, 2, -1) < 0 && errno != EINTR)
			break;
		if (fds[1].revents)
			break;
		if (!fds[0].revents)
			continue;
		int fd = accept4(mon->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			continue;
		serve_client(mon, fd);
		close(fd);
	}
	return NULL;
}

/* A socket file left by a vmm that died is reused; anything else at path is refused. */
static int clear_stale_socket(const char *path, const struct sockaddr_un *addr)
{
	struct stat st;
	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0
				       : vmm_err("monitor socket %s: %s", path, strerror(errno));
	if (!S_ISSOCK(st.st_mode))
		return vmm_err("monitor socket %s: a file that is not a socket is in the way",
			       path);
	int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int in_use =
	    probe >= 0 && connect(probe, (const struct sockaddr *)addr, sizeof(*addr)) == 0;
	if (probe >= 0)
		close(probe);
	if (in_use)
		return vmm_err("monitor socket %s: another vmm is serving it", path);
	unlink(path);
	return 0;
}

static int open_listener(struct monitor *mon, const char *path)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	if (!*path || strlen(path) >= sizeof(addr.sun_path))
		return vmm_err("monitor socket path must be 1 to %zu bytes",
			       sizeof(addr.sun_path) - 1);
	strcpy(addr.sun_path, path);
	if (clear_stale_socket(path, &addr) < 0)
		return -1;
	mon->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (mon->listen_fd < 0)
		return vmm_err("monitor socket: %s", strerror(errno));
	/* Whoever can connect can read guest memory: owner only. */
	if (fchmod(mon->listen_fd, 0600) < 0 ||
	    bind(mon->listen_fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    chmod(path, 0600) < 0 || listen(mon->listen_fd, 4) < 0)
		return vmm_err("monitor socket %s: %s", path, strerror(errno));
	snprintf(mon->path, sizeof(mon->path), "%s", path);
	return 0;
}

int monitor_serve_unix(struct monitor *mon, const char *path)
{
	if (mon->serving)
		return vmm_err("the monitor is already served on %s", mon->path);
	if (open_listener(mon, path) < 0 || pipe2(mon->stop_pipe, O_CLOEXEC) < 0)
		goto fail;
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old); /* signals stay with the main thread */
	int err = pthread_create(&mon->thread, NULL, server_thread, mon);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err) {
		vmm_err("cannot start the monitor thread: %s", strerror(err));
		goto fail;
	}
	mon->serving = true;
	return 0;
fail:
	monitor_stop_server(mon);
	return -1;
}

void monitor_stop_server(struct monitor *mon)
{
	if (mon->serving) {
		(void)!write(mon->stop_pipe[1], "", 1);
		pthread_join(mon->thread, NULL);
		mon->serving = false;
	}
	if (mon->listen_fd >= 0) {
		close(mon->listen_fd);
		mon->listen_fd = -1;
		if (mon->path[0])
			unlink(mon->path);
		mon->path[0] = '\0';
	}
	for (int i = 0; i < 2; i++) {
		if (mon->stop_pipe[i] >= 0)
			close(mon->stop_pipe[i]);
		mon->stop_pipe[i] = -1;
	}
}
