/*
 * The arm64 board's guest physical map and interrupt numbers. Devices sit
 * below RAM, RAM starts at 2 GiB as on QEMU's `virt` board (whose addresses
 * these follow where they overlap, so a reader who knows one knows the
 * other); what guests may hard-code (RAM base, UART, isolab exit device,
 * firmware entry state) is in firmware/isolab-abi.h, the rest they read
 * from the device tree.
 *
 *   0x08000000  GICv3 distributor (64 KiB)
 *   0x080a0000  GICv3 redistributors, 128 KiB per vCPU (RD + SGI frames)
 *   0x09000000  8250 UART (ns16550a), SPI 1
 *   0x09010000  isolab exit/marker bytes (no interrupt)
 *   0x0a000000  virtio-mmio windows (vm_alloc_mmio), SPIs 16..63
 *   0x80000000  RAM: Image at base + text_offset, DTB and initrd at the top
 */
#ifndef VMM_ARM64_LAYOUT_H
#define VMM_ARM64_LAYOUT_H

#include "../../firmware/isolab-abi.h"

#define ARM64_GIC_DIST_BASE	  0x08000000ULL
#define ARM64_GIC_DIST_SIZE	  0x10000ULL
#define ARM64_GIC_REDIST_BASE	  0x080a0000ULL
#define ARM64_GIC_REDIST_PER_VCPU 0x20000ULL	/* KVM_VGIC_V3_REDIST_SIZE */
#define ARM64_GIC_REDIST_LIMIT	  0x09000000ULL /* room for 123 vCPUs; vmm allows 64 */
#define ARM64_UART_BASE		  ISOLAB_ARM64_UART
#define ARM64_UART_SIZE		  0x1000ULL
#define ARM64_ISOLAB_BASE	  ISOLAB_ARM64_MMIO_EXIT
#define ARM64_ISOLAB_SIZE	  0x1000ULL
#define ARM64_MMIO_START	  0x0a000000ULL
#define ARM64_MMIO_END		  0x0c000000ULL
#define ARM64_RAM_BASE		  ISOLAB_ARM64_RAM_BASE
#define ARM64_RAM_MAX		  (1ULL << 40) /* vmm's --mem limit; RAM ends below 1 TiB + 2 GiB */

/*
 * Interrupts as the device tree and KVM number them: SPI n is GIC INTID
 * 32 + n (KVM_IRQ_LINE) and GSI n (KVM_IRQFD, KVM's default routing maps
 * GSI n to SPI n). The core's device lines (vm_alloc_irq) are SPI numbers.
 */
#define ARM64_GIC_NR_IRQS      96 /* 32 private (SGI + PPI) + 64 SPIs, a multiple of 32 */
#define ARM64_UART_SPI	       1
#define ARM64_FIRST_DEVICE_SPI 16
#define ARM64_LAST_DEVICE_SPI  63
#define ARM64_SPI_INTID_BASE   32

/* Linux Image placement (Documentation/arch/arm64/booting.rst). */
#define ARM64_IMAGE_ALIGN 0x200000ULL /* the Image's base is 2 MiB aligned */
#define ARM64_DTB_MAX	  0x200000ULL /* a DTB is at most 2 MiB */

/* The UART's input clock, as the device tree's clock-frequency says (1.8432 MHz, the PC's). */
#define ARM64_UART_CLOCK_HZ 1843200

#endif
