/*
 * monitor_target: a guest for the vmm monitor's tests. vCPU 0 maps one
 * page at a higher-half address through 4 KiB page tables of its own (so
 * `x` has a real walk to do), checks it can read it, says "ready", and
 * then every vCPU spins forever with known values in its registers,
 * writing COM1's scratch register so its I/O exit counter keeps climbing.
 * An NMI is counted in nmi_count and the spin goes on.
 */
#include "payload.h"

#define HIGH_VA	   0xffff800000000000ULL
#define BOOT_PML4  0x9000ULL /* vmm's identity map (see vmm --help, FIRMWARE) */
#define PTE_P_RW   0x3ULL
#define COM1_SCR   (COM1 + 7)
#define PAGE_ALIGN __attribute__((aligned(4096)))

static const char target_page[4096] PAGE_ALIGN =
    "isolab monitor target: mapped at 0xffff800000000000";
static unsigned long long pdpt[512] PAGE_ALIGN, pd[512] PAGE_ALIGN, pt[512] PAGE_ALIGN;

/* Counts NMIs (the monitor's `nmi`); tests read it with xp at the address nm gives. */
volatile unsigned long long nmi_count;

/*
 * The NMI handler: count and return. A bare label in asm, as no C prologue
 * may run; the lock, as both vCPUs may take their NMI at once.
 */
__asm__(".text\n"
	"nmi_entry:\n\t"
	"lock incq nmi_count(%rip)\n\t"
	"iretq\n");
extern char nmi_entry[];

/* Vectors 0 to 2, 16 bytes each: only vector 2 (NMI) is present. */
static unsigned long long idt[6] __attribute__((aligned(16)));

static void load_idt(void)
{
	unsigned long long handler = (unsigned long long)nmi_entry;
	/* 64-bit interrupt gate, present, DPL 0, code segment 0x10 (vmm's boot GDT). */
	idt[4] = (handler & 0xffff) | (0x10ULL << 16) | (0x8e00ULL << 32) |
		 ((handler >> 16 & 0xffff) << 48);
	idt[5] = handler >> 32;
	struct __attribute__((packed)) {
		unsigned short limit;
		unsigned long long base;
	} idtr = {sizeof(idt) - 1, (unsigned long long)idt};
	__asm__ volatile("lidt %0" : : "m"(idtr));
}

static void map_high_page(void)
{
	volatile unsigned long long *pml4 = (unsigned long long *)BOOT_PML4;
	pt[0] = (unsigned long long)target_page | PTE_P_RW;
	pd[0] = (unsigned long long)pt | PTE_P_RW;
	pdpt[0] = (unsigned long long)pd | PTE_P_RW;
	pml4[256] = (unsigned long long)pdpt | PTE_P_RW; /* index 256: bits 47:39 of HIGH_VA */
	unsigned long long cr3;
	__asm__ volatile("mov %%cr3, %0; mov %0, %%cr3" : "=r"(cr3) : : "memory");
}

static __attribute__((noreturn)) void spin(unsigned long cpu)
{
	/* The monitor's tests look for these values in `info registers`. */
	__asm__ volatile("mov $0x1111111111111111, %%rbx\n\t"
			 "mov $0x0123456789abcdef, %%r12\n\t"
			 "mov $0xfeedfacecafebeef, %%r13\n\t"
			 "mov $0x00000000deadbeef, %%r14\n\t"
			 "mov %0, %%r15\n\t"
			 "mov %1, %%dx\n\t"
			 "mov $0x5a, %%al\n\t"
			 "1: outb %%al, %%dx\n\t"
			 "jmp 1b"
			 :
			 : "r"(cpu), "i"(COM1_SCR)
			 : "rax", "rbx", "rdx", "r12", "r13", "r14", "r15", "memory");
	__builtin_unreachable();
}

PAYLOAD_ENTRY void _start(unsigned long cpu, unsigned long ncpus, const char *cmdline)
{
	(void)ncpus;
	(void)cmdline;
	load_idt();
	if (cpu == 0) {
		map_high_page();
		const volatile char *high = (const char *)HIGH_VA;
		serial_puts(high[0] == 'i' ? "monitor target ready\n" : "high mapping broken\n");
	}
	spin(cpu);
}
