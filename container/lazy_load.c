/* The loader of lazy_load.h, and libcap's table. */
#include "lazy_load.h"
#include "lazy_cap.h"
#include "util.h"

#include <dlfcn.h>

void lazy_load(struct lazy_lib *l)
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

/* The loaded table is the process's own, as the library is: a function static. */
const struct lazy_cap *lazy_cap(void)
{
	static struct lazy_cap table;
	static const char *const names[] = {LAZY_CAP_FUNCS(LAZY_NAME)};
	_Static_assert(sizeof(table) == LAZY_COUNT(names) * sizeof(void *), "a name each");
	/* libcap's SONAME has been 2 since 2.x. */
	static struct lazy_lib lib = {"libcap.so.2", names, LAZY_COUNT(names), (void **)&table};
	lazy_load(&lib);
	return &table;
}
