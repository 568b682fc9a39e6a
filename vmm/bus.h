/*
 * A bus maps guest addresses (I/O ports or MMIO) to the device that answers
 * there. Devices are registered before any vCPU runs and the table is
 * read-only afterwards, so lookups on vCPU threads need no lock; each device
 * serialises its own state.
 */
#ifndef VMM_BUS_H
#define VMM_BUS_H

#include <stdbool.h>
#include <stdint.h>

struct bus_device;
struct snap_writer;
struct snap_reader;

/* The small ops table every device implements. offset is relative to base. */
struct bus_device_ops {
	void (*read)(struct bus_device *dev, uint64_t offset, void *data, uint32_t len);
	void (*write)(struct bus_device *dev, uint64_t offset, const void *data, uint32_t len);
	/*
	 * Guest-visible state for a snapshot or a migration (vmm/snapshot/stream.h),
	 * called with every vCPU stopped. NULL: the device has none. load runs on a
	 * device created from the same options, before any vCPU; -1 (after one
	 * message) refuses the snapshot.
	 */
	int (*save)(struct bus_device *dev, struct snap_writer *w);
	int (*load)(struct bus_device *dev, struct snap_reader *r);
};

struct bus_device {
	const char *name;
	uint64_t base;
	uint64_t len;
	const struct bus_device_ops *ops;
	void *opaque; /* the device's own state */
};

#define BUS_MAX_DEVICES 32

struct bus {
	const char *name; /* "pio" or "mmio", for messages */
	struct bus_device *devices[BUS_MAX_DEVICES];
	int nr_devices;
};

/* Adds dev; -1 (errno EBUSY on overlap, ENOSPC when full) leaves the bus unchanged. */
int bus_register(struct bus *bus, struct bus_device *dev);

/*
 * Forwards a guest access to the device covering addr. Returns false when no
 * device is there: reads then see all-ones, as on a real bus.
 */
bool bus_access(struct bus *bus, uint64_t addr, void *data, uint32_t len, bool is_write);

#endif
