/*
 * A snapshot as a directory: DIR/state (snapshot_write_state) and
 * DIR/memory (snapshot_write_memory). Both are written under a temporary
 * name and renamed into place, so a crash leaves the old snapshot whole and
 * a guest restored lazily from DIR/memory (still mapping the old file) can
 * snapshot into the same DIR.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../machine.h"
#include "../util.h"
#include "../virtio/virtio.h"
#include "snapshot.h"

static int path_in(char *buf, const char *dir, const char *name, const char *suffix)
{
	int n = snprintf(buf, PATH_MAX, "%s/%s%s", dir, name, suffix);
	if (n < 0 || n >= PATH_MAX)
		return vmm_err("snapshot: the path %s/%s is too long", dir, name);
	return 0;
}

/* What the two files' writers share: the memory file's checksums go into the state. */
struct save_job {
	struct vm *vm;
	struct memory_sums sums;
};

/* Writes DIR/name through DIR/name.tmp. */
static int write_file(struct save_job *job, const char *dir, const char *name,
		      int (*write_fn)(struct save_job *job, int fd))
{
	char path[PATH_MAX], tmp[PATH_MAX];
	if (path_in(path, dir, name, "") < 0 || path_in(tmp, dir, name, ".tmp") < 0)
		return -1;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return vmm_err("snapshot: cannot create %s: %s", tmp, strerror(errno));
	int ret = write_fn(job, fd);
	if (close(fd) < 0 && ret == 0)
		ret = vmm_err("snapshot: writing %s: %s", tmp, strerror(errno));
	if (ret == 0 && rename(tmp, path) < 0)
		ret = vmm_err("snapshot: cannot rename %s: %s", tmp, strerror(errno));
	if (ret < 0)
		unlink(tmp);
	return ret;
}

static int write_memory(struct save_job *job, int fd)
{
	return snapshot_write_memory(job->vm, fd, &job->sums);
}

static int write_state(struct save_job *job, int fd)
{
	return snapshot_write_state_sums(job->vm, fd, &job->sums);
}

int snapshot_save(struct vm *vm, const char *dir)
{
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return vmm_err("snapshot: cannot create %s: %s", dir, strerror(errno));
	bool was_paused = vm_paused(vm);
	vm_pause(vm);
	virtio_pause(vm); /* no device writes guest RAM while it is saved */
	struct save_job job = {.vm = vm};
	int ret = write_file(&job, dir, "memory", write_memory);
	/* The state last: a directory with a state file has the memory that goes with it. */
	if (ret == 0)
		ret = write_file(&job, dir, "state", write_state);
	memory_sums_free(&job.sums);
	virtio_resume(vm);
	if (!was_paused)
		vm_resume(vm);
	return ret;
}

static int open_in(const char *dir, const char *name)
{
	char path[PATH_MAX];
	if (path_in(path, dir, name, "") < 0)
		return -1;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return vmm_err("snapshot: cannot open %s: %s", path, strerror(errno));
	return fd;
}

int snapshot_restore(struct vm *vm, const char *dir, bool eager, struct restore_stats *stats)
{
	uint64_t start = vmm_monotonic_ns() / 1000;
	*stats = (struct restore_stats){.eager = eager};
	int state_fd = open_in(dir, "state");
	int mem_fd = state_fd < 0 ? -1 : open_in(dir, "memory");
	struct snapshot_state *st = mem_fd < 0 ? NULL : snapshot_state_read(vm, state_fd);
	int ret = -1;
	struct memory_sums sums = {0};
	if (st && snapshot_state_memory_sums(st, &sums) == 0) {
		uint64_t read_done = vmm_monotonic_ns() / 1000;
		if (snapshot_load_memory(vm, mem_fd, eager, &sums) == 0) {
			uint64_t mem_done = vmm_monotonic_ns() / 1000;
			ret = snapshot_state_apply(st, vm);
			stats->memory_us = mem_done - read_done;
			stats->state_us =
			    (read_done - start) + (vmm_monotonic_ns() / 1000 - mem_done);
		}
	}
	memory_sums_free(&sums);
	snapshot_state_free(st);
	if (mem_fd >= 0)
		close(mem_fd); /* a lazy mapping keeps the file */
	if (state_fd >= 0)
		close(state_fd);
	stats->total_us = vmm_monotonic_ns() / 1000 - start;
	return ret;
}
