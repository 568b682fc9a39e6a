#include "write_batch.h"

#include <linux/kvm.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "bus.h"

void write_batch_init(struct write_batch *wb)
{
	*wb = (struct write_batch){0};
	pthread_mutex_init(&wb->lock, NULL);
}

void write_batch_destroy(struct write_batch *wb)
{
	pthread_mutex_destroy(&wb->lock);
}

void write_batch_set_ring(struct write_batch *wb, void *ring)
{
	/* KVM_COALESCED_MMIO_MAX, with the page size the kernel uses. */
	wb->slots = (uint32_t)((getpagesize() - sizeof(struct kvm_coalesced_mmio_ring)) /
			       sizeof(struct kvm_coalesced_mmio));
	wb->ring = ring;
}

static bool empty(const struct kvm_coalesced_mmio_ring *ring)
{
	return __atomic_load_n(&ring->first, __ATOMIC_RELAXED) ==
	       __atomic_load_n(&ring->last, __ATOMIC_ACQUIRE);
}

void write_batch_deliver(struct write_batch *wb, struct bus *pio, struct bus *mmio)
{
	struct kvm_coalesced_mmio_ring *ring = wb->ring;
	if (!ring || empty(ring))
		return;
	pthread_mutex_lock(&wb->lock);
	uint32_t first = ring->first;
	/* KVM writes the entry, then publishes it by advancing last. */
	uint32_t last = __atomic_load_n(&ring->last, __ATOMIC_ACQUIRE);
	while (first != last && first < wb->slots && last < wb->slots) {
		const struct kvm_coalesced_mmio *w = &ring->coalesced_mmio[first];
		if (w->len && w->len <= sizeof(w->data)) {
			uint8_t data[sizeof(w->data)];
			__builtin_memcpy(data, w->data, w->len);
			bus_access(w->pio ? pio : mmio, w->phys_addr, data, w->len, true);
		}
		first = (first + 1) % wb->slots;
		/* Hands the slot back to KVM only after it has been read. */
		__atomic_store_n(&ring->first, first, __ATOMIC_RELEASE);
		last = __atomic_load_n(&ring->last, __ATOMIC_ACQUIRE);
	}
	pthread_mutex_unlock(&wb->lock);
}

int write_batch_zone(int vm_fd, bool pio, uint64_t addr, uint32_t len, bool enable)
{
	struct kvm_coalesced_mmio_zone zone = {.addr = addr, .size = len, .pio = pio};
	return ioctl(vm_fd, enable ? KVM_REGISTER_COALESCED_MMIO : KVM_UNREGISTER_COALESCED_MMIO,
		     &zone);
}
