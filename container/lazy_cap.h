/* libcap, loaded on first use (lazy_load.h): include this instead of <sys/capability.h>.
 * Its constructor alone probes the bounding set with a system call per capability. */
#ifndef CONTAINER_LAZY_CAP_H
#define CONTAINER_LAZY_CAP_H

#include "lazy_load.h"

#include <sys/capability.h>

/* Every libcap function the runtime calls: add one here when it needs another. */
#define LAZY_CAP_FUNCS(X)                                                                          \
	X(cap_clear_flag)                                                                          \
	X(cap_drop_bound)                                                                          \
	X(cap_free)                                                                                \
	X(cap_from_name)                                                                           \
	X(cap_get_bound)                                                                           \
	X(cap_get_flag)                                                                            \
	X(cap_get_proc)                                                                            \
	X(cap_init)                                                                                \
	X(cap_max_bits)                                                                            \
	X(cap_reset_ambient)                                                                       \
	X(cap_set_ambient)                                                                         \
	X(cap_set_flag)                                                                            \
	X(cap_set_proc)                                                                            \
	X(cap_to_name)

struct lazy_cap {
	LAZY_CAP_FUNCS(LAZY_POINTER)
};
const struct lazy_cap *lazy_cap(void);

#define cap_clear_flag	  (lazy_cap()->cap_clear_flag)
#define cap_drop_bound	  (lazy_cap()->cap_drop_bound)
#define cap_free	  (lazy_cap()->cap_free)
#define cap_from_name	  (lazy_cap()->cap_from_name)
#define cap_get_bound	  (lazy_cap()->cap_get_bound)
#define cap_get_flag	  (lazy_cap()->cap_get_flag)
#define cap_get_proc	  (lazy_cap()->cap_get_proc)
#define cap_init	  (lazy_cap()->cap_init)
#define cap_max_bits	  (lazy_cap()->cap_max_bits)
#define cap_reset_ambient (lazy_cap()->cap_reset_ambient)
#define cap_set_ambient	  (lazy_cap()->cap_set_ambient)
#define cap_set_flag	  (lazy_cap()->cap_set_flag)
#define cap_set_proc	  (lazy_cap()->cap_set_proc)
#define cap_to_name	  (lazy_cap()->cap_to_name)

#endif
