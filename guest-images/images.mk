# guest-images/: the guest kernel and the one root filesystem that both the
# VM and the container run, in three forms (directory, ext4 disk, cpio).
# Included last by the top Makefile, so ROOTFS_BINS is complete here.
# ARCH=arm64 builds the arm64 kernel and the same rootfs from arm64 programs
# into guest-images/out/arm64/ (guest-images/arm64/images.mk).

# Kernel build: the compiler and Kbuild's host tools (objtool needs libelf,
# the bzImage is LZ4-compressed);
# rootfs: busybox, mkfs.ext4 -d, cpio, and fakeroot for builds without root,
# readelf (binutils) and python3 to check a busybox of another architecture.
PKGS += linux-source-6.1 gcc make patch xz-utils flex bison bc libelf-dev lz4 \
	busybox-static e2fsprogs cpio fakeroot binutils python3

ifeq ($(TARGET_ARCH_NAME),arm64)
include guest-images/arm64/images.mk
else
IMAGES_OUT := guest-images/out
GUEST_VMLINUX := $(IMAGES_OUT)/vmlinux
GUEST_BZIMAGE := $(IMAGES_OUT)/bzImage
GUEST_KERNELS := $(GUEST_VMLINUX) $(GUEST_BZIMAGE)
# The busybox and strip of this host.
ROOTFS_ENV :=

# The kernel depends on its recipe and on the installed source package; the
# script reuses a cached build when the recipe and the package are unchanged.
GUEST_KERNEL_INPUTS := guest-images/kernel.config guest-images/build-kernel.sh \
	guest-images/check-config.sh $(wildcard guest-images/*.patch) \
	$(wildcard /usr/src/linux-source-6.1.tar.xz)

$(GUEST_VMLINUX) $(GUEST_BZIMAGE) &: $(GUEST_KERNEL_INPUTS) | $(DEPS_STAMP)
	@guest-images/build-kernel.sh $(IMAGES_OUT)
endif
GUEST_ROOTFS_DIR := $(IMAGES_OUT)/rootfs
GUEST_EXT4 := $(IMAGES_OUT)/rootfs.ext4
GUEST_CPIO := $(IMAGES_OUT)/initramfs.cpio

# The tree is a directory, so a stamp next to it stands for it; a missing
# tree (removed by hand) forces a rebuild even when the stamp survived.
GUEST_ROOTFS_STAMP := $(IMAGES_OUT)/rootfs.stamp
GUEST_ROOTFS_INPUTS := guest-images/init guest-images/build-rootfs.sh \
	$(FIRMWARE_MARKER) $(ROOTFS_BINS) $(wildcard /bin/busybox)

$(GUEST_ROOTFS_STAMP): $(GUEST_ROOTFS_INPUTS) $(if $(wildcard $(GUEST_ROOTFS_DIR)/init),,images-force) \
		| $(DEPS_STAMP)
	$(Q)$(call show,ROOTFS,$(GUEST_ROOTFS_DIR))$(ROOTFS_ENV) guest-images/build-rootfs.sh tree $(GUEST_ROOTFS_DIR) guest-images/init $(FIRMWARE_MARKER) $(ROOTFS_BINS)
	@touch $@

$(GUEST_EXT4): $(GUEST_ROOTFS_STAMP)
	$(Q)$(call show,EXT4,$@)guest-images/build-rootfs.sh ext4 $(GUEST_ROOTFS_DIR) $@

$(GUEST_CPIO): $(GUEST_ROOTFS_STAMP)
	$(Q)$(call show,CPIO,$@)guest-images/build-rootfs.sh cpio $(GUEST_ROOTFS_DIR) $@

GUEST_IMAGES := $(GUEST_KERNELS) $(GUEST_EXT4) $(GUEST_CPIO)

.PHONY: images images-force clean-images
images-force:
images: $(GUEST_IMAGES)
	@guest-images/sizes.sh $(GUEST_KERNELS) $(GUEST_ROOTFS_DIR) $(GUEST_EXT4) $(GUEST_CPIO)

# Keeps the kernel cache (${XDG_CACHE_HOME:-~/.cache}/isolab): that is its point.
clean-images:
	rm -rf $(IMAGES_OUT)
