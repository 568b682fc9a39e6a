/*
 * `exec`: another process in a running OCI container. A joiner child enters the
 * container's namespaces (setns(pid) applies to children) and forks the process,
 * which joins the cgroup and execs; the start protocol's socket carries its pid and,
 * until its exec closes the socket, any setup error.
 */
#include "cgroup.h"
#include "container.h"
#include "oci.h"
#include "pty.h"
#include "seccomp_listener.h"
#include "security.h"
#include "spec_json.h"
#include "sync.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

struct exec_opts {
	const char *process_file, *pid_file, *console, *cwd;
	bool detach, tty;
	char **env;
	size_t nenv;
	char **argv;
};

/* Join every namespace of pid that differs from ours, the user namespace first. */
static int join_all(pid_t pid)
{
	static const char *const names[] = {"user", "ipc", "uts", "net", "pid", "cgroup", "mnt"};
	int fds[7];
	for (int i = 0; i < 7; i++) {
		char theirs[64], mine[64];
		struct stat a, b;
		snprintf(theirs, sizeof(theirs), "/proc/%d/ns/%s", (int)pid, names[i]);
		snprintf(mine, sizeof(mine), "/proc/self/ns/%s", names[i]);
		fds[i] = -1;
		if (stat(theirs, &a) < 0)
			return err_ret("cannot reach %s: %s", theirs, strerror(errno));
		if (stat(mine, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev)
			continue;
		fds[i] = open(theirs, O_RDONLY | O_CLOEXEC);
		if (fds[i] < 0)
			return err_ret("cannot open %s: %s", theirs, strerror(errno));
	}
	for (int i = 0; i < 7; i++)
		if (fds[i] >= 0 && setns(fds[i], 0) < 0)
			return err_ret("cannot join the %s namespace: %s", names[i],
				       strerror(errno));
	for (int i = 0; i < 7; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return 0;
}

static int load_process(const struct exec_opts *o, const struct oci_state *st,
			struct spec_process *p, struct spec *s, struct json_object **doc)
{
	/* The config's linux object (seccomp, personality) applies to exec'ed processes too. */
	if (spec_load(st->bundle, s) < 0)
		return -1;
	if (o->process_file) {
		*doc = json_object_from_file(o->process_file);
		if (!*doc)
			return err_ret("cannot read --process %s: %s", o->process_file,
				       json_util_get_last_err());
		return spec_parse_process(*doc, p);
	}
	/* CMD...: the config's process with these args (and -e, --cwd), as runc. */
	*p = s->process;
	s->process = (struct spec_process){0};
	free(p->args);
	p->args = o->argv;
	if (o->cwd)
		p->cwd = o->cwd;
	size_t n = 0;
	while (p->env && p->env[n])
		n++;
	p->env = xrealloc(p->env, (n + o->nenv + 1) * sizeof(char *));
	if (o->nenv) /* o->env is NULL without -e */
		memcpy(p->env + n, o->env, o->nenv * sizeof(char *));
	p->env[n + o->nenv] = NULL;
	p->terminal = o->tty;
	return 0;
}

/* The process's pid as the runtime sees it (the joiner's fork), for a seccomp listener. */
static pid_t pid_from_joiner(int fd)
{
	pid_t pid;
	if (read(fd, &pid, sizeof(pid)) != (ssize_t)sizeof(pid))
		die("the joiner did not tell the process its pid");
	close(fd);
	return pid;
}

static __attribute__((noreturn)) void run_process(const struct oci_state *st,
						  const struct spec_process *p,
						  const struct process_security *sec,
						  const struct cgroup_procs *procs, int sync,
						  int console, int pid_fd)
{
	err_send_to_sync(sync);
	struct process_security mine = *sec; /* shares sec's memory; gains the listener's message */
	pid_t pid = pid_from_joiner(pid_fd);
	if (mine.has_listener) {
		char *state = oci_hook_state(st, "running", pid);
		seccomp_listener_prepare(&mine, state, pid);
		free(state);
	}
	if (cgroup_enter_procs(procs, 0) < 0)
		_exit(125);
	if (p->terminal) {
		char slave[64];
		int master = pty_alloc(slave, sizeof(slave));
		if (master < 0 || oci_send_fd(console, master) < 0)
			die("cannot set up the terminal: %s", strerror(errno));
		close(master);
		if (pty_attach_slave(slave) < 0)
			_exit(125);
	}
	close_fds_except_two(sync, mine.has_listener ? mine.listener_fd : -1);
	struct process_desc d;
	oci_process_desc(p, &mine, &d);
	exec_command(&d);
}

/* The joiner: enter, fork the process, tell its pid, wait for it (unless detached). */
static __attribute__((noreturn)) void joiner(const struct oci_state *st,
					     const struct spec_process *p,
					     const struct process_security *sec, int sync,
					     int console, bool detach)
{
	err_send_to_sync(sync);
	struct cgroup_procs procs;
	if (cgroup_open_procs(&st->cg, &procs) < 0 || join_all(st->pid) < 0)
		_exit(125);
	int pid_fd;
	pid_t pid = fork_with_pipe(true, &pid_fd);
	if (pid < 0)
		_exit(125);
	if (pid == 0)
		run_process(st, p, sec, &procs, sync, console, pid_fd);
	if (write(pid_fd, &pid, sizeof(pid)) != (ssize_t)sizeof(pid))
		die("cannot tell the process its pid: %s", strerror(errno));
	close(pid_fd);
	/* The process has the listener's connection: ours would keep it open after it. */
	if (sec->has_listener)
		close(sec->listener_fd);
	sync_send_value(sync, SYNC_READY, pid);
	close(sync);
	if (detach)
		_exit(0);
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			_exit(125);
	_exit(exit_code(status));
}

/* Our side: the pid (for --pid-file), then EOF when the exec happened, or its error. */
static int follow(const struct exec_opts *o, pid_t j, int sync)
{
	struct sync_msg m;
	if (sync_recv(sync, &m, "before the exec") < 0 || m.type == SYNC_ERROR) {
		if (m.type == SYNC_ERROR)
			err_ret("%s", m.text);
		waitpid(j, NULL, 0);
		return -1;
	}
	if (o->pid_file) {
		FILE *f = fopen(o->pid_file, "we");
		if (!f || fprintf(f, "%d", m.value) < 0 || fclose(f) != 0)
			return err_ret("cannot write --pid-file %s", o->pid_file);
	}
	ssize_t n = recv(sync, &m, sizeof(m), 0);
	if (n == (ssize_t)sizeof(m) && m.type == SYNC_ERROR) {
		m.text[sizeof(m.text) - 1] = '\0';
		err_ret("%s", m.text);
		waitpid(j, NULL, 0);
		return -1;
	}
	int status;
	while (waitpid(j, &status, 0) < 0)
		if (errno != EINTR)
			return err_ret("waitpid: %s", strerror(errno));
	return exit_code(status);
}

static int spawn(const struct exec_opts *o, struct oci_state *st, struct spec_process *p,
		 struct process_security *sec)
{
	int sync[2], console = -1, rc = -1;
	if (p->terminal && !o->console)
		return err_ret("a terminal needs --console-socket");
	if (o->console && (console = connect_unix("--console-socket", o->console)) < 0)
		return -1;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sync) < 0) {
		rc = err_ret("socketpair: %s", strerror(errno));
	} else {
		pid_t j = fork();
		if (j == 0) {
			close(sync[0]);
			joiner(st, p, sec, sync[1], console, o->detach);
		}
		close(sync[1]);
		seccomp_listener_release(sec);
		rc = j < 0 ? err_ret("fork: %s", strerror(errno)) : follow(o, j, sync[0]);
		close(sync[0]);
	}
	if (console >= 0)
		close(console);
	return rc;
}

static int exec_in(const struct oci_globals *g, const struct exec_opts *o, const char *id)
{
	struct oci_state st;
	if (oci_state_load(g->root, id, &st) < 0)
		return -1;
	struct spec s = {0};
	struct spec_process p = {0};
	struct json_object *doc = NULL;
	struct process_security sec;
	int rc = -1;
	if (strcmp(oci_status(&st), "running"))
		err_ret("container %s is %s, not running", id, oci_status(&st));
	else if (load_process(o, &st, &p, &s, &doc) == 0 &&
		 security_from_oci(doc ? doc : s.process_obj, s.linux_obj, &sec) == 0) {
		/* Not kept locked while it runs: delete and kill must still get through. */
		oci_state_unlock(&st);
		rc = seccomp_listener_connect(&sec) < 0 ? -1 : spawn(o, &st, &p, &sec);
		security_free(&sec);
	}
	if (o->argv != p.args || doc)
		free(p.args);
	free(p.env);
	free(p.gids);
	if (doc)
		json_object_put(doc);
	spec_free(&s);
	oci_state_release(&st);
	return rc;
}

static const struct option exec_opts_long[] = {
    {"process", required_argument, 0, 'p'},
    {"pid-file", required_argument, 0, 'P'},
    {"console-socket", required_argument, 0, 'c'},
    {"detach", no_argument, 0, 'd'},
    {"tty", no_argument, 0, 't'},
    {"cwd", required_argument, 0, 'w'},
    {"env", required_argument, 0, 'e'},
    {"preserve-fds", required_argument, 0, 'f'},
    {0, 0, 0, 0},
};

int oci_exec(const struct oci_globals *g, int argc, char **argv)
{
	struct exec_opts o = {0};
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+dte:w:", exec_opts_long, NULL)) != -1) {
		if (c == 'p')
			o.process_file = optarg;
		else if (c == 'P')
			o.pid_file = optarg;
		else if (c == 'c')
			o.console = optarg;
		else if (c == 'd')
			o.detach = true;
		else if (c == 't')
			o.tty = true;
		else if (c == 'w')
			o.cwd = optarg;
		else if (c == 'e') {
			o.env = xrealloc(o.env, (o.nenv + 1) * sizeof(char *));
			o.env[o.nenv++] = optarg;
		} else if (c != 'f') {
			free(o.env);
			return err_ret("exec: unknown option or missing value '%s'",
				       argv[optind - 1]);
		}
	}
	int rc;
	if (optind >= argc || (!o.process_file && optind + 1 >= argc)) {
		rc = err_ret("usage: container exec [--process FILE | ID CMD...] [--detach] "
			     "[--pid-file F] [--console-socket S] [-t] ID [CMD...]");
	} else {
		o.argv = argv + optind + 1;
		rc = exec_in(g, &o, argv[optind]);
	}
	free(o.env);
	return rc;
}
