/* The tables of lazy_libs.h: each library opened once, every symbol looked up then. */
#include "lazy_libs.h"
#include "../util.h"

#include <dlfcn.h>
#include <stddef.h>

#define STR(x)		   #x
#define SONAME_OF(base, v) base STR(v)

/* dlsym each name into table (pointers laid out as names), or exit with one line. */
static void load(const char *soname, const char *const *names, void **table, size_t n)
{
	void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
	if (!h)
		die("cannot load %s: %s", soname, dlerror());
	for (size_t i = 0; i < n; i++)
		if (!(table[i] = dlsym(h, names[i])))
			die("%s has no %s: %s", soname, names[i], dlerror());
}

#define LAZY_NAME(f) #f,

const struct lazy_archive *lazy_archive(void)
{
	static struct lazy_archive t;
	static bool loaded;
	static const char *const names[] = {LAZY_ARCHIVE_FUNCS(LAZY_NAME)};
	_Static_assert(sizeof(t) == sizeof(names) / sizeof(names[0]) * sizeof(void *),
		       "one pointer per name");
	if (!loaded) {
		/* libarchive's SONAME has been 13 since 3.0. */
		load("libarchive.so.13", names, (void **)&t, sizeof(names) / sizeof(names[0]));
		loaded = true;
	}
	return &t;
}

const struct lazy_crypto *lazy_crypto(void)
{
	static struct lazy_crypto t;
	static bool loaded;
	static const char *const names[] = {LAZY_CRYPTO_FUNCS(LAZY_NAME)};
	_Static_assert(sizeof(t) == sizeof(names) / sizeof(names[0]) * sizeof(void *),
		       "one pointer per name");
	if (!loaded) {
		load(SONAME_OF("libcrypto.so.", OPENSSL_SHLIB_VERSION), names, (void **)&t,
		     sizeof(names) / sizeof(names[0]));
		loaded = true;
	}
	return &t;
}
