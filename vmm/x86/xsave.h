/* CPUID leaf 0xD (XSAVE components and sizes) made to agree with the rest of the CPUID. */
#ifndef VMM_X86_XSAVE_H
#define VMM_X86_XSAVE_H

#include <linux/kvm.h>

/*
 * Drops from leaf 0xD every XSAVE component whose feature flag the other
 * leaves no longer show (AVX -> YMM, MPX -> BNDREGS/BNDCSR, AVX-512F ->
 * opmask/ZMM, PKU -> PKRU, AMX-TILE -> tile config/data), clears their
 * sub-leaves and recomputes the sizes in 0xD.0 from what is left; with
 * XSAVE itself hidden, all of leaf 0xD. Linux checks the sizes against the
 * components (paranoid_xstate_size_valid) and warns when they differ.
 */
void cpuid_xsave_consistent(struct kvm_cpuid2 *cpuid);

#endif
