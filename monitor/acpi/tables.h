/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * acpi/tables.h - the ACPI tables the monitor hands to a directly booted
 * Linux guest: what it needs to find every CPU, the I/O APIC, the PCI
 * root bus (bus 0, conf1 + ECAM) and the fixed-hardware power-off and
 * reset registers (devices/acpi_pm.h models those).
 *
 * Usage, by the `vmain run` wiring, once, before any vCPU runs:
 *
 *	struct acpi_config cfg = { .nr_cpus = n };	// IDs 0..n-1
 *	uint64_t rsdp;
 *	int ret = acpi_build(ram, ram_size, &cfg, &rsdp);
 *	if (ret < 0) ...;				// -errno
 *	boot_params.acpi_rsdp_addr = rsdp;		// == ACPI_RSDP_ADDR
 *
 * `ram` is guest RAM with guest-physical 0 at its first byte.  Everything
 * is written inside [MEMMAP_ACPI_BASE, + MEMMAP_ACPI_SIZE) =
 * 0xe0000..0xfffff, RSDP first at 0xe0000 (so a guest that scans the BIOS
 * area also finds it); the rest of that range is zeroed.  The e820 map
 * must mark that range reserved (boot/layout already reserves 0x9fc00 ..
 * 1 MiB), and should mark the ECAM window 0xe0000000..0xe00fffff
 * reserved as well; the DSDT also reserves it as a PNP0C02 motherboard
 * resource, which is what Linux checks before it uses MMCONFIG.
 *
 * What the tables describe (machine/memmap.h has the numbers):
 *   RSDP rev 2 -> XSDT (and an RSDT with the same entries)
 *   FADT rev 6, full (not HW_REDUCED_ACPI) fixed hardware: PM1a event
 *        block 0x600 (4), PM1a control 0x604 (2), 32-bit PM timer 0x608
 *        (TMR_VAL_EXT), no GPE blocks, SMI_CMD 0 (always in ACPI mode),
 *        SCI on IRQ 9, reset register I/O 0x60c value 6, fixed power
 *        button, IA-PC boot flags LEGACY_DEVICES | 8042 | VGA not present,
 *        CMOS century byte 0x32; a FACS (Linux warns without one)
 *   MADT local APIC base 0xfee00000, PCAT_COMPAT (8259s present); one
 *        Processor Local APIC entry (type 0) per CPU whose APIC ID is
 *        below 255, a Processor Local x2APIC entry (type 9) for the
 *        others; ACPI processor UID = CPU index; I/O APIC ID
 *        ACPI_IOAPIC_ID at 0xfec00000, GSI base 0; interrupt source
 *        overrides IRQ 0 -> GSI 2 (edge, high: bus default) and IRQ 9 ->
 *        GSI 9 level active-high (the SCI); LINT1 = NMI on every CPU
 *        (type 4, and type 0xA too when there are x2APIC entries)
 *   MCFG ECAM 0xe0000000, segment 0, buses 0..0
 *   DSDT \_S5 = { ACPI_SLP_TYP_S5, ACPI_SLP_TYP_S5, 0, 0 } (poweroff);
 *        \_SB.PCI0 (PNP0A08, compatible PNP0A03) with _SEG/_BBN/_UID 0
 *        and _CRS: bus 0..0, I/O 0xcf8-0xcff (consumed), I/O windows
 *        0x0000-0x0cf7 and 0x0d00-0xffff, memory window
 *        0xc0000000-0xdfffffff; optionally a _PRT (see pci_intx_gsi_base);
 *        \_SB.MRES (PNP0C02) reserving the ECAM window; optionally
 *        \_SB.COM1 (PNP0501, I/O 0x3f8-0x3ff, IRQ 4); optionally
 *        \_SB.FWCF ("QEMU0002", I/O 0x510-0x51b, the fw_cfg device);
 *        optionally \_SB.KBD (PNP0303) and \_SB.MOU (PNP0F13), the 8042
 *
 * Plain C, no GLib (tests/acpi/).
 */
#ifndef VMAIN_MONITOR_ACPI_TABLES_H
#define VMAIN_MONITOR_ACPI_TABLES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "machine/memmap.h"

/* Where the RSDP lands: the first byte of the ACPI area. */
#define ACPI_RSDP_ADDR		MEMMAP_ACPI_BASE

/* The most CPUs acpi_build() describes (-E2BIG above). */
#define ACPI_MAX_CPUS		1024

/*
 * The MADT's I/O APIC ID.  The I/O APIC model powers on with ID 0
 * (devices/ioapic.h) and Linux (x86-64) keeps the ID the register shows;
 * with x2APIC the I/O APIC IDs are a name space of their own, so 0 does
 * not clash with CPU 0's APIC ID.
 */
#define ACPI_IOAPIC_ID		0

/*
 * SLP_TYP for S5 (soft off) as \_S5 gives it: the value the guest writes
 * to PM1a_CNT.SLP_TYP with SLP_EN to power off, and the slp_typ that
 * devices/acpi_pm.h passes to its sleep() callback.  No other sleep
 * state is described, so Linux offers poweroff only.
 */
#define ACPI_SLP_TYP_S5		5

struct acpi_config {
	/* Number of vCPUs, 1 .. ACPI_MAX_CPUS. */
	uint32_t nr_cpus;
	/*
	 * x2APIC ID of each vCPU (nr_cpus entries), or NULL for 0 ..
	 * nr_cpus - 1 (what the local APIC model and the backend must then
	 * use: vCPU i has APIC ID i).  IDs must be distinct and not
	 * 0xffffffff.  CPU 0 is the boot CPU.
	 */
	const uint32_t *apic_ids;
	/*
	 * PCI INTx routing.  0: no _PRT (PCI devices use MSI/MSI-X only).
	 * Else the PCI0 _PRT sends INTx pin P (0 = INTA) of device slot S
	 * to GSI pci_intx_gsi_base + ((S + P) % 4), level-triggered,
	 * active-low (the _PRT GSI form, ACPI 6.x 6.2.13); the GSIs must be
	 * I/O APIC pins 16..23 (16..20 allowed as base).
	 */
	uint8_t pci_intx_gsi_base;
	/* Describe COM1 (PNP0501 at 0x3f8, IRQ 4) in the DSDT. */
	bool com1;
	/*
	 * Describe the fw_cfg device (_HID "QEMU0002", I/O 0x510-0x51b) in
	 * the DSDT: what Linux's qemu_fw_cfg driver binds to.
	 */
	bool fw_cfg;
	/*
	 * Describe the 8042's keyboard (PNP0303: I/O 0x60, 0x64, IRQ 1) and
	 * mouse (PNP0F13: IRQ 12) in the DSDT.  SeaBIOS sets up its PS/2
	 * keyboard only when the DSDT has PNP0303 (src/hw/ps2port.c).
	 */
	bool ps2;
	/*
	 * Where a firmware put what the direct boot has at fixed places
	 * (a Q35's LPC PMBASE, its PCIEXBAR, the window it assigned BARs
	 * in); 0: machine/memmap.h's.  pm_base: the 16-byte ACPI block
	 * (PM1a event +0, control +4, timer +8, reset register +0xc, as
	 * devices/acpi_pm.h lays it out); ecam_base: the ECAM of bus 0
	 * (MCFG, the MRES reservation); pci_mmio_base/size: PCI0's memory
	 * window (both or neither).
	 */
	uint16_t pm_base;
	uint64_t ecam_base;
	uint32_t pci_mmio_base, pci_mmio_size;
};

/*
 * Writes the tables into guest RAM `ram` (ram_size bytes) and stores the
 * RSDP's guest-physical address (ACPI_RSDP_ADDR) in *rsdp_addr.
 * Returns 0 or:
 *   -EINVAL  NULL ram/cfg/rsdp_addr, nr_cpus 0, a duplicate or
 *            0xffffffff APIC ID, a bad pci_intx_gsi_base;
 *   -E2BIG   nr_cpus > ACPI_MAX_CPUS;
 *   -ERANGE  RAM ends below MEMMAP_ACPI_BASE + MEMMAP_ACPI_SIZE (1 MiB);
 *   -ENOSPC  the tables do not fit the ACPI area (cannot happen within
 *            ACPI_MAX_CPUS; kept as a guard).
 * On error the ACPI area may be partly written.
 */
int acpi_build(uint8_t *ram, uint64_t ram_size, const struct acpi_config *cfg,
	       uint64_t *rsdp_addr);

/*
 * The same tables for a firmware that places them itself, as QEMU hands
 * them to SeaBIOS over fw_cfg: the RSDP alone (ACPI_FILE_RSDP), the rest
 * from the FACS on (ACPI_FILE_TABLES, 64-byte aligned), and the
 * linker/loader commands (ACPI_FILE_LOADER, acpi/loader.h) that allocate
 * both (the RSDP in the FSEG), turn every pointer field, which holds an
 * offset into ACPI_FILE_TABLES, into an address, and then compute every
 * checksum (whose bytes are 0 in the files).  Applied, the result is
 * acpi_build()'s tables at the addresses the firmware chose.  Returns 0
 * (free with acpi_blobs_free()) or acpi_build()'s config errors, -ENOMEM.
 */
#define ACPI_FILE_RSDP		"etc/acpi/rsdp"
#define ACPI_FILE_TABLES	"etc/acpi/tables"
#define ACPI_FILE_LOADER	"etc/table-loader"
#define ACPI_RSDP_LEN		36

struct acpi_blobs {
	uint8_t *rsdp, *tables, *loader;
	size_t rsdp_len, tables_len, loader_len;
};

int acpi_build_blobs(const struct acpi_config *cfg, struct acpi_blobs *out);
void acpi_blobs_free(struct acpi_blobs *b);

#endif
