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
/*
 * How many bytes the guest can take now: 0 unless its driver enabled the
 * receive interrupt, else the room in the FIFO. After a 0, fn (set with
 * serial_set_rx_ready) is called once, from a vCPU thread, when room appears.
 */
size_t serial_rx_room(struct serial *serial);
void serial_set_rx_ready(struct serial *serial, void (*fn)(void *opaque), void *opaque);
/* Feeds host input to the guest; returns how many bytes it took (at most serial_rx_room). */
size_t serial_receive(struct serial *serial, const uint8_t *buf, size_t len);
/* Bytes the guest wrote, for --stats. */
uint64_t serial_tx_bytes(const struct serial *serial);

#endif
