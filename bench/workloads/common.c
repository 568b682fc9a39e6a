#include "common.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t now_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

uint64_t wall_ns(void)
{
	return clock_ns(CLOCK_REALTIME);
}

/*
 * One write per line, flushed at once: on a serial console a line written
 * in pieces is more likely to be split by a kernel message.
 */
static void emit(const char *key, const char *value)
{
	printf("bench: %s: %s\n", key, value);
	fflush(stdout);
}

void report_begin(const char *workload)
{
	emit("begin", workload);
}

void report_end(const char *workload)
{
	emit("end", workload);
}

void report_str(const char *key, const char *value)
{
	emit(key, value);
}

void report_u64(const char *key, uint64_t value)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%" PRIu64, value);
	emit(key, buf);
}

void report_f(const char *key, double value)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "%.6g", value);
	emit(key, buf);
}

void die(const char *prog, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

void usage_error(const char *prog, const char *usage)
{
	fprintf(stderr, "usage: %s %s\n", prog, usage);
	exit(2);
}

static uint64_t parse_scaled(const char *prog, const char *opt, const char *arg, uint64_t min,
			     uint64_t max, int allow_suffix)
{
	char *end;
	unsigned long long v;
	uint64_t scale = 1;

	errno = 0;
	if (arg[0] == '-' || arg[0] == '\0')
		die(prog, "%s: expected a non-negative number, got '%s'", opt, arg);
	v = strtoull(arg, &end, 10);
	if (allow_suffix && *end != '\0' && end[1] == '\0') {
		switch (*end) {
		case 'K':
		case 'k':
			scale = 1ull << 10;
			end++;
			break;
		case 'M':
		case 'm':
			scale = 1ull << 20;
			end++;
			break;
		case 'G':
		case 'g':
			scale = 1ull << 30;
			end++;
			break;
		}
	}
	if (errno || end == arg || *end != '\0')
		die(prog, "%s: expected a number, got '%s'", opt, arg);
	if (v > max / scale || v * scale < min || v * scale > max)
		die(prog, "%s: %s is out of range [%" PRIu64 ", %" PRIu64 "]", opt, arg, min, max);
	return v * scale;
}

uint64_t parse_u64(const char *prog, const char *opt, const char *arg, uint64_t min, uint64_t max)
{
	return parse_scaled(prog, opt, arg, min, max, 0);
}

uint64_t parse_size(const char *prog, const char *opt, const char *arg, uint64_t min, uint64_t max)
{
	return parse_scaled(prog, opt, arg, min, max, 1);
}

double parse_seconds(const char *prog, const char *opt, const char *arg)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	if (errno || end == arg || *end != '\0' || !(v > 0) || v > 86400)
		die(prog, "%s: expected seconds in (0, 86400], got '%s'", opt, arg);
	return v;
}

static volatile uint64_t sink;

void keep(uint64_t value)
{
	sink += value;
}
