/*
 * Pre-copy, the source's protocol: all of RAM while the guest runs, then
 * the pages written meanwhile, round after round, until what is left would
 * take about the allowed downtime to send (or MIGRATION_MAX_ROUNDS passed);
 * then pause, state, the rest, and the target's answer. A guest that
 * dirties faster than the stream carries would never converge: unless told
 * otherwise, its vCPUs are throttled until it does (auto-converge).
 */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "../machine.h"
#include "../util.h"
#include "../virtio/virtio.h"
#include "internal.h"

#define MIN_STOP_PAGES	      64
#define THROTTLE_FIRST_PCT    20
#define THROTTLE_STEP_PCT     10
#define THROTTLE_MAX_PCT      90
#define THROTTLE_MIN_ROUND_MS 20 /* shorter rounds end soon enough by themselves */

/* Pages gathered into PAGES and ZEROS records. */
struct sender {
	struct wire_conn *conn;
	const struct guest_mem *mem;
	bool skip_zero; /* the first pass: the target's fresh RAM is zero already */
	uint64_t data[WIRE_MAX_PAGES], zeros[WIRE_MAX_ZEROS];
	uint32_t n_data, n_zeros;
	uint64_t pages, zero_sent, zero_skipped;
	/* bandwidth=MIB: while the guest runs, no more than bytes_per_s since paced_from_ns. */
	uint64_t bytes_per_s, paced_from_ns, paced_from_bytes;
};

/* Sleeps as long as the stream is ahead of the bandwidth it may use. */
static void pace(struct sender *s)
{
	if (!s->bytes_per_s)
		return;
	uint64_t sent = s->conn->bytes_sent - s->paced_from_bytes;
	uint64_t due_ns = s->paced_from_ns + sent * 1000000000ULL / s->bytes_per_s;
	uint64_t now = vmm_monotonic_ns();
	if (due_ns > now) {
		uint64_t ns = due_ns - now;
		struct timespec nap = {.tv_sec = (time_t)(ns / 1000000000ULL),
				       .tv_nsec = (long)(ns % 1000000000ULL)};
		nanosleep(&nap, NULL);
	}
}

static int flush(struct sender *s)
{
	if (s->n_data && wire_send_pages(s->conn, s->mem, s->data, s->n_data) < 0)
		return -1;
	if (s->n_zeros && wire_send_zeros(s->conn, s->zeros, s->n_zeros) < 0)
		return -1;
	s->n_data = s->n_zeros = 0;
	pace(s);
	return 0;
}

static int send_page(void *arg, uint64_t gpa)
{
	struct sender *s = arg;
	const uint8_t *page = guest_mem_ptr(s->mem, gpa, WIRE_PAGE_SIZE);
	if (page && guest_page_is_zero(page)) {
		if (s->skip_zero) {
			s->zero_skipped++;
			return 0;
		}
		s->zeros[s->n_zeros++] = gpa;
		s->zero_sent++;
	} else {
		s->data[s->n_data++] = gpa;
	}
	s->pages++;
	if (s->n_data == WIRE_MAX_PAGES || s->n_zeros == WIRE_MAX_ZEROS)
		return flush(s);
	return 0;
}

static int send_all_ram(struct sender *s)
{
	s->skip_zero = true;
	for (int i = 0; i < s->mem->nr_regions; i++) {
		const struct guest_region *r = &s->mem->region[i];
		for (uint64_t off = 0; off < r->size; off += WIRE_PAGE_SIZE)
			if (send_page(s, r->gpa + off) < 0)
				return -1;
	}
	s->skip_zero = false;
	return flush(s);
}

/* One round: what is pending goes out; its figures go into stats. */
static int send_round(struct sender *s, struct dirty_log *dirty, struct migration_stats *stats,
		      int round)
{
	uint64_t start = vmm_monotonic_ns(), before = s->pages;
	int ret = round == 0 ? send_all_ram(s)
			     : (dirty_log_drain(dirty, send_page, s) < 0 ? -1 : flush(s));
	if (round <= MIGRATION_MAX_ROUNDS) {
		stats->round_pages[round] = s->pages - before;
		stats->round_ns[round] = vmm_monotonic_ns() - start;
	}
	return ret;
}

/*
 * How many pages may be left for the pause: what round 0's pace sends in
 * the allowed downtime (downtime=0: none).
 */
static uint64_t stop_pages(const struct migration_params *params,
			   const struct migration_stats *stats)
{
	if (!params->max_downtime_ms)
		return 0;
	uint64_t ns = stats->round_ns[0] ? stats->round_ns[0] : 1;
	uint64_t pages = stats->round_pages[0] * params->max_downtime_ms * 1000000ULL / ns;
	return pages > MIN_STOP_PAGES ? pages : MIN_STOP_PAGES;
}

/* Auto-converge: a long round after which over half of what it sent is dirty again. */
static void converge(struct vm *vm, struct migration_stats *stats, int round, uint64_t pending)
{
	if (pending * 2 <= stats->round_pages[round] ||
	    stats->round_ns[round] < THROTTLE_MIN_ROUND_MS * 1000000ULL ||
	    stats->throttle_pct >= THROTTLE_MAX_PCT)
		return;
	stats->throttle_pct =
	    stats->throttle_pct ? stats->throttle_pct + THROTTLE_STEP_PCT : THROTTLE_FIRST_PCT;
	if (stats->throttle_pct > THROTTLE_MAX_PCT)
		stats->throttle_pct = THROTTLE_MAX_PCT;
	vm_throttle(vm, stats->throttle_pct);
}

static int wait_for_target(struct wire_conn *conn, uint64_t paused_at,
			   struct migration_stats *stats)
{
	uint8_t *buf = malloc(WIRE_MAX_PAYLOAD);
	struct wire_record rec;
	int ret = -1;
	if (!buf)
		snprintf(conn->err, sizeof(conn->err), "out of memory");
	else if (wire_recv(conn, buf, &rec) < 0)
		;
	else if (rec.type == WIRE_NACK)
		snprintf(conn->err, sizeof(conn->err), "the target refused: %.*s", (int)rec.len,
			 (const char *)rec.payload);
	else if (rec.type != WIRE_ACK || rec.len != 8)
		snprintf(conn->err, sizeof(conn->err), "the target answered record type %u",
			 rec.type);
	else
		ret = 0;
	if (ret == 0) {
		uint64_t running_at = wire_get_u64(rec.payload);
		stats->downtime_ns = running_at > paused_at ? running_at - paused_at : 0;
	}
	free(buf);
	return ret;
}

/*
 * Each TAP's fd goes to the target (SCM_RIGHTS), which runs the guest on
 * the same TAP; this side keeps its own fd until it exits, so whichever
 * side dies, the other still has the TAP.
 */
static int send_taps(struct vm *vm, struct wire_conn *conn)
{
	int fd;
	for (unsigned i = 0; (fd = virtio_net_tap_fd(vm, i)) >= 0; i++) {
		uint8_t index[4];
		wire_put_u32(index, i);
		if (wire_send_fd(conn, WIRE_TAP, index, sizeof(index), fd) < 0)
			return -1;
	}
	return 0;
}

/* Paused: the state first (it drains the devices' requests), then the pages written last. */
static int stop_and_copy(struct vm *vm, struct sender *s, struct dirty_log *dirty,
			 struct migration_stats *stats, uint64_t paused_at)
{
	int state_fd = -1;
	if (migration_save_state(vm, &state_fd, &stats->state_bytes) < 0) {
		snprintf(s->conn->err, sizeof(s->conn->err), "the VM's state could not be saved");
		return -1;
	}
	uint64_t before = s->pages;
	int ret = -1;
	if (dirty_log_collect(dirty) >= 0 && dirty_log_drain(dirty, send_page, s) == 0 &&
	    flush(s) == 0 && send_taps(vm, s->conn) == 0 &&
	    migration_send_state(s->conn, state_fd, stats->state_bytes) == 0) {
		stats->final_pages = s->pages - before;
		/* The target locks the disks before its guest runs: they are its from here. */
		virtio_blk_lock_disks(vm, false);
		uint8_t end[24];
		wire_put_u64(end, stats->state_bytes);
		wire_put_u64(end + 8, s->pages);
		wire_put_u64(end + 16, paused_at);
		ret = wire_send(s->conn, WIRE_END, end, sizeof(end));
	}
	close(state_fd);
	return ret < 0 ? -1 : wait_for_target(s->conn, paused_at, stats);
}

static int precopy_rounds(struct vm *vm, struct sender *s, struct dirty_log *dirty,
			  const struct migration_params *params, struct migration_stats *stats)
{
	if (send_round(s, dirty, stats, 0) < 0)
		return -1;
	uint64_t enough = stop_pages(params, stats);
	for (stats->rounds = 1; stats->rounds <= MIGRATION_MAX_ROUNDS; stats->rounds++) {
		int64_t pending = dirty_log_collect(dirty);
		if (pending < 0)
			return -1;
		if ((uint64_t)pending <= enough)
			break;
		if (params->auto_converge && stats->rounds > 1)
			converge(vm, stats, stats->rounds - 1, (uint64_t)pending);
		if (send_round(s, dirty, stats, stats->rounds) < 0)
			return -1;
	}
	return 0;
}

/*
 * A send failed: a target that refused the stream said why before it
 * closed, and its NACK may be waiting to be read.
 */
static void read_refusal(struct wire_conn *conn)
{
	struct timeval brief = {.tv_sec = 1};
	setsockopt(conn->fd, SOL_SOCKET, SO_RCVTIMEO, &brief, sizeof(brief));
	uint8_t *buf = malloc(WIRE_MAX_PAYLOAD);
	char why[sizeof(conn->err)];
	snprintf(why, sizeof(why), "%s", conn->err);
	struct wire_record rec;
	if (buf && wire_recv(conn, buf, &rec) == 0 && rec.type == WIRE_NACK)
		snprintf(conn->err, sizeof(conn->err), "the target refused: %.*s", (int)rec.len,
			 (const char *)rec.payload);
	else
		snprintf(conn->err, sizeof(conn->err), "%s", why);
	free(buf);
}

int migration_precopy(struct vm *vm, struct wire_conn *conn, struct dirty_log *dirty,
		      const struct migration_params *params, struct migration_stats *stats,
		      char *err, size_t err_size)
{
	struct sender *s = calloc(1, sizeof(*s)); /* 68 KiB of page addresses */
	if (!s) {
		snprintf(err, err_size, "out of memory");
		return -1;
	}
	*s = (struct sender){.conn = conn, .mem = vm_mem(vm)};
	bool was_paused = vm_paused(vm);
	int ret = -1;
	if (wire_send_header(conn, s->mem) < 0)
		goto out;
	if (dirty_log_start(dirty, vm) < 0) {
		snprintf(conn->err, sizeof(conn->err), "KVM cannot track dirty pages here");
		goto out;
	}
	uint64_t slept_before = vm_throttled_ns(vm);
	s->bytes_per_s = (uint64_t)params->bandwidth_mib * (1 << 20);
	s->paced_from_ns = vmm_monotonic_ns();
	s->paced_from_bytes = conn->bytes_sent;
	int rounds_ret = precopy_rounds(vm, s, dirty, params, stats);
	s->bytes_per_s = 0; /* the guest is paused from here: the rest goes at full speed */
	vm_throttle(vm, 0); /* the pause follows, or the guest runs on here at full speed */
	stats->throttled_ns = vm_throttled_ns(vm) - slept_before;
	if (rounds_ret == 0) {
		uint64_t paused_at = vmm_monotonic_ns();
		vm_pause(vm);
		virtio_pause(vm); /* in-flight requests complete, host input waits */
		ret = stop_and_copy(vm, s, dirty, stats, paused_at);
		if (ret < 0) {
			if (virtio_blk_lock_disks(vm, true) < 0)
				vmm_warn(
				    "migration failed and a disk's lock could not be taken back");
			virtio_resume(vm);
			if (!was_paused)
				vm_resume(vm);
		}
	}
	if (ret < 0)
		dirty_log_stop(dirty);
out:
	if (ret < 0 && strncmp(conn->err, "sending", 7) == 0)
		read_refusal(conn);
	stats->zero_pages_skipped = s->zero_skipped;
	stats->zero_pages_sent = s->zero_sent;
	free(s);
	stats->bytes_sent = conn->bytes_sent;
	if (ret < 0)
		snprintf(err, err_size, "%s", conn->err);
	return ret;
}
