/* CPUID leaf 0xD (XSAVE components and sizes) made to agree with the rest of the CPUID. */
#ifndef VMM_X86_XSAVE_H
#define VMM_X86_XSAVE_H

#include <linux/kvm.h>
#include <stdint.h>

/*
 * Drops from leaf 0xD every XSAVE component whose feature flag the other
 * leaves no longer show (AVX -> YMM, MPX -> BNDREGS/BNDCSR, AVX-512F ->
 * opmask/ZMM, PKU -> PKRU, AMX-TILE -> tile config/data), clears their
 * sub-leaves and recomputes the sizes in 0xD.0 from what is left; with
 * XSAVE itself hidden, all of leaf 0xD. Linux checks the sizes against the
 * components (paranoid_xstate_size_valid) and warns when they differ.
 */
void cpuid_xsave_consistent(struct kvm_cpuid2 *cpuid);
/* The XCR0 bits leaf 0xD offers (0 without XSAVE). */
uint64_t cpuid_xsave_mask(struct kvm_cpuid2 *cpuid);
/*
 * Starts the vCPU with XCR0 = mask (KVM_SET_XCRS) instead of x87 only.
 * Linux sets that itself; but under QEMU TCG's nested SVM (the lab host)
 * the guest's XSETBV never reaches KVM, which then keeps its own XCR0,
 * reloads it on every entry and sizes CPUID 0xD from it, so the guest saw
 * "XSAVE consistency problem: size 832 != kernel_size 576". On hardware KVM
 * traps the guest's XSETBV and this start value is simply replaced.
 * 0 also where KVM lacks XCRs; -1 when KVM refuses the value.
 */
int xsave_start_xcr0(int vcpu_fd, uint64_t mask);

#endif
