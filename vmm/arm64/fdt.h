/*
 * The device tree an arm64 guest boots with, built with libfdt from a plain
 * description of the machine. Needs no KVM or arm64 headers, so the unit
 * tests build and check it on any host.
 */
#ifndef VMM_ARM64_FDT_H
#define VMM_ARM64_FDT_H

#include <stddef.h>
#include <stdint.h>

/* Most memory-mapped devices a tree describes (one per device SPI). */
#define ARM64_DT_MAX_DEVICES 48
#define ARM64_DT_PHANDLE_GIC 1

/* A memory-mapped device announced by vm_announce_mmio_device. */
struct arm64_dt_device {
	char compatible[32]; /* the binding, e.g. "virtio,mmio" */
	uint64_t base, size;
	int spi; /* SPI number (GIC INTID - 32) */
};

struct arm64_dt_machine {
	uint64_t ram_base, ram_size;
	int nr_cpus;
	uint64_t gic_dist_base, gic_dist_size;
	uint64_t gic_redist_base, gic_redist_size; /* all vCPUs' redistributors, one region */
	uint64_t uart_base, uart_size;
	int uart_spi;
	uint32_t uart_clock_hz;
	uint64_t exit_base, exit_size; /* the isolab exit/marker page */
	const struct arm64_dt_device *devices;
	int nr_devices;
	const char *bootargs;
	uint64_t initrd_start, initrd_end; /* both 0: no initrd */
};

/* The MPIDR affinity KVM gives vCPU index (its reset value): the cpu node's reg, CPU_ON's target.
 */
uint64_t arm64_vcpu_mpidr(int index);

/*
 * Writes the flattened tree into buf (size bytes); returns its total size,
 * or -1 after one line on stderr (it does not fit).
 */
int arm64_dt_build(const struct arm64_dt_machine *m, void *buf, size_t size);

#endif
