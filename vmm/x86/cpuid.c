#include "cpuid.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "../util.h"
#include "xsave.h"

#define BIT(n) (1u << (n))

/* Leaf 1 ECX bits an emulated host keeps: SSE3, SSSE3, x2APIC, TSC-deadline, hypervisor. */
#define EMULATED_LEAF1_ECX (BIT(0) | BIT(9) | BIT(21) | BIT(24) | BIT(31))
/* 0x80000001 EDX bits an emulated host drops: 1 GiB pages, RDTSCP. */
#define EMULATED_EXT1_EDX_DROP (BIT(26) | BIT(27))
/* Perf/debug capability MSR (leaf 1 ECX 15). */
#define LEAF1_ECX_PDCM BIT(15)
/* AMD PerfCtrExtCore, PerfCtrExtNB, PerfTsc, PerfCtrExtLLC (0x80000001 ECX). */
#define EXT1_ECX_PERFCTR (BIT(23) | BIT(24) | BIT(27) | BIT(28))

static unsigned bits_for(unsigned count)
{
	unsigned bits = 0;
	while ((1u << bits) < count)
		bits++;
	return bits;
}

static void set_topology(struct kvm_cpuid_entry2 *e, unsigned apic_id, unsigned nr)
{
	switch (e->function) {
	case 1:
		/* Initial APIC ID, and how many logical CPUs share the package. */
		e->ebx = (e->ebx & 0x0000ffff) | (apic_id << 24) | ((nr & 0xff) << 16);
		e->ecx |= BIT(31); /* running under a hypervisor */
		if (nr > 1)
			e->edx |= BIT(28);
		break;
	case 4:
		/* Cores per package minus one; each cache is private to one core. */
		e->eax = (e->eax & 0x3fff) | ((nr - 1) << 26);
		break;
	case 0xb:
	case 0x1f:
		/* One thread per core, nr cores in the package. */
		e->edx = apic_id;
		if (e->index == 0) {
			e->eax = 0;
			e->ebx = 1;
			e->ecx = (1 << 8) | 0;
		} else if (e->index == 1) {
			e->eax = bits_for(nr);
			e->ebx = nr;
			e->ecx = (2 << 8) | 1;
		} else {
			e->eax = e->ebx = 0;
			e->ecx = e->index;
		}
		break;
	case 0x80000008:
		e->ecx = (e->ecx & ~0xffu) | ((nr - 1) & 0xff);
		break;
	case 0x8000001e:
		e->eax = apic_id;
		e->ebx &= ~0xffu;
		break;
	}
}

/*
 * The emulator behind PVM stops at XSAVE/XRSTOR, CLAC/STAC, POPCNT, CMPXCHG16B
 * and friends (see shared/notes/host-kvm.md). Keeping to a baseline x86-64
 * feature set lets an ordinary kernel config boot without clearcpuid=.
 */
static void mask_for_emulator(struct kvm_cpuid_entry2 *e)
{
	switch (e->function) {
	case 1:
		e->ecx &= EMULATED_LEAF1_ECX;
		break;
	case 7:
	case 0xd:
	case 0x14:
		e->eax = e->ebx = e->ecx = e->edx = 0;
		break;
	case 0x80000001:
		e->ecx &= BIT(0); /* LAHF/SAHF only */
		e->edx &= ~EMULATED_EXT1_EDX_DROP;
		break;
	}
}

/*
 * No PMU: architectural perfmon (leaf 0xA, 0x23) version 0, no PDCM, and
 * none of AMD's extended counter sets, so Linux's Intel driver finds
 * nothing and AMD's sees at most the legacy counters, which pmu.c filters.
 */
static void hide_pmu(struct kvm_cpuid_entry2 *e)
{
	switch (e->function) {
	case 1:
		e->ecx &= ~LEAF1_ECX_PDCM;
		break;
	case 0xa:
	case 0x23:
	case 0x80000022:
		e->eax = e->ebx = e->ecx = e->edx = 0;
		break;
	case 0x80000001:
		e->ecx &= ~EXT1_ECX_PERFCTR;
		break;
	}
}

void cpuid_adjust(struct kvm_cpuid2 *cpuid, int index, int nr_vcpus,
		  const struct cpuid_policy *policy)
{
	for (unsigned i = 0; i < cpuid->nent; i++) {
		struct kvm_cpuid_entry2 *e = &cpuid->entries[i];
		set_topology(e, (unsigned)index, (unsigned)nr_vcpus);
		if (policy->emulated)
			mask_for_emulator(e);
		if (!policy->pmu)
			hide_pmu(e);
	}
	cpuid_xsave_consistent(cpuid);
}

static struct kvm_cpuid2 *get_supported(int kvm_fd)
{
	for (unsigned nent = 64; nent <= 4096; nent *= 2) {
		struct kvm_cpuid2 *cpuid =
		    calloc(1, sizeof(*cpuid) + nent * sizeof(struct kvm_cpuid_entry2));
		if (!cpuid)
			return NULL;
		cpuid->nent = nent;
		if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, cpuid) == 0)
			return cpuid;
		free(cpuid);
		if (errno != E2BIG)
			return NULL;
	}
	return NULL;
}

int cpuid_setup(const struct kvm_host *host, int vcpu_fd, int index, int nr_vcpus,
		const struct cpuid_policy *policy)
{
	struct kvm_cpuid2 *cpuid = get_supported(host->fd);
	if (!cpuid)
		return vmm_err("KVM_GET_SUPPORTED_CPUID: %s", strerror(errno));
	cpuid_adjust(cpuid, index, nr_vcpus, policy);
	int ret = ioctl(vcpu_fd, KVM_SET_CPUID2, cpuid);
	int err = errno;
	uint64_t xcr0 = cpuid_xsave_mask(cpuid);
	free(cpuid);
	if (ret < 0)
		return vmm_err("KVM_SET_CPUID2: %s", strerror(err));
	if (xsave_start_xcr0(vcpu_fd, xcr0) < 0)
		return vmm_err("KVM_SET_XCRS (XCR0 0x%llx): %s", (unsigned long long)xcr0,
			       strerror(errno));
	return 0;
}
