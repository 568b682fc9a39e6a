/* The Ctrl-A escape on console input, kept apart from I/O so it can be unit-tested. */
#include "console.h"

#define ESCAPE_KEY 0x01 /* Ctrl-A */

size_t console_filter(struct console_escape *esc, uint8_t *buf, size_t len, int *quit)
{
	size_t out = 0;
	*quit = 0;
	for (size_t i = 0; i < len; i++) {
		if (!esc->pending && buf[i] == ESCAPE_KEY) {
			esc->pending = 1;
			continue;
		}
		if (esc->pending) {
			esc->pending = 0;
			if (buf[i] == 'x' || buf[i] == 'X') {
				*quit = 1;
				return out;
			}
			if (buf[i] == 'c' || buf[i] == 'C') {
				esc->open_monitor = 1;
				return out;
			}
			if (buf[i] != ESCAPE_KEY)
				continue; /* unknown command: swallowed, as QEMU does */
		}
		buf[out++] = buf[i];
	}
	return out;
}
