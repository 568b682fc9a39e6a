/* What x86/state.c keeps of a paused VM (arch_vm_paused), in the board's arch_vm. */
#ifndef VMM_X86_STATE_H
#define VMM_X86_STATE_H

#include <linux/kvm.h>
#include <stdbool.h>
#include <stdint.h>

#define PAUSED_CLOCK_MAX_VCPUS 64

/* kvmclock and each vCPU's TSC as they were when every vCPU had parked. */
struct paused_clock {
	bool valid;
	struct kvm_clock_data clock;
	int nr;
	uint64_t tsc[PAUSED_CLOCK_MAX_VCPUS];
};

struct vm;
/* The VM's record (board.c owns it). */
struct paused_clock *board_paused_clock(struct vm *vm);

/* clock.c: kvmclock and every vCPU's TSC as of one instant; false where KVM refuses one. */
bool clock_read(struct vm *vm, struct paused_clock *p);
/*
 * The other way: the TSCs and kvmclock go on from p's values, in step (the
 * TSC-deadline timers re-armed against the new TSCs). 0, or -1 with errno.
 */
int clock_set(struct vm *vm, const struct paused_clock *p);

#endif
