/*
 * The arm64 state a snapshot keeps (vmm/arch.h: arch_vcpu_save and friends).
 * A vCPU is every register KVM_GET_REG_LIST names (core registers, FP/SIMD,
 * the system registers MPIDR included, KVM's firmware registers, the timers)
 * by KVM_GET_ONE_REG, as QEMU and cloud-hypervisor save it, plus its MP
 * state (a secondary PSCI left off stays off) and its pending SError
 * (KVM_GET_VCPU_EVENTS). The VM's part is the vGICv3 (gic_state.c), loaded
 * after every vCPU: KVM finds a redistributor by the MPIDR it was given.
 *
 * The virtual counter: KVM_REG_ARM_TIMER_CNT reads the guest's counter, and
 * setting it moves the offset of every vCPU's virtual counter (KVM keeps one
 * per VM), so the guest sees the counter it had. vmm reads it when the VM
 * pauses and sets it back on resume, a snapshot keeps the paused value, and
 * a restore sets it last: neither a resumed nor a restored guest sees the
 * time it spent paused or on disk, as x86 does with kvmclock and the TSC.
 * The physical counter (KVM_REG_ARM_PTIMER_CNT) is the host's and is not
 * set back.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "../arch.h"
#include "../machine.h"
#include "../snapshot/stream.h"
#include "../util.h"
#include "../vcpu.h"
#include "board.h"
#include "gic_state.h"
#include "layout.h"
#include "regs.h"

#define VCPU_STATE_VERSION 1
#define VM_STATE_VERSION   1
#define MAX_REGS	   2048
#define MAX_REG_BYTES	   256 /* U2048, an SVE Z register */
#define SYSREG_MPIDR	   ARM64_SYS_REG(3, 0, 0, 0, 5)

const char arch_name[] = "arm64";

static size_t reg_bytes(uint64_t id)
{
	return (size_t)1 << ((id & KVM_REG_SIZE_MASK) >> KVM_REG_SIZE_SHIFT);
}

/* The vCPU's register list (KVM_GET_REG_LIST); NULL after a message. */
static struct kvm_reg_list *reg_list(int vcpu_fd)
{
	struct kvm_reg_list probe = {.n = 0};
	if (ioctl(vcpu_fd, KVM_GET_REG_LIST, &probe) < 0 && errno != E2BIG)
		return vmm_err("snapshot: KVM_GET_REG_LIST: %s", strerror(errno)), NULL;
	if (probe.n > MAX_REGS)
		return vmm_err("snapshot: KVM lists %llu vCPU registers, vmm takes %d",
			       (unsigned long long)probe.n, MAX_REGS),
		       NULL;
	struct kvm_reg_list *list = calloc(1, sizeof(*list) + probe.n * sizeof(list->reg[0]));
	if (!list)
		return vmm_err("out of memory"), NULL;
	list->n = probe.n;
	if (ioctl(vcpu_fd, KVM_GET_REG_LIST, list) < 0) {
		vmm_err("snapshot: KVM_GET_REG_LIST: %s", strerror(errno));
		free(list);
		return NULL;
	}
	return list;
}

static bool in_list(const struct kvm_reg_list *list, uint64_t id)
{
	for (uint64_t i = 0; i < list->n; i++)
		if (list->reg[i] == id)
			return true;
	return false;
}

static int vcpu_index(const struct vm *vm, int fd)
{
	for (int i = 0; i < vm_nr_vcpus(vm); i++)
		if (vcpu_fd(vm_vcpu(vm, i)) == fd)
			return i;
	return -1;
}

static int save_regs(struct vm *vm, int fd, struct snap_writer *w)
{
	struct kvm_reg_list *list = reg_list(fd);
	if (!list)
		return -1;
	const struct arch_vm *arch = vm_arch(vm);
	uint32_t n = 0;
	for (uint64_t i = 0; i < list->n; i++)
		n += list->reg[i] != KVM_REG_ARM_PTIMER_CNT;
	snap_put_u32(w, n);
	int ret = 0;
	for (uint64_t i = 0; i < list->n && ret == 0; i++) {
		uint64_t id = list->reg[i];
		uint8_t value[MAX_REG_BYTES] = {0};
		struct kvm_one_reg reg = {.id = id, .addr = (uintptr_t)value};
		if (id == KVM_REG_ARM_PTIMER_CNT)
			continue;
		if (reg_bytes(id) > sizeof(value))
			ret = vmm_err("snapshot: vCPU register 0x%llx has %zu bytes",
				      (unsigned long long)id, reg_bytes(id));
		else if (ioctl(fd, KVM_GET_ONE_REG, &reg) < 0)
			ret = vmm_err("snapshot: KVM_GET_ONE_REG 0x%llx: %s",
				      (unsigned long long)id, strerror(errno));
		if (ret == 0 && id == KVM_REG_ARM_TIMER_CNT && arch->counter_paused)
			memcpy(value, &arch->paused_counter, sizeof(uint64_t));
		if (ret == 0)
			ret = snap_put_u64(w, id) | snap_put(w, value, reg_bytes(id));
	}
	free(list);
	return ret;
}

int arch_vcpu_save(struct vm *vm, int vcpu_fd, struct snap_writer *w)
{
	struct kvm_mp_state mp;
	struct kvm_vcpu_events events;
	bool has_events = ioctl(vm_fd(vm), KVM_CHECK_EXTENSION, KVM_CAP_VCPU_EVENTS) > 0;
	if (ioctl(vcpu_fd, KVM_GET_MP_STATE, &mp) < 0)
		return vmm_err("snapshot: KVM_GET_MP_STATE: %s", strerror(errno));
	if (has_events && ioctl(vcpu_fd, KVM_GET_VCPU_EVENTS, &events) < 0)
		return vmm_err("snapshot: KVM_GET_VCPU_EVENTS: %s", strerror(errno));
	if (snap_put_u32(w, VCPU_STATE_VERSION) < 0 || save_regs(vm, vcpu_fd, w) < 0 ||
	    snap_put_blob(w, &mp, sizeof(mp)) < 0 || snap_put_u8(w, has_events) < 0 ||
	    (has_events && snap_put_blob(w, &events, sizeof(events)) < 0))
		return -1;
	return w->failed ? vmm_err("out of memory") : 0;
}

/* Each saved register must be one this vCPU has: another KVM's or a corrupt id is refused. */
static int load_regs(struct vm *vm, int fd, struct snap_reader *r)
{
	uint32_t n;
	if (snap_get_u32(r, &n) < 0)
		return -1;
	if (n > MAX_REGS)
		return snap_bad(r, "%u registers, at most %d expected", n, MAX_REGS);
	struct kvm_reg_list *list = reg_list(fd);
	if (!list)
		return -1;
	int ret = 0;
	for (uint32_t i = 0; i < n && ret == 0; i++) {
		uint64_t id;
		uint8_t value[MAX_REG_BYTES] = {0};
		if (snap_get_u64(r, &id) < 0) {
			ret = -1;
			break;
		}
		if (!in_list(list, id) || id == KVM_REG_ARM_PTIMER_CNT ||
		    reg_bytes(id) > sizeof(value)) {
			ret = snap_bad(r, "register 0x%llx is not one of this host's vCPUs",
				       (unsigned long long)id);
			break;
		}
		struct kvm_one_reg reg = {.id = id, .addr = (uintptr_t)value};
		if (snap_get(r, value, reg_bytes(id)) < 0)
			ret = -1;
		else if (ioctl(fd, KVM_SET_ONE_REG, &reg) < 0)
			ret = snap_bad(r, "KVM_SET_ONE_REG 0x%llx: %s", (unsigned long long)id,
				       strerror(errno));
		else if (id == KVM_REG_ARM_TIMER_CNT && vcpu_index(vm, fd) == 0) {
			memcpy(&vm_arch(vm)->restored_counter, value, sizeof(uint64_t));
			vm_arch(vm)->counter_restored = true;
		}
	}
	free(list);
	return ret;
}

int arch_vcpu_load(struct vm *vm, int vcpu_fd, struct snap_reader *r)
{
	struct kvm_mp_state mp;
	uint8_t has_events;
	if (snap_get_version(r, VCPU_STATE_VERSION) < 0 || load_regs(vm, vcpu_fd, r) < 0 ||
	    snap_get_blob(r, &mp, sizeof(mp)) < 0)
		return -1;
	if (mp.mp_state != KVM_MP_STATE_RUNNABLE && mp.mp_state != KVM_MP_STATE_STOPPED &&
	    mp.mp_state != KVM_MP_STATE_SUSPENDED)
		return snap_bad(r, "unknown MP state %u", mp.mp_state);
	if (ioctl(vcpu_fd, KVM_SET_MP_STATE, &mp) < 0)
		return snap_bad(r, "KVM_SET_MP_STATE: %s", strerror(errno));
	if (snap_get_u8(r, &has_events) < 0)
		return -1;
	if (has_events > 1)
		return snap_bad(r, "bad vCPU events flag %u", has_events);
	if (!has_events)
		return 0;
	struct kvm_vcpu_events events;
	if (snap_get_blob(r, &events, sizeof(events)) < 0)
		return -1;
	if (ioctl(vm_fd(vm), KVM_CHECK_EXTENSION, KVM_CAP_VCPU_EVENTS) <= 0)
		return snap_bad(r, "it holds vCPU events, which this host's KVM cannot set");
	if (ioctl(vcpu_fd, KVM_SET_VCPU_EVENTS, &events) < 0)
		return snap_bad(r, "KVM_SET_VCPU_EVENTS: %s", strerror(errno));
	return 0;
}

/* The vGIC and each vCPU's MPIDR (which names its redistributor and CPU interface). */
static int gic_vm(struct vm *vm, struct gic_vm *g)
{
	g->gic_fd = vm_arch(vm)->gic_fd;
	g->nr_irqs = ARM64_GIC_NR_IRQS;
	g->nr_vcpus = vm_nr_vcpus(vm);
	if (g->nr_vcpus > GIC_STATE_MAX_VCPUS)
		return vmm_err("snapshot: at most %d vCPUs", GIC_STATE_MAX_VCPUS);
	for (int i = 0; i < g->nr_vcpus; i++)
		if (arm64_get_reg(vcpu_fd(vm_vcpu(vm, i)), SYSREG_MPIDR, &g->mpidr[i]) < 0)
			return vmm_err("snapshot: vCPU %d's MPIDR_EL1: %s", i, strerror(errno));
	return 0;
}

int arch_vm_save(struct vm *vm, struct snap_writer *w)
{
	struct gic_vm g;
	if (gic_vm(vm, &g) < 0 || snap_put_u32(w, VM_STATE_VERSION) < 0)
		return -1;
	return gic_state_save(&g, w);
}

int arch_vm_load(struct vm *vm, struct snap_reader *r)
{
	struct gic_vm g;
	if (snap_get_version(r, VM_STATE_VERSION) < 0 || gic_vm(vm, &g) < 0 ||
	    gic_state_load(&g, r) < 0)
		return -1;
	/* The counter ran on while the rest loaded: set it again, last (one write moves all). */
	struct arch_vm *arch = vm_arch(vm);
	struct kvm_one_reg cnt = {.id = KVM_REG_ARM_TIMER_CNT,
				  .addr = (uintptr_t)&arch->restored_counter};
	if (arch->counter_restored && ioctl(vcpu_fd(vm_vcpu(vm, 0)), KVM_SET_ONE_REG, &cnt) < 0)
		return snap_bad(r, "setting the virtual counter back: %s", strerror(errno));
	arch->counter_restored = false;
	return 0;
}

void arch_vm_paused(struct vm *vm)
{
	struct arch_vm *arch = vm_arch(vm);
	arch->counter_paused = arm64_get_reg(vcpu_fd(vm_vcpu(vm, 0)), KVM_REG_ARM_TIMER_CNT,
					     &arch->paused_counter) == 0;
}

void arch_vm_resuming(struct vm *vm)
{
	struct arch_vm *arch = vm_arch(vm);
	if (arch->counter_paused &&
	    arm64_set_reg(vcpu_fd(vm_vcpu(vm, 0)), KVM_REG_ARM_TIMER_CNT, arch->paused_counter) < 0)
		vmm_warn("resume: KVM refused the virtual counter of the pause: the guest sees the "
			 "time it was paused");
	arch->counter_paused = false;
}
