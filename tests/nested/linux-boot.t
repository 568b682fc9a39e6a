#!/usr/bin/env bash
# tests/vmm/linux-boot.t on a real KVM: in the lab host (nested kvm_amd) when
# this host has PVM or no KVM; both kernel forms on 1 and 2 vCPUs.
. "$(dirname "$0")/../lib.sh"
! have_real_kvm || skip_all "this host's KVM is real: tests/vmm/linux-boot.t boots everything directly"
labhost_test --smp 2 tests/vmm/linux-boot.t
