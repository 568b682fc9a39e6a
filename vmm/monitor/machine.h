/* The monitor wired to a real struct vm (vmm/monitor/machine.c). */
#ifndef VMM_MONITOR_MACHINE_H
#define VMM_MONITOR_MACHINE_H

#include "monitor.h"

struct vm;

/* A monitor whose commands act on vm; NULL when out of memory. */
struct monitor *monitor_for_vm(struct vm *vm);
/* `migrate` starts migration's source side (vmm/migration/migration.h). */
struct migration;
void monitor_for_vm_allow_migration(struct monitor *mon, struct migration *migration);
/* Stops its server and frees it; a paused VM is not resumed (it is going away). */
void monitor_for_vm_destroy(struct monitor *mon);

#endif
