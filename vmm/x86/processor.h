/*
 * x86 control-register and MSR bits, in one place. CR0/CR4 come from the
 * uapi header; EFER and the MSR numbers are kept out of uapi by the kernel
 * (asm/msr-index.h), so they are declared here from the SDM / APM.
 */
#ifndef VMM_X86_PROCESSOR_H
#define VMM_X86_PROCESSOR_H

#include <asm/processor-flags.h> /* X86_CR0_*, X86_CR4_*, X86_EFLAGS_* */

#define MSR_EFER		0xc0000080
#define EFER_LME		(1ULL << 8)  /* long mode enable */
#define EFER_LMA		(1ULL << 10) /* long mode active */
#define MSR_IA32_MISC_ENABLE	0x1a0
#define MISC_ENABLE_FAST_STRING 1

#endif
