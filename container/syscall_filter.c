/*
 * A syscall profile compiled to BPF with libseccomp in the runtime, before the container
 * starts (so a bad profile is reported before anything runs, and the container's process
 * only makes one seccomp(2) call), and loaded just before the exec.
 */
#include "syscall_filter.h"
#include "util.h"

#include <errno.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/seccomp.h>

int syscall_rule_add_names(struct syscall_rule *r, const char *const *names, size_t n)
{
	r->syscalls = xrealloc(r->syscalls, (r->nsyscalls + n + 1) * sizeof(*r->syscalls));
	for (size_t i = 0; i < n; i++) {
		int nr = seccomp_syscall_resolve_name(names[i]);
		if (nr != __NR_SCMP_ERROR) /* unknown here: skipped, as runc and crun */
			r->syscalls[r->nsyscalls++] = nr;
	}
	return 0;
}

void syscall_profile_free(struct syscall_profile *p)
{
	for (size_t i = 0; i < p->nrules; i++) {
		free(p->rules[i].syscalls);
		free(p->rules[i].args);
	}
	free(p->rules);
	free(p->arches);
	free(p->listener_path);
	free(p->listener_metadata);
	memset(p, 0, sizeof(*p));
}

void syscall_bpf_free(struct syscall_bpf *f)
{
	free(f->insns);
	memset(f, 0, sizeof(*f));
}

/* Conditions on one argument twice: libseccomp ANDs only distinct arguments, so each
 * becomes a rule of its own (an OR), as runc does. */
static bool repeats_an_index(const struct syscall_rule *r)
{
	for (size_t i = 0; i < r->nargs; i++)
		for (size_t j = 0; j < i; j++)
			if (r->args[i].index == r->args[j].index)
				return true;
	return false;
}

static int add_rule(scmp_filter_ctx ctx, const struct syscall_rule *r, int nr)
{
	struct scmp_arg_cmp cmp[6];
	size_t n = r->nargs < 6 ? r->nargs : 6;
	for (size_t i = 0; i < r->nargs && i < 6; i++)
		cmp[i] = (struct scmp_arg_cmp){r->args[i].index, r->args[i].op, r->args[i].value,
					       r->args[i].value_two};
	if (!repeats_an_index(r) && r->nargs <= 6)
		return seccomp_rule_add_array(ctx, r->action, nr, (unsigned int)n, cmp);
	for (size_t i = 0; i < r->nargs; i++) {
		struct scmp_arg_cmp one = {r->args[i].index, r->args[i].op, r->args[i].value,
					   r->args[i].value_two};
		int rc = seccomp_rule_add_array(ctx, r->action, nr, 1, &one);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int add_rules(scmp_filter_ctx ctx, const struct syscall_profile *p)
{
	for (size_t i = 0; i < p->nrules; i++) {
		const struct syscall_rule *r = &p->rules[i];
		/* libseccomp refuses a rule that only repeats the default action. */
		if (r->action == p->default_action)
			continue;
		for (size_t j = 0; j < r->nsyscalls; j++) {
			int rc = add_rule(ctx, r, r->syscalls[j]);
			if (rc < 0) {
				char *name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE,
									      r->syscalls[j]);
				err_ret("seccomp: cannot add the rule for %s (syscalls[%zu]): %s",
					name ? name : "?", i, strerror(-rc));
				free(name);
				return -1;
			}
		}
	}
	return 0;
}

/* The largest native syscall number the profile names (pseudo numbers are negative). */
static int newest_syscall(const struct syscall_profile *p)
{
	int max = -1;
	for (size_t i = 0; i < p->nrules; i++)
		for (size_t j = 0; j < p->rules[i].nsyscalls; j++)
			if (p->rules[i].syscalls[j] > max)
				max = p->rules[i].syscalls[j];
	return max;
}

/*
 * A syscall newer than every one the profile names gets ENOSYS, not the default action
 * (as runc does): the profile cannot have meant to deny what it did not know, and libc
 * falls back to an older call only on ENOSYS (glibc's fchmodat, say, tries fchmodat2
 * first, a syscall libseccomp 2.5 has no name for). Native entry point only; x32 numbers
 * (bit 30) go through the filter as they are.
 */
static void prepend_enosys_stub(const struct syscall_profile *p, struct syscall_bpf *f)
{
	int newest = newest_syscall(p);
	uint32_t act = p->default_action;
	if (newest < 0 || act == SCMP_ACT_ALLOW || act == SCMP_ACT_LOG ||
	    act == SCMP_ACT_ERRNO(ENOSYS))
		return;
	const struct sock_filter stub[] = {
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, seccomp_arch_native(), 0, 4),
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
	    BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x40000000, 2, 0),
	    BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, (uint32_t)newest, 0, 1),
	    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
	};
	size_t n = sizeof(stub) / sizeof(stub[0]);
	f->insns = xrealloc(f->insns, (f->len + n) * sizeof(*f->insns));
	memmove(f->insns + n, f->insns, f->len * sizeof(*f->insns));
	memcpy(f->insns, stub, sizeof(stub));
	f->len += n;
}

static int export_bpf(scmp_filter_ctx ctx, struct syscall_bpf *out)
{
	int fd = memfd_create("seccomp-bpf", MFD_CLOEXEC);
	if (fd < 0)
		return err_ret("seccomp: memfd_create: %s", strerror(errno));
	int rc = seccomp_export_bpf(ctx, fd);
	struct stat st;
	if (rc < 0 || fstat(fd, &st) < 0 || st.st_size == 0 ||
	    st.st_size % sizeof(struct sock_filter)) {
		close(fd);
		return err_ret("seccomp: cannot export the filter: %s", strerror(rc ? -rc : EIO));
	}
	out->insns = xrealloc(NULL, (size_t)st.st_size);
	out->len = (size_t)st.st_size / sizeof(struct sock_filter);
	ssize_t got = pread(fd, out->insns, (size_t)st.st_size, 0);
	close(fd);
	if (got != st.st_size) {
		syscall_bpf_free(out);
		return err_ret("seccomp: cannot read the exported filter back");
	}
	return 0;
}

int syscall_filter_compile(const struct syscall_profile *p, struct syscall_bpf *out)
{
	memset(out, 0, sizeof(*out));
	scmp_filter_ctx ctx = seccomp_init(p->default_action);
	if (!ctx)
		return err_ret("seccomp: invalid default action %#x", p->default_action);
	int rc = 0;
	for (size_t i = 0; rc == 0 && i < p->narches; i++) {
		rc = seccomp_arch_add(ctx, p->arches[i]);
		if (rc == -EEXIST) /* the native one, already there */
			rc = 0;
		if (rc < 0)
			err_ret("seccomp: cannot add architecture %#x: %s", p->arches[i],
				strerror(-rc));
	}
	if (rc == 0)
		rc = add_rules(ctx, p);
	if (rc == 0)
		rc = export_bpf(ctx, out);
	seccomp_release(ctx);
	if (rc < 0)
		return -1;
	prepend_enosys_stub(p, out);
	out->flags = p->flags;
	if (out->len > BPF_MAXINSNS) {
		syscall_bpf_free(out);
		return err_ret("seccomp: the filter has more than %d instructions", BPF_MAXINSNS);
	}
	return 0;
}

int syscall_filter_load(const struct syscall_bpf *f)
{
	struct sock_fprog prog = {.len = (unsigned short)f->len, .filter = f->insns};
	long rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, f->flags, &prog);
	if (rc >= 0)
		return (int)rc;
	int e = errno;
	if (e == EACCES)
		return err_ret("seccomp: loading a filter without no_new_privs needs "
			       "CAP_SYS_ADMIN");
	if (e == EINVAL && f->flags)
		return err_ret("seccomp: this kernel refuses the filter flags %#x", f->flags);
	return err_ret("seccomp: cannot load the filter: %s", strerror(e));
}
