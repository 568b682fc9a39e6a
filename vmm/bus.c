#include "bus.h"

#include <errno.h>
#include <string.h>

static bool overlaps(const struct bus_device *a, const struct bus_device *b)
{
	return a->base < b->base + b->len && b->base < a->base + a->len;
}

int bus_register(struct bus *bus, struct bus_device *dev)
{
	if (dev->len == 0 || dev->base + dev->len < dev->base) {
		errno = EINVAL;
		return -1;
	}
	for (int i = 0; i < bus->nr_devices; i++) {
		if (overlaps(bus->devices[i], dev)) {
			errno = EBUSY;
			return -1;
		}
	}
	if (bus->nr_devices == BUS_MAX_DEVICES) {
		errno = ENOSPC;
		return -1;
	}
	bus->devices[bus->nr_devices++] = dev;
	return 0;
}

static struct bus_device *bus_find(struct bus *bus, uint64_t addr, uint32_t len)
{
	for (int i = 0; i < bus->nr_devices; i++) {
		struct bus_device *dev = bus->devices[i];
		/* The whole access must fall inside the device: a guest may straddle two. */
		if (addr >= dev->base && addr - dev->base < dev->len &&
		    len <= dev->len - (addr - dev->base))
			return dev;
	}
	return NULL;
}

bool bus_access(struct bus *bus, uint64_t addr, void *data, uint32_t len, bool is_write)
{
	struct bus_device *dev = bus_find(bus, addr, len);
	if (!dev) {
		if (!is_write)
			memset(data, 0xff, len);
		return false;
	}
	if (is_write) {
		if (dev->ops->write)
			dev->ops->write(dev, addr - dev->base, data, len);
	} else if (dev->ops->read) {
		dev->ops->read(dev, addr - dev->base, data, len);
	} else {
		memset(data, 0xff, len);
	}
	return true;
}
