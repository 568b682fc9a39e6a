#include "size.h"

#include <errno.h>
#include <stdlib.h>

/* The multiplier of the unit at *p (advancing past it), or 0 when none is there. */
static uint64_t unit_at(const char **p)
{
	static const char units[] = "kmgt";
	for (int i = 0; units[i]; i++) {
		if ((**p | 0x20) == units[i]) {
			(*p)++;
			if (**p == 'i')
				(*p)++;
			return 1ull << (10 * (i + 1));
		}
	}
	return 0;
}

int size_parse(const char *text, uint64_t default_unit, uint64_t *bytes)
{
	if (!text || *text < '0' || *text > '9') {
		errno = EINVAL;
		return -1;
	}
	char *end;
	errno = 0;
	unsigned long long value = strtoull(text, &end, 10);
	if (errno == ERANGE)
		return -1;
	const char *p = end;
	uint64_t unit = unit_at(&p);
	if (*p == 'B' || *p == 'b') {
		p++;
		if (!unit)
			unit = 1;
	}
	if (*p) {
		errno = EINVAL;
		return -1;
	}
	if (!unit)
		unit = default_unit;
	if (value > UINT64_MAX / unit) {
		errno = ERANGE;
		return -1;
	}
	*bytes = value * unit;
	return 0;
}
