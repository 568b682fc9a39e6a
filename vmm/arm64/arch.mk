# vmm/arm64/: the arm64 side of vmm/arch.h (vGICv3 board, PSCI vCPUs, Image
# boot with a libfdt device tree). Its arch-neutral parts (tree builder,
# Image header) are unit-tested on any host from vmm/arm64/unit.mk.

VMM_ARCH_SRCS := $(addprefix vmm/arm64/,arch.c board.c gic.c regs.c loader.c image.c fdt.c \
	state.c gic_state.c)
# libfdt-dev is not co-installable across architectures (libreadline-dev and
# libmnl-dev are): the x86 build needs libfdt-dev:amd64 for the unit tests, so
# the arm64 vmm takes libfdt.h from it (the header is the same) and links the
# arm64 library itself, libfdt1:arm64.
VMM_LIBS += -l:libfdt.so.1
# The monitor's register views and page walker (vmm/monitor/internal.h's arch part).
MONITOR_ARCH_SRCS := vmm/arm64/monitor_cpu.c vmm/arm64/pagewalk.c

# Cross-built on an x86-64 host from Debian's arm64 packages (multiarch:
# dpkg --add-architecture arm64). The binary links libfdt, libreadline,
# libtinfo and libmnl dynamically (Debian ships no libmnl.a): a lab host
# needs them and the arm64 libc next to it.
PKGS += libfdt-dev
ifneq ($(CROSS),)
PKGS += gcc-aarch64-linux-gnu libc6-dev-arm64-cross libfdt1:arm64 libreadline-dev:arm64 \
	libmnl-dev:arm64 zlib1g-dev:arm64
endif
