/*
 * The arm64 side of vmm/arch.h that concerns memory and the vCPUs: one RAM
 * region at 2 GiB, vCPUs as KVM's preferred target with PSCI 0.2 (the boot
 * vCPU on, the others off until PSCI CPU_ON, which KVM handles itself).
 * MMIO and PSCI's SYSTEM_OFF/RESET (KVM_EXIT_SYSTEM_EVENT) are the core's
 * exits; nothing else reaches vmm.
 */
#include "../arch.h"

#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "../machine.h"
#include "../util.h"
#include "layout.h"
#include "regs.h"

/* KVM_CREATE_VM type 0 gives a 40-bit guest physical space. */
#define IPA_LIMIT (1ULL << 40)

const struct kvm_cap_need arch_required_caps[] = {
    {KVM_CAP_ARM_PSCI_0_2, "ARM_PSCI_0_2"},
    {KVM_CAP_DEVICE_CTRL, "DEVICE_CTRL"},
    {KVM_CAP_ONE_REG, "ONE_REG"},
    {KVM_CAP_IRQFD, "IRQFD"},
};
const size_t arch_nr_required_caps = sizeof(arch_required_caps) / sizeof(arch_required_caps[0]);

const struct arch_layout arch_layout = {
    .mmio_start = ARM64_MMIO_START,
    .mmio_end = ARM64_MMIO_END,
    .first_device_irq = ARM64_FIRST_DEVICE_SPI,
    .last_device_irq = ARM64_LAST_DEVICE_SPI,
};

int arch_ram_regions(uint64_t mem_size, struct guest_region regions[GUEST_MEM_MAX_REGIONS])
{
	if (mem_size > IPA_LIMIT - ARM64_RAM_BASE)
		return vmm_err("--mem: arm64 guests have at most %llu GiB (RAM starts at 2 GiB "
			       "of a 1 TiB physical space)",
			       (unsigned long long)((IPA_LIMIT - ARM64_RAM_BASE) >> 30));
	regions[0] = (struct guest_region){.gpa = ARM64_RAM_BASE, .size = mem_size};
	return 1;
}

int arch_vcpu_init(struct vm *vm, int vcpu_fd, int index, int nr_vcpus)
{
	(void)nr_vcpus;
	if (vm_config(vm)->pmu)
		return vmm_err("--pmu: the arm64 vmm gives guests no PMU yet");
	struct kvm_vcpu_init init;
	memset(&init, 0, sizeof(init));
	if (ioctl(vm_fd(vm), KVM_ARM_PREFERRED_TARGET, &init) < 0)
		return vmm_err("KVM_ARM_PREFERRED_TARGET: %s", strerror(errno));
	init.features[0] |= 1u << KVM_ARM_VCPU_PSCI_0_2;
	if (index > 0)
		init.features[0] |= 1u << KVM_ARM_VCPU_POWER_OFF;
	if (ioctl(vcpu_fd, KVM_ARM_VCPU_INIT, &init) < 0)
		return vmm_err("KVM_ARM_VCPU_INIT of vCPU %d: %s", index, strerror(errno));
	return 0;
}

enum arch_exit arch_vcpu_exit(struct vm *vm, int vcpu_fd, struct kvm_run *run, size_t run_size)
{
	(void)vm, (void)vcpu_fd, (void)run, (void)run_size;
	return ARCH_EXIT_UNHANDLED;
}

int arch_vcpu_pc(int vcpu_fd, uint64_t *pc)
{
	return arm64_get_reg(vcpu_fd, ARM64_CORE_REG(regs.pc), pc);
}

int arch_cmdline_base(const struct vm *vm, char *buf, size_t size)
{
	(void)vm;
	/* The UART is the tree's stdout-path too; panic=-1 reboots, which ends the VM. */
	int n = snprintf(buf, size, "console=ttyS0 panic=-1");
	return n < 0 || (size_t)n >= size ? -1 : 0;
}
