#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

static struct timespec process_start;

/* Runs before main so "exec -> X" figures include the C runtime's own start-up. */
__attribute__((constructor(101))) static void record_process_start(void)
{
	clock_gettime(CLOCK_MONOTONIC, &process_start);
}

uint64_t vmm_uptime_ms(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	int64_t ns = (now.tv_sec - process_start.tv_sec) * 1000000000LL +
		     (now.tv_nsec - process_start.tv_nsec);
	return (uint64_t)ns / 1000000;
}

uint64_t vmm_monotonic_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int vmm_err(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "vmm: %s\n", line);
	return -1;
}

void vmm_warn(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "vmm: warning: %s\n", line);
}
