/* An 8250/16550A UART wired to the console; the arch places it (x86: COM1, port 0x3f8, IRQ 4). */
#ifndef VMM_DEV_SERIAL_H
#define VMM_DEV_SERIAL_H

#include <stddef.h>
#include <stdint.h>

struct vm;
struct bus;
struct serial;

/* Guest output goes to out_fd. Registers the 8 registers at base on bus, interrupting on irq. */
struct serial *serial_create(struct vm *vm, struct bus *bus, uint64_t base, int irq, int out_fd);
void serial_destroy(struct serial *serial);
/* Feeds host input to the guest; returns how many bytes fit in the receive FIFO. */
size_t serial_receive(struct serial *serial, const uint8_t *buf, size_t len);
/* Bytes the guest wrote, for --stats. */
uint64_t serial_tx_bytes(const struct serial *serial);

#endif
