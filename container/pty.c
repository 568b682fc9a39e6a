/* -t: a pseudo-terminal from the container's own devpts (as runc), relayed by the runtime. */
#include "pty.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

static struct termios saved_termios;

int pty_alloc(char *slave, size_t len)
{
	int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (master < 0)
		return -1;
	if (grantpt(master) < 0 || unlockpt(master) < 0 || ptsname_r(master, slave, len) != 0) {
		int e = errno;
		close(master);
		errno = e;
		return -1;
	}
	return master;
}

int pty_recv_master(struct pty *p, int sock)
{
	char data, ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {.iov_base = &data, .iov_len = 1};
	struct msghdr msg = {
	    .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof(ctl)};
	p->raw = false;
	p->master = -1;
	ssize_t n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
	struct cmsghdr *c = n == 1 ? CMSG_FIRSTHDR(&msg) : NULL;
	if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
	    c->cmsg_len != CMSG_LEN(sizeof(int)))
		return err_ret("the container sent no terminal");
	memcpy(&p->master, CMSG_DATA(c), sizeof(int));
	pty_copy_winsize(p);
	return 0;
}

int pty_attach_slave(const char *slave)
{
	if (setsid() < 0)
		return err_ret("setsid: %s", strerror(errno));
	int fd = open(slave, O_RDWR);
	if (fd < 0)
		return err_ret("open %s: %s", slave, strerror(errno));
	if (ioctl(fd, TIOCSCTTY, 0) < 0)
		return err_ret("cannot make %s the controlling terminal: %s", slave,
			       strerror(errno));
	for (int i = 0; i < 3; i++)
		if (dup2(fd, i) < 0)
			return err_ret("dup2: %s", strerror(errno));
	if (fd > 2)
		close(fd);
	return 0;
}

void pty_raw_mode(struct pty *p)
{
	struct termios t;
	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved_termios) < 0)
		return;
	t = saved_termios;
	cfmakeraw(&t);
	if (tcsetattr(STDIN_FILENO, TCSANOW, &t) == 0)
		p->raw = true;
}

void pty_restore(struct pty *p)
{
	if (p->raw)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_termios);
	p->raw = false;
}

void pty_copy_winsize(const struct pty *p)
{
	struct winsize ws;
	if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
		ioctl(p->master, TIOCSWINSZ, &ws);
}

int pty_pump(int from, int to)
{
	char buf[16384];
	ssize_t n = read(from, buf, sizeof(buf));
	if (n == 0 || (n < 0 && errno == EIO)) /* EIO: the slave side was closed */
		return 0;
	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 1 : -1;
	for (ssize_t off = 0; off < n;) {
		ssize_t w = write(to, buf + off, (size_t)(n - off));
		if (w < 0 && errno != EINTR)
			return -1;
		off += w > 0 ? w : 0;
	}
	return 1;
}
