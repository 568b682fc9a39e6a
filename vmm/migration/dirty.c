/* Dirty page tracking for pre-copy (see dirty.h). */
#include "dirty.h"

#include <stdlib.h>
#include <string.h>

#include "../machine.h"
#include "../util.h"

static size_t bitmap_words(const struct guest_region *r)
{
	uint64_t pages = r->size / GUEST_PAGE_SIZE;
	return (size_t)((pages + BITS_PER_WORD - 1) / BITS_PER_WORD);
}

static int alloc_bitmaps(struct dirty_log *d)
{
	for (int i = 0; i < d->mem->nr_regions; i++) {
		struct guest_region *r = &d->mem->region[i];
		d->words[i] = bitmap_words(r);
		if (!d->kvm[i])
			d->kvm[i] = calloc(d->words[i], sizeof(unsigned long));
		if (!d->pending[i])
			d->pending[i] = calloc(d->words[i], sizeof(unsigned long));
		if (!r->vmm_dirty)
			r->vmm_dirty = calloc(d->words[i], sizeof(unsigned long));
		if (!d->kvm[i] || !d->pending[i] || !r->vmm_dirty)
			return vmm_err("out of memory for the dirty page bitmaps");
	}
	return 0;
}

int dirty_log_start(struct dirty_log *d, struct vm *vm)
{
	d->vm = vm;
	d->mem = vm_ram(vm);
	if (alloc_bitmaps(d) < 0)
		return -1;
	__atomic_store_n(&d->mem->track_vmm_writes, 1, __ATOMIC_RELEASE);
	if (vm_log_dirty_pages(vm, true) < 0) {
		__atomic_store_n(&d->mem->track_vmm_writes, 0, __ATOMIC_RELEASE);
		return -1;
	}
	d->on = true;
	/* Whatever either log held before now is covered by the first full pass. */
	if (dirty_log_collect(d) < 0) {
		dirty_log_stop(d);
		return -1;
	}
	for (int i = 0; i < d->mem->nr_regions; i++)
		memset(d->pending[i], 0, d->words[i] * sizeof(unsigned long));
	return 0;
}

int64_t dirty_log_collect(struct dirty_log *d)
{
	int64_t pending = 0;
	for (int i = 0; i < d->mem->nr_regions; i++) {
		if (vm_get_dirty_log(d->vm, i, d->kvm[i]) < 0)
			return -1;
		unsigned long *vmm = d->mem->region[i].vmm_dirty;
		for (size_t w = 0; w < d->words[i]; w++) {
			unsigned long bits = d->kvm[i][w];
			if (__atomic_load_n(&vmm[w], __ATOMIC_RELAXED))
				bits |= __atomic_exchange_n(&vmm[w], 0UL, __ATOMIC_ACQ_REL);
			d->pending[i][w] |= bits;
			pending += __builtin_popcountl(d->pending[i][w]);
		}
	}
	return pending;
}

int dirty_log_drain(struct dirty_log *d, int (*fn)(void *arg, uint64_t gpa), void *arg)
{
	for (int i = 0; i < d->mem->nr_regions; i++) {
		for (size_t w = 0; w < d->words[i]; w++) {
			unsigned long bits = d->pending[i][w];
			d->pending[i][w] = 0;
			while (bits) {
				int bit = __builtin_ctzl(bits);
				bits &= bits - 1;
				uint64_t page = (uint64_t)w * BITS_PER_WORD + (uint64_t)bit;
				if (fn(arg, d->mem->region[i].gpa + page * GUEST_PAGE_SIZE) < 0)
					return -1;
			}
		}
	}
	return 0;
}

void dirty_log_stop(struct dirty_log *d)
{
	if (!d->on)
		return;
	__atomic_store_n(&d->mem->track_vmm_writes, 0, __ATOMIC_RELEASE);
	vm_log_dirty_pages(d->vm, false);
	d->on = false;
}

void dirty_log_release(struct dirty_log *d)
{
	if (!d->mem)
		return;
	dirty_log_stop(d);
	for (int i = 0; i < GUEST_MEM_MAX_REGIONS; i++) {
		free(d->kvm[i]);
		free(d->pending[i]);
		if (i < d->mem->nr_regions) {
			free(d->mem->region[i].vmm_dirty);
			d->mem->region[i].vmm_dirty = NULL;
		}
	}
	memset(d, 0, sizeof(*d));
}
