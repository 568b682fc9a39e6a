/* The command table, the line parser and the small commands. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct command {
	const char *name;
	const char *args;
	const char *help;
	int (*run)(struct cmd_ctx *c);
	int min_args, max_args; /* arguments after the name */
};

static int cmd_help(struct cmd_ctx *c);
static int cmd_info(struct cmd_ctx *c);

static int cmd_pause(struct cmd_ctx *c)
{
	if (c->mon->ops->paused(c->mon->ctx)) {
		fprintf(c->out, "already paused\n");
		return 0;
	}
	if (c->mon->ops->pause(c->mon->ctx) < 0)
		return cmd_error(c, "the vCPUs could not be paused");
	fprintf(c->out, "paused\n");
	return 0;
}

static int cmd_resume(struct cmd_ctx *c)
{
	if (!c->mon->ops->paused(c->mon->ctx)) {
		fprintf(c->out, "already running\n");
		return 0;
	}
	if (c->mon->ops->resume(c->mon->ctx) < 0)
		return cmd_error(c, "the vCPUs could not be resumed");
	fprintf(c->out, "running\n");
	return 0;
}

static int cmd_snapshot(struct cmd_ctx *c)
{
	if (!c->mon->ops->snapshot)
		return cmd_error(c, "this machine cannot be snapshotted");
	if (c->mon->ops->snapshot(c->mon->ctx, c->argv[1]) < 0)
		return cmd_error(c, "no snapshot written to %.200s (vmm's stderr says why)",
				 c->argv[1]);
	fprintf(c->out, "snapshot written to %s\n", c->argv[1]);
	return 0;
}

static int cmd_nmi(struct cmd_ctx *c)
{
	if (c->mon->ops->nmi(c->mon->ctx) < 0)
		return cmd_error(c, "KVM refused the NMI");
	fprintf(c->out, "NMI sent to %d vCPU(s)\n", c->mon->ops->nr_vcpus(c->mon->ctx));
	return 0;
}

static int cmd_quit(struct cmd_ctx *c)
{
	fprintf(c->out, "stopping the VM\n");
	c->mon->ops->quit(c->mon->ctx);
	return 0;
}

/* What devices registered for the monitor, then every device's --stats counters. */
static int cmd_info_devices(struct cmd_ctx *c)
{
	for (int i = 0; i < c->mon->nr_devices; i++) {
		struct device_info *d = &c->mon->devices[i];
		fprintf(c->out, "%s:\n", d->name);
		d->fn(d->opaque, c->out);
	}
	char *counters = NULL;
	size_t size = 0;
	FILE *buf = c->mon->ops->device_counters ? open_memstream(&counters, &size) : NULL;
	if (buf) {
		c->mon->ops->device_counters(c->mon->ctx, buf);
		fclose(buf);
	}
	if (size)
		fprintf(c->out, "counters:\n%s", counters);
	else if (c->mon->nr_devices == 0)
		fprintf(c->out, "no device reports to the monitor\n");
	free(counters);
	return 0;
}

static const struct command commands[] = {
    {"help", "", "list the commands", cmd_help, 0, 0},
    {"info", "WHAT", "cpus | registers [N] | memory | devices", cmd_info, 1, 2},
    {"stats", "[watch]", "VM exits per reason per vCPU; watch: per second until a key", cmd_stats,
     0, 1},
    {"pause", "", "stop every vCPU (exit counters freeze)", cmd_pause, 0, 0},
    {"resume", "", "let the vCPUs run again", cmd_resume, 0, 0},
    {"snapshot", "DIR", "write DIR/state and DIR/memory (vmm --restore DIR)", cmd_snapshot, 1, 1},
    {"x", "ADDR [LEN]", "dump guest virtual memory (vCPU 0's page tables)", cmd_x, 1, 2},
    {"xp", "ADDR [LEN]", "dump guest physical memory", cmd_xp, 1, 2},
    {"nmi", "", "inject an NMI into every vCPU", cmd_nmi, 0, 0},
    {"migrate", "unix:PATH [downtime=MS] [bandwidth=MIB] [throttle=on|off]",
     "live-migrate to vmm --incoming unix:PATH; vmm exits when done", cmd_migrate, 1, 4},
    {"quit", "", "stop the VM and vmm", cmd_quit, 0, 0},
};

static const struct command info_commands[] = {
    {"cpus", "", "state, RIP and mode of each vCPU", cmd_info_cpus, 0, 0},
    {"registers", "[N]", "registers of vCPU N (default 0)", cmd_info_registers, 0, 1},
    {"memory", "", "RAM regions, guest RAM touched, vmm's own memory", cmd_info_memory, 0, 0},
    {"devices", "", "what each device reports", cmd_info_devices, 0, 0},
};

#define NR(a) (sizeof(a) / sizeof((a)[0]))

static const struct command *find(const struct command *table, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(table[i].name, name) == 0)
			return &table[i];
	return NULL;
}

static int run_command(const struct command *cmd, struct cmd_ctx *c)
{
	int nargs = c->argc - 1;
	if (nargs < cmd->min_args || nargs > cmd->max_args)
		return cmd_error(c, "usage: %s%s%s", cmd->name, *cmd->args ? " " : "", cmd->args);
	return cmd->run(c);
}

static int cmd_info(struct cmd_ctx *c)
{
	const struct command *sub = find(info_commands, NR(info_commands), c->argv[1]);
	if (!sub)
		return cmd_error(c, "unknown info '%.40s' (cpus, registers, memory, devices)",
				 c->argv[1]);
	struct cmd_ctx inner = *c;
	inner.argc--;
	inner.argv++;
	return run_command(sub, &inner);
}

static int cmd_help(struct cmd_ctx *c)
{
	for (size_t i = 0; i < NR(commands); i++) {
		char left[40];
		snprintf(left, sizeof(left), "%s %s", commands[i].name, commands[i].args);
		fprintf(c->out, "%-18s %s\n", left, commands[i].help);
	}
	for (size_t i = 0; i < NR(info_commands); i++) {
		char left[40];
		snprintf(left, sizeof(left), "info %s %s", info_commands[i].name,
			 info_commands[i].args);
		fprintf(c->out, "%-18s %s\n", left, info_commands[i].help);
	}
	fprintf(c->out, "ADDR and LEN: decimal or 0x hex; LEN defaults to 64, at most %d.\n",
		MONITOR_DUMP_MAX);
	return 0;
}

int cmd_error(struct cmd_ctx *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(c->out, "error: ");
	vfprintf(c->out, fmt, ap);
	fprintf(c->out, "\n");
	va_end(ap);
	return -1;
}

int parse_u64(const char *text, uint64_t *value)
{
	if (!text || !*text || *text == '-' || *text == '+')
		return -1;
	int base = 10;
	if (text[0] == '0' && (text[1] == 'x' || text[1] == 'X'))
		base = 16, text += 2;
	else if (text[0] == '0' && (text[1] == 'o' || text[1] == 'O'))
		base = 8, text += 2;
	else if (text[0] == '0' && (text[1] == 'b' || text[1] == 'B'))
		base = 2, text += 2;
	if (!*text || *text == '-' || *text == '+' || *text == ' ')
		return -1;
	errno = 0;
	char *end;
	unsigned long long v = strtoull(text, &end, base);
	if (errno || *end)
		return -1;
	*value = v;
	return 0;
}

int pause_for_inspection(struct monitor *mon, bool *was_paused)
{
	*was_paused = mon->ops->paused(mon->ctx);
	return *was_paused ? 0 : mon->ops->pause(mon->ctx);
}

/* Splits line in place on blanks; -1 when there are too many words. */
static int split(char *line, char **argv, int *argc)
{
	*argc = 0;
	for (char *p = line;;) {
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			*p++ = '\0';
		if (!*p)
			return 0;
		if (*argc == MONITOR_MAX_ARGS)
			return -1;
		argv[(*argc)++] = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
			p++;
	}
}

int monitor_exec(struct monitor *mon, const char *line, FILE *out, struct monitor_session *session)
{
	struct cmd_ctx c = {.mon = mon, .out = out, .session = session};
	if (strnlen(line, MONITOR_LINE_MAX + 1) > MONITOR_LINE_MAX)
		return cmd_error(&c, "line too long (at most %d bytes)", MONITOR_LINE_MAX);
	char buf[MONITOR_LINE_MAX + 1];
	char *argv[MONITOR_MAX_ARGS];
	strcpy(buf, line);
	if (split(buf, argv, &c.argc) < 0)
		return cmd_error(&c, "too many words (at most %d)", MONITOR_MAX_ARGS);
	if (c.argc == 0)
		return 0;
	c.argv = argv;
	const struct command *cmd = find(commands, NR(commands), argv[0]);
	if (!cmd)
		return cmd_error(&c, "unknown command '%.40s' (try help)", argv[0]);
	pthread_mutex_lock(&mon->lock);
	int ret = run_command(cmd, &c);
	pthread_mutex_unlock(&mon->lock);
	fflush(out);
	return ret;
}

const char *monitor_complete(const char *line_so_far, const char *prefix, int i)
{
	const struct command *table = commands;
	size_t n = NR(commands);
	while (*line_so_far == ' ')
		line_so_far++;
	if (strncmp(line_so_far, "info ", 5) == 0) {
		table = info_commands;
		n = NR(info_commands);
	} else if (*line_so_far) {
		return NULL; /* arguments are numbers: nothing to complete */
	}
	size_t len = strlen(prefix);
	for (size_t k = 0; k < n; k++) {
		if (strncmp(table[k].name, prefix, len) == 0 && i-- == 0)
			return table[k].name;
	}
	return NULL;
}

struct monitor *monitor_create(const struct monitor_ops *ops, void *ctx)
{
	struct monitor *mon = calloc(1, sizeof(*mon));
	if (!mon)
		return NULL;
	mon->ops = ops;
	mon->ctx = ctx;
	mon->listen_fd = -1;
	pthread_mutex_init(&mon->lock, NULL);
	return mon;
}

void monitor_destroy(struct monitor *mon)
{
	if (!mon)
		return;
	pthread_mutex_destroy(&mon->lock);
	free(mon);
}

void *monitor_ctx(const struct monitor *mon)
{
	return mon->ctx;
}

int monitor_add_device_info(struct monitor *mon, const char *name, monitor_device_info_fn fn,
			    void *opaque)
{
	if (mon->nr_devices == MONITOR_MAX_DEVICES)
		return -1;
	struct device_info *d = &mon->devices[mon->nr_devices++];
	snprintf(d->name, sizeof(d->name), "%s", name);
	d->fn = fn;
	d->opaque = opaque;
	return 0;
}
