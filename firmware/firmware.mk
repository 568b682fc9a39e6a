# firmware/: freestanding guest programs (no libc). Payloads run as the whole
# guest (flat binaries loaded by vmm tests); the marker runs inside the rootfs.
FW_OUT := $(BUILD)/firmware
FW_CFLAGS := -std=c11 -Os -Wall -Wextra -Werror -ffreestanding -fno-stack-protector \
	-fno-pic -fno-pie -fno-asynchronous-unwind-tables -nostdlib -static -Ifirmware

# The boot-time marker, installed as /sbin/isolab-marker in the rootfs.
FIRMWARE_MARKER := $(FW_OUT)/isolab-marker
$(FIRMWARE_MARKER): firmware/marker.c firmware/isolab-abi.h | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(FW_CFLAGS) -no-pie -Wl,--build-id=none -o $@ $<

BINS += $(FIRMWARE_MARKER)
