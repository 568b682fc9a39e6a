#include "regs.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdbool.h>
#include <string.h>
#include <sys/ioctl.h>

#include "../util.h"
#include "layout.h"
#include "processor.h"

#define GDT_CODE64 0x10 /* __BOOT_CS */
#define GDT_DATA   0x18 /* __BOOT_DS */
#define GDT_CODE32 0x20
#define GDT_TSS	   0x28
#define GDT_SIZE   6

#define PTE_P	 (1u << 0)
#define PTE_RW	 (1u << 1)
#define PTE_PS	 (1u << 7)
#define PD_LARGE (PTE_P | PTE_RW | PTE_PS)

#define APIC_LVT0	 0x350
#define APIC_LVT1	 0x360
#define APIC_MODE_NMI	 0x4
#define APIC_MODE_EXTINT 0x7

static const uint64_t boot_gdt[GDT_SIZE] = {
    0,
    0,
    0x00af9b000000ffffULL, /* 64-bit code */
    0x00cf93000000ffffULL, /* flat data */
    0x00cf9b000000ffffULL, /* flat 32-bit code */
    0x00008b0000000067ULL, /* busy TSS, for VMX's entry checks */
};

int regs_write_boot_tables(const struct guest_mem *mem)
{
	uint64_t *gdt = guest_mem_ptr(mem, LAYOUT_GDT, sizeof(boot_gdt));
	uint64_t *pml4 = guest_mem_ptr(mem, LAYOUT_PML4, 4096);
	uint64_t *pdpt = guest_mem_ptr(mem, LAYOUT_PDPT, 4096);
	uint64_t *pd = guest_mem_ptr(mem, LAYOUT_PD, 4 * 4096);
	if (!gdt || !pml4 || !pdpt || !pd)
		return vmm_err("guest RAM is too small for the boot page tables");
	memcpy(gdt, boot_gdt, sizeof(boot_gdt));
	memset(pml4, 0, 4096);
	memset(pdpt, 0, 4096);
	pml4[0] = LAYOUT_PDPT | PTE_P | PTE_RW;
	for (int i = 0; i < 4; i++)
		pdpt[i] = (LAYOUT_PD + i * 4096) | PTE_P | PTE_RW;
	for (uint64_t i = 0; i < 4 * 512; i++)
		pd[i] = (i << 21) | PD_LARGE;
	return 0;
}

static struct kvm_segment segment(uint16_t selector, uint8_t type, bool code64, bool db)
{
	return (struct kvm_segment){
	    .base = 0,
	    .limit = 0xffffffff,
	    .selector = selector,
	    .type = type,
	    .present = 1,
	    .s = 1,
	    .l = code64,
	    .db = db,
	    .g = 1,
	};
}

static void set_flat_segments(struct kvm_sregs *sregs, bool long_mode)
{
	struct kvm_segment data = segment(GDT_DATA, 3, false, true);
	sregs->cs =
	    long_mode ? segment(GDT_CODE64, 11, true, false) : segment(GDT_CODE32, 11, false, true);
	sregs->ds = sregs->es = sregs->fs = sregs->gs = sregs->ss = data;
	sregs->tr =
	    (struct kvm_segment){.selector = GDT_TSS, .limit = 0x67, .type = 11, .present = 1};
	sregs->gdt.base = LAYOUT_GDT;
	sregs->gdt.limit = sizeof(boot_gdt) - 1;
}

int regs_setup_entry(int vcpu_fd, const struct boot_entry *entry)
{
	struct kvm_sregs sregs;
	if (ioctl(vcpu_fd, KVM_GET_SREGS, &sregs) < 0)
		return vmm_err("KVM_GET_SREGS: %s", strerror(errno));
	bool long_mode = entry->mode == BOOT_MODE_64BIT;
	set_flat_segments(&sregs, long_mode);
	sregs.cr0 = X86_CR0_PE | X86_CR0_ET;
	sregs.cr4 = 0;
	sregs.efer = 0;
	if (long_mode) {
		sregs.cr3 = LAYOUT_PML4;
		sregs.cr4 |= X86_CR4_PAE;
		sregs.cr0 |= X86_CR0_PG;
		sregs.efer |= EFER_LME | EFER_LMA;
	}
	if (ioctl(vcpu_fd, KVM_SET_SREGS, &sregs) < 0)
		return vmm_err("KVM_SET_SREGS: %s", strerror(errno));
	struct kvm_regs regs = {
	    .rip = entry->rip,
	    .rsi = entry->rsi,
	    .rbx = entry->rbx,
	    .rdi = entry->rdi,
	    .rdx = entry->rdx,
	    .rsp = entry->rsp,
	    .rflags = 2, /* bit 1 is always set; interrupts off */
	};
	if (ioctl(vcpu_fd, KVM_SET_REGS, &regs) < 0)
		return vmm_err("KVM_SET_REGS: %s", strerror(errno));
	return 0;
}

static int set_lapic_lints(int vcpu_fd)
{
	struct kvm_lapic_state lapic;
	if (ioctl(vcpu_fd, KVM_GET_LAPIC, &lapic) < 0)
		return vmm_err("KVM_GET_LAPIC: %s", strerror(errno));
	/* As a PC BIOS leaves it: LINT0 carries the 8259's ExtINT, LINT1 the NMI. */
	uint32_t lvt0, lvt1;
	memcpy(&lvt0, lapic.regs + APIC_LVT0, 4);
	memcpy(&lvt1, lapic.regs + APIC_LVT1, 4);
	lvt0 = (lvt0 & ~0x700u & ~(1u << 16)) | (APIC_MODE_EXTINT << 8);
	lvt1 = (lvt1 & ~0x700u & ~(1u << 16)) | (APIC_MODE_NMI << 8);
	memcpy(lapic.regs + APIC_LVT0, &lvt0, 4);
	memcpy(lapic.regs + APIC_LVT1, &lvt1, 4);
	if (ioctl(vcpu_fd, KVM_SET_LAPIC, &lapic) < 0)
		return vmm_err("KVM_SET_LAPIC: %s", strerror(errno));
	return 0;
}

int regs_setup_common(int vcpu_fd)
{
	struct kvm_fpu fpu = {.fcw = 0x37f, .mxcsr = 0x1f80};
	if (ioctl(vcpu_fd, KVM_SET_FPU, &fpu) < 0)
		return vmm_err("KVM_SET_FPU: %s", strerror(errno));
	/* struct kvm_msrs ends in a flexible array: give it room for one entry. */
	union {
		struct kvm_msrs msrs;
		uint8_t room[sizeof(struct kvm_msrs) + sizeof(struct kvm_msr_entry)];
	} buf = {0};
	buf.msrs.nmsrs = 1;
	buf.msrs.entries[0].index = MSR_IA32_MISC_ENABLE;
	buf.msrs.entries[0].data = MISC_ENABLE_FAST_STRING;
	if (ioctl(vcpu_fd, KVM_SET_MSRS, &buf.msrs) != 1)
		return vmm_err("KVM_SET_MSRS: cannot set IA32_MISC_ENABLE");
	return set_lapic_lints(vcpu_fd);
}

int regs_make_runnable(int vcpu_fd)
{
	struct kvm_mp_state state = {.mp_state = KVM_MP_STATE_RUNNABLE};
	if (ioctl(vcpu_fd, KVM_SET_MP_STATE, &state) < 0)
		return vmm_err("KVM_SET_MP_STATE: %s", strerror(errno));
	return 0;
}
