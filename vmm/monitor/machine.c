/*
 * The monitor's operations on the real machine: pause by parking every
 * vCPU outside KVM_RUN (vm_pause), then read its state with the KVM
 * vCPU ioctls from this thread, which KVM allows while no KVM_RUN holds
 * the vCPU.
 */
#include "machine.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "../machine.h"
#include "../migration/migration.h"
#include "../snapshot/snapshot.h"
#include "../vcpu.h"

struct monitor_machine {
	struct vm *vm;
	struct migration *migration; /* NULL: this VM does not migrate */
};

static int m_nr_vcpus(void *ctx)
{
	return vm_nr_vcpus(((struct monitor_machine *)ctx)->vm);
}

static int m_pause(void *ctx)
{
	vm_pause(((struct monitor_machine *)ctx)->vm);
	return 0;
}

static int m_resume(void *ctx)
{
	vm_resume(((struct monitor_machine *)ctx)->vm);
	return 0;
}

static bool m_paused(void *ctx)
{
	return vm_paused(((struct monitor_machine *)ctx)->vm);
}

static int m_get_regs(void *ctx, int cpu, struct kvm_regs *regs, struct kvm_sregs *sregs)
{
	int fd = vcpu_fd(vm_vcpu(((struct monitor_machine *)ctx)->vm, cpu));
	if (ioctl(fd, KVM_GET_REGS, regs) < 0 || ioctl(fd, KVM_GET_SREGS, sregs) < 0)
		return -1;
	return 0;
}

static int m_get_one_reg(void *ctx, int cpu, uint64_t id, uint64_t *value)
{
	struct kvm_one_reg reg = {.id = id, .addr = (uintptr_t)value};
	return ioctl(vcpu_fd(vm_vcpu(((struct monitor_machine *)ctx)->vm, cpu)), KVM_GET_ONE_REG,
		     &reg) < 0
		   ? -1
		   : 0;
}

static int m_get_mp_state(void *ctx, int cpu, uint32_t *state)
{
	struct kvm_mp_state mp;
	if (ioctl(vcpu_fd(vm_vcpu(((struct monitor_machine *)ctx)->vm, cpu)), KVM_GET_MP_STATE,
		  &mp) < 0)
		return -1;
	*state = mp.mp_state;
	return 0;
}

struct counter_sink {
	struct monitor_counter *out;
	int max, n;
};

static void add_counter(void *opaque, const char *reason, uint64_t count)
{
	struct counter_sink *sink = opaque;
	if (sink->n == sink->max)
		return;
	struct monitor_counter *c = &sink->out[sink->n++];
	snprintf(c->name, sizeof(c->name), "%s", reason);
	c->value = count;
}

static int m_exit_counters(void *ctx, int cpu, struct monitor_counter *out, int max)
{
	struct counter_sink sink = {.out = out, .max = max};
	vcpu_for_each_exit_count(vm_vcpu(((struct monitor_machine *)ctx)->vm, cpu), add_counter,
				 &sink);
	return sink.n;
}

static const struct guest_mem *m_mem(void *ctx)
{
	return vm_mem(((struct monitor_machine *)ctx)->vm);
}

/* KVM_NMI waits for the vCPU's KVM_RUN to return, so inject while the vCPUs are parked. */
static int m_nmi(void *ctx)
{
	struct monitor_machine *m = ctx;
	bool was_paused = vm_paused(m->vm);
	if (!was_paused)
		m_pause(m);
	int ret = 0;
	for (int i = 0; i < vm_nr_vcpus(m->vm); i++)
		if (ioctl(vcpu_fd(vm_vcpu(m->vm, i)), KVM_NMI) < 0)
			ret = -1;
	if (!was_paused)
		m_resume(m);
	return ret;
}

static void m_device_counters(void *ctx, FILE *out)
{
	vm_print_device_stats(((struct monitor_machine *)ctx)->vm, out);
}

static void m_quit(void *ctx)
{
	vm_request_exit(((struct monitor_machine *)ctx)->vm, 0);
}

static int m_snapshot(void *ctx, const char *dir)
{
	return snapshot_save(((struct monitor_machine *)ctx)->vm, dir);
}

static bool m_exiting(void *ctx)
{
	return vm_exit_requested(((struct monitor_machine *)ctx)->vm);
}

static int m_migrate(void *ctx, int nargs, char *const *args,
		     void (*answer)(void *arg, const char *text), void *arg, char *err,
		     size_t err_size)
{
	struct monitor_machine *m = ctx;
	struct migration_params params;
	if (!m->migration) {
		snprintf(err, err_size, "this VM cannot migrate");
		return -1;
	}
	if (migration_parse_params(nargs - 1, args + 1, &params, err, err_size) < 0)
		return -1;
	return migration_start(m->migration, args[0], &params, answer, arg, err, err_size);
}

static void m_migrate_forget(void *ctx, void *arg)
{
	migration_forget_reporter(((struct monitor_machine *)ctx)->migration, arg);
}

static const struct monitor_ops machine_ops = {
    .nr_vcpus = m_nr_vcpus,
    .pause = m_pause,
    .resume = m_resume,
    .paused = m_paused,
    .get_regs = m_get_regs,
    .get_one_reg = m_get_one_reg,
    .get_mp_state = m_get_mp_state,
    .exit_counters = m_exit_counters,
    .mem = m_mem,
    .nmi = m_nmi,
    .device_counters = m_device_counters,
    .quit = m_quit,
    .snapshot = m_snapshot,
    .exiting = m_exiting,
    .migrate = m_migrate,
    .migrate_forget = m_migrate_forget,
};

struct monitor *monitor_for_vm(struct vm *vm)
{
	struct monitor_machine *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->vm = vm;
	struct monitor *mon = monitor_create(&machine_ops, m);
	if (!mon)
		free(m);
	return mon;
}

void monitor_for_vm_allow_migration(struct monitor *mon, struct migration *migration)
{
	((struct monitor_machine *)monitor_ctx(mon))->migration = migration;
}

void monitor_for_vm_destroy(struct monitor *mon)
{
	if (!mon)
		return;
	void *m = monitor_ctx(mon);
	monitor_stop_server(mon);
	monitor_destroy(mon);
	free(m);
}
