/* stats [watch]: VM exits per reason per vCPU, as totals or per second. */
#include <inttypes.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "internal.h"

#define WATCH_MAX_CPUS 64

struct snapshot {
	struct monitor_counter c[MONITOR_MAX_COUNTERS];
	int n;
};

static void take(struct monitor *mon, struct snapshot *snap, int cpus)
{
	for (int i = 0; i < cpus; i++) {
		snap[i].n = mon->ops->exit_counters(mon->ctx, i, snap[i].c, MONITOR_MAX_COUNTERS);
		if (snap[i].n < 0)
			snap[i].n = 0;
	}
}

static uint64_t value_of(const struct snapshot *s, const char *name)
{
	for (int i = 0; i < s->n; i++)
		if (strcmp(s->c[i].name, name) == 0)
			return s->c[i].value;
	return 0;
}

static void print_totals(struct cmd_ctx *c, const struct snapshot *snap, int cpus)
{
	for (int i = 0; i < cpus; i++) {
		if (snap[i].n == 0)
			fprintf(c->out, "vcpu%d: no exits yet\n", i);
		for (int k = 0; k < snap[i].n; k++)
			fprintf(c->out, "vcpu%d_exits_%s: %" PRIu64 "\n", i, snap[i].c[k].name,
				snap[i].c[k].value);
	}
}

static void print_rates(struct cmd_ctx *c, const struct snapshot *old, const struct snapshot *now,
			int cpus, int second)
{
	for (int i = 0; i < cpus; i++) {
		fprintf(c->out, "%4ds vcpu%d:", second, i);
		uint64_t all = 0;
		for (int k = 0; k < now[i].n; k++) {
			uint64_t d = now[i].c[k].value - value_of(&old[i], now[i].c[k].name);
			all += d;
			if (d)
				fprintf(c->out, " %s=%" PRIu64 "/s", now[i].c[k].name, d);
		}
		fprintf(c->out, all ? "\n" : " no exits\n");
	}
	fflush(c->out);
}

/* True once the person typed something (a key on a terminal, the next line on a socket) or left. */
static bool input_arrived(int fd)
{
	if (fd < 0)
		return false;
	struct pollfd p = {.fd = fd, .events = POLLIN};
	if (poll(&p, 1, 0) <= 0)
		return false;
	if (isatty(fd)) {
		char key[16];
		(void)!read(fd, key, sizeof(key)); /* the key only stops the watch */
	}
	return true;
}

static int watch(struct cmd_ctx *c, int cpus)
{
	struct snapshot *a = calloc(cpus, sizeof(*a)), *b = calloc(cpus, sizeof(*b));
	if (!a || !b) {
		free(a);
		free(b);
		return cmd_error(c, "out of memory");
	}
	fprintf(c->out, "exits per second; any input stops\n");
	fflush(c->out);
	take(c->mon, a, cpus);
	/*
	 * Whole seconds, so every line is a true rate; input is looked at
	 * between them. Without anyone to press a key (in_fd < 0), one
	 * interval is all there is.
	 */
	for (int second = 1; !c->mon->ops->exiting(c->mon->ctx); second++) {
		poll(NULL, 0, 1000);
		take(c->mon, b, cpus);
		print_rates(c, a, b, cpus, second);
		struct snapshot *t = a;
		a = b;
		b = t;
		if (c->in_fd < 0 || input_arrived(c->in_fd))
			break;
	}
	free(a);
	free(b);
	return 0;
}

int cmd_stats(struct cmd_ctx *c)
{
	int cpus = c->mon->ops->nr_vcpus(c->mon->ctx);
	if (cpus > WATCH_MAX_CPUS)
		cpus = WATCH_MAX_CPUS;
	if (c->argc > 1) {
		if (strcmp(c->argv[1], "watch") != 0)
			return cmd_error(c, "usage: stats [watch]");
		return watch(c, cpus);
	}
	struct snapshot *snap = calloc(cpus, sizeof(*snap));
	if (!snap)
		return cmd_error(c, "out of memory");
	take(c->mon, snap, cpus);
	print_totals(c, snap, cpus);
	free(snap);
	return 0;
}
