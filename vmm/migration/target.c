/*
 * The target side (vmm --incoming unix:PATH): one connection, RAM and state
 * into a VM built from the same options, then the guest runs here. Every
 * record is checked before it is used (wire.c); anything out of place ends
 * the migration with one message here and a NACK to the source, which then
 * resumes its guest.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "../event_loop.h"
#include "../machine.h"
#include "../util.h"
#include "../virtio/virtio.h"
#include "internal.h"

#define ACCEPT_POLL_MS	200 /* how often the wait looks whether vmm is being stopped */
#define DISK_LOCK_TRIES 20  /* 100 ms apart */

struct migration_incoming {
	struct wire_conn conn;
	uint8_t *buf; /* one record */
	int state_fd;
	uint64_t state_bytes, pages, records;
	uint64_t start_ns, paused_at_ns; /* the connection came; the source paused (END) */
	struct vm *vm;
	int sig_fd; /* watch_stop_signals: a signal ends the wait and the stream */
};

static int listen_unix(const char *path)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
	struct stat st;
	if (lstat(path, &st) == 0)
		return vmm_err("--incoming unix:%s: the path exists; remove it or pick another",
			       path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	/* Whoever connects writes guest memory: owner only. */
	if (fd < 0 || fchmod(fd, 0600) < 0 ||
	    bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || chmod(path, 0600) < 0 ||
	    listen(fd, 1) < 0) {
		vmm_err("--incoming unix:%s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/*
 * SIGINT, SIGTERM and SIGHUP as an fd, blocked from now on: the console's
 * event loop takes them over once the guest is in (console_catch_signals),
 * and until then the wait and the stream end on them instead of vmm dying
 * with its socket left behind.
 */
static int watch_stop_signals(void)
{
	int fd = stop_signals_fd();
	if (fd < 0)
		vmm_err("--incoming: cannot watch for SIGINT, SIGTERM, SIGHUP: %s",
			strerror(errno));
	return fd;
}

/* A stop signal came: vmm stops with 128 + its number, as when a guest runs. */
static bool stop_requested(struct vm *vm, int sig_fd)
{
	struct signalfd_siginfo si;
	if (read(sig_fd, &si, sizeof(si)) == sizeof(si))
		vm_request_exit(vm, 128 + (int)si.ssi_signo);
	return vm_exit_requested(vm);
}

/* Waits for the source; 1 when vmm is asked to stop first. */
static int accept_source(struct vm *vm, const char *path, int sig_fd, int *conn_fd)
{
	int listen_fd = listen_unix(path);
	if (listen_fd < 0)
		return -1;
	fprintf(stderr, "vmm: waiting for a migration on unix:%s\n", path);
	int ret = 1;
	while (!stop_requested(vm, sig_fd)) {
		struct pollfd p[2] = {{.fd = listen_fd, .events = POLLIN},
				      {.fd = sig_fd, .events = POLLIN}};
		if (poll(p, 2, ACCEPT_POLL_MS) <= 0 || !(p[0].revents & POLLIN))
			continue;
		*conn_fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (*conn_fd >= 0) {
			ret = 0;
			break;
		}
	}
	close(listen_fd);
	unlink(path);
	if (ret == 1)
		vmm_err("stopped while waiting for a migration on unix:%s", path);
	if (ret == 0)
		migration_set_timeouts(*conn_fd); /* it blocks: accept4 without SOCK_NONBLOCK */
	return ret;
}

static int add_state(struct migration_incoming *in, const struct wire_record *rec)
{
	if (rec->len > WIRE_MAX_STATE - in->state_bytes) {
		snprintf(in->conn.err, sizeof(in->conn.err), "the state is over %u MiB",
			 WIRE_MAX_STATE >> 20);
		return -1;
	}
	if (write(in->state_fd, rec->payload, rec->len) != (ssize_t)rec->len) {
		snprintf(in->conn.err, sizeof(in->conn.err), "cannot keep the state: %s",
			 strerror(errno));
		return -1;
	}
	in->state_bytes += rec->len;
	return 0;
}

/* END: u64 state bytes, u64 pages, u64 when the source paused. */
static int check_end(struct migration_incoming *in, const struct wire_record *rec)
{
	if (rec->len != 24 || wire_get_u64(rec->payload) != in->state_bytes ||
	    wire_get_u64(rec->payload + 8) != in->pages) {
		snprintf(in->conn.err, sizeof(in->conn.err),
			 "the stream ends with %llu state bytes and %llu pages received, not what "
			 "the source says it sent",
			 (unsigned long long)in->state_bytes, (unsigned long long)in->pages);
		return -1;
	}
	in->paused_at_ns = wire_get_u64(rec->payload + 16);
	return 0;
}

/* TAP: u32 net device index, the TAP's fd passed along; the device takes it. */
static int adopt_tap(struct vm *vm, struct migration_incoming *in, const struct wire_record *rec)
{
	uint32_t index = rec->len == 4 ? wire_get_u32(rec->payload) : UINT32_MAX;
	if (rec->len == 4 && virtio_net_adopt_tap(vm, index, wire_take_fd(&in->conn)) == 0)
		return 0;
	snprintf(in->conn.err, sizeof(in->conn.err),
		 "the TAP the source handed over for net%u cannot be used here (the target says "
		 "why)",
		 index);
	return -1;
}

/* Records until END. */
static int receive(struct vm *vm, struct migration_incoming *in)
{
	if (wire_recv_header(&in->conn, vm_mem(vm)) < 0)
		return -1;
	for (;;) {
		struct wire_record rec;
		if (wire_recv(&in->conn, in->buf, &rec) < 0)
			return -1;
		in->records++;
		switch (rec.type) {
		case WIRE_PAGES:
		case WIRE_ZEROS: {
			int64_t n = wire_apply_pages(&in->conn, vm_mem(vm), &rec);
			if (n < 0)
				return -1;
			in->pages += (uint64_t)n;
			break;
		}
		case WIRE_STATE:
			if (add_state(in, &rec) < 0)
				return -1;
			break;
		case WIRE_TAP:
			if (adopt_tap(vm, in, &rec) < 0)
				return -1;
			break;
		case WIRE_END:
			return check_end(in, &rec);
		default:
			snprintf(in->conn.err, sizeof(in->conn.err),
				 "record type %u does not belong in a source's stream", rec.type);
			return -1;
		}
	}
}

static void refuse(struct migration_incoming *in, const char *why)
{
	vmm_err("incoming migration: %s", why);
	wire_send(&in->conn, WIRE_NACK, why, (uint32_t)strnlen(why, WIRE_MAX_MESSAGE));
}

static void print_stats(FILE *out, const struct migration_incoming *in, uint64_t running_at)
{
	uint64_t start = in->start_ns, paused_at = in->paused_at_ns;
	fprintf(out,
		"migration_incoming_ms: %" PRIu64 "\nmigration_incoming_pages: %" PRIu64
		"\nmigration_incoming_bytes: %" PRIu64 "\nmigration_incoming_state_bytes: %" PRIu64
		"\nmigration_downtime_us: %" PRIu64 "\n",
		(running_at - start) / 1000000, in->pages, in->conn.bytes_received, in->state_bytes,
		running_at > paused_at ? (running_at - paused_at) / 1000 : 0);
}

/* The source unlocked its disks before END; a moment's retry covers the order of the two. */
static int take_disks(struct vm *vm)
{
	for (int i = 0; i < DISK_LOCK_TRIES; i++) {
		if (virtio_blk_lock_disks(vm, true) == 0)
			return 0;
		poll(NULL, 0, 100);
	}
	return -1;
}

static int load(struct vm *vm, struct migration_incoming *in)
{
	if (receive(vm, in) < 0) {
		refuse(in, in->conn.err);
		return -1;
	}
	if (lseek(in->state_fd, 0, SEEK_SET) < 0 || migration_load_state(vm, in->state_fd) < 0) {
		refuse(in, "the CPU and device state did not load (the target says why)");
		return -1;
	}
	if (take_disks(vm) < 0) {
		refuse(in, "a disk is still in use by another process (the target says which)");
		return -1;
	}
	return 0;
}

void migration_incoming_free(struct migration_incoming *in)
{
	if (!in)
		return;
	free(in->buf);
	if (in->state_fd >= 0)
		close(in->state_fd);
	if (in->conn.fd >= 0)
		close(in->conn.fd);
	if (in->sig_fd >= 0)
		close(in->sig_fd);
	free(in);
}

int migration_receive(struct vm *vm, const char *uri, struct migration_incoming **out)
{
	const char *path = migration_unix_path(uri);
	if (!path)
		return vmm_err("--incoming takes unix:PATH (got '%.60s')", uri);
	struct migration_incoming *in = calloc(1, sizeof(*in));
	if (!in)
		return vmm_err("out of memory");
	in->state_fd = -1;
	in->vm = vm;
	int fd = -1;
	in->sig_fd = watch_stop_signals();
	int ret = in->sig_fd < 0 ? -1 : accept_source(vm, path, in->sig_fd, &fd);
	wire_conn_init(&in->conn, fd);
	in->conn.cancel_fd = in->sig_fd;
	if (ret != 0) {
		migration_incoming_free(in);
		return ret < 0 ? -1 : 1;
	}
	in->start_ns = vmm_monotonic_ns();
	in->buf = malloc(WIRE_MAX_PAYLOAD);
	in->state_fd = memfd_create("vmm-incoming-state", MFD_CLOEXEC);
	if (!in->buf || in->state_fd < 0)
		ret = vmm_err("incoming migration: out of memory");
	else
		ret = load(vm, in);
	if (ret < 0) {
		bool stopped = stop_requested(vm, in->sig_fd);
		migration_incoming_free(in);
		return stopped ? 1 : -1;
	}
	*out = in;
	return 0;
}

int migration_confirm(struct migration_incoming *in, FILE *stats)
{
	uint8_t running[8];
	uint64_t running_at = vmm_monotonic_ns();
	wire_put_u64(running, running_at);
	/* Stopped meanwhile: the source keeps its guest. */
	if (stop_requested(in->vm, in->sig_fd)) {
		refuse(in, "the target was stopped before its guest ran");
		migration_incoming_free(in);
		return -1;
	}
	/* Only a source that heard the answer stops: if it is gone, this guest must not run. */
	int ret = wire_send(&in->conn, WIRE_ACK, running, sizeof(running));
	if (ret < 0)
		vmm_err("incoming migration: the source went away before the answer: %s",
			in->conn.err);
	else if (stats)
		print_stats(stats, in, running_at);
	migration_incoming_free(in);
	return ret;
}
