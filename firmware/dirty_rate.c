/*
 * dirty_rate: a guest that writes its memory at a set pace, for the live
 * migration bench (bench/workloads/migration). "rate=R" on --cmdline: R MiB
 * per second (default 0: a guest at rest), 8 bytes at the start of each
 * 4 KiB page, over the "mib=M" MiB above 4 MiB (default 32), round and round.
 * vCPU 0 first times the TSC against the PIT (channel 2, as Linux's
 * pit_calibrate_tsc) and prints "tsc_khz N", then "tick N" once a second, so
 * a run shows the guest going on; other vCPUs halt.
 *
 * Each write stores the write's number and first checks the page still holds
 * the number written a round before (0 before the first round): a page a
 * migration lost or sent stale stops the guest with "stale page", exit 3.
 */
#include "payload.h"

#define AREA_BASE    (4ULL << 20)
#define PAGE	     4096ULL
#define PIT_HZ	     1193182ULL
#define CALIBRATE_MS 20ULL

/* The number after "key" (e.g. "rate=") in the command line, or fallback. */
static unsigned long long option(const char *cmdline, const char *key, unsigned long long fallback)
{
	for (const char *p = cmdline; *p; p++) {
		const char *k = key, *q = p;
		while (*k && *q == *k)
			k++, q++;
		if (*k)
			continue;
		unsigned long long n = 0;
		for (; *q >= '0' && *q <= '9'; q++)
			n = n * 10 + (unsigned long long)(*q - '0');
		return n;
	}
	return fallback;
}

/* TSC cycles per millisecond: PIT channel 2 counts CALIBRATE_MS down, gate on, speaker off. */
static unsigned long long tsc_per_ms(void)
{
	unsigned long long latch = PIT_HZ * CALIBRATE_MS / 1000;
	outb(0x61, (unsigned char)((inb(0x61) & ~0x02) | 0x01));
	outb(0x43, 0xb0); /* channel 2, lobyte/hibyte, mode 0 */
	outb(0x42, (unsigned char)(latch & 0xff));
	outb(0x42, (unsigned char)(latch >> 8));
	unsigned long long start = rdtsc();
	while (!(inb(0x61) & 0x20))
		;
	unsigned long long per_ms = (rdtsc() - start) / CALIBRATE_MS;
	return per_ms ? per_ms : 1;
}

PAYLOAD_ENTRY void _start(unsigned long cpu, unsigned long ncpus, const char *cmdline)
{
	(void)ncpus;
	if (cpu != 0)
		halt_forever();
	unsigned long long rate = option(cmdline, "rate=", 0);
	unsigned long long pages = option(cmdline, "mib=", 32) * (1 << 20) / PAGE;
	unsigned long long per_ms = tsc_per_ms();
	serial_puts("tsc_khz ");
	serial_put_number(per_ms);
	serial_putc('\n');
	volatile unsigned char *area = (volatile unsigned char *)AREA_BASE;
	volatile unsigned long long *word;
	unsigned long long start = rdtsc(), next_tick = start + 1000 * per_ms;
	unsigned long long written = 0, pos = 0, tick = 0;
	for (;;) {
		unsigned long long now = rdtsc();
		/* Pages due by now at rate MiB/s (256 pages per MiB). */
		unsigned long long due = rate * 256 * ((now - start) / per_ms) / 1000;
		for (; written < due && pages; written++) {
			word = (volatile unsigned long long *)(area + pos * PAGE);
			if (*word != (written >= pages ? written - pages + 1 : 0)) {
				serial_puts("stale page ");
				serial_put_number(pos);
				serial_putc('\n');
				vm_exit(3);
			}
			*word = written + 1;
			pos = pos + 1 == pages ? 0 : pos + 1;
		}
		if (now >= next_tick) {
			serial_puts("tick ");
			serial_put_number(tick++);
			serial_putc('\n');
			next_tick += 1000 * per_ms;
		}
	}
}
