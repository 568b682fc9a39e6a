/*
 * The vmm monitor: a small HMP-like command language to look inside the
 * running VM (registers, exits, memory, devices), served on the console
 * (Ctrl-A c, readline) and on a Unix socket (vmm monitor PATH).
 *
 * The monitor never touches vCPU internals: the core hands it a table of
 * operations (struct monitor_ops), so commands and the page walker can be
 * unit-tested against a fake machine.
 */
#ifndef VMM_MONITOR_H
#define VMM_MONITOR_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "../guest_mem.h"

#define MONITOR_LINE_MAX 1024 /* longer command lines are refused, not truncated */
#define MONITOR_DUMP_MAX 4096 /* most bytes one x/xp prints */

/* One exit counter of one vCPU: name is the KVM exit reason in lower case ("io", "hlt"). */
struct monitor_counter {
	char name[24];
	uint64_t value;
};

/* What the monitor needs from the machine. ctx is passed back to every call. */
struct monitor_ops {
	int (*nr_vcpus)(void *ctx);
	/* Stops every vCPU outside KVM_RUN and returns once they all are; 0 or -1. */
	int (*pause)(void *ctx);
	int (*resume)(void *ctx);
	bool (*paused)(void *ctx);
	/* x86 register state of vCPU cpu; only called while paused. 0 or -1. */
	int (*get_regs)(void *ctx, int cpu, struct kvm_regs *regs, struct kvm_sregs *sregs);
	/* One register by its KVM_GET_ONE_REG id (arm64's way); only called while paused. */
	int (*get_one_reg)(void *ctx, int cpu, uint64_t id, uint64_t *value);
	/* KVM_MP_STATE_* of vCPU cpu (halted or runnable); only called while paused. */
	int (*get_mp_state)(void *ctx, int cpu, uint32_t *state);
	/* Fills up to max counters with the exits of vCPU cpu seen so far; returns how many. */
	int (*exit_counters)(void *ctx, int cpu, struct monitor_counter *out, int max);
	const struct guest_mem *(*mem)(void *ctx);
	/* Injects an NMI into every vCPU (KVM_NMI); 0 or -1. */
	int (*nmi)(void *ctx);
	/* Asks vmm to stop the VM and exit with status 0. */
	void (*quit)(void *ctx);
	/* The devices' --stats counters ("virtio_blk0_requests: N" lines); may be NULL. */
	void (*device_counters)(void *ctx, FILE *out);
	/* Writes a snapshot to directory dir (state and memory), pausing meanwhile; may be NULL. */
	int (*snapshot)(void *ctx, const char *dir);
	/* True once the VM is going away: long-running commands stop. */
	bool (*exiting)(void *ctx);
	/*
	 * Starts a live migration to args[0], a URI, with the options after it
	 * (vmm/migration/); answer(arg, text) comes once, later, on the event
	 * loop, with the figures or an error. -1 with a reason in err when it
	 * cannot start. NULL: no migration.
	 */
	int (*migrate)(void *ctx, int nargs, char *const *args,
		       void (*answer)(void *arg, const char *text), void *arg, char *err,
		       size_t err_size);
	/* arg no longer wants the answer (its client left). */
	void (*migrate_forget)(void *ctx, void *arg);
};

/* A device's own lines for `info devices` (features, queues, counters). */
typedef void (*monitor_device_info_fn)(void *opaque, FILE *out);

struct monitor;

struct monitor *monitor_create(const struct monitor_ops *ops, void *ctx);
void monitor_destroy(struct monitor *mon);
/* The ctx given to monitor_create. */
void *monitor_ctx(const struct monitor *mon);
/* Registers a device for `info devices`; -1 when the table is full. */
int monitor_add_device_info(struct monitor *mon, const char *name, monitor_device_info_fn fn,
			    void *opaque);

struct monitor_session;
struct event_loop;

/*
 * Runs one command line, writing the answer to out. session is the person
 * typing (`stats watch` then ticks on the session's event loop until input
 * arrives), or NULL (it prints one interval). Returns 0, or -1 after
 * printing a one-line error.
 */
int monitor_exec(struct monitor *mon, const char *line, FILE *out, struct monitor_session *session);
/* Command names for completion: the i-th name that starts with prefix, or NULL. */
const char *monitor_complete(const char *line_so_far, const char *prefix, int i);

/*
 * Serves the monitor on a Unix socket at path (removed again at stop) from
 * loop: several clients at once, each with its own line buffer; none can
 * hold the others up. 0 or -1.
 */
int monitor_serve_unix(struct monitor *mon, struct event_loop *loop, const char *path);
/* Call after the loop stopped: closes the clients and the socket. */
void monitor_stop_server(struct monitor *mon);

/*
 * The (vmm) prompt on the terminal, with readline history and completion,
 * driven by the console's stdin handler on the event loop: open on Ctrl-A c,
 * then feed each time stdin is readable until it returns false (Ctrl-A c or
 * Ctrl-D: back to the guest console), close when done or when vmm stops.
 */
struct monitor_session *monitor_console_open(struct monitor *mon, struct event_loop *loop);
bool monitor_console_feed(struct monitor_session *s);
void monitor_console_close(struct monitor_session *s);

/* `vmm monitor PATH [COMMAND...]`: connects to a monitor socket. Returns the exit status. */
int monitor_client_main(int argc, char **argv);

#endif
