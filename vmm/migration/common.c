/* What both sides use: the clock, socket timeouts, the figures. */
#include <inttypes.h>
#include <sys/socket.h>
#include <time.h>

#include "internal.h"

void migration_set_timeouts(int fd)
{
	struct timeval tv = {.tv_sec = WIRE_PEER_TIMEOUT_S};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

void migration_stats_print(const struct migration_stats *s, FILE *out)
{
	fprintf(out, "migration_total_ms: %" PRIu64 "\n", s->total_ns / 1000000);
	if (s->downtime_ns)
		fprintf(out, "migration_downtime_us: %" PRIu64 "\n", s->downtime_ns / 1000);
	fprintf(out, "migration_rounds: %d\n", s->rounds);
	for (int r = 0; r < s->rounds && r <= MIGRATION_MAX_ROUNDS; r++)
		fprintf(out, "migration_round%d_pages: %" PRIu64 "\nmigration_round%d_ms: %.3f\n",
			r, s->round_pages[r], r, (double)s->round_ns[r] / 1e6);
	fprintf(out, "migration_throttle_pct: %u\nmigration_throttled_ms: %.1f\n", s->throttle_pct,
		(double)s->throttled_ns / 1e6);
	fprintf(out,
		"migration_final_pages: %" PRIu64 "\nmigration_zero_pages_skipped: %" PRIu64
		"\nmigration_zero_pages_sent: %" PRIu64 "\nmigration_state_bytes: %" PRIu64
		"\nmigration_bytes_sent: %" PRIu64 "\n",
		s->final_pages, s->zero_pages_skipped, s->zero_pages_sent, s->state_bytes,
		s->bytes_sent);
}
