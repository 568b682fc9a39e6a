#!/usr/bin/env bash
# The OCI runtime on a pure cgroup v2 host, in the lab host when this host is not one:
# device rules as a BPF program and the resources part of the validation suite.
. "$(dirname "$0")/../lib.sh"
! is_cgroup2_host || skip_all "this host is cgroup v2 only: tests/container/oci_v2_host.t runs directly"
labhost_test tests/container/oci_v2_host.t
