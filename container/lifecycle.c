/* ps, exec, stop, kill, rm: commands on containers found through their state directory. */
#include "lifecycle.h"
#include "container.h"
#include "namespaces.h"
#include "options.h"
#include "security.h"
#include "util.h"

#include <dirent.h>
#include <fcntl.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int cmd_ps(int argc, char **argv)
{
	(void)argv;
	if (argc > 1)
		return err_ret("usage: container ps"), 2;
	state_sweep_stale();
	char *base = xasprintf("%s/containers", state_base());
	DIR *d = opendir(base);
	printf("%-24s %-8s %-8s %-5s %-12s %s\n", "NAME", "STATUS", "PID", "EXIT", "IP", "COMMAND");
	struct dirent *e;
	while (d && (e = readdir(d))) {
		struct state st;
		if (e->d_name[0] == '.' || !valid_name(e->d_name))
			continue;
		if (state_read(e->d_name, &st) < 0)
			continue;
		bool up = state_running(&st);
		char code[16] = "-";
		if (!up)
			snprintf(code, sizeof(code), "%d", st.exit_code);
		printf("%-24s %-8s %-8d %-5s %-12s %s\n", st.name, up ? "running" : "exited",
		       up ? (int)st.pid : 0, code, st.ip[0] ? st.ip : "-", st.command);
	}
	if (d)
		closedir(d);
	free(base);
	return 0;
}

static int running_state(const char *name, struct state *st)
{
	if (state_read(name, st) < 0)
		return -1;
	if (!state_running(st) || st->pid <= 0)
		return err_ret("container is not running: %s", name);
	return 0;
}

bool state_wait_exited(const char *name, int timeout_ms)
{
	struct timespec pause = {0, 10000000};
	for (int t = 0; t < timeout_ms; t += 10) {
		struct state st;
		char *dir = state_dir(name), *path = xasprintf("%s/state", dir);
		bool gone = access(path, F_OK) < 0;
		free(path);
		free(dir);
		if (gone)
			return true;
		if (state_read(name, &st) == 0 && !state_running(&st))
			return true;
		nanosleep(&pause, NULL);
	}
	return false;
}

static int parse_signal(const char *s)
{
	static const struct {
		const char *name;
		int sig;
	} sigs[] = {{"KILL", SIGKILL}, {"TERM", SIGTERM}, {"INT", SIGINT},
		    {"HUP", SIGHUP},   {"QUIT", SIGQUIT}, {"USR1", SIGUSR1},
		    {"USR2", SIGUSR2}, {"STOP", SIGSTOP}, {"CONT", SIGCONT}};
	if (!strncmp(s, "SIG", 3))
		s += 3;
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (!strcmp(s, sigs[i].name))
			return sigs[i].sig;
	char *end;
	long n = strtol(s, &end, 10);
	return *s && !*end && n > 0 && n < NSIG ? (int)n : -1;
}

int cmd_kill(int argc, char **argv)
{
	int sig = SIGKILL;
	if (argc == 4 && !strcmp(argv[1], "-s")) {
		sig = parse_signal(argv[2]);
		if (sig < 0)
			return err_ret("bad signal '%s'", argv[2]), 2;
		argv += 2;
		argc -= 2;
	}
	if (argc != 2)
		return err_ret("usage: container kill [-s SIGNAL] NAME"), 2;
	struct state st;
	if (running_state(argv[1], &st) < 0)
		return 1;
	if (kill(st.pid, sig) < 0)
		return err_ret("kill %s: %s", argv[1], strerror(errno)), 1;
	if (sig == SIGKILL)
		state_wait_exited(argv[1], 10000);
	return 0;
}

int cmd_stop(int argc, char **argv)
{
	int timeout = 10;
	if (argc == 4 && !strcmp(argv[1], "-t")) {
		timeout = atoi(argv[2]);
		argv += 2;
		argc -= 2;
	}
	if (argc != 2 || timeout < 0)
		return err_ret("usage: container stop [-t SECONDS] NAME"), 2;
	struct state st;
	if (running_state(argv[1], &st) < 0)
		return 1;
	/* SIGTERM goes through init to the command; SIGKILL if it does not listen. */
	kill(st.pid, SIGTERM);
	if (!state_wait_exited(argv[1], timeout * 1000)) {
		kill(st.pid, SIGKILL);
		if (!state_wait_exited(argv[1], 10000))
			return err_ret("container did not stop: %s", argv[1]), 1;
	}
	return 0;
}

int cmd_rm(int argc, char **argv)
{
	bool force = argc == 3 && !strcmp(argv[1], "-f");
	if (force) {
		argv++;
		argc--;
	}
	if (argc != 2)
		return err_ret("usage: container rm [-f] NAME"), 2;
	struct state st;
	state_sweep_stale();
	if (state_read(argv[1], &st) < 0)
		return 1;
	if (state_running(&st)) {
		if (!force)
			return err_ret("container is running: %s (stop it, or rm -f)", argv[1]), 1;
		kill(st.pid, SIGKILL);
		if (!state_wait_exited(argv[1], 10000))
			return err_ret("container did not stop: %s", argv[1]), 1;
	}
	char *dir = state_dir(argv[1]);
	int rc = remove_tree(dir);
	if (rc < 0)
		err_ret("cannot remove %s: %s", dir, strerror(errno));
	free(dir);
	return rc < 0 ? 1 : 0;
}

static const struct option exec_longopts[] = {
    {"env", required_argument, 0, 'e'},
    {"workdir", required_argument, 0, 'w'},
    {"user", required_argument, 0, 'u'},
    {"interactive", no_argument, 0, 'i'},
    {0, 0, 0, 0},
};

static int wait_code(pid_t pid)
{
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return err_ret("waitpid: %s", strerror(errno)), 125;
	return exit_code(status);
}

/* The container's cgroup as its state recorded it (no backend needed to join one). */
static void cgroup_of_state(const struct state *st, struct cgroup *cg)
{
	*cg = (struct cgroup){.ndirs = st->ndirs};
	for (int i = 0; i < st->ndirs; i++)
		cg->dirs[i] = (char *)st->cgroup_dirs[i];
}

/* In a child: it joins the cgroup and namespaces, and forks the command, since setns(pid)
 * applies to children only. We stay outside, untouched (sanitizers' exit checks included). */
static int exec_in(const struct state *st, struct run_opts *o, char **cmd)
{
	pid_t joiner = fork();
	if (joiner < 0)
		return err_ret("fork: %s", strerror(errno)), 125;
	if (joiner > 0)
		return wait_code(joiner);
	/* Opened before entering the mount namespace, where the cgroup paths do not exist. */
	struct cgroup cg;
	struct cgroup_procs procs;
	cgroup_of_state(st, &cg);
	/* Built here, in the host's mount namespace: nothing of the container's is read. */
	struct process_security security;
	security_docker_defaults(&security, st->privileged);
	if (cgroup_open_procs(&cg, &procs) < 0 || enter_namespaces(st->pid, st->userns) < 0)
		_exit(125);
	pid_t pid = fork();
	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		/* Only the command joins (pid 0: the writer), not this joiner. */
		if (cgroup_enter_procs(&procs, 0) < 0)
			_exit(125);
		if (!o->interactive && !freopen("/dev/null", "r", stdin))
			die("cannot open /dev/null: %s", strerror(errno));
		close_fds_except(-1);
		struct process_desc p = {
		    .argv = cmd,
		    .env = docker_env(o->env, o->nenv, NULL, false),
		    .cwd = o->workdir,
		    .make_cwd = true,
		    .umask = -1,
		    .uid = o->uid,
		    .gid = o->gid,
		    .security = &security,
		    .docker_user = true,
		};
		exec_command(&p);
	}
	_exit(wait_code(pid));
}

static int parse_exec_opts(int argc, char **argv, struct run_opts *o)
{
	int c;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+e:w:u:i", exec_longopts, NULL)) != -1) {
		switch (c) {
		case 'e':
			if (!strchr(optarg, '=') || optarg[0] == '=')
				return err_ret("bad -e '%s' (KEY=VAL)", optarg);
			o->env = xrealloc(o->env, (o->nenv + 1) * sizeof(*o->env));
			o->env[o->nenv++] = optarg;
			break;
		case 'w':
			if (!safe_ctr_path(optarg))
				return err_ret("bad -w '%s' (an absolute path without '..')",
					       optarg);
			o->workdir = optarg;
			break;
		case 'u':
			if (parse_user(optarg, &o->uid, &o->gid) < 0)
				return -1;
			break;
		case 'i':
			o->interactive = true;
			break;
		default:
			return err_ret("exec: unknown option or missing value '%s'",
				       argv[optind - 1]);
		}
	}
	return 0;
}

int cmd_exec(int argc, char **argv)
{
	struct run_opts o = {0};
	struct state st;
	int code = 125;
	if (parse_exec_opts(argc, argv, &o) < 0)
		goto out;
	if (optind >= argc) {
		err_ret(
		    "usage: container exec [-e K=V] [-w DIR] [-u UID[:GID]] [-i] NAME [--] CMD...");
		goto out;
	}
	const char *name = argv[optind++];
	if (optind < argc && !strcmp(argv[optind], "--"))
		optind++;
	if (optind >= argc)
		err_ret("exec: missing command");
	else if (running_state(name, &st) == 0)
		code = exec_in(&st, &o, &argv[optind]);
out:
	free_run_opts(&o);
	return code;
}
