/*
 * The arm64 board: the vGICv3, the console UART and the isolab exit/marker
 * page on the MMIO bus, and the devices the tree will announce. The 8250
 * and the exit device are the same code as on x86; only their bus and
 * interrupt numbering differ.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../arch.h"
#include "../dev/exit_port.h"
#include "../dev/serial.h"
#include "../machine.h"
#include "../util.h"
#include "board.h"
#include "gic.h"
#include "layout.h"

struct arch_vm *arch_vm_create(struct vm *vm)
{
	struct arch_vm *arch = calloc(1, sizeof(*arch));
	if (!arch) {
		vmm_err("out of memory");
		return NULL;
	}
	arch->gic_fd = gic_create(vm_fd(vm));
	if (arch->gic_fd < 0) {
		free(arch);
		return NULL;
	}
	return arch;
}

int arch_vm_vcpus_created(struct vm *vm)
{
	if ((uint64_t)vm_nr_vcpus(vm) * ARM64_GIC_REDIST_PER_VCPU >
	    ARM64_GIC_REDIST_LIMIT - ARM64_GIC_REDIST_BASE)
		return vmm_err("%d vCPUs need more GIC redistributor room than the board has",
			       vm_nr_vcpus(vm));
	return gic_finish(vm_arch(vm)->gic_fd, ARM64_GIC_NR_IRQS);
}

void arch_vm_destroy(struct arch_vm *arch)
{
	if (!arch)
		return;
	exit_port_destroy(arch->exit);
	serial_destroy(arch->uart);
	if (arch->gic_fd >= 0)
		close(arch->gic_fd);
	free(arch);
}

struct serial *arch_add_board_devices(struct vm *vm, int console_fd)
{
	struct arch_vm *arch = vm_arch(vm);
	struct bus *mmio = vm_mmio_bus(vm);
	arch->uart = serial_create(vm, mmio, ARM64_UART_BASE, ARM64_UART_SPI, console_fd);
	if (!arch->uart)
		return NULL;
	arch->exit = exit_port_create(vm, mmio, ARM64_ISOLAB_BASE);
	return arch->exit ? arch->uart : NULL;
}

int arch_announce_mmio_device(struct vm *vm, const char *compatible, uint64_t base, uint64_t size,
			      int irq)
{
	struct arch_vm *arch = vm_arch(vm);
	if (arch->nr_devices == ARM64_DT_MAX_DEVICES)
		return vmm_err("the device tree has room for %d devices", ARM64_DT_MAX_DEVICES);
	struct arm64_dt_device *d = &arch->devices[arch->nr_devices];
	if (strlen(compatible) >= sizeof(d->compatible))
		return vmm_err("device-tree compatible '%s' is too long", compatible);
	strcpy(d->compatible, compatible);
	d->base = base;
	d->size = size;
	d->spi = irq;
	arch->nr_devices++;
	return 0;
}

uint32_t arch_irq_line(int irq)
{
	/* KVM_IRQ_LINE on arm64: type in bits 24-31, the GIC INTID below (vCPU bits unused). */
	return (uint32_t)KVM_ARM_IRQ_TYPE_SPI << KVM_ARM_IRQ_TYPE_SHIFT |
	       (uint32_t)(ARM64_SPI_INTID_BASE + irq);
}
