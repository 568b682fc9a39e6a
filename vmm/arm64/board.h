/* The arm64 board's state, shared by board.c (devices) and loader.c (device tree, boot). */
#ifndef VMM_ARM64_BOARD_H
#define VMM_ARM64_BOARD_H

#include "fdt.h"

struct serial;
struct exit_port;

struct arch_vm {
	int gic_fd;
	struct serial *uart;
	struct exit_port *exit;
	/* What vm_announce_mmio_device was told, for the device tree. */
	struct arm64_dt_device devices[ARM64_DT_MAX_DEVICES];
	int nr_devices;
};

#endif
