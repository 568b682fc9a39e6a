/* The tables of lazy_libs.h (the loader: ../lazy_load.c). */
#include "lazy_libs.h"
#include "../util.h"

#define STR(x)		   #x
#define SONAME_OF(base, v) base STR(v)

/* The loaded tables are the process's own, as the libraries are: function statics. */
const struct lazy_archive *lazy_archive(void)
{
	static struct lazy_archive table;
	static const char *const names[] = {LAZY_ARCHIVE_FUNCS(LAZY_NAME)};
	_Static_assert(sizeof(table) == LAZY_COUNT(names) * sizeof(void *), "a name each");
	/* libarchive's SONAME has been 13 since 3.0. */
	static struct lazy_lib lib = {"libarchive.so.13", names, LAZY_COUNT(names),
				      (void **)&table};
	lazy_load(&lib);
	return &table;
}

const struct lazy_crypto *lazy_crypto(void)
{
	static struct lazy_crypto table;
	static const char *const names[] = {LAZY_CRYPTO_FUNCS(LAZY_NAME)};
	_Static_assert(sizeof(table) == LAZY_COUNT(names) * sizeof(void *), "a name each");
	static struct lazy_lib lib = {SONAME_OF("libcrypto.so.", OPENSSL_SHLIB_VERSION), names,
				      LAZY_COUNT(names), (void **)&table};
	lazy_load(&lib);
	return &table;
}
