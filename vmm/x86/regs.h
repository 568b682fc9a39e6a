/* Initial vCPU state: segments, paging, FPU, MSRs and LAPIC wiring per boot protocol. */
#ifndef VMM_X86_REGS_H
#define VMM_X86_REGS_H

#include "../guest_mem.h"
#include "boot.h"

/* Writes the boot GDT and the identity page tables into guest RAM. */
int regs_write_boot_tables(const struct guest_mem *mem);
/* State every vCPU needs whatever it runs: FPU, MSRs, LINT0/LINT1 on the LAPIC. */
int regs_setup_common(int vcpu_fd);
/* Puts the vCPU at entry in the mode the boot protocol asks for. */
int regs_setup_entry(int vcpu_fd, const struct boot_entry *entry);
/* Starts an application processor without INIT/SIPI (firmware payloads only). */
int regs_make_runnable(int vcpu_fd);

#endif
