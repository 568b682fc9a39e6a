/*
 * The isolab guest ports (firmware/isolab-abi.h): exit with a status, and
 * the boot marker. Where they sit is the arch's choice (x86: I/O ports
 * 0xf4/0xf5); the offsets within the device are the same everywhere.
 */
#ifndef VMM_DEV_EXIT_PORT_H
#define VMM_DEV_EXIT_PORT_H

#include <stdint.h>

struct vm;
struct bus;
struct exit_port;

/* Registers the two-byte device at base on bus; NULL (message printed) on failure. */
struct exit_port *exit_port_create(struct vm *vm, struct bus *bus, uint64_t base);
void exit_port_destroy(struct exit_port *ports);

#endif
