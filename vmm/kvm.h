/* The host side of KVM: the /dev/kvm system fd, what it supports, what kind it is. */
#ifndef VMM_KVM_H
#define VMM_KVM_H

#include <stdbool.h>

struct kvm_host {
	int fd;		    /* /dev/kvm */
	int run_size;	    /* bytes of each vCPU's shared struct kvm_run */
	int max_vcpus;	    /* KVM_CAP_MAX_VCPUS */
	bool emulated;	    /* guest kernel code is emulated (PVM without VT-x/AMD-V) */
	int coalesced_page; /* KVM_CAP_COALESCED_MMIO: page of the write ring in kvm_run; 0 none */
	bool coalesced_pio; /* KVM_CAP_COALESCED_PIO: port writes can be batched too */
};

/* Opens /dev/kvm (or $VMM_KVM_DEVICE) and checks what vmm needs; prints why on failure. */
int kvm_host_open(struct kvm_host *host);
void kvm_host_close(struct kvm_host *host);

#endif
