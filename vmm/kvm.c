#include "kvm.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "arch.h"
#include "util.h"

/* What the core needs on every architecture; arch_required_caps adds the arch's own. */
static const struct kvm_cap_need core_caps[] = {
    {KVM_CAP_USER_MEMORY, "USER_MEMORY"},
    {KVM_CAP_IRQCHIP, "IRQCHIP"},
    {KVM_CAP_IMMEDIATE_EXIT, "IMMEDIATE_EXIT"},
    {KVM_CAP_MP_STATE, "MP_STATE"},
};

static const char *missing_cap(int fd, const struct kvm_cap_need *caps, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (ioctl(fd, KVM_CHECK_EXTENSION, caps[i].cap) <= 0)
			return caps[i].name;
	return NULL;
}

static bool cpu_has_hw_virt(void)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	if (!f)
		return true; /* can't tell: assume hardware and mask nothing */
	char line[4096];
	bool found = false;
	while (!found && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "flags", 5) == 0)
			found = strstr(line, " vmx") || strstr(line, " svm");
	}
	fclose(f);
	return found;
}

/*
 * PVM runs guest CPL 0 through an instruction emulator: it boots Linux, but
 * slowly, and only with the features that emulator implements.
 */
static bool kvm_is_emulated(void)
{
	return access("/sys/module/kvm_pvm", F_OK) == 0 && !cpu_has_hw_virt();
}

static int open_device(const char *path)
{
	int fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	if (errno == ENOENT)
		return vmm_err("%s not found: KVM is not available on this host", path);
	if (errno == EACCES || errno == EPERM)
		return vmm_err("no permission to open %s (run as root or join the kvm group)",
			       path);
	return vmm_err("cannot open %s: %s", path, strerror(errno));
}

int kvm_host_open(struct kvm_host *host)
{
	const char *path = getenv("VMM_KVM_DEVICE");
	if (!path || !*path)
		path = "/dev/kvm";
	host->fd = open_device(path);
	if (host->fd < 0)
		return -1;
	int api = ioctl(host->fd, KVM_GET_API_VERSION, 0);
	if (api != KVM_API_VERSION) {
		kvm_host_close(host);
		return vmm_err("%s is not a usable KVM device (API version %d, need %d)", path, api,
			       KVM_API_VERSION);
	}
	const char *missing =
	    missing_cap(host->fd, core_caps, sizeof(core_caps) / sizeof(core_caps[0]));
	if (!missing)
		missing = missing_cap(host->fd, arch_required_caps, arch_nr_required_caps);
	if (missing) {
		kvm_host_close(host);
		return vmm_err("KVM lacks a capability vmm needs: KVM_CAP_%s", missing);
	}
	host->run_size = ioctl(host->fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	host->max_vcpus = ioctl(host->fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
	if (host->max_vcpus <= 0)
		host->max_vcpus = ioctl(host->fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_VCPUS);
	if (host->run_size <= 0 || host->max_vcpus <= 0) {
		kvm_host_close(host);
		return vmm_err("KVM returned no vCPU limits");
	}
	host->emulated = kvm_is_emulated();
	int page = ioctl(host->fd, KVM_CHECK_EXTENSION, KVM_CAP_COALESCED_MMIO);
	host->coalesced_page =
	    page > 0 && (long)(page + 1) * getpagesize() <= host->run_size ? page : 0;
	host->coalesced_pio = ioctl(host->fd, KVM_CHECK_EXTENSION, KVM_CAP_COALESCED_PIO) > 0;
	return 0;
}

void kvm_host_close(struct kvm_host *host)
{
	if (host->fd >= 0)
		close(host->fd);
	host->fd = -1;
}
