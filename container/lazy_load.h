/*
 * Libraries loaded on their first use (dlopen) instead of at every start of `container`,
 * where most commands (start, state, kill, delete) use none of them: the loader, and the
 * macros the tables are made with (image/lazy_libs.h: libarchive, libcrypto;
 * lazy_cap.h: libcap). systemd loads its optional libraries the same way
 * (dlopen_many_sym_or_warn). A library that cannot be loaded is one line, exit 125.
 */
#ifndef CONTAINER_LAZY_LOAD_H
#define CONTAINER_LAZY_LOAD_H

#include <stdbool.h>
#include <stddef.h>

struct lazy_lib {
	const char *soname;
	const char *const *names;
	size_t n;
	void **table; /* one pointer per name, in order */
	bool loaded;
};

/* dlopen the library once and dlsym every name into the table, or exit with one line. */
void lazy_load(struct lazy_lib *l);

#define LAZY_POINTER(f) __typeof__(f) *f;
#define LAZY_NAME(f)	#f,
#define LAZY_COUNT(a)	(sizeof(a) / sizeof((a)[0]))

#endif
