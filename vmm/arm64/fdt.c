/*
 * The arm64 guest's device tree (Documentation/devicetree/bindings): what
 * Linux finds no other way on arm64 (memory, CPUs and how to start them,
 * the interrupt controller, timer, console, virtio-mmio devices) and
 * /chosen (command line, initrd, console). Built with libfdt's
 * sequential-write calls; the first failure sticks and ends the build.
 */
#include "fdt.h"

#include <libfdt.h>
#include <stdio.h>
#include <string.h>

#include "../util.h"

/* dt-bindings/interrupt-controller/arm-gic.h and irq.h */
#define GIC_SPI		     0
#define GIC_PPI		     1
#define IRQ_TYPE_EDGE_RISING 1
#define IRQ_TYPE_LEVEL_HIGH  4

#define TIMER_PPI_SEC_PHYS 13
#define TIMER_PPI_PHYS	   14
#define TIMER_PPI_VIRT	   11
#define TIMER_PPI_HYP	   10

struct dt_writer {
	void *fdt;
	int err; /* the first libfdt error, 0 while all went well */
};

static void check(struct dt_writer *w, int ret)
{
	if (ret < 0 && !w->err)
		w->err = ret;
}

static void begin(struct dt_writer *w, const char *name, uint64_t unit)
{
	char node[64];
	if (unit == UINT64_MAX)
		snprintf(node, sizeof(node), "%s", name);
	else
		snprintf(node, sizeof(node), "%s@%llx", name, (unsigned long long)unit);
	if (!w->err)
		check(w, fdt_begin_node(w->fdt, node));
}

static void end(struct dt_writer *w)
{
	if (!w->err)
		check(w, fdt_end_node(w->fdt));
}

static void prop_str(struct dt_writer *w, const char *name, const char *value)
{
	if (!w->err)
		check(w, fdt_property_string(w->fdt, name, value));
}

static void prop_u32(struct dt_writer *w, const char *name, uint32_t value)
{
	if (!w->err)
		check(w, fdt_property_u32(w->fdt, name, value));
}

static void prop_u64(struct dt_writer *w, const char *name, uint64_t value)
{
	if (!w->err)
		check(w, fdt_property_u64(w->fdt, name, value));
}

static void prop_empty(struct dt_writer *w, const char *name)
{
	if (!w->err)
		check(w, fdt_property(w->fdt, name, NULL, 0));
}

/* A list of 32-bit cells, stored big-endian as every tree value is. */
static void prop_cells(struct dt_writer *w, const char *name, const uint32_t *cells, int n)
{
	fdt32_t be[16];
	for (int i = 0; i < n && i < 16; i++)
		be[i] = cpu_to_fdt32(cells[i]);
	if (!w->err)
		check(w, fdt_property(w->fdt, name, be, n * (int)sizeof(be[0])));
}

/* reg = <base size> with #address-cells = #size-cells = 2, as the root says. */
static void prop_reg(struct dt_writer *w, uint64_t base, uint64_t size)
{
	uint32_t cells[] = {base >> 32, (uint32_t)base, size >> 32, (uint32_t)size};
	prop_cells(w, "reg", cells, 4);
}

static void prop_spi(struct dt_writer *w, int spi, uint32_t type)
{
	uint32_t cells[] = {GIC_SPI, (uint32_t)spi, type};
	prop_cells(w, "interrupts", cells, 3);
}

uint64_t arm64_vcpu_mpidr(int index)
{
	/* KVM's reset_mpidr: 16 vCPUs per cluster in Aff0, then Aff1 and Aff2. */
	uint64_t i = (uint64_t)index;
	return (i & 0xf) | ((i >> 4) & 0xff) << 8 | ((i >> 12) & 0xff) << 16;
}

static void add_cpus(struct dt_writer *w, const struct arm64_dt_machine *m)
{
	begin(w, "cpus", UINT64_MAX);
	prop_u32(w, "#address-cells", 1);
	prop_u32(w, "#size-cells", 0);
	for (int i = 0; i < m->nr_cpus; i++) {
		uint64_t mpidr = arm64_vcpu_mpidr(i);
		begin(w, "cpu", mpidr);
		prop_str(w, "device_type", "cpu");
		prop_str(w, "compatible", "arm,arm-v8");
		prop_str(w, "enable-method", "psci");
		prop_u32(w, "reg", (uint32_t)mpidr);
		end(w);
	}
	end(w);
	/* KVM implements PSCI 0.2 in the kernel (KVM_ARM_VCPU_PSCI_0_2), called by HVC. */
	begin(w, "psci", UINT64_MAX);
	prop_str(w, "compatible", "arm,psci-0.2");
	prop_str(w, "method", "hvc");
	end(w);
}

static void add_gic_and_timer(struct dt_writer *w, const struct arm64_dt_machine *m)
{
	begin(w, "intc", m->gic_dist_base);
	prop_str(w, "compatible", "arm,gic-v3");
	prop_empty(w, "interrupt-controller");
	prop_u32(w, "#interrupt-cells", 3);
	prop_u32(w, "#address-cells", 2);
	prop_u32(w, "#size-cells", 2);
	uint32_t reg[] = {m->gic_dist_base >> 32,   (uint32_t)m->gic_dist_base,
			  m->gic_dist_size >> 32,   (uint32_t)m->gic_dist_size,
			  m->gic_redist_base >> 32, (uint32_t)m->gic_redist_base,
			  m->gic_redist_size >> 32, (uint32_t)m->gic_redist_size};
	prop_cells(w, "reg", reg, 8);
	prop_u32(w, "phandle", ARM64_DT_PHANDLE_GIC);
	end(w);

	/* Secure, non-secure physical, virtual and hypervisor timers: KVM's are level PPIs. */
	begin(w, "timer", UINT64_MAX);
	prop_str(w, "compatible", "arm,armv8-timer");
	uint32_t ppis[] = {GIC_PPI, TIMER_PPI_SEC_PHYS, IRQ_TYPE_LEVEL_HIGH,
			   GIC_PPI, TIMER_PPI_PHYS,	IRQ_TYPE_LEVEL_HIGH,
			   GIC_PPI, TIMER_PPI_VIRT,	IRQ_TYPE_LEVEL_HIGH,
			   GIC_PPI, TIMER_PPI_HYP,	IRQ_TYPE_LEVEL_HIGH};
	prop_cells(w, "interrupts", ppis, 12);
	prop_empty(w, "always-on");
	end(w);
}

static void add_board_devices(struct dt_writer *w, const struct arm64_dt_machine *m)
{
	/* The UART's line follows its IIR (vmm/dev/serial.c): a level interrupt. */
	begin(w, "serial", m->uart_base);
	prop_str(w, "compatible", "ns16550a");
	prop_reg(w, m->uart_base, m->uart_size);
	prop_spi(w, m->uart_spi, IRQ_TYPE_LEVEL_HIGH);
	prop_u32(w, "clock-frequency", m->uart_clock_hz);
	end(w);

	/* No driver binds it; it says where the isolab exit and marker bytes are. */
	begin(w, "isolab-exit", m->exit_base);
	prop_str(w, "compatible", "isolab,exit");
	prop_reg(w, m->exit_base, m->exit_size);
	end(w);

	/* KVM_IRQFD pulses the line (raise, lower): only an edge-triggered SPI keeps the pulse. */
	for (int i = 0; i < m->nr_devices; i++) {
		const struct arm64_dt_device *d = &m->devices[i];
		begin(w, strcmp(d->compatible, "virtio,mmio") == 0 ? "virtio_mmio" : "device",
		      d->base);
		prop_str(w, "compatible", d->compatible);
		prop_reg(w, d->base, d->size);
		prop_spi(w, d->spi, IRQ_TYPE_EDGE_RISING);
		prop_empty(w, "dma-coherent");
		end(w);
	}
}

static void add_chosen(struct dt_writer *w, const struct arm64_dt_machine *m)
{
	char stdout_path[64];
	snprintf(stdout_path, sizeof(stdout_path), "/serial@%llx",
		 (unsigned long long)m->uart_base);
	begin(w, "chosen", UINT64_MAX);
	prop_str(w, "bootargs", m->bootargs ? m->bootargs : "");
	prop_str(w, "stdout-path", stdout_path);
	if (m->initrd_end > m->initrd_start) {
		prop_u64(w, "linux,initrd-start", m->initrd_start);
		prop_u64(w, "linux,initrd-end", m->initrd_end);
	}
	end(w);
}

int arm64_dt_build(const struct arm64_dt_machine *m, void *buf, size_t size)
{
	struct dt_writer w = {.fdt = buf};
	if (size > INT32_MAX)
		size = INT32_MAX;
	check(&w, fdt_create(buf, (int)size));
	if (!w.err)
		check(&w, fdt_finish_reservemap(buf));
	begin(&w, "", UINT64_MAX);
	prop_str(&w, "compatible", "linux,dummy-virt");
	prop_str(&w, "model", "isolab vmm");
	prop_u32(&w, "#address-cells", 2);
	prop_u32(&w, "#size-cells", 2);
	prop_u32(&w, "interrupt-parent", ARM64_DT_PHANDLE_GIC);
	add_chosen(&w, m);
	begin(&w, "memory", m->ram_base);
	prop_str(&w, "device_type", "memory");
	prop_reg(&w, m->ram_base, m->ram_size);
	end(&w);
	add_cpus(&w, m);
	add_gic_and_timer(&w, m);
	add_board_devices(&w, m);
	end(&w);
	if (!w.err)
		check(&w, fdt_finish(buf));
	if (w.err)
		return vmm_err("device tree: %s (%zu bytes of room)", fdt_strerror(w.err), size);
	return (int)fdt_totalsize(buf);
}
