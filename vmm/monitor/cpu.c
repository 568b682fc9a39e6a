/*
 * The x86 side of the monitor (monitor/internal.h): what a paused vCPU's
 * registers say, and guest virtual addresses through its page tables.
 */
#include <inttypes.h>

#include "../x86/processor.h"
#include "internal.h"
#include "pagewalk.h"

static const char *cpu_mode(const struct kvm_sregs *s)
{
	if (!(s->cr0 & X86_CR0_PE))
		return "real";
	if (s->efer & EFER_LMA)
		return s->cs.l ? "long (64-bit)" : "long (compatibility)";
	return s->cs.db ? "protected (32-bit)" : "protected (16-bit)";
}

const char *monitor_mp_state_name(uint32_t state)
{
	switch (state) {
	case KVM_MP_STATE_RUNNABLE:
		return "runnable";
	case KVM_MP_STATE_HALTED:
		return "halted";
	case KVM_MP_STATE_UNINITIALIZED:
		return "waiting for INIT/SIPI";
	case KVM_MP_STATE_INIT_RECEIVED:
		return "INIT received";
	default:
		return "other";
	}
}

int monitor_cpu_summary(struct cmd_ctx *c, int cpu, uint64_t *pc, const char **mode)
{
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	if (c->mon->ops->get_regs(c->mon->ctx, cpu, &regs, &sregs) < 0)
		return -1;
	*pc = regs.rip;
	*mode = cpu_mode(&sregs);
	return 0;
}

static void print_segment(FILE *out, const char *name, const struct kvm_segment *s)
{
	fprintf(out, "%-3s sel=0x%04x base=0x%016llx limit=0x%08x type=%u dpl=%u%s%s%s\n", name,
		s->selector, (unsigned long long)s->base, s->limit, s->type, s->dpl,
		s->present ? " P" : "", s->l ? " L" : "", s->db ? " DB" : "");
}

static void print_registers(FILE *out, int cpu, const struct kvm_regs *r, const struct kvm_sregs *s)
{
	fprintf(out, "CPU #%d (%s)\n", cpu, cpu_mode(s));
	fprintf(out, "rax=0x%016llx rbx=0x%016llx rcx=0x%016llx rdx=0x%016llx\n", r->rax, r->rbx,
		r->rcx, r->rdx);
	fprintf(out, "rsi=0x%016llx rdi=0x%016llx rbp=0x%016llx rsp=0x%016llx\n", r->rsi, r->rdi,
		r->rbp, r->rsp);
	fprintf(out, "r8 =0x%016llx r9 =0x%016llx r10=0x%016llx r11=0x%016llx\n", r->r8, r->r9,
		r->r10, r->r11);
	fprintf(out, "r12=0x%016llx r13=0x%016llx r14=0x%016llx r15=0x%016llx\n", r->r12, r->r13,
		r->r14, r->r15);
	fprintf(out, "rip=0x%016llx rflags=0x%08llx\n", r->rip, r->rflags);
	const struct {
		const char *name;
		const struct kvm_segment *seg;
	} segs[] = {{"cs", &s->cs}, {"ds", &s->ds}, {"es", &s->es}, {"fs", &s->fs},
		    {"gs", &s->gs}, {"ss", &s->ss}, {"tr", &s->tr}, {"ldt", &s->ldt}};
	for (size_t i = 0; i < sizeof(segs) / sizeof(segs[0]); i++)
		print_segment(out, segs[i].name, segs[i].seg);
	fprintf(out, "gdt base=0x%016llx limit=0x%04x\n", (unsigned long long)s->gdt.base,
		s->gdt.limit);
	fprintf(out, "idt base=0x%016llx limit=0x%04x\n", (unsigned long long)s->idt.base,
		s->idt.limit);
	fprintf(out, "cr0=0x%016llx cr2=0x%016llx cr3=0x%016llx cr4=0x%016llx\n", s->cr0, s->cr2,
		s->cr3, s->cr4);
	fprintf(out, "cr8=0x%016llx efer=0x%016llx apic_base=0x%016llx\n", s->cr8, s->efer,
		s->apic_base);
}

int monitor_print_registers(struct cmd_ctx *c, int cpu)
{
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	if (c->mon->ops->get_regs(c->mon->ctx, cpu, &regs, &sregs) < 0)
		return -1;
	print_registers(c->out, cpu, &regs, &sregs);
	return 0;
}

static int translate(const void *mmu, const struct guest_mem *mem, uint64_t va,
		     struct monitor_translation *out)
{
	struct walk w;
	enum walk_result r = page_walk(mem, mmu, va, &w);
	*out = (struct monitor_translation){.gpa = w.gpa, .page_size = w.page_size};
	if (r != WALK_OK)
		out->why = walk_result_text(r);
	return r == WALK_OK ? 0 : -1;
}

int monitor_read_virtual(struct cmd_ctx *c, int cpu, uint64_t addr, uint8_t *buf, uint64_t len)
{
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	if (c->mon->ops->get_regs(c->mon->ctx, cpu, &regs, &sregs) < 0)
		return cmd_error(c, "KVM would not give vCPU %d's registers", cpu);
	return monitor_copy_virtual(c, translate, &sregs, addr, buf, len);
}
