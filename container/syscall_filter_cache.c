/*
 * Compiled filters, cached by the exact profile they came from. libseccomp 2.5 takes
 * ~45 ms to compile docker's profile for x86-64 with its x86 and x32 entry points (most of
 * it for x32), several times a container's whole start; crun caches for the same reason.
 * A cache file holds the profile's serialised model next to its BPF, and is used only
 * when that model matches byte for byte (the file name is only a hash), is owned by us
 * and writable by nobody else.
 */
#include "syscall_filter.h"
#include "util.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CACHE_FORMAT 2 /* 2: with the ENOSYS stub */

struct key {
	uint64_t *v;
	size_t n;
};

static void put(struct key *k, uint64_t x)
{
	k->v = xrealloc(k->v, (k->n + 1) * sizeof(*k->v));
	k->v[k->n++] = x;
}

/* Everything the BPF depends on: the model, the native arch, libseccomp's version. */
static void serialise(const struct syscall_profile *p, struct key *k)
{
	const struct scmp_version *v = seccomp_version();
	put(k, CACHE_FORMAT);
	put(k, ((uint64_t)v->major << 32) | (v->minor << 16) | v->micro);
	put(k, seccomp_arch_native());
	put(k, p->default_action);
	put(k, p->flags);
	put(k, p->narches);
	for (size_t i = 0; i < p->narches; i++)
		put(k, p->arches[i]);
	put(k, p->nrules);
	for (size_t i = 0; i < p->nrules; i++) {
		const struct syscall_rule *r = &p->rules[i];
		put(k, r->action);
		put(k, r->nsyscalls);
		for (size_t j = 0; j < r->nsyscalls; j++)
			put(k, (uint64_t)(int64_t)r->syscalls[j]);
		put(k, r->nargs);
		for (size_t j = 0; j < r->nargs; j++) {
			put(k, ((uint64_t)r->args[j].index << 32) | r->args[j].op);
			put(k, r->args[j].value);
			put(k, r->args[j].value_two);
		}
	}
}

static uint64_t fnv1a(const void *data, size_t len)
{
	const unsigned char *b = data;
	uint64_t h = 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < len; i++)
		h = (h ^ b[i]) * 0x100000001b3ULL;
	return h;
}

/* Root's under /run/isolab; a rootless user's in its own runtime directory; NULL: none. */
static char *cache_dir(void)
{
	const char *dir = getenv("ISOLAB_SECCOMP_CACHE");
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	if (dir)
		return dir[0] ? xstrdup(dir) : NULL; /* empty: no cache */
	if (geteuid() == 0)
		return xstrdup("/run/isolab/seccomp");
	return xdg && xdg[0] == '/' ? xasprintf("%s/isolab/seccomp", xdg) : NULL;
}

static int read_cached(const char *path, const struct key *k, struct syscall_bpf *out)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;
	size_t keylen = k->n * sizeof(*k->v);
	int rc = -1;
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 022) || (size_t)st.st_size <= keylen ||
	    ((size_t)st.st_size - keylen) % sizeof(struct sock_filter))
		goto out;
	char *buf = xrealloc(NULL, (size_t)st.st_size);
	if (pread(fd, buf, (size_t)st.st_size, 0) == st.st_size && !memcmp(buf, k->v, keylen)) {
		out->len = ((size_t)st.st_size - keylen) / sizeof(struct sock_filter);
		out->insns = xrealloc(NULL, out->len * sizeof(struct sock_filter));
		memcpy(out->insns, buf + keylen, out->len * sizeof(struct sock_filter));
		rc = 0;
	}
	free(buf);
out:
	close(fd);
	return rc;
}

/* Best effort: a cache that cannot be written only costs the next start the compile. */
static void write_cached(const char *dir, const char *path, const struct key *k,
			 const struct syscall_bpf *f)
{
	char *tmp = xasprintf("%s.XXXXXX", path);
	int fd = mkdir_p(dir, 0700) < 0 ? -1 : mkstemp(tmp);
	if (fd >= 0) {
		size_t keylen = k->n * sizeof(*k->v), len = f->len * sizeof(*f->insns);
		bool ok = write(fd, k->v, keylen) == (ssize_t)keylen &&
			  write(fd, f->insns, len) == (ssize_t)len;
		close(fd);
		if (!ok || rename(tmp, path) < 0)
			unlink(tmp);
	}
	free(tmp);
}

int syscall_filter_build(const struct syscall_profile *p, struct syscall_bpf *out)
{
	char *dir = cache_dir();
	if (!dir)
		return syscall_filter_compile(p, out);
	struct key k = {NULL, 0};
	serialise(p, &k);
	char *path =
	    xasprintf("%s/%016llx.bpf", dir, (unsigned long long)fnv1a(k.v, k.n * sizeof(*k.v)));
	memset(out, 0, sizeof(*out));
	int rc = 0;
	if (read_cached(path, &k, out) == 0)
		out->flags = p->flags;
	else if ((rc = syscall_filter_compile(p, out)) == 0)
		write_cached(dir, path, &k, out);
	free(path);
	free(dir);
	free(k.v);
	return rc;
}
