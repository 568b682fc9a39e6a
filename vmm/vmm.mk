# vmm/: the hypervisor. Rules added with its code.

# Virtio devices keep their own fragment (sources, unit tests, fuzz harness).
-include vmm/virtio/virtio.mk
