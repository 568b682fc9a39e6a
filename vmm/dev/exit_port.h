/* The isolab guest ports (firmware/isolab-abi.h): exit with a status, and the boot marker. */
#ifndef VMM_DEV_EXIT_PORT_H
#define VMM_DEV_EXIT_PORT_H

struct vm;

int exit_port_create(struct vm *vm);

#endif
