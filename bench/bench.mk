# bench/: the workloads (static programs that run unchanged natively, in the
# container and in the VM) and the harness bench/run that compares the three.

BENCH_WORKLOADS := cpu mem sys disk net start
BENCH_BINS := $(addprefix $(BIN)/bench-,$(BENCH_WORKLOADS))
BENCH_COMMON := $(BUILD)/bench/workloads/common.o
BENCH_OBJS := $(patsubst %,$(BUILD)/bench/workloads/%.o,$(BENCH_WORKLOADS)) $(BENCH_COMMON)
# Keep the objects: make would delete them as intermediates of the pattern rule.
.SECONDARY: $(BENCH_OBJS)
# Static, so the identical file runs from the rootfs with no libraries; the
# sanitizer runtimes cannot link statically, so the asan build is dynamic.
BENCH_LDFLAGS := $(if $(filter 1,$(SANITIZE)),,-static) -pthread

$(BIN)/bench-%: $(BUILD)/bench/workloads/%.o $(BENCH_COMMON)
	@mkdir -p $(@D)
	$(Q)$(call show,LD,$@)$(CC) $(LDFLAGS) $(BENCH_LDFLAGS) -o $@ $^ -lm

BINS += $(BENCH_BINS)
ROOTFS_BINS += $(BENCH_BINS)
# The harness is python3; it draws its plots with matplotlib.
PKGS += python3 python3-matplotlib libc6-dev
# The runtimes the container is measured against (bench/oci-lifecycle, --workloads runtimes).
PKGS += runc crun

BENCH_ARGS ?=
bench: all images
	ISOLAB_BIN=$(BIN) ISOLAB_IMAGES=$(IMAGES_OUT) bench/run $(BENCH_ARGS)
