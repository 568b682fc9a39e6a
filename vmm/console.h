/*
 * The host end of the serial console: guest output to stdout or a file,
 * host stdin to the guest through the VM's event loop (raw while it is a
 * terminal, restored however vmm ends), and the Ctrl-A escape (Ctrl-A x
 * quits, like QEMU; Ctrl-A c opens the monitor prompt).
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

struct console;
struct monitor;

/* path NULL means stdio (stdin raw while a terminal). NULL after a message on failure. */
struct console *console_open(const char *path);
int console_out_fd(const struct console *con);
/* Watches stdin on the VM's event loop and feeds it to the UART as it makes room. */
int console_start_input(struct console *con, struct vm *vm, struct serial *serial);
/* The monitor Ctrl-A c opens a prompt for; without one Ctrl-A c is ignored. */
void console_set_monitor(struct console *con, struct monitor *mon);
/* Stops watching stdin (call with the loop stopped) and restores the terminal. Idempotent. */
void console_close(struct console *con);
void console_destroy(struct console *con);
/*
 * From here on SIGINT/SIGTERM/SIGHUP stop the VM with status 128+signal instead of
 * killing vmm (read on the VM's event loop; console_close stops it).
 */
int console_catch_signals(struct console *con, struct vm *vm);

#endif
