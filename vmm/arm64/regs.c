/* Reading and writing arm64 vCPU registers one at a time, as KVM offers them there. */
#include "regs.h"

#include <asm/ptrace.h>
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "../util.h"

/* EL1 with its own stack pointer, debug, SError, IRQ and FIQ masked: booting.rst's entry state. */
#define BOOT_PSTATE (PSR_MODE_EL1h | PSR_D_BIT | PSR_A_BIT | PSR_I_BIT | PSR_F_BIT)

int arm64_set_reg(int vcpu_fd, uint64_t id, uint64_t value)
{
	struct kvm_one_reg reg = {.id = id, .addr = (uintptr_t)&value};
	if (ioctl(vcpu_fd, KVM_SET_ONE_REG, &reg) < 0)
		return vmm_err("KVM_SET_ONE_REG 0x%llx: %s", (unsigned long long)id,
			       strerror(errno));
	return 0;
}

int arm64_get_reg(int vcpu_fd, uint64_t id, uint64_t *value)
{
	struct kvm_one_reg reg = {.id = id, .addr = (uintptr_t)value};
	return ioctl(vcpu_fd, KVM_GET_ONE_REG, &reg) < 0 ? -1 : 0;
}

int arm64_set_entry(int vcpu_fd, const struct arm64_entry *entry)
{
	for (int i = 0; i < 4; i++)
		if (arm64_set_reg(vcpu_fd, ARM64_REG_X(i), entry->x[i]) < 0)
			return -1;
	if (entry->sp && arm64_set_reg(vcpu_fd, ARM64_CORE_REG(sp_el1), entry->sp) < 0)
		return -1;
	if (arm64_set_reg(vcpu_fd, ARM64_CORE_REG(regs.pstate), BOOT_PSTATE) < 0)
		return -1;
	return arm64_set_reg(vcpu_fd, ARM64_CORE_REG(regs.pc), entry->pc);
}
