/* A seccomp profile in the OCI model ("linux.seccomp"), compiled to BPF by libseccomp. */
#ifndef CONTAINER_SYSCALL_FILTER_H
#define CONTAINER_SYSCALL_FILTER_H

#include <linux/filter.h>
#include <seccomp.h>
#include <stddef.h>
#include <stdint.h>

struct json_object;
struct json_path;

struct syscall_arg_cmp {
	unsigned int index; /* argument 0..5 */
	enum scmp_compare op;
	uint64_t value, value_two; /* SCMP_CMP_MASKED_EQ: the mask, then the value */
};

struct syscall_rule {
	int *syscalls; /* libseccomp's numbers (negative: a syscall of another arch only) */
	size_t nsyscalls;
	uint32_t action; /* SCMP_ACT_*, errno or trace value included */
	struct syscall_arg_cmp *args;
	size_t nargs;
};

struct syscall_profile {
	uint32_t default_action;
	uint32_t *arches; /* SCMP_ARCH_*, besides the native one */
	size_t narches;
	unsigned int flags; /* SECCOMP_FILTER_FLAG_* for the seccomp(2) call */
	struct syscall_rule *rules;
	size_t nrules;
	/* SCMP_ACT_NOTIFY: where the notification fd goes (flags then hold
	 * SECCOMP_FILTER_FLAG_NEW_LISTENER), and what the listener is told with it. */
	char *listener_path, *listener_metadata;
};

/* The filter as the kernel takes it, built by the runtime before anything starts. */
struct syscall_bpf {
	struct sock_filter *insns;
	size_t len;
	unsigned int flags;
};

/* OCI linux.seccomp; unknown syscall names are skipped (as runc and crun do). */
int syscall_profile_from_oci(struct json_object *obj, const struct json_path *path,
			     struct syscall_profile *out);
/* docker's current default profile for its default capabilities (so io_uring blocked). */
int syscall_profile_docker_default(struct syscall_profile *out);
void syscall_profile_free(struct syscall_profile *p);

int syscall_filter_compile(const struct syscall_profile *p, struct syscall_bpf *out);
/* The same through a cache of compiled filters ($ISOLAB_SECCOMP_CACHE, default
 * /run/isolab/seccomp as root, $XDG_RUNTIME_DIR/isolab/seccomp rootless; empty: none),
 * as compiling can take tens of ms. */
int syscall_filter_build(const struct syscall_profile *p, struct syscall_bpf *out);
/* seccomp(2) with the profile's flags: the last thing before the exec. 0, or with
 * SECCOMP_FILTER_FLAG_NEW_LISTENER the notification fd; -1 after one line. */
int syscall_filter_load(const struct syscall_bpf *f);
void syscall_bpf_free(struct syscall_bpf *f);

/* Shared by the OCI parser and the built-in profile. */
int syscall_rule_add_names(struct syscall_rule *r, const char *const *names, size_t n);

#endif
