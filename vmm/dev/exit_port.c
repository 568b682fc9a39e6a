#include "exit_port.h"

#include <stdlib.h>

#include "../../firmware/isolab-abi.h"
#include "../machine.h"
#include "../util.h"

#define OFFSET_EXIT   0 /* write N: stop with status N */
#define OFFSET_MARKER (ISOLAB_PORT_MARKER - ISOLAB_PORT_EXIT)

struct exit_port {
	struct bus_device dev;
	struct vm *vm;
};

static void exit_port_write(struct bus_device *dev, uint64_t offset, const void *data, uint32_t len)
{
	struct exit_port *ports = dev->opaque;
	(void)len;
	if (offset == OFFSET_EXIT)
		vm_request_exit(ports->vm, *(const uint8_t *)data);
	else if (offset == OFFSET_MARKER)
		vm_record_marker(ports->vm);
}

static const struct bus_device_ops exit_port_ops = {.write = exit_port_write};

struct exit_port *exit_port_create(struct vm *vm, struct bus *bus, uint64_t base)
{
	struct exit_port *ports = calloc(1, sizeof(*ports));
	if (!ports) {
		vmm_err("out of memory");
		return NULL;
	}
	ports->vm = vm;
	ports->dev = (struct bus_device){
	    .name = "isolab-ports",
	    .base = base,
	    .len = OFFSET_MARKER + 1,
	    .ops = &exit_port_ops,
	    .opaque = ports,
	};
	if (bus_register(bus, &ports->dev) < 0) {
		vmm_err("cannot register the isolab exit/marker ports");
		free(ports);
		return NULL;
	}
	return ports;
}

void exit_port_destroy(struct exit_port *ports)
{
	free(ports);
}
