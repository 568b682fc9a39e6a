/* What the monitor's own files share: the monitor object and the command handlers. */
#ifndef VMM_MONITOR_INTERNAL_H
#define VMM_MONITOR_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>

#include "../event_loop.h"
#include "monitor.h"

#define MONITOR_MAX_ARGS     8
#define MONITOR_MAX_DEVICES  16
#define MONITOR_MAX_COUNTERS 64

struct device_info {
	char name[32];
	monitor_device_info_fn fn;
	void *opaque;
};

struct monitor {
	const struct monitor_ops *ops;
	void *ctx;
	/* One command at a time (all run on the event loop; unit tests may call from anywhere). */
	pthread_mutex_t lock;
	struct device_info devices[MONITOR_MAX_DEVICES];
	int nr_devices;
	/* The socket server (server.c), on the VM's event loop. */
	struct event_loop *loop;
	int listen_fd;
	struct event_watch listener;
	struct client *clients; /* connected, each with its own line buffer */
	int nr_clients;
	char path[108];
};

struct watch_state;

/*
 * One person typing: a socket client or the console prompt. Commands that
 * last (stats watch) run on the event loop's timers and report to out.
 */
struct monitor_session {
	struct monitor *mon;
	struct event_loop *loop;
	FILE *out;
	struct event_watch tick;   /* stats watch's timer */
	struct watch_state *watch; /* NULL unless stats watch runs */
	bool stop_at_tick;	   /* input arrived: the next tick is the last */
	void (*watch_ended)(struct monitor_session *s); /* may be NULL */
	void *owner;
	bool migrating; /* `migrate` answers later: input waits as for stats watch */
};

/* stats watch runs or a migration is under way: the session's input waits. */
bool monitor_session_watching(const struct monitor_session *s);
/* The session goes away: a migration it started reports to stderr instead. */
void monitor_session_leave_migration(struct monitor_session *s);
/* Stops stats watch now (the loop's timer is removed); calls watch_ended. */
void monitor_session_end_watch(struct monitor_session *s);

/* A parsed command: argv[0] is the command, then its arguments. */
struct cmd_ctx {
	struct monitor *mon;
	FILE *out;
	struct monitor_session *session; /* NULL: no one to stop a long command */
	int argc;
	char **argv;
};

/* Every handler prints "error: ..." itself and returns -1 on bad input. */
int cmd_error(struct cmd_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A number the way people type addresses: 0x1000, 4096, 0o17, 0b101. */
int parse_u64(const char *text, uint64_t *value);
/* Pauses unless already paused; *was_paused tells the caller whether to resume. */
int pause_for_inspection(struct monitor *mon, bool *was_paused);

int cmd_x(struct cmd_ctx *c);
int cmd_xp(struct cmd_ctx *c);
int cmd_info_memory(struct cmd_ctx *c);
int cmd_stats(struct cmd_ctx *c);

int cmd_info_cpus(struct cmd_ctx *c);
int cmd_info_registers(struct cmd_ctx *c);

/*
 * What depends on the architecture (x86: cpu.c and pagewalk.c; arm64:
 * vmm/arm64/monitor_cpu.c and pagewalk.c), called while the vCPUs are paused.
 */
/* vCPU cpu's program counter and mode ("long (64-bit)", "EL1h"); -1 when KVM would not say. */
int monitor_cpu_summary(struct cmd_ctx *c, int cpu, uint64_t *pc, const char **mode);
/* A KVM_MP_STATE_* value in words. */
const char *monitor_mp_state_name(uint32_t state);
/* Prints vCPU cpu's registers; -1, with nothing printed, when KVM would not give them. */
int monitor_print_registers(struct cmd_ctx *c, int cpu);
/* Copies len bytes at guest virtual addr as vCPU cpu's MMU maps them; -1 after cmd_error. */
int monitor_read_virtual(struct cmd_ctx *c, int cpu, uint64_t addr, uint8_t *buf, uint64_t len);

/* Where one guest virtual address goes: gpa and its page's size (0: no paging), or why not. */
struct monitor_translation {
	uint64_t gpa, page_size;
	const char *why;
};
/* An arch's page walk over its MMU registers (mmu); 0, or -1 with why set. */
typedef int (*monitor_translate_fn)(const void *mmu, const struct guest_mem *mem, uint64_t va,
				    struct monitor_translation *out);
/* The arch-neutral part of monitor_read_virtual: copies page by page through translate. */
int monitor_copy_virtual(struct cmd_ctx *c, monitor_translate_fn translate, const void *mmu,
			 uint64_t addr, uint8_t *buf, uint64_t len);
int cmd_migrate(struct cmd_ctx *c);

#endif
