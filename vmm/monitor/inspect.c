/*
 * info cpus and info registers: the loop over the vCPUs, the argument and
 * the pause around what the architecture reads and prints
 * (monitor_cpu_summary, monitor_print_registers in internal.h).
 */
#include <inttypes.h>

#include "../arch.h"
#include "internal.h"

int cmd_info_cpus(struct cmd_ctx *c)
{
	const struct monitor_ops *ops = c->mon->ops;
	bool was_paused;
	if (pause_for_inspection(c->mon, &was_paused) < 0)
		return cmd_error(c, "the vCPUs could not be paused");
	int n = ops->nr_vcpus(c->mon->ctx);
	for (int i = 0; i < n; i++) {
		uint64_t pc;
		const char *mode;
		uint32_t mp = 0;
		if (monitor_cpu_summary(c, i, &pc, &mode) < 0) {
			fprintf(c->out, "CPU #%d: registers unavailable\n", i);
			continue;
		}
		const char *run = ops->get_mp_state(c->mon->ctx, i, &mp) < 0
				      ? "unknown"
				      : monitor_mp_state_name(mp);
		fprintf(c->out, "CPU #%d: %s, %s, %s=0x%016" PRIx64 " mode=%s\n", i,
			was_paused ? "paused" : "running", run, ARCH_PC_NAME, pc, mode);
	}
	if (!was_paused)
		ops->resume(c->mon->ctx);
	return 0;
}

int cmd_info_registers(struct cmd_ctx *c)
{
	const struct monitor_ops *ops = c->mon->ops;
	int n = ops->nr_vcpus(c->mon->ctx);
	uint64_t cpu = 0;
	if (c->argc > 1 && (parse_u64(c->argv[1], &cpu) < 0 || cpu >= (uint64_t)n))
		return cmd_error(c, "no vCPU '%.40s' (this VM has vCPUs 0 to %d)", c->argv[1],
				 n - 1);
	bool was_paused;
	if (pause_for_inspection(c->mon, &was_paused) < 0)
		return cmd_error(c, "the vCPUs could not be paused");
	int ret = monitor_print_registers(c, (int)cpu);
	if (!was_paused)
		ops->resume(c->mon->ctx);
	if (ret < 0)
		return cmd_error(c, "KVM would not give vCPU %d's registers", (int)cpu);
	return 0;
}
