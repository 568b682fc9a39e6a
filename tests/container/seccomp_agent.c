/*
 * A small seccomp agent for tests/container/seccomp_notify.t: listens on a UNIX socket
 * (linux.seccomp.listenerPath), takes container process states with their notification
 * fds (SCM_RIGHTS), prints them, and answers every notification until the processes are
 * gone: mkdir and mkdirat fail with EHOSTDOWN (an errno nothing
 * else gives, so the container's output shows who answered), everything else continues.
 *   seccomp_agent SOCKET [STATES]   takes STATES (default 1) connections, one a process;
 *   prints "state: JSON" for each, "notified: NAME -> ANSWER" lines, "done" at the end
 */
#include <errno.h>
#include <poll.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static int fail(const char *what)
{
	fprintf(stderr, "seccomp_agent: %s: %s\n", what, strerror(errno));
	return 1;
}

/* One connection: the state (printed) and the fd; -1 on error. */
static int receive_state(int listener)
{
	int conn = accept(listener, NULL, NULL);
	if (conn < 0)
		return -1;
	char buf[65536], ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {.iov_base = buf, .iov_len = sizeof(buf) - 1};
	struct msghdr msg = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof(ctl)};
	ssize_t n = recvmsg(conn, &msg, MSG_CMSG_CLOEXEC);
	char eof;
	/* One state per connection: the runtime closes it after the message. */
	if (n <= 0 || recv(conn, &eof, 1, 0) != 0) {
		close(conn);
		errno = EPROTO;
		return -1;
	}
	close(conn);
	buf[n] = '\0';
	printf("state: %s\n", buf);
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	if (!c || c->cmsg_type != SCM_RIGHTS) {
		errno = EBADMSG;
		return -1;
	}
	int fd;
	memcpy(&fd, CMSG_DATA(c), sizeof(fd));
	return fd;
}

static int answer(int fd)
{
	/* Fresh (zeroed) buffers each time: the kernel refuses a request buffer with data. */
	struct seccomp_notif *req;
	struct seccomp_notif_resp *resp;
	if (seccomp_notify_alloc(&req, &resp) < 0)
		return -1;
	if (seccomp_notify_receive(fd, req) < 0) {
		seccomp_notify_free(req, resp);
		/* ENOENT: the process died after asking; not the agent's failure. */
		return errno == ENOENT ? 0 : -1;
	}
	char *name = seccomp_syscall_resolve_num_arch(req->data.arch, req->data.nr);
	bool deny = name && (!strcmp(name, "mkdir") || !strcmp(name, "mkdirat"));
	resp->id = req->id;
	if (deny)
		resp->error = -EHOSTDOWN;
	else
		resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	printf("notified: %s -> %s\n", name ? name : "?", deny ? "EHOSTDOWN" : "continue");
	fflush(stdout);
	free(name);
	int rc = seccomp_notify_respond(fd, resp) < 0 && errno != ENOENT ? -1 : 0;
	seccomp_notify_free(req, resp);
	return rc;
}

/* Serve the listener until `want` states came in, and every notification fd until the
 * processes behind them are gone (POLLHUP once no process uses the filter any more). */
static int serve(int listener, int want)
{
	struct pollfd p[9] = {{.fd = listener, .events = POLLIN}};
	int n = 1, got = 0, open_fds = 0;
	while (got < want || open_fds > 0) {
		if (poll(p, (nfds_t)n, -1) < 0)
			return fail("poll");
		if (got < want && (p[0].revents & POLLIN)) {
			int fd = receive_state(listener);
			if (fd < 0)
				return fail("the container process state");
			fflush(stdout);
			p[n++] = (struct pollfd){.fd = fd, .events = POLLIN};
			got++, open_fds++;
			if (got == want)
				p[0].fd = -1; /* no more connections */
		}
		for (int i = 1; i < n; i++) {
			if (p[i].fd < 0 || !p[i].revents)
				continue;
			if (p[i].revents & POLLHUP) {
				close(p[i].fd);
				p[i].fd = -1, open_fds--;
			} else if ((p[i].revents & POLLIN) && answer(p[i].fd) < 0) {
				return fail("a notification");
			}
		}
	}
	printf("done\n");
	return 0;
}

int main(int argc, char **argv)
{
	int want = argc == 3 ? atoi(argv[2]) : 1;
	if (argc < 2 || argc > 3 || want < 1 || want > 8) {
		fprintf(stderr, "usage: seccomp_agent SOCKET [STATES (1..8)]\n");
		return 2;
	}
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", argv[1]);
	int listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (listener < 0 || bind(listener, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(listener, 8) < 0)
		return fail(argv[1]);
	printf("listening\n");
	fflush(stdout);
	return serve(listener, want);
}
