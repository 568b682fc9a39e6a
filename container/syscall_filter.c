/*
 * A syscall profile compiled to BPF with libseccomp in the runtime, before the container
 * starts (so a bad profile is reported before anything runs, and the container's process
 * only makes one seccomp(2) call), and loaded just before the exec.
 */
#include "syscall_filter.h"
#include "util.h"

#include <errno.h>
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
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, f->flags, &prog) == 0)
		return 0;
	int e = errno;
	if (e == EACCES)
		return err_ret("seccomp: loading a filter without no_new_privs needs "
			       "CAP_SYS_ADMIN");
	if (e == EINVAL && f->flags)
		return err_ret("seccomp: this kernel refuses the filter flags %#x", f->flags);
	return err_ret("seccomp: cannot load the filter: %s", strerror(e));
}
