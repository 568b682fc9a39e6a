#include "insn.h"

#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>

#include "processor.h"

#define FSW_EXCEPTIONS 0x003f /* IE DE ZE OE UE PE */
#define FSW_SF	       0x0040
#define FSW_ES	       0x0080 /* an unmasked exception is pending */
#define FSW_BUSY       0x8000

/* Reads up to len instruction bytes at the vCPU's RIP (stops at a page end). */
static int fetch(int vcpu_fd, const struct guest_mem *mem, const struct kvm_regs *regs,
		 const struct kvm_sregs *sregs, uint8_t *bytes, size_t len)
{
	struct kvm_translation tr = {.linear_address = sregs->cs.base + regs->rip};
	if (ioctl(vcpu_fd, KVM_TRANSLATE, &tr) < 0 || !tr.valid)
		return -1;
	size_t in_page = 4096 - (tr.physical_address & 0xfff);
	if (len > in_page)
		len = in_page;
	const uint8_t *src = guest_mem_ptr(mem, tr.physical_address, len);
	if (!src)
		return -1;
	memcpy(bytes, src, len);
	return (int)len;
}

/* FWAIT with no unmasked exception pending does nothing. */
static int do_fwait(struct kvm_fpu *fpu)
{
	return (fpu->fsw & FSW_ES) ? -1 : 0;
}

static int do_fnclex(struct kvm_fpu *fpu)
{
	fpu->fsw &= ~(FSW_EXCEPTIONS | FSW_SF | FSW_ES | FSW_BUSY);
	return 0;
}

/* EMMS marks every x87 register empty (0 in the abridged FXSAVE tag). */
static int do_emms(struct kvm_fpu *fpu)
{
	fpu->ftwx = 0;
	return 0;
}

static const struct {
	uint8_t bytes[2];
	uint8_t len;
	int (*complete)(struct kvm_fpu *fpu);
} known[] = {
    {{0x9b}, 1, do_fwait},
    {{0xdb, 0xe2}, 2, do_fnclex},
    {{0x0f, 0x77}, 2, do_emms},
};

int insn_complete(int vcpu_fd, const struct guest_mem *mem)
{
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_fpu fpu;
	uint8_t bytes[2] = {0};
	if (ioctl(vcpu_fd, KVM_GET_REGS, &regs) < 0 || ioctl(vcpu_fd, KVM_GET_SREGS, &sregs) < 0)
		return -1;
	int got = fetch(vcpu_fd, mem, &regs, &sregs, bytes, sizeof(bytes));
	/* With CR0.TS or CR0.EM set these raise #NM; only the plain case is completed here. */
	if (got <= 0 || (sregs.cr0 & (X86_CR0_TS | X86_CR0_EM)))
		return -1;
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		if (known[i].len > got || memcmp(bytes, known[i].bytes, known[i].len) != 0)
			continue;
		if (ioctl(vcpu_fd, KVM_GET_FPU, &fpu) < 0 || known[i].complete(&fpu) < 0 ||
		    ioctl(vcpu_fd, KVM_SET_FPU, &fpu) < 0)
			return -1;
		regs.rip += known[i].len;
		return ioctl(vcpu_fd, KVM_SET_REGS, &regs) < 0 ? -1 : 0;
	}
	return -1;
}
