/* What the migration files share. */
#ifndef VMM_MIGRATION_INTERNAL_H
#define VMM_MIGRATION_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "dirty.h"
#include "migration.h"
#include "wire.h"

#define MIGRATION_MAX_ROUNDS  30 /* pre-copy rounds after the first full pass */
#define MIGRATION_DOWNTIME_MS 10 /* downtime=MS by default */

/* What one migration did, for the monitor's answer and --stats. */
struct migration_stats {
	uint64_t total_ns;    /* migrate command -> the target's answer */
	uint64_t downtime_ns; /* pause -> the target runs the guest */
	int rounds;	      /* rounds sent before the pause (round 0: all of RAM) */
	uint64_t round_pages[MIGRATION_MAX_ROUNDS + 1];
	uint64_t round_ns[MIGRATION_MAX_ROUNDS + 1];
	unsigned throttle_pct;	     /* auto-converge's last step: the vCPUs' time taken away */
	uint64_t throttled_ns;	     /* what the vCPUs slept for it, all together */
	uint64_t final_pages;	     /* sent while paused */
	uint64_t zero_pages_skipped; /* round 0: all-zero pages the target already has */
	uint64_t zero_pages_sent;    /* later rounds: pages that became zero */
	uint64_t state_bytes;
	uint64_t bytes_sent;
};

/* Send and receive timeouts: a peer that stops answering is an error, not a hang. */
void migration_set_timeouts(int fd);
void migration_stats_print(const struct migration_stats *s, FILE *out);

/*
 * The whole source protocol on a connected conn: header, full pass, rounds,
 * pause, the rest, state, and the target's answer. On failure the VM runs
 * again as it did before (resumed unless it was paused already) and err says
 * why. 0 or -1.
 */
int migration_precopy(struct vm *vm, struct wire_conn *conn, struct dirty_log *dirty,
		      const struct migration_params *params, struct migration_stats *stats,
		      char *err, size_t err_size);

/*
 * The CPU and device state (snapshot_write_state's bytes) through a memfd:
 * saved with the VM paused, sent as STATE parts, loaded on the target from
 * the parts it gathered. Each 0, or -1 (save and load after a message, send
 * with conn->err).
 */
int migration_save_state(struct vm *vm, int *fd, uint64_t *bytes);
int migration_send_state(struct wire_conn *conn, int fd, uint64_t bytes);
int migration_load_state(struct vm *vm, int fd);

#endif
