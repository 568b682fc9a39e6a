#include "pmu.h"

#include <errno.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>

#include "../util.h"

/* The counter MSRs Linux's perf probe and drivers touch, AMD's and Intel's (SDM / APM numbers). */
static const struct {
	uint32_t base, count;
} perf_msrs[] = {
    {0xc0010000, 8},  /* AMD K7 legacy: PERF_CTL0-3, PERF_CTR0-3 (the probe writes 0xc0010007) */
    {0xc0010200, 12}, /* AMD PerfCtrExtCore: PERF_CTL/CTR 0-5 */
    {0xc0010230, 16}, /* AMD PerfCtrExtLLC (L2I) */
    {0xc0010240, 8},  /* AMD PerfCtrExtNB / DF */
    {0xc0000300, 4},  /* AMD PerfMonV2 global control and status */
    {0x000000c1, 8},  /* Intel IA32_PMC0-7 */
    {0x00000186, 8},  /* Intel IA32_PERFEVTSEL0-7 */
    {0x00000309, 4},  /* Intel fixed counters */
    {0x0000038d, 4},  /* Intel fixed control, global status/control/overflow */
    {0x000004c1, 8},  /* Intel full-width PMC writes */
};
#define NR_RANGES (sizeof(perf_msrs) / sizeof(perf_msrs[0]))

static int disable_vpmu(int kvm_fd, int vm_fd)
{
	int caps = ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_PMU_CAPABILITY);
	if (caps <= 0 || !(caps & KVM_PMU_CAP_DISABLE))
		return 0;
	struct kvm_enable_cap cap = {.cap = KVM_CAP_PMU_CAPABILITY, .args = {KVM_PMU_CAP_DISABLE}};
	if (ioctl(vm_fd, KVM_ENABLE_CAP, &cap) < 0)
		return vmm_err("KVM_CAP_PMU_CAPABILITY: %s", strerror(errno));
	return 0;
}

static int filter_counters(int kvm_fd, int vm_fd)
{
	if (ioctl(kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_X86_MSR_FILTER) <= 0)
		return 0;
	_Static_assert(NR_RANGES <= KVM_MSR_FILTER_MAX_RANGES, "too many MSR ranges");
	/* A clear bit denies. KVM copies a whole long of bitmap per range of up to 64 MSRs. */
	static const uint64_t deny_all[1];
	struct kvm_msr_filter filter = {.flags = KVM_MSR_FILTER_DEFAULT_ALLOW};
	for (size_t i = 0; i < NR_RANGES; i++)
		filter.ranges[i] = (struct kvm_msr_filter_range){
		    .flags = KVM_MSR_FILTER_READ | KVM_MSR_FILTER_WRITE,
		    .nmsrs = perf_msrs[i].count,
		    .base = perf_msrs[i].base,
		    .bitmap = (uint8_t *)deny_all,
		};
	if (ioctl(vm_fd, KVM_X86_SET_MSR_FILTER, &filter) < 0)
		return vmm_err("KVM_X86_SET_MSR_FILTER: %s", strerror(errno));
	return 0;
}

int pmu_hide(int kvm_fd, int vm_fd)
{
	return disable_vpmu(kvm_fd, vm_fd) < 0 ? -1 : filter_counters(kvm_fd, vm_fd);
}
