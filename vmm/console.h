/*
 * The host end of the serial console: guest output to stdout or a file,
 * host stdin to the guest (raw while it is a terminal, restored however vmm
 * ends), and the Ctrl-A escape (Ctrl-A x quits, like QEMU).
 */
#ifndef VMM_CONSOLE_H
#define VMM_CONSOLE_H

#include <stddef.h>
#include <stdint.h>

struct vm;
struct serial;

/* Scans host input for the escape; returns bytes left in buf for the guest. */
struct console_escape {
	int pending;	  /* Ctrl-A seen, waiting for the command key */
	int open_monitor; /* Ctrl-A c seen: input after it in the same read is dropped */
};
size_t console_filter(struct console_escape *esc, uint8_t *buf, size_t len, int *quit);

/* path NULL means stdio. Prints why and returns -1 on failure. */
int console_open(const char *path);
int console_out_fd(void);
/* Forwards stdin to the serial port on a thread until console_close. */
int console_start_input(struct vm *vm, struct serial *serial);
/* What Ctrl-A c runs on the input thread (the monitor prompt); without one it is ignored. */
void console_set_monitor(void (*fn)(void *opaque), void *opaque);
/* Stops the input thread and restores the terminal. */
void console_close(void);
/* SIGINT/SIGTERM/SIGHUP stop the VM with status 128+signal instead of killing vmm. */
int console_catch_signals(struct vm *vm);

#endif
