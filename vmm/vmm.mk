# vmm/: the hypervisor.

# The architecture vmm is built for: its sources are vmm/$(VMM_ARCH)/ (see vmm/arch.h).
# ARCH=x86_64|x86|arm64|aarch64 picks one (the top Makefile: the default is the
# build host's, another one cross-compiles).
VMM_ARCH := $(TARGET_ARCH_NAME)
ifeq ($(wildcard vmm/$(VMM_ARCH)/arch.mk),)
$(error vmm: no vmm/$(VMM_ARCH)/arch.mk: ARCH=$(ARCH) is not a supported architecture)
endif

VMM_SRCS := vmm/main.c vmm/options.c vmm/util.c vmm/kvm.c vmm/vm.c vmm/vcpu.c vmm/bus.c \
	vmm/event_loop.c vmm/console.c vmm/console_escape.c vmm/image_file.c vmm/memstat.c vmm/write_batch.c \
	vmm/dev/serial.c vmm/dev/exit_port.c vmm/snapshot/stream.c \
	vmm/snapshot/snapshot.c vmm/snapshot/memory.c vmm/snapshot/dir.c
VMM_LIBS := -lpthread -lz

BINS += $(BIN)/vmm
CROSS_BINS += $(BIN)/vmm
PKGS += libcmocka-dev zlib1g-dev

# Unit tests (cmocka): tests/vmm/NAME_test.c.
VMM_TEST_DIR := $(BUILD)/tests/vmm
# The section stream under snapshots and migration.
$(VMM_TEST_DIR)/snapshot_stream_test: $(VMM_TEST_DIR)/snapshot_stream_test.o \
		$(BUILD)/vmm/snapshot/stream.o $(STDERR_CAPTURE)
	$(Q)$(call show,LD,$@)$(CC) $(LDFLAGS) -o $@ $^ -lcmocka
UNIT_TESTS += $(VMM_TEST_DIR)/snapshot_stream_test
# The UART's snapshot section, on the fake machine of the virtio tests.
$(VMM_TEST_DIR)/serial_state_test: $(VMM_TEST_DIR)/serial_state_test.o \
		$(addprefix $(BUILD)/,vmm/dev/serial.o vmm/bus.o vmm/util.o vmm/event_loop.o \
		vmm/snapshot/stream.o tests/virtio/fake_vm.o) $(STDERR_CAPTURE) $(ISOLAB_LIB)
	$(Q)$(call show,LD,$@)$(CC) $(LDFLAGS) -o $@ $^ -lpthread -lcmocka
UNIT_TESTS += $(VMM_TEST_DIR)/serial_state_test

# Sources, unit tests and their rules of the architecture.
include vmm/$(VMM_ARCH)/arch.mk
VMM_SRCS += $(VMM_ARCH_SRCS)
# arm64's device tree, Image header and page walk are unit-tested on every host.
include vmm/arm64/unit.mk
VMM_OBJS := $(VMM_SRCS:%.c=$(BUILD)/%.o)

# The monitor keeps its own fragment (sources, unit tests, its firmware target).
include vmm/monitor/monitor.mk

# Live migration keeps its own fragment (sources, unit tests).
include vmm/migration/migration.mk

# Virtio devices keep their own fragment (sources, unit tests, fuzz harness).
include vmm/virtio/virtio.mk

# The fragments above add objects to this rule: the archive goes after all of them.
$(BIN)/vmm: $(VMM_OBJS) $(VIRTIO_OBJS) $(ISOLAB_LIB)
	@mkdir -p $(@D)
	$(Q)$(call show,LD,$@)$(CC) $(LDFLAGS) -o $@ $(filter-out %.a,$^) $(filter %.a,$^) \
		$(VMM_LIBS) $(VIRTIO_LIBS)
