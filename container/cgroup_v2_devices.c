/*
 * Device rules. cgroup v1 has devices.allow/deny; v2 has none: a BPF program of type
 * BPF_PROG_TYPE_CGROUP_DEVICE, attached to the cgroup, answers every open and mknod of a
 * device node (crun and runc generate one from the rules the same way). The program is
 * written here with the uapi <linux/bpf.h> opcodes: a few instructions per rule need no
 * ELF object, no compiler and no libbpf (whose strengths, CO-RE and object loading, do
 * not apply to a program generated at run time).
 *
 * The rules are checked from the last back and the first match returns its verdict, which
 * is "the last matching rule decides", the meaning of v1's sequence of writes.
 */
#include "cgroup_v2_devices.h"
#include "util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* What the runtime creates in every container's /dev (oci_rootfs.c): null zero full tty
 * random urandom, console, ptmx, the pts, tuntap (as runc's allowed list). */
static const struct spec_dev_rule default_rules[] = {
    {true, 'c', 1, 3, "rwm"},	 {true, 'c', 1, 5, "rwm"}, {true, 'c', 1, 7, "rwm"},
    {true, 'c', 1, 8, "rwm"},	 {true, 'c', 1, 9, "rwm"}, {true, 'c', 5, 0, "rwm"},
    {true, 'c', 5, 1, "rwm"},	 {true, 'c', 5, 2, "rwm"}, {true, 'c', 136, -1, "rwm"},
    {true, 'c', 10, 200, "rwm"},
};
#define NDEFAULT (sizeof(default_rules) / sizeof(default_rules[0]))

struct spec_dev_rule *device_rules(const struct spec *s, size_t *n)
{
	size_t max = s->res.ndev_rules + NDEFAULT + s->ndevices, k = 0;
	struct spec_dev_rule *r = xrealloc(NULL, max * sizeof(*r));
	for (size_t i = 0; i < s->res.ndev_rules; i++)
		r[k++] = s->res.dev_rules[i];
	for (size_t i = 0; i < NDEFAULT; i++)
		r[k++] = default_rules[i];
	for (size_t i = 0; i < s->ndevices; i++) {
		const struct spec_device *d = &s->devices[i];
		if (d->type != 'p') /* a FIFO is no device to the cgroup */
			r[k++] = (struct spec_dev_rule){true, d->type == 'u' ? 'c' : d->type,
							d->major, d->minor, "rwm"};
	}
	*n = k;
	return r;
}

static struct bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
	return (struct bpf_insn){
	    .code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm};
}

/* The registers the program keeps the request in. */
enum { R_RET = BPF_REG_0, R_CTX = BPF_REG_1, R_ACCESS, R_TYPE, R_MAJOR, R_MINOR, R_TMP };

static unsigned access_bits(const char *access)
{
	unsigned bits = 0;
	for (const char *c = access; *c; c++)
		bits |= *c == 'r'   ? BPF_DEVCG_ACC_READ
			: *c == 'w' ? BPF_DEVCG_ACC_WRITE
				    : BPF_DEVCG_ACC_MKNOD;
	return bits ? bits : 7; /* "" is every access, as absent */
}

/* One rule's checks, each jumping past the block when the request does not match; an
 * unconditional rule (every device, every access) is just its verdict. Returns whether
 * it was unconditional: the rules before it can never decide. */
static bool emit_rule(struct bpf_insn *p, size_t *n, const struct spec_dev_rule *r)
{
	size_t start = *n, jumps[4], nj = 0;
	unsigned acc = access_bits(r->access);
	if (r->type != 'a') {
		int t = r->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR;
		jumps[nj++] = *n;
		p[(*n)++] = insn(BPF_JMP32 | BPF_JNE | BPF_K, R_TYPE, 0, 0, t);
		if (r->major >= 0) {
			jumps[nj++] = *n;
			p[(*n)++] =
			    insn(BPF_JMP32 | BPF_JNE | BPF_K, R_MAJOR, 0, 0, (int32_t)r->major);
		}
		if (r->minor >= 0) {
			jumps[nj++] = *n;
			p[(*n)++] =
			    insn(BPF_JMP32 | BPF_JNE | BPF_K, R_MINOR, 0, 0, (int32_t)r->minor);
		}
		if (acc != 7) {
			/* allow: every access asked for is in the rule; deny: any one of them is */
			p[(*n)++] = insn(BPF_ALU64 | BPF_MOV | BPF_X, R_TMP, R_ACCESS, 0, 0);
			p[(*n)++] = insn(BPF_ALU | BPF_AND | BPF_K, R_TMP, 0, 0,
					 (int32_t)(r->allow ? ~acc & 7 : acc));
			jumps[nj++] = *n;
			p[(*n)++] = insn(BPF_JMP32 | (r->allow ? BPF_JNE : BPF_JEQ) | BPF_K, R_TMP,
					 0, 0, 0);
		}
	}
	p[(*n)++] = insn(BPF_ALU64 | BPF_MOV | BPF_K, R_RET, 0, 0, r->allow ? 1 : 0);
	p[(*n)++] = insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	for (size_t i = 0; i < nj; i++)
		p[jumps[i]].off = (int16_t)(*n - jumps[i] - 1);
	return *n - start == 2;
}

struct bpf_insn *v2_devices_program(const struct spec_dev_rule *rules, size_t nrules, size_t *n)
{
	/* 5 loads, at most 8 instructions a rule, the default verdict's 2 */
	struct bpf_insn *p = xrealloc(NULL, (7 + 8 * nrules) * sizeof(*p));
	size_t k = 0;
	/* access_type is (BPF_DEVCG_ACC_* << 16) | BPF_DEVCG_DEV_* */
	p[k++] = insn(BPF_LDX | BPF_MEM | BPF_W, R_ACCESS, R_CTX,
		      offsetof(struct bpf_cgroup_dev_ctx, access_type), 0);
	p[k++] = insn(BPF_ALU64 | BPF_MOV | BPF_X, R_TYPE, R_ACCESS, 0, 0);
	p[k++] = insn(BPF_ALU | BPF_AND | BPF_K, R_TYPE, 0, 0, 0xffff);
	p[k++] = insn(BPF_ALU | BPF_RSH | BPF_K, R_ACCESS, 0, 0, 16);
	p[k++] = insn(BPF_LDX | BPF_MEM | BPF_W, R_MAJOR, R_CTX,
		      offsetof(struct bpf_cgroup_dev_ctx, major), 0);
	p[k++] = insn(BPF_LDX | BPF_MEM | BPF_W, R_MINOR, R_CTX,
		      offsetof(struct bpf_cgroup_dev_ctx, minor), 0);
	bool decided = false;
	for (size_t i = nrules; i-- > 0 && !decided;)
		decided = emit_rule(p, &k, &rules[i]);
	if (!decided) {
		p[k++] = insn(BPF_ALU64 | BPF_MOV | BPF_K, R_RET, 0, 0, 1);
		p[k++] = insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	}
	*n = k;
	return p;
}

static int sys_bpf(int cmd, union bpf_attr *a)
{
	return (int)syscall(SYS_bpf, cmd, a, sizeof(*a));
}

static int load(const struct bpf_insn *p, size_t n)
{
	union bpf_attr a = {.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE,
			    .insns = (uintptr_t)p,
			    .insn_cnt = (uint32_t)n,
			    .license = (uintptr_t) "Apache-2.0"};
	int fd = sys_bpf(BPF_PROG_LOAD, &a);
	if (fd >= 0)
		return fd;
	if (errno != EACCES && errno != EINVAL)
		return err_ret("cannot load the device cgroup program: bpf: %s", strerror(errno));
	/* The verifier refused it: its last words say why. */
	char log[4096] = "";
	a.log_buf = (uintptr_t)log;
	a.log_size = sizeof(log);
	a.log_level = 1;
	sys_bpf(BPF_PROG_LOAD, &a);
	log[strcspn(log, "\n")] = '\0';
	return err_ret("the verifier refused the device cgroup program: %s", log);
}

static int attach(const char *dir, int prog)
{
	int cg = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cg < 0)
		return err_ret("cannot open cgroup %s: %s", dir, strerror(errno));
	/* ALLOW_MULTI: a parent's program (systemd's) still runs too, and both must allow. */
	union bpf_attr a = {.target_fd = (uint32_t)cg,
			    .attach_bpf_fd = (uint32_t)prog,
			    .attach_type = BPF_CGROUP_DEVICE,
			    .attach_flags = BPF_F_ALLOW_MULTI};
	int rc = sys_bpf(BPF_PROG_ATTACH, &a);
	if (rc < 0)
		err_ret("cannot attach the device program to cgroup %s: %s", dir, strerror(errno));
	close(cg);
	return rc;
}

int v2_devices_apply(const char *dir, const struct spec *s)
{
	if (!s->res.ndev_rules)
		return 0;
	size_t nrules, n;
	struct spec_dev_rule *rules = device_rules(s, &nrules);
	struct bpf_insn *p = v2_devices_program(rules, nrules, &n);
	free(rules);
	int prog = load(p, n);
	free(p);
	if (prog < 0)
		return -1;
	/* The attachment holds the program: our fd can go. */
	int rc = attach(dir, prog);
	close(prog);
	return rc;
}
