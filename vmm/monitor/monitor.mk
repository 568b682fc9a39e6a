# vmm/monitor: the monitor (commands, page walker, socket, readline prompt,
# the `vmm monitor` client), its unit tests and its firmware target.
# Included from vmm/vmm.mk before the vmm link rule; the prerequisites and
# libraries below add to that rule.

MONITOR_SRCS := $(addprefix vmm/monitor/,commands.c inspect.c memory.c stats.c server.c readline.c \
	client.c migrate.c) $(MONITOR_ARCH_SRCS)
MONITOR_OBJS := $(MONITOR_SRCS:%.c=$(BUILD)/%.o)
MONITOR_LIBS := -lreadline -lpthread
PKGS += libreadline-dev libcmocka-dev

# Linked into vmm (machine.c is the glue to the real vCPUs).
$(BIN)/vmm: $(MONITOR_OBJS) $(BUILD)/vmm/monitor/machine.o
VMM_LIBS += -lreadline

# Unit tests: the commands, parser and page walker against a fake machine
# (tests/monitor/monitor_test.c).
MONITOR_UNIT := $(BUILD)/tests/monitor/monitor_test
$(MONITOR_UNIT): $(BUILD)/tests/monitor/monitor_test.o $(MONITOR_OBJS) $(BUILD)/vmm/util.o \
		$(BUILD)/vmm/memstat.o $(BUILD)/vmm/console_escape.o $(BUILD)/vmm/event_loop.o
	@mkdir -p $(@D)
	$(Q)$(call show,LD,$@)$(CC) $(LDFLAGS) -o $@ $^ $(MONITOR_LIBS) -lcmocka
UNIT_TESTS += $(MONITOR_UNIT)

# The guest tests/monitor/socket.t drives (the generic payload rules build it).
BINS += $(FW_OUT)/monitor_target.bin
.SECONDARY: $(FW_OUT)/monitor_target.elf
