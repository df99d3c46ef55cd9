// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * loader-test.c - acpi_build_blobs() (monitor/acpi/tables.c) and the
 * linker/loader commands (monitor/acpi/loader.c), run by a small
 * test-side loader that does what SeaBIOS's romfile_loader.c does:
 * allocate each file, patch the pointers, compute the checksums.
 *
 * Placed where acpi_build() puts them, the files must become acpi_build()'s
 * area byte for byte (one builder, two outputs).  Placed elsewhere (the
 * RSDP in the FSEG, the tables high in RAM), the chain must hold, every
 * checksum verify, and each table pass iasl.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "iasl.h"
#include "acpi/loader.h"
#include "acpi/tables.h"

#define MEM_SIZE	(16u << 20)

static uint8_t *mem;

static uint32_t g32(const uint8_t *p)
{
	return (uint32_t)p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t g64(const uint8_t *p)
{
	return g32(p) | (uint64_t)g32(p + 4) << 32;
}

static uint64_t gn(const uint8_t *p, unsigned int n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}

static int sum_ok(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s = (uint8_t)(s + *p++);
	return s == 0;
}

struct lfile {
	const char *name;
	const uint8_t *data;
	size_t len;
	uint64_t addr;
	bool placed;
};

static struct lfile *lookup(struct lfile *f, unsigned int n, const uint8_t *name)
{
	unsigned int i;

	if (memchr(name, 0, ACPI_LOADER_FILESZ) == NULL)
		return NULL;		/* not NUL-terminated */
	for (i = 0; i < n; i++)
		if (!strcmp(f[i].name, (const char *)name))
			return &f[i];
	return NULL;
}

/*
 * The loader: files are placed at `fseg` (FSEG zone) and `high` (HIGH
 * zone), each rounded up to its alignment.  Every command must name a
 * placed file and stay inside it; returns the number of commands run or
 * -1 with *why set.
 */
static int run_loader(const uint8_t *cmd, size_t len, struct lfile *f, unsigned int n,
		      uint64_t fseg, uint64_t high, const char **why)
{
	int count = 0;
	size_t off;

	if (len % ACPI_LOADER_ENTRY_LEN) {
		*why = "length not a multiple of 128";
		return -1;
	}
	for (off = 0; off < len; off += ACPI_LOADER_ENTRY_LEN, count++) {
		const uint8_t *e = cmd + off;
		struct lfile *a, *b;
		uint32_t align, o, s, l, i;
		uint64_t *next, v;
		uint8_t sum, size;

		switch (g32(e)) {
		case ACPI_LOADER_ALLOCATE:
			a = lookup(f, n, e + 4);
			align = g32(e + 60);
			next = e[64] == ACPI_LOADER_ZONE_FSEG ? &fseg :
			       e[64] == ACPI_LOADER_ZONE_HIGH ? &high : NULL;
			if (!a || a->placed || !next || !align || (align & (align - 1))) {
				*why = "bad ALLOCATE";
				return -1;
			}
			*next = (*next + align - 1) & ~(uint64_t)(align - 1);
			if (*next + a->len > MEM_SIZE ||
			    (next == &fseg && (*next < 0xe0000 || *next + a->len > 0x100000))) {
				*why = "ALLOCATE outside its zone";
				return -1;
			}
			a->addr = *next;
			a->placed = true;
			memcpy(mem + a->addr, a->data, a->len);
			*next += a->len;
			break;
		case ACPI_LOADER_ADD_POINTER:
			a = lookup(f, n, e + 4);
			b = lookup(f, n, e + 60);
			o = g32(e + 116);
			size = e[120];
			if (!a || !b || !a->placed || !b->placed ||
			    (size != 1 && size != 2 && size != 4 && size != 8) ||
			    o > a->len || size > a->len - o) {
				*why = "bad ADD_POINTER";
				return -1;
			}
			v = gn(mem + a->addr + o, size);
			if (v >= b->len) {
				*why = "pointer past its source file";
				return -1;
			}
			v += b->addr;
			for (i = 0; i < size; i++)
				mem[a->addr + o + i] = (uint8_t)(v >> (8 * i));
			break;
		case ACPI_LOADER_ADD_CHECKSUM:
			a = lookup(f, n, e + 4);
			o = g32(e + 60);
			s = g32(e + 64);
			l = g32(e + 68);
			if (!a || !a->placed || o >= a->len || s > a->len || l > a->len - s) {
				*why = "bad ADD_CHECKSUM";
				return -1;
			}
			/* As SeaBIOS: subtract the range's sum from the byte. */
			sum = 0;
			for (i = 0; i < l; i++)
				sum = (uint8_t)(sum + mem[a->addr + s + i]);
			mem[a->addr + o] = (uint8_t)(mem[a->addr + o] - sum);
			break;
		default:
			*why = "unknown command";
			return -1;
		}
	}
	return count;
}

static int apply(const struct acpi_blobs *b, uint64_t fseg, uint64_t high,
		 struct lfile f[2])
{
	const char *why = "";
	int n;

	f[0] = (struct lfile){ .name = ACPI_FILE_RSDP, .data = b->rsdp, .len = b->rsdp_len };
	f[1] = (struct lfile){ .name = ACPI_FILE_TABLES, .data = b->tables, .len = b->tables_len };
	memset(mem, 0, MEM_SIZE);
	n = run_loader(b->loader, b->loader_len, f, 2, fseg, high, &why);
	if (n < 0)
		tap_diag("loader: %s", why);
	return n;
}

static void test_commands(void)
{
	struct acpi_config cfg = { .nr_cpus = 4, .com1 = true, .pci_intx_gsi_base = 16 };
	struct acpi_blobs b;
	const uint8_t *e;
	unsigned int i, ptrs = 0, sums = 0, bad = 0;

	if (!tap_ok(acpi_build_blobs(&cfg, &b) == 0, "acpi_build_blobs: 4 CPUs, COM1, _PRT"))
		return;
	tap_ok(b.rsdp_len == 36 && !memcmp(b.rsdp, "RSD PTR ", 8), "etc/acpi/rsdp: the 36-byte RSDP");
	tap_ok(b.tables_len > 64 && !memcmp(b.tables, "FACS", 4), "etc/acpi/tables starts with the FACS");
	tap_ok(b.loader_len % 128 == 0 && b.loader_len / 128 == 22,
	       "etc/table-loader: 22 entries of 128 bytes (2 allocations, 12 pointers, 8 checksums)");
	e = b.loader;
	tap_ok(g32(e) == ACPI_LOADER_ALLOCATE && !strcmp((char *)e + 4, "etc/acpi/tables") &&
	       g32(e + 60) == 64 && e[64] == ACPI_LOADER_ZONE_HIGH,
	       "ALLOCATE etc/acpi/tables, 64-byte aligned (the FACS), below 4 GiB");
	tap_ok(g32(e + 128) == ACPI_LOADER_ALLOCATE && !strcmp((char *)e + 132, "etc/acpi/rsdp") &&
	       g32(e + 188) == 16 && e[192] == ACPI_LOADER_ZONE_FSEG,
	       "ALLOCATE etc/acpi/rsdp, 16-byte aligned, in the FSEG");
	for (i = 2; i < b.loader_len / 128; i++) {
		e = b.loader + 128 * i;
		if (g32(e) == ACPI_LOADER_ADD_POINTER) {
			ptrs++;
			bad += sums != 0;	/* pointers first, then checksums */
		} else if (g32(e) == ACPI_LOADER_ADD_CHECKSUM) {
			sums++;
		} else {
			bad++;
		}
	}
	tap_ok(ptrs == 12 && sums == 8 && !bad, "every pointer patched before any checksum");
	tap_ok(g32(b.rsdp + 16) == 0xc0 - 0x40 && g64(b.rsdp + 24) == 0x80 - 0x40 && b.rsdp[8] == 0 &&
	       b.rsdp[32] == 0, "RSDP fields hold offsets into etc/acpi/tables; checksums 0");
	e = b.tables + 0x40;	/* the XSDT */
	tap_ok(!memcmp(e, "XSDT", 4) && e[9] == 0, "the XSDT follows the FACS, checksum 0");
	acpi_blobs_free(&b);
	tap_ok(b.rsdp == NULL && b.tables == NULL && b.loader == NULL, "acpi_blobs_free clears");

	cfg.nr_cpus = 0;
	tap_ok(acpi_build_blobs(&cfg, &b) == -EINVAL && !b.loader, "0 CPUs: -EINVAL, nothing kept");
	tap_ok(acpi_build_blobs(NULL, &b) == -EINVAL, "NULL cfg: -EINVAL");
}

/* Placed where acpi_build() puts them: the same bytes. */
static void check_same(const struct acpi_config *cfg, const char *what)
{
	struct acpi_blobs b;
	struct lfile f[2];
	uint8_t *fixed;
	uint64_t rsdp;
	int n;

	fixed = calloc(1, 1 << 20);
	if (!fixed || acpi_build_blobs(cfg, &b) != 0 || acpi_build(fixed, 1 << 20, cfg, &rsdp)) {
		tap_ok(0, "%s: built", what);
		free(fixed);
		return;
	}
	n = apply(&b, MEMMAP_ACPI_BASE, MEMMAP_ACPI_BASE + 0x40, f);
	tap_ok(n == 22 && f[0].addr == MEMMAP_ACPI_BASE && f[1].addr == MEMMAP_ACPI_BASE + 0x40,
	       "%s: loader ran, RSDP at 0xe0000, tables at 0xe0040", what);
	tap_ok(!memcmp(mem + MEMMAP_ACPI_BASE, fixed + MEMMAP_ACPI_BASE, MEMMAP_ACPI_SIZE),
	       "%s: the loaded files are acpi_build()'s 128 KiB byte for byte", what);
	acpi_blobs_free(&b);
	free(fixed);
}

static void test_same(void)
{
	static uint32_t ids[300];
	struct acpi_config c1 = { .nr_cpus = 1 };
	struct acpi_config c4 = {
		.nr_cpus = 4, .com1 = true, .pci_intx_gsi_base = 16, .fw_cfg = true,
	};
	struct acpi_config cx = { .nr_cpus = 300, .apic_ids = ids, .pci_intx_gsi_base = 20 };
	unsigned int i;

	for (i = 0; i < 300; i++)
		ids[i] = 2 * i;
	check_same(&c1, "1 CPU");
	check_same(&c4, "4 CPUs, COM1, _PRT, fw_cfg");
	check_same(&cx, "300 CPUs, x2APIC IDs");
}

/* The table at `addr` if it lies inside the placed tables file. */
static uint8_t *table(const struct lfile *t, uint64_t addr)
{
	if (addr < t->addr || addr + 36 > t->addr + t->len)
		return NULL;
	if (addr + g32(mem + addr + 4) > t->addr + t->len)
		return NULL;
	return mem + addr;
}

/* Placed elsewhere: the chain, the checksums, iasl. */
static void test_relocated(void)
{
	static const char *const sigs[] = { "FACP", "APIC", "MCFG" };
	struct acpi_config cfg = {
		.nr_cpus = 255, .com1 = true, .pci_intx_gsi_base = 16, .fw_cfg = true,
	};
	char dir[] = "/tmp/vmain-acpi-loader-XXXXXX", cmd[256];
	uint8_t *rsdp, *xsdt, *rsdt, *t, *fadt = NULL, *dsdt, *facs;
	struct acpi_blobs b;
	struct lfile f[2];
	unsigned int i;
	bool ok = true;

	if (!tap_ok(acpi_build_blobs(&cfg, &b) == 0, "255 CPUs: blobs"))
		return;
	tap_ok(apply(&b, 0xf5a10, 0xabc010, f) == 22, "loader ran: RSDP in the FSEG, tables high");
	tap_ok(f[0].addr == 0xf5a10 && f[1].addr == 0xabc040, "placed at 0xf5a10 and 0xabc040 (aligned up)");
	rsdp = mem + f[0].addr;
	tap_ok(sum_ok(rsdp, 20) && sum_ok(rsdp, 36), "RSDP checksum and extended checksum");
	xsdt = table(&f[1], g64(rsdp + 24));
	rsdt = table(&f[1], g32(rsdp + 16));
	tap_ok(xsdt && !memcmp(xsdt, "XSDT", 4) && sum_ok(xsdt, g32(xsdt + 4)),
	       "XSDT inside etc/acpi/tables, checksum");
	tap_ok(rsdt && !memcmp(rsdt, "RSDT", 4) && sum_ok(rsdt, g32(rsdt + 4)),
	       "RSDT inside etc/acpi/tables, checksum");
	for (i = 0; i < 3; i++) {
		t = xsdt ? table(&f[1], g64(xsdt + 36 + 8 * i)) : NULL;
		ok = ok && t && rsdt && g64(xsdt + 36 + 8 * i) == g32(rsdt + 36 + 4 * i);
		tap_ok(t && !memcmp(t, sigs[i], 4) && sum_ok(t, g32(t + 4)),
		       "XSDT entry %u: %s, checksum", i, sigs[i]);
		if (t && !memcmp(t, "FACP", 4))
			fadt = t;
	}
	tap_ok(ok, "RSDT and XSDT list the same addresses");
	dsdt = fadt ? table(&f[1], g64(fadt + 140)) : NULL;
	facs = fadt ? mem + g64(fadt + 132) : NULL;
	tap_ok(dsdt && !memcmp(dsdt, "DSDT", 4) && sum_ok(dsdt, g32(dsdt + 4)) &&
	       g32(fadt + 40) == g64(fadt + 140), "FADT -> DSDT (both fields), checksum");
	tap_ok(facs && g64(fadt + 132) == f[1].addr && !memcmp(facs, "FACS", 4) &&
	       g32(fadt + 36) == f[1].addr && (f[1].addr & 63) == 0,
	       "FADT -> FACS (both fields), 64-byte aligned");

	if (system("command -v iasl >/dev/null 2>&1") != 0) {
		tap_ok(0, "iasl not found (Debian package acpica-tools; scripts/deps test)");
	} else if (tap_ok(mkdtemp(dir) != NULL, "temporary directory")) {
		for (i = 0; i < 3; i++) {
			t = table(&f[1], g64(xsdt + 36 + 8 * i));
			iasl_check(dir, sigs[i], t, t ? g32(t + 4) : 0);
		}
		iasl_check(dir, "DSDT", dsdt, dsdt ? g32(dsdt + 4) : 0);
		iasl_check(dir, "FACS", facs, 64);
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			tap_diag("could not remove %s", dir);
	}
	acpi_blobs_free(&b);
}

static void test_loader_errors(void)
{
	struct acpi_loader l;
	uint8_t *buf;
	size_t len;
	int err;
	char longname[60];

	memset(longname, 'x', sizeof(longname) - 1);
	longname[56] = 0;
	acpi_loader_init(&l);
	tap_ok(acpi_loader_allocate(&l, "a", 3, ACPI_LOADER_ZONE_HIGH) == -EINVAL,
	       "align 3: -EINVAL");
	tap_ok(acpi_loader_add_checksum(&l, "a", 0, 0, 1) == -EINVAL, "the error is sticky");
	buf = acpi_loader_take(&l, &len, &err);
	tap_ok(!buf && err == -EINVAL && len == 0, "take: NULL and the error");
	tap_ok(acpi_loader_allocate(&l, longname, 16, ACPI_LOADER_ZONE_FSEG) == -EINVAL,
	       "a 56-character name: -EINVAL");
	acpi_loader_free(&l);
	tap_ok(acpi_loader_allocate(&l, "a", 16, 3) == -EINVAL, "zone 3: -EINVAL");
	acpi_loader_free(&l);
	tap_ok(acpi_loader_add_pointer(&l, "a", "b", 0, 3) == -EINVAL, "pointer size 3: -EINVAL");
	acpi_loader_free(&l);
	longname[55] = 0;
	tap_ok(acpi_loader_add_pointer(&l, longname, "b", 7, 8) == 0, "a 55-character name fits");
	buf = acpi_loader_take(&l, &len, &err);
	tap_ok(buf && !err && len == 128 && buf[4 + 54] == 'x' && buf[4 + 55] == 0 &&
	       buf[60] == 'b' && g32(buf + 116) == 7 && buf[120] == 8,
	       "ADD_POINTER entry: names NUL-padded, offset, size");
	free(buf);
	buf = acpi_loader_take(&l, &len, &err);
	tap_ok(!buf && err == -EINVAL, "take of an empty list: -EINVAL");
}

int main(void)
{
	mem = malloc(MEM_SIZE);
	if (!mem)
		return 1;
	test_commands();
	test_same();
	test_relocated();
	test_loader_errors();
	free(mem);
	return tap_done();
}
