/*
 * The OCI runtime CLI, in runc's shape: global options, then create, start, state,
 * kill, delete, run, exec, list, ps, pause, resume, update, spec, features.
 */
#include "oci.h"
#include "cgroup.h"
#include "oci_hooks.h"
#include "spec_json.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <json-c/json.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

char *oci_hook_state(const struct oci_state *st, const char *status, pid_t pid)
{
	struct json_object *doc = json_object_new_object();
	json_object_object_add(doc, "ociVersion", json_object_new_string("1.0.2"));
	json_object_object_add(doc, "id", json_object_new_string(st->id));
	json_object_object_add(doc, "status", json_object_new_string(status));
	json_object_object_add(doc, "pid", json_object_new_int(pid));
	json_object_object_add(doc, "bundle", json_object_new_string(st->bundle));
	if (st->annotations)
		json_object_object_add(doc, "annotations", json_object_get(st->annotations));
	char *out = xstrdup(json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN));
	json_object_put(doc);
	return out;
}

int oci_send_fd(int sock, int fd)
{
	return send_fd(sock, fd, "", 1);
}

int oci_parse_signal(const char *s)
{
	static const struct {
		const char *name;
		int sig;
	} sigs[] = {
	    {"HUP", SIGHUP},	   {"INT", SIGINT},   {"QUIT", SIGQUIT},   {"ILL", SIGILL},
	    {"TRAP", SIGTRAP},	   {"ABRT", SIGABRT}, {"BUS", SIGBUS},	   {"FPE", SIGFPE},
	    {"KILL", SIGKILL},	   {"USR1", SIGUSR1}, {"SEGV", SIGSEGV},   {"USR2", SIGUSR2},
	    {"PIPE", SIGPIPE},	   {"ALRM", SIGALRM}, {"TERM", SIGTERM},   {"CHLD", SIGCHLD},
	    {"CONT", SIGCONT},	   {"STOP", SIGSTOP}, {"TSTP", SIGTSTP},   {"TTIN", SIGTTIN},
	    {"TTOU", SIGTTOU},	   {"URG", SIGURG},   {"XCPU", SIGXCPU},   {"XFSZ", SIGXFSZ},
	    {"VTALRM", SIGVTALRM}, {"PROF", SIGPROF}, {"WINCH", SIGWINCH}, {"IO", SIGIO},
	    {"PWR", SIGPWR},	   {"SYS", SIGSYS}};
	const char *n = strncasecmp(s, "SIG", 3) ? s : s + 3;
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (!strcasecmp(n, sigs[i].name))
			return sigs[i].sig;
	char *end;
	long v = strtol(s, &end, 10);
	return *s && !*end && v > 0 && v < NSIG ? (int)v : -1;
}

/* The hooks of one kind that create recorded in the state (none: nothing to parse). */
static int run_recorded_hooks(const struct oci_state *st, enum hook_kind kind, const char *status,
			      pid_t pid)
{
	struct spec s = {0};
	int rc = 0;
	if (st->hooks && spec_parse_hooks(st->hooks, &s) == 0 && s.nhooks[kind]) {
		char *json = oci_hook_state(st, status, pid);
		rc = oci_run_hooks(&s, kind, json);
		free(json);
	}
	spec_free(&s);
	return rc;
}

/*
 * Remove exec.fifo (the state is "running" from now on) and write the init's byte: it
 * reads it from its end, then execs. O_NONBLOCK: ENXIO rather than a hang when the init
 * (the only reader) is gone. Then wait for the init's end to close, at its execve
 * (POLLERR on ours: no reader left), as runc's start returns once the process runs: a
 * signal sent right after start then finds the process, not an init that drops it
 * (pid 1 of a namespace ignores what it has no handler for). One wakeup, no round trip.
 */
static int release_init(const struct oci_state *st)
{
	char *fifo = oci_fifo_path(st);
	int fd = open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC), rc = -1;
	if (fd >= 0 && unlink(fifo) == 0 && write(fd, "0", 1) == 1)
		rc = 0;
	else
		err_ret("container %s: its init did not take the start: %s", st->id,
			strerror(errno));
	struct pollfd p = {.fd = fd, .events = 0};
	if (rc == 0 && poll(&p, 1, 10000) == 0)
		warnx_ctr("container %s: its process has not started after 10 s", st->id);
	if (fd >= 0)
		close(fd);
	free(fifo);
	return rc;
}

int oci_do_start(const struct oci_globals *g, const char *id)
{
	struct oci_state st;
	if (oci_state_load(g->root, id, &st) < 0)
		return -1;
	const char *status = oci_status(&st);
	int rc = -1;
	if (strcmp(status, "created"))
		err_ret("container %s is %s, not created: cannot start it", id, status);
	else
		rc = release_init(&st);
	if (rc == 0 && run_recorded_hooks(&st, HOOK_POSTSTART, "running", st.pid) < 0)
		warnx_ctr("container %s: a poststart hook failed", id);
	oci_state_release(&st);
	return rc;
}

static bool wait_gone(const struct oci_state *st, int ms)
{
	struct timespec step = {0, 5000000};
	for (int t = 0; t < ms; t += 5) {
		/* Our own child (run) must be reaped to be gone. */
		waitpid(st->pid, NULL, WNOHANG);
		if (proc_start_time(st->pid) != st->start_time)
			return true;
		nanosleep(&step, NULL);
	}
	return false;
}

int oci_do_delete(const struct oci_globals *g, const char *id, bool force)
{
	struct oci_state st;
	if (oci_state_load(g->root, id, &st) < 0)
		return -1;
	const char *status = oci_status(&st);
	if (strcmp(status, "stopped") && strcmp(status, "created") && !force) {
		err_ret("container %s is %s: stop it first, or delete --force", id, status);
		oci_state_release(&st);
		return -1;
	}
	if (strcmp(status, "stopped")) {
		kill(st.pid, SIGKILL);
		if (!wait_gone(&st, 10000))
			warnx_ctr("container %s: its init did not die", id);
	}
	if (st.own_cgroup)
		cgroup_destroy(&st.cg);
	if (run_recorded_hooks(&st, HOOK_POSTSTOP, "stopped", 0) < 0)
		warnx_ctr("container %s: a poststop hook failed", id);
	oci_state_remove(&st);
	return 0;
}

static int cmd_state(const struct oci_globals *g, int argc, char **argv)
{
	if (argc != 2)
		return err_ret("usage: container state ID");
	struct oci_state st;
	if (oci_state_load(g->root, argv[1], &st) < 0)
		return -1;
	char *json = oci_state_json(&st);
	printf("%s\n", json);
	free(json);
	oci_state_release(&st);
	return 0;
}

static int kill_all(const struct oci_state *st, int sig)
{
	if (!st->cg.ndirs)
		return kill(st->pid, sig);
	char *path = xasprintf("%s/cgroup.procs", st->cg.dirs[0]);
	FILE *f = fopen(path, "re");
	free(path);
	int pid, rc = f ? 0 : -1;
	while (f && fscanf(f, "%d", &pid) == 1)
		kill(pid, sig);
	if (f)
		fclose(f);
	return rc;
}

static int cmd_kill(const struct oci_globals *g, int argc, char **argv)
{
	bool all = false;
	if (argc > 1 && (!strcmp(argv[1], "--all") || !strcmp(argv[1], "-a"))) {
		all = true;
		argv++, argc--;
	}
	if (argc < 2 || argc > 3)
		return err_ret("usage: container kill [--all] ID [SIGNAL]");
	int sig = argc == 3 ? oci_parse_signal(argv[2]) : SIGTERM;
	if (sig < 0)
		return err_ret("bad signal '%s'", argv[2]);
	struct oci_state st;
	if (oci_state_load(g->root, argv[1], &st) < 0)
		return -1;
	const char *status = oci_status(&st);
	int rc = -1;
	if (!strcmp(status, "stopped"))
		err_ret("container %s is not running", argv[1]);
	else if ((all ? kill_all(&st, sig) : kill(st.pid, sig)) < 0)
		err_ret("kill %s: %s", argv[1], strerror(errno));
	else
		rc = 0;
	oci_state_release(&st);
	return rc;
}

static const struct option create_opts[] = {
    {"bundle", required_argument, 0, 'b'},
    {"pid-file", required_argument, 0, 'p'},
    {"console-socket", required_argument, 0, 'c'},
    {"no-pivot", no_argument, 0, 'n'},
    {"detach", no_argument, 0, 'd'},
    {"no-new-keyring", no_argument, 0, 'k'},
    {"preserve-fds", required_argument, 0, 'f'},
    {0, 0, 0, 0},
};

/* create and run: [--bundle DIR] [--pid-file F] [--console-socket S] [--no-pivot] [-d] ID */
static int cmd_create_run(const struct oci_globals *g, bool run, int argc, char **argv)
{
	const char *bundle = ".", *pid_file = NULL, *console = NULL;
	bool no_pivot = false, detach = false;
	int c;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+b:d", create_opts, NULL)) != -1) {
		if (c == 'b')
			bundle = optarg;
		else if (c == 'p')
			pid_file = optarg;
		else if (c == 'c')
			console = optarg;
		else if (c == 'n')
			no_pivot = true;
		else if (c == 'd' && run)
			detach = true;
		else if (c != 'k' && c != 'f')
			return err_ret("%s: unknown option or missing value '%s'", argv[0],
				       argv[optind - 1]);
	}
	if (optind != argc - 1)
		return err_ret("usage: container %s [--bundle DIR] [--pid-file F] "
			       "[--console-socket S] [--no-pivot]%s ID",
			       argv[0], run ? " [-d]" : "");
	const char *id = argv[optind];
	pid_t pid;
	if (oci_do_create(g, id, bundle, pid_file, console, no_pivot, &pid) < 0)
		return -1;
	if (!run)
		return 0;
	if (oci_do_start(g, id) < 0) {
		oci_do_delete(g, id, true);
		return -1;
	}
	if (detach)
		return 0;
	/* run without -d: wait for the container (our child) and delete it, as runc. */
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	oci_do_delete(g, id, true);
	return exit_code(status);
}

int oci_verbs(const struct oci_globals *g, const char *verb, int argc, char **argv)
{
	if (!strcmp(verb, "create") || !strcmp(verb, "run"))
		return cmd_create_run(g, !strcmp(verb, "run"), argc, argv);
	if (!strcmp(verb, "start"))
		return argc == 2 ? oci_do_start(g, argv[1]) : err_ret("usage: container start ID");
	if (!strcmp(verb, "state"))
		return cmd_state(g, argc, argv);
	if (!strcmp(verb, "kill"))
		return cmd_kill(g, argc, argv);
	if (!strcmp(verb, "delete")) {
		bool force = argc == 3 && (!strcmp(argv[1], "--force") || !strcmp(argv[1], "-f"));
		if (argc != 2 + force)
			return err_ret("usage: container delete [--force] ID");
		return oci_do_delete(g, argv[1 + force], force);
	}
	if (!strcmp(verb, "exec"))
		return oci_exec(g, argc, argv);
	return oci_more_verbs(g, verb, argc, argv);
}
