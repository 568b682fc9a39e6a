#include "xsave.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/ioctl.h>

#define BIT(n)		     (1u << (n))
#define LEAF1_ECX_XSAVE	     BIT(26)
#define LEGACY_AREA_SIZE     576 /* 512-byte FXSAVE image + 64-byte XSAVE header */
#define FIRST_EXTENDED_STATE 2	 /* 0 (x87) and 1 (SSE) live in the legacy area */
#define XSAVE_COMPONENTS     64

/* An XSAVE component (a bit of XCR0) and the CPUID flag Linux requires for it. */
struct component_dep {
	uint8_t component;
	uint32_t leaf;
	char reg; /* 'b', 'c', 'd': the register of leaf (sub-leaf 0) holding the flag */
	uint32_t bit;
};

static const struct component_dep deps[] = {
    {2, 1, 'c', BIT(28)}, {3, 7, 'b', BIT(14)},	 {4, 7, 'b', BIT(14)},
    {5, 7, 'b', BIT(16)}, {6, 7, 'b', BIT(16)},	 {7, 7, 'b', BIT(16)},
    {9, 7, 'c', BIT(3)},  {17, 7, 'd', BIT(24)}, {18, 7, 'd', BIT(24)},
};

static struct kvm_cpuid_entry2 *find(struct kvm_cpuid2 *cpuid, uint32_t function, uint32_t index)
{
	for (unsigned i = 0; i < cpuid->nent; i++)
		if (cpuid->entries[i].function == function && cpuid->entries[i].index == index)
			return &cpuid->entries[i];
	return NULL;
}

static bool flag_shown(struct kvm_cpuid2 *cpuid, const struct component_dep *d)
{
	const struct kvm_cpuid_entry2 *e = find(cpuid, d->leaf, 0);
	if (!e)
		return false;
	uint32_t reg = d->reg == 'b' ? e->ebx : d->reg == 'c' ? e->ecx : e->edx;
	return reg & d->bit;
}

static void clear_entry(struct kvm_cpuid_entry2 *e)
{
	if (e)
		e->eax = e->ebx = e->ecx = e->edx = 0;
}

/* The standard-format size of the user components in mask: the end of the last one. */
static uint32_t user_area_size(struct kvm_cpuid2 *cpuid, uint64_t mask)
{
	uint32_t size = LEGACY_AREA_SIZE;
	for (int c = FIRST_EXTENDED_STATE; c < XSAVE_COMPONENTS; c++) {
		const struct kvm_cpuid_entry2 *e = (mask >> c) & 1 ? find(cpuid, 0xd, c) : NULL;
		if (e && e->eax + e->ebx > size)
			size = e->eax + e->ebx; /* eax: size, ebx: offset */
	}
	return size;
}

uint64_t cpuid_xsave_mask(struct kvm_cpuid2 *cpuid)
{
	const struct kvm_cpuid_entry2 *leaf1 = find(cpuid, 1, 0);
	const struct kvm_cpuid_entry2 *top = find(cpuid, 0xd, 0);
	if (!leaf1 || !(leaf1->ecx & LEAF1_ECX_XSAVE) || !top)
		return 0;
	return top->eax | (uint64_t)top->edx << 32;
}

int xsave_start_xcr0(int vcpu_fd, uint64_t mask)
{
	if (!(mask & 1)) /* no XSAVE: XCR0 does not exist for the guest */
		return 0;
	struct kvm_xcrs xcrs = {.nr_xcrs = 1, .xcrs = {{.xcr = 0, .value = mask}}};
	if (ioctl(vcpu_fd, KVM_SET_XCRS, &xcrs) < 0 && errno != EINVAL && errno != ENOTTY)
		return -1;
	return 0;
}

void cpuid_xsave_consistent(struct kvm_cpuid2 *cpuid)
{
	const struct kvm_cpuid_entry2 *leaf1 = find(cpuid, 1, 0);
	bool xsave = leaf1 && (leaf1->ecx & LEAF1_ECX_XSAVE);
	struct kvm_cpuid_entry2 *top = find(cpuid, 0xd, 0);
	if (!top)
		return;
	uint64_t user = top->eax | (uint64_t)top->edx << 32;
	for (size_t i = 0; i < sizeof(deps) / sizeof(deps[0]); i++) {
		if (!xsave || !flag_shown(cpuid, &deps[i])) {
			user &= ~(1ULL << deps[i].component);
			clear_entry(find(cpuid, 0xd, deps[i].component));
		}
	}
	if (!xsave) {
		for (unsigned i = 0; i < cpuid->nent; i++)
			if (cpuid->entries[i].function == 0xd)
				clear_entry(&cpuid->entries[i]);
		return;
	}
	top->eax = (uint32_t)user;
	top->edx = (uint32_t)(user >> 32);
	/* ecx: room for every component offered; ebx: for those in XCR0, which KVM rewrites. */
	top->ecx = user_area_size(cpuid, user);
	top->ebx = top->ecx;
}
