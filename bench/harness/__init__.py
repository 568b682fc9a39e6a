"""The bench harness: runs the workloads natively, in the container and in the VM."""
