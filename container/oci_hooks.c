/* The six hook kinds: path, args, env, timeout; the state JSON goes to their stdin. */
#include "oci_hooks.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static __attribute__((noreturn)) void exec_hook(const struct spec_hook *h, int in)
{
	if (dup2(in, 0) < 0)
		_exit(127);
	char *const def[] = {(char *)h->path, NULL};
	char *const empty[] = {NULL};
	execve(h->path, h->args ? h->args : def, h->env ? h->env : empty);
	dprintf(2, "container: hook %s: %s\n", h->path, strerror(errno));
	_exit(127);
}

/* Wait for the hook, killing it after its timeout. Its exit status, or -1. */
static int wait_hook(pid_t pid, int timeout_s)
{
	struct timespec step = {0, 5000000};
	long waited_ms = 0;
	for (;;) {
		int st;
		pid_t r = waitpid(pid, &st, timeout_s ? WNOHANG : 0);
		if (r == pid)
			return exit_code(st);
		if (r < 0 && errno != EINTR)
			return -1;
		if (timeout_s && waited_ms >= timeout_s * 1000L) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			errno = ETIMEDOUT;
			return -1;
		}
		nanosleep(&step, NULL);
		waited_ms += 5;
	}
}

static int run_hook(const struct spec_hook *h, const char *state_json)
{
	int fd;
	pid_t pid = fork_with_pipe(true, &fd);
	if (pid < 0)
		return -1;
	if (pid == 0)
		exec_hook(h, fd);
	/* A hook that does not read its stdin must not block us: ignore EPIPE. */
	signal(SIGPIPE, SIG_IGN);
	size_t len = strlen(state_json);
	if (write(fd, state_json, len) != (ssize_t)len && errno != EPIPE)
		warnx_ctr("hook %s: cannot write its state: %s", h->path, strerror(errno));
	close(fd);
	int code = wait_hook(pid, h->timeout);
	if (code < 0)
		return err_ret("hook %s: %s", h->path,
			       errno == ETIMEDOUT ? "timed out" : strerror(errno));
	if (code != 0)
		return err_ret("hook %s exited with %d", h->path, code);
	return 0;
}

int oci_run_hooks(const struct spec *s, enum hook_kind kind, const char *state_json)
{
	for (size_t i = 0; i < s->nhooks[kind]; i++)
		if (run_hook(&s->hooks[kind][i], state_json) < 0)
			return err_ret("%s hook failed", spec_hook_name(kind));
	return 0;
}
