/* The CPUID each vCPU sees: what KVM supports, with this vCPU's APIC ID and topology. */
#ifndef VMM_X86_CPUID_H
#define VMM_X86_CPUID_H

#include <linux/kvm.h>

#include "../kvm.h"

/*
 * Rewrites in place the entries KVM_GET_SUPPORTED_CPUID returned for vCPU
 * index of nr_vcpus. On emulated hosts also hides what the emulator lacks.
 */
void cpuid_adjust(struct kvm_cpuid2 *cpuid, int index, int nr_vcpus, bool emulated);
/* Fetches the supported CPUID, adjusts it and sets it on the vCPU fd. */
int cpuid_setup(const struct kvm_host *host, int vcpu_fd, int index, int nr_vcpus);

#endif
