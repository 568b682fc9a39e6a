/*
 * No performance-monitoring unit for the guest unless --pmu asks for one,
 * as Firecracker does: a PMU is host state a guest can probe, and under a
 * nested KVM without one every probe write is logged by the L1 kernel.
 */
#ifndef VMM_X86_PMU_H
#define VMM_X86_PMU_H

/*
 * Before the first vCPU: KVM's vPMU off (KVM_CAP_PMU_CAPABILITY) and the
 * counter MSRs filtered (KVM_X86_SET_MSR_FILTER), so the guest's probe
 * takes a #GP on its first read and says "PMU not available due to
 * virtualization" instead of writing counters KVM ignores. Either is
 * skipped where KVM lacks it; -1 only when KVM refuses one it offers.
 */
int pmu_hide(int kvm_fd, int vm_fd);

#endif
