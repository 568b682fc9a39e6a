/*
 * syscall: drops to user mode (CPL 3) and executes SYSCALL, the way every
 * Linux program enters its kernel, then reports where the CPU arrived.
 * The entry point executes UD2 at once; the #UD handler (an exception is
 * always delivered at CPL 0) looks at the CS the entry ran with.
 *   exit 0  SYSCALL entered the kernel at CPL 0, as the architecture says
 *   exit 3  SYSCALL jumped to LSTAR but stayed at CPL 3 (seen on PVM hosts;
 *           no Linux userspace can run there)
 *   exit 4  something else faulted
 */
#include "payload.h"

#define KERNEL_CS 0x08
#define USER_DS	  0x23 /* GDT entry 4, RPL 3 */
#define USER_CS	  0x2b /* GDT entry 5, RPL 3 */
#define TSS_SEL	  0x30
#define PTE_USER  4
#define MSR_EFER  0xc0000080
#define MSR_STAR  0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_FMASK 0xc0000084
#define EFER_SCE  1

struct __attribute__((packed)) table_ptr {
	unsigned short limit;
	unsigned long base;
};

/* Linux's layout: SYSRET derives the user selectors from STAR[63:48] = 0x18. */
static unsigned long gdt[8] __attribute__((aligned(16))) = {
    0,
    0x00af9b000000ffffUL, /* 0x08 kernel code */
    0x00cf93000000ffffUL, /* 0x10 kernel data */
    0x00cffb000000ffffUL, /* 0x18 user code, 32-bit */
    0x00cff3000000ffffUL, /* 0x20 user data */
    0x00affb000000ffffUL, /* 0x28 user code, 64-bit */
    0,
    0, /* 0x30 TSS, filled in at run time */
};
static unsigned int tss[26] __attribute__((aligned(16)));
static unsigned long idt[2 * 32] __attribute__((aligned(16)));
static char kernel_stack[4096] __attribute__((aligned(16)));
static char user_stack[4096] __attribute__((aligned(16)));

extern char syscall_entry[], ud_entry[], other_fault_entry[], user_code[];

__asm__(".text\n"
	"syscall_entry:\n"
	"	ud2\n"
	"ud_entry:\n" /* frame: rip, cs, rflags, rsp, ss */
	"	mov %rsp, %rdi\n"
	"	call on_ud\n"
	"other_fault_entry:\n"
	"	call on_other_fault\n"
	"user_code:\n"
	"	syscall\n"
	"	ud2\n");

static void wrmsr(unsigned msr, unsigned long value)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"((unsigned)value), "d"((unsigned)(value >> 32)));
}

static unsigned long rdmsr(unsigned msr)
{
	unsigned lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((unsigned long)hi << 32) | lo;
}

__attribute__((used, noreturn)) static void on_ud(const unsigned long *frame)
{
	if (frame[0] != (unsigned long)syscall_entry) {
		serial_puts("syscall: unexpected #UD\n");
		vm_exit(4);
	}
	if ((frame[1] & 3) == 0) {
		serial_puts("syscall: entered the kernel at CPL 0\n");
		vm_exit(0);
	}
	serial_puts("syscall: reached the entry point but stayed at CPL 3\n");
	vm_exit(3);
}

__attribute__((used, noreturn)) static void on_other_fault(void)
{
	serial_puts("syscall: unexpected fault\n");
	vm_exit(4);
}

static void set_gate(int vector, const void *handler)
{
	unsigned long a = (unsigned long)handler;
	idt[vector * 2] = (a & 0xffff) | ((unsigned long)KERNEL_CS << 16) | (0x8eUL << 40) |
			  ((a >> 16) & 0xffff) << 48;
	idt[vector * 2 + 1] = a >> 32;
}

/* vmm's identity map is supervisor-only; user mode needs the U bit at every level. */
static void allow_user_access(void)
{
	unsigned long cr3;
	__asm__ volatile("mov %%cr3, %0" : "=r"(cr3));
	unsigned long *pml4 = (unsigned long *)(cr3 & ~0xfffUL);
	pml4[0] |= PTE_USER;
	unsigned long *pdpt = (unsigned long *)(pml4[0] & ~0xfffUL);
	for (int i = 0; i < 4; i++) {
		pdpt[i] |= PTE_USER;
		unsigned long *pd = (unsigned long *)(pdpt[i] & ~0xfffUL);
		for (int j = 0; j < 512; j++)
			pd[j] |= PTE_USER;
	}
	__asm__ volatile("mov %0, %%cr3" : : "r"(cr3) : "memory");
}

static void load_tables(void)
{
	unsigned long t = (unsigned long)tss;
	unsigned long rsp0 = (unsigned long)kernel_stack + sizeof(kernel_stack);
	tss[1] = (unsigned)rsp0; /* the 64-bit TSS keeps rsp0 at byte 4 */
	tss[2] = (unsigned)(rsp0 >> 32);
	gdt[6] = 103 | ((t & 0xffffff) << 16) | (0x89UL << 40) | ((t >> 24) & 0xff) << 56;
	gdt[7] = t >> 32;
	struct table_ptr g = {sizeof(gdt) - 1, (unsigned long)gdt};
	struct table_ptr i = {sizeof(idt) - 1, (unsigned long)idt};
	for (int v = 0; v < 32; v++)
		set_gate(v, other_fault_entry);
	set_gate(6, ud_entry);
	__asm__ volatile("lgdt %0; lidt %1; ltr %w2" : : "m"(g), "m"(i), "r"(TSS_SEL));
}

PAYLOAD_ENTRY void _start(unsigned long cpu, unsigned long ncpus, const char *cmdline)
{
	(void)cpu;
	(void)ncpus;
	(void)cmdline;
	allow_user_access();
	load_tables();
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SCE);
	wrmsr(MSR_STAR, (0x18UL << 48) | ((unsigned long)KERNEL_CS << 32));
	wrmsr(MSR_LSTAR, (unsigned long)syscall_entry);
	wrmsr(MSR_FMASK, 0x200);
	serial_puts("syscall: from CPL 3\n");
	__asm__ volatile("push %0; push %1; push $2; push %2; push %3; iretq"
			 :
			 : "i"(USER_DS), "r"((unsigned long)user_stack + sizeof(user_stack)),
			   "i"(USER_CS), "r"((unsigned long)user_code));
	halt_forever();
}
