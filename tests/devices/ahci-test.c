// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ahci-test.c - the ICH9 AHCI controller (monitor/devices/ahci.c) driven
 * the way Linux's ahci driver and SeaBIOS drive it, over the real ATA
 * layer, an in-memory disk whose completions the test holds, and the
 * real I/O loop turned by hand: PCI identity, HBA reset, spin-up and
 * signatures, IDENTIFY (PIO Setup and D2H FISes), READ/WRITE DMA EXT,
 * FPDMA with several tags (Set Device Bits), FLUSH, SET FEATURES 82h/02h
 * reaching the disk's write cache, ATAPI PACKET (INQUIRY, READ(10) by DMA,
 * a CHECK CONDITION), a PRD and a command list outside RAM failing that
 * port only, port stop / COMRESET / HBA reset with I/O in flight, INTx
 * and MSI, save and restore.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wunused-const-variable"
#include "ata-host.h"
#pragma GCC diagnostic pop
#include "le.h"
#include "devices/ahci.h"
#include "devices/atapi.h"
#include "devices/pci.h"
#include "machine/gmem.h"

#define RAM_SIZE	(4u << 20)
#define ABAR		0xc0000000ull
#define DISK_BYTES	(1u << 20)
#define CD_BYTES	(64u << 10)
#define DATA		0x100000ull	/* data buffers */
#define OUTSIDE		0x7fff0000ull	/* not RAM */

static struct gmem mem;
static struct pci_bus bus;
static struct ahci ahci;
static struct fake_disk hd, cd;
static unsigned nmsi, nirq;
static bool irq_level;
static uint8_t devfn;

static void on_msi(void *o, uint64_t addr, uint32_t data)
{
	(void)o;
	(void)addr;
	(void)data;
	nmsi++;
}

static void on_irq(void *o, unsigned gsi, bool level)
{
	(void)o;
	(void)gsi;
	nirq++;
	irq_level = level;
}

static const struct ahci_ops aops = { .lock = dlock, .unlock = dunlock };

/* --- the driver's accesses (with the lock, as a vCPU's exit takes it) --- */

static uint32_t ab_rd(unsigned off)
{
	uint64_t v = 0;

	dlock(NULL);
	pci_mmio(&bus, ABAR + off, 4, false, &v);
	dunlock(NULL);
	return (uint32_t)v;
}

static void ab_wr(unsigned off, uint32_t v)
{
	uint64_t d = v;

	dlock(NULL);
	pci_mmio(&bus, ABAR + off, 4, true, &d);
	dunlock(NULL);
}

static uint32_t cfg_rd(uint32_t reg, unsigned size)
{
	uint32_t v = 0;

	dlock(NULL);
	pci_cfg_access(&bus, devfn, reg, size, false, &v);
	dunlock(NULL);
	return v;
}

static void cfg_wr(uint32_t reg, unsigned size, uint32_t v)
{
	dlock(NULL);
	pci_cfg_access(&bus, devfn, reg, size, true, &v);
	dunlock(NULL);
}

static unsigned preg(unsigned port, unsigned reg)
{
	return AHCI_PORT_BASE + port * AHCI_PORT_SIZE + reg;
}

static uint32_t pr(unsigned port, unsigned reg)
{
	return ab_rd(preg(port, reg));
}

static void pw(unsigned port, unsigned reg, uint32_t v)
{
	ab_wr(preg(port, reg), v);
}

static uint64_t clb_of(unsigned port)
{
	return 0x10000ull + port * 0x1000ull;
}

static uint64_t fb_of(unsigned port)
{
	return clb_of(port) + 0x400;
}

static uint64_t ctba_of(unsigned port, unsigned slot)
{
	return 0x40000ull + port * 0x10000ull + slot * 0x400ull;
}

struct prd {
	uint64_t gpa;
	uint32_t len;
};

/* Command header and table for `slot`: an H2D FIS, an optional CDB, the PRDT. */
static void build(unsigned port, unsigned slot, uint8_t command, uint16_t feature,
		  uint64_t lba, uint16_t count, const uint8_t *cdb,
		  const struct prd *prds, unsigned nprd, bool write)
{
	uint8_t *h = mem.base + clb_of(port) + slot * AHCI_CMDH_SIZE;
	uint8_t *t = mem.base + ctba_of(port, slot);
	unsigned i;

	memset(h, 0, AHCI_CMDH_SIZE);
	memset(t, 0, 0x400);
	put_le(h, 5 | (cdb ? AHCI_CMDH_ATAPI : 0) | (write ? AHCI_CMDH_WRITE : 0) |
	       (uint32_t)nprd << 16, 4);
	put_le(h + 4, 0xdeadbeef, 4);	/* PRDBC: the HBA writes it */
	put_le(h + 8, ctba_of(port, slot), 8);
	t[0] = SATA_FIS_H2D;
	t[1] = 0x80;
	t[2] = command;
	t[3] = (uint8_t)feature;
	t[4] = (uint8_t)lba;
	t[5] = (uint8_t)(lba >> 8);
	t[6] = (uint8_t)(lba >> 16);
	t[7] = ATA_DEV_LBA;
	t[8] = (uint8_t)(lba >> 24);
	t[9] = (uint8_t)(lba >> 32);
	t[10] = (uint8_t)(lba >> 40);
	t[11] = (uint8_t)(feature >> 8);
	t[12] = (uint8_t)count;
	t[13] = (uint8_t)(count >> 8);
	if (cdb)
		memcpy(t + AHCI_CMDT_ACMD, cdb, ATAPI_CDB_LEN);
	for (i = 0; i < nprd; i++) {
		put_le(t + AHCI_CMDT_PRDT + 16 * i, prds[i].gpa, 8);
		put_le(t + AHCI_CMDT_PRDT + 16 * i + 12, prds[i].len - 1, 4);
	}
}

static uint32_t prdbc(unsigned port, unsigned slot)
{
	return (uint32_t)get_le(mem.base + clb_of(port) + slot * AHCI_CMDH_SIZE + 4, 4);
}

/* Issues `mask` and turns the loop until PxCI has none of it, or gives up. */
static uint32_t run(unsigned port, uint32_t mask)
{
	int i;

	pw(port, AHCI_PxCI, mask);
	for (i = 0; i < 20 && (pr(port, AHCI_PxCI) & mask); i++)
		turn();
	return pr(port, AHCI_PxCI) & mask;
}

static void ack(unsigned port)
{
	pw(port, AHCI_PxIS, 0xffffffff);
	ab_wr(AHCI_IS, 0xffffffff);
}

/* Linux ahci_stop_engine() then ahci_start_engine(). */
static void restart(unsigned port)
{
	pw(port, AHCI_PxCMD, pr(port, AHCI_PxCMD) & ~AHCI_PxCMD_ST);
	pw(port, AHCI_PxCMD, pr(port, AHCI_PxCMD) | AHCI_PxCMD_ST);
	ack(port);
}

/* --- the tests ------------------------------------------------------------ */

static void test_identity(void)
{
	tap_ok(cfg_rd(0, 4) == (AHCI_DEVICE << 16 | AHCI_VENDOR), "id 8086:2922");
	tap_ok(cfg_rd(PCI_CLASS_PROG, 1) == 0x01 && cfg_rd(0x0a, 2) == 0x0106,
	       "class 01 06 01 (SATA, AHCI 1.0)");
	tap_ok(cfg_rd(PCI_INTERRUPT_PIN, 1) == 1, "INTA");
	tap_ok(cfg_rd(cfg_rd(PCI_CAPABILITY_LIST, 1), 1) == PCI_CAP_ID_MSI, "MSI capability");
	cfg_wr(PCI_BAR0 + 4 * AHCI_ABAR, 4, 0xffffffff);
	tap_ok(cfg_rd(PCI_BAR0 + 4 * AHCI_ABAR, 4) == (uint32_t)-AHCI_ABAR_SIZE,
	       "ABAR is BAR5, 4 KiB, 32-bit memory");
	cfg_wr(PCI_BAR0 + 4 * AHCI_ABAR, 4, (uint32_t)ABAR);
	cfg_wr(PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
	tap_ok((ab_rd(AHCI_CAP) & 0xcf00ff1f) == 0xc9001f05 && (ab_rd(AHCI_CAP) >> 20 & 0xf) == 1,
	       "CAP %#x: 64-bit, NCQ, SSS, AHCI-only, CLO, 32 slots, 6 ports, Gen 1",
	       ab_rd(AHCI_CAP));
	tap_ok(ab_rd(AHCI_VS) == 0x10300 && ab_rd(AHCI_PI) == 0x3f, "VS 1.3, PI 3Fh");
	tap_ok(ab_rd(AHCI_GHC) == AHCI_GHC_AE && ab_rd(AHCI_CCC_CTL) == 0 &&
	       ab_rd(AHCI_CAP2) == 0, "GHC.AE set; no CCC, CAP2 0");
	ab_wr(AHCI_GHC, 0);
	tap_ok(ab_rd(AHCI_GHC) == AHCI_GHC_AE, "AE stays (CAP.SAM)");
	ab_wr(AHCI_GHC, AHCI_GHC_HR);
	tap_ok(ab_rd(AHCI_GHC) == AHCI_GHC_AE, "HBA reset with nothing in flight: HR clears at once");
	{
		uint64_t v = 0;

		dlock(NULL);
		pci_mmio(&bus, ABAR + AHCI_VS + 1, 1, false, &v);
		dunlock(NULL);
		tap_ok(v == 0x03, "byte read of VS bits 15:8");
	}
}

/* As Linux: CLB/FB, FRE, SUD (spin-up brings the link), IE, ST. */
static void port_up(unsigned port)
{
	pw(port, AHCI_PxCLB, (uint32_t)clb_of(port));
	pw(port, AHCI_PxCLBU, 0);
	pw(port, AHCI_PxFB, (uint32_t)fb_of(port));
	pw(port, AHCI_PxFBU, 0);
	memset(mem.base + fb_of(port), 0, AHCI_RFIS_SIZE);
	pw(port, AHCI_PxCMD, AHCI_PxCMD_FRE | AHCI_PxCMD_POD | AHCI_PxCMD_SUD);
}

static void test_ports(void)
{
	tap_ok(pr(0, AHCI_PxSSTS) == 0 && pr(0, AHCI_PxTFD) == 0x7f &&
	       pr(0, AHCI_PxSIG) == 0xffffffff, "before spin-up: no link, TFD 7Fh, SIG all-ones");
	port_up(0);
	tap_ok(pr(0, AHCI_PxSSTS) == 0x113 && pr(0, AHCI_PxSIG) == 0x00000101 &&
	       pr(0, AHCI_PxTFD) == 0x150, "disk: link up (SSTS 113h), SIG 101h, TFD 150h");
	tap_ok((pr(0, AHCI_PxCMD) & (AHCI_PxCMD_FR | AHCI_PxCMD_FRE)) ==
	       (AHCI_PxCMD_FR | AHCI_PxCMD_FRE), "FRE: FR follows");
	tap_ok(mem.base[fb_of(0) + AHCI_RFIS_RFIS] == SATA_FIS_D2H &&
	       mem.base[fb_of(0) + AHCI_RFIS_RFIS + 2] == 0x50 &&
	       mem.base[fb_of(0) + AHCI_RFIS_RFIS + 12] == 1, "signature D2H FIS received");
	tap_ok(pr(0, AHCI_PxSERR) & AHCI_PxSERR_DIAG_X, "SERR.DIAG.X after the COMINIT");
	pw(0, AHCI_PxSERR, 0xffffffff);
	tap_ok(pr(0, AHCI_PxSERR) == 0, "SERR is write-1-to-clear");
	port_up(1);
	tap_ok(pr(1, AHCI_PxSIG) == 0xeb140101, "CD-ROM: SIG EB140101h (ATAPI)");
	port_up(2);
	tap_ok(pr(2, AHCI_PxSSTS) == 0 && pr(2, AHCI_PxTFD) == 0x7f, "port 2: nothing attached");
	pw(0, AHCI_PxIE, 0xffffffff);
	tap_ok(pr(0, AHCI_PxIE) == AHCI_PxIS_MASK, "IE: implemented bits only");
	pw(1, AHCI_PxIE, 0xffffffff);
	pw(0, AHCI_PxCMD, pr(0, AHCI_PxCMD) | AHCI_PxCMD_ST);
	pw(1, AHCI_PxCMD, pr(1, AHCI_PxCMD) | AHCI_PxCMD_ST | AHCI_PxCMD_ATAPI);
	tap_ok(pr(0, AHCI_PxCMD) & AHCI_PxCMD_CR, "ST: CR set");
	ab_wr(AHCI_GHC, AHCI_GHC_IE);
}

static void test_identify(void)
{
	struct prd p = { DATA, 512 };
	const uint8_t *id = mem.base + DATA;

	memset(mem.base + DATA, 0, 512);
	build(0, 0, 0xec, 0, 0, 0, NULL, &p, 1, false);
	tap_ok(run(0, 1) == 0, "IDENTIFY DEVICE completes: PxCI clear");
	tap_ok(prdbc(0, 0) == 512, "PRDBC 512");
	tap_ok(get_le(id + 120, 4) == DISK_BYTES / 512 && (get_le(id + 152, 2) & 0x100) &&
	       (get_le(id + 166, 2) & 0x400), "IDENTIFY: %u sectors, NCQ, LBA48",
	       (unsigned)get_le(id + 120, 4));
	tap_ok((pr(0, AHCI_PxIS) & (AHCI_PxIS_DHRS | AHCI_PxIS_PSS)) ==
	       (AHCI_PxIS_DHRS | AHCI_PxIS_PSS), "PxIS: DHRS and PSS");
	tap_ok(mem.base[fb_of(0) + AHCI_RFIS_PSFIS] == SATA_FIS_PIO_SETUP &&
	       (mem.base[fb_of(0) + AHCI_RFIS_PSFIS + 1] & 0x20) &&
	       mem.base[fb_of(0) + AHCI_RFIS_PSFIS + 15] == 0x50,
	       "PIO Setup FIS: device to host, E_Status 50h");
	tap_ok((ab_rd(AHCI_IS) & 1) && irq_level, "IS bit 0, INTx asserted");
	pw(0, AHCI_PxIS, AHCI_PxIS_DHRS);
	ab_wr(AHCI_IS, 1);
	tap_ok((ab_rd(AHCI_IS) & 1) && irq_level, "PSS still pending: IS bit 0 stays");
	ack(0);
	tap_ok(!ab_rd(AHCI_IS) && !irq_level, "all acknowledged: INTx deasserted");
	tap_ok(pr(0, AHCI_PxTFD) == 0x50, "TFD 50h");
}

static void test_dma(void)
{
	struct prd w[2] = { { DATA, 1024 }, { DATA + 0x10000, 3072 } };
	struct prd r = { DATA + 0x20000, 4096 };
	unsigned i, ok = 1;

	for (i = 0; i < 1024; i++)
		mem.base[DATA + i] = (uint8_t)(i * 3 + 1);
	for (i = 0; i < 3072; i++)
		mem.base[DATA + 0x10000 + i] = (uint8_t)(i * 5 + 2);
	build(0, 0, 0x35, 0, 10, 8, NULL, w, 2, true);
	tap_ok(run(0, 1) == 0 && prdbc(0, 0) == 4096 && pr(0, AHCI_PxTFD) == 0x50,
	       "WRITE DMA EXT, 8 sectors from two PRDs");
	tap_ok(!memcmp(hd.data + 10 * 512, mem.base + DATA, 1024) &&
	       !memcmp(hd.data + 10 * 512 + 1024, mem.base + DATA + 0x10000, 3072),
	       "the disk holds both buffers at LBA 10");
	tap_ok(pr(0, AHCI_PxIS) == AHCI_PxIS_DHRS, "DMA: a D2H FIS only");
	ack(0);
	build(0, 3, 0x25, 0, 10, 8, NULL, &r, 1, false);
	tap_ok(run(0, 1u << 3) == 0 && prdbc(0, 3) == 4096, "READ DMA EXT in slot 3");
	for (i = 0; i < 4096; i++)
		ok &= mem.base[DATA + 0x20000 + i] == hd.data[10 * 512 + i];
	tap_ok(ok, "read back what was written");
	ack(0);
	i = hd.nflush;
	build(0, 0, 0xe7, 0, 0, 0, NULL, NULL, 0, false);
	tap_ok(run(0, 1) == 0 && hd.nflush == i + 1, "FLUSH CACHE reaches the disk");
	ack(0);
	build(0, 0, 0xef, 0x82, 0, 0, NULL, NULL, 0, false);
	tap_ok(run(0, 1) == 0 && pr(0, AHCI_PxTFD) == 0x50, "SET FEATURES 82h");
	turn();
	tap_ok(!disk_writeback(&hd.d), "write cache off reaches the disk stack");
	build(0, 0, 0xef, 0x02, 0, 0, NULL, NULL, 0, false);
	run(0, 1);
	turn();
	tap_ok(disk_writeback(&hd.d), "SET FEATURES 02h: write cache on again");
	ack(0);
}

static void test_ncq(void)
{
	struct prd p[4];
	unsigned t, ok = 1;
	uint32_t sdb;

	for (t = 0; t < 4; t++) {
		p[t].gpa = DATA + 0x40000 + t * 0x1000;
		p[t].len = 1024;
		memset(mem.base + p[t].gpa, 0xa0 + t, 1024);
		/* WRITE FPDMA QUEUED: count is the tag << 3, sectors in the feature. */
		build(0, t, 0x61, 2, 100 + 4 * t, (uint16_t)(t << 3), NULL, &p[t], 1, true);
	}
	hd.hold = true;
	pw(0, AHCI_PxSACT, 0xf);
	pw(0, AHCI_PxCI, 0xf);
	turn();
	tap_ok(pr(0, AHCI_PxCI) == 0 && pr(0, AHCI_PxSACT) == 0xf && hd.nheld == 4,
	       "4 queued writes: PxCI clears at once, PxSACT holds tags 0-3, all on the disk");
	fake_release_one(&hd, 2);
	turn();
	tap_ok(pr(0, AHCI_PxSACT) == 0xb && (pr(0, AHCI_PxIS) & AHCI_PxIS_SDBS),
	       "tag 2 done first: SACT Bh, SDBS");
	sdb = (uint32_t)get_le(mem.base + fb_of(0) + AHCI_RFIS_SDBFIS + 4, 4);
	tap_ok(mem.base[fb_of(0) + AHCI_RFIS_SDBFIS] == SATA_FIS_SDB && sdb == 4,
	       "Set Device Bits FIS for tag 2");
	hd.hold = false;
	fake_release_one(&hd, 0);
	while (hd.nheld)
		fake_release_one(&hd, 0);
	turn();
	tap_ok(pr(0, AHCI_PxSACT) == 0 && pr(0, AHCI_PxTFD) == 0x50, "all tags done");
	for (t = 0; t < 4; t++)
		ok &= !memcmp(hd.data + (100 + 4 * t) * 512, mem.base + p[t].gpa, 1024);
	tap_ok(ok, "each tag's data at its LBA");
	ack(0);
	for (t = 0; t < 4; t++) {
		memset(mem.base + p[t].gpa, 0, 1024);
		build(0, t + 4, 0x60, 2, 100 + 4 * t, (uint16_t)((t + 4) << 3), NULL, &p[t], 1, false);
	}
	pw(0, AHCI_PxSACT, 0xf0);
	pw(0, AHCI_PxCI, 0xf0);
	turn();
	ok = pr(0, AHCI_PxSACT) == 0;
	for (t = 0; t < 4; t++)
		ok &= mem.base[p[t].gpa] == 0xa0 + t && mem.base[p[t].gpa + 1023] == 0xa0 + t;
	tap_ok(ok, "READ FPDMA QUEUED tags 4-7 read them back");
	ack(0);
	/* Tag 9 in slot 8: the drive refuses (the slot must be the tag). */
	build(0, 8, 0x60, 1, 0, 9 << 3, NULL, &p[0], 1, false);
	pw(0, AHCI_PxSACT, 1u << 8);
	pw(0, AHCI_PxCI, 1u << 8);
	turn();
	tap_ok((pr(0, AHCI_PxIS) & AHCI_PxIS_TFES) && (pr(0, AHCI_PxTFD) & ATA_STAT_ERR),
	       "tag not the slot: task-file error");
	restart(0);
	tap_ok(pr(0, AHCI_PxSACT) == 0 && pr(0, AHCI_PxCI) == 0, "restart: SACT and CI clear");
}

static void test_atapi(void)
{
	static const uint8_t inquiry[12] = { 0x12, 0, 0, 0, 36, 0 };
	static const uint8_t read10[12] = { 0x28, 0, 0, 0, 0, 3, 0, 0, 2, 0 };
	static const uint8_t tur[12] = { 0 };
	struct prd p = { DATA + 0x60000, 4096 };
	int i;

	build(1, 0, 0xa0, 0, 0, 0, inquiry, &p, 1, false);
	tap_ok(run(1, 1) == 0 && prdbc(1, 0) == 36, "PACKET INQUIRY: 36 bytes");
	tap_ok((mem.base[p.gpa] & 0x1f) == 5 && (mem.base[p.gpa + 1] & 0x80),
	       "peripheral type 05h (CD/DVD), removable");
	ack(1);
	/* The first command that needs the medium may see UNIT ATTENTION: retry once. */
	for (i = 0; i < 2; i++) {
		build(1, 0, 0xa0, 1, 0, 0, read10, &p, 1, false);
		run(1, 1);
		if (!(pr(1, AHCI_PxIS) & AHCI_PxIS_TFES))
			break;
		restart(1);
	}
	tap_ok(pr(1, AHCI_PxCI) == 0 && prdbc(1, 0) == 4096 &&
	       !memcmp(mem.base + p.gpa, cd.data + 3 * 2048, 4096),
	       "READ(10) by DMA: blocks 3-4 of the disc");
	ack(1);
	/* An empty tray: TEST UNIT READY fails with NOT READY in the error register. */
	tap_ok(atapi_eject(ahci_drive(&ahci, 1)) == 0, "disc ejected");
	turn();
	for (i = 0; i < 3; i++) {
		build(1, 0, 0xa0, 0, 0, 0, tur, NULL, 0, false);
		run(1, 1);
		if ((pr(1, AHCI_PxTFD) >> 12) == 2)
			break;
		restart(1);
	}
	tap_ok((pr(1, AHCI_PxIS) & AHCI_PxIS_TFES) && (pr(1, AHCI_PxTFD) & ATA_STAT_ERR) &&
	       (pr(1, AHCI_PxTFD) >> 12) == 2 && pr(1, AHCI_PxCI) == 1,
	       "CHECK CONDITION: TFES, sense key 2 in the error register, PxCI keeps the slot");
	tap_ok(mem.base[fb_of(1) + AHCI_RFIS_RFIS + 3] >> 4 == 2, "the D2H FIS carries it too");
	restart(1);
}

/* Guest addresses outside RAM fail the command and the port, never more (6.1.2). */
static void test_bad_memory(void)
{
	struct prd p[2] = { { DATA, 512 }, { OUTSIDE, 512 } };
	unsigned n = hd.nsubmit;

	build(0, 0, 0x25, 0, 0, 2, NULL, p, 2, false);
	pw(0, AHCI_PxCI, 1);
	turn();
	tap_ok((pr(0, AHCI_PxIS) & (AHCI_PxIS_TFES | AHCI_PxIS_HBDS)) ==
	       (AHCI_PxIS_TFES | AHCI_PxIS_HBDS) && pr(0, AHCI_PxTFD) == 0x441 &&
	       pr(0, AHCI_PxCI) == 1 && hd.nsubmit == n,
	       "PRD outside RAM: TFES|HBDS, TFD ERR/ABRT, PxCI kept, nothing reached the disk");
	build(0, 1, 0xec, 0, 0, 0, NULL, p, 1, false);
	pw(0, AHCI_PxCI, 2);
	turn();
	tap_ok(pr(0, AHCI_PxCI) == 3, "after a fatal error the port issues nothing more");
	restart(0);
	tap_ok(pr(0, AHCI_PxCI) == 0 && run(0, 2) == 0 && pr(0, AHCI_PxTFD) == 0x50, "ST cleared and set: the port works again");
	ack(0);
	/* A 4 MiB + 1 byte PRD cannot be said: DBC is 22 bits; 4 MiB whole is past RAM here. */
	p[0].len = 4u << 20;
	build(0, 0, 0x25, 0, 0, 8, NULL, p, 1, false);
	pw(0, AHCI_PxCI, 1);
	turn();
	tap_ok((pr(0, AHCI_PxIS) & AHCI_PxIS_HBDS) && hd.nsubmit == n,
	       "a 4 MiB PRD running past RAM: HBDS");
	restart(0);
	/* The table itself outside RAM. */
	put_le(mem.base + clb_of(0) + 8, OUTSIDE, 8);
	pw(0, AHCI_PxCI, 1);
	turn();
	tap_ok((pr(0, AHCI_PxIS) & (AHCI_PxIS_TFES | AHCI_PxIS_HBFS)) ==
	       (AHCI_PxIS_TFES | AHCI_PxIS_HBFS), "command table outside RAM: HBFS");
	restart(0);
	/* The command list outside RAM. */
	pw(0, AHCI_PxCMD, pr(0, AHCI_PxCMD) & ~AHCI_PxCMD_ST);
	pw(0, AHCI_PxCLB, (uint32_t)OUTSIDE);
	pw(0, AHCI_PxCMD, pr(0, AHCI_PxCMD) | AHCI_PxCMD_ST);
	pw(0, AHCI_PxCI, 1);
	turn();
	tap_ok((pr(0, AHCI_PxIS) & AHCI_PxIS_HBFS) && (pr(1, AHCI_PxIS) & AHCI_PxIS_HBFS) == 0,
	       "command list outside RAM: HBFS on that port only");
	pw(0, AHCI_PxCMD, pr(0, AHCI_PxCMD) & ~AHCI_PxCMD_ST);
	pw(0, AHCI_PxCLBU, 0x12345678);
	pw(0, AHCI_PxCMD, pr(0, AHCI_PxCMD) | AHCI_PxCMD_ST);
	pw(0, AHCI_PxCI, 1);
	turn();
	tap_ok(pr(0, AHCI_PxIS) & AHCI_PxIS_HBFS, "a 64-bit command list address past RAM: HBFS");
	pw(0, AHCI_PxCMD, pr(0, AHCI_PxCMD) & ~AHCI_PxCMD_ST);
	pw(0, AHCI_PxCLBU, 0);
	pw(0, AHCI_PxCLB, (uint32_t)clb_of(0));
	pw(0, AHCI_PxCMD, pr(0, AHCI_PxCMD) | AHCI_PxCMD_ST);
	ack(0);
	p[0].len = 512;
	build(0, 0, 0xec, 0, 0, 0, NULL, p, 1, false);
	tap_ok(run(0, 1) == 0 && pr(0, AHCI_PxTFD) == 0x50, "and IDENTIFY works after it");
	ack(0);
}

/* Software reset (AHCI 10.4.1) as ahci_do_softreset(): SRST set, then clear. */
static void test_softreset(void)
{
	uint8_t *t;

	build(0, 0, 0, 0, 0, 0, NULL, NULL, 0, false);
	t = mem.base + ctba_of(0, 0);
	t[1] = 0;		/* C clear: a control FIS */
	t[15] = 0x04;		/* SRST */
	put_le(mem.base + clb_of(0), 5 | AHCI_CMDH_CLR_BUSY | 1u << 8, 4);
	tap_ok(run(0, 1) == 0, "SRST FIS: PxCI clears");
	memset(mem.base + fb_of(0) + AHCI_RFIS_RFIS, 0, 20);
	t[15] = 0;
	tap_ok(run(0, 1) == 0 && pr(0, AHCI_PxTFD) == 0x150 && pr(0, AHCI_PxSIG) == 0x101 &&
	       mem.base[fb_of(0) + AHCI_RFIS_RFIS] == SATA_FIS_D2H,
	       "SRST released: the signature in PxSIG, PxTFD and a D2H FIS");
	ack(0);
}

/* Resets with a request on the host (ata.h "Reset and abort"). */
static void test_reset_inflight(void)
{
	struct prd p = { DATA, 4096 };

	hd.hold = true;
	build(0, 0, 0x25, 0, 0, 8, NULL, &p, 1, false);
	pw(0, AHCI_PxCI, 1);
	turn();
	tap_ok(hd.nheld == 1 && pr(0, AHCI_PxCI) == 1, "a read on the host");
	pw(0, AHCI_PxCMD, pr(0, AHCI_PxCMD) & ~AHCI_PxCMD_ST);
	tap_ok(pr(0, AHCI_PxCI) == 0 && (pr(0, AHCI_PxCMD) & AHCI_PxCMD_CR),
	       "ST cleared: PxCI clears, CR stays while the read is on the host");
	hd.hold = false;
	fake_release_one(&hd, 0);
	turn();
	tap_ok(!(pr(0, AHCI_PxCMD) & AHCI_PxCMD_CR) && prdbc(0, 0) == 0xdeadbeef &&
	       !(pr(0, AHCI_PxIS) & AHCI_PxIS_DHRS), "done: CR clears, no completion for it");
	/* COMRESET with a read in flight. */
	pw(0, AHCI_PxCMD, pr(0, AHCI_PxCMD) | AHCI_PxCMD_ST);
	hd.hold = true;
	pw(0, AHCI_PxCI, 1);
	turn();
	pw(0, AHCI_PxCMD, pr(0, AHCI_PxCMD) & ~AHCI_PxCMD_ST);
	pw(0, AHCI_PxSCTL, 0x301);
	tap_ok(pr(0, AHCI_PxSSTS) == 0 && pr(0, AHCI_PxTFD) == 0x80, "COMRESET held: no link, BSY");
	pw(0, AHCI_PxSCTL, 0x300);
	tap_ok(pr(0, AHCI_PxSSTS) == 0x113 && pr(0, AHCI_PxTFD) == 0x80,
	       "released: link up, BSY while the read is on the host");
	hd.hold = false;
	fake_release_one(&hd, 0);
	turn();
	tap_ok(pr(0, AHCI_PxTFD) == 0x150 && pr(0, AHCI_PxSIG) == 0x101 &&
	       !(pr(0, AHCI_PxCMD) & AHCI_PxCMD_CR), "then the signature; CR clear");
	pw(0, AHCI_PxSERR, 0xffffffff);
	/* HBA reset with NCQ writes in flight. */
	pw(0, AHCI_PxCMD, pr(0, AHCI_PxCMD) | AHCI_PxCMD_ST);
	build(0, 0, 0x61, 1, 0, 0 << 3, NULL, &p, 1, true);
	build(0, 1, 0x61, 1, 1, 1 << 3, NULL, &p, 1, true);
	hd.hold = true;
	pw(0, AHCI_PxSACT, 3);
	pw(0, AHCI_PxCI, 3);
	turn();
	ab_wr(AHCI_GHC, AHCI_GHC_HR | AHCI_GHC_IE);
	tap_ok(hd.nheld == 2 && (ab_rd(AHCI_GHC) & AHCI_GHC_HR) && !(ab_rd(AHCI_GHC) & AHCI_GHC_IE) &&
	       pr(0, AHCI_PxSACT) == 0 && pr(0, AHCI_PxCLB) == 0,
	       "GHC.HR with 2 queued writes on the host: HR stays, registers reset");
	hd.hold = false;
	fake_release_one(&hd, 0);
	fake_release_one(&hd, 0);
	turn();
	tap_ok(ab_rd(AHCI_GHC) == AHCI_GHC_AE && pr(0, AHCI_PxSSTS) == 0 && !irq_level,
	       "both done: HR clears; links down until spin-up");
	port_up(0);
	port_up(1);
	pw(0, AHCI_PxIE, 0xffffffff);
	pw(1, AHCI_PxIE, 0xffffffff);
	pw(0, AHCI_PxCMD, pr(0, AHCI_PxCMD) | AHCI_PxCMD_ST);
	pw(1, AHCI_PxCMD, pr(1, AHCI_PxCMD) | AHCI_PxCMD_ST | AHCI_PxCMD_ATAPI);
	ab_wr(AHCI_GHC, AHCI_GHC_IE);
	p.len = 512;
	build(0, 0, 0xec, 0, 0, 0, NULL, &p, 1, false);
	tap_ok(run(0, 1) == 0 && pr(0, AHCI_PxTFD) == 0x50 && irq_level,
	       "after the HBA reset the port works");
	ack(0);
}

static void test_msi(void)
{
	uint8_t cap = (uint8_t)cfg_rd(PCI_CAPABILITY_LIST, 1);
	struct prd p = { DATA, 512 };

	cfg_wr(cap + PCI_MSI_ADDR_LO, 4, 0xfee00000u);
	cfg_wr(cap + PCI_MSI_DATA_64, 2, 0x41);
	cfg_wr(cap + PCI_MSI_FLAGS, 2, PCI_MSI_FLAGS_ENABLE);
	nmsi = 0;
	build(0, 0, 0xec, 0, 0, 0, NULL, &p, 1, false);
	run(0, 1);
	tap_ok(nmsi == 1 && !irq_level, "MSI: one message per completion, INTx stays low");
	build(0, 0, 0xe7, 0, 0, 0, NULL, NULL, 0, false);
	run(0, 1);
	tap_ok(nmsi == 2, "a completion while IS is still set: another message");
	ack(0);
	cfg_wr(cap + PCI_MSI_FLAGS, 2, 0);
	build(0, 0, 0xe7, 0, 0, 0, NULL, NULL, 0, false);
	run(0, 1);
	tap_ok(nmsi == 2 && irq_level, "MSI off: INTx again");
	ack(0);
}

/* Stop, save, load into a controller built the same way, compare, use it. */
static void test_save_restore(void)
{
	static struct ahci b;
	static struct fake_disk hd2, cd2;
	struct pci_bus bus2;
	struct state_writer w;
	struct state_reader r;
	const uint8_t *buf;
	struct ata_drive_config c;
	static const struct pci_bus_ops ops = { .msi = on_msi, .set_irq = on_irq };
	struct prd p = { DATA, 512 };
	size_t len;
	unsigned regs[] = { AHCI_PxCLB, AHCI_PxFB, AHCI_PxIE, AHCI_PxCMD, AHCI_PxTFD,
			    AHCI_PxSIG, AHCI_PxSSTS, AHCI_PxSCTL, AHCI_PxCI };
	unsigned i, port, same = 1;
	int err, ret;

	/* A command the guest issued while the drive was busy is state too. */
	hd.hold = true;
	build(0, 0, 0x25, 0, 0, 1, NULL, &p, 1, false);
	pw(0, AHCI_PxCI, 1);
	turn();
	state_writer_init(&w);
	tap_ok(ahci_save(&ahci, &w) == -EBUSY, "save with a command on the host: -EBUSY");
	hd.hold = false;
	fake_release_one(&hd, 0);
	turn();
	ack(0);
	ahci_stop(&ahci);
	build(0, 1, 0xe7, 0, 0, 0, NULL, NULL, 0, false);
	pw(0, AHCI_PxCI, 2);
	turn();
	tap_ok(pr(0, AHCI_PxCI) == 2, "stopped: an issued command waits");
	state_writer_free(&w);
	state_writer_init(&w);
	ret = ahci_save(&ahci, &w);
	buf = state_writer_data(&w, &len, &err);
	tap_ok(ret == 0 && buf, "saved (%zu bytes)", len);

	pci_bus_init(&bus2, &ops, NULL);
	fake_init(&hd2, DISK_BYTES, false, true);
	fake_init(&cd2, CD_BYTES, true, false);
	memcpy(hd2.data, hd.data, DISK_BYTES);
	ret = ahci_init(&b, &mem, &aops, NULL, &bus2, devfn >> 3, devfn & 7);
	c = (struct ata_drive_config){ .kind = ATA_KIND_DISK, .disk = &hd2.d, .loop = loop };
	ahci_attach(&b, 0, &c);
	c = (struct ata_drive_config){ .kind = ATA_KIND_CDROM, .disk = &cd2.d, .loop = loop };
	ahci_attach(&b, 1, &c);
	state_reader_init(&r, buf, len);
	dlock(NULL);
	ret = ahci_load(&b, &r);
	dunlock(NULL);
	tap_ok(ret == 0 && state_reader_at_end(&r), "loaded: %d %s", ret, state_reader_msg(&r));
	for (port = 0; port < 2; port++)
		for (i = 0; i < sizeof(regs) / sizeof(regs[0]); i++) {
			uint64_t v = 0;

			dlock(NULL);
			pci_mmio(&bus2, ABAR + preg(port, regs[i]), 4, false, &v);
			dunlock(NULL);
			/* The restored port issued the pending FLUSH: BSY. */
			if (regs[i] == AHCI_PxTFD)
				v &= ~(uint64_t)ATA_STAT_BSY;
			if ((uint32_t)v != pr(port, regs[i])) {
				tap_diag("port %u reg %#x: %#x, saved %#x", port, regs[i],
					 (unsigned)v, pr(port, regs[i]));
				same = 0;
			}
		}
	tap_ok(same, "port registers and the BAR address restored");
	turn();
	{
		uint64_t v = 0;

		dlock(NULL);
		pci_mmio(&bus2, ABAR + preg(0, AHCI_PxCI), 4, false, &v);
		dunlock(NULL);
		tap_ok(v == 0 && hd2.nflush == 1, "the pending FLUSH ran on the restored controller");
	}
	/* Another device's section is refused. */
	state_reader_init(&r, buf, len);
	b.pci.devfn ^= 1;
	dlock(NULL);
	ret = ahci_load(&b, &r);
	dunlock(NULL);
	b.pci.devfn ^= 1;
	tap_ok(ret == -ENOENT, "another devfn: -ENOENT");
	state_writer_free(&w);
	ahci_destroy(&b);
	fake_fini(&hd2);
	fake_fini(&cd2);
}

int main(void)
{
	static const struct pci_bus_ops ops = { .msi = on_msi, .set_irq = on_irq };
	struct ata_drive_config c;
	int ret;

	mem.size = RAM_SIZE;
	mem.base = aligned_alloc(4096, RAM_SIZE);
	memset(mem.base, 0, RAM_SIZE);
	pci_bus_init(&bus, &ops, NULL);
	if (ioloop_create(&loop)) {
		tap_ok(0, "ioloop_create");
		return tap_done();
	}
	fake_init(&hd, DISK_BYTES, false, true);
	fake_init(&cd, CD_BYTES, true, false);
	ret = ahci_init(&ahci, &mem, &aops, NULL, &bus, 31, 2);
	tap_ok(ret == PCI_DEVFN(31, 2), "AHCI at 00:1f.2");
	devfn = (uint8_t)ret;
	c = (struct ata_drive_config){ .kind = ATA_KIND_DISK, .disk = &hd.d, .loop = loop,
				       .serial = "AHCI-TEST-1" };
	tap_ok(ahci_attach(&ahci, 0, &c) == 0, "disk on port 0");
	tap_ok(ahci_attach(&ahci, 0, &c) == -EINVAL && ahci_attach(&ahci, 6, &c) == -EINVAL,
	       "port taken, port 6: -EINVAL");
	c = (struct ata_drive_config){ .kind = ATA_KIND_CDROM, .disk = &cd.d, .loop = loop };
	tap_ok(ahci_attach(&ahci, 1, &c) == 0, "CD-ROM on port 1");
	turn();
	test_identity();
	test_ports();
	test_identify();
	test_dma();
	test_ncq();
	test_atapi();
	test_bad_memory();
	test_softreset();
	test_reset_inflight();
	test_msi();
	test_save_restore();
	ahci_destroy(&ahci);
	fake_fini(&hd);
	fake_fini(&cd);
	ioloop_destroy(loop);
	free(mem.base);
	return tap_done();
}
