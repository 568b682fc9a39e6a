/*
 * The vGICv3. KVM wants it created before the vCPUs (so each gets its
 * redistributor), told its guest addresses, and initialised only once every
 * vCPU exists: the redistributor region is one 128 KiB frame pair per vCPU
 * from ARM64_GIC_REDIST_BASE, in vCPU order.
 */
#include "gic.h"

#include <errno.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "../util.h"
#include "layout.h"

static int set_attr(int fd, uint32_t group, uint64_t attr, void *value, const char *what)
{
	struct kvm_device_attr a = {.group = group, .attr = attr, .addr = (uintptr_t)value};
	if (ioctl(fd, KVM_SET_DEVICE_ATTR, &a) < 0)
		return vmm_err("vGICv3 %s: %s", what, strerror(errno));
	return 0;
}

int gic_create(int vm_fd)
{
	struct kvm_create_device dev = {.type = KVM_DEV_TYPE_ARM_VGIC_V3};
	if (ioctl(vm_fd, KVM_CREATE_DEVICE, &dev) < 0)
		return vmm_err("KVM cannot create a GICv3 (%s): vmm needs a host with a GICv3, "
			       "e.g. qemu-system-aarch64 -M virt,gic-version=3",
			       strerror(errno));
	uint64_t dist = ARM64_GIC_DIST_BASE, redist = ARM64_GIC_REDIST_BASE;
	if (set_attr(dev.fd, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_DIST, &dist,
		     "distributor address") < 0 ||
	    set_attr(dev.fd, KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_VGIC_V3_ADDR_TYPE_REDIST, &redist,
		     "redistributor address") < 0) {
		close(dev.fd);
		return -1;
	}
	return (int)dev.fd;
}

int gic_finish(int gic_fd, int nr_irqs)
{
	uint32_t irqs = (uint32_t)nr_irqs;
	if (set_attr(gic_fd, KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, &irqs, "number of interrupts") < 0)
		return -1;
	return set_attr(gic_fd, KVM_DEV_ARM_VGIC_GRP_CTRL, KVM_DEV_ARM_VGIC_CTRL_INIT, NULL,
			"init");
}
