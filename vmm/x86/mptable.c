#include "mptable.h"

#include <stdint.h>
#include <string.h>

#include "../util.h"
#include "layout.h"

#define MP_PROCESSOR 0
#define MP_BUS	     1
#define MP_IOAPIC    2
#define MP_INTSRC    3
#define MP_LINTSRC   4

#define MP_IRQ_INT    0
#define MP_IRQ_NMI    1
#define MP_IRQ_EXTINT 3
#define CPU_ENABLED   1
#define CPU_BSP	      2
#define LAPIC_VERSION 0x14
#define IOAPIC_VER    0x11
#define LAPIC_BASE    0xfee00000u
#define ISA_BUS_ID    0
#define ALL_LAPICS    0xff

struct mpf_intel {
	char signature[4]; /* "_MP_" */
	uint32_t physptr;
	uint8_t length; /* in 16-byte units */
	uint8_t specification;
	uint8_t checksum;
	uint8_t feature[5];
} __attribute__((packed));

struct mpc_table {
	char signature[4]; /* "PCMP" */
	uint16_t length;
	uint8_t spec;
	uint8_t checksum;
	char oem[8];
	char productid[12];
	uint32_t oemptr;
	uint16_t oemsize;
	uint16_t oemcount;
	uint32_t lapic;
	uint32_t reserved;
} __attribute__((packed));

struct mpc_cpu {
	uint8_t type, apicid, apicver, cpuflag;
	uint32_t cpufeature, featureflag, reserved[2];
} __attribute__((packed));

struct mpc_bus {
	uint8_t type, busid;
	char bustype[6];
} __attribute__((packed));

struct mpc_ioapic {
	uint8_t type, apicid, apicver, flags;
	uint32_t apicaddr;
} __attribute__((packed));

struct mpc_intsrc {
	uint8_t type, irqtype;
	uint16_t irqflag;
	uint8_t srcbus, srcbusirq, dstapic, dstirq;
} __attribute__((packed));

static uint8_t checksum(const void *data, size_t len)
{
	uint8_t sum = 0;
	for (size_t i = 0; i < len; i++)
		sum += ((const uint8_t *)data)[i];
	return (uint8_t)-sum;
}

static size_t table_size(int nr_cpus)
{
	return sizeof(struct mpc_table) + nr_cpus * sizeof(struct mpc_cpu) +
	       sizeof(struct mpc_bus) + sizeof(struct mpc_ioapic) +
	       (LAYOUT_LAST_GSI + 1 + 2) * sizeof(struct mpc_intsrc);
}

/* The entries after the header, in the order the spec asks for. */
static uint8_t *write_entries(uint8_t *p, int nr_cpus)
{
	uint8_t ioapic_id = (uint8_t)nr_cpus;
	for (int i = 0; i < nr_cpus; i++) {
		struct mpc_cpu cpu = {.type = MP_PROCESSOR,
				      .apicid = (uint8_t)i,
				      .apicver = LAPIC_VERSION,
				      .cpuflag = CPU_ENABLED | (i == 0 ? CPU_BSP : 0)};
		memcpy(p, &cpu, sizeof(cpu));
		p += sizeof(cpu);
	}
	struct mpc_bus bus = {.type = MP_BUS, .busid = ISA_BUS_ID, .bustype = "ISA   "};
	memcpy(p, &bus, sizeof(bus));
	p += sizeof(bus);
	struct mpc_ioapic ioapic = {.type = MP_IOAPIC,
				    .apicid = ioapic_id,
				    .apicver = IOAPIC_VER,
				    .flags = 1,
				    .apicaddr = (uint32_t)LAYOUT_IOAPIC};
	memcpy(p, &ioapic, sizeof(ioapic));
	p += sizeof(ioapic);
	/* ISA IRQ n on IOAPIC pin n, as KVM's default GSI routing wires them. */
	for (int irq = 0; irq <= LAYOUT_LAST_GSI; irq++) {
		struct mpc_intsrc src = {.type = MP_INTSRC,
					 .irqtype = MP_IRQ_INT,
					 .srcbus = ISA_BUS_ID,
					 .srcbusirq = (uint8_t)irq,
					 .dstapic = ioapic_id,
					 .dstirq = (uint8_t)irq};
		memcpy(p, &src, sizeof(src));
		p += sizeof(src);
	}
	struct mpc_intsrc lint[2] = {
	    {.type = MP_LINTSRC, .irqtype = MP_IRQ_EXTINT, .dstapic = ALL_LAPICS, .dstirq = 0},
	    {.type = MP_LINTSRC, .irqtype = MP_IRQ_NMI, .dstapic = ALL_LAPICS, .dstirq = 1},
	};
	memcpy(p, lint, sizeof(lint));
	return p + sizeof(lint);
}

int mptable_write(const struct guest_mem *mem, int nr_cpus)
{
	if (nr_cpus < 1 || nr_cpus > MPTABLE_MAX_CPUS)
		return vmm_err("the MP table describes 1..%d CPUs, not %d", MPTABLE_MAX_CPUS,
			       nr_cpus);
	size_t size = sizeof(struct mpf_intel) + table_size(nr_cpus);
	uint8_t *base = guest_mem_ptr(mem, LAYOUT_MPTABLE, size);
	if (!base)
		return vmm_err("guest RAM is too small for the MP table");
	memset(base, 0, size);
	struct mpf_intel *mpf = (struct mpf_intel *)base;
	struct mpc_table *mpc = (struct mpc_table *)(base + sizeof(*mpf));
	uint8_t *end = write_entries((uint8_t *)(mpc + 1), nr_cpus);

	memcpy(mpc->signature, "PCMP", 4);
	mpc->length = (uint16_t)(end - (uint8_t *)mpc);
	mpc->spec = 4;
	memcpy(mpc->oem, "ISOLAB  ", 8);
	memcpy(mpc->productid, "vmm         ", 12);
	mpc->oemcount = (uint16_t)(nr_cpus + 1 + 1 + LAYOUT_LAST_GSI + 1 + 2);
	mpc->lapic = LAPIC_BASE;
	mpc->checksum = checksum(mpc, mpc->length);

	memcpy(mpf->signature, "_MP_", 4);
	mpf->physptr = (uint32_t)(LAYOUT_MPTABLE + sizeof(*mpf));
	mpf->length = 1;
	mpf->specification = 4;
	mpf->checksum = checksum(mpf, sizeof(*mpf));
	return 0;
}
