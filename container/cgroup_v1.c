/* cgroup v1 backend: one directory per controller hierarchy, under the caller's own cgroup. */
#include "cgroup.h"
#include "util.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool has_token(const char *list, const char *tok)
{
	size_t n = strlen(tok);
	for (const char *p = list; p; p = strchr(p, ','), p = p ? p + 1 : NULL)
		if (!strncmp(p, tok, n) && (p[n] == ',' || p[n] == '\0' || p[n] == '\n'))
			return true;
	return false;
}

/* Our own path in the hierarchy holding ctrl, from /proc/self/cgroup. */
static bool own_path(const char *ctrl, char *out, size_t len)
{
	FILE *f = fopen("/proc/self/cgroup", "re");
	char line[4096];
	bool found = false;
	while (f && !found && fgets(line, sizeof(line), f)) {
		char *list = strchr(line, ':'), *path = list ? strchr(list + 1, ':') : NULL;
		if (!path)
			continue;
		*path++ = '\0';
		path[strcspn(path, "\n")] = '\0';
		if (has_token(list + 1, ctrl)) {
			snprintf(out, len, "%s", path);
			found = true;
		}
	}
	if (f)
		fclose(f);
	return found;
}

/* The directory of our own cgroup for ctrl: mount point plus our path below the mount's root. */
static char *hierarchy_dir(const char *ctrl)
{
	char self[4096], line[8192];
	if (!own_path(ctrl, self, sizeof(self)))
		return NULL;
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char *dir = NULL;
	while (f && !dir && fgets(line, sizeof(line), f)) {
		char root[4096], mnt[4096], *sep = strstr(line, " - cgroup ");
		if (!sep || sscanf(line, "%*d %*d %*s %4095s %4095s", root, mnt) != 2)
			continue;
		char *super = strrchr(sep, ' ');
		if (!super || !has_token(super + 1, ctrl))
			continue;
		size_t rl = strcmp(root, "/") ? strlen(root) : 0;
		if (strncmp(self, root, rl))
			continue;
		/* Our path below the mount's root; "/" there is the mount point itself. */
		const char *rest = self + rl;
		dir = xasprintf("%s%s", mnt, strcmp(rest, "/") ? rest : "");
	}
	if (f)
		fclose(f);
	return dir;
}

/* Mount points are shared when controllers are co-mounted (cpu,cpuacct): one directory each. */
static bool already_have(const struct cgroup *cg, const char *parent, const char *name)
{
	char *want = xasprintf("%s/%s", parent, name);
	bool dup = false;
	for (int i = 0; i < cg->ndirs; i++)
		dup |= !strcmp(cg->dirs[i], want);
	free(want);
	return dup;
}

static int join_controller(struct cgroup *cg, const char *ctrl, const char *name, bool needed,
			   char **dir_out)
{
	*dir_out = NULL;
	char *own = hierarchy_dir(ctrl);
	if (!own) {
		if (needed)
			return err_ret(
			    "cgroup controller unavailable: %s (no v1 hierarchy mounted)", ctrl);
		return 0;
	}
	char *parent = xasprintf("%s/isolab", own);
	free(own);
	int rc = 0;
	if (mkdir(parent, 0755) < 0 && errno != EEXIST)
		rc = err_ret("cannot create cgroup %s: %s", parent, strerror(errno));
	else if (!already_have(cg, parent, name))
		rc = cg_add_dir(cg, parent, name);
	if (rc == 0)
		*dir_out = xasprintf("%s/%s", parent, name);
	free(parent);
	return rc;
}

static int set_limit(const char *dir, const char *file, long long v)
{
	if (cg_write(dir, file, "%lld", v) < 0)
		return err_ret("cannot set %s/%s to %lld: %s", dir, file, v, strerror(errno));
	return 0;
}

/* Allow only the device nodes the runtime creates in /dev, as runc's default list. */
static int restrict_devices(const char *dir)
{
	static const char *const allow[] = {
	    "c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm", "c 1:8 rwm",	  "c 1:9 rwm",
	    "c 5:0 rwm", "c 5:1 rwm", "c 5:2 rwm", "c 136:* rwm",
	};
	if (cg_write(dir, "devices.deny", "a") < 0)
		return err_ret("cannot restrict devices in %s: %s", dir, strerror(errno));
	for (size_t i = 0; i < sizeof(allow) / sizeof(allow[0]); i++)
		if (cg_write(dir, "devices.allow", "%s", allow[i]) < 0)
			return err_ret("cannot allow device %s: %s", allow[i], strerror(errno));
	return 0;
}

static bool file_exists(const char *dir, const char *file)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return access(path, F_OK) == 0;
}

static int v1_memory(struct cgroup *cg, const char *name, const struct limits *lim)
{
	char *dir;
	if (join_controller(cg, "memory", name, lim->memory_bytes, &dir) < 0)
		return -1;
	int rc = 0;
	if (dir && lim->memory_bytes) {
		rc = set_limit(dir, "memory.limit_in_bytes", lim->memory_bytes);
		/* Same memory+swap limit: no swap, so the limit ends in an OOM kill. */
		if (rc == 0 && file_exists(dir, "memory.memsw.limit_in_bytes"))
			rc = set_limit(dir, "memory.memsw.limit_in_bytes", lim->memory_bytes);
	}
	free(dir);
	return rc;
}

/* blkio.weight needs CFQ (gone since 5.0) or BFQ (blkio.bfq.weight): many hosts have neither. */
static int v1_blkio(struct cgroup *cg, const char *name, const struct limits *lim)
{
	char *dir;
	if (join_controller(cg, "blkio", name, true, &dir) < 0)
		return -1;
	const char *file = file_exists(dir, "blkio.weight")	  ? "blkio.weight"
			   : file_exists(dir, "blkio.bfq.weight") ? "blkio.bfq.weight"
								  : NULL;
	int rc = file ? set_limit(dir, file, lim->io_weight)
		      : err_ret("cgroup controller unavailable: blkio weight (no blkio.weight or "
				"blkio.bfq.weight: the disk's I/O scheduler is not BFQ)");
	free(dir);
	return rc;
}

static int v1_create(struct cgroup *cg, const char *name, const struct limits *lim)
{
	char *dir = NULL;
	if (v1_memory(cg, name, lim) < 0)
		return -1;
	if (join_controller(cg, "cpuacct", name, false, &dir) < 0)
		return -1;
	free(dir);
	if (lim->cpu_quota_us) {
		if (join_controller(cg, "cpu", name, true, &dir) < 0)
			return -1;
		int rc = set_limit(dir, "cpu.cfs_period_us", lim->cpu_period_us);
		if (rc == 0)
			rc = set_limit(dir, "cpu.cfs_quota_us", lim->cpu_quota_us);
		free(dir);
		if (rc < 0)
			return -1;
	}
	if (join_controller(cg, "pids", name, lim->pids, &dir) < 0)
		return -1;
	int rc = dir && lim->pids ? set_limit(dir, "pids.max", lim->pids) : 0;
	free(dir);
	if (rc < 0)
		return -1;
	if (join_controller(cg, "devices", name, false, &dir) < 0)
		return -1;
	rc = dir ? restrict_devices(dir) : 0;
	free(dir);
	if (rc < 0)
		return -1;
	return lim->io_weight ? v1_blkio(cg, name, lim) : 0;
}

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

const struct cgroup_ops cgroup_v1_ops = {
    .name = "v1",
    .create = v1_create,
    .stats = v1_stats,
};
