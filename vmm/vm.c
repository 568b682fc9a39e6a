#include "machine.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "event_loop.h"
#include "util.h"
#include "vcpu.h"
#include "x86/layout.h"

/* Where KVM on VMX keeps its real-mode TSS; harmless elsewhere, must not overlap RAM. */
#define KVM_TSS_ADDR 0xfffbd000

#define MAX_STATS_HOOKS 16

struct stats_hook {
	void (*fn)(void *opaque, FILE *out);
	void *opaque;
};

struct vm {
	struct kvm_host *host;
	int fd;
	struct guest_mem mem;
	struct bus pio;
	struct bus mmio;
	int next_gsi;
	uint64_t next_mmio;
	char device_cmdline[LAYOUT_CMDLINE_MAX];
	struct vcpu **vcpus;
	int nr_vcpus;
	atomic_bool exit_requested;
	atomic_int exit_status;
	_Atomic int64_t marker_ms;
	struct stats_hook stats_hooks[MAX_STATS_HOOKS];
	int nr_stats_hooks;
	struct event_loop *loop;	   /* every fd the VM's devices wait on */
	struct virtio_dev *virtio_devices; /* virtio/mmio.c's list */
};

static int add_ram(struct vm *vm, uint64_t gpa, uint64_t size)
{
	/* No prefault: the host only backs pages the guest touches. */
	void *host = mmap(NULL, size, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (host == MAP_FAILED)
		return vmm_err("cannot map %llu MiB of guest RAM: %s",
			       (unsigned long long)(size >> 20), strerror(errno));
	int slot = vm->mem.nr_regions;
	vm->mem.region[slot] = (struct guest_region){.gpa = gpa, .size = size, .host = host};
	vm->mem.nr_regions++;
	struct kvm_userspace_memory_region region = {
	    .slot = slot,
	    .guest_phys_addr = gpa,
	    .memory_size = size,
	    .userspace_addr = (uintptr_t)host,
	};
	if (ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		return vmm_err("KVM_SET_USER_MEMORY_REGION: %s", strerror(errno));
	return 0;
}

static int setup_memory(struct vm *vm, uint64_t mem_size)
{
	uint64_t low = mem_size < LAYOUT_LOWMEM_END ? mem_size : LAYOUT_LOWMEM_END;
	if (add_ram(vm, 0, low) < 0)
		return -1;
	if (mem_size > low)
		return add_ram(vm, LAYOUT_HIGHMEM, mem_size - low);
	return 0;
}

static int setup_irqchip(struct vm *vm)
{
	if (ioctl(vm->fd, KVM_SET_TSS_ADDR, KVM_TSS_ADDR) < 0 && errno != ENOTTY)
		return vmm_err("KVM_SET_TSS_ADDR: %s", strerror(errno));
	if (ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0) < 0)
		return vmm_err("KVM_CREATE_IRQCHIP: %s", strerror(errno));
	/* Port 0x61 (speaker/PIT gate) is answered in the kernel, with no exits. */
	struct kvm_pit_config pit = {.flags = KVM_PIT_SPEAKER_DUMMY};
	if (ioctl(vm->fd, KVM_CREATE_PIT2, &pit) < 0)
		return vmm_err("KVM_CREATE_PIT2: %s", strerror(errno));
	return 0;
}

struct vm *vm_create(struct kvm_host *host, uint64_t mem_size, int nr_vcpus)
{
	struct vm *vm = calloc(1, sizeof(*vm));
	if (!vm) {
		vmm_err("out of memory");
		return NULL;
	}
	vm->host = host;
	vm->pio.name = "pio";
	vm->mmio.name = "mmio";
	vm->next_gsi = LAYOUT_FIRST_DEVICE_GSI;
	vm->next_mmio = LAYOUT_MMIO_START;
	vm->marker_ms = -1;
	vm->loop = event_loop_create();
	if (!vm->loop) {
		free(vm);
		return NULL;
	}
	vm->fd = ioctl(host->fd, KVM_CREATE_VM, 0);
	if (vm->fd < 0) {
		vmm_err("KVM_CREATE_VM: %s", strerror(errno));
		event_loop_destroy(vm->loop);
		free(vm);
		return NULL;
	}
	if (setup_memory(vm, mem_size) < 0 || setup_irqchip(vm) < 0)
		goto fail;
	vm->vcpus = calloc(nr_vcpus, sizeof(*vm->vcpus));
	if (!vm->vcpus) {
		vmm_err("out of memory");
		goto fail;
	}
	for (int i = 0; i < nr_vcpus; i++) {
		vm->vcpus[i] = vcpu_create(vm, i, nr_vcpus);
		if (!vm->vcpus[i])
			goto fail;
		vm->nr_vcpus++;
	}
	return vm;
fail:
	vm_destroy(vm);
	return NULL;
}

void vm_destroy(struct vm *vm)
{
	if (!vm)
		return;
	for (int i = 0; i < vm->nr_vcpus; i++)
		vcpu_destroy(vm->vcpus[i]);
	free(vm->vcpus);
	for (int i = 0; i < vm->mem.nr_regions; i++)
		munmap(vm->mem.region[i].host, vm->mem.region[i].size);
	if (vm->fd >= 0)
		close(vm->fd);
	event_loop_destroy(vm->loop);
	free(vm);
}

struct event_loop *vm_event_loop(const struct vm *vm)
{
	return vm->loop;
}

struct virtio_dev **vm_virtio_devices(struct vm *vm)
{
	return &vm->virtio_devices;
}

int vm_fd(const struct vm *vm)
{
	return vm->fd;
}

const struct guest_mem *vm_mem(const struct vm *vm)
{
	return &vm->mem;
}

struct bus *vm_pio_bus(struct vm *vm)
{
	return &vm->pio;
}

struct bus *vm_mmio_bus(struct vm *vm)
{
	return &vm->mmio;
}

int vm_alloc_irq(struct vm *vm)
{
	if (vm->next_gsi > LAYOUT_LAST_GSI)
		return -1;
	return vm->next_gsi++;
}

uint64_t vm_alloc_mmio(struct vm *vm, uint64_t size)
{
	if (size == 0)
		return 0;
	uint64_t aligned = (size + 0xfff) & ~0xfffULL;
	if (aligned < size || aligned > LAYOUT_MMIO_END - vm->next_mmio)
		return 0;
	uint64_t base = vm->next_mmio;
	vm->next_mmio += aligned;
	return base;
}

int vm_cmdline_append(struct vm *vm, const char *fmt, ...)
{
	size_t used = strlen(vm->device_cmdline);
	size_t room = sizeof(vm->device_cmdline) - used;
	va_list ap;
	va_start(ap, fmt);
	int n = snprintf(vm->device_cmdline + used, room, " ");
	n += vsnprintf(vm->device_cmdline + used + 1, room - 1, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= room) {
		vm->device_cmdline[used] = '\0';
		return -1;
	}
	return 0;
}

int vm_set_irq_line(struct vm *vm, int gsi, int level)
{
	struct kvm_irq_level irq = {.irq = gsi, .level = level};
	return ioctl(vm->fd, KVM_IRQ_LINE, &irq);
}

void vm_request_exit(struct vm *vm, int status)
{
	bool expected = false;
	/* The first reason to stop wins: a later triple fault must not mask an exit status. */
	if (atomic_compare_exchange_strong(&vm->exit_requested, &expected, true))
		vm->exit_status = status;
	for (int i = 0; i < vm->nr_vcpus; i++)
		vcpu_kick(vm->vcpus[i]);
}

struct kvm_host *vm_host(const struct vm *vm)
{
	return vm->host;
}

int vm_nr_vcpus(const struct vm *vm)
{
	return vm->nr_vcpus;
}

struct vcpu *vm_vcpu(const struct vm *vm, int index)
{
	return vm->vcpus[index];
}

const char *vm_device_cmdline(const struct vm *vm)
{
	return vm->device_cmdline;
}

bool vm_exit_requested(const struct vm *vm)
{
	return vm->exit_requested;
}

int vm_exit_status(const struct vm *vm)
{
	return vm->exit_status;
}

void vm_record_marker(struct vm *vm)
{
	int64_t none = -1;
	atomic_compare_exchange_strong(&vm->marker_ms, &none, (int64_t)vmm_uptime_ms());
}

int64_t vm_marker_ms(const struct vm *vm)
{
	return vm->marker_ms;
}

int vm_add_stats_hook(struct vm *vm, void (*fn)(void *opaque, FILE *out), void *opaque)
{
	if (vm->nr_stats_hooks == MAX_STATS_HOOKS)
		return -1;
	vm->stats_hooks[vm->nr_stats_hooks++] = (struct stats_hook){fn, opaque};
	return 0;
}

void vm_print_device_stats(const struct vm *vm, FILE *out)
{
	for (int i = 0; i < vm->nr_stats_hooks; i++)
		vm->stats_hooks[i].fn(vm->stats_hooks[i].opaque, out);
}
