/*
 * `container run`: the runtime's side. It prepares what only the host can
 * (state directory, cgroup, bridge and veth, published ports), clones
 * the container's init into new namespaces, then stays as its monitor:
 * relays the terminal and signals, and cleans every host-side trace up when
 * the container ends (the namespaces take the mounts and the veth with them).
 */
#include "container.h"
#include "image/image.h"
#include "namespaces.h"
#include "network.h"
#include "oci_cgroup.h"
#include "proxy.h"
#include "run_record.h"
#include "sync.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int check_dir(const char *what, const char *path, char **abs)
{
	struct stat st;
	*abs = NULL;
	if (stat(path, &st) < 0)
		return err_ret("%s not found: %s", what, path);
	if (!S_ISDIR(st.st_mode))
		return err_ret("%s is not a directory: %s", what, path);
	*abs = realpath(path, NULL);
	if (!*abs)
		return err_ret("%s %s: %s", what, path, strerror(errno));
	/* overlayfs separates its options with ',' and its layers with ':'. */
	if (strpbrk(*abs, ",:")) {
		free(*abs);
		*abs = NULL;
		return err_ret("%s path may not contain ',' or ':': %s", what, path);
	}
	return 0;
}

static int check_inputs(struct container *c)
{
	struct run_opts *o = c->o;
	if (geteuid() != 0 && !o->userns)
		return err_ret("needs root (or --userns for a rootless container)");
	if (geteuid() != 0) {
		char max[32] = "";
		if (read_file("/proc/sys/user/max_user_namespaces", max, sizeof(max)) > 0 &&
		    atoi(max) == 0)
			return err_ret("not root, and user namespaces are disabled "
				       "(sysctl user.max_user_namespaces = 0)");
		if (o->lim.memory_bytes || o->lim.cpu_quota_us || o->lim.pids || o->lim.io_weight)
			return err_ret(
			    "limits need root: a rootless container gets no cgroup here");
		if (o->net == NET_BRIDGE && o->net_given)
			return err_ret("--net bridge needs root (use --net none or host)");
		if (o->net == NET_BRIDGE)
			o->net = NET_NONE;
	}
	char *abs;
	if (image_apply_to_run(o) < 0 || check_dir("rootfs", o->rootfs, &abs) < 0)
		return -1;
	o->rootfs = abs;
	o->resolved = true; /* free_run_opts frees the resolved paths */
	for (size_t i = 0; i < o->nlayers; i++) {
		if (check_dir("layer", o->layers[i], &abs) < 0)
			return -1;
		o->layers[i] = abs;
		o->nresolved_layers = i + 1;
	}
	for (size_t i = 0; i < o->nvols; i++) {
		struct volume *v = &o->vols[i];
		v->resolved = realpath(v->host, NULL);
		if (!v->resolved)
			return err_ret("volume source not found: %s", v->host);
		v->host = v->resolved;
	}
	if (o->privileged)
		warnx_ctr("--privileged: all capabilities, no seccomp filter, no masked paths; "
			  "root in this container is root on the host");
	return 0;
}

static void pick_name(struct container *c)
{
	if (c->o->name) {
		snprintf(c->name, sizeof(c->name), "%s", c->o->name);
		return;
	}
	unsigned char r[6];
	if (getrandom(r, sizeof(r), 0) != sizeof(r))
		memset(r, 0, sizeof(r));
	snprintf(c->name, sizeof(c->name), "isolab-%02x%02x%02x%02x%02x%02x", r[0], r[1], r[2],
		 r[3], r[4], r[5]);
}

static void describe_command(struct container *c)
{
	size_t len = 0;
	char *out = c->st.command;
	for (char **a = c->o->argv; *a && len + 2 < sizeof(c->st.command); a++)
		len += (size_t)snprintf(out + len, sizeof(c->st.command) - len, "%s%s",
					len ? " " : "", *a);
}

/* The state directory doubles as the name lock: mkdir fails if the name is taken. The
 * state is written once the cgroup is made (prepare_host_side). */
static int make_state_dir(struct container *c)
{
	/* 0711: root of a user namespace (another uid) must reach its overlay directories. */
	char *base = xasprintf("%s/containers", state_base());
	int rc = mkdir_p(base, 0711);
	free(base);
	if (rc < 0)
		return err_ret("cannot create %s/containers: %s", state_base(), strerror(errno));
	c->dir = state_dir(c->name);
	if (mkdir(c->dir, 0711) < 0) {
		int e = errno;
		free(c->dir);
		c->dir = NULL;
		if (e == EEXIST)
			return err_ret("name already in use: %s (see container ps, container rm)",
				       c->name);
		return err_ret("cannot create state directory: %s", strerror(e));
	}
	struct state *st = &c->st;
	snprintf(st->name, sizeof(st->name), "%s", c->name);
	snprintf(st->status, sizeof(st->status), "running");
	snprintf(st->rootfs, sizeof(st->rootfs), "%s", c->o->rootfs);
	describe_command(c);
	st->monitor = getpid();
	st->rm = c->o->rm;
	st->userns = c->userns;
	st->privileged = c->o->privileged;
	st->created = (long long)time(NULL);
	return 0;
}

static int prepare_overlay_dirs(struct container *c)
{
	struct rootfs_spec *fs = &c->fs;
	fs->upper = xasprintf("%s/upper", c->dir);
	fs->work = xasprintf("%s/work", c->dir);
	fs->merged = xasprintf("%s/rootfs", c->dir);
	/* --rm: the container makes them itself, on a tmpfs of its own (see rootfs.c). */
	fs->scratch = c->o->rm ? c->dir : NULL;
	if (!fs->scratch && (mkdir(fs->upper, 0755) < 0 || mkdir(fs->work, 0700) < 0 ||
			     mkdir(fs->merged, 0755) < 0))
		return err_ret("cannot create overlay directories in %s: %s", c->dir,
			       strerror(errno));
	/* Root in a user namespace is uid 100000 outside: it must own its writable layer. */
	if (!fs->scratch && c->userns && geteuid() == 0 &&
	    (chown(fs->upper, USERNS_BASE, USERNS_BASE) < 0 ||
	     chown(fs->work, USERNS_BASE, USERNS_BASE) < 0))
		return err_ret("cannot hand the writable layer to the user namespace: %s",
			       strerror(errno));
	fs->rootfs = c->o->rootfs;
	fs->layers = c->o->layers;
	fs->nlayers = c->o->nlayers;
	fs->userns = c->userns;
	return 0;
}

/* The veth pair, its peer moved into the init's network namespace as eth0. */
static int make_veth(void *arg, pid_t pid)
{
	struct container *c = arg;
	return net_veth_create(c->veth, pid);
}

/* The spec, the command's security and the cgroup: what the create core takes. */
static int prepare_core(struct container *c)
{
	struct oci_create *core = &c->core;
	run_build_spec(c, &core->s);
	run_init_steps(c);
	if (c->o->net == NET_BRIDGE)
		c->steps.after_clone = make_veth;
	core->steps = &c->steps;
	core->maps_by_init = c->userns && c->host_uid != 0;
	/* Before the clone: the seccomp filter is compiled (or read from its cache) here. */
	security_docker_defaults(&core->sec, c->o->privileged);
	core->have_sec = true;
	/* A cgroup only when something needs one: a limit, --stats, the device filter. */
	if (!run_wants_cgroup(c))
		return 0;
	if (oci_cgroup_create(&core->s, c->name, &core->st.cg) < 0)
		return -1;
	const struct cgroup *cg = &core->st.cg;
	for (int i = 0; i < cg->ndirs; i++)
		snprintf(c->st.cgroup_dirs[c->st.ndirs++], sizeof(c->st.cgroup_dirs[0]), "%s",
			 cg->dirs[i]);
	return 0;
}

static int prepare_host_side(struct container *c)
{
	/* The cgroup before the state's first write, which records it for the sweep: a
	 * write that replaces the state costs ~0.2 ms on this host's ext4 /run. */
	if (make_state_dir(c) < 0 || run_record_save(c->dir, c->o) < 0 ||
	    prepare_overlay_dirs(c) < 0 || prepare_core(c) < 0 || state_write(c->dir, &c->st) < 0 ||
	    image_note_container(c->o, c->dir) < 0)
		return -1;
	if (c->o->net == NET_BRIDGE) {
		char *ipam = ipam_dir();
		int rc = net_bridge_ensure();
		/* restore: the checkpoint's address, which the restored eth0 has. */
		if (rc == 0 && c->restore && (rc = ipam_claim(ipam, c->name, c->restore->ip)) == 0)
			snprintf(c->ip, sizeof(c->ip), "%s", c->restore->ip);
		else if (rc == 0)
			rc = ipam_alloc(ipam, c->name, c->ip, sizeof(c->ip));
		free(ipam);
		if (rc < 0)
			return -1;
		snprintf(c->st.ip, sizeof(c->st.ip), "%s", c->ip);
		veth_name_for(c->ip, c->veth, sizeof(c->veth));
	}
	if (c->o->detach) {
		char *log = xasprintf("%s/log", c->dir);
		c->log_fd = open(log, O_CREAT | O_WRONLY | O_APPEND | O_CLOEXEC, 0600);
		free(log);
		if (c->log_fd < 0)
			return err_ret("cannot create the log: %s", strerror(errno));
	}
	/* What the sweep needs to undo if we are killed before the container starts. */
	if (c->st.ip[0] && state_write(c->dir, &c->st) < 0)
		return -1;
	return 0;
}

/* The create core clones the init and takes it to READY (sync.h); then the terminal's
 * master, the state with the pid, the -p relay. */
static int start_container(struct container *c)
{
	if (c->has_pty) {
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, c->console) < 0)
			return err_ret("socketpair: %s", strerror(errno));
		c->core.console_fd = c->console[1];
		c->core.terminal_for_child = true;
	}
	c->t_clone = now_ns();
	int rc = c->restore ? restore_run_spawn(c) : create_spawn(&c->core, &c->pid);
	if (c->console[1] >= 0)
		close(c->console[1]);
	c->console[1] = c->core.console_fd = -1;
	if (rc < 0)
		return -1;
	c->st.pid = c->pid;
	if (c->has_pty && pty_recv_master(&c->pty, c->console[0]) < 0)
		return -1;
	if (state_write(c->dir, &c->st) < 0)
		return -1;
	c->proxy = proxy_start(c->o->ports, c->o->nports, c->ip);
	return c->proxy < 0 ? -1 : 0;
}

static int forward_signal(struct container *c, int sfd)
{
	struct signalfd_siginfo si;
	if (read(sfd, &si, sizeof(si)) != sizeof(si))
		return 0;
	if (si.ssi_signo == SIGCHLD) {
		int st;
		pid_t p;
		while ((p = waitpid(-1, &st, WNOHANG)) > 0) {
			if (p == c->pid && (c->reaped = true))
				return exit_code(st);
			if (p == c->proxy)
				c->proxy = 0;
		}
		return -1;
	}
	if (si.ssi_signo == SIGWINCH && c->has_pty)
		pty_copy_winsize(&c->pty);
	else
		kill(c->pid, (int)si.ssi_signo);
	return -1;
}

/* Relay until init exits; returns its exit code. */
static int monitor(struct container *c, int sfd)
{
	bool stdin_open = c->has_pty, pty_open = c->has_pty;
	for (;;) {
		struct pollfd p[4] = {
		    {.fd = sfd, .events = POLLIN},
		    {.fd = c->core.sync[0], .events = POLLIN},
		    {.fd = pty_open ? c->pty.master : -1, .events = POLLIN},
		    {.fd = stdin_open ? STDIN_FILENO : -1, .events = POLLIN},
		};
		if (poll(p, 4, -1) < 0 && errno != EINTR)
			return err_ret("poll: %s", strerror(errno)), 125;
		if (p[1].revents) {
			/* EOF: the command's exec closed the last close-on-exec copy. */
			c->t_exec = now_ns();
			close(c->core.sync[0]);
			c->core.sync[0] = -1;
		}
		if (p[2].revents && pty_pump(c->pty.master, STDOUT_FILENO) <= 0)
			pty_open = false;
		if (p[3].revents && pty_pump(STDIN_FILENO, c->pty.master) <= 0)
			stdin_open = false;
		if (p[0].revents) {
			int code = forward_signal(c, sfd);
			if (code >= 0)
				return code;
		}
	}
}

static void drain_pty(struct container *c)
{
	fcntl(c->pty.master, F_SETFL, O_NONBLOCK);
	while (pty_pump(c->pty.master, STDOUT_FILENO) > 0 && errno != EAGAIN)
		;
}

static void print_stats(struct container *c, int code)
{
	struct cg_stats s = {-1, -1};
	const struct cgroup *cg = &c->core.st.cg;
	cgroup_stats(cg, &s);
	double ms = c->t_exec ? (double)(c->t_exec - c->t_clone) / 1e6 : -1;
	dprintf(STDERR_FILENO,
		"startup_ms: %.3f\npeak_memory_bytes: %lld\ncpu_usec: %lld\nexit_code: %d\n"
		"cgroup: %s\n",
		ms, s.peak_memory_bytes, s.cpu_usec, code, cg->ndirs ? cg->ops->name : "none");
}

static void cleanup(struct container *c, int code)
{
	if (c->has_pty)
		pty_restore(&c->pty);
	if (c->o->stats && c->pid > 0)
		print_stats(c, code);
	if (c->pid > 0 && !c->reaped) {
		kill(c->pid, SIGKILL);
		waitpid(c->pid, NULL, 0);
	}
	cgroup_destroy(&c->core.st.cg);
	c->st.ndirs = 0;
	if (c->proxy > 0) {
		kill(c->proxy, SIGKILL);
		waitpid(c->proxy, NULL, 0);
	}
	if (c->veth[0])
		net_link_delete(c->veth);
	if (c->ip[0]) {
		char *ipam = ipam_dir();
		ipam_release(ipam, c->ip);
		free(ipam);
		c->st.ip[0] = '\0';
	}
	if (!c->dir)
		return;
	if (c->o->rm || !c->started) {
		/* --rm (or a start that failed): the writable layer goes, as in docker. */
		if (remove_tree(c->dir) < 0)
			warnx_ctr("cannot remove %s: %s", c->dir, strerror(errno));
	} else {
		snprintf(c->st.status, sizeof(c->st.status), "exited");
		c->st.exit_code = code;
		state_write(c->dir, &c->st);
	}
}

/* -d: the caller waits only for the start; a session-less child monitors. */
static int detach(int *notify_fd)
{
	int fd;
	pid_t pid = fork_with_pipe(false, &fd);
	if (pid < 0)
		return -1;
	if (pid == 0) {
		setsid();
		*notify_fd = fd;
		return 0;
	}
	unsigned char code = 125;
	ssize_t n = read(fd, &code, 1);
	_exit(n == 1 ? code : 125);
}

static void report_started(struct container *c, int notify_fd, unsigned char code)
{
	if (notify_fd < 0)
		return;
	if (code == 0)
		printf("%s\n", c->name);
	fflush(stdout);
	if (write(notify_fd, &code, 1) != 1)
		return;
	close(notify_fd);
	int null = open("/dev/null", O_RDWR);
	for (int i = 0; i < 3 && null >= 0; i++)
		dup2(null, i);
}

static int run_container(struct container *c, int notify_fd)
{
	sigset_t set;
	sigemptyset(&set);
	int sigs[] = {SIGCHLD, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaddset(&set, sigs[i]);
	sigprocmask(SIG_BLOCK, &set, NULL);
	int sfd = signalfd(-1, &set, SFD_CLOEXEC);
	if (sfd < 0)
		return err_ret("signalfd: %s", strerror(errno)), 125;
	state_sweep_stale();
	int code = 125;
	if (prepare_host_side(c) == 0 && start_container(c) == 0) {
		c->started = true;
		report_started(c, notify_fd, 0);
		if (c->has_pty)
			pty_raw_mode(&c->pty);
		code = monitor(c, sfd);
		if (c->has_pty)
			drain_pty(c);
		cleanup(c, code);
	} else {
		/* Cleaned up first: after a failed -d, the name is free again at once. */
		cleanup(c, code);
		report_started(c, notify_fd, 125);
	}
	close(sfd);
	return code;
}

int cmd_run(int argc, char **argv)
{
	struct run_opts o;
	int code = parse_run_opts(argc, argv, &o) < 0 ? 125 : run_start(&o, NULL, o.detach);
	free_run_opts(&o);
	return code;
}

int run_start(struct run_opts *o, struct run_restore *restore, bool detach_caller)
{
	struct container c = {.o = o, .log_fd = -1, .console = {-1, -1}, .restore = restore};
	c.core = (struct oci_create){
	    .fifo_fd = -1, .console_fd = -1, .sync = {-1, -1}, .st.lock_fd = -1};
	c.userns = o->userns;
	c.host_uid = geteuid();
	c.host_gid = getegid();
	c.has_pty = o->tty;
	int notify_fd = -1;
	int code = 125;
	if (check_inputs(&c) == 0) {
		pick_name(&c);
		if (!detach_caller || detach(&notify_fd) == 0)
			code = run_container(&c, notify_fd);
	}
	free(c.dir);
	if (c.core.have_sec)
		security_free(&c.core.sec);
	spec_free(&c.core.s);
	for (size_t i = 0; c.volume_labels && i < o->nvols; i++)
		free(c.volume_labels[i]);
	free(c.volume_labels);
	free(c.cgroups_path);
	for (int i = 0; i < 2; i++)
		if (c.console[i] >= 0)
			close(c.console[i]);
	if (c.core.sync[0] >= 0)
		close(c.core.sync[0]);
	free((char *)c.fs.upper);
	free((char *)c.fs.work);
	free((char *)c.fs.merged);
	return code;
}
