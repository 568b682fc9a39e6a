/*
 * Snapshots of arm64 VMs (vmm/arch.h's save/load hooks): not there yet.
 * A whole arm64 VM is every vCPU register of KVM_GET_REG_LIST plus the
 * vGICv3's distributor, redistributor and CPU-interface state through its
 * device attributes; until both are saved, a snapshot is refused in one
 * line rather than written without its interrupt state.
 */
#include "../arch.h"
#include "../util.h"

const char arch_name[] = "arm64";

static int refuse(void)
{
	return vmm_err("snapshot: arm64 VMs cannot be snapshotted or restored yet (vmm does not "
		       "save the vGICv3 state)");
}

/* Nothing kept yet: the virtual counter (KVM_REG_ARM_TIMER_CNT) would be, with the rest. */
void arch_vm_paused(struct vm *vm)
{
	(void)vm;
}

void arch_vm_resuming(struct vm *vm)
{
	(void)vm;
}

int arch_vcpu_save(struct vm *vm, int vcpu_fd, struct snap_writer *w)
{
	(void)vm, (void)vcpu_fd, (void)w;
	return refuse();
}

int arch_vcpu_load(struct vm *vm, int vcpu_fd, struct snap_reader *r)
{
	(void)vm, (void)vcpu_fd, (void)r;
	return refuse();
}

int arch_vm_save(struct vm *vm, struct snap_writer *w)
{
	(void)vm, (void)w;
	return refuse();
}

int arch_vm_load(struct vm *vm, struct snap_reader *r)
{
	(void)vm, (void)r;
	return refuse();
}
