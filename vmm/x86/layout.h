/*
 * Where things live in guest physical memory. Everything the boot protocols
 * need sits in the first MiB, kernels load at or above 1 MiB, and RAM below
 * 4 GiB stops at 3 GiB to leave room for device MMIO, the IOAPIC and LAPIC.
 */
#ifndef VMM_X86_LAYOUT_H
#define VMM_X86_LAYOUT_H

#define LAYOUT_GDT	   0x500ULL   /* boot GDT: __BOOT_CS = 0x10, __BOOT_DS = 0x18 */
#define LAYOUT_ZERO_PAGE   0x7000ULL  /* struct boot_params or struct hvm_start_info */
#define LAYOUT_PVH_MEMMAP  0x8000ULL  /* PVH memory map entries */
#define LAYOUT_PML4	   0x9000ULL  /* identity map of the low 4 GiB: PML4 ... */
#define LAYOUT_PDPT	   0xa000ULL  /* ... one PDPT ... */
#define LAYOUT_PD	   0xb000ULL  /* ... and four page directories of 2 MiB pages */
#define LAYOUT_STACK_TOP   0x8f000ULL /* firmware stacks grow down from here, 4 KiB each */
#define LAYOUT_CMDLINE	   0x20000ULL
#define LAYOUT_CMDLINE_MAX 4096
#define LAYOUT_EBDA	   0x9fc00ULL /* RAM ends here in the first MiB */
#define LAYOUT_MPTABLE	   0xf0000ULL /* in the BIOS area Linux scans for the MP floating pointer */
#define LAYOUT_BIOS_END	   0x100000ULL
#define LAYOUT_KERNEL	   0x100000ULL /* bzImage protected-mode code and firmware payloads */

#define LAYOUT_LOWMEM_END 0xc0000000ULL /* RAM below 4 GiB ends at 3 GiB */
#define LAYOUT_MMIO_START 0xd0000000ULL /* device MMIO window for vm_alloc_mmio */
#define LAYOUT_MMIO_END	  0xfec00000ULL /* IOAPIC and LAPIC above */
#define LAYOUT_IOAPIC	  0xfec00000ULL
#define LAYOUT_HIGHMEM	  0x100000000ULL /* RAM beyond 3 GiB continues here */

#define LAYOUT_FIRST_DEVICE_GSI 5  /* 4 is COM1; 0..15 stay ISA-compatible */
#define LAYOUT_LAST_GSI		23 /* the in-kernel IOAPIC has 24 pins */

#endif
