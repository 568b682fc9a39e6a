/* cgroup v2 backend: one directory under <root>/isolab/ with memory, cpu, pids, io controllers. */
#include "cgroup.h"
#include "util.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int has_controller(const char *root, const char *ctrl)
{
	char path[4096], buf[1024];
	snprintf(path, sizeof(path), "%s/cgroup.controllers", root);
	if (read_file(path, buf, sizeof(buf)) < 0)
		return 0;
	for (char *tok = strtok(buf, " \n"); tok; tok = strtok(NULL, " \n"))
		if (!strcmp(tok, ctrl))
			return 1;
	return 0;
}

/* Enable controllers ("+memory +cpu ...") for the children of dir; enabling one twice is harmless.
 */
static int delegate(const char *dir, const char *list)
{
	if (cg_write(dir, "cgroup.subtree_control", "%s", list) < 0)
		return err_ret("cannot enable cgroup controllers %s in %s: %s", list, dir,
			       strerror(errno));
	return 0;
}

static int set_limit(const char *dir, const char *file, const char *val)
{
	if (cg_write(dir, file, "%s", val) < 0)
		return err_ret("cannot set %s/%s to %s: %s", dir, file, val, strerror(errno));
	return 0;
}

static int apply_limits(const char *dir, const struct limits *lim)
{
	char val[64];
	if (lim->memory_bytes) {
		snprintf(val, sizeof(val), "%lld", lim->memory_bytes);
		if (set_limit(dir, "memory.max", val) < 0)
			return -1;
		/* No swap, so a limit means an OOM kill and not a slow crawl (as docker's default).
		 */
		if (set_limit(dir, "memory.swap.max", "0") < 0)
			return -1;
	}
	if (lim->cpu_quota_us) {
		snprintf(val, sizeof(val), "%lld %lld", lim->cpu_quota_us, lim->cpu_period_us);
		if (set_limit(dir, "cpu.max", val) < 0)
			return -1;
	}
	if (lim->pids) {
		snprintf(val, sizeof(val), "%lld", lim->pids);
		if (set_limit(dir, "pids.max", val) < 0)
			return -1;
	}
	if (lim->io_weight) {
		/* docker's 10..1000 onto v2's 1..10000, as runc converts it. */
		snprintf(val, sizeof(val), "default %d", 1 + (lim->io_weight - 10) * 9999 / 990);
		if (set_limit(dir, "io.weight", val) < 0)
			return -1;
	}
	return 0;
}

static bool is_needed(const char *ctrl, const struct limits *lim)
{
	if (!strcmp(ctrl, "memory"))
		return lim->memory_bytes != 0;
	if (!strcmp(ctrl, "cpu"))
		return lim->cpu_quota_us != 0;
	return true; /* pids and io are only asked for when limited */
}

static int v2_create(struct cgroup *cg, const char *name, const struct limits *lim)
{
	/* memory and cpu are always wanted, for --stats; a missing one is fatal only if limited. */
	const char *wanted[4] = {"memory", "cpu"};
	int n = 2;
	if (lim->pids)
		wanted[n++] = "pids";
	if (lim->io_weight)
		wanted[n++] = "io";
	char list[64] = "";
	for (int i = 0; i < n; i++) {
		if (has_controller(cg->root, wanted[i]))
			snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s+%s",
				 list[0] ? " " : "", wanted[i]);
		else if (is_needed(wanted[i], lim))
			return err_ret(
			    "cgroup controller unavailable: %s (not in %s/cgroup.controllers)",
			    wanted[i], cg->root);
	}
	char *parent = xasprintf("%s/isolab", cg->root);
	int rc = -1;
	if (mkdir(parent, 0755) < 0 && errno != EEXIST)
		err_ret("cannot create cgroup %s: %s", parent, strerror(errno));
	else if (!list[0] || (delegate(cg->root, list) == 0 && delegate(parent, list) == 0))
		rc = cg_add_dir(cg, parent, name);
	free(parent);
	return rc < 0 ? -1 : apply_limits(cg->dirs[0], lim);
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

const struct cgroup_ops cgroup_v2_ops = {
    .name = "v2",
    .clone_into = true,
    .create = v2_create,
    .stats = v2_stats,
};
