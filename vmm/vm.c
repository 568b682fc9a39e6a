#include "machine.h"

#include <errno.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "arch.h"
#include "event_loop.h"
#include "util.h"
#include "write_batch.h"

#define MAX_STATS_HOOKS 16

struct stats_hook {
	void (*fn)(void *opaque, FILE *out);
	void *opaque;
};

struct vm {
	struct kvm_host *host;
	struct vm_config config;
	int fd;
	struct guest_mem mem;
	struct bus pio;
	struct bus mmio;
	struct arch_vm *arch;
	int next_gsi;
	uint64_t next_mmio;
	char device_cmdline[ARCH_CMDLINE_MAX];
	struct vcpu **vcpus; /* owned by the vCPU layer (vcpus_create) */
	int nr_vcpus;
	const struct vcpu_control *vcpu_ctl;
	pthread_mutex_t pause_lock; /* one pause or resume at a time */
	atomic_bool paused;
	atomic_bool exit_requested;
	atomic_int exit_status;
	_Atomic int64_t marker_ms;
	struct stats_hook stats_hooks[MAX_STATS_HOOKS];
	int nr_stats_hooks;
	struct event_loop *loop;	   /* every fd the VM's devices wait on */
	struct virtio_dev *virtio_devices; /* virtio/mmio.c's list */
	struct write_batch batch;	   /* writes KVM queued instead of exiting */
	struct event_watch batch_flush;	   /* delivers them when no vCPU exits for a while */
	bool incoming;			   /* --incoming: the guest comes from a live migration */
};

#define HUGE_PAGE      (2ULL << 20)
#define BATCH_FLUSH_MS 20

/*
 * Guest RAM on a 2 MiB boundary with transparent huge pages asked for (as
 * QEMU does): KVM then maps it with 2 MiB entries, so the guest takes one
 * nested page fault per 2 MiB it touches instead of one per 4 KiB, which is
 * most of a boot's cost under nested virtualization. No prefault: the host
 * backs only what the guest touches, at 2 MiB granularity where THP is on.
 */
static void *map_ram(uint64_t size)
{
	uint8_t *area = mmap(NULL, size + HUGE_PAGE, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (area == MAP_FAILED)
		return NULL;
	uint8_t *host =
	    (uint8_t *)(((uintptr_t)area + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1));
	if (host > area)
		munmap(area, host - area);
	munmap(host + size, area + HUGE_PAGE - host);
	madvise(host, size, MADV_HUGEPAGE); /* advice only: fine where THP is off */
	return host;
}

static int add_ram(struct vm *vm, uint64_t gpa, uint64_t size)
{
	void *host = map_ram(size);
	if (!host)
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
	struct guest_region regions[GUEST_MEM_MAX_REGIONS];
	int n = arch_ram_regions(mem_size, regions);
	if (n < 0)
		return -1;
	for (int i = 0; i < n; i++)
		if (add_ram(vm, regions[i].gpa, regions[i].size) < 0)
			return -1;
	return 0;
}

struct vm *vm_create(struct kvm_host *host, const struct vm_config *config)
{
	struct vm *vm = calloc(1, sizeof(*vm));
	if (!vm) {
		vmm_err("out of memory");
		return NULL;
	}
	vm->host = host;
	vm->config = *config;
	vm->pio.name = "pio";
	vm->mmio.name = "mmio";
	vm->next_gsi = arch_layout.first_device_irq;
	vm->next_mmio = arch_layout.mmio_start;
	vm->marker_ms = -1;
	pthread_mutex_init(&vm->pause_lock, NULL);
	write_batch_init(&vm->batch);
	vm->batch_flush.fd = -1;
	vm->loop = event_loop_create();
	if (!vm->loop) {
		free(vm);
		return NULL;
	}
	vm->fd = ioctl(host->fd, KVM_CREATE_VM, 0);
	if (vm->fd < 0) {
		vmm_err("KVM_CREATE_VM: %s", strerror(errno));
		event_loop_destroy(vm->loop);
		write_batch_destroy(&vm->batch);
		pthread_mutex_destroy(&vm->pause_lock);
		free(vm);
		return NULL;
	}
	if (setup_memory(vm, config->mem_size) < 0 || !(vm->arch = arch_vm_create(vm))) {
		vm_destroy(vm);
		return NULL;
	}
	return vm;
}

void vm_destroy(struct vm *vm)
{
	if (!vm)
		return;
	arch_vm_destroy(vm->arch);
	for (int i = 0; i < vm->mem.nr_regions; i++)
		munmap(vm->mem.region[i].host, vm->mem.region[i].size);
	if (vm->fd >= 0)
		close(vm->fd);
	event_loop_del_timer(vm->loop, &vm->batch_flush);
	event_loop_destroy(vm->loop);
	write_batch_destroy(&vm->batch);
	pthread_mutex_destroy(&vm->pause_lock);
	free(vm);
}

static void on_batch_flush(void *arg, uint32_t events)
{
	struct vm *vm = arg;
	uint64_t expirations;
	(void)events;
	if (read(vm->batch_flush.fd, &expirations, sizeof(expirations)) == sizeof(expirations))
		vm_deliver_batched_writes(vm);
}

/*
 * Queued writes go out at a vCPU's next exit; a guest busy in its own code
 * may make none for seconds, so the event loop also delivers them every
 * BATCH_FLUSH_MS (console output then shows within that).
 */
void vm_set_write_ring(struct vm *vm, void *ring)
{
	write_batch_set_ring(&vm->batch, ring);
	if (vm->batch_flush.fd < 0) {
		vm->batch_flush = (struct event_watch){-1, on_batch_flush, vm};
		if (event_loop_add_timer(vm->loop, &vm->batch_flush, BATCH_FLUSH_MS) < 0)
			vmm_warn("no timer for queued writes: they wait for a vCPU's exit");
	}
}

void vm_deliver_batched_writes(struct vm *vm)
{
	write_batch_deliver(&vm->batch, &vm->pio, &vm->mmio);
}

int vm_batch_writes(struct vm *vm, struct bus *bus, uint64_t addr, uint32_t len, bool enable)
{
	bool pio = bus == &vm->pio;
	if (!vm->batch.ring || (pio && !vm->host->coalesced_pio)) {
		errno = ENOTSUP;
		return -1;
	}
	return write_batch_zone(vm->fd, pio, addr, len, enable);
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

void vm_set_incoming(struct vm *vm)
{
	vm->incoming = true;
}

bool vm_incoming(const struct vm *vm)
{
	return vm->incoming;
}

struct guest_mem *vm_ram(struct vm *vm)
{
	return &vm->mem;
}

/* RAM region i is KVM memory slot i (add_ram). */
int vm_log_dirty_pages(struct vm *vm, bool on)
{
	for (int i = 0; i < vm->mem.nr_regions; i++) {
		const struct guest_region *r = &vm->mem.region[i];
		struct kvm_userspace_memory_region region = {
		    .slot = i,
		    .flags = on ? KVM_MEM_LOG_DIRTY_PAGES : 0,
		    .guest_phys_addr = r->gpa,
		    .memory_size = r->size,
		    .userspace_addr = (uintptr_t)r->host,
		};
		if (ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &region) < 0)
			return vmm_err("KVM_SET_USER_MEMORY_REGION (dirty log %s): %s",
				       on ? "on" : "off", strerror(errno));
	}
	return 0;
}

int vm_get_dirty_log(struct vm *vm, int region, unsigned long *bitmap)
{
	struct kvm_dirty_log log = {.slot = region, .dirty_bitmap = bitmap};
	if (ioctl(vm->fd, KVM_GET_DIRTY_LOG, &log) < 0)
		return vmm_err("KVM_GET_DIRTY_LOG: %s", strerror(errno));
	return 0;
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
	if (vm->next_gsi > arch_layout.last_device_irq)
		return -1;
	return vm->next_gsi++;
}

uint64_t vm_alloc_mmio(struct vm *vm, uint64_t size)
{
	if (size == 0)
		return 0;
	uint64_t aligned = (size + 0xfff) & ~0xfffULL;
	if (aligned < size || aligned > arch_layout.mmio_end - vm->next_mmio)
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
	struct kvm_irq_level irq = {.irq = arch_irq_line(gsi), .level = level};
	return ioctl(vm->fd, KVM_IRQ_LINE, &irq);
}

void vm_request_exit(struct vm *vm, int status)
{
	bool expected = false;
	/* The first reason to stop wins: a later triple fault must not mask an exit status. */
	if (atomic_compare_exchange_strong(&vm->exit_requested, &expected, true))
		vm->exit_status = status;
	for (int i = 0; i < vm->nr_vcpus; i++)
		vm->vcpu_ctl->kick(vm->vcpus[i]);
}

void vm_pause(struct vm *vm)
{
	pthread_mutex_lock(&vm->pause_lock);
	if (!vm->paused) {
		for (int i = 0; i < vm->nr_vcpus; i++)
			vm->vcpu_ctl->pause(vm->vcpus[i]);
		/* Each vCPU delivered the writes it saw; a last look catches any left over. */
		vm_deliver_batched_writes(vm);
		arch_vm_paused(vm);
		vm->paused = true;
	}
	pthread_mutex_unlock(&vm->pause_lock);
}

void vm_throttle(struct vm *vm, unsigned pct)
{
	for (int i = 0; i < vm->nr_vcpus; i++)
		vm->vcpu_ctl->throttle(vm->vcpus[i], pct);
}

uint64_t vm_throttled_ns(const struct vm *vm)
{
	uint64_t ns = 0;
	for (int i = 0; i < vm->nr_vcpus; i++)
		ns += vm->vcpu_ctl->throttled_ns(vm->vcpus[i]);
	return ns;
}

void vm_resume(struct vm *vm)
{
	pthread_mutex_lock(&vm->pause_lock);
	if (vm->paused) {
		arch_vm_resuming(vm);
		for (int i = 0; i < vm->nr_vcpus; i++)
			vm->vcpu_ctl->resume(vm->vcpus[i]);
		vm->paused = false;
	}
	pthread_mutex_unlock(&vm->pause_lock);
}

bool vm_paused(const struct vm *vm)
{
	return vm->paused;
}

int vm_announce_mmio_device(struct vm *vm, const char *compatible, uint64_t base, uint64_t size,
			    int irq)
{
	return arch_announce_mmio_device(vm, compatible, base, size, irq);
}

void vm_set_vcpus(struct vm *vm, struct vcpu **vcpus, int nr, const struct vcpu_control *ctl)
{
	vm->vcpus = vcpus;
	vm->nr_vcpus = nr;
	vm->vcpu_ctl = ctl;
}

struct arch_vm *vm_arch(const struct vm *vm)
{
	return vm->arch;
}

const struct vm_config *vm_config(const struct vm *vm)
{
	return &vm->config;
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

struct vcpu **vm_vcpus(const struct vm *vm)
{
	return vm->vcpus;
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
