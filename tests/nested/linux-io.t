#!/usr/bin/env bash
# tests/virtio/linux-io.t on a real KVM with vhost-vsock: in the lab host
# (nested kvm_amd) when this host has PVM or no KVM.
. "$(dirname "$0")/../lib.sh"
! have_real_kvm || skip_all "this host's KVM is real: tests/virtio/linux-io.t runs directly"
labhost_test tests/virtio/linux-io.t
