/* The vGICv3's state in a snapshot (gic_state.c): distributor, redistributors, CPU interfaces. */
#ifndef VMM_ARM64_GIC_STATE_H
#define VMM_ARM64_GIC_STATE_H

#include <stdint.h>

#define GIC_STATE_MAX_VCPUS 64

struct snap_writer;
struct snap_reader;

/* The vGIC and what names its vCPUs: each one's MPIDR_EL1, in vCPU order. */
struct gic_vm {
	int gic_fd;
	int nr_irqs;
	int nr_vcpus;
	uint64_t mpidr[GIC_STATE_MAX_VCPUS];
};

/* With every vCPU parked. 0, or -1 after one message. */
int gic_state_save(const struct gic_vm *g, struct snap_writer *w);
/* After CTRL_INIT and after every vCPU's registers (MPIDR first: it picks the redistributor). */
int gic_state_load(const struct gic_vm *g, struct snap_reader *r);

#endif
