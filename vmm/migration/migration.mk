# vmm/migration: live migration between two vmm processes (pre-copy over a
# Unix socket), its unit tests. Included from vmm/vmm.mk before the vmm link rule.

MIGRATION_SRCS := $(addprefix vmm/migration/,wire.c dirty.c precopy.c source.c target.c \
	common.c state.c)
MIGRATION_OBJS := $(MIGRATION_SRCS:%.c=$(BUILD)/%.o)
PKGS += zlib1g-dev libcmocka-dev

$(BIN)/vmm: $(MIGRATION_OBJS)
VMM_LIBS += -lz

# The stream's framing and checks against hostile input (tests/vmm/migration_wire_test.c).
MIGRATION_UNIT := $(BUILD)/tests/vmm/migration_wire_test
$(MIGRATION_UNIT): $(BUILD)/tests/vmm/migration_wire_test.o $(BUILD)/vmm/migration/wire.o
	@mkdir -p $(@D)
	$(Q)$(call show,LD,$@)$(CC) $(LDFLAGS) -o $@ $^ -lz -lcmocka
UNIT_TESTS += $(MIGRATION_UNIT)

# The guest the migration bench and tests drive (the generic payload rules build it).
BINS += $(FW_OUT)/dirty_rate.bin
.SECONDARY: $(FW_OUT)/dirty_rate.elf
