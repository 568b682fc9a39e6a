/* Split virtqueue walking and completion; see queue.h for the rules enforced. */
#include <string.h>

#include "queue.h"

void vq_init(struct virtqueue *vq, uint16_t index, uint16_t max_size)
{
	memset(vq, 0, sizeof(*vq));
	vq->index = index;
	vq->max_size = max_size > VQ_MAX_SIZE ? VQ_MAX_SIZE : max_size;
	vq->size = vq->max_size;
	pthread_mutex_init(&vq->push_lock, NULL);
}

void vq_reset(struct virtqueue *vq)
{
	pthread_mutex_lock(&vq->push_lock);
	vq->size = vq->max_size;
	vq->ready = false;
	vq->desc_gpa = vq->avail_gpa = vq->used_gpa = 0;
	vq->desc = NULL;
	vq->avail = NULL;
	vq->used = NULL;
	vq->mem = NULL;
	vq->last_avail = vq->used_idx = vq->signalled_used = 0;
	vq->signalled_valid = false;
	pthread_mutex_unlock(&vq->push_lock);
}

/* Rings must be naturally aligned so that 16/32-bit index accesses are atomic. */
static void *ring_ptr(const struct guest_mem *mem, uint64_t gpa, uint64_t len, uint64_t align)
{
	if (gpa % align)
		return NULL;
	return guest_mem_ptr(mem, gpa, len);
}

bool vq_layout_valid(const struct guest_mem *mem, uint16_t n, uint16_t max, uint64_t desc_gpa,
		     uint64_t avail_gpa, uint64_t used_gpa)
{
	if (n == 0 || n > max || (n & (n - 1)))
		return false;
	/* desc[n]; avail: flags, idx, ring[n], used_event; used: flags, idx, ring[n], avail_event
	 */
	return ring_ptr(mem, desc_gpa, 16ull * n, 16) &&
	       ring_ptr(mem, avail_gpa, 6ull + 2ull * n, 2) &&
	       ring_ptr(mem, used_gpa, 6ull + 8ull * n, 4);
}

bool vq_restore(struct virtqueue *vq, const struct guest_mem *mem, bool event_idx,
		const struct vq_position *pos)
{
	uint16_t n = vq->size;
	if (!vq_layout_valid(mem, n, vq->max_size, vq->desc_gpa, vq->avail_gpa, vq->used_gpa))
		return false;
	pthread_mutex_lock(&vq->push_lock);
	vq->mem = mem;
	vq->desc = guest_mem_ptr(mem, vq->desc_gpa, 16ull * n);
	vq->avail = guest_mem_ptr(mem, vq->avail_gpa, 6ull + 2ull * n);
	vq->used = guest_mem_ptr(mem, vq->used_gpa, 6ull + 8ull * n);
	vq->event_idx = event_idx;
	vq->last_avail = pos->last_avail;
	vq->used_idx = pos->used_idx;
	vq->signalled_used = pos->signalled_used;
	vq->signalled_valid = pos->signalled_valid;
	vq->ready = true;
	pthread_mutex_unlock(&vq->push_lock);
	return true;
}

bool vq_activate(struct virtqueue *vq, const struct guest_mem *mem, bool event_idx)
{
	return vq_restore(vq, mem, event_idx, &(struct vq_position){0});
}

struct vq_position vq_position(struct virtqueue *vq)
{
	pthread_mutex_lock(&vq->push_lock);
	struct vq_position pos = {vq->last_avail, vq->used_idx, vq->signalled_used,
				  vq->signalled_valid};
	pthread_mutex_unlock(&vq->push_lock);
	return pos;
}

static uint16_t avail_idx(const struct virtqueue *vq)
{
	/* Acquire: ring entries and descriptors are read only after the index. */
	return __atomic_load_n(&vq->avail->idx, __ATOMIC_ACQUIRE);
}

bool vq_has_work(struct virtqueue *vq)
{
	return vq->ready && avail_idx(vq) != vq->last_avail;
}

/* Appends one buffer to the chain; readable buffers may not follow writable ones. */
static bool chain_add(struct virtqueue *vq, struct vq_chain *c, const struct vring_desc *d)
{
	if (c->n_out + c->n_in >= VQ_MAX_SIZE)
		return false;
	void *p = guest_mem_ptr(vq->mem, d->addr, d->len);
	if (!p)
		return false;
	struct iovec *v = &c->iov[c->n_out + c->n_in];
	v->iov_base = p;
	v->iov_len = d->len;
	if (d->flags & VRING_DESC_F_WRITE) {
		c->n_in++;
		c->in_len += d->len;
	} else {
		if (c->n_in)
			return false;
		c->n_out++;
		c->out_len += d->len;
	}
	return true;
}

/*
 * Follows the chain from head. Each table (the ring's own, or one indirect
 * table) may be stepped through at most its length times: a longer walk
 * can only be a loop.
 */
static enum vq_result walk_chain(struct virtqueue *vq, struct vq_chain *c, uint16_t head)
{
	/* Bytes, not structs: an indirect table's guest address may be unaligned. */
	const uint8_t *table = (const uint8_t *)vq->desc;
	uint32_t table_len = vq->size, steps = 0, i = head;
	bool in_indirect = false;

	c->head = head;
	c->n_out = c->n_in = 0;
	c->out_len = c->in_len = 0;
	for (;;) {
		struct vring_desc d;
		/* One copy: the guest may rewrite the descriptor while we look. */
		memcpy(&d, table + (size_t)i * sizeof(d), sizeof(d));
		if (++steps > table_len)
			return VQ_BAD;
		if (d.flags & VRING_DESC_F_INDIRECT) {
			if (in_indirect || (d.flags & VRING_DESC_F_NEXT) || d.len == 0 ||
			    d.len % sizeof(d) || d.len / sizeof(d) > VQ_MAX_SIZE)
				return VQ_BAD;
			table = guest_mem_ptr(vq->mem, d.addr, d.len);
			if (!table)
				return VQ_BAD;
			table_len = d.len / sizeof(d);
			in_indirect = true;
			steps = 0;
			i = 0;
			continue;
		}
		if (!chain_add(vq, c, &d))
			return VQ_BAD;
		if (!(d.flags & VRING_DESC_F_NEXT))
			return VQ_OK;
		if (d.next >= table_len)
			return VQ_BAD;
		i = d.next;
	}
}

enum vq_result vq_pop(struct virtqueue *vq, struct vq_chain *c)
{
	if (!vq->ready)
		return VQ_EMPTY;
	uint16_t idx = avail_idx(vq);
	uint16_t pending = idx - vq->last_avail;
	if (pending == 0)
		return VQ_EMPTY;
	if (pending > vq->size)
		return VQ_BAD;
	uint16_t head =
	    __atomic_load_n(&vq->avail->ring[vq->last_avail & (vq->size - 1)], __ATOMIC_RELAXED);
	if (head >= vq->size)
		return VQ_BAD;
	enum vq_result r = walk_chain(vq, c, head);
	if (r == VQ_OK)
		vq->last_avail++;
	return r;
}

void vq_unpop(struct virtqueue *vq, uint16_t n)
{
	vq->last_avail -= n;
}

/*
 * While a migration tracks dirty pages (guest_mem_mark_written), the pages
 * the device wrote for this chain: its writable buffers, walked again from
 * the descriptors the driver may not touch until the chain is used. KVM's
 * dirty log does not see writes from vmm. A guest that rewrote them anyway
 * only spoils its own migration.
 */
static void mark_chain_written(struct virtqueue *vq, uint16_t head)
{
	if (!__atomic_load_n(&vq->mem->track_vmm_writes, __ATOMIC_ACQUIRE))
		return;
	struct vq_chain chain;
	if (head >= vq->size || walk_chain(vq, &chain, head) != VQ_OK)
		return;
	for (unsigned i = chain.n_out; i < chain.n_out + chain.n_in; i++)
		guest_mem_mark_written(vq->mem, chain.iov[i].iov_base, chain.iov[i].iov_len);
}

/* The used ring: flags, idx, ring[size], avail_event. */
static void mark_used_ring_written(struct virtqueue *vq)
{
	guest_mem_mark_written(vq->mem, vq->used, 6ull + 8ull * vq->size);
}

void vq_push(struct virtqueue *vq, uint16_t head, uint32_t written)
{
	pthread_mutex_lock(&vq->push_lock);
	if (vq->ready) {
		mark_chain_written(vq, head); /* before the guest may reuse it */
		struct vring_used_elem *e = &vq->used->ring[vq->used_idx & (vq->size - 1)];
		__atomic_store_n(&e->id, head, __ATOMIC_RELAXED);
		__atomic_store_n(&e->len, written, __ATOMIC_RELAXED);
		vq->used_idx++;
		/* Release: the element is visible before the index that publishes it. */
		__atomic_store_n(&vq->used->idx, vq->used_idx, __ATOMIC_RELEASE);
		mark_used_ring_written(vq);
	}
	pthread_mutex_unlock(&vq->push_lock);
}

bool vq_should_notify(struct virtqueue *vq)
{
	bool notify;

	pthread_mutex_lock(&vq->push_lock);
	if (!vq->ready) {
		pthread_mutex_unlock(&vq->push_lock);
		return false;
	}
	/* Our used->idx store must be visible before we read the guest's wish. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (!vq->event_idx) {
		notify = !(__atomic_load_n(&vq->avail->flags, __ATOMIC_RELAXED) &
			   VRING_AVAIL_F_NO_INTERRUPT);
	} else {
		uint16_t event = __atomic_load_n(&vq->avail->ring[vq->size], __ATOMIC_RELAXED);
		uint16_t old = vq->signalled_used;
		notify = !vq->signalled_valid || vring_need_event(event, vq->used_idx, old);
		vq->signalled_used = vq->used_idx;
		vq->signalled_valid = true;
	}
	pthread_mutex_unlock(&vq->push_lock);
	return notify;
}

bool vq_enable_notify(struct virtqueue *vq)
{
	if (!vq->ready)
		return false;
	if (vq->event_idx) {
		/* avail_event sits right after the used ring's last element. */
		uint16_t *avail_event = (uint16_t *)((char *)vq->used->ring +
						     sizeof(struct vring_used_elem) * vq->size);
		__atomic_store_n(avail_event, vq->last_avail, __ATOMIC_RELAXED);
		mark_used_ring_written(vq);
	}
	/* The guest reads avail_event after publishing; we read idx after writing it. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return vq_has_work(vq);
}
