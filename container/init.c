/*
 * The container side of the clone. It waits until the runtime has set up its
 * network, builds the root filesystem, waits for its cgroup, then stays pid 1:
 * it starts the command, reaps every orphan the command leaves (zombies would
 * otherwise pile up, as nothing else in the namespace can wait for them),
 * forwards signals to the command, and exits with the command's status.
 */
#include "container.h"
#include "namespaces.h"
#include "network.h"
#include "oci.h"
#include "security.h"
#include "sync.h"
#include "util.h"

#include <errno.h>
#include <grp.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

char **docker_env(const char *const *user, size_t n, const char *hostname, bool tty)
{
	char **env = xrealloc(NULL, (n + 6) * sizeof(*env));
	size_t k = 0;
	env[k++] = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
	env[k++] = "HOME=/root";
	/* systemd's convention: tells the rootfs's /init it runs in a container. */
	env[k++] = "container=isolab";
	if (hostname)
		env[k++] = xasprintf("HOSTNAME=%s", hostname);
	if (tty)
		env[k++] = "TERM=xterm";
	/* -e after the defaults: a later KEY= wins, as with putenv. */
	for (size_t i = 0; i < n; i++) {
		size_t klen = strcspn(user[i], "=") + 1, j;
		for (j = 0; j < k && strncmp(env[j], user[i], klen); j++)
			;
		if (j == k)
			env = xrealloc(env, (++k + 1) * sizeof(*env));
		env[j] = (char *)user[i];
	}
	env[k] = NULL;
	return env;
}

/* The OCI process's user: its groups, then gid and uid, keeping the permitted
 * capabilities across the uid change for security_apply to trim (as runc). */
static int switch_user_oci(const struct process_desc *p)
{
	if (setgroups(p->ngids, p->gids) < 0)
		return err_ret("cannot set the additional groups: %s", strerror(errno));
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return err_ret("keepcaps: %s", strerror(errno));
	if (setresgid(p->gid, p->gid, p->gid) < 0)
		return err_ret("cannot switch to gid %u: %s", (unsigned)p->gid, strerror(errno));
	if (setresuid(p->uid, p->uid, p->uid) < 0)
		return err_ret("cannot switch to uid %u: %s", (unsigned)p->uid, strerror(errno));
	return 0;
}

void exec_command(const struct process_desc *p)
{
	environ = p->env;
	if (p->cwd && p->make_cwd && mkdir_p(p->cwd, 0755) < 0)
		die("cannot create working directory %s: %s", p->cwd, strerror(errno));
	if (chdir(p->cwd ? p->cwd : "/") < 0)
		die("cannot enter working directory %s: %s", p->cwd, strerror(errno));
	if (p->umask >= 0)
		umask((mode_t)p->umask);
	if (p->docker_user ? confine_process(p->uid, p->gid, p->security) < 0
			   : switch_user_oci(p) < 0 || security_apply(p->security) < 0)
		_exit(125);
	signal(SIGPIPE, SIG_DFL);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	execvp(p->argv[0], p->argv);
	int e = errno;
	if (e == ENOENT)
		err_ret("command not found in rootfs: %s", p->argv[0]);
	else
		err_ret("cannot run %s: %s", p->argv[0], strerror(e));
	_exit(e == ENOENT ? 127 : 126);
}

static void setup_inside(struct container *c)
{
	const struct run_opts *o = c->o;
	if (c->userns && (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0))
		die("cannot become root in the user namespace: %s", strerror(errno));
	const char *host = o->hostname ? o->hostname : c->name;
	if (o->net != NET_HOST && sethostname(host, strlen(host)) < 0)
		die("sethostname: %s", strerror(errno));
	if (o->net != NET_HOST && net_configure_inside(c->ip[0] ? c->ip : NULL) < 0)
		_exit(125);
	if (setup_rootfs(&c->fs) < 0)
		_exit(125);
}

/* -t: the terminal comes from the container's own devpts, so its tty is /dev/pts/0 as in
 * docker, and /dev/console shows it too (as runc binds it); the master goes to the runtime. */
static int make_terminal(char *slave, size_t len)
{
	int master = pty_alloc(slave, len);
	if (master < 0)
		return err_ret("cannot allocate the terminal in the container: %s",
			       strerror(errno));
	int fd = open("/dev/console", O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	if (fd < 0 || close(fd) < 0 || mount(slave, "/dev/console", NULL, MS_BIND, NULL) < 0)
		return err_ret("/dev/console: %s", strerror(errno));
	return master;
}

static __attribute__((noreturn)) void reap_and_forward(pid_t cmd, const sigset_t *all)
{
	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(all, &si);
		if (sig < 0)
			continue;
		if (sig != SIGCHLD) {
			kill(cmd, sig);
			continue;
		}
		int st;
		pid_t p;
		while ((p = waitpid(-1, &st, WNOHANG)) > 0)
			if (p == cmd)
				_exit(exit_code(st)); /* the kernel then kills the rest */
	}
}

void container_init(struct container *c)
{
	close(c->sync[0]);
	/* Until READY, every error of the setup goes to the runtime as ERROR. */
	err_send_to_sync(c->sync[1]);
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	sigset_t all;
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	/* Rootless, we map ourselves (as unshare -r does): the unprivileged runtime cannot
	 * open the /proc files of a non-dumpable process, and neither can we, briefly. */
	if (c->userns && c->host_uid != 0) {
		prctl(PR_SET_DUMPABLE, 1);
		if (write_own_id_maps(c->host_uid, c->host_gid) < 0)
			_exit(125);
		prctl(PR_SET_DUMPABLE, 0);
	}
	/* A failed expect means the runtime is gone: nobody left to tell. */
	/* The cgroup before the rootfs: its mounts are charged to the container. */
	if (sync_await_namespaces(c->sync[1], runtime_step(c), &c->join) < 0)
		_exit(125);
	setup_inside(c);
	/* After the cgroup join, so that the cgroup is this namespace's root. */
	if (unshare(CLONE_NEWCGROUP) < 0)
		die("cgroup namespace: %s", strerror(errno));
	/* The runtime gets the terminal's master right after READY, to relay it. */
	char slave[64];
	int master = c->has_pty ? make_terminal(slave, sizeof(slave)) : -1;
	if (c->has_pty && master < 0)
		_exit(125);
	if (sync_send(c->sync[1], SYNC_READY, 0, NULL) < 0)
		_exit(125);
	err_send_to_sync(-1);
	if (master >= 0 && (oci_send_fd(c->sync[1], master) < 0 || close(master) < 0))
		_exit(125);
	pid_t cmd = fork();
	if (cmd < 0)
		die("fork: %s", strerror(errno));
	if (cmd == 0) {
		if (c->log_fd >= 0 && (dup2(c->log_fd, 1) < 0 || dup2(c->log_fd, 2) < 0))
			die("cannot redirect output: %s", strerror(errno));
		if (c->has_pty && pty_attach_slave(slave) < 0)
			_exit(125);
		if (!c->has_pty && !c->o->interactive) {
			int null = open("/dev/null", O_RDONLY);
			if (null < 0 || dup2(null, 0) < 0)
				die("cannot open /dev/null: %s", strerror(errno));
		}
		/* Only the sync socket (close-on-exec: its EOF tells the runtime exec happened). */
		close_fds_except(c->sync[1]);
		const struct run_opts *o = c->o;
		struct process_desc p = {
		    .argv = o->argv,
		    .env = docker_env(o->env, o->nenv, o->hostname ? o->hostname : c->name,
				      c->has_pty),
		    .cwd = o->workdir,
		    .make_cwd = true,
		    .umask = -1,
		    .uid = o->uid,
		    .gid = o->gid,
		    .security = &c->security,
		    .docker_user = true,
		};
		exec_command(&p);
	}
	close_fds_except(-1);
	/* Only now: the title overwrites the argument strings the command was built from. */
	proc_title_set("container-init");
	reap_and_forward(cmd, &all);
}
