#include "exit_port.h"

#include "../../firmware/isolab-abi.h"
#include "../machine.h"
#include "../util.h"

static void exit_port_write(struct bus_device *dev, uint64_t offset, const void *data, uint32_t len)
{
	struct vm *vm = dev->opaque;
	(void)len;
	if (offset == ISOLAB_PORT_EXIT - ISOLAB_PORT_EXIT)
		vm_request_exit(vm, *(const uint8_t *)data);
	else
		vm_record_marker(vm);
}

static const struct bus_device_ops exit_port_ops = {.write = exit_port_write};

int exit_port_create(struct vm *vm)
{
	static struct bus_device dev = {
	    .name = "isolab-ports",
	    .base = ISOLAB_PORT_EXIT,
	    .len = ISOLAB_PORT_MARKER - ISOLAB_PORT_EXIT + 1,
	    .ops = &exit_port_ops,
	};
	dev.opaque = vm;
	if (bus_register(vm_pio_bus(vm), &dev) < 0)
		return vmm_err("cannot register the isolab exit/marker ports");
	return 0;
}
