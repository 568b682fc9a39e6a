/*
 * The Intel MultiProcessor Specification 1.4 table that tells a guest
 * without ACPI how many CPUs it has and how the IOAPIC is wired. The
 * layouts come from that spec (chapter 4); Linux reads them in
 * arch/x86/kernel/mpparse.c.
 */
#ifndef VMM_X86_MPTABLE_H
#define VMM_X86_MPTABLE_H

#include "../guest_mem.h"

#define MPTABLE_MAX_CPUS 254 /* APIC IDs are 8 bits and the IOAPIC takes the next one */

int mptable_write(const struct guest_mem *mem, int nr_cpus);

#endif
