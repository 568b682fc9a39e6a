#include "memstat.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static bool is_guest_ram(const struct guest_mem *mem, uint64_t start)
{
	for (int i = 0; i < mem->nr_regions; i++) {
		uint64_t host = (uintptr_t)mem->region[i].host;
		if (start >= host && start < host + mem->region[i].size)
			return true;
	}
	return false;
}

int memstat_read(const struct guest_mem *mem, struct memstat *out)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	if (!f)
		return -1;
	*out = (struct memstat){0};
	char line[512];
	bool guest = false;
	while (fgets(line, sizeof(line), f)) {
		uint64_t start, end, kib;
		if (sscanf(line, "%" SCNx64 "-%" SCNx64 " ", &start, &end) == 2 &&
		    strchr(line, ' ')) {
			guest = is_guest_ram(mem, start);
			continue;
		}
		if (guest && sscanf(line, "Rss: %" SCNu64 " kB", &kib) == 1)
			out->guest_touched_kib += kib;
		else if (!guest && (sscanf(line, "Private_Clean: %" SCNu64 " kB", &kib) == 1 ||
				    sscanf(line, "Private_Dirty: %" SCNu64 " kB", &kib) == 1))
			out->private_kib += kib;
		else if (!guest && sscanf(line, "Anonymous: %" SCNu64 " kB", &kib) == 1)
			out->private_anon_kib += kib;
	}
	fclose(f);
	return 0;
}
