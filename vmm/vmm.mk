# vmm/: the hypervisor.

VMM_SRCS := vmm/main.c vmm/options.c vmm/util.c vmm/kvm.c vmm/vm.c vmm/vcpu.c vmm/bus.c \
	vmm/console.c vmm/image_file.c \
	vmm/dev/serial.c vmm/dev/i8042.c vmm/dev/exit_port.c \
	vmm/x86/setup.c vmm/x86/regs.c vmm/x86/cpuid.c vmm/x86/mptable.c vmm/x86/e820.c \
	vmm/x86/loader.c vmm/x86/bzimage.c vmm/x86/elf.c
VMM_OBJS := $(VMM_SRCS:%.c=$(BUILD)/%.o)
VMM_LIBS := -lpthread

$(BIN)/vmm: $(VMM_OBJS)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $^ $(VMM_LIBS)

BINS += $(BIN)/vmm

# Virtio devices keep their own fragment (sources, unit tests, fuzz harness).
-include vmm/virtio/virtio.mk
