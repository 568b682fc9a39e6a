/* A vCPU: its KVM fd, its thread, its run loop and its exit counters. */
#ifndef VMM_VCPU_H
#define VMM_VCPU_H

#include <stdint.h>
#include <stdio.h>

struct vm;
struct vcpu;

/* Creates the VM's vCPUs (KVM fd, run area, arch setup) and hands them to the VM. */
int vcpus_create(struct vm *vm, int nr_vcpus);
/* Frees them; the threads must have been joined. */
void vcpus_destroy(struct vm *vm);
int vcpu_fd(const struct vcpu *vcpu);

/* Starts the thread running KVM_RUN until the VM is asked to stop. */
int vcpu_start(struct vcpu *vcpu);
void vcpu_join(struct vcpu *vcpu);
/* Makes a running KVM_RUN return at once (safe from any thread). */
void vcpu_kick(struct vcpu *vcpu);
/* Installs the signal vcpu_kick uses; call once before starting any vCPU. */
int vcpu_init_kick_signal(void);

/* ms since exec of this vCPU's first KVM_RUN, or -1. */
int64_t vcpu_first_run_ms(const struct vcpu *vcpu);
/*
 * Parks the vCPU outside KVM_RUN (its pending I/O completed, its exit
 * counters frozen) and returns once it is parked or has stopped. For the
 * monitor: KVM's vCPU ioctls work from another thread while it is parked.
 */
void vcpu_pause(struct vcpu *vcpu);
void vcpu_resume(struct vcpu *vcpu);
/*
 * Lets the vCPU run only (100 - pct) percent of each 10 ms from now on (0:
 * all of it); any thread. vcpu_throttled_ns: the time it has slept so.
 */
void vcpu_throttle(struct vcpu *vcpu, unsigned pct);
uint64_t vcpu_throttled_ns(const struct vcpu *vcpu);
/* Calls fn for every exit reason seen so far (safe while the vCPU runs). */
void vcpu_for_each_exit_count(const struct vcpu *vcpu,
			      void (*fn)(void *opaque, const char *reason, uint64_t count),
			      void *opaque);
/* Prints "vcpuN_exits_REASON: COUNT" for every reason seen. */
void vcpu_print_exit_stats(const struct vcpu *vcpu, FILE *out);

#endif
