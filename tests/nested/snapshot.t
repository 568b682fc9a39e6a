#!/usr/bin/env bash
# tests/vmm/linux-snapshot.t (a Linux guest through snapshot and restore) on
# a real KVM: in the lab host (nested kvm_amd) when this host has PVM or no KVM.
. "$(dirname "$0")/../lib.sh"
! have_real_kvm || skip_all "this host's KVM is real: tests/vmm/linux-snapshot.t runs directly"
labhost_test tests/vmm/linux-snapshot.t
