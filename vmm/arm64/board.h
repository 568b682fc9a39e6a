/* The arm64 board's state, shared by board.c (devices) and loader.c (device tree, boot). */
#ifndef VMM_ARM64_BOARD_H
#define VMM_ARM64_BOARD_H

#include <stdbool.h>
#include <stdint.h>

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
	/* The guest's virtual counter at the pause, and the one a restore sets last (state.c). */
	bool counter_paused, counter_restored;
	uint64_t paused_counter, restored_counter;
};

#endif
