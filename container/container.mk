# container: the namespace/cgroup container runtime, its probe and unit tests.
PKGS += libseccomp-dev libcap-dev libmnl-dev libjson-c-dev libcmocka-dev busybox-static
# container/image: tar (libarchive, with gzip and zstd), sha256 (libcrypto), ext4 disks.
PKGS += libarchive-dev libssl-dev libzstd-dev e2fsprogs
# checkpoint/restore: libcriu and its headers come in Debian's criu package; its RPC
# header includes protobuf-c's.
PKGS += criu libprotobuf-c-dev
# CRIU locks a container's network with an nftables table, which restore removes (nft).
PKGS += nftables
# make test: the OCI validation suite is built with Go (../shared/oci-validation), and
# podman drives build/bin/container as its runtime (tests/container/podman.t).
PKGS += golang-go podman

CONTAINER_SRCS := $(wildcard container/*.c container/image/*.c)
CONTAINER_OBJS := $(CONTAINER_SRCS:%.c=$(BUILD)/%.o)
# The libraries every command maps are linked in from Debian's archives (.a, shipped in the
# same -dev packages): each shared object costs every exec its mmaps, page faults and
# symbol lookups (~0.15 ms and 25 page faults per command here, 3 commands per OCI
# lifecycle; bench/README.md "oci-lifecycle"). libmnl (no archive in Debian) is opened at
# its first use (lib/rtnl.c).
CONTAINER_STATIC_LIBS := -lseccomp -lcap -ljson-c -lcriu -lprotobuf-c
CONTAINER_LIBS := -Wl,-Bstatic $(CONTAINER_STATIC_LIBS) -Wl,-Bdynamic -lm
BINS += $(BIN)/container
# Only the libcriu wrapper sees criu.h (as a system header: its generated RPC code is
# not -Wextra clean).
$(BUILD)/container/checkpoint_criu.o: CFLAGS += -isystem /usr/include/criu

$(BIN)/container: $(CONTAINER_OBJS) $(ISOLAB_LIB)
	@mkdir -p $(@D)
	$(Q)$(call show,LD,$@)$(CC) $(LDFLAGS) -o $@ $^ $(CONTAINER_LIBS)

# The docker-like container's pid 1 (container/reaper/container-init.c), exec'ed from a
# bind mount inside the container: static, no sanitizer, nothing mapped from the host.
$(BIN)/container-init: container/reaper/container-init.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(Q)$(call show,CCLD,$@)$(CC) -std=c11 -D_GNU_SOURCE -O2 $(WARNINGS) -static -o $@ $<
BINS += $(BIN)/container-init

# The probe runs inside test containers built from busybox: static, no sanitizer
# (its runtime would need /proc and more than the probe wants to look at).
CONTAINER_TEST_DIR := $(BUILD)/tests/container
$(CONTAINER_TEST_DIR)/probe: tests/container/probe.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(Q)$(call show,CCLD,$@)$(CC) -std=c11 -D_GNU_SOURCE -O2 $(WARNINGS) -static -o $@ $<

# seccomp_notify.t's agent answers the container's notifications from the host.
$(CONTAINER_TEST_DIR)/seccomp_agent: tests/container/seccomp_agent.c | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(Q)$(call show,CCLD,$@)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< -lseccomp
UNIT_TESTS += $(CONTAINER_TEST_DIR)/seccomp_agent

# Unit tests link the runtime's objects they exercise.
CONTAINER_UNIT_OBJS := $(filter-out $(BUILD)/container/main.o,$(CONTAINER_OBJS))
CONTAINER_SUITES := $(patsubst tests/container/%.c,$(CONTAINER_TEST_DIR)/%,\
	$(wildcard tests/container/*_test.c))
$(CONTAINER_SUITES): $(CONTAINER_TEST_DIR)/%: $(BUILD)/tests/container/%.o $(CONTAINER_UNIT_OBJS) \
		$(STDERR_CAPTURE) $(ISOLAB_LIB)
	@mkdir -p $(@D)
	$(Q)$(call show,LD,$@)$(CC) $(LDFLAGS) -o $@ $^ $(CONTAINER_LIBS) -lcmocka

UNIT_TESTS += $(CONTAINER_TEST_DIR)/probe $(CONTAINER_SUITES)
