#!/usr/bin/env bash
# The OCI runtime on a pure cgroup v2 host (the lab host runs this: tests/nested/oci-v2.t):
# the device rules as a BPF program (oci_devices.t, on the host's own v2 root), then the
# resources part of the runtime-tools suite against runc's results in the same lab host
# (tests/nested/oci-validation-runc-v2.txt). The whole suite takes ~7 min there (410 s,
# 3100 passed); run it with:
#   tests/nested/run -- env OCI_VALIDATION_TESTS= OCI_VALIDATION_BASELINE=tests/nested/oci-validation-runc-v2.txt tests/container/oci_validation.t
. "$(dirname "$0")/../lib.sh"
need_root
need_cgroup2_host
# The tests about linux.resources and devices: linux_devices validates the whole default
# config (its deny-all device rule too, so the BPF program) with devices added; the suite's
# own cgroup checks cannot read v2 and fail for runc as for us. (~115 s with the boot on an
# idle host, ~290 s when other TCG guests share its two cores.)
TESTS="linux_devices linux_cgroups_devices linux_cgroups_pids linux_cgroups_memory delete_resources"
subtest tests/container/oci_devices.t
subtest tests/container/oci_validation.t OCI_VALIDATION_TESTS="${OCI_VALIDATION_TESTS-$TESTS}" \
	OCI_VALIDATION_BASELINE=tests/nested/oci-validation-runc-v2.txt OCI_TEST_TIMEOUT=120
done_testing
