/* cgroup handling the spec does not shape: detection, joining, statistics, removal. */
#include "cgroup.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>
#include <linux/magic.h>

void cgroup_detect(struct cgroup *cg)
{
	struct statfs sfs;
	*cg = (struct cgroup){0};
	/* ISOLAB_CGROUP2_ROOT: use this cgroup2 mount (say a hybrid host's unified one). */
	const char *forced = getenv("ISOLAB_CGROUP2_ROOT");
	if (forced && *forced) {
		cg->ops = &cgroup_v2_ops;
		cg->root = forced;
	} else if (statfs("/sys/fs/cgroup", &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC) {
		cg->ops = &cgroup_v2_ops;
		cg->root = "/sys/fs/cgroup";
	} else {
		cg->ops = &cgroup_v1_ops;
	}
}

bool cgroup_unified(void)
{
	struct statfs sfs;
	return statfs("/sys/fs/cgroup", &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC;
}

/* Each directory's `file` (O_CREAT: a no-op on cgroupfs, as in cg_write; the unit tests
 * use a plain directory). */
static int open_each(const struct cgroup *cg, bool self, struct cgroup_procs *out)
{
	out->n = 0;
	for (int i = 0; i < cg->ndirs; i++) {
		char *path = xasprintf("%s/tasks", cg->dirs[i]);
		/* v1's `tasks` for a process joining itself: see cgroup_open_procs. */
		int fd = self ? open(path, O_WRONLY | O_CLOEXEC) : -1;
		free(path);
		if (fd < 0) {
			path = xasprintf("%s/cgroup.procs", cg->dirs[i]);
			fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
			free(path);
		}
		if (fd < 0) {
			err_ret("cannot open %s/cgroup.procs: %s", cg->dirs[i], strerror(errno));
			cgroup_close_procs(out);
			return -1;
		}
		out->dirs[out->n] = cg->dirs[i];
		out->fds[out->n++] = fd;
	}
	return 0;
}

int cgroup_open_procs(const struct cgroup *cg, struct cgroup_procs *out)
{
	return open_each(cg, true, out);
}

int cgroup_enter_procs(const struct cgroup_procs *p, pid_t pid)
{
	char val[16];
	int len = snprintf(val, sizeof(val), "%d", (int)pid);
	for (int i = 0; i < p->n; i++)
		if (write(p->fds[i], val, (size_t)len) != len)
			return err_ret("cannot join cgroup %s: %s", p->dirs[i], strerror(errno));
	return 0;
}

void cgroup_close_procs(struct cgroup_procs *p)
{
	for (int i = 0; i < p->n; i++)
		close(p->fds[i]);
	p->n = 0;
}

int cgroup_enter(const struct cgroup *cg, pid_t pid)
{
	struct cgroup_procs p;
	if (open_each(cg, false, &p) < 0)
		return -1;
	int rc = cgroup_enter_procs(&p, pid);
	cgroup_close_procs(&p);
	return rc;
}

int cgroup_stats(const struct cgroup *cg, struct cg_stats *st)
{
	st->peak_memory_bytes = -1;
	st->cpu_usec = -1;
	return cg->ndirs ? cg->ops->stats(cg, st) : -1;
}

static int kill_procs(const char *dir)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	FILE *f = fopen(path, "re");
	if (!f)
		return 0;
	int n = 0, pid;
	while (fscanf(f, "%d", &pid) == 1) {
		kill(pid, SIGKILL);
		n++;
	}
	fclose(f);
	return n;
}

/* rmdir fails with EBUSY until the last killed task is gone: retry for up to ~2 s. */
static void remove_dir(const char *dir)
{
	struct timespec pause = {0, 1000000};
	for (int tries = 0; tries < 2000; tries++) {
		if (rmdir(dir) == 0 || errno == ENOENT)
			return;
		if (errno != EBUSY)
			break;
		if (cg_write(dir, "cgroup.kill", "1") < 0)
			kill_procs(dir);
		nanosleep(&pause, NULL);
	}
	warnx_ctr("cannot remove cgroup %s: %s", dir, strerror(errno));
}

void cgroup_destroy(struct cgroup *cg)
{
	for (int i = cg->ndirs - 1; i >= 0; i--) {
		remove_dir(cg->dirs[i]);
		free(cg->dirs[i]);
	}
	cg->ndirs = 0;
}

int cg_write(const char *dir, const char *file, const char *fmt, ...)
{
	char path[4096], val[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	/* O_CREAT is a no-op on cgroupfs and lets the tests use a plain directory. */
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, val, strlen(val));
	int saved = errno;
	close(fd);
	errno = saved;
	return n == (ssize_t)strlen(val) ? 0 : -1;
}

/* Read a number from a file, or from its "KEY value" line when key is given. */
int cg_read_ll(const char *dir, const char *file, const char *key, long long *out)
{
	char path[4096], buf[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	if (read_file(path, buf, sizeof(buf)) < 0)
		return -1;
	const char *p = buf;
	if (key) {
		size_t klen = strlen(key);
		for (p = buf; p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
			if (!strncmp(p, key, klen) && p[klen] == ' ')
				break;
		if (!p)
			return -1;
		p += klen + 1;
	}
	char *end;
	long long v = strtoll(p, &end, 10);
	if (end == p)
		return -1;
	*out = v;
	return 0;
}

/* --stats: v1's memory.max_usage_in_bytes and cpuacct.usage, in whichever directory. */
static int v1_stats(const struct cgroup *cg, struct cg_stats *st)
{
	for (int i = 0; i < cg->ndirs; i++) {
		const char *d = cg->dirs[i];
		long long ns;
		cg_read_ll(d, "memory.max_usage_in_bytes", NULL, &st->peak_memory_bytes);
		if (cg_read_ll(d, "cpuacct.usage", NULL, &ns) == 0)
			st->cpu_usec = ns / 1000;
	}
	return 0;
}

static int v2_stats(const struct cgroup *cg, struct cg_stats *st)
{
	const char *dir = cg->dirs[0];
	/* memory.peak exists since Linux 5.19; memory.current is the fallback. */
	if (cg_read_ll(dir, "memory.peak", NULL, &st->peak_memory_bytes) < 0)
		cg_read_ll(dir, "memory.current", NULL, &st->peak_memory_bytes);
	cg_read_ll(dir, "cpu.stat", "usage_usec", &st->cpu_usec);
	return 0;
}

const struct cgroup_ops cgroup_v1_ops = {
    .name = "v1",
    .stats = v1_stats,
};

const struct cgroup_ops cgroup_v2_ops = {
    .name = "v2",
    .clone_into = true,
    .stats = v2_stats,
};
