/*
 * The OCI container's init, cloned by `create`: joins the namespaces given by path,
 * builds the root from the spec (asking the runtime to run its hooks before
 * pivot_root), answers READY, then blocks reading exec.fifo until `start` writes it,
 * and becomes the container's process (pid 1 of a new pid namespace, as runc).
 */
#include "container.h"
#include "oci.h"
#include "oci_hooks.h"
#include "oci_rootfs.h"
#include "pty.h"
#include "seccomp_listener.h"
#include "security.h"
#include "sync.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <unistd.h>

/* user first: the others are then joined with its privileges. pid was joined by create. */
static void join_namespaces(struct oci_create *c)
{
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < c->s.nns; i++) {
			int t = c->s.ns[i].type;
			if (c->ns_fds[i] < 0 || t == CLONE_NEWPID || (t == CLONE_NEWUSER) != !pass)
				continue;
			if (setns(c->ns_fds[i], t) < 0)
				die("cannot join the %s namespace %s: %s", spec_ns_name(t),
				    c->s.ns[i].path, strerror(errno));
			close(c->ns_fds[i]);
			c->ns_fds[i] = -1;
		}
}

static int runtime_hooks(void *arg)
{
	struct oci_create *c = arg;
	if (c->s.nhooks[HOOK_PRESTART] || c->s.nhooks[HOOK_CREATE_RUNTIME]) {
		if (sync_send(c->sync[1], SYNC_HOOKS, 0, NULL) < 0 ||
		    sync_expect(c->sync[1], SYNC_HOOKS_DONE, "") < 0)
			_exit(125);
	}
	if (!c->s.nhooks[HOOK_CREATE_CONTAINER])
		return 0;
	char *json = oci_hook_state(&c->st, "created", getpid());
	int rc = oci_run_hooks(&c->s, HOOK_CREATE_CONTAINER, json);
	free(json);
	return rc;
}

/* A terminal from the container's own devpts, its master to the console socket. For the
 * init's child, /dev/console shows it too (as runc binds it) and the child attaches it. */
static int make_terminal(struct oci_create *c)
{
	char *slave = c->tty_slave;
	int master = pty_alloc(slave, sizeof(c->tty_slave));
	if (master < 0)
		return err_ret("cannot allocate the terminal in the container: %s",
			       strerror(errno));
	if (c->terminal_for_child) {
		int fd = open("/dev/console", O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
		if (fd < 0 || close(fd) < 0 ||
		    mount(slave, "/dev/console", NULL, MS_BIND, NULL) < 0)
			return err_ret("/dev/console: %s", strerror(errno));
	}
	if (oci_send_fd(c->console_fd, master) < 0)
		return err_ret("cannot send the terminal to the console socket: %s",
			       strerror(errno));
	close(master);
	close(c->console_fd);
	return c->terminal_for_child ? 0 : pty_attach_slave(slave);
}

static int step(int (*fn)(void *), const struct create_steps *steps)
{
	return steps && fn ? fn(steps->arg) : 0;
}

static void setup(struct oci_create *c)
{
	const struct spec *s = &c->s;
	join_namespaces(c);
	/* Root of the new user namespace when 0 is mapped; otherwise we keep the full
	 * capabilities a new user namespace gives its first process (the process's own user
	 * is set at its exec). */
	if (spec_has_ns(s, CLONE_NEWUSER) && (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0) &&
	    errno != EINVAL)
		die("cannot become root in the user namespace: %s", strerror(errno));
	if (s->hostname && sethostname(s->hostname, strlen(s->hostname)) < 0)
		die("sethostname: %s", strerror(errno));
	if (s->domainname && setdomainname(s->domainname, strlen(s->domainname)) < 0)
		die("setdomainname: %s", strerror(errno));
	if (c->steps && step(c->steps->in_namespaces, c->steps) < 0)
		_exit(125);
	/* After the cgroup join, so that the cgroup is this namespace's root. */
	if (spec_has_ns(s, CLONE_NEWCGROUP) && unshare(CLONE_NEWCGROUP) < 0)
		die("cgroup namespace: %s", strerror(errno));
	struct oci_rootfs_hooks h = {.before_root = c->steps ? c->steps->before_root : NULL,
				     .root_arg = c->steps ? c->steps->arg : NULL,
				     .before_pivot = runtime_hooks,
				     .arg = c,
				     .no_pivot = c->no_pivot,
				     .cgroup = &c->st.cg};
	/* Without a mount namespace nothing is mounted (it would be the host's): the root is
	 * entered with chroot once started (README: "OCI runtime"). */
	if (spec_has_ns(s, CLONE_NEWNS) ? oci_setup_rootfs(s, &h) < 0 : runtime_hooks(c) < 0)
		_exit(125);
	if ((s->process.terminal || c->terminal_for_child) && make_terminal(c) < 0)
		_exit(125);
}

/* Blocks until `start` removes the FIFO and writes its byte. The fd stays open until
 * the exec (close-on-exec): `start` returns when it closes, once the process runs. */
static void wait_for_start(struct oci_create *c)
{
	char b;
	ssize_t n;
	while ((n = read(c->fifo_fd, &b, 1)) < 0 && errno == EINTR)
		;
	if (n != 1)
		die("cannot wait for start on exec.fifo: %s", n < 0 ? strerror(errno) : "EOF");
}

/* The container process state for a seccomp listener, made while /proc is still the
 * runtime's: its /proc/self is our pid as the runtime sees it, the one the state names. */
static void listener_state(struct oci_create *c)
{
	char self[32];
	ssize_t n = c->sec.has_listener ? readlink("/proc/self", self, sizeof(self) - 1) : -1;
	if (n <= 0)
		return;
	self[n] = '\0';
	if (!c->st.annotations && c->s.annotations)
		c->st.annotations = json_object_get(c->s.annotations);
	char *state = oci_hook_state(&c->st, "created", atoi(self));
	seccomp_listener_prepare(&c->sec, state, atoi(self));
	free(state);
}

void oci_process_desc(const struct spec_process *p, const struct process_security *sec,
		      struct process_desc *out)
{
	static char *const no_env[] = {NULL};
	*out = (struct process_desc){
	    .argv = p->args,
	    .env = p->env ? p->env : (char **)no_env,
	    .cwd = p->cwd,
	    .uid = p->uid,
	    .gid = p->gid,
	    .gids = p->gids,
	    .ngids = p->ngids,
	    .umask = p->umask,
	    .security = sec,
	};
}

void oci_init(struct oci_create *c)
{
	close(c->sync[0]);
	/* The runtime's lock on the state is its own: our inherited copy would keep it held. */
	if (c->st.lock_fd >= 0)
		close(c->st.lock_fd);
	c->st.lock_fd = -1;
	err_send_to_sync(c->sync[1]);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	/* A session of its own (runc and crun do the same): the caller's session is outside
	 * the pid namespace, which CRIU cannot checkpoint. A terminal's setsid comes later. */
	if (!c->s.process.terminal)
		setsid();
	if (c->steps && step(c->steps->init_first, c->steps) < 0)
		_exit(125);
	if (sync_await_namespaces(c->sync[1], create_runtime_step(c), &c->join) < 0)
		_exit(125);
	listener_state(c);
	setup(c);
	if (sync_send(c->sync[1], SYNC_READY, 0, NULL) < 0)
		_exit(125);
	err_send_to_sync(-1);
	if (c->steps && c->steps->run)
		c->steps->run(c, c->steps->arg);
	close(c->sync[1]);
	wait_for_start(c);
	if (!spec_has_ns(&c->s, CLONE_NEWNS) && (chroot(c->s.root) < 0 || chdir("/") < 0))
		die("chroot %s: %s", c->s.root, strerror(errno));
	if (c->s.nhooks[HOOK_START_CONTAINER]) {
		char *json = oci_hook_state(&c->st, "running", getpid());
		if (oci_run_hooks(&c->s, HOOK_START_CONTAINER, json) < 0)
			_exit(125);
		free(json);
	}
	close_fds_except(c->sec.has_listener ? c->sec.listener_fd : -1);
	struct process_desc d;
	oci_process_desc(&c->s.process, &c->sec, &d);
	exec_command(&d);
}
