/*
 * The x86 state a snapshot keeps (vmm/arch.h: arch_vcpu_save and friends).
 * Every piece is KVM's own uapi struct, saved whole as a blob, in the order
 * a restore sets them back, which is the order Firecracker and
 * cloud-hypervisor use: MP state, regs, sregs (sregs2 where KVM has it, for
 * the PAE PDPTRs), XSAVE (XSAVE2's size where KVM has it), XCRs, debug
 * registers, LAPIC, TSC frequency, MSRs (after the LAPIC: the TSC deadline
 * needs its timer mode), vCPU events. The VM's part: PIC master and slave,
 * IOAPIC, PIT, and kvmclock, set back last.
 */
#include <errno.h>
#include <linux/kvm.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "../arch.h"
#include "../machine.h"
#include "../snapshot/stream.h"
#include "../util.h"
#include "../vcpu.h"
#include "state.h"

#define VCPU_STATE_VERSION    1
#define VM_STATE_VERSION      1
#define MAX_MSRS	      1024
#define NR_IRQCHIPS	      3 /* KVM_IRQCHIP_PIC_MASTER, _PIC_SLAVE, _IOAPIC */
#define MSR_IA32_TSC	      0x10
#define TSC_KHZ_TOLERANCE_PPM 250

enum sregs_kind { SREGS_1 = 1, SREGS_2 = 2 };

const char arch_name[] = "x86_64";

/* What this KVM offers for the optional pieces (KVM_CHECK_EXTENSION on the VM). */
struct state_caps {
	bool sregs2, xcrs, debugregs, events, tsc_control;
	uint32_t xsave_size; /* 0: no XSAVE, the legacy FPU image only */
};

static int check(const struct vm *vm, int cap)
{
	int ret = ioctl(vm_fd(vm), KVM_CHECK_EXTENSION, cap);
	return ret > 0 ? ret : 0;
}

static void state_caps(const struct vm *vm, struct state_caps *c)
{
	c->sregs2 = check(vm, KVM_CAP_SREGS2);
	c->xcrs = check(vm, KVM_CAP_XCRS);
	c->debugregs = check(vm, KVM_CAP_DEBUGREGS);
	c->events = check(vm, KVM_CAP_VCPU_EVENTS);
	c->tsc_control = check(vm, KVM_CAP_TSC_CONTROL);
	uint32_t xsave2 = (uint32_t)check(vm, KVM_CAP_XSAVE2);
	c->xsave_size = xsave2 > sizeof(struct kvm_xsave) ? xsave2
			: check(vm, KVM_CAP_XSAVE)	  ? sizeof(struct kvm_xsave)
							  : 0;
}

static int get(int fd, unsigned long request, void *arg, const char *name)
{
	if (ioctl(fd, request, arg) < 0)
		return vmm_err("snapshot: %s: %s", name, strerror(errno));
	return 0;
}
#define GET(fd, request, arg) get(fd, request, arg, #request)

/* Reads a piece from KVM and appends it as a blob. */
static int save_piece(struct snap_writer *w, int fd, unsigned long request, void *arg, size_t len,
		      const char *name)
{
	if (get(fd, request, arg, name) < 0)
		return -1;
	return snap_put_blob(w, arg, (uint32_t)len);
}
#define SAVE(w, fd, request, obj) save_piece(w, fd, request, &(obj), sizeof(obj), #request)

/* Reads a blob and hands it to KVM; the message names the section and the ioctl. */
static int load_piece(struct snap_reader *r, int fd, unsigned long request, void *arg, size_t len,
		      const char *name)
{
	if (snap_get_blob(r, arg, (uint32_t)len) < 0)
		return -1;
	if (ioctl(fd, request, arg) < 0)
		return snap_bad(r, "%s: %s", name, strerror(errno));
	return 0;
}
#define LOAD(r, fd, request, obj) load_piece(r, fd, request, &(obj), sizeof(obj), #request)

static struct kvm_msrs *alloc_msrs(uint32_t n)
{
	struct kvm_msrs *msrs = calloc(1, sizeof(*msrs) + n * sizeof(struct kvm_msr_entry));
	if (msrs)
		msrs->nmsrs = n;
	return msrs;
}

/*
 * The MSRs KVM saves for a VMM (KVM_GET_MSR_INDEX_LIST: the architectural
 * ones this host has, TSC, kvmclock and the other paravirtual ones), read
 * from the vCPU. KVM_GET_MSRS stops at the first it cannot read and says how
 * many it did: that one is dropped and the read goes on, so the list keeps
 * what matters for this vCPU (a PMU MSR of a VM without a PMU goes).
 */
static struct kvm_msrs *read_msrs(const struct vm *vm, int vcpu_fd)
{
	struct kvm_msr_list probe = {.nmsrs = 0};
	if (ioctl(vm_host(vm)->fd, KVM_GET_MSR_INDEX_LIST, &probe) < 0 && errno != E2BIG)
		return vmm_err("snapshot: KVM_GET_MSR_INDEX_LIST: %s", strerror(errno)), NULL;
	uint32_t n = probe.nmsrs < MAX_MSRS ? probe.nmsrs : MAX_MSRS;
	struct kvm_msr_list *list = calloc(1, sizeof(*list) + n * sizeof(list->indices[0]));
	struct kvm_msrs *msrs = alloc_msrs(n);
	if (!list || !msrs) {
		free(list);
		free(msrs);
		return vmm_err("out of memory"), NULL;
	}
	list->nmsrs = n;
	if (get(vm_host(vm)->fd, KVM_GET_MSR_INDEX_LIST, list, "KVM_GET_MSR_INDEX_LIST") < 0) {
		free(list);
		free(msrs);
		return NULL;
	}
	n = list->nmsrs < n ? list->nmsrs : n;
	for (uint32_t i = 0; i < n; i++)
		msrs->entries[i].index = list->indices[i];
	free(list);
	for (uint32_t done = 0; done < n;) {
		struct kvm_msrs *rest = alloc_msrs(n - done);
		if (!rest)
			break;
		memcpy(rest->entries, msrs->entries + done, (n - done) * sizeof(rest->entries[0]));
		int got = ioctl(vcpu_fd, KVM_GET_MSRS, rest);
		got = got < 0 ? 0 : got;
		memcpy(msrs->entries + done, rest->entries, (size_t)got * sizeof(rest->entries[0]));
		free(rest);
		done += (uint32_t)got;
		if (done < n) { /* entries[done] is unreadable: drop it */
			memmove(msrs->entries + done, msrs->entries + done + 1,
				(n - done - 1) * sizeof(msrs->entries[0]));
			n--;
		}
	}
	msrs->nmsrs = n;
	return msrs;
}

/* The TSC at the pause (arch_vm_paused) of the vCPU with this fd; false when not kept. */
static bool paused_tsc(struct vm *vm, int fd, uint64_t *tsc)
{
	const struct paused_clock *p = board_paused_clock(vm);
	for (int i = 0; p->valid && i < p->nr; i++) {
		if (vcpu_fd(vm_vcpu(vm, i)) == fd) {
			*tsc = p->tsc[i];
			return true;
		}
	}
	return false;
}

static int save_msrs(struct vm *vm, int vcpu_fd, struct snap_writer *w)
{
	struct kvm_msrs *msrs = read_msrs(vm, vcpu_fd);
	if (!msrs)
		return -1;
	uint64_t tsc;
	bool kept = paused_tsc(vm, vcpu_fd, &tsc);
	for (uint32_t i = 0; kept && i < msrs->nmsrs; i++)
		if (msrs->entries[i].index == MSR_IA32_TSC)
			msrs->entries[i].data = tsc;
	snap_put_u32(w, msrs->nmsrs);
	for (uint32_t i = 0; i < msrs->nmsrs; i++) {
		snap_put_u32(w, msrs->entries[i].index);
		snap_put_u64(w, msrs->entries[i].data);
	}
	free(msrs);
	return w->failed ? -1 : 0;
}

static int save_fpu(const struct state_caps *caps, int vcpu_fd, struct snap_writer *w)
{
	if (!caps->xsave_size) {
		struct kvm_fpu fpu;
		return snap_put_u32(w, 0) < 0 ? -1 : SAVE(w, vcpu_fd, KVM_GET_FPU, fpu);
	}
	struct kvm_xsave *xsave = calloc(1, caps->xsave_size);
	if (!xsave)
		return vmm_err("out of memory");
	bool two = caps->xsave_size > sizeof(struct kvm_xsave);
	int ret = two ? GET(vcpu_fd, KVM_GET_XSAVE2, xsave) : GET(vcpu_fd, KVM_GET_XSAVE, xsave);
	if (ret == 0 && (snap_put_u32(w, caps->xsave_size) < 0 ||
			 snap_put_blob(w, xsave, caps->xsave_size) < 0))
		ret = -1;
	free(xsave);
	return ret;
}

int arch_vcpu_save(struct vm *vm, int vcpu_fd, struct snap_writer *w)
{
	struct state_caps caps;
	state_caps(vm, &caps);
	struct kvm_mp_state mp;
	struct kvm_regs regs;
	struct kvm_sregs sregs;
	struct kvm_sregs2 sregs2;
	if (snap_put_u32(w, VCPU_STATE_VERSION) < 0 || SAVE(w, vcpu_fd, KVM_GET_MP_STATE, mp) < 0 ||
	    SAVE(w, vcpu_fd, KVM_GET_REGS, regs) < 0 ||
	    snap_put_u8(w, caps.sregs2 ? SREGS_2 : SREGS_1) < 0 ||
	    (caps.sregs2 ? SAVE(w, vcpu_fd, KVM_GET_SREGS2, sregs2)
			 : SAVE(w, vcpu_fd, KVM_GET_SREGS, sregs)) < 0 ||
	    save_fpu(&caps, vcpu_fd, w) < 0)
		return -1;
	struct kvm_xcrs xcrs;
	struct kvm_debugregs dregs;
	struct kvm_lapic_state lapic;
	if (snap_put_u8(w, caps.xcrs) < 0 ||
	    (caps.xcrs && SAVE(w, vcpu_fd, KVM_GET_XCRS, xcrs) < 0) ||
	    snap_put_u8(w, caps.debugregs) < 0 ||
	    (caps.debugregs && SAVE(w, vcpu_fd, KVM_GET_DEBUGREGS, dregs) < 0) ||
	    SAVE(w, vcpu_fd, KVM_GET_LAPIC, lapic) < 0)
		return -1;
	int khz = ioctl(vcpu_fd, KVM_GET_TSC_KHZ);
	struct kvm_vcpu_events events;
	if (snap_put_u32(w, khz > 0 ? (uint32_t)khz : 0) < 0 || save_msrs(vm, vcpu_fd, w) < 0 ||
	    snap_put_u8(w, caps.events) < 0 ||
	    (caps.events && SAVE(w, vcpu_fd, KVM_GET_VCPU_EVENTS, events) < 0))
		return -1;
	return w->failed ? vmm_err("out of memory") : 0;
}

/* A saved optional piece: its flag, and whether this KVM can take it. */
static int get_flag(struct snap_reader *r, bool have, const char *what, bool *present)
{
	uint8_t flag;
	if (snap_get_u8(r, &flag) < 0)
		return -1;
	if (flag > 1)
		return snap_bad(r, "bad %s flag %u", what, flag);
	if (flag && !have)
		return snap_bad(r, "it holds %s, which this host's KVM cannot set", what);
	*present = flag;
	return 0;
}

static int load_sregs(struct snap_reader *r, const struct state_caps *caps, int vcpu_fd)
{
	uint8_t kind;
	if (snap_get_u8(r, &kind) < 0)
		return -1;
	if (kind == SREGS_1) {
		struct kvm_sregs sregs;
		return LOAD(r, vcpu_fd, KVM_SET_SREGS, sregs);
	}
	if (kind != SREGS_2)
		return snap_bad(r, "unknown sregs kind %u", kind);
	if (!caps->sregs2)
		return snap_bad(r, "it holds sregs2, which this host's KVM cannot set");
	struct kvm_sregs2 sregs2;
	return LOAD(r, vcpu_fd, KVM_SET_SREGS2, sregs2);
}

static int load_fpu(struct snap_reader *r, const struct state_caps *caps, int vcpu_fd)
{
	uint32_t size;
	if (snap_get_u32(r, &size) < 0)
		return -1;
	if (size == 0) {
		struct kvm_fpu fpu;
		return LOAD(r, vcpu_fd, KVM_SET_FPU, fpu);
	}
	if (size < sizeof(struct kvm_xsave) || size > caps->xsave_size)
		return snap_bad(r, "its XSAVE area has %u bytes, this host's KVM takes %u", size,
				caps->xsave_size);
	/* KVM_SET_XSAVE reads the host's whole size: the rest stays zero (not in use). */
	struct kvm_xsave *xsave = calloc(1, caps->xsave_size);
	if (!xsave)
		return vmm_err("out of memory");
	int ret = load_piece(r, vcpu_fd, KVM_SET_XSAVE, xsave, size, "KVM_SET_XSAVE");
	free(xsave);
	return ret;
}

/*
 * The TSC runs at the rate it had, where KVM can scale it; else it is said
 * once per vCPU. Two boots of one host calibrate its rate some kHz apart:
 * within 250 ppm (QEMU's and Firecracker's tolerance, well inside what
 * Linux's clocksource watchdog allows) the rate here is kept.
 */
static int load_tsc_khz(struct snap_reader *r, const struct state_caps *caps, int vcpu_fd)
{
	uint32_t khz;
	if (snap_get_u32(r, &khz) < 0)
		return -1;
	int here = ioctl(vcpu_fd, KVM_GET_TSC_KHZ);
	uint64_t apart = (uint32_t)here > khz ? (uint32_t)here - khz : khz - (uint32_t)here;
	if (khz == 0 || here <= 0 || apart * 1000000 <= (uint64_t)khz * TSC_KHZ_TOLERANCE_PPM)
		return 0;
	if (!caps->tsc_control || ioctl(vcpu_fd, KVM_SET_TSC_KHZ, khz) < 0)
		vmm_warn("snapshot: the guest's TSC ran at %u kHz, this host's runs at %d kHz and "
			 "KVM cannot scale it: the guest's clock may drift",
			 khz, here);
	return 0;
}

static int load_msrs(struct snap_reader *r, int vcpu_fd, uint64_t *tsc)
{
	uint32_t n;
	if (snap_get_u32(r, &n) < 0)
		return -1;
	if (n > MAX_MSRS)
		return snap_bad(r, "%u MSRs, at most %d expected", n, MAX_MSRS);
	struct kvm_msrs *msrs = alloc_msrs(n);
	if (!msrs)
		return vmm_err("out of memory");
	int ret = 0;
	for (uint32_t i = 0; i < n && ret == 0; i++) {
		uint64_t data = 0;
		ret = snap_get_u32(r, &msrs->entries[i].index) < 0 || snap_get_u64(r, &data) < 0;
		msrs->entries[i].data = data;
		if (msrs->entries[i].index == MSR_IA32_TSC)
			*tsc = data;
	}
	if (ret == 0) {
		int set = ioctl(vcpu_fd, KVM_SET_MSRS, msrs);
		if (set < 0)
			ret = snap_bad(r, "KVM_SET_MSRS: %s", strerror(errno));
		else if ((uint32_t)set < n)
			ret = snap_bad(r, "KVM refused MSR 0x%x (value 0x%llx)",
				       msrs->entries[set].index,
				       (unsigned long long)msrs->entries[set].data);
	}
	free(msrs);
	return ret ? -1 : 0;
}

static int load_events(struct snap_reader *r, const struct state_caps *caps, int vcpu_fd)
{
	bool present = false;
	if (get_flag(r, caps->events, "vCPU events", &present) < 0)
		return -1;
	if (!present)
		return 0;
	struct kvm_vcpu_events events;
	if (snap_get_blob(r, &events, sizeof(events)) < 0)
		return -1;
	/* GET reports these fields without saying so; SET takes them only when told. */
	events.flags |= KVM_VCPUEVENT_VALID_NMI_PENDING | KVM_VCPUEVENT_VALID_SIPI_VECTOR;
	if (ioctl(vcpu_fd, KVM_SET_VCPU_EVENTS, &events) < 0)
		return snap_bad(r, "KVM_SET_VCPU_EVENTS: %s", strerror(errno));
	return 0;
}

static int load_version(struct snap_reader *r, uint32_t want)
{
	uint32_t version;
	if (snap_get_u32(r, &version) < 0)
		return -1;
	if (version != want)
		return snap_bad(r, "layout version %u, this vmm reads %u", version, want);
	return 0;
}

int arch_vcpu_load(struct vm *vm, int fd, struct snap_reader *r)
{
	struct state_caps caps;
	state_caps(vm, &caps);
	struct kvm_mp_state mp;
	struct kvm_regs regs;
	if (load_version(r, VCPU_STATE_VERSION) < 0 || LOAD(r, fd, KVM_SET_MP_STATE, mp) < 0 ||
	    LOAD(r, fd, KVM_SET_REGS, regs) < 0 || load_sregs(r, &caps, fd) < 0 ||
	    load_fpu(r, &caps, fd) < 0)
		return -1;
	bool xcrs_saved, dregs_saved;
	struct kvm_xcrs xcrs;
	struct kvm_debugregs dregs;
	struct kvm_lapic_state lapic;
	if (get_flag(r, caps.xcrs, "XCRs", &xcrs_saved) < 0 ||
	    (xcrs_saved && LOAD(r, fd, KVM_SET_XCRS, xcrs) < 0) ||
	    get_flag(r, caps.debugregs, "debug registers", &dregs_saved) < 0 ||
	    (dregs_saved && LOAD(r, fd, KVM_SET_DEBUGREGS, dregs) < 0) ||
	    LOAD(r, fd, KVM_SET_LAPIC, lapic) < 0)
		return -1;
	uint64_t tsc = 0;
	if (load_tsc_khz(r, &caps, fd) < 0 || load_msrs(r, fd, &tsc) < 0 ||
	    load_events(r, &caps, fd) < 0)
		return -1;
	/* Kept for arch_vm_load, which sets it again next to kvmclock. */
	struct paused_clock *p = board_paused_clock(vm);
	for (int i = 0; i < vm_nr_vcpus(vm) && i < PAUSED_CLOCK_MAX_VCPUS; i++) {
		if (vcpu_fd(vm_vcpu(vm, i)) == fd) {
			p->tsc[i] = tsc;
			p->nr = p->nr > i + 1 ? p->nr : i + 1;
		}
	}
	return 0;
}

int arch_vm_save(struct vm *vm, struct snap_writer *w)
{
	int fd = vm_fd(vm);
	if (snap_put_u32(w, VM_STATE_VERSION) < 0)
		return -1;
	for (uint32_t chip = 0; chip < NR_IRQCHIPS; chip++) {
		struct kvm_irqchip irqchip = {.chip_id = chip};
		if (SAVE(w, fd, KVM_GET_IRQCHIP, irqchip) < 0)
			return -1;
	}
	struct kvm_pit_state2 pit;
	struct kvm_clock_data clock = {0};
	if (SAVE(w, fd, KVM_GET_PIT2, pit) < 0 || GET(fd, KVM_GET_CLOCK, &clock) < 0)
		return -1;
	const struct paused_clock *p = board_paused_clock(vm);
	if (p->valid)
		clock = p->clock; /* the guest's time stopped at the pause */
	snap_put_blob(w, &clock, sizeof(clock));
	return w->failed ? vmm_err("out of memory") : 0;
}

/* The clocks of the pause (clock.c) go into a snapshot and come back at a resume. */
void arch_vm_paused(struct vm *vm)
{
	struct paused_clock *p = board_paused_clock(vm);
	p->valid = clock_read(vm, p);
}

void arch_vm_resuming(struct vm *vm)
{
	struct paused_clock *p = board_paused_clock(vm);
	if (p->valid && clock_set(vm, p) < 0)
		vmm_warn("resume: KVM refused the clock of the pause (%s): the guest's clock jumps",
			 strerror(errno));
	p->valid = false;
}

/*
 * kvmclock goes back to the value it had at the snapshot (as Firecracker
 * does): the guest's clock does not jump, and time the snapshot spent on
 * disk does not pass for it (its wall clock lags by that much until NTP or
 * a re-read of the RTC). Only KVM_CLOCK_REALTIME would ask KVM to advance
 * it, so no flag is passed.
 */
int arch_vm_load(struct vm *vm, struct snap_reader *r)
{
	int fd = vm_fd(vm);
	if (load_version(r, VM_STATE_VERSION) < 0)
		return -1;
	for (uint32_t chip = 0; chip < NR_IRQCHIPS; chip++) {
		struct kvm_irqchip irqchip;
		if (snap_get_blob(r, &irqchip, sizeof(irqchip)) < 0)
			return -1;
		if (irqchip.chip_id != chip)
			return snap_bad(r, "interrupt controller %u where %u belongs",
					irqchip.chip_id, chip);
		if (ioctl(fd, KVM_SET_IRQCHIP, &irqchip) < 0)
			return snap_bad(r, "KVM_SET_IRQCHIP %u: %s", chip, strerror(errno));
	}
	struct kvm_pit_state2 pit;
	struct kvm_clock_data clock;
	if (LOAD(r, fd, KVM_SET_PIT2, pit) < 0 || snap_get_blob(r, &clock, sizeof(clock)) < 0)
		return -1;
	/*
	 * The TSCs were set with the rest of each vCPU (before the TSC deadline,
	 * which needs them), and ran on since while the rest loaded (7-60 ms in a
	 * nested host): set again, exactly, next to kvmclock (clock.c).
	 */
	struct paused_clock *p = board_paused_clock(vm);
	p->clock.clock = clock.clock;
	int ret = clock_set(vm, p);
	p->nr = 0;
	if (ret < 0)
		return snap_bad(r, "setting kvmclock and the TSCs: %s", strerror(errno));
	return 0;
}
