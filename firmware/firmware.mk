# firmware/: freestanding guest programs (no libc). Payloads run as the whole
# guest (flat binaries loaded by vmm tests); the marker runs inside the rootfs.
FW_OUT := $(BUILD)/firmware
FW_CFLAGS := -std=c11 -Os -Wall -Wextra -Werror -ffreestanding -fno-stack-protector \
	-fno-pic -fno-pie -fno-asynchronous-unwind-tables -nostdlib -static -Ifirmware

# The boot-time marker, installed as /sbin/isolab-marker in the rootfs.
FIRMWARE_MARKER := $(FW_OUT)/isolab-marker
$(FIRMWARE_MARKER): firmware/marker.c firmware/isolab-abi.h $(wildcard firmware/*/marker_arch.h) \
		| $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(Q)$(call show,CCLD,$@)$(CC) $(FW_CFLAGS) -Wl,--build-id=none -o $@ $<

BINS += $(FIRMWARE_MARKER)
CROSS_BINS += $(FIRMWARE_MARKER)

# The payloads are each architecture's own (ARCH=arm64: firmware/arm64/).
ifeq ($(TARGET_ARCH_NAME),arm64)
include firmware/arm64/firmware.mk
else

# Payloads: `vmm --firmware $(FW_OUT)/NAME.bin` (see vmm --help for the entry state).
# Built without sanitizers or SSE: they run at guest CPL 0 with no runtime.
FW_PAYLOADS := hello smp triple_fault echo fpu syscall counter
FW_PAYLOAD_CFLAGS := $(FW_CFLAGS) -m64 -mno-red-zone -mgeneral-regs-only -mcmodel=small \
	-fno-sanitize=all -Wl,--build-id=none,--no-warn-rwx-segments -T firmware/payload.ld
FW_BINS := $(FW_PAYLOADS:%=$(FW_OUT)/%.bin)
.SECONDARY: $(FW_PAYLOADS:%=$(FW_OUT)/%.elf)

$(FW_OUT)/%.elf: firmware/%.c firmware/payload.h firmware/payload.ld firmware/isolab-abi.h \
		firmware/cmdline.h | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(Q)$(call show,CCLD,$@)$(CC) $(FW_PAYLOAD_CFLAGS) -o $@ $<
endif

$(FW_OUT)/%.bin: $(FW_OUT)/%.elf
	$(Q)$(call show,OBJCOPY,$@)$(CROSS_COMPILE)objcopy -O binary $< $@

BINS += $(FW_BINS)
