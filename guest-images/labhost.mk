# guest-images/labhost.mk: the "lab host" (L1), Debian's generic kernel with a
# small initramfs, booted under QEMU TCG with SVM by tests/nested/run so the
# tests and the benchmark get a real kvm_amd and a pure cgroup-v2 host here.
# The kernel package is fetched with apt-get download into the cache
# (${XDG_CACHE_HOME:-~/.cache}/isolab/labhost-VERSION), never installed.
# depmod (kmod) orders the modules, python3 unpacks the ELF kernel, pgrep
# (procps) serves the runner's tests.
PKGS += qemu-system-x86 kmod python3 cpio busybox-static procps

.PHONY: labhost
labhost:
	@guest-images/labhost/build.sh

# The guest's side of linux-io.t's vsock checks: static, for the busybox rootfs.
VSOCK_PEER := $(BUILD)/tests/nested/vsock-peer
$(VSOCK_PEER): tests/nested/vsock_peer.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(Q)$(call show,CCLD,$@)$(CC) -std=c11 -D_GNU_SOURCE -O2 $(WARNINGS) -static -o $@ $<
UNIT_TESTS += $(VSOCK_PEER)

# The arm64 lab host (tests/nested/run --arch arm64, tests/nested/arm64.t)
# boots with qemu-system-aarch64. make test builds the arm64 programs and
# images beside this build (build-arm64/, guest-images/out/arm64/); the
# variables this build was given (CC=clang, BUILD=, SANITIZE=) stay out of it.
PKGS += qemu-system-arm
ifeq ($(CROSS),)
.PHONY: arm64
arm64:
	@$(MAKE) --no-print-directory ARCH=arm64 BUILD=build-arm64 CC=aarch64-linux-gnu-gcc SANITIZE= \
		EXTRA_CFLAGS= EXTRA_LDFLAGS= all images
test: arm64
endif
