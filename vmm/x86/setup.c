/* Loading Linux or a firmware payload into a created VM and readying its vCPUs (vmm/arch.h). */
#include <string.h>

#include "../arch.h"
#include "../machine.h"
#include "../util.h"
#include "../vcpu.h"
#include "boot.h"
#include "layout.h"
#include "mptable.h"
#include "regs.h"

#define FIRMWARE_STACK_SIZE 4096

static int setup_all_vcpus(struct vm *vm)
{
	if (regs_write_boot_tables(vm_mem(vm)) < 0 ||
	    mptable_write(vm_mem(vm), vm_nr_vcpus(vm)) < 0)
		return -1;
	for (int i = 0; i < vm_nr_vcpus(vm); i++) {
		if (regs_setup_common(vcpu_fd(vm_vcpu(vm, i))) < 0)
			return -1;
	}
	return 0;
}

int arch_load_linux(struct vm *vm, const struct image_file *kernel, const struct image_file *initrd,
		    const char *cmdline)
{
	if (setup_all_vcpus(vm) < 0)
		return -1;
	struct boot_config cfg = {
	    .cmdline = cmdline, .initrd = initrd->data, .initrd_size = initrd->size};
	struct boot_entry entry;
	int ret = image_is_elf(kernel->data, kernel->size)
		      ? pvh_load(vm_mem(vm), kernel->data, kernel->size, &cfg, &entry)
		      : bzimage_load(vm_mem(vm), kernel->data, kernel->size, &cfg, &entry);
	if (ret < 0)
		return -1;
	/* Only the boot CPU starts; Linux wakes the others with INIT/SIPI through the LAPIC. */
	return regs_setup_entry(vcpu_fd(vm_vcpu(vm, 0)), &entry);
}

int arch_load_firmware(struct vm *vm, const struct image_file *payload, const char *cmdline)
{
	if (setup_all_vcpus(vm) < 0)
		return -1;
	const struct guest_mem *mem = vm_mem(vm);
	uint8_t *dst = guest_mem_ptr(mem, LAYOUT_KERNEL, payload->size);
	if (!dst)
		return vmm_err("firmware (%zu KiB) does not fit in guest RAM above 1 MiB",
			       payload->size >> 10);
	memcpy(dst, payload->data, payload->size);
	if (cmdline_place(mem, cmdline, LAYOUT_CMDLINE_MAX) < 0)
		return vmm_err("command line is longer than %d bytes", LAYOUT_CMDLINE_MAX - 1);
	int n = vm_nr_vcpus(vm);
	for (int i = 0; i < n; i++) {
		struct boot_entry entry = {
		    .mode = BOOT_MODE_64BIT,
		    .rip = LAYOUT_KERNEL,
		    .rdi = (uint64_t)i,
		    .rsi = (uint64_t)n,
		    .rdx = LAYOUT_CMDLINE,
		    .rsp = LAYOUT_STACK_TOP - (uint64_t)i * FIRMWARE_STACK_SIZE,
		};
		int fd = vcpu_fd(vm_vcpu(vm, i));
		if (regs_setup_entry(fd, &entry) < 0 || (i > 0 && regs_make_runnable(fd) < 0))
			return -1;
	}
	return 0;
}
