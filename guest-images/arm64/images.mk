# guest-images/arm64/: with ARCH=arm64 (included by guest-images/images.mk),
# the arm64 guest kernel and the same rootfs built from arm64 programs
# (ROOTFS_BINS and the marker, cross-compiled by the fragments' own rules)
# and Debian's busybox-static:arm64, into guest-images/out/arm64/.
IMAGES_OUT := guest-images/out/arm64
GUEST_IMAGE := $(IMAGES_OUT)/Image
GUEST_KERNELS := $(GUEST_IMAGE)
# busybox-static:arm64 comes by apt-get download (busybox.sh); strip is the cross one.
ROOTFS_ENV = busybox=$$(guest-images/arm64/busybox.sh) && ROOTFS_BUSYBOX=$$busybox \
	STRIP=$(CROSS_COMPILE)strip

PKGS += gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu

GUEST_ARM64_KERNEL_INPUTS := guest-images/arm64/kernel.config guest-images/arm64/build-kernel.sh \
	guest-images/check-config.sh $(wildcard /usr/src/linux-source-6.1.tar.xz)

$(GUEST_IMAGE): $(GUEST_ARM64_KERNEL_INPUTS) | $(DEPS_STAMP)
	@guest-images/arm64/build-kernel.sh $(IMAGES_OUT)

# make demo ARCH=arm64: this guest booted by the arm64 vmm in the arm64 lab host.
DEMO := guest-images/arm64/demo
