# Unit tests of vmm/arm64's arch-neutral parts (device tree builder, Image
# header, stage-1 walk), built natively on any host by the normal build
# (tests/vmm/arm64_test.c); the KVM parts are tested in the arm64 lab host.
PKGS += libfdt-dev device-tree-compiler

VMM_ARM64_UNIT_OBJS := $(addprefix $(BUILD)/vmm/,arm64/fdt.o arm64/image.o arm64/pagewalk.o util.o)
$(VMM_TEST_DIR)/arm64_test: $(VMM_TEST_DIR)/arm64_test.o $(VMM_ARM64_UNIT_OBJS) $(STDERR_CAPTURE)
	$(Q)$(call show,LD,$@)$(CC) $(LDFLAGS) -o $@ $^ -lfdt -lcmocka
UNIT_TESTS += $(VMM_TEST_DIR)/arm64_test
