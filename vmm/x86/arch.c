/*
 * The x86 side of vmm/arch.h that concerns memory and the vCPUs: the PC
 * memory map, CPUID, port I/O exits and the instructions vmm completes for
 * PVM. The board (interrupt controllers, devices) is in board.c.
 */
#include "../arch.h"

#include <sys/ioctl.h>

#include "../machine.h"
#include "../util.h"
#include "cpuid.h"
#include "insn.h"
#include "layout.h"

const struct kvm_cap_need arch_required_caps[] = {
    {KVM_CAP_PIT2, "PIT2"},
    {KVM_CAP_EXT_CPUID, "EXT_CPUID"},
};
const size_t arch_nr_required_caps = sizeof(arch_required_caps) / sizeof(arch_required_caps[0]);

const struct arch_layout arch_layout = {
    .mmio_start = LAYOUT_MMIO_START,
    .mmio_end = LAYOUT_MMIO_END,
    .first_device_irq = LAYOUT_FIRST_DEVICE_GSI,
    .last_device_irq = LAYOUT_LAST_GSI,
};

int arch_ram_regions(uint64_t mem_size, struct guest_region regions[GUEST_MEM_MAX_REGIONS])
{
	uint64_t low = mem_size < LAYOUT_LOWMEM_END ? mem_size : LAYOUT_LOWMEM_END;
	regions[0] = (struct guest_region){.gpa = 0, .size = low};
	if (mem_size == low)
		return 1;
	regions[1] = (struct guest_region){.gpa = LAYOUT_HIGHMEM, .size = mem_size - low};
	return 2;
}

int arch_vm_vcpus_created(struct vm *vm)
{
	(void)vm; /* the LAPICs came with the vCPUs; nothing to finish */
	return 0;
}

int arch_vcpu_init(struct vm *vm, int vcpu_fd, int index, int nr_vcpus)
{
	struct cpuid_policy policy = {.emulated = vm_host(vm)->emulated, .pmu = vm_config(vm)->pmu};
	return cpuid_setup(vm_host(vm), vcpu_fd, index, nr_vcpus, &policy);
}

static void handle_pio(struct vm *vm, struct kvm_run *run, size_t run_size)
{
	uint64_t bytes = (uint64_t)run->io.size * run->io.count;
	if (run->io.data_offset > run_size || bytes > run_size - run->io.data_offset)
		return;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	for (uint32_t i = 0; i < run->io.count; i++)
		bus_access(vm_pio_bus(vm), run->io.port, data + i * run->io.size, run->io.size,
			   run->io.direction == KVM_EXIT_IO_OUT);
}

enum arch_exit arch_vcpu_exit(struct vm *vm, int vcpu_fd, struct kvm_run *run, size_t run_size)
{
	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		handle_pio(vm, run, run_size);
		return ARCH_EXIT_DONE;
	case KVM_EXIT_INTERNAL_ERROR:
		if (run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION &&
		    insn_complete(vcpu_fd, vm_mem(vm)) == 0)
			return ARCH_EXIT_COMPLETED;
		return ARCH_EXIT_UNHANDLED;
	default:
		return ARCH_EXIT_UNHANDLED;
	}
}

int arch_vcpu_pc(int vcpu_fd, uint64_t *pc)
{
	struct kvm_regs regs;
	if (ioctl(vcpu_fd, KVM_GET_REGS, &regs) < 0)
		return -1;
	*pc = regs.rip;
	return 0;
}
