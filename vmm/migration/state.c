/*
 * The CPU and device state in a migration: snapshot_write_state's bytes
 * (vmm/snapshot/), kept in a memfd so the stream can frame, bound and
 * checksum them like everything else.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "../snapshot/snapshot.h"
#include "../util.h"
#include "internal.h"

int migration_save_state(struct vm *vm, int *fd, uint64_t *bytes)
{
	*fd = memfd_create("vmm-migration-state", MFD_CLOEXEC);
	if (*fd < 0)
		return vmm_err("migration: no memfd for the state: %s", strerror(errno));
	off_t end;
	if (snapshot_write_state(vm, *fd) < 0 || (end = lseek(*fd, 0, SEEK_END)) < 0) {
		close(*fd);
		*fd = -1;
		return -1;
	}
	if ((uint64_t)end > WIRE_MAX_STATE) {
		close(*fd);
		*fd = -1;
		return vmm_err("migration: the state is %lld bytes, over the stream's %u MiB",
			       (long long)end, WIRE_MAX_STATE >> 20);
	}
	*bytes = (uint64_t)end;
	return 0;
}

int migration_send_state(struct wire_conn *conn, int fd, uint64_t bytes)
{
	static const uint32_t part = WIRE_MAX_STATE_PART;
	uint8_t *buf = malloc(part);
	if (!buf) {
		snprintf(conn->err, sizeof(conn->err), "out of memory");
		return -1;
	}
	int ret = 0;
	for (uint64_t off = 0; off < bytes && ret == 0;) {
		uint32_t len = bytes - off < part ? (uint32_t)(bytes - off) : part;
		ssize_t n = pread(fd, buf, len, (off_t)off);
		if (n != (ssize_t)len) {
			snprintf(conn->err, sizeof(conn->err), "reading the saved state: %s",
				 n < 0 ? strerror(errno) : "short read");
			ret = -1;
			break;
		}
		ret = wire_send(conn, WIRE_STATE, buf, len);
		off += len;
	}
	free(buf);
	return ret;
}

int migration_load_state(struct vm *vm, int fd)
{
	return snapshot_read_state(vm, fd);
}
