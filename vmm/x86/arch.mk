# vmm/x86/: the x86-64 side of vmm/arch.h (PC board, CPUID, boot protocols).

VMM_ARCH_SRCS := vmm/x86/arch.c vmm/x86/board.c vmm/x86/setup.c vmm/x86/regs.c \
	vmm/x86/cpuid.c vmm/x86/mptable.c vmm/x86/e820.c vmm/x86/loader.c vmm/x86/bzimage.c \
	vmm/x86/elf.c vmm/x86/insn.c vmm/x86/i8042.c vmm/x86/pmu.c vmm/x86/xsave.c vmm/x86/state.c \
	vmm/x86/clock.c
# The monitor's register views and page walker (vmm/monitor/internal.h's arch part).
MONITOR_ARCH_SRCS := vmm/monitor/cpu.c vmm/monitor/pagewalk.c

# Unit tests of the x86 loaders and machine tables (tests/vmm/{loaders,machine}_test.c).
VMM_LOADER_OBJS := $(addprefix $(BUILD)/vmm/,x86/bzimage.o x86/elf.o x86/loader.o x86/e820.o util.o)
VMM_MACHINE_OBJS := $(addprefix $(BUILD)/vmm/,options.o util.o console_escape.o bus.o write_batch.o \
	x86/e820.o x86/mptable.o x86/cpuid.o x86/xsave.o)

$(VMM_TEST_DIR)/loaders_test: $(VMM_TEST_DIR)/loaders_test.o $(VMM_LOADER_OBJS) $(STDERR_CAPTURE)
	$(Q)$(call show,LD,$@)$(CC) $(LDFLAGS) -o $@ $^ -lcmocka
$(VMM_TEST_DIR)/machine_test: $(VMM_TEST_DIR)/machine_test.o $(VMM_MACHINE_OBJS) $(STDERR_CAPTURE) \
		$(ISOLAB_LIB)
	$(Q)$(call show,LD,$@)$(CC) $(LDFLAGS) -o $@ $^ -lcmocka

UNIT_TESTS += $(VMM_TEST_DIR)/loaders_test $(VMM_TEST_DIR)/machine_test

# The i8042's snapshot section, on the fake machine of the virtio tests.
$(VMM_TEST_DIR)/i8042_state_test: $(VMM_TEST_DIR)/i8042_state_test.o \
		$(addprefix $(BUILD)/,vmm/x86/i8042.o vmm/bus.o vmm/util.o vmm/event_loop.o \
		vmm/snapshot/stream.o tests/virtio/fake_vm.o) $(STDERR_CAPTURE) $(ISOLAB_LIB)
	$(Q)$(call show,LD,$@)$(CC) $(LDFLAGS) -o $@ $^ -lpthread -lcmocka
UNIT_TESTS += $(VMM_TEST_DIR)/i8042_state_test
