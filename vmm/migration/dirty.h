/*
 * The pages to send again during a migration's pre-copy: what the guest
 * wrote (KVM's dirty log, KVM_GET_DIRTY_LOG) plus what vmm itself wrote on
 * its behalf (virtio buffers and used rings, guest_mem_mark_written), which
 * KVM cannot see. Collected into one pending bitmap per RAM region.
 */
#ifndef VMM_MIGRATION_DIRTY_H
#define VMM_MIGRATION_DIRTY_H

#include <stdbool.h>
#include <stdint.h>

#include "../guest_mem.h"

struct vm;

struct dirty_log {
	struct vm *vm;
	struct guest_mem *mem;
	unsigned long *kvm[GUEST_MEM_MAX_REGIONS];     /* KVM_GET_DIRTY_LOG's answer */
	unsigned long *pending[GUEST_MEM_MAX_REGIONS]; /* dirty and not sent yet */
	size_t words[GUEST_MEM_MAX_REGIONS];	       /* longs per bitmap */
	bool on;
};

/*
 * Turns both logs on and clears them: every page written from now on is
 * reported. The vmm bitmaps are the VM's for good (guest_region.vmm_dirty,
 * freed by dirty_log_release): a device thread may still mark one after
 * dirty_log_stop. 0, or -1 after a message.
 */
int dirty_log_start(struct dirty_log *d, struct vm *vm);
/* Adds the pages written since the last call to pending; returns how many are pending, or -1. */
int64_t dirty_log_collect(struct dirty_log *d);
/* Calls fn(gpa) for each pending page and clears them; stops at fn's first -1. */
int dirty_log_drain(struct dirty_log *d, int (*fn)(void *arg, uint64_t gpa), void *arg);
/* Turns both logs off (the guest runs on without write tracking). */
void dirty_log_stop(struct dirty_log *d);
/* Frees everything; only once no device runs (vmm is exiting). */
void dirty_log_release(struct dirty_log *d);

#endif
