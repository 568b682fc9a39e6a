# lib/: code that vmm and container share (rtnetlink requests, size parsing, CRC32C),
# as a static archive both programs link; its unit tests are tests/lib/.
PKGS += libmnl-dev libcmocka-dev

ISOLAB_LIB_SRCS := lib/rtnl.c lib/size.c lib/crc32c.c
ISOLAB_LIB := $(BUILD)/lib/libisolab.a
# libmnl is opened with dlopen at the first request (lib/rtnl.c): no -lmnl.
ISOLAB_LIB_LIBS :=

$(ISOLAB_LIB): $(ISOLAB_LIB_SRCS:%.c=$(BUILD)/%.o)
	$(Q)$(call show,AR,$@)rm -f $@ && $(AR) rcs $@ $^

LIB_TEST_DIR := $(BUILD)/tests/lib
LIB_UNIT := $(LIB_TEST_DIR)/size_test $(LIB_TEST_DIR)/rtnl_test $(LIB_TEST_DIR)/crc32c_test
$(LIB_UNIT): $(LIB_TEST_DIR)/%: $(LIB_TEST_DIR)/%.o $(ISOLAB_LIB)
	$(Q)$(call show,LD,$@)$(CC) $(LDFLAGS) -o $@ $^ $(ISOLAB_LIB_LIBS) -lcmocka
UNIT_TESTS += $(LIB_UNIT)
