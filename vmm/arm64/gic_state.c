/*
 * The vGICv3's state for a snapshot, through the device attributes KVM
 * offers userspace (Documentation/virt/kvm/devices/arm-vgic-v3.rst): the
 * distributor's registers for the SPIs, each vCPU's redistributor (its SGI
 * and PPI registers, the vCPU picked by its MPIDR in the attribute), the
 * line level of each level-triggered SPI, and each vCPU's CPU interface
 * (the ICC_* system registers). No ITS, so no LPI tables: GICR_CTLR,
 * PROPBASER and PENDBASER only matter with one and are not kept.
 *
 * The layout is fixed by the tables below and the interrupt count, both in
 * the section: a restore reads the values back in the same order. The set
 * and clear halves of enable, pending and active are one bit each, so a
 * restore clears all (IC*) and sets the saved ones (IS*). The order is
 * QEMU's: the configuration (groups, trigger, priority, routing) first,
 * the line levels before the pending latches, the enables last; the CPU
 * interface after, SRE and CTLR before the rest.
 */
#include "gic_state.h"

#include <errno.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>

#include "../snapshot/stream.h"
#include "../util.h"

#define GIC_STATE_VERSION 1
#define NR_PRIVATE_IRQS	  32
#define SGI_FRAME	  0x10000u /* a redistributor's second 64 KiB frame */
#define MAX_APRS	  4	   /* ICC_AP{0,1}R{0..3}: 7 priority bits */

/* A register array with bits_per_irq bits of each interrupt; clear: its IC* twin, or 0. */
struct reg_range {
	const char *name;
	uint32_t group; /* KVM_DEV_ARM_VGIC_GRP_* */
	uint32_t base, clear;
	uint32_t bits_per_irq;
};

/* Distributor, for the SPIs (with affinity routing on, its INTIDs 0-31 are RAZ/WI). */
static const struct reg_range dist_ranges[] = {
    {"GICD_IGROUPR", KVM_DEV_ARM_VGIC_GRP_DIST_REGS, 0x0080, 0, 1},
    {"GICD_ICFGR", KVM_DEV_ARM_VGIC_GRP_DIST_REGS, 0x0c00, 0, 2},
    {"GICD_IPRIORITYR", KVM_DEV_ARM_VGIC_GRP_DIST_REGS, 0x0400, 0, 8},
    {"GICD_IROUTER", KVM_DEV_ARM_VGIC_GRP_DIST_REGS, 0x6000, 0, 64},
    {"line level", KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO, 0, 0, 1},
    {"GICD_ISPENDR", KVM_DEV_ARM_VGIC_GRP_DIST_REGS, 0x0200, 0x0280, 1},
    {"GICD_ISACTIVER", KVM_DEV_ARM_VGIC_GRP_DIST_REGS, 0x0300, 0x0380, 1},
    {"GICD_ISENABLER", KVM_DEV_ARM_VGIC_GRP_DIST_REGS, 0x0100, 0x0180, 1},
};

/* A redistributor's SGI frame, for the vCPU's 16 SGIs and 16 PPIs. */
static const struct reg_range redist_ranges[] = {
    {"GICR_IGROUPR0", KVM_DEV_ARM_VGIC_GRP_REDIST_REGS, SGI_FRAME + 0x0080, 0, 1},
    {"GICR_ICFGR", KVM_DEV_ARM_VGIC_GRP_REDIST_REGS, SGI_FRAME + 0x0c00, 0, 2},
    {"GICR_IPRIORITYR", KVM_DEV_ARM_VGIC_GRP_REDIST_REGS, SGI_FRAME + 0x0400, 0, 8},
    {"GICR_ISPENDR0", KVM_DEV_ARM_VGIC_GRP_REDIST_REGS, SGI_FRAME + 0x0200, SGI_FRAME + 0x0280, 1},
    {"GICR_ISACTIVER0", KVM_DEV_ARM_VGIC_GRP_REDIST_REGS, SGI_FRAME + 0x0300, SGI_FRAME + 0x0380,
     1},
    {"GICR_ISENABLER0", KVM_DEV_ARM_VGIC_GRP_REDIST_REGS, SGI_FRAME + 0x0100, SGI_FRAME + 0x0180,
     1},
};

/* The ICC_* encodings KVM's GRP_CPU_SYSREGS takes (the low 16 bits of ARM64_SYS_REG). */
#define ICC(op0, op1, crn, crm, op2)                                                               \
	(__ARM64_SYS_REG(op0, op1, crn, crm, op2) & KVM_DEV_ARM_VGIC_SYSREG_INSTR_MASK)
#define ICC_SRE_EL1	       ICC(3, 0, 12, 12, 5)
#define ICC_CTLR_EL1	       ICC(3, 0, 12, 12, 4)
#define ICC_IGRPEN0_EL1	       ICC(3, 0, 12, 12, 6)
#define ICC_IGRPEN1_EL1	       ICC(3, 0, 12, 12, 7)
#define ICC_PMR_EL1	       ICC(3, 0, 4, 6, 0)
#define ICC_BPR0_EL1	       ICC(3, 0, 12, 8, 3)
#define ICC_BPR1_EL1	       ICC(3, 0, 12, 12, 3)
#define ICC_AP0R_EL1(n)	       ICC(3, 0, 12, 8, 4 + (n))
#define ICC_AP1R_EL1(n)	       ICC(3, 0, 12, 9, (n))
#define ICC_CTLR_PRIBITS(ctlr) ((((ctlr) >> 8) & 7) + 1)

static const uint64_t icc_regs[] = {ICC_SRE_EL1, ICC_CTLR_EL1, ICC_IGRPEN0_EL1, ICC_IGRPEN1_EL1,
				    ICC_PMR_EL1, ICC_BPR0_EL1, ICC_BPR1_EL1};

static int access(const struct gic_vm *g, bool write, uint32_t group, uint64_t attr, void *value)
{
	struct kvm_device_attr a = {.group = group, .attr = attr, .addr = (uintptr_t)value};
	return ioctl(g->gic_fd, write ? KVM_SET_DEVICE_ATTR : KVM_GET_DEVICE_ATTR, &a);
}

/* The attribute of the 32-bit word at byte `at` of range r, for the vCPU with this MPIDR. */
static uint64_t word_attr(const struct reg_range *r, uint32_t at, uint64_t mpidr_attr)
{
	if (r->group == KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO) /* one word per 32 INTIDs */
		return (uint64_t)VGIC_LEVEL_INFO_LINE_LEVEL
			   << KVM_DEV_ARM_VGIC_LINE_LEVEL_INFO_SHIFT |
		       (NR_PRIVATE_IRQS + at * 8);
	return mpidr_attr | (r->base + at);
}

/*
 * Saves (w set) or restores (r set) one range for INTIDs [first, first +
 * count): the words in order, each restored after its clear twin took all.
 */
static int do_range(const struct gic_vm *g, const struct reg_range *r, uint32_t first,
		    uint32_t count, uint64_t mpidr_attr, struct snap_writer *w,
		    struct snap_reader *rd)
{
	uint32_t start = first * r->bits_per_irq / 8, bytes = count * r->bits_per_irq / 8;
	if (r->group == KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO)
		start = 0; /* counted from the first SPI */
	for (uint32_t at = start; at < start + bytes; at += 4) {
		uint32_t value = 0, all = ~0u;
		uint64_t attr = word_attr(r, at, mpidr_attr);
		if (w) {
			if (access(g, false, r->group, attr, &value) < 0)
				return vmm_err("snapshot: vGICv3 %s at +0x%x: %s", r->name, at,
					       strerror(errno));
			snap_put_u32(w, value);
			continue;
		}
		if (snap_get_u32(rd, &value) < 0)
			return -1;
		if (r->clear && access(g, true, r->group, mpidr_attr | (r->clear + at), &all) < 0)
			return snap_bad(rd, "vGICv3 clearing %s at +0x%x: %s", r->name, at,
					strerror(errno));
		if (access(g, true, r->group, attr, &value) < 0)
			return snap_bad(rd, "vGICv3 %s at +0x%x: %s", r->name, at, strerror(errno));
	}
	return 0;
}

static int do_ranges(const struct gic_vm *g, const struct reg_range *ranges, size_t n,
		     uint32_t first, uint32_t count, uint64_t mpidr_attr, struct snap_writer *w,
		     struct snap_reader *r)
{
	for (size_t i = 0; i < n; i++)
		if (do_range(g, &ranges[i], first, count, mpidr_attr, w, r) < 0)
			return -1;
	return 0;
}

/* GICD_CTLR: a word of its own, saved and restored first. */
static int do_dist_ctlr(const struct gic_vm *g, struct snap_writer *w, struct snap_reader *r)
{
	uint32_t ctlr = 0;
	if (w) {
		if (access(g, false, KVM_DEV_ARM_VGIC_GRP_DIST_REGS, 0, &ctlr) < 0)
			return vmm_err("snapshot: vGICv3 GICD_CTLR: %s", strerror(errno));
		return snap_put_u32(w, ctlr);
	}
	if (snap_get_u32(r, &ctlr) < 0)
		return -1;
	if (access(g, true, KVM_DEV_ARM_VGIC_GRP_DIST_REGS, 0, &ctlr) < 0)
		return snap_bad(r, "vGICv3 GICD_CTLR: %s", strerror(errno));
	return 0;
}

/* How many ICC_AP{0,1}Rn_EL1 this vCPU's interface has (from its priority bits). */
static int nr_aprs(const struct gic_vm *g, uint64_t mpidr_attr)
{
	uint64_t ctlr = 0;
	if (access(g, false, KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS, mpidr_attr | ICC_CTLR_EL1, &ctlr) <
	    0)
		return -1;
	unsigned pribits = ICC_CTLR_PRIBITS(ctlr);
	return pribits >= 7 ? 4 : pribits == 6 ? 2 : 1;
}

static int do_icc_reg(const struct gic_vm *g, uint64_t attr, struct snap_writer *w,
		      struct snap_reader *r)
{
	uint64_t value = 0;
	if (w) {
		if (access(g, false, KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS, attr, &value) < 0)
			return vmm_err("snapshot: vGICv3 CPU interface register 0x%llx: %s",
				       (unsigned long long)(attr & 0xffff), strerror(errno));
		return snap_put_u64(w, value);
	}
	if (snap_get_u64(r, &value) < 0)
		return -1;
	if (access(g, true, KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS, attr, &value) < 0)
		return snap_bad(r, "vGICv3 CPU interface register 0x%llx (value 0x%llx): %s",
				(unsigned long long)(attr & 0xffff), (unsigned long long)value,
				strerror(errno));
	return 0;
}

/* One vCPU's CPU interface: the APR count first (a restore needs the same), then the registers. */
static int do_cpu_interface(const struct gic_vm *g, uint64_t mpidr_attr, struct snap_writer *w,
			    struct snap_reader *r)
{
	int aprs = nr_aprs(g, mpidr_attr);
	if (aprs < 0)
		return w ? vmm_err("snapshot: vGICv3 ICC_CTLR_EL1: %s", strerror(errno))
			 : snap_bad(r, "vGICv3 ICC_CTLR_EL1: %s", strerror(errno));
	if (w)
		snap_put_u8(w, (uint8_t)aprs);
	else {
		uint8_t saved;
		if (snap_get_u8(r, &saved) < 0)
			return -1;
		if (saved != aprs)
			return snap_bad(r,
					"its GIC CPU interfaces have %u active-priority "
					"registers, this host's have %d",
					saved, aprs);
	}
	for (size_t i = 0; i < sizeof(icc_regs) / sizeof(icc_regs[0]); i++)
		if (do_icc_reg(g, mpidr_attr | icc_regs[i], w, r) < 0)
			return -1;
	for (int n = 0; n < aprs; n++)
		if (do_icc_reg(g, mpidr_attr | ICC_AP0R_EL1(n), w, r) < 0 ||
		    do_icc_reg(g, mpidr_attr | ICC_AP1R_EL1(n), w, r) < 0)
			return -1;
	return 0;
}

/* The KVM attribute's vCPU field: MPIDR's Aff3..Aff0 packed into 32 bits. */
static uint64_t mpidr_attr(uint64_t mpidr)
{
	uint64_t packed = (mpidr & 0xffffff) | ((mpidr >> 32) & 0xff) << 24;
	return packed << KVM_DEV_ARM_VGIC_V3_MPIDR_SHIFT;
}

static int transfer(const struct gic_vm *g, struct snap_writer *w, struct snap_reader *r)
{
	uint32_t spis = g->nr_irqs - NR_PRIVATE_IRQS;
	if (do_dist_ctlr(g, w, r) < 0)
		return -1;
	for (int i = 0; i < g->nr_vcpus; i++)
		if (do_ranges(g, redist_ranges, sizeof(redist_ranges) / sizeof(redist_ranges[0]), 0,
			      NR_PRIVATE_IRQS, mpidr_attr(g->mpidr[i]), w, r) < 0)
			return -1;
	if (do_ranges(g, dist_ranges, sizeof(dist_ranges) / sizeof(dist_ranges[0]), NR_PRIVATE_IRQS,
		      spis, 0, w, r) < 0)
		return -1;
	for (int i = 0; i < g->nr_vcpus; i++)
		if (do_cpu_interface(g, mpidr_attr(g->mpidr[i]), w, r) < 0)
			return -1;
	return 0;
}

int gic_state_save(const struct gic_vm *g, struct snap_writer *w)
{
	if (snap_put_u32(w, GIC_STATE_VERSION) < 0 || snap_put_u32(w, (uint32_t)g->nr_irqs) < 0 ||
	    transfer(g, w, NULL) < 0)
		return -1;
	return w->failed ? vmm_err("out of memory") : 0;
}

int gic_state_load(const struct gic_vm *g, struct snap_reader *r)
{
	uint32_t irqs;
	if (snap_get_version(r, GIC_STATE_VERSION) < 0 || snap_get_u32(r, &irqs) < 0)
		return -1;
	if (irqs != (uint32_t)g->nr_irqs)
		return snap_bad(r, "its vGICv3 has %u interrupts, this board's has %d", irqs,
				g->nr_irqs);
	return transfer(g, NULL, r);
}
