# vmm/: the hypervisor.

VMM_SRCS := vmm/main.c vmm/options.c vmm/util.c vmm/kvm.c vmm/vm.c vmm/vcpu.c vmm/bus.c \
	vmm/console.c vmm/console_escape.c vmm/image_file.c vmm/memstat.c \
	vmm/dev/serial.c vmm/dev/i8042.c vmm/dev/exit_port.c \
	vmm/x86/setup.c vmm/x86/regs.c vmm/x86/cpuid.c vmm/x86/mptable.c vmm/x86/e820.c \
	vmm/x86/loader.c vmm/x86/bzimage.c vmm/x86/elf.c vmm/x86/insn.c
VMM_OBJS := $(VMM_SRCS:%.c=$(BUILD)/%.o)
VMM_LIBS := -lpthread

BINS += $(BIN)/vmm
PKGS += libcmocka-dev

# Unit tests (cmocka): tests/vmm/NAME_test.c.
VMM_TEST_DIR := $(BUILD)/tests/vmm
VMM_LOADER_OBJS := $(addprefix $(BUILD)/vmm/,x86/bzimage.o x86/elf.o x86/loader.o x86/e820.o util.o)
VMM_MACHINE_OBJS := $(addprefix $(BUILD)/vmm/,options.o util.o console_escape.o bus.o \
	x86/e820.o x86/mptable.o x86/cpuid.o)

$(VMM_TEST_DIR)/loaders_test: $(VMM_TEST_DIR)/loaders_test.o $(VMM_LOADER_OBJS) $(STDERR_CAPTURE)
	$(Q)$(call show,LD,$@)$(CC) $(LDFLAGS) -o $@ $^ -lcmocka
$(VMM_TEST_DIR)/machine_test: $(VMM_TEST_DIR)/machine_test.o $(VMM_MACHINE_OBJS) $(STDERR_CAPTURE) \
		$(ISOLAB_LIB)
	$(Q)$(call show,LD,$@)$(CC) $(LDFLAGS) -o $@ $^ -lcmocka

UNIT_TESTS += $(VMM_TEST_DIR)/loaders_test $(VMM_TEST_DIR)/machine_test

# The monitor keeps its own fragment (sources, unit tests, its firmware target).
include vmm/monitor/monitor.mk

# Virtio devices keep their own fragment (sources, unit tests, fuzz harness).
include vmm/virtio/virtio.mk

# The fragments above add objects to this rule: the archive goes after all of them.
$(BIN)/vmm: $(VMM_OBJS) $(VIRTIO_OBJS) $(ISOLAB_LIB)
	@mkdir -p $(@D)
	$(Q)$(call show,LD,$@)$(CC) $(LDFLAGS) -o $@ $(filter-out %.a,$^) $(filter %.a,$^) \
		$(VMM_LIBS) $(VIRTIO_LIBS)
