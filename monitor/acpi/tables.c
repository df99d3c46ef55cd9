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
 *
 * acpi_build_blobs() makes the same layout at offset 0 and records every
 * pointer field and checksum on the way, so that one builder yields both
 * the fixed-address tables of a direct boot and the files plus
 * linker/loader commands a firmware places itself (acpi/loader.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "acpi/loader.h"
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
	/* The ACPI block must fit the port space; the window below 4 GiB. */
	if (cfg->pm_base > 0x10000 - 16 || (cfg->ecam_base & 0xfffff) ||
	    cfg->ecam_base > 0x100000000ull - MEMMAP_ECAM_SIZE ||
	    (!cfg->pci_mmio_size && cfg->pci_mmio_base) ||
	    (uint64_t)cfg->pci_mmio_base + cfg->pci_mmio_size > 0x100000000ull)
		return -EINVAL;
	return 0;
}

#define ALIGN16(x)	(((x) + 15) & ~(size_t)15)

/*
 * Where one layout's pointer fields and checksums lie, as offsets from
 * the RSDP: what a firmware must patch when it places the tables itself
 * (acpi_build_blobs()).  Direct boot passes NULL and records nothing.
 */
#define LINKS_MAX	16

struct acpi_links {
	struct {
		uint32_t field, target;
		uint8_t size;
	} ptr[LINKS_MAX];
	unsigned int nr_ptr;
	struct {
		uint32_t field, start, len;
	} csum[LINKS_MAX];
	unsigned int nr_csum;
	int err;
};

static void note_ptr(struct acpi_links *lk, size_t field, uint8_t size, size_t target)
{
	if (!lk)
		return;
	if (lk->nr_ptr == LINKS_MAX) {
		lk->err = -ENOSPC;
		return;
	}
	lk->ptr[lk->nr_ptr].field = (uint32_t)field;
	lk->ptr[lk->nr_ptr].target = (uint32_t)target;
	lk->ptr[lk->nr_ptr].size = size;
	lk->nr_ptr++;
}

static void note_csum(struct acpi_links *lk, size_t field, size_t start, size_t len)
{
	if (!lk)
		return;
	if (lk->nr_csum == LINKS_MAX) {
		lk->err = -ENOSPC;
		return;
	}
	lk->csum[lk->nr_csum].field = (uint32_t)field;
	lk->csum[lk->nr_csum].start = (uint32_t)start;
	lk->csum[lk->nr_csum].len = (uint32_t)len;
	lk->nr_csum++;
}

/* An SDT's own checksum: byte 9 over its length (5.2.6). */
static void note_sdt(struct acpi_links *lk, const uint8_t *a, size_t off)
{
	uint32_t len = (uint32_t)a[off + 4] | a[off + 5] << 8 | a[off + 6] << 16 |
		       (uint32_t)a[off + 7] << 24;

	note_csum(lk, off + 9, off, len);
}

/*
 * Lays the tables out in a[0, size), a standing for guest-physical
 * `base`, and stores in *used the bytes taken (RSDP to the DSDT's end).
 * Every pointer is written as base + the target's offset and, with `lk`,
 * recorded, as is every checksum.  a[] must be zeroed.
 */
static int acpi_layout(uint8_t *a, size_t size, uint64_t base,
		       const struct acpi_config *cfg, struct acpi_links *lk,
		       size_t *used)
{
	const size_t facs = 0x40;
	uint64_t sdts[3];
	size_t xsdt, rsdt, fadt, madt, mcfg, dsdt, dsdt_len;
	unsigned int i;
	long len;

	build_facs(a + facs);

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
	len = acpi_build_mcfg(a + mcfg, size - mcfg, cfg);
	if (len < 0)
		return (int)len;
	dsdt = ALIGN16(mcfg + (size_t)len);
	if (dsdt >= size)
		return -ENOSPC;
	len = acpi_build_dsdt(a + dsdt, size - dsdt, cfg);
	if (len < 0)
		return (int)len;
	dsdt_len = (size_t)len;

	len = acpi_build_fadt(a + fadt, size - fadt, cfg, base + facs, base + dsdt);
	if (len < 0)
		return (int)len;

	sdts[0] = base + fadt;
	sdts[1] = base + madt;
	sdts[2] = base + mcfg;
	build_sdt_list(a + xsdt, "XSDT", 8, sdts, 3);
	build_sdt_list(a + rsdt, "RSDT", 4, sdts, 3);
	build_rsdp(a, base + rsdt, base + xsdt);

	/* The fields written above, in the order a loader must patch them. */
	note_ptr(lk, 16, 4, rsdt);				/* RSDP: RsdtAddress */
	note_ptr(lk, 24, 8, xsdt);				/* XsdtAddress */
	for (i = 0; i < 3; i++) {
		note_ptr(lk, xsdt + ACPI_SDT_HEADER_LEN + 8 * i, 8, sdts[i] - base);
		note_ptr(lk, rsdt + ACPI_SDT_HEADER_LEN + 4 * i, 4, sdts[i] - base);
	}
	note_ptr(lk, fadt + 36, 4, facs);			/* FIRMWARE_CTRL */
	note_ptr(lk, fadt + 40, 4, dsdt);			/* DSDT */
	note_ptr(lk, fadt + 132, 8, facs);			/* X_FIRMWARE_CTRL */
	note_ptr(lk, fadt + 140, 8, dsdt);			/* X_DSDT */
	note_sdt(lk, a, dsdt);
	note_sdt(lk, a, mcfg);
	note_sdt(lk, a, madt);
	note_sdt(lk, a, fadt);
	note_sdt(lk, a, rsdt);
	note_sdt(lk, a, xsdt);
	/* The RSDP's checksum (first 20 bytes), then its extended one over it. */
	note_csum(lk, 8, 0, 20);
	note_csum(lk, 32, 0, 36);

	*used = dsdt + dsdt_len;
	return lk ? lk->err : 0;
}

int acpi_build(uint8_t *ram, uint64_t ram_size, const struct acpi_config *cfg,
	       uint64_t *rsdp_addr)
{
	const uint64_t base = MEMMAP_ACPI_BASE;
	const size_t size = MEMMAP_ACPI_SIZE;
	size_t used;
	uint8_t *a;
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
	ret = acpi_layout(a, size, base, cfg, NULL, &used);
	if (ret)
		return ret;
	*rsdp_addr = ACPI_RSDP_ADDR;
	return 0;
}

/*
 * The firmware's files: the RSDP alone (it must go in the FSEG, where
 * the OS looks for it), and everything from the FACS on in
 * ACPI_FILE_TABLES.  The layout is built at offset 0 and each pointer
 * rewritten as an offset into ACPI_FILE_TABLES, the form ADD_POINTER
 * takes; each checksum byte is cleared (as QEMU leaves it) for
 * ADD_CHECKSUM to compute once the pointers are final.
 */
#define TABLES_START	0x40	/* the FACS: 64-byte aligned, so the file is */

static void put_le_n(uint8_t *p, uint64_t v, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static int add_links(struct acpi_loader *l, uint8_t *a, const struct acpi_links *lk)
{
	unsigned int i;

	acpi_loader_allocate(l, ACPI_FILE_TABLES, 64, ACPI_LOADER_ZONE_HIGH);
	acpi_loader_allocate(l, ACPI_FILE_RSDP, 16, ACPI_LOADER_ZONE_FSEG);
	for (i = 0; i < lk->nr_ptr; i++) {
		uint32_t f = lk->ptr[i].field, t = lk->ptr[i].target;

		if (t < TABLES_START)
			return -EINVAL;		/* nothing points at the RSDP */
		put_le_n(a + f, t - TABLES_START, lk->ptr[i].size);
		if (f < TABLES_START)
			acpi_loader_add_pointer(l, ACPI_FILE_RSDP, ACPI_FILE_TABLES, f,
						lk->ptr[i].size);
		else
			acpi_loader_add_pointer(l, ACPI_FILE_TABLES, ACPI_FILE_TABLES,
						f - TABLES_START, lk->ptr[i].size);
	}
	for (i = 0; i < lk->nr_csum; i++) {
		uint32_t f = lk->csum[i].field, s = lk->csum[i].start;

		a[f] = 0;
		if (f < TABLES_START)
			acpi_loader_add_checksum(l, ACPI_FILE_RSDP, f, s, lk->csum[i].len);
		else
			acpi_loader_add_checksum(l, ACPI_FILE_TABLES, f - TABLES_START,
						 s - TABLES_START, lk->csum[i].len);
	}
	return l->err;
}

void acpi_blobs_free(struct acpi_blobs *b)
{
	free(b->tables);
	free(b->rsdp);
	free(b->loader);
	memset(b, 0, sizeof(*b));
}

int acpi_build_blobs(const struct acpi_config *cfg, struct acpi_blobs *out)
{
	const size_t size = MEMMAP_ACPI_SIZE;
	struct acpi_links lk = { .nr_ptr = 0 };
	struct acpi_loader l;
	size_t used;
	uint8_t *a;
	int ret;

	if (!cfg || !out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	ret = check_config(cfg);
	if (ret)
		return ret;
	a = calloc(1, size);
	if (!a)
		return -ENOMEM;
	acpi_loader_init(&l);
	ret = acpi_layout(a, size, 0, cfg, &lk, &used);
	if (!ret)
		ret = add_links(&l, a, &lk);
	if (ret)
		goto out_free;
	out->loader = acpi_loader_take(&l, &out->loader_len, &ret);
	if (ret)
		goto out_free;
	out->rsdp_len = ACPI_RSDP_LEN;
	out->tables_len = used - TABLES_START;
	out->rsdp = malloc(out->rsdp_len);
	out->tables = malloc(out->tables_len);
	if (!out->rsdp || !out->tables) {
		ret = -ENOMEM;
		goto out_free;
	}
	memcpy(out->rsdp, a, out->rsdp_len);
	memcpy(out->tables, a + TABLES_START, out->tables_len);
	free(a);
	return 0;

out_free:
	acpi_loader_free(&l);
	acpi_blobs_free(out);
	free(a);
	return ret;
}
