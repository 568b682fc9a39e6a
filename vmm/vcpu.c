#include "vcpu.h"

#include <errno.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "arch.h"
#include "machine.h"
#include "util.h"

#define KICK_SIGNAL	 SIGUSR1
#define MAX_EXIT_REASONS 64
/* A throttled vCPU runs, then sleeps, within each slice of this length. */
#define THROTTLE_SLICE_NS 10000000ULL

struct vcpu {
	struct vm *vm;
	int index;
	int fd;
	struct kvm_run *run;
	size_t run_size;
	pthread_t thread;
	atomic_bool started;
	int64_t first_run_ms;
	/* Written by the vCPU thread only; read by the monitor with atomic loads. */
	uint64_t exits[MAX_EXIT_REASONS];
	/* Pausing for the monitor: the thread parks while pause_wanted. */
	pthread_mutex_t park_lock;
	pthread_cond_t park_cond;
	bool pause_wanted, parked, stopped;
	uint64_t insns_completed; /* instructions KVM could not emulate and vmm finished */
	/* Throttling (migration's auto-converge): set by any thread, the rest by the vCPU's. */
	atomic_uint throttle_pct;
	_Atomic uint64_t throttled_ns; /* time slept so far */
	timer_t slice_timer;
	bool has_slice_timer;
	uint64_t slice_start_ns;
};

/*
 * The run area of the vCPU on this thread: the kick signal sets its
 * immediate_exit, so a signal that lands just before KVM_RUN still ends it.
 */
static _Thread_local struct kvm_run *this_thread_run;

static const char *const exit_names[MAX_EXIT_REASONS] = {
    [KVM_EXIT_UNKNOWN] = "unknown",
    [KVM_EXIT_EXCEPTION] = "exception",
    [KVM_EXIT_IO] = "io",
    [KVM_EXIT_HYPERCALL] = "hypercall",
    [KVM_EXIT_DEBUG] = "debug",
    [KVM_EXIT_HLT] = "hlt",
    [KVM_EXIT_MMIO] = "mmio",
    [KVM_EXIT_IRQ_WINDOW_OPEN] = "irq_window_open",
    [KVM_EXIT_SHUTDOWN] = "shutdown",
    [KVM_EXIT_FAIL_ENTRY] = "fail_entry",
    [KVM_EXIT_INTR] = "intr",
    [KVM_EXIT_INTERNAL_ERROR] = "internal_error",
    [KVM_EXIT_SYSTEM_EVENT] = "system_event",
};

static void vcpu_destroy(struct vcpu *vcpu)
{
	if (!vcpu)
		return;
	if (vcpu->run != MAP_FAILED)
		munmap(vcpu->run, vcpu->run_size);
	if (vcpu->fd >= 0)
		close(vcpu->fd);
	if (vcpu->has_slice_timer)
		timer_delete(vcpu->slice_timer);
	pthread_cond_destroy(&vcpu->park_cond);
	pthread_mutex_destroy(&vcpu->park_lock);
	free(vcpu);
}

static struct vcpu *vcpu_create(struct vm *vm, int index, int nr_vcpus)
{
	struct vcpu *vcpu = calloc(1, sizeof(*vcpu));
	if (!vcpu) {
		vmm_err("out of memory");
		return NULL;
	}
	vcpu->vm = vm;
	vcpu->index = index;
	vcpu->first_run_ms = -1;
	vcpu->run = MAP_FAILED;
	pthread_mutex_init(&vcpu->park_lock, NULL);
	pthread_cond_init(&vcpu->park_cond, NULL);
	vcpu->fd = ioctl(vm_fd(vm), KVM_CREATE_VCPU, index);
	if (vcpu->fd < 0) {
		vmm_err("KVM_CREATE_VCPU %d: %s", index, strerror(errno));
		goto fail;
	}
	vcpu->run_size = vm_host(vm)->run_size;
	vcpu->run = mmap(NULL, vcpu->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu->fd, 0);
	if (vcpu->run == MAP_FAILED) {
		vmm_err("cannot map vCPU %d state: %s", index, strerror(errno));
		goto fail;
	}
	if (arch_vcpu_init(vm, vcpu->fd, index, nr_vcpus) < 0)
		goto fail;
	return vcpu;
fail:
	vcpu_destroy(vcpu);
	return NULL;
}

static const struct vcpu_control vcpu_control = {
    .kick = vcpu_kick,
    .pause = vcpu_pause,
    .resume = vcpu_resume,
    .throttle = vcpu_throttle,
    .throttled_ns = vcpu_throttled_ns,
};

int vcpus_create(struct vm *vm, int nr_vcpus)
{
	struct vcpu **vcpus = calloc(nr_vcpus, sizeof(*vcpus));
	if (!vcpus)
		return vmm_err("out of memory");
	vm_set_vcpus(vm, vcpus, 0, &vcpu_control);
	for (int i = 0; i < nr_vcpus; i++) {
		vcpus[i] = vcpu_create(vm, i, nr_vcpus);
		if (!vcpus[i])
			return -1;
		vm_set_vcpus(vm, vcpus, i + 1, &vcpu_control);
	}
	int ring_page = vm_host(vm)->coalesced_page;
	if (ring_page)
		vm_set_write_ring(vm, (uint8_t *)vcpus[0]->run + (size_t)ring_page * getpagesize());
	return arch_vm_vcpus_created(vm);
}

void vcpus_destroy(struct vm *vm)
{
	struct vcpu **vcpus = vm_vcpus(vm);
	int n = vm_nr_vcpus(vm);
	vm_set_vcpus(vm, NULL, 0, NULL);
	for (int i = 0; i < n; i++)
		vcpu_destroy(vcpus[i]);
	free(vcpus);
}

int vcpu_fd(const struct vcpu *vcpu)
{
	return vcpu->fd;
}

static void on_kick(int sig)
{
	(void)sig;
	if (this_thread_run)
		this_thread_run->immediate_exit = 1;
}

int vcpu_init_kick_signal(void)
{
	struct sigaction sa = {.sa_handler = on_kick};
	sigemptyset(&sa.sa_mask);
	if (sigaction(KICK_SIGNAL, &sa, NULL) < 0)
		return vmm_err("sigaction: %s", strerror(errno));
	return 0;
}

void vcpu_kick(struct vcpu *vcpu)
{
	vcpu->run->immediate_exit = 1;
	if (vcpu->started)
		pthread_kill(vcpu->thread, KICK_SIGNAL);
}

static void handle_mmio(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	uint32_t len = run->mmio.len <= sizeof(run->mmio.data) ? run->mmio.len : 0;
	if (len)
		bus_access(vm_mmio_bus(vcpu->vm), run->mmio.phys_addr, run->mmio.data, len,
			   run->mmio.is_write);
}

static void report_internal_error(struct vcpu *vcpu)
{
	uint64_t pc = 0;
	arch_vcpu_pc(vcpu->fd, &pc);
	vmm_err("vCPU %d: KVM cannot execute the guest's instruction at %s 0x%llx "
		"(internal error, suberror %u)%s",
		vcpu->index, ARCH_PC_NAME, (unsigned long long)pc, vcpu->run->internal.suberror,
		vm_host(vcpu->vm)->emulated ? "; this host emulates guest kernel code and lacks "
					      "some instructions"
					    : "");
}

static void report_unhandled_exit(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	switch (run->exit_reason) {
	case KVM_EXIT_INTERNAL_ERROR:
		report_internal_error(vcpu);
		break;
	case KVM_EXIT_FAIL_ENTRY:
		vmm_err("vCPU %d: KVM could not enter the guest (hardware reason 0x%llx)",
			vcpu->index,
			(unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		break;
	default:
		vmm_err("vCPU %d: unexpected KVM exit reason %u", vcpu->index, run->exit_reason);
		break;
	}
}

/* Returns false once the vCPU should stop. The arch sees what the core does not handle. */
static bool handle_exit(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	/* Writes KVM queued happened before this exit: the devices see them first. */
	vm_deliver_batched_writes(vcpu->vm);
	if (run->exit_reason < MAX_EXIT_REASONS)
		__atomic_store_n(&vcpu->exits[run->exit_reason], vcpu->exits[run->exit_reason] + 1,
				 __ATOMIC_RELAXED);
	switch (run->exit_reason) {
	case KVM_EXIT_MMIO:
		handle_mmio(vcpu);
		return true;
	case KVM_EXIT_HLT:
	case KVM_EXIT_INTR:
	case KVM_EXIT_IRQ_WINDOW_OPEN:
		return true;
	case KVM_EXIT_SHUTDOWN: /* triple fault: a PC resets, and a reset ends the VM cleanly */
	case KVM_EXIT_SYSTEM_EVENT:
		vm_request_exit(vcpu->vm, 0);
		return false;
	}
	switch (arch_vcpu_exit(vcpu->vm, vcpu->fd, run, vcpu->run_size)) {
	case ARCH_EXIT_DONE:
		return true;
	case ARCH_EXIT_COMPLETED:
		vcpu->insns_completed++;
		return true;
	case ARCH_EXIT_UNHANDLED:
		break;
	}
	report_unhandled_exit(vcpu);
	vm_request_exit(vcpu->vm, 1);
	return false;
}

/*
 * Parks while the monitor wants the vCPU paused. A KVM_RUN with
 * immediate_exit first completes the last exit's I/O, so the registers
 * the monitor reads are those after the instruction. The wait polls for
 * the VM's exit: vm_request_exit runs in signal handlers and cannot
 * signal a condition variable. Returns false, unparked, when completing
 * the last exit produced another one (string I/O): the caller handles it.
 */
static bool park_if_asked(struct vcpu *vcpu)
{
	pthread_mutex_lock(&vcpu->park_lock);
	if (vcpu->pause_wanted) {
		vcpu->run->immediate_exit = 1;
		int ret = ioctl(vcpu->fd, KVM_RUN, 0);
		vcpu->run->immediate_exit = 0;
		if (ret == 0) {
			pthread_mutex_unlock(&vcpu->park_lock);
			return false;
		}
		vm_deliver_batched_writes(vcpu->vm); /* output before the pause shows now */
		vcpu->parked = true;
		pthread_cond_broadcast(&vcpu->park_cond);
		while (vcpu->pause_wanted && !vm_exit_requested(vcpu->vm)) {
			struct timespec ts;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += 100 * 1000 * 1000;
			if (ts.tv_nsec >= 1000000000) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000;
			}
			pthread_cond_timedwait(&vcpu->park_cond, &vcpu->park_lock, &ts);
		}
		vcpu->parked = false;
	}
	pthread_mutex_unlock(&vcpu->park_lock);
	return true;
}

void vcpu_pause(struct vcpu *vcpu)
{
	pthread_mutex_lock(&vcpu->park_lock);
	vcpu->pause_wanted = true;
	pthread_mutex_unlock(&vcpu->park_lock);
	vcpu_kick(vcpu);
	pthread_mutex_lock(&vcpu->park_lock);
	while (vcpu->started && !vcpu->parked && !vcpu->stopped)
		pthread_cond_wait(&vcpu->park_cond, &vcpu->park_lock);
	pthread_mutex_unlock(&vcpu->park_lock);
}

void vcpu_resume(struct vcpu *vcpu)
{
	pthread_mutex_lock(&vcpu->park_lock);
	vcpu->pause_wanted = false;
	pthread_cond_broadcast(&vcpu->park_cond);
	pthread_mutex_unlock(&vcpu->park_lock);
}

static void mark_stopped(struct vcpu *vcpu)
{
	pthread_mutex_lock(&vcpu->park_lock);
	vcpu->stopped = true;
	pthread_cond_broadcast(&vcpu->park_cond);
	pthread_mutex_unlock(&vcpu->park_lock);
}

void vcpu_throttle(struct vcpu *vcpu, unsigned pct)
{
	atomic_store(&vcpu->throttle_pct, pct < 100 ? pct : 99);
	vcpu_kick(vcpu); /* a guest that makes no exit would not see the change */
}

uint64_t vcpu_throttled_ns(const struct vcpu *vcpu)
{
	return atomic_load(&vcpu->throttled_ns);
}

/* A guest busy in its own code makes no exit: this timer's kick ends its share of a slice. */
static bool arm_slice_timer(struct vcpu *vcpu, uint64_t ns)
{
	if (!vcpu->has_slice_timer) {
		struct sigevent ev = {.sigev_notify = SIGEV_THREAD_ID, .sigev_signo = KICK_SIGNAL};
		ev._sigev_un._tid = gettid(); /* glibc 2.36 names no sigev_notify_thread_id */
		if (timer_create(CLOCK_MONOTONIC, &ev, &vcpu->slice_timer) < 0)
			return false;
		vcpu->has_slice_timer = true;
	}
	struct itimerspec when = {.it_value = {.tv_sec = 0, .tv_nsec = (long)ns}};
	return timer_settime(vcpu->slice_timer, 0, &when, NULL) == 0;
}

/*
 * Before each KVM_RUN of a throttled vCPU: once it has run its share of the
 * slice (100 - pct percent), it sleeps the rest, as QEMU's cpu-throttle does.
 */
static void throttle_if_asked(struct vcpu *vcpu)
{
	unsigned pct = atomic_load(&vcpu->throttle_pct);
	if (!pct) {
		vcpu->slice_start_ns = 0;
		return;
	}
	uint64_t run_ns = THROTTLE_SLICE_NS * (100 - pct) / 100, now = vmm_monotonic_ns();
	if (!vcpu->slice_start_ns)
		vcpu->slice_start_ns = now;
	if (now - vcpu->slice_start_ns >= run_ns) {
		struct timespec nap = {.tv_nsec = (long)(THROTTLE_SLICE_NS * pct / 100)};
		nanosleep(&nap, NULL);
		vcpu->slice_start_ns = vmm_monotonic_ns();
		atomic_fetch_add(&vcpu->throttled_ns, vcpu->slice_start_ns - now);
		now = vcpu->slice_start_ns;
	}
	if (!arm_slice_timer(vcpu, run_ns - (now - vcpu->slice_start_ns)))
		atomic_store(&vcpu->throttle_pct,
			     0); /* no timer: no throttle, rather than a stuck one */
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *vcpu = arg;
	this_thread_run = vcpu->run;
	while (!vm_exit_requested(vcpu->vm)) {
		if (!park_if_asked(vcpu)) {
			if (!handle_exit(vcpu))
				break;
			continue;
		}
		if (vcpu->first_run_ms < 0)
			vcpu->first_run_ms = (int64_t)vmm_uptime_ms();
		throttle_if_asked(vcpu);
		if (ioctl(vcpu->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				vcpu->run->immediate_exit = 0;
				continue;
			}
			vmm_err("vCPU %d: KVM_RUN: %s", vcpu->index, strerror(errno));
			vm_request_exit(vcpu->vm, 1);
			break;
		}
		if (!handle_exit(vcpu))
			break;
	}
	vm_deliver_batched_writes(vcpu->vm);
	mark_stopped(vcpu);
	return NULL;
}

int vcpu_start(struct vcpu *vcpu)
{
	int err = pthread_create(&vcpu->thread, NULL, vcpu_thread, vcpu);
	if (err)
		return vmm_err("cannot start vCPU %d: %s", vcpu->index, strerror(err));
	vcpu->started = true;
	return 0;
}

void vcpu_join(struct vcpu *vcpu)
{
	if (vcpu->started)
		pthread_join(vcpu->thread, NULL);
	vcpu->started = false;
}

int64_t vcpu_first_run_ms(const struct vcpu *vcpu)
{
	return vcpu->first_run_ms;
}

void vcpu_for_each_exit_count(const struct vcpu *vcpu,
			      void (*fn)(void *opaque, const char *reason, uint64_t count),
			      void *opaque)
{
	for (int r = 0; r < MAX_EXIT_REASONS; r++) {
		uint64_t count = __atomic_load_n(&vcpu->exits[r], __ATOMIC_RELAXED);
		if (!count)
			continue;
		char unnamed[16];
		snprintf(unnamed, sizeof(unnamed), "reason%d", r);
		fn(opaque, exit_names[r] ? exit_names[r] : unnamed, count);
	}
}

struct stats_line {
	FILE *out;
	int index;
};

static void print_exit_line(void *opaque, const char *reason, uint64_t count)
{
	struct stats_line *line = opaque;
	fprintf(line->out, "vcpu%d_exits_%s: %llu\n", line->index, reason,
		(unsigned long long)count);
}

void vcpu_print_exit_stats(const struct vcpu *vcpu, FILE *out)
{
	if (vcpu->insns_completed)
		fprintf(out, "vcpu%d_insns_completed_by_vmm: %llu\n", vcpu->index,
			(unsigned long long)vcpu->insns_completed);
	struct stats_line line = {out, vcpu->index};
	vcpu_for_each_exit_count(vcpu, print_exit_line, &line);
}
