/*
 * Live migration between two vmm processes on one host (README.md here).
 *
 * Source: the monitor's `migrate unix:PATH` starts a pre-copy on its own
 * thread (the guest and its devices keep running): all of RAM, then the
 * pages written meanwhile, round after round, until few are left; then the
 * VM pauses, the rest of RAM and the CPU/device state go, and the target
 * answers. When it runs the guest, the source exits 0; when it fails or
 * goes away, the source resumes its guest and reports why.
 *
 * Target: `vmm --incoming unix:PATH` with the source's other options builds
 * the same machine, waits for one connection and loads what it sends
 * instead of booting.
 */
#ifndef VMM_MIGRATION_H
#define VMM_MIGRATION_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct vm;
struct migration;

/* The one URI form: "unix:PATH". Returns PATH or NULL. */
const char *migration_unix_path(const char *uri);

/*
 * The source side of vm; watches its end on the VM's event loop. NULL after
 * a message. unsupported: why this VM cannot migrate (a device whose writes
 * no dirty log sees), or NULL; migration_start then refuses with it.
 */
struct migration *migration_create(struct vm *vm, const char *unsupported);
/* vmm is stopping: a migration under way fails now (its thread is joined). NULL is fine. */
void migration_cancel(struct migration *m);
/* Once no device runs any more (virtio_shutdown): they mark pages it frees. NULL is fine. */
void migration_destroy(struct migration *m);

/*
 * Called on the event loop when the migration ends: report is the answer
 * (the figures, or an "error: ..." line first). When the guest runs on the
 * target, the source then stops with status 0 by itself.
 */
typedef void (*migration_report_fn)(void *arg, const char *report);

/* How the pre-copy rounds may end. */
struct migration_params {
	/* The pause may take about this long to send what is left; 0: pause only when nothing is.
	 */
	unsigned max_downtime_ms;
	/* MiB/s the stream may use while the guest runs (QEMU's max-bandwidth); 0: all it can. */
	unsigned bandwidth_mib;
	/*
	 * Auto-converge, as QEMU's: when a round of 20 ms or more leaves over
	 * half of what it sent dirty again, the vCPUs get 20% less time, then
	 * 10% less per such round (down to 10%), until the rounds shrink.
	 */
	bool auto_converge;
};
/*
 * The monitor's "downtime=MS", "bandwidth=MIB" and "throttle=on|off" on top
 * of the defaults (10 ms, unlimited, on): 0, or -1 and why.
 */
int migration_parse_params(int nargs, char *const *args, struct migration_params *params, char *err,
			   size_t err_size);

/*
 * Starts migrating to uri. -1 with a reason in err when it cannot start
 * (bad URI, one already running); report(arg, ...) comes once, later.
 */
int migration_start(struct migration *m, const char *uri, const struct migration_params *params,
		    migration_report_fn report, void *arg, char *err, size_t err_size);
/* The one who asked went away: the migration goes on, its report goes to stderr. */
void migration_forget_reporter(struct migration *m, void *arg);
/* "migration_KEY: VALUE" lines of the last migration, for --stats; nothing if none ran. */
void migration_print_stats(const struct migration *m, FILE *out);

/*
 * The target side, in two steps. migration_receive listens on uri, takes
 * one connection and loads RAM and state into vm (built from the same
 * options, nothing loaded, nothing run): 0 with *in set, 1 when vmm was
 * asked to stop (SIGINT, SIGTERM, SIGHUP) while it waited or while the
 * stream came (the source then resumes its guest), or -1 after a message (vmm then exits 1;
 * the source resumes its guest). migration_confirm, right before the vCPUs
 * start, tells the source the guest runs here: -1 when the source is gone
 * (then this guest must not run). With stats, it prints its figures
 * ("migration_incoming_...", "migration_downtime_us") there. Frees in.
 */
struct migration_incoming;
int migration_receive(struct vm *vm, const char *uri, struct migration_incoming **in);
int migration_confirm(struct migration_incoming *in, FILE *stats);
/* vmm stops before migration_confirm: the source sees the connection close. NULL is fine. */
void migration_incoming_free(struct migration_incoming *in);

#endif
