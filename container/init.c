/*
 * The docker-like container's init: its steps around the create core (oci_init.c),
 * which clones it, takes it through the start protocol and builds its filesystem. Here:
 * the id maps of a rootless container, eth0, the overlay root, and after READY the
 * pid-1 reaper that forks the command. Also the command's exec, shared by every path.
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

/* First thing in the init: it dies with the runtime, waits for signals only through
 * sigwaitinfo (reap_and_forward), and, rootless, maps itself (as unshare -r does: the
 * unprivileged runtime cannot open the /proc files of a non-dumpable process, and
 * neither can we, briefly). */
static int init_first(void *arg)
{
	struct container *c = arg;
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	sigset_t all;
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	if (!c->userns || c->host_uid == 0)
		return 0;
	prctl(PR_SET_DUMPABLE, 1);
	int rc = write_own_id_maps(c->host_uid, c->host_gid);
	prctl(PR_SET_DUMPABLE, 0);
	return rc;
}

/* lo, and eth0 with its address and default route (the runtime made the veth). */
static int in_namespaces(void *arg)
{
	struct container *c = arg;
	return c->o->net == NET_HOST ? 0 : net_configure_inside(c->ip[0] ? c->ip : NULL);
}

static int before_root(void *arg)
{
	struct container *c = arg;
	return mount_overlay_root(&c->fs);
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

static __attribute__((noreturn)) void exec_docker_command(struct container *c, int sync_fd)
{
	const struct run_opts *o = c->o;
	if (c->log_fd >= 0 && (dup2(c->log_fd, 1) < 0 || dup2(c->log_fd, 2) < 0))
		die("cannot redirect output: %s", strerror(errno));
	if (c->has_pty && pty_attach_slave(c->core.tty_slave) < 0)
		_exit(125);
	if (!c->has_pty && !o->interactive) {
		int null = open("/dev/null", O_RDONLY);
		if (null < 0 || dup2(null, 0) < 0)
			die("cannot open /dev/null: %s", strerror(errno));
	}
	/* Only the sync socket (close-on-exec: its EOF tells the runtime exec happened). */
	close_fds_except(sync_fd);
	struct process_desc p = {
	    .argv = o->argv,
	    .env = docker_env(o->env, o->nenv, o->hostname ? o->hostname : c->name, c->has_pty),
	    .cwd = o->workdir,
	    .make_cwd = true,
	    .umask = -1,
	    .uid = o->uid,
	    .gid = o->gid,
	    .security = &c->core.sec,
	    .docker_user = true,
	};
	exec_command(&p);
}

/* pid 1 becomes container-init (reaper/container-init.c): nothing of the host's mapped,
 * no host file open (stdio is the container's /dev/null), so CRIU can dump it. Signals
 * stay blocked across the exec. Returns only if the exec fails. */
static void exec_reaper(pid_t cmd)
{
	int null = open("/dev/null", O_RDWR);
	for (int fd = 0; fd < 3 && null >= 0; fd++)
		dup2(null, fd);
	if (null > 2)
		close(null);
	char pid[16];
	snprintf(pid, sizeof(pid), "%d", (int)cmd);
	char *argv[] = {"container-init", pid, NULL}, *envp[] = {NULL};
	execve(REAPER_PATH, argv, envp);
}

/* After READY: stay pid 1 as docker's --init does, fork the command, reap every orphan
 * it leaves (nothing else in the namespace can wait for them), forward signals, exit
 * with the command's status. */
static __attribute__((noreturn)) void run_command(struct oci_create *core, void *arg)
{
	struct container *c = arg;
	/* Again: a user switch in the setup cleared it. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	sigset_t all;
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	pid_t cmd = fork();
	if (cmd < 0)
		die("fork: %s", strerror(errno));
	if (cmd == 0)
		exec_docker_command(c, core->sync[1]);
	close_fds_except(-1);
	if (c->reaper[0])
		exec_reaper(cmd);
	/* Only now: the title overwrites the argument strings the command was built from. */
	proc_title_set("container-init");
	reap_and_forward(cmd, &all);
}

void run_init_steps(struct container *c)
{
	c->steps = (struct create_steps){
	    .init_first = init_first,
	    .in_namespaces = in_namespaces,
	    .before_root = before_root,
	    .run = run_command,
	    .arg = c,
	};
}
