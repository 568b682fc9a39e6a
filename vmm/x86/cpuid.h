/* The CPUID each vCPU sees: what KVM supports, with this vCPU's APIC ID and topology. */
#ifndef VMM_X86_CPUID_H
#define VMM_X86_CPUID_H

#include <linux/kvm.h>

#include "../kvm.h"

/* What a VM's CPUID offers beyond the topology. */
struct cpuid_policy {
	bool emulated; /* hide what PVM's instruction emulator lacks */
	bool pmu;      /* pass the host's PMU through (--pmu); hidden otherwise */
};

/*
 * Rewrites in place the entries KVM_GET_SUPPORTED_CPUID returned for vCPU
 * index of nr_vcpus, then makes leaf 0xD describe exactly the XSAVE
 * components whose features the other leaves still show.
 */
void cpuid_adjust(struct kvm_cpuid2 *cpuid, int index, int nr_vcpus,
		  const struct cpuid_policy *policy);
/*
 * Kernel parameters that hide the same features from Linux. Needed because
 * PVM answers the guest's CPUID leaves 1 and 7 from the host CPU whatever
 * KVM_SET_CPUID2 says (read back with KVM_GET_CPUID2 to see it). Linux 6.1
 * reads at most 127 bytes of clearcpuid=, so the list stays under that; the
 * AVX family needs no entry, clearing XSAVE takes it away too. Only
 * key=value words here: Linux hands a bare word it does not register (such
 * as "noxsave", which it finds by scanning the raw command line) to /init as
 * an argument, where it would become the command to run.
 * "pvmsyscall" is the guest-images kernel's early parameter that runs a
 * user-mode SYSCALL which PVM failed to deliver as the system call it was.
 */
#define CPUID_CLEARCPUID_LIST                                                                      \
	"xsave,smap,smep,umip,fsgsbase,pcid,invpcid,popcnt,cx16,erms,fsrm,rdtscp,pdpe1gb,bmi1,"    \
	"bmi2,abm,adx,rdrand,rdseed,sse4_2"
#define CPUID_EMULATED_CMDLINE "noint3selftest pvmsyscall clearcpuid=" CPUID_CLEARCPUID_LIST
/* Fetches the supported CPUID, adjusts it and sets it on the vCPU fd. */
int cpuid_setup(const struct kvm_host *host, int vcpu_fd, int index, int nr_vcpus,
		const struct cpuid_policy *policy);

#endif
