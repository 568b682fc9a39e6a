/*
 * The guest's clocks across a pause, a snapshot and a migration (state.h):
 * kvmclock and every vCPU's TSC stop at the pause and go on from there
 * together, so a resumed or restored guest sees neither a jump back nor the
 * time it spent paused or on disk (KVM's clocks run on while the vCPUs are
 * parked; cloud-hypervisor keeps kvmclock the same way).
 *
 * Linux's clocksource watchdog compares the TSC with kvm-clock every half
 * second and marks the TSC unstable past about half a millisecond of skew,
 * so the two must agree to microseconds. Writing IA32_TSC does not ensure
 * it: KVM takes a write from the VMM that lands within a second of what it
 * expects (its last write plus the time since) for an attempt to keep vCPUs
 * in step and keeps its own offset, dropping the value (kvm_synchronize_tsc).
 * A restore used to write each TSC with the MSRs and again next to
 * KVM_SET_CLOCK: the second write was dropped, and the restored TSC ran ahead
 * of kvmclock by the time in between (7-60 ms in the nested lab host, which
 * the guest's watchdog measured to the microsecond). So the TSC is set
 * through the vCPU's KVM_VCPU_TSC_OFFSET attribute (Linux 5.16), which KVM
 * applies as given; where KVM lacks it, the TSC that KVM kept is read back
 * and kvmclock is set to agree with it (both jump by the same amount).
 */
#include <errno.h>
#include <string.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <time.h>

#include "../machine.h"
#include "../util.h"
#include "../vm.h"
#include "../vcpu.h"
#include "state.h"

#define MSR_IA32_TSC	      0x10
#define MSR_IA32_TSC_DEADLINE 0x6e0
#define MSR_KVM_SYSTEM_TIME   0x4b564d01 /* the guest's kvmclock page, bit 0 enabled */

/*
 * The kvmclock page a vCPU's guest reads (Documentation/virt/kvm/x86/msr.rst,
 * pvclock_vcpu_time_info; Linux keeps it out of its uapi headers): its clock
 * is system_time plus the TSC cycles since tsc_timestamp, scaled.
 */
struct pvclock_page {
	uint32_t version; /* odd while KVM writes the page */
	uint32_t pad0;
	uint64_t tsc_timestamp;
	uint64_t system_time;
	uint32_t tsc_to_system_mul;
	int8_t tsc_shift;
	uint8_t flags;
	uint8_t pad[2];
};

/* One MSR of one vCPU through KVM_GET_MSRS or KVM_SET_MSRS; 0 or -1. */
static int clock_msr(int vcpu_fd, unsigned long request, uint32_t index, uint64_t *value)
{
	union {
		struct kvm_msrs msrs;
		uint8_t room[sizeof(struct kvm_msrs) + sizeof(struct kvm_msr_entry)];
	} buf = {0};
	buf.msrs.nmsrs = 1;
	buf.msrs.entries[0] = (struct kvm_msr_entry){.index = index, .data = *value};
	if (ioctl(vcpu_fd, request, &buf.msrs) != 1)
		return -1;
	*value = buf.msrs.entries[0].data;
	return 0;
}

/* TSC cycles of vCPU fd in ns nanoseconds (0 where KVM does not say its rate). */
static uint64_t tsc_cycles(int fd, uint64_t ns)
{
	int khz = ioctl(fd, KVM_GET_TSC_KHZ);
	return khz > 0 ? ns * (uint64_t)khz / 1000000 : 0;
}

/* The other way, for a signed difference (a double: no overflow for any TSC a guest can set). */
static int64_t cycles_to_ns(int fd, int64_t cycles)
{
	int khz = ioctl(fd, KVM_GET_TSC_KHZ);
	double ns = khz > 0 ? (double)cycles * 1e6 / khz : 0;
	return ns > -1e18 && ns < 1e18 ? (int64_t)ns : 0;
}

/* The vCPU's TSC offset (the guest's TSC less the host's, scaled) by the attribute. */
static int tsc_offset(int fd, unsigned long request, uint64_t *offset)
{
	struct kvm_device_attr attr = {
	    .group = KVM_VCPU_TSC_CTRL,
	    .attr = KVM_VCPU_TSC_OFFSET,
	    .addr = (uint64_t)(uintptr_t)offset,
	};
	return ioctl(fd, request, &attr);
}

static bool has_tsc_offset(struct vm *vm)
{
	struct kvm_device_attr attr = {.group = KVM_VCPU_TSC_CTRL, .attr = KVM_VCPU_TSC_OFFSET};
	for (int i = 0; i < vm_nr_vcpus(vm); i++)
		if (ioctl(vcpu_fd(vm_vcpu(vm, i)), KVM_HAS_DEVICE_ATTR, &attr) < 0)
			return false;
	return true;
}

/*
 * The clock vCPU 0's guest reads at TSC tsc, from its kvmclock page (the
 * guest owns it: anything odd and false is returned).
 */
static bool guest_kvmclock(struct vm *vm, uint64_t tsc, uint64_t *ns)
{
	uint64_t msr = 0;
	if (clock_msr(vcpu_fd(vm_vcpu(vm, 0)), KVM_GET_MSRS, MSR_KVM_SYSTEM_TIME, &msr) < 0 ||
	    !(msr & 1))
		return false;
	const struct pvclock_page *page = guest_mem_ptr(vm_mem(vm), msr & ~1ull, sizeof(*page));
	if (!page)
		return false;
	struct pvclock_page pv;
	memcpy(&pv, page, sizeof(pv)); /* the vCPUs are parked: KVM does not write it now */
	if ((pv.version & 1) || tsc < pv.tsc_timestamp || pv.tsc_shift < -31 || pv.tsc_shift > 31)
		return false;
	uint64_t delta = tsc - pv.tsc_timestamp;
	if (pv.tsc_shift < 0)
		delta >>= -pv.tsc_shift;
	else if (delta >> (63 - pv.tsc_shift))
		return false;
	else
		delta <<= pv.tsc_shift;
	/* (delta * mul) >> 32 in two halves, as 64 bits hold each. */
	uint64_t high, low = (delta & 0xffffffffu) * pv.tsc_to_system_mul >> 32;
	if (__builtin_mul_overflow(delta >> 32, (uint64_t)pv.tsc_to_system_mul, &high) ||
	    __builtin_add_overflow(pv.system_time, high + low, ns))
		return false;
	return true;
}

/*
 * kvmclock and every TSC as of one instant: each TSC read later than the
 * clock is taken back by the time in between. Where KVM gives the offsets,
 * the other vCPUs' TSCs are vCPU 0's plus the difference of offsets, exact,
 * so vCPUs that ran in step (one offset) are restored in step.
 */
bool clock_read(struct vm *vm, struct paused_clock *p)
{
	int n = vm_nr_vcpus(vm);
	if (n > PAUSED_CLOCK_MAX_VCPUS || ioctl(vm_fd(vm), KVM_GET_CLOCK, &p->clock) < 0)
		return false;
	uint64_t at = vmm_monotonic_ns();
	for (int i = 0; i < n; i++) {
		int fd = vcpu_fd(vm_vcpu(vm, i));
		if (clock_msr(fd, KVM_GET_MSRS, MSR_IA32_TSC, &p->tsc[i]) < 0)
			return false;
		p->tsc[i] -= tsc_cycles(fd, vmm_monotonic_ns() - at);
	}
	uint64_t base, offset;
	if (has_tsc_offset(vm) &&
	    tsc_offset(vcpu_fd(vm_vcpu(vm, 0)), KVM_GET_DEVICE_ATTR, &base) == 0)
		for (int i = 1; i < n; i++)
			if (tsc_offset(vcpu_fd(vm_vcpu(vm, i)), KVM_GET_DEVICE_ATTR, &offset) == 0)
				p->tsc[i] = p->tsc[0] + (offset - base);
	p->nr = n;
	/*
	 * KVM_GET_CLOCK is the guest's clock only with KVM's master clock (a
	 * stable host TSC): then it is computed from the TSC as the guest's is.
	 * Otherwise it is the host's monotonic clock plus an offset, while the
	 * guest's extrapolates from the TSC since KVM last wrote its page, and
	 * the two part by milliseconds (KVM also stops the TSC while a vCPU is
	 * off the host CPU, on a host whose TSCs differ between CPUs: the lab
	 * host with two CPUs). Setting that back would jump the guest's
	 * kvm-clock against its TSC: the clock the guest reads is kept instead,
	 * as QEMU does (kvmclock_current_nsec).
	 */
	uint64_t seen;
	if (!(p->clock.flags & KVM_CLOCK_TSC_STABLE) && guest_kvmclock(vm, p->tsc[0], &seen))
		p->clock.clock = seen;
	return true;
}

/*
 * vCPU 0's TSC to tsc[0] + the cycles since start, the others by the same
 * offset plus their saved difference: one offset where they had one.
 */
static int set_by_offset(struct vm *vm, const struct paused_clock *p, uint64_t start)
{
	int fd = vcpu_fd(vm_vcpu(vm, 0));
	uint64_t now_tsc = 0, offset;
	if (tsc_offset(fd, KVM_GET_DEVICE_ATTR, &offset) < 0 ||
	    clock_msr(fd, KVM_GET_MSRS, MSR_IA32_TSC, &now_tsc) < 0)
		return -1;
	uint64_t want = p->tsc[0] + tsc_cycles(fd, vmm_monotonic_ns() - start);
	uint64_t base = offset + (want - now_tsc);
	for (int i = 0; i < p->nr && i < vm_nr_vcpus(vm); i++) {
		uint64_t off = base + (p->tsc[i] - p->tsc[0]);
		if (tsc_offset(vcpu_fd(vm_vcpu(vm, i)), KVM_SET_DEVICE_ATTR, &off) < 0)
			return -1;
	}
	return 0;
}

/* Without the attribute: IA32_TSC itself, which KVM may round to its own offset. */
static int set_by_msr(struct vm *vm, const struct paused_clock *p, uint64_t start)
{
	for (int i = 0; i < p->nr && i < vm_nr_vcpus(vm); i++) {
		int fd = vcpu_fd(vm_vcpu(vm, i));
		uint64_t tsc = p->tsc[i] + tsc_cycles(fd, vmm_monotonic_ns() - start);
		if (clock_msr(fd, KVM_SET_MSRS, MSR_IA32_TSC, &tsc) < 0)
			return -1;
	}
	return 0;
}

/*
 * A TSC-deadline timer was armed against the TSC of before (KVM turns the
 * deadline into a host timer when it is written): writing it again arms it
 * against the TSC now. 0 is no deadline armed.
 */
static void rearm_deadlines(struct vm *vm)
{
	for (int i = 0; i < vm_nr_vcpus(vm); i++) {
		int fd = vcpu_fd(vm_vcpu(vm, i));
		uint64_t deadline = 0;
		if (clock_msr(fd, KVM_GET_MSRS, MSR_IA32_TSC_DEADLINE, &deadline) == 0 && deadline)
			clock_msr(fd, KVM_SET_MSRS, MSR_IA32_TSC_DEADLINE, &deadline);
	}
}

/*
 * The TSCs first, then kvmclock: the time since start on top of the pause's
 * value, and whatever vCPU 0's TSC stands ahead of where it was sent (none
 * with the offset attribute; what KVM kept of its own without it).
 */
int clock_set(struct vm *vm, const struct paused_clock *p)
{
	if (p->nr < 1)
		return 0;
	uint64_t start = vmm_monotonic_ns();
	/* A KVM that lists the attribute but refuses it (a protected guest's TSC) gets the MSR. */
	if ((!has_tsc_offset(vm) || set_by_offset(vm, p, start) < 0) &&
	    set_by_msr(vm, p, start) < 0)
		return -1;
	int fd = vcpu_fd(vm_vcpu(vm, 0));
	uint64_t tsc = 0;
	if (clock_msr(fd, KVM_GET_MSRS, MSR_IA32_TSC, &tsc) < 0)
		return -1;
	uint64_t since = vmm_monotonic_ns() - start;
	int64_t ahead = cycles_to_ns(fd, (int64_t)(tsc - p->tsc[0] - tsc_cycles(fd, since)));
	struct kvm_clock_data set = {
	    .clock = p->clock.clock + (vmm_monotonic_ns() - start) + (uint64_t)ahead,
	};
	if (ioctl(vm_fd(vm), KVM_SET_CLOCK, &set) < 0)
		return -1;
	rearm_deadlines(vm);
	return 0;
}
