#!/usr/bin/env bash
# tests/vmm/linux-migrate.t on a real KVM: in the lab host (nested kvm_amd)
# when this host has PVM or no KVM. 2 vCPUs: the two vmm processes each run one.
. "$(dirname "$0")/../lib.sh"
! have_real_kvm || skip_all "this host's KVM is real: tests/vmm/linux-migrate.t runs directly"
labhost_test --smp 2 tests/vmm/linux-migrate.t
