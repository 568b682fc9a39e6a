/* Puts a kernel or a firmware payload into a created VM and readies its vCPUs. */
#ifndef VMM_X86_SETUP_H
#define VMM_X86_SETUP_H

#include "../image_file.h"

struct vm;

/* Linux: bzImage or PVH vmlinux, plus the initrd when initrd->data is set. */
int setup_linux(struct vm *vm, const struct image_file *kernel, const struct image_file *initrd,
		const char *cmdline);
/* A flat payload at 0x100000 started on every vCPU in long mode (see vmm --help). */
int setup_firmware(struct vm *vm, const struct image_file *payload, const char *cmdline);

#endif
