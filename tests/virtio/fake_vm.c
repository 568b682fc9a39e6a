/* The fake machine behind fake_vm.h; its buses are the real ones (vmm/bus.c). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../vmm/event_loop.h"
#include "fake_vm.h"

struct vm {
	struct guest_mem mem;
	struct bus mmio, pio;
	int next_irq;
	uint64_t next_mmio;
	char cmdline[4096];
	int exit_status;
	int irq_level[32];
	unsigned irq_edges[32]; /* 0 -> 1 changes of each line */
	struct event_loop *loop;
	struct virtio_dev *virtio_devices;
};

struct vm *fake_vm_new(uint64_t ram_size)
{
	struct vm *vm = calloc(1, sizeof(*vm));
	if (!vm)
		return NULL;
	vm->mem.region[0].gpa = FAKE_RAM_BASE;
	vm->mem.region[0].size = ram_size;
	vm->mem.region[0].host = calloc(1, ram_size ? ram_size : 1);
	vm->mem.nr_regions = 1;
	vm->mmio.name = "mmio";
	vm->pio.name = "pio";
	vm->next_irq = 5;
	vm->next_mmio = 0xd0000000ull;
	vm->loop = event_loop_create();
	if (!vm->loop) {
		free(vm);
		return NULL;
	}
	return vm;
}

void fake_vm_free(struct vm *vm)
{
	free(vm->mem.region[0].host);
	event_loop_destroy(vm->loop);
	free(vm);
}

void *fake_gpa(struct vm *vm, uint64_t gpa)
{
	return guest_mem_ptr(&vm->mem, gpa, 1);
}

int fake_exit_status(struct vm *vm)
{
	return vm->exit_status;
}

const char *fake_cmdline(struct vm *vm)
{
	return vm->cmdline;
}

struct bus_device *fake_mmio_dev(struct vm *vm, int n)
{
	return n < vm->mmio.nr_devices ? vm->mmio.devices[n] : NULL;
}

uint32_t fake_mmio_read(struct vm *vm, int n, uint64_t off)
{
	uint32_t v = 0;
	struct bus_device *d = fake_mmio_dev(vm, n);
	bus_access(&vm->mmio, d->base + off, &v, 4, false);
	return v;
}

void fake_mmio_write(struct vm *vm, int n, uint64_t off, uint32_t val)
{
	struct bus_device *d = fake_mmio_dev(vm, n);
	bus_access(&vm->mmio, d->base + off, &val, 4, true);
}

struct event_loop *vm_event_loop(const struct vm *vm)
{
	return vm->loop;
}

struct virtio_dev **vm_virtio_devices(struct vm *vm)
{
	return &vm->virtio_devices;
}

bool vm_incoming(const struct vm *vm)
{
	(void)vm;
	return false;
}

int vm_fd(const struct vm *vm)
{
	(void)vm;
	return -1;
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
	return vm->next_irq < 24 ? vm->next_irq++ : -1;
}

uint64_t vm_alloc_mmio(struct vm *vm, uint64_t size)
{
	uint64_t base = vm->next_mmio;
	vm->next_mmio += (size + 0xfff) & ~0xfffull;
	return base;
}

int vm_cmdline_append(struct vm *vm, const char *fmt, ...)
{
	size_t used = strlen(vm->cmdline);
	va_list ap;
	va_start(ap, fmt);
	int n = snprintf(vm->cmdline + used, sizeof(vm->cmdline) - used, " ");
	n += vsnprintf(vm->cmdline + used + 1, sizeof(vm->cmdline) - used - 1, fmt, ap);
	va_end(ap);
	if (used + (size_t)n >= sizeof(vm->cmdline)) {
		vm->cmdline[used] = 0;
		return -1;
	}
	return 0;
}

/* Announces as vmm's x86 does (a kernel parameter), so tests can read the window back. */
int vm_announce_mmio_device(struct vm *vm, const char *compatible, uint64_t base, uint64_t size,
			    int irq)
{
	(void)compatible;
	return vm_cmdline_append(vm, "virtio_mmio.device=0x%llx@0x%llx:%d",
				 (unsigned long long)size, (unsigned long long)base, irq);
}

int vm_add_stats_hook(struct vm *vm, void (*fn)(void *opaque, FILE *out), void *opaque)
{
	(void)vm;
	(void)fn;
	(void)opaque;
	return 0;
}

void vm_request_exit(struct vm *vm, int status)
{
	vm->exit_status = status;
}

int vm_set_irq_line(struct vm *vm, int gsi, int level)
{
	if (gsi < 0 || gsi >= 32)
		return -1;
	if (level && !vm->irq_level[gsi])
		vm->irq_edges[gsi]++;
	vm->irq_level[gsi] = level;
	return 0;
}

unsigned fake_irq_edges(struct vm *vm, int gsi)
{
	return vm->irq_edges[gsi];
}

/* No KVM to queue writes: every write is handled at once. */
int vm_batch_writes(struct vm *vm, struct bus *bus, uint64_t addr, uint32_t len, bool enable)
{
	(void)vm;
	(void)bus;
	(void)addr;
	(void)len;
	(void)enable;
	errno = ENOTSUP;
	return -1;
}
