/*
 * The arm64 side of the monitor (monitor/internal.h): each vCPU's pc and
 * exception level, its registers (x0-x30, the stack pointers, pc, PSTATE
 * and the EL1 system registers a reader of a stuck guest wants) and x
 * through its stage-1 tables, all read one register at a time
 * (KVM_GET_ONE_REG: arm64 has no KVM_GET_REGS).
 */
#include <inttypes.h>

#include "../monitor/internal.h"
#include "pagewalk.h"
#include "regs.h"

#define SYSREG_SCTLR ARM64_SYS_REG(3, 0, 1, 0, 0)
#define SYSREG_TTBR0 ARM64_SYS_REG(3, 0, 2, 0, 0)
#define SYSREG_TTBR1 ARM64_SYS_REG(3, 0, 2, 0, 1)
#define SYSREG_TCR   ARM64_SYS_REG(3, 0, 2, 0, 2)
#define SYSREG_ESR   ARM64_SYS_REG(3, 0, 5, 2, 0)
#define SYSREG_FAR   ARM64_SYS_REG(3, 0, 6, 0, 0)
#define SYSREG_VBAR  ARM64_SYS_REG(3, 0, 12, 0, 0)
#define SYSREG_MPIDR ARM64_SYS_REG(3, 0, 0, 0, 5)

static int get(struct cmd_ctx *c, int cpu, uint64_t id, uint64_t *value)
{
	const struct monitor_ops *ops = c->mon->ops;
	return ops->get_one_reg ? ops->get_one_reg(c->mon->ctx, cpu, id, value) : -1;
}

static const char *el_mode(uint64_t pstate)
{
	if (pstate & PSR_MODE32_BIT)
		return "AArch32";
	switch (pstate & PSR_MODE_MASK) {
	case PSR_MODE_EL0t:
		return "EL0t";
	case PSR_MODE_EL1t:
		return "EL1t";
	case PSR_MODE_EL1h:
		return "EL1h";
	case PSR_MODE_EL2t:
		return "EL2t";
	case PSR_MODE_EL2h:
		return "EL2h";
	default:
		return "other";
	}
}

const char *monitor_mp_state_name(uint32_t state)
{
	switch (state) {
	case KVM_MP_STATE_RUNNABLE:
		return "runnable";
	case KVM_MP_STATE_STOPPED:
		return "powered off (waiting for PSCI CPU_ON)";
	case KVM_MP_STATE_SUSPENDED:
		return "suspended";
	default:
		return "other";
	}
}

int monitor_cpu_summary(struct cmd_ctx *c, int cpu, uint64_t *pc, const char **mode)
{
	uint64_t pstate;
	if (get(c, cpu, ARM64_CORE_REG(regs.pc), pc) < 0 ||
	    get(c, cpu, ARM64_CORE_REG(regs.pstate), &pstate) < 0)
		return -1;
	*mode = el_mode(pstate);
	return 0;
}

struct named_reg {
	const char *name;
	uint64_t id;
};

static const struct named_reg special_regs[] = {
    {"sp_el0", ARM64_CORE_REG(regs.sp)},
    {"sp_el1", ARM64_CORE_REG(sp_el1)},
    {"pc", ARM64_CORE_REG(regs.pc)},
    {"pstate", ARM64_CORE_REG(regs.pstate)},
    {"elr_el1", ARM64_CORE_REG(elr_el1)},
    {"spsr_el1", ARM64_CORE_REG(spsr[KVM_SPSR_EL1])},
    {"sctlr_el1", SYSREG_SCTLR},
    {"tcr_el1", SYSREG_TCR},
    {"ttbr0_el1", SYSREG_TTBR0},
    {"ttbr1_el1", SYSREG_TTBR1},
    {"esr_el1", SYSREG_ESR},
    {"far_el1", SYSREG_FAR},
    {"vbar_el1", SYSREG_VBAR},
    {"mpidr_el1", SYSREG_MPIDR},
};

#define NR_SPECIAL (sizeof(special_regs) / sizeof(special_regs[0]))

/* Reads everything first, so a register KVM refuses leaves no half-printed dump. */
int monitor_print_registers(struct cmd_ctx *c, int cpu)
{
	uint64_t x[31], special[NR_SPECIAL], pstate;
	if (get(c, cpu, ARM64_CORE_REG(regs.pstate), &pstate) < 0)
		return -1;
	for (int i = 0; i < 31; i++)
		if (get(c, cpu, ARM64_REG_X(i), &x[i]) < 0)
			return -1;
	for (size_t i = 0; i < NR_SPECIAL; i++)
		if (get(c, cpu, special_regs[i].id, &special[i]) < 0)
			return -1;
	fprintf(c->out, "CPU #%d (%s)\n", cpu, el_mode(pstate));
	for (int i = 0; i < 31; i++)
		fprintf(c->out, "x%-2d=0x%016" PRIx64 "%s", i, x[i],
			i % 4 == 3 || i == 30 ? "\n" : " ");
	for (size_t i = 0; i < NR_SPECIAL; i++)
		fprintf(c->out, "%-9s=0x%016" PRIx64 "%s", special_regs[i].name, special[i],
			i % 2 == 1 || i == NR_SPECIAL - 1 ? "\n" : " ");
	return 0;
}

static int translate(const void *mmu, const struct guest_mem *mem, uint64_t va,
		     struct monitor_translation *out)
{
	struct arm64_walk w;
	enum arm64_walk_result r = arm64_page_walk(mem, mmu, va, &w);
	*out = (struct monitor_translation){.gpa = w.gpa, .page_size = w.page_size};
	if (r != ARM64_WALK_OK)
		out->why = arm64_walk_result_text(r);
	return r == ARM64_WALK_OK ? 0 : -1;
}

int monitor_read_virtual(struct cmd_ctx *c, int cpu, uint64_t addr, uint8_t *buf, uint64_t len)
{
	struct arm64_mmu mmu;
	if (get(c, cpu, SYSREG_SCTLR, &mmu.sctlr) < 0 || get(c, cpu, SYSREG_TCR, &mmu.tcr) < 0 ||
	    get(c, cpu, SYSREG_TTBR0, &mmu.ttbr0) < 0 || get(c, cpu, SYSREG_TTBR1, &mmu.ttbr1) < 0)
		return cmd_error(c, "KVM would not give vCPU %d's MMU registers", cpu);
	return monitor_copy_virtual(c, translate, &mmu, addr, buf, len);
}
