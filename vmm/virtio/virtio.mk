# vmm/virtio: virtio-mmio devices, their unit tests and the fuzz harness.

VIRTIO_SRCS := $(addprefix vmm/virtio/,queue.c iov.c request.c mmio.c blk.c net.c tap.c rng.c console.c vsock.c state.c)
VIRTIO_OBJS := $(VIRTIO_SRCS:%.c=$(BUILD)/%.o)
VIRTIO_LIBS := -lmnl -lpthread
PKGS += libmnl-dev libcmocka-dev clang libclang-rt-14-dev e2fsprogs

# Unit tests link the devices against a fake machine (tests/virtio/fake_vm.c)
# on the real bus (vmm/bus.c) and the real event loop of the vmm core.
VIRTIO_CORE_SRCS := vmm/event_loop.c vmm/util.c vmm/snapshot/stream.c
VIRTIO_FAKE_OBJS := $(BUILD)/tests/virtio/fake_vm.o $(BUILD)/tests/virtio/vq_driver.o \
	$(BUILD)/vmm/bus.o $(VIRTIO_CORE_SRCS:%.c=$(BUILD)/%.o) $(STDERR_CAPTURE)
VIRTIO_UNIT := $(addprefix $(BUILD)/tests/virtio/,queue_test blk_test devices_test state_test)
UNIT_TESTS += $(VIRTIO_UNIT)

$(VIRTIO_UNIT): $(BUILD)/tests/virtio/%: $(BUILD)/tests/virtio/%.o $(VIRTIO_FAKE_OBJS) $(VIRTIO_OBJS) \
		$(ISOLAB_LIB)
	@mkdir -p $(@D)
	$(Q)$(call show,LD,$@)$(CC) $(LDFLAGS) -o $@ $^ $(VIRTIO_LIBS) -lcmocka

# libFuzzer harness: always clang, always with ASan+UBSan, built from source
# (not from $(BUILD) objects, which may be gcc's).
FUZZ_CC := clang
FUZZ_FLAGS := -std=c11 -D_GNU_SOURCE -O1 -g -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined -Wall -Wextra -Werror -Wshadow -Wno-missing-field-initializers
FUZZ_BIN := $(BUILD)/fuzz/fuzz_virtio
FUZZ_SECONDS ?= 60

FUZZ_SRCS := tests/fuzz/fuzz_virtio.c tests/virtio/fake_vm.c vmm/bus.c $(VIRTIO_SRCS) $(VIRTIO_CORE_SRCS) $(ISOLAB_LIB_SRCS)

$(FUZZ_BIN): $(FUZZ_SRCS) $(wildcard vmm/virtio/*.h lib/*.h vmm/*.h) | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(Q)$(call show,CCLD,$@)$(FUZZ_CC) $(FUZZ_FLAGS) -o $@ $(FUZZ_SRCS) $(VIRTIO_LIBS)

fuzz: $(FUZZ_BIN)
	@mkdir -p $(BUILD)/fuzz/corpus
	$(FUZZ_BIN) -max_total_time=$(FUZZ_SECONDS) -max_len=65544 -timeout=10 -close_fd_mask=2 \
		$(BUILD)/fuzz/corpus tests/fuzz/seeds

# The smoke test (tests/fuzz/fuzz.t) needs the harness built with the rest;
# once is enough (the harness carries its own sanitizers).
ifneq ($(SANITIZE),1)
ifneq ($(shell command -v $(FUZZ_CC) 2>/dev/null),)
UNIT_TESTS += $(FUZZ_BIN)
endif
endif
