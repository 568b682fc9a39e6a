#!/usr/bin/env bash
# tests/virtio/snapshot-io.t on a real KVM: in the lab host (nested kvm_amd)
# when this host has PVM or no KVM.
. "$(dirname "$0")/../lib.sh"
! have_real_kvm || skip_all "this host's KVM is real: tests/virtio/snapshot-io.t runs directly"
labhost_test tests/virtio/snapshot-io.t
