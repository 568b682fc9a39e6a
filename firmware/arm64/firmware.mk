# firmware/arm64/: the arm64 payloads, `vmm --firmware $(FW_OUT)/NAME.bin` on
# arm64 (firmware/isolab-abi.h has their entry state), cross-compiled with
# $(CC) when ARCH=arm64. Freestanding at EL1 with the MMU off: no FP/SIMD, no
# unaligned accesses (payload.h says why).
FW_PAYLOADS := hello smp counter
FW_PAYLOAD_CFLAGS := $(FW_CFLAGS) -mgeneral-regs-only -mstrict-align -fno-sanitize=all \
	-Wl,--build-id=none,--no-warn-rwx-segments -T firmware/arm64/payload.ld
FW_BINS := $(FW_PAYLOADS:%=$(FW_OUT)/%.bin)
.SECONDARY: $(FW_PAYLOADS:%=$(FW_OUT)/%.elf)
CROSS_BINS += $(FW_BINS)

$(FW_OUT)/%.elf: firmware/arm64/%.c firmware/arm64/payload.h firmware/arm64/payload.ld \
		firmware/isolab-abi.h firmware/cmdline.h | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(Q)$(call show,CCLD,$@)$(CC) $(FW_PAYLOAD_CFLAGS) -o $@ $<
