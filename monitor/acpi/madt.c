// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * acpi/madt.c - the Multiple APIC Description Table (ACPI 6.x 5.2.12).
 *
 * CPUs: a Processor Local APIC structure (type 0, 5.2.12.2) for a CPU
 * whose APIC ID and index (its ACPI processor UID) are both below 255,
 * else a Processor Local x2APIC structure (type 9, 5.2.12.12), as
 * 5.2.12.12 asks ("x2APIC structures are used for APIC IDs >= 255");
 * Linux also ignores type 9 entries with small IDs once type 0 entries
 * exist.  The I/O APIC (type 1, 5.2.12.3) serves GSIs 0-23; interrupt
 * source overrides (type 2, 5.2.12.5) put ISA IRQ 0 on GSI 2 and make
 * the SCI (IRQ 9) level/active-high; LINT1 is NMI on every CPU (type 4,
 * 5.2.12.7; type 0xA, 5.2.12.13, for the x2APIC entries).
 */
#include <errno.h>

#include "acpi/sdt.h"

#define MADT_PCAT_COMPAT	1u	/* 5.2.12 Table 5.20: 8259s present */
#define LAPIC_ENABLED		1u	/* Table 5.23 Local APIC Flags */

/* MPS INTI flags (Table 5.26): polarity bits 0-1, trigger mode bits 2-3. */
#define INTI_CONFORMS		0x0
#define INTI_ACTIVE_HIGH	0x1
#define INTI_LEVEL		0xc

static uint32_t apic_id(const struct acpi_config *cfg, uint32_t i)
{
	return cfg->apic_ids ? cfg->apic_ids[i] : i;
}

long acpi_build_madt(uint8_t *p, size_t room, const struct acpi_config *cfg)
{
	size_t off = ACPI_SDT_HEADER_LEN + 8, need;
	uint32_t i, n_x2 = 0;

	for (i = 0; i < cfg->nr_cpus; i++)
		if (apic_id(cfg, i) >= 255 || i >= 255)
			n_x2++;
	need = off + 8 * (size_t)(cfg->nr_cpus - n_x2) + 16 * (size_t)n_x2 +
	       12 + 2 * 10 + 6 + (n_x2 ? 12 : 0);
	if (room < need)
		return -ENOSPC;

	acpi_put32(p, 36, (uint32_t)MEMMAP_LAPIC_BASE);
	acpi_put32(p, 40, MADT_PCAT_COMPAT);

	for (i = 0; i < cfg->nr_cpus; i++) {
		uint32_t id = apic_id(cfg, i);

		if (id < 255 && i < 255) {
			acpi_put8(p, off, 0);		/* type */
			acpi_put8(p, off + 1, 8);	/* length */
			acpi_put8(p, off + 2, (uint8_t)i);	/* UID */
			acpi_put8(p, off + 3, (uint8_t)id);
			acpi_put32(p, off + 4, LAPIC_ENABLED);
			off += 8;
		} else {
			acpi_put8(p, off, 9);
			acpi_put8(p, off + 1, 16);
			acpi_put16(p, off + 2, 0);	/* reserved */
			acpi_put32(p, off + 4, id);
			acpi_put32(p, off + 8, LAPIC_ENABLED);
			acpi_put32(p, off + 12, i);	/* UID */
			off += 16;
		}
	}

	acpi_put8(p, off, 1);				/* I/O APIC */
	acpi_put8(p, off + 1, 12);
	acpi_put8(p, off + 2, ACPI_IOAPIC_ID);
	acpi_put8(p, off + 3, 0);
	acpi_put32(p, off + 4, (uint32_t)MEMMAP_IOAPIC_BASE);
	acpi_put32(p, off + 8, 0);			/* GSI base */
	off += 12;

	acpi_put8(p, off, 2);				/* IRQ 0 -> GSI 2 */
	acpi_put8(p, off + 1, 10);
	acpi_put8(p, off + 2, 0);			/* bus: ISA */
	acpi_put8(p, off + 3, IRQ_PIT);
	acpi_put32(p, off + 4, GSI_PIT);
	acpi_put16(p, off + 8, INTI_CONFORMS);
	off += 10;

	acpi_put8(p, off, 2);				/* SCI: level, high */
	acpi_put8(p, off + 1, 10);
	acpi_put8(p, off + 2, 0);
	acpi_put8(p, off + 3, IRQ_ACPI_SCI);
	acpi_put32(p, off + 4, IRQ_ACPI_SCI);
	acpi_put16(p, off + 8, INTI_ACTIVE_HIGH | INTI_LEVEL);
	off += 10;

	acpi_put8(p, off, 4);				/* LAPIC NMI */
	acpi_put8(p, off + 1, 6);
	acpi_put8(p, off + 2, 0xff);			/* all processors */
	acpi_put16(p, off + 3, INTI_CONFORMS);
	acpi_put8(p, off + 5, 1);			/* LINT1 */
	off += 6;

	if (n_x2) {
		acpi_put8(p, off, 0xa);			/* x2APIC NMI */
		acpi_put8(p, off + 1, 12);
		acpi_put16(p, off + 2, INTI_CONFORMS);
		acpi_put32(p, off + 4, 0xffffffffu);	/* all processors */
		acpi_put8(p, off + 8, 1);		/* LINT1 */
		off += 12;
	}

	acpi_sdt_finish(p, "APIC", (uint32_t)off, ACPI_MADT_REVISION, "VMAINAPC");
	return (long)off;
}
