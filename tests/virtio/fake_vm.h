/*
 * A machine without KVM for device tests and the fuzzer: guest RAM is a
 * malloc'd buffer at guest address FAKE_RAM_BASE, the buses are the real
 * vmm/bus.c ones, and vm_fd() is -1 so devices keep their eventfds to themselves.
 */
#ifndef TESTS_VIRTIO_FAKE_VM_H
#define TESTS_VIRTIO_FAKE_VM_H

#include <stdint.h>

#include "../../vmm/vm.h"

#define FAKE_RAM_BASE 0x100000ull

struct vm *fake_vm_new(uint64_t ram_size);
void fake_vm_free(struct vm *vm);
/* Host pointer for a guest address (NULL outside RAM). */
void *fake_gpa(struct vm *vm, uint64_t gpa);
const char *fake_cmdline(struct vm *vm);
/* The status a device asked vmm to exit with (vm_request_exit), 0 if none. */
int fake_exit_status(struct vm *vm);
/* How often a device raised interrupt line gsi (vm_set_irq_line 0 -> 1). */
unsigned fake_irq_edges(struct vm *vm, int gsi);
/* The device that was registered n-th on the MMIO bus. */
struct bus_device *fake_mmio_dev(struct vm *vm, int n);
/* 32-bit register access on device n, as a vCPU would do it. */
uint32_t fake_mmio_read(struct vm *vm, int n, uint64_t off);
void fake_mmio_write(struct vm *vm, int n, uint64_t off, uint32_t val);

#endif
