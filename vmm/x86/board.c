/*
 * The PC board around the CPU: the in-kernel PIC/IOAPIC/PIT, COM1, the i8042 (whose reset line is
 * how Linux's reboot=k ends the VM), the isolab ports, and how devices are announced to Linux
 * (kernel parameters: x86 has no device tree).
 */
#include <errno.h>
#include <inttypes.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "../../firmware/isolab-abi.h"
#include "../arch.h"
#include "../dev/exit_port.h"
#include "../dev/serial.h"
#include "../machine.h"
#include "../util.h"
#include "cpuid.h"
#include "i8042.h"
#include "pmu.h"
#include "state.h"

/* Where KVM on VMX keeps its real-mode TSS; harmless elsewhere, must not overlap RAM. */
#define KVM_TSS_ADDR 0xfffbd000
#define COM1_PORT    0x3f8
#define COM1_IRQ     4

struct arch_vm {
	struct serial *uart;
	struct i8042 *kbc;
	struct exit_port *ports;
	struct paused_clock paused; /* state.c's, while the VM is paused */
};

struct paused_clock *board_paused_clock(struct vm *vm)
{
	return &vm_arch(vm)->paused;
}

/* The interrupt controllers and the PIT must exist before the first vCPU. */
static int create_irqchip(int vm_fd)
{
	if (ioctl(vm_fd, KVM_SET_TSS_ADDR, KVM_TSS_ADDR) < 0 && errno != ENOTTY)
		return vmm_err("KVM_SET_TSS_ADDR: %s", strerror(errno));
	if (ioctl(vm_fd, KVM_CREATE_IRQCHIP, 0) < 0)
		return vmm_err("KVM_CREATE_IRQCHIP: %s", strerror(errno));
	/* Port 0x61 (speaker/PIT gate) is answered in the kernel, with no exits. */
	struct kvm_pit_config pit = {.flags = KVM_PIT_SPEAKER_DUMMY};
	if (ioctl(vm_fd, KVM_CREATE_PIT2, &pit) < 0)
		return vmm_err("KVM_CREATE_PIT2: %s", strerror(errno));
	return 0;
}

struct arch_vm *arch_vm_create(struct vm *vm)
{
	struct arch_vm *arch = calloc(1, sizeof(*arch));
	if (!arch) {
		vmm_err("out of memory");
		return NULL;
	}
	if (create_irqchip(vm_fd(vm)) < 0 ||
	    (!vm_config(vm)->pmu && pmu_hide(vm_host(vm)->fd, vm_fd(vm)) < 0)) {
		free(arch);
		return NULL;
	}
	return arch;
}

void arch_vm_destroy(struct arch_vm *arch)
{
	if (!arch)
		return;
	exit_port_destroy(arch->ports);
	i8042_destroy(arch->kbc);
	serial_destroy(arch->uart);
	free(arch);
}

struct serial *arch_add_board_devices(struct vm *vm, int console_fd)
{
	struct arch_vm *arch = vm_arch(vm);
	struct bus *pio = vm_pio_bus(vm);
	arch->uart = serial_create(vm, pio, COM1_PORT, COM1_IRQ, console_fd);
	if (!arch->uart)
		return NULL;
	arch->kbc = i8042_create(vm);
	arch->ports = arch->kbc ? exit_port_create(vm, pio, ISOLAB_PORT_EXIT) : NULL;
	return arch->ports ? arch->uart : NULL;
}

int arch_announce_mmio_device(struct vm *vm, const char *compatible, uint64_t base, uint64_t size,
			      int irq)
{
	/* Linux's virtio_mmio driver takes its devices from the command line
	 * (VIRTIO_MMIO_CMDLINE_DEVICES). */
	if (strcmp(compatible, "virtio,mmio") != 0)
		return vmm_err("x86 cannot announce a %s device", compatible);
	return vm_cmdline_append(vm, "virtio_mmio.device=0x%" PRIx64 "@0x%" PRIx64 ":%d", size,
				 base, irq);
}

uint32_t arch_irq_line(int irq)
{
	return (uint32_t)irq; /* KVM_IRQ_LINE takes the GSI */
}

int arch_cmdline_base(const struct vm *vm, char *buf, size_t size)
{
	const char *emulated = vm_host(vm)->emulated ? " " CPUID_EMULATED_CMDLINE : "";
	int n = snprintf(buf, size, "console=ttyS0 reboot=k panic=-1 8250.nr_uarts=1%s", emulated);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}
