/*
 * Booting an arm64 guest (Documentation/arch/arm64/booting.rst): the Image
 * at the 2 MiB-aligned start of RAM + text_offset, then, in the 2 MiB
 * blocks right above it, the device tree and the initrd (inside the 1 GiB
 * window around the kernel that booting.rst asks the initrd to share, for
 * any --mem), and vCPU 0 entering the Image with x0 = the tree. Firmware
 * payloads get the entry state firmware/isolab-abi.h documents.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../arch.h"
#include "../machine.h"
#include "../util.h"
#include "../vcpu.h"
#include "board.h"
#include "fdt.h"
#include "image.h"
#include "layout.h"
#include "regs.h"

#define PAYLOAD_MAX (ISOLAB_ARM64_CMDLINE - ISOLAB_ARM64_PAYLOAD)
#define CMDLINE_MAX 4096

static uint64_t align_up(uint64_t v, uint64_t align)
{
	return (v + align - 1) & ~(align - 1);
}

static int write_dtb_file(const char *path, const void *dtb, size_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return vmm_err("--dump-dtb %s: %s", path, strerror(errno));
	ssize_t n = write(fd, dtb, size);
	int err = n < 0 ? errno : 0;
	if (close(fd) < 0 && !err)
		err = errno;
	if (err || (size_t)n != size)
		return vmm_err("--dump-dtb %s: %s", path, err ? strerror(err) : "short write");
	return 0;
}

/* Builds the tree into buf (size bytes), and writes it to --dump-dtb's file when asked. */
static int build_dtb(struct vm *vm, const char *bootargs, uint64_t initrd_start,
		     uint64_t initrd_end, void *buf, size_t size)
{
	const struct arch_vm *arch = vm_arch(vm);
	struct arm64_dt_machine m = {
	    .ram_base = ARM64_RAM_BASE,
	    .ram_size = guest_mem_total(vm_mem(vm)),
	    .nr_cpus = vm_nr_vcpus(vm),
	    .gic_dist_base = ARM64_GIC_DIST_BASE,
	    .gic_dist_size = ARM64_GIC_DIST_SIZE,
	    .gic_redist_base = ARM64_GIC_REDIST_BASE,
	    .gic_redist_size = (uint64_t)vm_nr_vcpus(vm) * ARM64_GIC_REDIST_PER_VCPU,
	    .uart_base = ARM64_UART_BASE,
	    .uart_size = ARM64_UART_SIZE,
	    .uart_spi = ARM64_UART_SPI,
	    .uart_clock_hz = ARM64_UART_CLOCK_HZ,
	    .exit_base = ARM64_ISOLAB_BASE,
	    .exit_size = ARM64_ISOLAB_SIZE,
	    .devices = arch->devices,
	    .nr_devices = arch->nr_devices,
	    .bootargs = bootargs,
	    .initrd_start = initrd_start,
	    .initrd_end = initrd_end,
	};
	int total = arm64_dt_build(&m, buf, size);
	if (total < 0)
		return -1;
	const char *dump = vm_config(vm)->dump_dtb;
	return dump && write_dtb_file(dump, buf, (size_t)total) < 0 ? -1 : 0;
}

static int copy_in(const struct guest_mem *mem, uint64_t gpa, const void *src, size_t size)
{
	void *dst = guest_mem_ptr(mem, gpa, size);
	if (!dst)
		return -1;
	memcpy(dst, src, size);
	return 0;
}

int arch_load_linux(struct vm *vm, const struct image_file *kernel, const struct image_file *initrd,
		    const char *cmdline)
{
	const struct guest_mem *mem = vm_mem(vm);
	uint64_t ram_size = guest_mem_total(mem), ram_end = ARM64_RAM_BASE + ram_size;
	struct arm64_image img;
	if (arm64_image_parse(kernel->data, kernel->size, ram_size, &img) < 0)
		return -1;
	uint64_t kernel_gpa = ARM64_RAM_BASE + img.text_offset;
	uint64_t dtb_gpa = align_up(kernel_gpa + img.image_size, ARM64_IMAGE_ALIGN);
	uint64_t initrd_gpa = dtb_gpa + ARM64_DTB_MAX;
	uint64_t initrd_size = initrd->data ? initrd->size : 0;
	if (initrd_gpa > ram_end || initrd_size > ram_end - initrd_gpa)
		return vmm_err(
		    "the kernel (%llu MiB), device tree and initrd (%llu MiB) do not fit "
		    "in --mem %llu MiB",
		    (unsigned long long)(img.image_size >> 20),
		    (unsigned long long)(initrd_size >> 20), (unsigned long long)(ram_size >> 20));
	copy_in(mem, kernel_gpa, kernel->data, kernel->size);
	if (initrd_size)
		copy_in(mem, initrd_gpa, initrd->data, initrd_size);
	void *dtb = guest_mem_ptr(mem, dtb_gpa, ARM64_DTB_MAX);
	if (!dtb || build_dtb(vm, cmdline, initrd_size ? initrd_gpa : 0,
			      initrd_size ? initrd_gpa + initrd_size : 0, dtb, ARM64_DTB_MAX) < 0)
		return -1;
	/* The others stay off (KVM_ARM_VCPU_POWER_OFF) until Linux calls PSCI CPU_ON. */
	struct arm64_entry entry = {.pc = kernel_gpa, .x = {dtb_gpa, 0, 0, 0}};
	return arm64_set_entry(vcpu_fd(vm_vcpu(vm, 0)), &entry);
}

int arch_load_firmware(struct vm *vm, const struct image_file *payload, const char *cmdline)
{
	const struct guest_mem *mem = vm_mem(vm);
	if (payload->size > PAYLOAD_MAX ||
	    copy_in(mem, ISOLAB_ARM64_PAYLOAD, payload->data, payload->size) < 0)
		return vmm_err("firmware (%zu KiB) is larger than the %llu KiB arm64 payloads get",
			       payload->size >> 10, (unsigned long long)(PAYLOAD_MAX >> 10));
	size_t len = strlen(cmdline) + 1;
	if (len > CMDLINE_MAX || copy_in(mem, ISOLAB_ARM64_CMDLINE, cmdline, len) < 0)
		return vmm_err("command line is longer than %d bytes", CMDLINE_MAX - 1);
	if (vm_config(vm)->dump_dtb) {
		/* Payloads read no tree; this one is only for the file. */
		void *tree = malloc(ARM64_DTB_MAX);
		int ret = tree ? build_dtb(vm, cmdline, 0, 0, tree, ARM64_DTB_MAX)
			       : vmm_err("out of memory");
		free(tree);
		if (ret < 0)
			return -1;
	}
	/* vCPU 0 only: a payload starts the others with PSCI CPU_ON (context id = index). */
	struct arm64_entry entry = {
	    .pc = ISOLAB_ARM64_PAYLOAD,
	    .x = {0, (uint64_t)vm_nr_vcpus(vm), ISOLAB_ARM64_CMDLINE, 0},
	    .sp = ISOLAB_ARM64_STACK_TOP,
	};
	return arm64_set_entry(vcpu_fd(vm_vcpu(vm, 0)), &entry);
}
