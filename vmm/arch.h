/*
 * What the core (vm.c, vcpu.c, main.c) asks of the architecture. Each
 * architecture implements every hook in its own folder (vmm/x86/ and
 * vmm/arm64/); the Makefile links exactly one of them (ARCH=). The
 * core and the devices never include an arch folder's headers, so a second
 * architecture adds files without touching them. vmm/README.md has the
 * table of hooks with what x86 does and what arm64 will do.
 */
#ifndef VMM_ARCH_H
#define VMM_ARCH_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "guest_mem.h"
#include "image_file.h"

struct vm;
struct vcpu;
struct serial;
struct snap_writer;
struct snap_reader;

/* The longest kernel command line the core assembles (NUL included). */
#define ARCH_CMDLINE_MAX 4096

/* A KVM capability vmm cannot do without, and its name for the message. */
struct kvm_cap_need {
	int cap;
	const char *name; /* KVM_CAP_ without the prefix */
};
/* What this arch needs beyond the core's (x86: PIT2, EXT_CPUID). */
extern const struct kvm_cap_need arch_required_caps[];
extern const size_t arch_nr_required_caps;

/* Where the board puts things in guest physical memory and in the interrupt space. */
struct arch_layout {
	uint64_t mmio_start, mmio_end; /* vm_alloc_mmio hands out windows in [start, end) */
	int first_device_irq;	       /* vm_alloc_irq hands out lines in [first, last] */
	int last_device_irq;
};
extern const struct arch_layout arch_layout;

/* Splits mem_size bytes of RAM into guest regions (gpa and size set); returns how many, or -1
 * after a message (more than the arch can address). */
int arch_ram_regions(uint64_t mem_size, struct guest_region regions[GUEST_MEM_MAX_REGIONS]);

/* The arch's per-VM state (interrupt controller, board devices, device announcements). */
struct arch_vm;
/* After RAM and before any vCPU: creates the interrupt controller and timers. */
struct arch_vm *arch_vm_create(struct vm *vm);
/* After every vCPU exists (an interrupt controller that needs them finishes here). */
int arch_vm_vcpus_created(struct vm *vm);
void arch_vm_destroy(struct arch_vm *arch);

/*
 * Adds the board's own devices (console UART, reset and isolab exit/marker
 * devices) with guest output going to console_fd. Returns the console UART
 * (the core feeds it input); it belongs to the arch state.
 */
struct serial *arch_add_board_devices(struct vm *vm, int console_fd);
/*
 * Tells the guest kernel where a memory-mapped device is, in the way it
 * looks for one (compatible names the device-tree binding, e.g. "virtio,mmio").
 */
int arch_announce_mmio_device(struct vm *vm, const char *compatible, uint64_t base, uint64_t size,
			      int irq);

/* After KVM_CREATE_VCPU: the vCPU's identity and features (CPUID, target, PMU). */
int arch_vcpu_init(struct vm *vm, int vcpu_fd, int index, int nr_vcpus);

enum arch_exit {
	ARCH_EXIT_UNHANDLED, /* not an exit this arch finishes: the core reports it */
	ARCH_EXIT_DONE,	     /* handled, the vCPU runs on */
	ARCH_EXIT_COMPLETED, /* an instruction KVM gave up on was finished by vmm */
};
/* The KVM_IRQ_LINE number of device interrupt irq (x86: the GSI; arm64: SPI type and INTID). */
uint32_t arch_irq_line(int irq);

/* Exits only the arch knows (x86: port I/O, instructions PVM cannot emulate). */
enum arch_exit arch_vcpu_exit(struct vm *vm, int vcpu_fd, struct kvm_run *run, size_t run_size);

/* The vCPU's program counter, for messages (ARCH_PC_NAME says what the arch calls it).
 * ARCH_FIRMWARE_HELP is printf format text for vmm --help (a literal % is %%). */
int arch_vcpu_pc(int vcpu_fd, uint64_t *pc);
#if defined(__x86_64__)
#define ARCH_PC_NAME	     "rip"
#define ARCH_NAME	     "x86"
#define ARCH_HAS_DEVICE_TREE 0
#define ARCH_FIRMWARE_HELP                                                                         \
	"the file is loaded at 0x100000 and every vCPU starts there in\n"                          \
	"  64-bit mode, the low 4 GiB identity-mapped, interrupts off, with\n"                     \
	"  %%rdi = vCPU index, %%rsi = vCPU count, %%rdx = --cmdline text (NUL-ended),\n"          \
	"  %%rsp = a 4 KiB stack of its own. COM1 and ports 0xf4/0xf5 work as for Linux.\n"
#else
#define ARCH_PC_NAME	     "pc"
#define ARCH_NAME	     "arm64"
#define ARCH_HAS_DEVICE_TREE 1
#define ARCH_FIRMWARE_HELP                                                                         \
	"the file is loaded at 0x80000000 (RAM) and vCPU 0 starts there\n"                         \
	"  at EL1h, MMU off, DAIF masked, with x0 = 0, x1 = vCPU count, x2 = --cmdline\n"          \
	"  text (NUL-ended), sp = 0x80200000; it starts vCPU N with PSCI CPU_ON (context\n"        \
	"  id N lands in x0). The 8250 is at 0x9000000, the exit/marker bytes at\n"                \
	"  0x9010000/0x9010001; PSCI SYSTEM_OFF exits 0 (firmware/isolab-abi.h).\n"
#endif

/*
 * Snapshots and migration (vmm/snapshot/). arch_name goes into a snapshot's
 * header ("x86_64", "arm64"): another arch's snapshot is refused. The vCPU
 * hooks save and load one vCPU's whole state (x86: MP state, regs, sregs,
 * XSAVE, XCRs, debug registers, LAPIC, TSC rate, MSRs, events; arm64: every
 * register of KVM_GET_REG_LIST through KVM_GET_ONE_REG, MP state); save runs
 * with the vCPU parked, load on a vCPU created from the same options before
 * it first runs (after arch_vcpu_init: x86 CPUID is not saved but made
 * again). The VM hooks do the machine's own state (x86: PIC, IOAPIC, PIT,
 * kvmclock; arm64: the vGIC, its redistributors and the timers' counter);
 * load runs after every vCPU's. Each returns 0, or -1 after one message.
 */
extern const char arch_name[];
/*
 * vm_pause calls arch_vm_paused once every vCPU is parked, vm_resume calls
 * arch_vm_resuming before they run again: x86 keeps kvmclock and each
 * vCPU's TSC at the pause, sets them back on resume, and a snapshot saves
 * those values, so that neither a resumed nor a restored guest sees the time
 * it spent paused (its clocksource watchdog would complain); arm64 does the
 * same with the virtual counter (KVM_REG_ARM_TIMER_CNT).
 */
void arch_vm_paused(struct vm *vm);
void arch_vm_resuming(struct vm *vm);
int arch_vcpu_save(struct vm *vm, int vcpu_fd, struct snap_writer *w);
int arch_vcpu_load(struct vm *vm, int vcpu_fd, struct snap_reader *r);
int arch_vm_save(struct vm *vm, struct snap_writer *w);
int arch_vm_load(struct vm *vm, struct snap_reader *r);

/* The arch's first words of the kernel command line (console, reboot, host quirks). */
int arch_cmdline_base(const struct vm *vm, char *buf, size_t size);
/* Linux (the image format the arch boots) plus the initrd when initrd->data is set. */
int arch_load_linux(struct vm *vm, const struct image_file *kernel, const struct image_file *initrd,
		    const char *cmdline);
/* A flat test payload started on every vCPU (see vmm --help and vmm/README.md). */
int arch_load_firmware(struct vm *vm, const struct image_file *payload, const char *cmdline);

#endif
