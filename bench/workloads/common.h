/*
 * Shared by the bench workloads. Every workload prints its results as
 *   bench: begin: NAME
 *   bench: KEY: VALUE
 *   bench: end: NAME
 * so the harness can pick them out of a serial console where guest kernel
 * messages may be interleaved, and can tell a finished run from a cut one.
 */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

#include <stdint.h>

/* Monotonic time in nanoseconds; the harness cross-checks it in the VM. */
uint64_t now_ns(void);
/* Wall-clock time in nanoseconds, comparable across processes and namespaces. */
uint64_t wall_ns(void);

void report_begin(const char *workload);
void report_end(const char *workload);
void report_str(const char *key, const char *value);
void report_u64(const char *key, uint64_t value);
void report_f(const char *key, double value);

/* Argument parsing that fails with "bench-NAME: ..." instead of guessing. */
uint64_t parse_u64(const char *prog, const char *opt, const char *arg, uint64_t min, uint64_t max);
double parse_seconds(const char *prog, const char *opt, const char *arg);
/* Like parse_u64 but accepts K/M/G suffixes (powers of 1024). */
uint64_t parse_size(const char *prog, const char *opt, const char *arg, uint64_t min, uint64_t max);

_Noreturn void die(const char *prog, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
_Noreturn void usage_error(const char *prog, const char *usage);

/* Keeps a computed value alive so the compiler cannot drop the work. */
void keep(uint64_t value);

#endif
