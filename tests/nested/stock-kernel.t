#!/usr/bin/env bash
# tests/vmm/stock-kernel.t (Debian's stock kernel under vmm) on a real KVM:
# in the lab host (nested kvm_amd) when this host has PVM or no KVM.
#
# About one run in seven, the whole lab host went idle during this boot and
# never woke: QEMU used no CPU, and even the timeout inside L1 never fired,
# so L1's own timer was lost (a QEMU TCG/nested-SVM hang, cause not found;
# linux-boot.t has shown it too). L1's heartbeat stopping ends such a run
# (tests/nested/run exit 123) and labhost_test tries once more.
. "$(dirname "$0")/../lib.sh"
! have_real_kvm || skip_all "this host's KVM is real: tests/vmm/stock-kernel.t runs directly"
# Above the 300 s the test gives vmm inside L1, so a guest that hangs while L1 is
# alive still fails there, with its console in the output.
export ISOLAB_NESTED_TIMEOUT=${ISOLAB_NESTED_TIMEOUT:-360}
labhost_test tests/vmm/stock-kernel.t
