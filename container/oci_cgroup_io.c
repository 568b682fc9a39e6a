/*
 * linux.resources.blockIO: v1's blkio files (the weight needs BFQ, or CFQ before 5.0:
 * blkio.bfq.weight or blkio.weight), v2's io.weight (io.bfq.weight under BFQ) and io.max.
 */
#include "oci_cgroup.h"
#include "util.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static bool has_file(const char *dir, const char *file)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	return access(path, F_OK) == 0;
}

static int put_line(const char *dir, const char *file, const char *line)
{
	if (cg_write(dir, file, "%s", line) < 0)
		return err_ret("cannot set %s/%s to %s: %s", dir, file, line, strerror(errno));
	return 0;
}

/* The first of two files the kernel has, or NULL after the error naming what is missing. */
static const char *either(const char *dir, const char *a, const char *b, const char *what)
{
	if (has_file(dir, a))
		return a;
	if (b && has_file(dir, b))
		return b;
	err_ret("cgroup controller unavailable: %s (no %s%s%s: the disk's I/O scheduler is not "
		"BFQ)",
		what, a, b ? " or " : "", b ? b : "");
	return NULL;
}

static int put_devs(const char *dir, const char *file, const struct spec_blkio_dev *d, size_t n,
		    const char *fmt)
{
	for (size_t i = 0; i < n; i++) {
		char line[96];
		snprintf(line, sizeof(line), fmt, d[i].major, d[i].minor, d[i].value);
		if (put_line(dir, file, line) < 0)
			return -1;
	}
	return 0;
}

int blkio_apply_v1(const char *dir, const struct spec_resources *r)
{
	static const char *const throttle_files[BLKIO_THROTTLES] = {
	    "blkio.throttle.read_bps_device", "blkio.throttle.write_bps_device",
	    "blkio.throttle.read_iops_device", "blkio.throttle.write_iops_device"};
	const char *f;
	char v[32];
	if (r->blkio_weight > 0) {
		if (!(f = either(dir, "blkio.weight", "blkio.bfq.weight", "blkio weight")))
			return -1;
		snprintf(v, sizeof(v), "%lld", r->blkio_weight);
		if (put_line(dir, f, v) < 0)
			return -1;
	}
	if (r->blkio_leaf_weight > 0) {
		if (!(f = either(dir, "blkio.leaf_weight", NULL, "blkio leaf weight")))
			return -1;
		snprintf(v, sizeof(v), "%lld", r->blkio_leaf_weight);
		if (put_line(dir, f, v) < 0)
			return -1;
	}
	if (r->nblkio_weight_dev &&
	    (!(f = either(dir, "blkio.weight_device", "blkio.bfq.weight_device",
			  "blkio weight per device")) ||
	     put_devs(dir, f, r->blkio_weight_dev, r->nblkio_weight_dev, "%lld:%lld %lld") < 0))
		return -1;
	for (int i = 0; i < BLKIO_THROTTLES; i++)
		if (put_devs(dir, throttle_files[i], r->blkio_throttle[i], r->nblkio_throttle[i],
			     "%lld:%lld %lld") < 0)
			return -1;
	return 0;
}

/* blockIO's 10..1000 onto io.weight's 1..10000, as runc converts it. */
static long long v2_weight(long long w)
{
	return 1 + (w - 10) * 9999 / 990;
}

int blkio_apply_v2(const char *dir, const struct spec_resources *r)
{
	static const char *const throttle_keys[BLKIO_THROTTLES] = {"rbps", "wbps", "riops",
								   "wiops"};
	/* io.weight (iocost's, or BFQ's alias of it), else BFQ's own file, which takes
	 * blockIO's scale as it is. */
	bool bfq = !has_file(dir, "io.weight") && has_file(dir, "io.bfq.weight");
	const char *f = bfq ? "io.bfq.weight" : "io.weight";
	char line[96];
	if ((r->blkio_weight > 0 || r->nblkio_weight_dev) && !has_file(dir, f))
		return err_ret("cgroup controller unavailable: io weight (no io.weight or "
			       "io.bfq.weight in %s)",
			       dir);
	if (r->blkio_weight > 0) {
		snprintf(line, sizeof(line), "default %lld",
			 bfq ? r->blkio_weight : v2_weight(r->blkio_weight));
		if (put_line(dir, f, line) < 0)
			return -1;
	}
	if (r->blkio_leaf_weight > 0)
		return err_ret("linux.resources.blockIO.leafWeight: cgroup v2 has no leaf weight");
	for (size_t i = 0; i < r->nblkio_weight_dev; i++) {
		const struct spec_blkio_dev *d = &r->blkio_weight_dev[i];
		snprintf(line, sizeof(line), "%lld:%lld %lld", d->major, d->minor,
			 bfq ? d->value : v2_weight(d->value));
		if (put_line(dir, f, line) < 0)
			return -1;
	}
	for (int k = 0; k < BLKIO_THROTTLES; k++)
		for (size_t i = 0; i < r->nblkio_throttle[k]; i++) {
			const struct spec_blkio_dev *d = &r->blkio_throttle[k][i];
			snprintf(line, sizeof(line), "%lld:%lld %s=%lld", d->major, d->minor,
				 throttle_keys[k], d->value);
			if (put_line(dir, "io.max", line) < 0)
				return -1;
		}
	return 0;
}

bool blkio_wanted(const struct spec_resources *r)
{
	bool any = r->blkio_weight > 0 || r->blkio_leaf_weight > 0 || r->nblkio_weight_dev;
	for (int i = 0; i < BLKIO_THROTTLES; i++)
		any |= r->nblkio_throttle[i] > 0;
	return any;
}
