/* stats [watch]: VM exits per reason per vCPU, as totals or per second. */
#include <inttypes.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../event_loop.h"
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

static void print_rates(FILE *out, const struct snapshot *old, const struct snapshot *now, int cpus,
			int second)
{
	for (int i = 0; i < cpus; i++) {
		fprintf(out, "%4ds vcpu%d:", second, i);
		uint64_t all = 0;
		for (int k = 0; k < now[i].n; k++) {
			uint64_t d = now[i].c[k].value - value_of(&old[i], now[i].c[k].name);
			all += d;
			if (d)
				fprintf(out, " %s=%" PRIu64 "/s", now[i].c[k].name, d);
		}
		fprintf(out, all ? "\n" : " no exits\n");
	}
	fflush(out);
}

struct watch_state {
	struct snapshot *a, *b; /* the last tick's counters and this one's */
	int cpus, second;
};

static void free_watch(struct watch_state *w)
{
	if (!w)
		return;
	free(w->a);
	free(w->b);
	free(w);
}

static struct watch_state *new_watch(struct monitor *mon, int cpus)
{
	struct watch_state *w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	w->cpus = cpus;
	w->a = calloc(cpus, sizeof(*w->a));
	w->b = calloc(cpus, sizeof(*w->b));
	if (!w->a || !w->b) {
		free_watch(w);
		return NULL;
	}
	take(mon, w->a, cpus);
	return w;
}

/* One second passed: print the rates of that second. */
static void next_second(struct monitor *mon, FILE *out, struct watch_state *w)
{
	take(mon, w->b, w->cpus);
	print_rates(out, w->a, w->b, w->cpus, ++w->second);
	struct snapshot *t = w->a;
	w->a = w->b;
	w->b = t;
}

bool monitor_session_watching(const struct monitor_session *s)
{
	return s->watch != NULL || s->migrating;
}

void monitor_session_end_watch(struct monitor_session *s)
{
	if (!s->watch)
		return;
	event_loop_del_timer(s->loop, &s->tick);
	free_watch(s->watch);
	s->watch = NULL;
	s->stop_at_tick = false;
	if (s->watch_ended)
		s->watch_ended(s);
}

static void on_tick(void *arg, uint32_t events)
{
	struct monitor_session *s = arg;
	uint64_t expirations;
	(void)events;
	if (read(s->tick.fd, &expirations, sizeof(expirations)) != sizeof(expirations))
		return;
	next_second(s->mon, s->out, s->watch);
	if (s->stop_at_tick || s->mon->ops->exiting(s->mon->ctx))
		monitor_session_end_watch(s);
}

/*
 * Whole seconds, so every line is a true rate. In a session the event loop's
 * timer drives it and input ends it at the next tick (so at least one line
 * comes out); without one (unit tests) one interval is all there is.
 */
static int watch(struct cmd_ctx *c, int cpus)
{
	struct monitor_session *s = c->session;
	if (s && s->watch)
		return cmd_error(c, "stats watch is already running");
	struct watch_state *w = new_watch(c->mon, cpus);
	if (!w)
		return cmd_error(c, "out of memory");
	fprintf(c->out, "exits per second; any input stops\n");
	fflush(c->out);
	if (!s) {
		poll(NULL, 0, 1000);
		next_second(c->mon, c->out, w);
		free_watch(w);
		return 0;
	}
	s->tick = (struct event_watch){-1, on_tick, s};
	if (event_loop_add_timer(s->loop, &s->tick, 1000) < 0) {
		free_watch(w);
		return cmd_error(c, "no timer for stats watch");
	}
	s->watch = w;
	s->stop_at_tick = false;
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
