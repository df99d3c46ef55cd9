/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * acpi/sdt.h - internal to monitor/acpi/: little-endian stores, the
 * common System Description Table header, checksums and Generic Address
 * Structures, and the per-table builders tables.c calls.
 *
 * Each builder writes one table at `p` (room bytes available) and
 * returns its length, or -ENOSPC if it does not fit (-EINVAL for bad
 * input).  The header checksum is set by the builder.
 */
#ifndef VMAIN_MONITOR_ACPI_SDT_H
#define VMAIN_MONITOR_ACPI_SDT_H

#include <stddef.h>
#include <stdint.h>

#include "acpi/tables.h"

/* 5.2.6 "System Description Table Header": 36 bytes. */
#define ACPI_SDT_HEADER_LEN	36
#define ACPI_OEM_ID		"VMAIN "	/* 6 bytes */
#define ACPI_OEM_REVISION	1
#define ACPI_CREATOR_ID		"VMAN"
#define ACPI_CREATOR_REVISION	1

static inline void acpi_put8(uint8_t *p, size_t off, uint8_t v)
{
	p[off] = v;
}

static inline void acpi_put16(uint8_t *p, size_t off, uint16_t v)
{
	p[off] = (uint8_t)v;
	p[off + 1] = (uint8_t)(v >> 8);
}

static inline void acpi_put32(uint8_t *p, size_t off, uint32_t v)
{
	acpi_put16(p, off, (uint16_t)v);
	acpi_put16(p, off + 2, (uint16_t)(v >> 16));
}

static inline void acpi_put64(uint8_t *p, size_t off, uint64_t v)
{
	acpi_put32(p, off, (uint32_t)v);
	acpi_put32(p, off + 4, (uint32_t)(v >> 32));
}

/* The byte that makes p[0..len) sum to 0 when stored at checksum_off. */
uint8_t acpi_checksum(const uint8_t *p, size_t len);

/*
 * Fills the 36-byte header: signature (4 chars), length, revision,
 * OEM ID, OEM table ID `table_id` (up to 8 chars, space padded), OEM and
 * creator revisions and creator ID; then sets the checksum over `len`
 * bytes.  Call it last, once the body is written.
 */
void acpi_sdt_finish(uint8_t *p, const char *sig, uint32_t len,
		     uint8_t revision, const char *table_id);

/* 5.2.3.2 Generic Address Structure: 12 bytes. */
#define ACPI_GAS_SYSTEM_MEMORY	0
#define ACPI_GAS_SYSTEM_IO	1
#define ACPI_GAS_ACCESS_BYTE	1
#define ACPI_GAS_ACCESS_WORD	2
#define ACPI_GAS_ACCESS_DWORD	3
void acpi_put_gas(uint8_t *p, size_t off, uint8_t space, uint8_t bit_width,
		  uint8_t access_size, uint64_t addr);

/* The configuration's places, its overrides or machine/memmap.h's. */
static inline uint16_t acpi_pm_base(const struct acpi_config *cfg)
{
	return cfg->pm_base ? cfg->pm_base : PORT_ACPI_PM1A_EVT;
}

static inline uint64_t acpi_ecam_base(const struct acpi_config *cfg)
{
	return cfg->ecam_base ? cfg->ecam_base : MEMMAP_ECAM_BASE;
}

static inline uint32_t acpi_pci_mmio_base(const struct acpi_config *cfg)
{
	return cfg->pci_mmio_size ? cfg->pci_mmio_base : (uint32_t)MEMMAP_PCI_MMIO_BASE;
}

static inline uint32_t acpi_pci_mmio_size(const struct acpi_config *cfg)
{
	return cfg->pci_mmio_size ? cfg->pci_mmio_size : (uint32_t)MEMMAP_PCI_MMIO_SIZE;
}

/* The ACPI block's registers, from its base (devices/acpi_pm.h). */
#define ACPI_PM1A_CNT_OFF	(PORT_ACPI_PM1A_CNT - PORT_ACPI_PM1A_EVT)
#define ACPI_PM_TMR_OFF		(PORT_ACPI_PM_TMR - PORT_ACPI_PM1A_EVT)
#define ACPI_RESET_OFF		(PORT_ACPI_RESET - PORT_ACPI_PM1A_EVT)

/* The tables (fadt.c, madt.c, mcfg.c, dsdt.c). */
long acpi_build_fadt(uint8_t *p, size_t room, const struct acpi_config *cfg,
		     uint64_t facs_addr, uint64_t dsdt_addr);
long acpi_build_madt(uint8_t *p, size_t room, const struct acpi_config *cfg);
long acpi_build_mcfg(uint8_t *p, size_t room, const struct acpi_config *cfg);
long acpi_build_dsdt(uint8_t *p, size_t room, const struct acpi_config *cfg);

/* FADT sizes and offsets the tests check (5.2.9, Table 5.9). */
#define ACPI_FADT_LEN		276
#define ACPI_FADT_REVISION	6
#define ACPI_FACS_LEN		64
#define ACPI_MADT_REVISION	5
#define ACPI_MCFG_LEN		(ACPI_SDT_HEADER_LEN + 8 + 16)

#endif
