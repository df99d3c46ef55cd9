/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * machine/memmap.h - the guest's physical address map and fixed I/O
 * ports: one place, so the loader, the ACPI tables and the device models
 * agree.
 *
 *   0                .. min(RAM, 3 GiB)   RAM (boot/layout.h)
 *   0x100000000      .. + the rest        RAM beyond 3 GiB (gmem.h)
 *   0x000e0000       .. 0x000fffff    ACPI tables (RSDP first), reserved
 *   0xc0000000       .. 0xdfffffff    PCI 32-bit memory window (BARs)
 *   0xe0000000       .. 0xe00fffff    PCI ECAM, bus 0 only (PCI Firmware
 *                                     Spec 3.0, "MCFG"; 1 MiB = 32 devices
 *                                     x 8 functions x 4 KiB)
 *   0xfec00000       .. 0xfec00fff    I/O APIC
 *   0xfee00000                        local APIC base (x2APIC: MSRs only)
 *
 * Ports: the PC's ISA devices at their usual places, PCI configuration
 * mechanism #1 at 0xcf8/0xcfc, and the ACPI fixed-hardware block (PM1a
 * event, PM1a control, PM timer, reset register) at 0x600.
 */
#ifndef VMAIN_MONITOR_MACHINE_MEMMAP_H
#define VMAIN_MONITOR_MACHINE_MEMMAP_H

#define MEMMAP_ACPI_BASE	0x000e0000ull
#define MEMMAP_ACPI_SIZE	0x00020000ull
#define MEMMAP_PCI_MMIO_BASE	0xc0000000ull
#define MEMMAP_PCI_MMIO_SIZE	0x20000000ull
#define MEMMAP_ECAM_BASE	0xe0000000ull
#define MEMMAP_ECAM_SIZE	0x00100000ull
#define MEMMAP_ECAM_BUSES	1
#define MEMMAP_IOAPIC_BASE	0xfec00000ull
#define MEMMAP_LAPIC_BASE	0xfee00000ull

/* I/O ports. */
#define PORT_PIT		0x040	/* 4 ports */
#define PORT_SYSCTL_B		0x061	/* NMI status / speaker: PIT gate 2 */
#define PORT_I8042_DATA		0x060
#define PORT_I8042_CMD		0x064
#define PORT_CMOS		0x070	/* 2 ports */
#define PORT_PIC_MASTER		0x020
#define PORT_PIC_SLAVE		0x0a0
#define PORT_PIC_ELCR		0x4d0	/* 2 ports */
#define PORT_COM1		0x3f8	/* 8 ports */
#define PORT_PCI_CONFIG_ADDR	0xcf8
#define PORT_PCI_CONFIG_DATA	0xcfc	/* 4 ports */
#define MEMMAP_PCI_IO_BASE	0xc000	/* I/O BARs go in 0xc000..0xcfff */
#define MEMMAP_PCI_IO_END	0xd000
#define PORT_ACPI_PM1A_EVT	0x600	/* 4 ports: status, enable */
#define PORT_ACPI_PM1A_CNT	0x604	/* 2 ports */
#define PORT_ACPI_PM_TMR	0x608	/* 4 ports, 24-bit 3.579545 MHz */
#define PORT_ACPI_RESET		0x60c	/* 1 port: write ACPI_RESET_VALUE */
#define ACPI_RESET_VALUE	0x06
#define PORT_FW_CFG		0x510	/* 12 ports: selector, data, DMA (devices/fw_cfg.h) */
#define PORT_FW_CFG_LEN		12

/* Interrupt lines (ISA IRQ = I/O APIC pin, except IRQ 0 on pin 2). */
#define IRQ_PIT			0
#define IRQ_I8042_KBD		1
#define IRQ_COM1		4
#define IRQ_RTC			8
#define IRQ_ACPI_SCI		9	/* level, active high */
#define IRQ_I8042_AUX		12
#define GSI_PIT			2	/* MADT interrupt source override */

#endif
