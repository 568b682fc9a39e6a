/*
 * Completing, in vmm, the few instructions the PVM instruction emulator
 * gives up on (KVM_EXIT_INTERNAL_ERROR, emulation suberror) although
 * Linux executes them in ordinary kernel paths: FWAIT in fpu__drop() on
 * every task exit, FNCLEX and EMMS in the FPU code. Each is finished with
 * the architectural effect on the vCPU's state and the guest resumes after
 * it. Anything else is left to fail as before.
 */
#ifndef VMM_X86_INSN_H
#define VMM_X86_INSN_H

#include "../guest_mem.h"

/* 0 when the instruction at the vCPU's RIP was completed; -1 otherwise. */
int insn_complete(int vcpu_fd, const struct guest_mem *mem);

#endif
