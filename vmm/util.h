/* Small helpers shared by the vmm core: one-line messages and the process clock. */
#ifndef VMM_UTIL_H
#define VMM_UTIL_H

#include <stdint.h>

/* Prints "vmm: <message>" on stderr. Always returns -1 so callers can `return vmm_err(...)`. */
int vmm_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints "vmm: warning: <message>" on stderr. */
void vmm_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Milliseconds since the process started (taken before main runs). */
uint64_t vmm_uptime_ms(void);
/* CLOCK_MONOTONIC in ns: one clock for every process on the host (migration's downtime). */
uint64_t vmm_monotonic_ns(void);

#endif
