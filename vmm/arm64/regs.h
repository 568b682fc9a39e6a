/* arm64 vCPU registers through KVM_{GET,SET}_ONE_REG (KVM_GET_REGS is not there on arm64). */
#ifndef VMM_ARM64_REGS_H
#define VMM_ARM64_REGS_H

#include <asm/kvm.h>
#include <linux/kvm.h>
#include <stddef.h>
#include <stdint.h>

/* The ONE_REG id of a 64-bit field of struct kvm_regs, e.g. ARM64_CORE_REG(regs.pc). */
#define ARM64_CORE_REG(field)                                                                      \
	(KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | KVM_REG_ARM_CORE_REG(field))
#define ARM64_REG_X(n) (ARM64_CORE_REG(regs.regs[0]) + (uint64_t)(n)*2)

int arm64_set_reg(int vcpu_fd, uint64_t id, uint64_t value);
int arm64_get_reg(int vcpu_fd, uint64_t id, uint64_t *value);

/* Where a vCPU starts at EL1h, MMU off, DAIF masked: pc, x0..x3, and sp_el1 when sp != 0. */
struct arm64_entry {
	uint64_t pc;
	uint64_t x[4];
	uint64_t sp;
};
int arm64_set_entry(int vcpu_fd, const struct arm64_entry *entry);

#endif
