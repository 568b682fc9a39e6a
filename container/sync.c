/* The runtime/init start protocol: see sync.h for the sequence. */
#include "sync.h"
#include "cgroup.h"
#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

const char *sync_type_name(uint32_t type)
{
	static const char *const names[] = {"?",     "NAMESPACES_DONE", "READY",
					    "ERROR", "HOOKS",		"HOOKS_DONE"};
	return type < sizeof(names) / sizeof(names[0]) ? names[type] : "?";
}

static int send_msg(int fd, const struct sync_msg *mp)
{
	ssize_t n = send(fd, mp, sizeof(*mp), MSG_NOSIGNAL);
	if (n == (ssize_t)sizeof(*mp))
		return 0;
	if (n >= 0)
		errno = EPIPE;
	return -1;
}

int sync_send_value(int fd, enum sync_type type, int value)
{
	struct sync_msg m = {.type = type, .value = value};
	return send_msg(fd, &m);
}

int sync_send(int fd, enum sync_type type, int errnum, const char *text)
{
	struct sync_msg m = {.type = type, .errnum = errnum};
	if (text)
		snprintf(m.text, sizeof(m.text), "%s", text);
	return send_msg(fd, &m);
}

int sync_recv(int fd, struct sync_msg *m, const char *stage)
{
	ssize_t n;
	while ((n = recv(fd, m, sizeof(*m), 0)) < 0 && errno == EINTR)
		;
	if (n == 0)
		return err_ret("the container's init died %s", stage);
	if (n != (ssize_t)sizeof(*m))
		return err_ret("start protocol: short message %s", stage);
	m->text[sizeof(m->text) - 1] = '\0';
	return 0;
}

int sync_expect(int fd, enum sync_type want, const char *stage)
{
	struct sync_msg m;
	if (sync_recv(fd, &m, stage) < 0)
		return -1;
	if (m.type == SYNC_ERROR) {
		errno = m.errnum;
		return err_ret("%s", m.text[0] ? m.text : strerror(m.errnum));
	}
	if (m.type != (uint32_t)want)
		return err_ret("start protocol: got %s %s, expected %s", sync_type_name(m.type),
			       stage, sync_type_name(want));
	return 0;
}

int sync_await_namespaces(int fd, bool runtime_step, struct cgroup_procs *join)
{
	int rc = runtime_step ? sync_expect(fd, SYNC_NAMESPACES_DONE, "") : 0;
	if (rc == 0)
		rc = cgroup_enter_procs(join, 0);
	cgroup_close_procs(join);
	return rc;
}
