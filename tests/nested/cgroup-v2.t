#!/usr/bin/env bash
# The container's cgroup-v2 tests on a pure cgroup-v2 host: in the lab host
# when this host is not one (these hosts are v1 with an empty unified mount).
. "$(dirname "$0")/../lib.sh"
! is_cgroup2_host || skip_all "this host is cgroup v2 only: tests/container/cgroup_v2_limits.t runs directly"
labhost_test tests/container/cgroup_v2_limits.t
