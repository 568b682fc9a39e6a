/*
 * Port publishing without iptables/nftables (not installed on every host):
 * a small relay process accepts on the host port and copies bytes both ways
 * to the container's address, as docker-proxy does. It dies with the
 * runtime (PR_SET_PDEATHSIG), so nothing stays bound after the container.
 */
#include "proxy.h"
#include "util.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_CONNS 64

struct relay {
	int fd[2]; /* client, container */
	bool eof[2];
};

static int listen_on(uint16_t port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1;
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	a.sin_addr.s_addr = htonl(INADDR_ANY);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 64) < 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		return err_ret("cannot publish host port %u: %s", port, strerror(e));
	}
	return fd;
}

static int connect_to(const char *ip, uint16_t port)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
	inet_pton(AF_INET, ip, &a.sin_addr);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

static void relay_close(struct relay *r)
{
	close(r->fd[0]);
	close(r->fd[1]);
	r->fd[0] = r->fd[1] = -1;
}

/* Copy one read's worth from side i to the other; a closed side half-closes the other. */
static void relay_step(struct relay *r, int i)
{
	char buf[16384];
	ssize_t n = read(r->fd[i], buf, sizeof(buf));
	if (n <= 0) {
		r->eof[i] = true;
		shutdown(r->fd[!i], SHUT_WR);
		if (r->eof[!i] || n < 0)
			relay_close(r);
		return;
	}
	for (ssize_t off = 0; off < n;) {
		ssize_t w = write(r->fd[!i], buf + off, (size_t)(n - off));
		if (w <= 0) {
			relay_close(r);
			return;
		}
		off += w;
	}
}

static void accept_one(int lfd, const char *ip, uint16_t port, struct relay *rel)
{
	int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (c < 0)
		return;
	for (int i = 0; i < MAX_CONNS; i++) {
		if (rel[i].fd[0] >= 0)
			continue;
		int s = connect_to(ip, port);
		if (s < 0)
			break;
		rel[i] = (struct relay){{c, s}, {false, false}};
		return;
	}
	close(c);
}

static __attribute__((noreturn)) void relay_loop(const int *lfds, const struct port_map *ports,
						 size_t n, const char *ip)
{
	struct relay rel[MAX_CONNS];
	struct pollfd pfd[MAX_CONNS * 2 + 16];
	for (int i = 0; i < MAX_CONNS; i++)
		rel[i].fd[0] = rel[i].fd[1] = -1;
	for (;;) {
		size_t np = 0;
		for (size_t i = 0; i < n; i++)
			pfd[np++] = (struct pollfd){.fd = lfds[i], .events = POLLIN};
		for (int i = 0; i < MAX_CONNS; i++)
			for (int s = 0; s < 2; s++)
				pfd[np++] = (struct pollfd){
				    .fd = rel[i].fd[0] >= 0 && !rel[i].eof[s] ? rel[i].fd[s] : -1,
				    .events = POLLIN};
		if (poll(pfd, np, -1) < 0 && errno != EINTR)
			_exit(1);
		for (size_t i = 0; i < n; i++)
			if (pfd[i].revents & POLLIN)
				accept_one(lfds[i], ip, ports[i].ctr_port, rel);
		for (int i = 0; i < MAX_CONNS; i++)
			for (int s = 0; s < 2; s++)
				if (rel[i].fd[0] >= 0 && pfd[n + 2 * i + s].revents)
					relay_step(&rel[i], s);
	}
}

pid_t proxy_start(const struct port_map *ports, size_t n, const char *ctr_ip)
{
	if (n == 0)
		return 0;
	if (n > 16)
		return err_ret("at most 16 published ports");
	int lfds[16];
	for (size_t i = 0; i < n; i++) {
		lfds[i] = listen_on(ports[i].host_port);
		if (lfds[i] < 0) {
			while (i-- > 0)
				close(lfds[i]);
			return -1;
		}
	}
	pid_t parent = getpid(), pid = fork();
	if (pid < 0)
		return err_ret("fork: %s", strerror(errno));
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(0);
		signal(SIGPIPE, SIG_IGN);
		relay_loop(lfds, ports, n, ctr_ip);
	}
	for (size_t i = 0; i < n; i++)
		close(lfds[i]);
	return pid;
}
