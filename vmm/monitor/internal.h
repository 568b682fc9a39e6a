/* What the monitor's own files share: the monitor object and the command handlers. */
#ifndef VMM_MONITOR_INTERNAL_H
#define VMM_MONITOR_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>

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
	/* One command at a time: the socket and the console may both be typing. */
	pthread_mutex_t lock;
	struct device_info devices[MONITOR_MAX_DEVICES];
	int nr_devices;
	/* The socket server (server.c). */
	int listen_fd;
	int stop_pipe[2];
	pthread_t thread;
	bool serving;
	char path[108];
};

/* A parsed command: argv[0] is the command, then its arguments. */
struct cmd_ctx {
	struct monitor *mon;
	FILE *out;
	int in_fd;
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

#endif
