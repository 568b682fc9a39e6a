/* The in-kernel GICv3 (KVM_DEV_TYPE_ARM_VGIC_V3): KVM emulates it, vmm only places it. */
#ifndef VMM_ARM64_GIC_H
#define VMM_ARM64_GIC_H

/* Before any vCPU: creates the vGIC and sets its distributor and redistributor addresses. */
int gic_create(int vm_fd);
/* After every vCPU exists, before the first KVM_RUN, KVM_IRQFD or KVM_IRQ_LINE. */
int gic_finish(int gic_fd, int nr_irqs);

#endif
