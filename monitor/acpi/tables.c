// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * acpi/tables.c - acpi_build(): lays the tables out in the ACPI area and
 * writes the RSDP, XSDT, RSDT and FACS itself; fadt.c, madt.c, mcfg.c and
 * dsdt.c write the others.  Section numbers are the ACPI 6.x
 * specification's (chapter 5.2 "ACPI System Description Tables").
 *
 * Layout, from MEMMAP_ACPI_BASE (each table 16-byte aligned, the FACS
 * 64-byte aligned as 5.2.10 requires):
 *   +0x00 RSDP (36)   +0x40 FACS (64)   +0x80 XSDT, RSDT, FADT, MADT,
 *   MCFG, then the DSDT, which takes whatever room is left.
 */
#include <errno.h>
#include <string.h>

#include "acpi/sdt.h"

uint8_t acpi_checksum(const uint8_t *p, size_t len)
{
	uint8_t sum = 0;
	size_t i;

	for (i = 0; i < len; i++)
		sum = (uint8_t)(sum + p[i]);
	return (uint8_t)-sum;
}

static void put_chars(uint8_t *p, size_t off, const char *s, size_t n)
{
	size_t i, l = strlen(s);

	for (i = 0; i < n; i++)
		p[off + i] = i < l ? (uint8_t)s[i] : ' ';
}

void acpi_sdt_finish(uint8_t *p, const char *sig, uint32_t len,
		     uint8_t revision, const char *table_id)
{
	memcpy(p, sig, 4);
	acpi_put32(p, 4, len);
	acpi_put8(p, 8, revision);
	acpi_put8(p, 9, 0);
	put_chars(p, 10, ACPI_OEM_ID, 6);
	put_chars(p, 16, table_id, 8);
	acpi_put32(p, 24, ACPI_OEM_REVISION);
	memcpy(p + 28, ACPI_CREATOR_ID, 4);
	acpi_put32(p, 32, ACPI_CREATOR_REVISION);
	p[9] = acpi_checksum(p, len);
}

void acpi_put_gas(uint8_t *p, size_t off, uint8_t space, uint8_t bit_width,
		  uint8_t access_size, uint64_t addr)
{
	acpi_put8(p, off, space);
	acpi_put8(p, off + 1, bit_width);
	acpi_put8(p, off + 2, 0);		/* bit offset */
	acpi_put8(p, off + 3, access_size);
	acpi_put64(p, off + 4, addr);
}

/* 5.2.5.3 RSDP, revision 2: 36 bytes, two checksums. */
static void build_rsdp(uint8_t *p, uint64_t rsdt, uint64_t xsdt)
{
	memcpy(p, "RSD PTR ", 8);
	put_chars(p, 9, ACPI_OEM_ID, 6);
	acpi_put8(p, 15, 2);			/* revision: ACPI 2.0+ */
	acpi_put32(p, 16, (uint32_t)rsdt);
	acpi_put32(p, 20, 36);			/* length */
	acpi_put64(p, 24, xsdt);
	p[8] = acpi_checksum(p, 20);		/* first 20 bytes (ACPI 1.0) */
	p[32] = acpi_checksum(p, 36);		/* extended checksum */
}

/* 5.2.10 FACS: no checksum; version 2; no waking vector, no S4BIOS. */
static void build_facs(uint8_t *p)
{
	memcpy(p, "FACS", 4);
	acpi_put32(p, 4, ACPI_FACS_LEN);
	acpi_put32(p, 8, 0);			/* hardware signature */
	acpi_put8(p, 32, 2);			/* version */
}

/* 5.2.7 RSDT (4-byte entries) / 5.2.8 XSDT (8-byte entries). */
static uint32_t build_sdt_list(uint8_t *p, const char *sig, unsigned int w,
			       const uint64_t *addr, unsigned int n)
{
	uint32_t len = ACPI_SDT_HEADER_LEN + w * n;
	unsigned int i;

	for (i = 0; i < n; i++) {
		if (w == 8)
			acpi_put64(p, ACPI_SDT_HEADER_LEN + 8 * i, addr[i]);
		else
			acpi_put32(p, ACPI_SDT_HEADER_LEN + 4 * i,
				   (uint32_t)addr[i]);
	}
	acpi_sdt_finish(p, sig, len, 1, w == 8 ? "VMAINXST" : "VMAINRST");
	return len;
}

static int check_config(const struct acpi_config *cfg)
{
	uint32_t i, j;

	if (cfg->nr_cpus == 0)
		return -EINVAL;
	if (cfg->nr_cpus > ACPI_MAX_CPUS)
		return -E2BIG;
	if (cfg->apic_ids) {
		for (i = 0; i < cfg->nr_cpus; i++) {
			if (cfg->apic_ids[i] == 0xffffffffu)
				return -EINVAL;
			for (j = 0; j < i; j++)
				if (cfg->apic_ids[j] == cfg->apic_ids[i])
					return -EINVAL;
		}
	}
	if (cfg->pci_intx_gsi_base &&
	    (cfg->pci_intx_gsi_base < 16 || cfg->pci_intx_gsi_base > 20))
		return -EINVAL;
	return 0;
}

#define ALIGN16(x)	(((x) + 15) & ~(size_t)15)

int acpi_build(uint8_t *ram, uint64_t ram_size, const struct acpi_config *cfg,
	       uint64_t *rsdp_addr)
{
	const uint64_t base = MEMMAP_ACPI_BASE;
	const size_t size = MEMMAP_ACPI_SIZE;
	uint64_t sdts[3];
	size_t xsdt, rsdt, fadt, madt, mcfg, dsdt;
	uint8_t *a;
	long len;
	int ret;

	if (!ram || !cfg || !rsdp_addr)
		return -EINVAL;
	ret = check_config(cfg);
	if (ret)
		return ret;
	if (ram_size < base + size)
		return -ERANGE;

	a = ram + base;
	memset(a, 0, size);
	build_facs(a + 0x40);

	/* Fixed-size tables first; the list tables point at them. */
	xsdt = 0x80;
	rsdt = ALIGN16(xsdt + ACPI_SDT_HEADER_LEN + 8 * 3);
	fadt = ALIGN16(rsdt + ACPI_SDT_HEADER_LEN + 4 * 3);
	madt = ALIGN16(fadt + ACPI_FADT_LEN);
	len = acpi_build_madt(a + madt, size - madt, cfg);
	if (len < 0)
		return (int)len;
	mcfg = ALIGN16(madt + (size_t)len);
	if (mcfg >= size)
		return -ENOSPC;
	len = acpi_build_mcfg(a + mcfg, size - mcfg);
	if (len < 0)
		return (int)len;
	dsdt = ALIGN16(mcfg + (size_t)len);
	if (dsdt >= size)
		return -ENOSPC;
	len = acpi_build_dsdt(a + dsdt, size - dsdt, cfg);
	if (len < 0)
		return (int)len;

	len = acpi_build_fadt(a + fadt, size - fadt, base + 0x40, base + dsdt);
	if (len < 0)
		return (int)len;

	sdts[0] = base + fadt;
	sdts[1] = base + madt;
	sdts[2] = base + mcfg;
	build_sdt_list(a + xsdt, "XSDT", 8, sdts, 3);
	build_sdt_list(a + rsdt, "RSDT", 4, sdts, 3);
	build_rsdp(a, base + rsdt, base + xsdt);

	*rsdp_addr = ACPI_RSDP_ADDR;
	return 0;
}
