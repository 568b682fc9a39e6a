/* The tables of lazy_libs.h: each library opened once, every symbol looked up then. */
#include "lazy_libs.h"
#include "../util.h"

#include <dlfcn.h>
#include <stdbool.h>
#include <stddef.h>

#define STR(x)		   #x
#define SONAME_OF(base, v) base STR(v)
#define LAZY_NAME(f)	   #f,
#define COUNT(a)	   (sizeof(a) / sizeof((a)[0]))

struct lazy_lib {
	const char *soname;
	const char *const *names;
	size_t n;
	void **table; /* one pointer per name, in order */
	bool loaded;
};

/* dlsym each name into the table, or exit with one line. */
static void load(struct lazy_lib *l)
{
	if (l->loaded)
		return;
	void *h = dlopen(l->soname, RTLD_NOW | RTLD_LOCAL);
	if (!h)
		die("cannot load %s: %s", l->soname, dlerror());
	for (size_t i = 0; i < l->n; i++)
		if (!(l->table[i] = dlsym(h, l->names[i])))
			die("%s has no %s: %s", l->soname, l->names[i], dlerror());
	l->loaded = true;
}

/* The loaded tables are the process's own, as the libraries are: function statics. */
const struct lazy_archive *lazy_archive(void)
{
	static struct lazy_archive table;
	static const char *const names[] = {LAZY_ARCHIVE_FUNCS(LAZY_NAME)};
	_Static_assert(sizeof(table) == COUNT(names) * sizeof(void *), "a name each");
	/* libarchive's SONAME has been 13 since 3.0. */
	static struct lazy_lib lib = {"libarchive.so.13", names, COUNT(names), (void **)&table};
	load(&lib);
	return &table;
}

const struct lazy_crypto *lazy_crypto(void)
{
	static struct lazy_crypto table;
	static const char *const names[] = {LAZY_CRYPTO_FUNCS(LAZY_NAME)};
	_Static_assert(sizeof(table) == COUNT(names) * sizeof(void *), "a name each");
	static struct lazy_lib lib = {SONAME_OF("libcrypto.so.", OPENSSL_SHLIB_VERSION), names,
				      COUNT(names), (void **)&table};
	load(&lib);
	return &table;
}
