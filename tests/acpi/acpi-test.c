// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * acpi-test.c - acpi_build() (monitor/acpi/): the RSDP/XSDT/RSDT chain,
 * every checksum and length, the FADT fields Linux reads, the MADT for
 * 1/2/64/255 CPUs and for x2APIC IDs >= 255, MCFG, the DSDT's objects,
 * config errors; then each table through ACPICA's disassembler (iasl -d)
 * and back through its compiler, failing on any error or warning.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"
#include "iasl.h"
#include "acpi/tables.h"

#define RAM_SIZE	(1u << 20)

static uint8_t *ram;

static uint16_t g16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t g32(const uint8_t *p) { return g16(p) | (uint32_t)g16(p + 2) << 16; }
static uint64_t g64(const uint8_t *p) { return g32(p) | (uint64_t)g32(p + 4) << 32; }

static int sum_ok(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s = (uint8_t)(s + *p++);
	return s == 0;
}

static uint8_t *at(uint64_t gpa)
{
	return gpa >= MEMMAP_ACPI_BASE && gpa < MEMMAP_ACPI_BASE + MEMMAP_ACPI_SIZE ?
	       ram + gpa : NULL;
}

/* The table with `sig` through the XSDT (FACP's DSDT/FACS through it). */
static uint8_t *find(const char *sig)
{
	uint8_t *rsdp = ram + ACPI_RSDP_ADDR, *xsdt = at(g64(rsdp + 24)), *t;
	uint32_t i, n;

	if (!xsdt)
		return NULL;
	n = (g32(xsdt + 4) - 36) / 8;
	for (i = 0; i < n; i++) {
		t = at(g64(xsdt + 36 + 8 * i));
		if (t && !memcmp(t, sig, 4))
			return t;
		if (t && !memcmp(t, "FACP", 4) && !memcmp(sig, "DSDT", 4))
			return at(g64(t + 140));
		if (t && !memcmp(t, "FACP", 4) && !memcmp(sig, "FACS", 4))
			return at(g64(t + 132));
	}
	return NULL;
}

static int build(const struct acpi_config *cfg)
{
	uint64_t rsdp = 0;
	int ret;

	memset(ram, 0xaa, RAM_SIZE);
	ret = acpi_build(ram, RAM_SIZE, cfg, &rsdp);
	if (!ret && rsdp != ACPI_RSDP_ADDR)
		return -1000;
	return ret;
}

static void test_chain(void)
{
	struct acpi_config cfg = { .nr_cpus = 4, .com1 = true, .pci_intx_gsi_base = 16 };
	static const char *const sigs[] = { "FACP", "APIC", "MCFG", "DSDT" };
	uint8_t *rsdp = ram + ACPI_RSDP_ADDR, *xsdt, *rsdt, *t, *facs;
	unsigned int i, n;
	int ok;

	tap_ok(build(&cfg) == 0, "acpi_build: 4 CPUs, COM1, _PRT");
	tap_ok(!memcmp(rsdp, "RSD PTR ", 8) && rsdp[15] == 2 && g32(rsdp + 20) == 36,
	       "RSDP at 0xe0000: signature, revision 2, length 36");
	tap_ok(sum_ok(rsdp, 20) && sum_ok(rsdp, 36), "RSDP checksum and extended checksum");
	tap_ok(!memcmp(rsdp + 9, "VMAIN ", 6), "RSDP OEM ID");
	xsdt = at(g64(rsdp + 24));
	rsdt = at(g32(rsdp + 16));
	tap_ok(xsdt && !memcmp(xsdt, "XSDT", 4) && sum_ok(xsdt, g32(xsdt + 4)) &&
	       g32(xsdt + 4) == 36 + 3 * 8 && ((g64(rsdp + 24)) & 15) == 0,
	       "XSDT: 3 entries, checksum, aligned");
	tap_ok(rsdt && !memcmp(rsdt, "RSDT", 4) && sum_ok(rsdt, g32(rsdt + 4)) &&
	       g32(rsdt + 4) == 36 + 3 * 4, "RSDT: 3 entries, checksum");
	ok = xsdt && rsdt;
	for (i = 0; ok && i < 3; i++)
		ok = g64(xsdt + 36 + 8 * i) == g32(rsdt + 36 + 4 * i);
	tap_ok(ok, "RSDT and XSDT list the same tables");

	for (i = 0; i < 4; i++) {
		t = find(sigs[i]);
		n = t ? g32(t + 4) : 0;
		tap_ok(t && n >= 36 && (uint64_t)(t - ram) + n <= MEMMAP_ACPI_BASE + MEMMAP_ACPI_SIZE &&
		       sum_ok(t, n) && ((t - ram) & 15) == 0 &&
		       !memcmp(t + 10, "VMAIN ", 6) && !memcmp(t + 28, "VMAN", 4),
		       "%s: found, inside the ACPI area, 16-byte aligned, checksum, OEM/creator IDs",
		       sigs[i]);
	}
	facs = find("FACS");
	tap_ok(facs && !memcmp(facs, "FACS", 4) && g32(facs + 4) == 64 &&
	       ((facs - ram) & 63) == 0 && facs[32] == 2,
	       "FACS: 64 bytes, 64-byte aligned, version 2");
	tap_ok(ram[MEMMAP_ACPI_BASE - 1] == 0xaa && ram[MEMMAP_ACPI_BASE + MEMMAP_ACPI_SIZE] == 0xaa,
	       "nothing written outside 0xe0000..0xfffff");
}

static void test_fadt(void)
{
	struct acpi_config cfg = { .nr_cpus = 1 };
	uint8_t *f;
	uint32_t flags;

	build(&cfg);
	f = find("FACP");
	if (!tap_ok(f != NULL, "FADT present"))
		return;
	tap_ok(g32(f + 4) == 276 && f[8] == 6 && f[131] == 0, "FADT: length 276, revision 6.0");
	tap_ok(g32(f + 36) == g64(f + 132) && g32(f + 40) == g64(f + 140) &&
	       find("FACS") == ram + g64(f + 132) && find("DSDT") == ram + g64(f + 140),
	       "FIRMWARE_CTRL/DSDT match X_FIRMWARE_CTRL/X_DSDT");
	tap_ok(g16(f + 46) == 9, "SCI_INT 9");
	tap_ok(g32(f + 48) == 0 && f[52] == 0 && f[53] == 0, "SMI_CMD 0: always in ACPI mode");
	tap_ok(g32(f + 56) == 0x600 && f[88] == 4, "PM1a_EVT_BLK 0x600, 4 bytes");
	tap_ok(g32(f + 64) == 0x604 && f[89] == 2, "PM1a_CNT_BLK 0x604, 2 bytes");
	tap_ok(g32(f + 76) == 0x608 && f[91] == 4, "PM_TMR_BLK 0x608, 4 bytes");
	tap_ok(g32(f + 60) == 0 && g32(f + 68) == 0 && g32(f + 72) == 0 &&
	       g32(f + 80) == 0 && g32(f + 84) == 0 && f[92] == 0 && f[93] == 0,
	       "no PM1b, PM2, GPE blocks");
	tap_ok(g16(f + 96) > 100 && g16(f + 98) > 1000, "no C2/C3");
	tap_ok(f[108] == 0x32, "CENTURY = CMOS 0x32");
	tap_ok(g16(f + 109) == 0x7, "IAPC_BOOT_ARCH: LEGACY_DEVICES | 8042 | VGA not present");
	flags = g32(f + 112);
	tap_ok((flags & (1u << 20)) == 0, "not HW_REDUCED_ACPI");
	tap_ok(flags & (1u << 8), "TMR_VAL_EXT (32-bit timer)");
	tap_ok(flags & (1u << 10), "RESET_REG_SUP");
	tap_ok(!(flags & (1u << 4)) && (flags & (1u << 5)),
	       "fixed power button, no fixed sleep button");
	tap_ok(f[116] == 1 && f[117] == 8 && f[118] == 0 && f[119] == 1 &&
	       g64(f + 120) == 0x60c && f[128] == 6,
	       "RESET_REG: I/O 0x60c, 8 bits, byte access; RESET_VALUE 6");
	tap_ok(f[148] == 1 && f[149] == 32 && g64(f + 152) == 0x600, "X_PM1a_EVT_BLK: I/O 0x600, 32 bits");
	tap_ok(f[172] == 1 && f[173] == 16 && g64(f + 176) == 0x604, "X_PM1a_CNT_BLK: I/O 0x604, 16 bits");
	tap_ok(f[208] == 1 && f[209] == 32 && g64(f + 212) == 0x608, "X_PM_TMR_BLK: I/O 0x608, 32 bits");
	tap_ok(g64(f + 164) == 0 && g64(f + 188) == 0 && g64(f + 200) == 0 &&
	       g64(f + 224) == 0 && g64(f + 236) == 0 && g64(f + 248) == 0 && g64(f + 260) == 0,
	       "other X_ blocks and sleep registers empty");
}

/* Walks the MADT; checks the per-CPU entries against cfg. */
static void check_madt(const struct acpi_config *cfg, const char *what)
{
	uint8_t *m = find("APIC"), *e, *end;
	uint32_t ncpu = 0, nlapic = 0, nx2 = 0, nio = 0, niso = 0, nnmi = 0, nx2nmi = 0;
	int ok = 1, iso0 = 0, iso9 = 0;

	if (!tap_ok(m && g32(m + 4) > 44 && m[8] == 5, "%s: MADT present, revision 5", what))
		return;
	tap_ok(g32(m + 36) == 0xfee00000 && g32(m + 40) == 1,
	       "%s: local APIC address 0xfee00000, PCAT_COMPAT", what);
	end = m + g32(m + 4);
	for (e = m + 44; e < end && ok; e += e[1]) {
		if (e[1] < 2 || e + e[1] > end) {
			ok = 0;
			break;
		}
		switch (e[0]) {
		case 0: {
			uint32_t want = cfg->apic_ids ? cfg->apic_ids[ncpu] : ncpu;

			ok = e[1] == 8 && e[2] == ncpu && e[3] == want && g32(e + 4) == 1 && want < 255;
			ncpu++, nlapic++;
			break;
		}
		case 9: {
			uint32_t want = cfg->apic_ids ? cfg->apic_ids[ncpu] : ncpu;

			ok = e[1] == 16 && g32(e + 4) == want && g32(e + 8) == 1 &&
			     g32(e + 12) == ncpu && (want >= 255 || ncpu >= 255);
			ncpu++, nx2++;
			break;
		}
		case 1:
			ok = e[1] == 12 && e[2] == ACPI_IOAPIC_ID && g32(e + 4) == 0xfec00000 &&
			     g32(e + 8) == 0;
			nio++;
			break;
		case 2:
			ok = e[1] == 10 && e[2] == 0;
			if (e[3] == 0 && g32(e + 4) == 2 && g16(e + 8) == 0)
				iso0 = 1;
			else if (e[3] == 9 && g32(e + 4) == 9 && g16(e + 8) == 0xd)
				iso9 = 1;
			else
				ok = 0;
			niso++;
			break;
		case 4:
			ok = e[1] == 6 && e[2] == 0xff && e[5] == 1;
			nnmi++;
			break;
		case 0xa:
			ok = e[1] == 12 && g32(e + 4) == 0xffffffff && e[8] == 1;
			nx2nmi++;
			break;
		default:
			ok = 0;
		}
	}
	tap_ok(ok && e == end, "%s: MADT entries well formed", what);
	tap_ok(ncpu == cfg->nr_cpus, "%s: %u CPUs described (%u xAPIC, %u x2APIC)", what,
	       ncpu, nlapic, nx2);
	tap_ok(nio == 1 && niso == 2 && iso0 && iso9,
	       "%s: one I/O APIC; overrides IRQ0->GSI2, IRQ9 level/high", what);
	tap_ok(nnmi == 1 && nx2nmi == (nx2 ? 1u : 0u), "%s: LINT1 NMI entries", what);
}

static void test_madt(void)
{
	static const uint32_t counts[] = { 1, 2, 64, 255 };
	static uint32_t ids[ACPI_MAX_CPUS];
	struct acpi_config cfg = { 0 };
	char what[64];
	unsigned int i;

	for (i = 0; i < sizeof(counts) / sizeof(counts[0]); i++) {
		cfg.nr_cpus = counts[i];
		snprintf(what, sizeof(what), "%u CPUs", counts[i]);
		tap_ok(build(&cfg) == 0, "%s: acpi_build", what);
		check_madt(&cfg, what);
	}
	/* Sparse IDs, some >= 255: x2APIC entries for those. */
	for (i = 0; i < 8; i++)
		ids[i] = i * 100;
	cfg.nr_cpus = 8;
	cfg.apic_ids = ids;
	tap_ok(build(&cfg) == 0, "IDs 0,100..700: acpi_build");
	check_madt(&cfg, "IDs 0,100..700");
	/* The most CPUs: 1024, indices >= 255 as x2APIC. */
	for (i = 0; i < ACPI_MAX_CPUS; i++)
		ids[i] = i;
	cfg.nr_cpus = ACPI_MAX_CPUS;
	tap_ok(build(&cfg) == 0, "%u CPUs: acpi_build", ACPI_MAX_CPUS);
	check_madt(&cfg, "ACPI_MAX_CPUS");
}

static void test_mcfg(void)
{
	struct acpi_config cfg = { .nr_cpus = 1 };
	uint8_t *m;

	build(&cfg);
	m = find("MCFG");
	tap_ok(m && g32(m + 4) == 60 && m[8] == 1 && g64(m + 36) == 0 &&
	       g64(m + 44) == 0xe0000000 && g16(m + 52) == 0 && m[54] == 0 && m[55] == 0 &&
	       g32(m + 56) == 0,
	       "MCFG: one allocation, ECAM 0xe0000000, segment 0, buses 0-0");
}

static int has(const uint8_t *p, size_t n, const void *needle, size_t k)
{
	return memmem(p, n, needle, k) != NULL;
}

static void test_dsdt(void)
{
	struct acpi_config cfg = { .nr_cpus = 2 };
	static const uint8_t s5[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x08, 0x04,
				      0x0a, 0x05, 0x0a, 0x05, 0x00, 0x00 };
	static const uint8_t hid[] = { 0x08, '_', 'H', 'I', 'D', 0x0c, 0x41, 0xd0, 0x0a, 0x08 };
	static const uint8_t cid[] = { 0x08, '_', 'C', 'I', 'D', 0x0c, 0x41, 0xd0, 0x0a, 0x03 };
	static const uint8_t mmio[] = { 0x87, 0x17, 0x00, 0x00, 0x0c, 0x01, 0, 0, 0, 0,
					0, 0, 0, 0xc0, 0xff, 0xff, 0xff, 0xdf };
	static const uint8_t ecam[] = { 0x86, 0x09, 0x00, 0x01, 0, 0, 0, 0xe0, 0, 0, 0x10, 0 };
	static const uint8_t bus[] = { 0x88, 0x0d, 0x00, 0x02, 0x0c, 0x00, 0, 0, 0, 0, 0, 0,
				       0, 0, 1, 0 };
	uint8_t *d;
	size_t n;

	build(&cfg);
	d = find("DSDT");
	if (!tap_ok(d && d[8] == 2, "DSDT present, revision 2"))
		return;
	n = g32(d + 4);
	tap_ok(has(d, n, s5, sizeof(s5)), "\\_S5 = Package { 5, 5, 0, 0 } (ACPI_SLP_TYP_S5)");
	tap_ok(ACPI_SLP_TYP_S5 == 5, "ACPI_SLP_TYP_S5 is 5");
	tap_ok(has(d, n, "\x5b\x82", 2) && has(d, n, "PCI0", 4), "Device (PCI0)");
	tap_ok(has(d, n, hid, sizeof(hid)) && has(d, n, cid, sizeof(cid)),
	       "PCI0 _HID PNP0A08, _CID PNP0A03");
	tap_ok(has(d, n, "\x08_SEG\x00", 6) && has(d, n, "\x08_BBN\x00", 6) &&
	       has(d, n, "\x08_UID\x00", 6), "_SEG, _BBN, _UID 0");
	tap_ok(has(d, n, bus, sizeof(bus)), "_CRS bus 0-0");
	tap_ok(has(d, n, mmio, sizeof(mmio)), "_CRS memory window 0xc0000000-0xdfffffff");
	tap_ok(has(d, n, ecam, sizeof(ecam)) && has(d, n, "\x0c\x41\xd0\x0c\x02", 5),
	       "PNP0C02 reserving the ECAM window");
	tap_ok(!has(d, n, "COM1", 4) && !has(d, n, "_PRT", 4) && !has(d, n, "FWCF", 4),
	       "no COM1, no _PRT, no fw_cfg unless asked");

	cfg.com1 = true;
	cfg.pci_intx_gsi_base = 16;
	build(&cfg);
	d = find("DSDT");
	n = g32(d + 4);
	tap_ok(has(d, n, "COM1", 4) && has(d, n, "\x0c\x41\xd0\x05\x01", 5) &&
	       has(d, n, "\x47\x01\xf8\x03\xf8\x03\x08\x08\x22\x10\x00", 11),
	       "COM1: PNP0501, I/O 0x3f8, IRQ 4");
	/* Slot 3 INTB -> GSI 16 + (3 + 1) % 4 = 16. */
	tap_ok(has(d, n, "_PRT\x12", 5) &&
	       has(d, n, "\x12\x0b\x04\x0c\xff\xff\x03\x00\x01\x00\x0a\x10", 12),
	       "_PRT: 128 entries; slot 3 INTB -> GSI 16");
	tap_ok(has(d, n, "\x12\x0c\x04\x0c\xff\xff\x03\x00\x0a\x02\x00\x0a\x11", 13),
	       "_PRT: slot 3 INTC -> GSI 17");

	cfg.fw_cfg = true;
	build(&cfg);
	d = find("DSDT");
	n = g32(d + 4);
	tap_ok(has(d, n, "\x5b\x82", 2) && has(d, n, "FWCF", 4) &&
	       has(d, n, "\x08_HID\x0dQEMU0002\x00", 15),
	       "fw_cfg: Device (FWCF), _HID \"QEMU0002\" (a string, as QEMU's)");
	tap_ok(has(d, n, "\x08_STA\x0a\x0b", 7), "fw_cfg: _STA 0x0b (not shown in the UI)");
	tap_ok(has(d, n, "\x47\x01\x10\x05\x10\x05\x01\x0c", 8),
	       "fw_cfg: _CRS I/O 0x510, 12 ports (0x510-0x51b)");
	tap_ok(!has(d, n, "KBD_", 4) && !has(d, n, "MOU_", 4), "no PS/2 devices unless asked");

	cfg.ps2 = true;
	build(&cfg);
	d = find("DSDT");
	n = g32(d + 4);
	tap_ok(has(d, n, "KBD_", 4) && has(d, n, "\x08_HID\x0c\x41\xd0\x03\x03", 9) &&
	       has(d, n, "\x47\x01\x60\x00\x60\x00\x01\x01\x47\x01\x64\x00\x64\x00\x01\x01"
		      "\x22\x02\x00", 19), "PS/2: KBD_ PNP0303, I/O 0x60 and 0x64, IRQ 1");
	tap_ok(has(d, n, "MOU_", 4) && has(d, n, "\x08_HID\x0c\x41\xd0\x0f\x13", 9) &&
	       has(d, n, "\x22\x00\x10", 3), "PS/2: MOU_ PNP0F13, IRQ 12");
}

/* A firmware's places (a Q35's PMBASE, PCIEXBAR, BAR window) instead of memmap.h's. */
static void test_overrides(void)
{
	struct acpi_config cfg = {
		.nr_cpus = 1, .pm_base = 0xb000, .ecam_base = 0xb0000000ull,
		.pci_mmio_base = 0xc0000000u, .pci_mmio_size = 0x3ec00000u,
	};
	static const uint8_t ecam[] = { 0x86, 0x09, 0x00, 0x01, 0, 0, 0, 0xb0, 0, 0, 0x10, 0 };
	static const uint8_t mmio[] = { 0x87, 0x17, 0x00, 0x00, 0x0c, 0x01, 0, 0, 0, 0,
					0, 0, 0, 0xc0, 0xff, 0xff, 0xbf, 0xfe };
	uint8_t *f, *m, *d;
	uint64_t rsdp;

	tap_ok(build(&cfg) == 0, "acpi_build with PMBASE 0xb000, ECAM 0xb0000000, window to 0xfebfffff");
	f = find("FACP");
	tap_ok(f && g32(f + 56) == 0xb000 && g32(f + 64) == 0xb004 && g32(f + 76) == 0xb008 &&
	       g64(f + 148 + 4) == 0xb000 && g64(f + 172 + 4) == 0xb004 &&
	       g64(f + 208 + 4) == 0xb008 && g64(f + 120) == 0xb00c,
	       "FADT: PM1a event/control, timer and reset register at PMBASE + 0/4/8/0xc");
	m = find("MCFG");
	tap_ok(m && g64(m + 44) == 0xb0000000ull, "MCFG: ECAM at 0xb0000000");
	d = find("DSDT");
	tap_ok(d && has(d, g32(d + 4), ecam, sizeof(ecam)), "DSDT: MRES reserves 0xb0000000");
	tap_ok(d && has(d, g32(d + 4), mmio, sizeof(mmio)), "DSDT: PCI0 window 0xc0000000-0xfebfffff");
	cfg.ecam_base = 0xb0001000ull;
	tap_ok(acpi_build(ram, RAM_SIZE, &cfg, &rsdp) == -EINVAL, "an ECAM not 1 MiB aligned: -EINVAL");
	cfg.ecam_base = 0;
	cfg.pm_base = 0xfff8;
	tap_ok(acpi_build(ram, RAM_SIZE, &cfg, &rsdp) == -EINVAL, "an ACPI block past port 0xffff: -EINVAL");
	cfg.pm_base = 0;
	cfg.pci_mmio_size = 0;
	tap_ok(acpi_build(ram, RAM_SIZE, &cfg, &rsdp) == -EINVAL, "a window base without a size: -EINVAL");
	cfg.pci_mmio_size = 0x40000001u;
	tap_ok(acpi_build(ram, RAM_SIZE, &cfg, &rsdp) == -EINVAL, "a window past 4 GiB: -EINVAL");
}

static void test_errors(void)
{
	struct acpi_config cfg = { .nr_cpus = 1 };
	uint32_t dup[2] = { 3, 3 }, bad[1] = { 0xffffffff };
	uint64_t rsdp;

	tap_ok(acpi_build(NULL, RAM_SIZE, &cfg, &rsdp) == -EINVAL, "NULL ram: -EINVAL");
	tap_ok(acpi_build(ram, RAM_SIZE, NULL, &rsdp) == -EINVAL, "NULL cfg: -EINVAL");
	tap_ok(acpi_build(ram, RAM_SIZE, &cfg, NULL) == -EINVAL, "NULL rsdp_addr: -EINVAL");
	tap_ok(acpi_build(ram, RAM_SIZE - 1, &cfg, &rsdp) == -ERANGE, "RAM below 1 MiB: -ERANGE");
	tap_ok(acpi_build(ram, 0xe0000, &cfg, &rsdp) == -ERANGE, "RAM ending at 0xe0000: -ERANGE");
	cfg.nr_cpus = 0;
	tap_ok(acpi_build(ram, RAM_SIZE, &cfg, &rsdp) == -EINVAL, "0 CPUs: -EINVAL");
	cfg.nr_cpus = ACPI_MAX_CPUS + 1;
	tap_ok(acpi_build(ram, RAM_SIZE, &cfg, &rsdp) == -E2BIG, "ACPI_MAX_CPUS + 1: -E2BIG");
	cfg.nr_cpus = 2;
	cfg.apic_ids = dup;
	tap_ok(acpi_build(ram, RAM_SIZE, &cfg, &rsdp) == -EINVAL, "duplicate APIC ID: -EINVAL");
	cfg.nr_cpus = 1;
	cfg.apic_ids = bad;
	tap_ok(acpi_build(ram, RAM_SIZE, &cfg, &rsdp) == -EINVAL, "APIC ID 0xffffffff: -EINVAL");
	cfg.apic_ids = NULL;
	cfg.pci_intx_gsi_base = 21;
	tap_ok(acpi_build(ram, RAM_SIZE, &cfg, &rsdp) == -EINVAL, "INTx GSIs past pin 23: -EINVAL");
	cfg.pci_intx_gsi_base = 9;
	tap_ok(acpi_build(ram, RAM_SIZE, &cfg, &rsdp) == -EINVAL, "INTx GSIs on ISA pins: -EINVAL");
}

static void test_iasl(void)
{
	static const char *const sigs[] = { "FACP", "APIC", "MCFG", "DSDT", "FACS" };
	struct acpi_config cfg = {
		.nr_cpus = 255, .com1 = true, .pci_intx_gsi_base = 16, .fw_cfg = true,
		.ps2 = true,
	};
	char dir[] = "/tmp/vmain-acpi-XXXXXX", cmd[512];
	unsigned int i;

	if (system("command -v iasl >/dev/null 2>&1") != 0) {
		tap_ok(0, "iasl not found (Debian package acpica-tools; scripts/deps test)");
		return;
	}
	if (!tap_ok(mkdtemp(dir) != NULL, "temporary directory"))
		return;
	build(&cfg);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		uint8_t *t = find(sigs[i]);

		iasl_check(dir, sigs[i], t, t ? g32(t + 4) : 0);
	}
	if (getenv("ACPI_TEST_KEEP"))
		tap_diag("tables and disassembly kept in %s", dir);
	else {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			tap_diag("could not remove %s", dir);
	}
}

int main(void)
{
	ram = malloc(RAM_SIZE + 1);
	if (!ram)
		return 1;
	ram[RAM_SIZE] = 0xaa;
	test_chain();
	test_fadt();
	test_madt();
	test_mcfg();
	test_dsdt();
	test_overrides();
	test_errors();
	test_iasl();
	free(ram);
	return tap_done();
}
