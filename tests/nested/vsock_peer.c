/*
 * The guest's side of the vsock checks (tests/virtio/linux-io.t): a small
 * static program for the busybox rootfs, which has no vsock tool.
 *   vsock-peer send CID PORT TEXT   connect, send TEXT and a newline, print the reply line
 *   vsock-peer serve PORT           accept one connection, print its line, answer "ack"
 * Every step gives up after 60 s (alarm), so a broken transport fails the
 * test instead of hanging it.
 */
#include <linux/vm_sockets.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int fail(const char *what)
{
	perror(what);
	return 1;
}

static struct sockaddr_vm vsock_addr(unsigned cid, unsigned port)
{
	struct sockaddr_vm a;
	memset(&a, 0, sizeof(a));
	a.svm_family = AF_VSOCK;
	a.svm_cid = cid;
	a.svm_port = port;
	return a;
}

/* read_line: one line (without its newline) from fd into buf. */
static int read_line(int fd, char *buf, size_t size)
{
	size_t n = 0;
	while (n + 1 < size) {
		ssize_t r = read(fd, buf + n, 1);
		if (r <= 0 || buf[n] == '\n')
			break;
		n++;
	}
	buf[n] = '\0';
	return n > 0 ? 0 : -1;
}

static int send_text(unsigned cid, unsigned port, const char *text)
{
	struct sockaddr_vm a = vsock_addr(cid, port);
	char reply[256];
	int fd = socket(AF_VSOCK, SOCK_STREAM, 0);
	if (fd < 0)
		return fail("socket(AF_VSOCK)");
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		return fail("connect");
	if (dprintf(fd, "%s\n", text) < 0)
		return fail("write");
	if (read_line(fd, reply, sizeof(reply)) < 0)
		return fail("no reply");
	printf("vsock-reply: %s\n", reply);
	close(fd);
	return 0;
}

static int serve(unsigned port)
{
	struct sockaddr_vm a = vsock_addr(VMADDR_CID_ANY, port);
	char line[256];
	int srv = socket(AF_VSOCK, SOCK_STREAM, 0), fd;
	if (srv < 0)
		return fail("socket(AF_VSOCK)");
	if (bind(srv, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(srv, 1) < 0)
		return fail("bind/listen");
	printf("vsock-listening: %u\n", port);
	fflush(stdout);
	fd = accept(srv, NULL, NULL);
	if (fd < 0)
		return fail("accept");
	if (read_line(fd, line, sizeof(line)) < 0)
		return fail("no line");
	printf("vsock-got: %s\n", line);
	if (dprintf(fd, "ack\n") < 0)
		return fail("write");
	close(fd);
	close(srv);
	return 0;
}

int main(int argc, char **argv)
{
	alarm(60);
	if (argc == 5 && !strcmp(argv[1], "send"))
		return send_text((unsigned)strtoul(argv[2], NULL, 0),
				 (unsigned)strtoul(argv[3], NULL, 0), argv[4]);
	if (argc == 3 && !strcmp(argv[1], "serve"))
		return serve((unsigned)strtoul(argv[2], NULL, 0));
	fprintf(stderr, "usage: vsock-peer send CID PORT TEXT | serve PORT\n");
	return 2;
}
