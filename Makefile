# isolab — top-level build.
#
# Each component keeps its own rules in a fragment next to its code
# (vmm/vmm.mk, container/container.mk, ...). A fragment adds to:
#   PKGS        Debian packages it needs to build or test
#   BINS        programs installed under $(BIN)
#   UNIT_TESTS  test programs built before `make test` runs tests/run
#               (cmocka suites: tests/AREA/NAME_test.c -> $(BUILD)/tests/AREA/NAME_test,
#               which tests/run hands to prove as they are)
#   ROOTFS_BINS static programs copied into the guest rootfs's /usr/bin
#
# Useful variables: CC=clang, BUILD=dir (default build/), SANITIZE=1,
# V=1 (print each command line instead of its one-line summary).

SHELL := /bin/bash
.DEFAULT_GOAL := all

# ARCH=x86_64|arm64 (aliases x86, aarch64): the architecture to build for,
# default the build host's. Another one than the host's cross-compiles with
# $(CROSS_COMPILE)gcc into build-ARCH/, and `all` builds only CROSS_BINS,
# what the fragments can build for it (vmm: vmm/README.md).
ARCH ?= $(shell uname -m)
norm_arch = $(patsubst x86_64,x86,$(patsubst aarch64,arm64,$(1)))
TARGET_ARCH_NAME := $(call norm_arch,$(ARCH))
CROSS := $(if $(filter $(TARGET_ARCH_NAME),$(call norm_arch,$(shell uname -m))),,1)
CROSS_COMPILE ?= $(if $(CROSS),$(if $(filter arm64,$(TARGET_ARCH_NAME)),aarch64,x86_64)-linux-gnu-)
CC := $(if $(filter default,$(origin CC)),$(CROSS_COMPILE)gcc,$(CC))

BUILD ?= $(if $(CROSS),build-$(TARGET_ARCH_NAME),build)
BIN := $(BUILD)/bin
SANITIZE ?=

# Quiet output, kbuild style: each step prints one line ("  CC vmm/vcpu.o",
# "  LD build/bin/vmm"); V=1 prints the full command lines instead. A recipe
# line reads $(Q)$(call show,WHAT,TARGET)COMMAND.
V ?= 0
ifeq ($(V),1)
Q :=
show :=
else
Q := @
show = printf '  %-7s %s\n' '$(1)' '$(2)';
endif
# make -s: not even the summaries.
ifneq ($(findstring s,$(firstword -$(MAKEFLAGS))),)
show :=
endif

# A recipe that fails leaves no half-written target behind to look up to date.
.DELETE_ON_ERROR:

WARNINGS := -Wall -Wextra -Werror -Wshadow -Wno-missing-field-initializers
CFLAGS := -std=c11 -D_GNU_SOURCE -O2 -g $(WARNINGS) -MMD -MP $(EXTRA_CFLAGS)
LDFLAGS := $(EXTRA_LDFLAGS)
ifeq ($(SANITIZE),1)
CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
endif

# Every object waits for the dependency check, so a fresh machine gets its
# packages before the first compiler error could mislead anyone. Defined
# before the fragments: their prerequisites expand as they are read.
DEPS_STAMP := $(BUILD)/.deps-ok

PKGS :=
BINS :=
CROSS_BINS :=
UNIT_TESTS :=
ROOTFS_BINS :=
# cmocka suites that expect error messages link this to capture and assert them.
STDERR_CAPTURE := $(BUILD)/tests/stderr_capture.o

include firmware/firmware.mk
include lib/lib.mk
include vmm/vmm.mk
include container/container.mk
include bench/bench.mk
# Last: the rootfs collects programs the fragments above add to ROOTFS_BINS.
include guest-images/images.mk
include guest-images/labhost.mk

# Objects also depend on the compiler command, so `make CC=clang` or new
# EXTRA_CFLAGS rebuild them instead of mixing old and new objects. The stamp
# is rewritten while the Makefile is read, and only when the command changed,
# so `make -q` still answers "up to date" after a build.
COMPILE_STAMP := $(BUILD)/.compile-command
COMPILE_COMMAND := $(CC) $(CFLAGS)
ifneq ($(file <$(COMPILE_STAMP)),$(COMPILE_COMMAND))
$(shell mkdir -p $(BUILD))
$(file >$(COMPILE_STAMP),$(COMPILE_COMMAND))
endif

$(BUILD)/%.o: %.c $(COMPILE_STAMP) | $(DEPS_STAMP)
	@mkdir -p $(@D)
	$(Q)$(call show,CC,$(@:$(BUILD)/%=%))$(CC) $(CFLAGS) -c $< -o $@

# A package NAME:ARCH of another architecture (multiarch: the arm64 build's
# libraries) needs that architecture in dpkg first; it is added, then apt's
# lists updated, only when such a package is missing.
$(DEPS_STAMP): Makefile $(wildcard */*.mk */*/*.mk)
	@missing=$$(for p in $(sort $(PKGS)); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q 'install ok installed' || echo $$p; \
	done); \
	archs=$$(for p in $$missing; do case $$p in *:*) a=$${p#*:}; \
		[ "$$a" = "$$(dpkg --print-architecture)" ] || \
		dpkg --print-foreign-architectures | grep -qx "$$a" || echo "$$a";; esac; done | sort -u); \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ]; then \
			echo "deps: installing:" $$missing; \
			{ for a in $$archs; do echo "deps: dpkg --add-architecture $$a"; dpkg --add-architecture $$a || exit 1; done; \
				apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; } >$(BUILD)/apt.log 2>&1 \
				|| { echo "deps: apt-get install failed, see $(BUILD)/apt.log" >&2; exit 1; }; \
		else \
			echo "deps: missing packages; run:" \
				$$(for a in $$archs; do echo "sudo dpkg --add-architecture $$a &&"; done) \
				$${archs:+sudo apt-get update &&} sudo apt-get install -y $$missing >&2; exit 1; \
		fi; \
	fi; \
	mkdir -p $(@D) && touch $@
$(DEPS_STAMP): | $(BUILD)/.dir
$(BUILD)/.dir:
	@mkdir -p $(@D) && touch $@

.PHONY: all deps asan test demo bench fuzz format clean
all: $(if $(CROSS),$(CROSS_BINS),$(BINS) $(UNIT_TESTS))
deps: $(DEPS_STAMP)

# Tests run the normal build for real-kernel boots (speed) and the
# sanitizer build everywhere else (ISOLAB_ASAN_BIN).
asan:
	@$(MAKE) --no-print-directory BUILD=build-asan SANITIZE=1 all

test: all asan images
	ISOLAB_BIN=$(BIN) ISOLAB_ASAN_BIN=build-asan/bin ISOLAB_BUILD=$(BUILD) \
		ISOLAB_IMAGES=$(IMAGES_OUT) tests/run

# ARCH=arm64: the arm64 guest in the arm64 lab host (guest-images/arm64/images.mk sets DEMO).
DEMO ?= bench/demo
demo: all images
	ISOLAB_BIN=$(BIN) ISOLAB_IMAGES=$(IMAGES_OUT) $(DEMO)

# tests/style/format.t checks what this does, in make test.
PKGS += clang-format
format:
	clang-format -i $$(git ls-files '*.c' '*.h')

clean: clean-images
	rm -rf build build-asan build-clang $(BUILD)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
