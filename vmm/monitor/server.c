/*
 * The monitor on a Unix socket, served from the VM's event loop: any number
 * of clients at once (up to MAX_CLIENTS), each with its own line buffer, one
 * command per line, answers written back as they are produced (no prompt, so
 * scripts read plain text); an idle client holds no one up. Lines are bounded: an over-long one is
 * answered with an error and skipped, never truncated into a different command.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "../util.h"
#include "internal.h"

#define MAX_CLIENTS	    16
#define CLIENT_SEND_TIMEOUT 2 /* seconds a client that does not read may hold the loop up */

struct client {
	struct client *next;
	struct monitor *mon;
	int fd;
	bool closed;
	struct event_watch watch;
	struct monitor_session session;
	char line[MONITOR_LINE_MAX + 1];
	size_t len;
	bool overlong; /* dropping the rest of a line that was too long */
	/* Bytes that came after a `stats watch` line: run once the watch ends. */
	char pending[4096];
	size_t pending_len;
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

static void handle_line(struct client *cl)
{
	cl->line[cl->len] = '\0';
	if (cl->overlong)
		fprintf(cl->session.out, "error: line too long (at most %d bytes)\n",
			MONITOR_LINE_MAX);
	else
		monitor_exec(cl->mon, cl->line, cl->session.out, &cl->session);
	fflush(cl->session.out);
	cl->len = 0;
	cl->overlong = false;
}

static void listen_to(struct client *cl, bool on)
{
	if (!cl->closed)
		event_loop_mod(cl->mon->loop, &cl->watch, on ? EPOLLIN : 0);
}

/*
 * Feeds received bytes into lines and runs each complete one. When a line
 * starts `stats watch`, the rest waits in pending and the socket is not read
 * until the watch ends; input already there ends it at its next tick.
 */
static void take_bytes(struct client *cl, const char *buf, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (buf[i] == '\n') {
			handle_line(cl);
			if (!monitor_session_watching(&cl->session))
				continue;
			cl->pending_len = n - i - 1;
			memmove(cl->pending, buf + i + 1, cl->pending_len);
			/* Input already here ends it at the first tick; otherwise the next does. */
			cl->session.stop_at_tick = cl->pending_len > 0;
			listen_to(cl, !cl->session.stop_at_tick);
			return;
		} else if (cl->len == MONITOR_LINE_MAX) {
			cl->overlong = true;
		} else if (buf[i] == '\0') {
			cl->line[cl->len++] = ' '; /* a NUL must not hide the rest of the line */
		} else {
			cl->line[cl->len++] = buf[i];
		}
	}
}

static void close_client(struct client *cl)
{
	struct monitor *mon = cl->mon;
	if (cl->closed)
		return;
	cl->closed = true;
	monitor_session_end_watch(&cl->session);
	monitor_session_leave_migration(&cl->session);
	event_loop_del(mon->loop, &cl->watch);
	fclose(cl->session.out);
	close(cl->fd);
	for (struct client **p = &mon->clients; *p; p = &(*p)->next) {
		if (*p == cl) {
			*p = cl->next;
			break;
		}
	}
	mon->nr_clients--;
	/* The loop's current batch may still hold an event for this client. */
	event_loop_free_later(mon->loop, cl);
}

static void watch_ended(struct monitor_session *s)
{
	struct client *cl = s->owner;
	if (cl->closed)
		return;
	char rest[sizeof(cl->pending)];
	size_t n = cl->pending_len;
	memcpy(rest, cl->pending, n);
	cl->pending_len = 0;
	take_bytes(cl, rest, n);
	if (!monitor_session_watching(s))
		listen_to(cl, true);
}

static void on_client(void *arg, uint32_t events)
{
	struct client *cl = arg;
	(void)events;
	if (cl->closed)
		return;
	if (monitor_session_watching(&cl->session)) {
		cl->session.stop_at_tick = true; /* the bytes wait in the socket */
		listen_to(cl, false);
		return;
	}
	char buf[sizeof(cl->pending)];
	ssize_t n = recv(cl->fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		if (cl->len)
			handle_line(cl); /* a last line without a newline */
		close_client(cl);
		return;
	}
	take_bytes(cl, buf, (size_t)n);
}

static void add_client(struct monitor *mon, int fd)
{
	struct timeval send_timeout = {.tv_sec = CLIENT_SEND_TIMEOUT};
	struct client *cl = mon->nr_clients < MAX_CLIENTS ? calloc(1, sizeof(*cl)) : NULL;
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &send_timeout, sizeof(send_timeout));
	if (!cl) {
		static const char busy[] = "error: too many monitor clients\n";
		(void)!send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
		close(fd);
		return;
	}
	cl->mon = mon;
	cl->fd = fd;
	cookie_io_functions_t io = {.write = sock_write};
	cl->session = (struct monitor_session){
	    .mon = mon, .loop = mon->loop, .watch_ended = watch_ended, .owner = cl};
	cl->session.tick.fd = -1;
	cl->session.out = fopencookie(&cl->fd, "w", io);
	cl->watch = (struct event_watch){fd, on_client, cl};
	if (!cl->session.out || event_loop_add(mon->loop, &cl->watch, EPOLLIN) < 0) {
		if (cl->session.out)
			fclose(cl->session.out);
		close(fd);
		free(cl);
		return;
	}
	cl->next = mon->clients;
	mon->clients = cl;
	mon->nr_clients++;
}

static void on_listener(void *arg, uint32_t events)
{
	struct monitor *mon = arg;
	(void)events;
	for (;;) {
		int fd = accept4(mon->listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd < 0)
			return; /* EAGAIN: all taken; anything else: the client gave up */
		add_client(mon, fd);
	}
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
	mon->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (mon->listen_fd < 0)
		return vmm_err("monitor socket: %s", strerror(errno));
	/* Whoever can connect can read guest memory: owner only. */
	if (fchmod(mon->listen_fd, 0600) < 0 ||
	    bind(mon->listen_fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    chmod(path, 0600) < 0 || listen(mon->listen_fd, MAX_CLIENTS) < 0)
		return vmm_err("monitor socket %s: %s", path, strerror(errno));
	snprintf(mon->path, sizeof(mon->path), "%s", path);
	return 0;
}

int monitor_serve_unix(struct monitor *mon, struct event_loop *loop, const char *path)
{
	if (mon->listen_fd >= 0)
		return vmm_err("the monitor is already served on %s", mon->path);
	mon->loop = loop;
	if (open_listener(mon, path) < 0)
		goto fail;
	mon->listener = (struct event_watch){mon->listen_fd, on_listener, mon};
	if (event_loop_add(loop, &mon->listener, EPOLLIN) < 0) {
		vmm_err("monitor socket %s: %s", path, strerror(errno));
		goto fail;
	}
	return 0;
fail:
	monitor_stop_server(mon);
	return -1;
}

void monitor_stop_server(struct monitor *mon)
{
	while (mon->clients)
		close_client(mon->clients);
	if (mon->listen_fd >= 0) {
		event_loop_del(mon->loop, &mon->listener);
		close(mon->listen_fd);
		mon->listen_fd = -1;
		if (mon->path[0])
			unlink(mon->path);
		mon->path[0] = '\0';
	}
}
