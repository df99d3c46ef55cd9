// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ide-test.c - the PIIX3 IDE controller (monitor/devices/ide.c) driven
 * through the port bus the way Linux's ata_piix and SeaBIOS's ata.c drive
 * it, over the real ATA layer, an in-memory disk and CD whose completions
 * the test holds, and the real I/O loop turned by hand: PCI identity,
 * signatures and the absent slave, IDENTIFY and READ/WRITE SECTORS by PIO
 * (16- and 32-bit data accesses), LBA48 with the HOB bytes, READ/WRITE DMA
 * through the bus master, a PRD outside RAM, ATAPI PACKET by PIO (the CDB
 * phase, interrupt reason, byte count) and by DMA, nIEN, SRST with a read
 * on the host, IDE decode off, save and restore in the middle of a PIO
 * transfer.
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
#include "devices/ide.h"
#include "devices/pci.h"
#include "devices/pio.h"
#include "machine/gmem.h"

#define RAM_SIZE	(4u << 20)
#define BM_PORT		0xc000
#define DISK_BYTES	(1u << 20)
#define CD_BYTES	(64u << 10)
#define PRDT		0x8000ull
#define DATA		0x100000ull
#define OUTSIDE		0x7fff0000u

static struct gmem mem;
static struct pci_bus bus;
static struct pio_bus pio;
static struct ide ide;
static struct fake_disk hd, cd;
static bool irq[16];
static unsigned nirq;
static uint8_t devfn;

static void on_irq(void *o, unsigned n, bool level)
{
	(void)o;
	if (n < 16)
		irq[n] = level;
	nirq++;
}

static const struct pci_bus_ops no_bus_ops;
static const struct ide_ops iops = { .lock = dlock, .unlock = dunlock, .set_irq = on_irq };

/* --- the driver's accesses, with the lock as a vCPU's exit holds it --- */

static uint32_t in(uint16_t port, unsigned size)
{
	uint32_t v = 0;

	dlock(NULL);
	if (pio_bus_dispatch(&pio, port, size, false, &v) == PIO_UNCLAIMED)
		pci_pio(&bus, port, size, false, &v);
	dunlock(NULL);
	return v;
}

static void out(uint16_t port, unsigned size, uint32_t v)
{
	dlock(NULL);
	if (pio_bus_dispatch(&pio, port, size, true, &v) == PIO_UNCLAIMED)
		pci_pio(&bus, port, size, true, &v);
	dunlock(NULL);
}

static uint32_t cfg_rd(uint32_t reg, unsigned size)
{
	uint32_t v = 0;

	pci_cfg_access(&bus, devfn, reg, size, false, &v);
	return v;
}

static void cfg_wr(uint32_t reg, unsigned size, uint32_t v)
{
	pci_cfg_access(&bus, devfn, reg, size, true, &v);
}

static const uint16_t base[2] = { 0x1f0, 0x170 };
static const uint16_t ctl[2] = { 0x3f6, 0x376 };

static uint8_t rd(unsigned c, unsigned reg)
{
	return (uint8_t)in((uint16_t)(base[c] + reg), 1);
}

static void wr(unsigned c, unsigned reg, uint8_t v)
{
	out((uint16_t)(base[c] + reg), 1, v);
}

/* LBA28 task file and a command, as ata_sff_tf_load() writes them. */
static void cmd28(unsigned c, unsigned dev, uint8_t command, uint8_t feature,
		  uint8_t count, uint32_t lba)
{
	wr(c, IDE_DEVICE_REG, (uint8_t)(0xe0 | dev << 4 | (lba >> 24 & 0xf)));
	wr(c, IDE_ERROR, feature);
	wr(c, IDE_COUNT, count);
	wr(c, IDE_LBAL, (uint8_t)lba);
	wr(c, IDE_LBAM, (uint8_t)(lba >> 8));
	wr(c, IDE_LBAH, (uint8_t)(lba >> 16));
	wr(c, IDE_STATUS, command);
}

static uint8_t altstatus(unsigned c)
{
	return (uint8_t)in(ctl[c], 1);
}

/* Turns the loop until the selected device is not BSY. */
static uint8_t wait_ready(unsigned c)
{
	int i;

	for (i = 0; i < 20 && (altstatus(c) & ATA_STAT_BSY); i++)
		turn();
	return altstatus(c);
}

/* Reads one PIO data block of `len` bytes with `size`-byte accesses. */
static void pio_in(unsigned c, uint8_t *buf, unsigned len, unsigned size)
{
	unsigned i;

	for (i = 0; i < len; i += size)
		put_le(buf + i, in(base[c], size), size);
}

static void pio_out(unsigned c, const uint8_t *buf, unsigned len, unsigned size)
{
	unsigned i;

	for (i = 0; i < len; i += size)
		out(base[c], size, (uint32_t)get_le(buf + i, size));
}

static void prd(unsigned i, uint32_t addr, uint32_t len, bool eot)
{
	put_le(mem.base + PRDT + 8 * i, addr, 4);
	put_le(mem.base + PRDT + 8 * i + 4, (len & 0xffff) | (eot ? IDE_PRD_EOT : 0), 4);
}

static uint16_t bm(unsigned c, unsigned reg)
{
	return (uint16_t)(BM_PORT + 8 * c + reg);
}

/* --- the tests ------------------------------------------------------------ */

static void test_identity(void)
{
	tap_ok(cfg_rd(0, 4) == (IDE_DEVICE << 16 | IDE_VENDOR), "id 8086:7010");
	tap_ok(cfg_rd(PCI_CLASS_PROG, 1) == 0x80 && cfg_rd(0x0a, 2) == 0x0101,
	       "class 01 01 80 (IDE, compatibility mode, bus master)");
	tap_ok(cfg_rd(PCI_INTERRUPT_PIN, 1) == 0, "no PCI interrupt pin: IRQ 14/15");
	tap_ok(cfg_rd(IDE_IDETIM, 2) == IDE_IDETIM_IDE && cfg_rd(IDE_IDETIM + 2, 2) == IDE_IDETIM_IDE,
	       "IDETIM: IDE decode on for both channels (ata_piix checks 41h/43h bit 7)");
	cfg_wr(PCI_BAR0 + 4 * IDE_BM_BAR, 4, 0xffffffff);
	tap_ok(cfg_rd(PCI_BAR0 + 4 * IDE_BM_BAR, 4) == 0xfffffff1, "BAR4: 16 I/O ports");
	cfg_wr(PCI_BAR0 + 4 * IDE_BM_BAR, 4, BM_PORT);
	cfg_wr(PCI_COMMAND, 2, PCI_COMMAND_IO | PCI_COMMAND_MASTER);
	tap_ok(in(bm(0, IDE_BM_STATUS), 1) == 0 && in(bm(1, IDE_BM_PRD), 4) == 0,
	       "bus master registers at 0xc000");
}

static void test_signatures(void)
{
	tap_ok(rd(0, IDE_COUNT) == 1 && rd(0, IDE_LBAL) == 1 && rd(0, IDE_LBAM) == 0 &&
	       rd(0, IDE_LBAH) == 0 && rd(0, IDE_STATUS) == 0x50 && rd(0, IDE_ERROR) == 1,
	       "primary master: ATA signature, status 50h, error 01h");
	wr(0, IDE_DEVICE_REG, 0xb0);
	wr(0, IDE_COUNT, 0x55);
	wr(0, IDE_LBAL, 0xaa);
	tap_ok(rd(0, IDE_STATUS) == 0 && rd(0, IDE_COUNT) == 0 && rd(0, IDE_LBAL) == 0,
	       "absent slave: reads 0 (ata_devchk finds nothing)");
	wr(0, IDE_DEVICE_REG, 0xa0);
	tap_ok(rd(0, IDE_COUNT) == 0x55 && rd(0, IDE_LBAL) == 0xaa, "the master latched the writes");
	tap_ok(rd(1, IDE_LBAM) == 0x14 && rd(1, IDE_LBAH) == 0xeb && rd(1, IDE_STATUS) == 0,
	       "secondary master: ATAPI signature 14h/EBh");
	tap_ok(in(0x1e8, 1) == 0xff, "ports beside the block are not ours");
}

static void test_pio(void)
{
	uint8_t id[512], buf[1024];
	unsigned i;

	out(ctl[0], 1, 0);
	cmd28(0, 0, 0xec, 0, 0, 0);
	tap_ok(altstatus(0) & ATA_STAT_BSY, "IDENTIFY: BSY at once");
	wait_ready(0);
	tap_ok(altstatus(0) == 0x58 && irq[14], "IDENTIFY: DRQ and IRQ 14");
	tap_ok(rd(0, IDE_STATUS) == 0x58 && !irq[14], "reading status acknowledges");
	pio_in(0, id, 512, 2);
	tap_ok(get_le(id + 120, 4) == DISK_BYTES / 512 && !(get_le(id + 152, 2) & 0x100),
	       "IDENTIFY by 16-bit reads: %u sectors, no NCQ", (unsigned)get_le(id + 120, 4));
	tap_ok(wait_ready(0) == 0x50 && !irq[14], "after the block: DRDY, no second interrupt");

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 11 + 5);
	cmd28(0, 0, 0x30, 0, 2, 20);
	tap_ok(wait_ready(0) == 0x58 && !irq[14], "WRITE SECTORS: DRQ for the first block, no interrupt");
	pio_out(0, buf, 512, 4);
	wait_ready(0);
	tap_ok(irq[14] && (altstatus(0) & ATA_STAT_DRQ), "second block wanted, with an interrupt");
	rd(0, IDE_STATUS);
	pio_out(0, buf + 512, 512, 4);
	tap_ok(wait_ready(0) == 0x50 && irq[14], "done: interrupt, status 50h");
	rd(0, IDE_STATUS);
	tap_ok(!memcmp(hd.data + 20 * 512, buf, 1024), "32-bit writes reached LBA 20-21");

	memset(buf, 0, sizeof(buf));
	cmd28(0, 0, 0x20, 0, 2, 20);
	wait_ready(0);
	rd(0, IDE_STATUS);
	pio_in(0, buf, 512, 2);
	wait_ready(0);
	rd(0, IDE_STATUS);
	pio_in(0, buf + 512, 512, 4);
	tap_ok(wait_ready(0) == 0x50 && !memcmp(hd.data + 20 * 512, buf, 1024),
	       "READ SECTORS reads them back (16- then 32-bit)");

	/* LBA48: HOB bytes first, then the current ones (ata_sff_tf_load). */
	wr(0, IDE_DEVICE_REG, 0x40);
	wr(0, IDE_COUNT, 0);
	wr(0, IDE_LBAL, 0);
	wr(0, IDE_LBAM, 0);
	wr(0, IDE_LBAH, 0);
	wr(0, IDE_COUNT, 1);
	wr(0, IDE_LBAL, 21);
	wr(0, IDE_LBAM, 0);
	wr(0, IDE_LBAH, 0);
	out(ctl[0], 1, IDE_CTL_HOB);
	tap_ok(rd(0, IDE_LBAL) == 0 && rd(0, IDE_COUNT) == 0, "HOB bit: the previous bytes");
	out(ctl[0], 1, 0);
	tap_ok(rd(0, IDE_LBAL) == 21, "HOB clear: the current byte");
	wr(0, IDE_STATUS, 0x24);
	wait_ready(0);
	rd(0, IDE_STATUS);
	pio_in(0, buf, 512, 2);
	tap_ok(wait_ready(0) == 0x50 && !memcmp(buf, hd.data + 21 * 512, 512), "READ SECTORS EXT at 21");
}

static void test_dma(void)
{
	unsigned i, n = hd.nsubmit;

	for (i = 0; i < 4096; i++)
		mem.base[DATA + i] = (uint8_t)(i * 13 + 1);
	prd(0, DATA, 1024, false);
	prd(1, DATA + 1024, 3072, true);
	out(bm(0, IDE_BM_PRD), 4, PRDT);
	out(bm(0, IDE_BM_CMD), 1, 0);		/* to the device */
	cmd28(0, 0, 0xca, 0, 8, 40);
	turn();
	tap_ok((altstatus(0) & ATA_STAT_BSY) && hd.nsubmit == n, "WRITE DMA waits for the bus master");
	out(bm(0, IDE_BM_CMD), 1, IDE_BM_CMD_START);
	wait_ready(0);
	tap_ok(irq[14] && (in(bm(0, IDE_BM_STATUS), 1) & 7) == IDE_BM_ST_INTR && altstatus(0) == 0x50,
	       "done: IRQ 14, bus master Interrupt set, Active clear");
	tap_ok(!memcmp(hd.data + 40 * 512, mem.base + DATA, 4096), "two PRDs written at LBA 40");
	out(bm(0, IDE_BM_CMD), 1, 0);
	out(bm(0, IDE_BM_STATUS), 1, IDE_BM_ST_INTR);
	rd(0, IDE_STATUS);
	tap_ok(!(in(bm(0, IDE_BM_STATUS), 1) & IDE_BM_ST_INTR) && !irq[14], "acknowledged");

	memset(mem.base + DATA + 0x10000, 0, 4096);
	prd(0, DATA + 0x10000, 0, true);		/* 0: 64 KiB */
	out(bm(0, IDE_BM_CMD), 1, IDE_BM_CMD_READ);
	out(bm(0, IDE_BM_CMD), 1, IDE_BM_CMD_READ | IDE_BM_CMD_START);
	cmd28(0, 0, 0xc8, 0, 8, 40);	/* SeaBIOS' order: started before the command */
	wait_ready(0);
	tap_ok(altstatus(0) == 0x50 && !memcmp(mem.base + DATA + 0x10000, hd.data + 40 * 512, 4096),
	       "READ DMA into a 64 KiB PRD");
	tap_ok((in(bm(0, IDE_BM_STATUS), 1) & 7) == (IDE_BM_ST_INTR | IDE_BM_ST_ACTIVE),
	       "PRD table longer than the transfer: Active stays (SFF-8038i)");
	out(bm(0, IDE_BM_CMD), 1, 0);
	out(bm(0, IDE_BM_STATUS), 1, 0xff);
	rd(0, IDE_STATUS);

	/* A PRD outside RAM: that command fails, nothing reaches the disk. */
	n = hd.nsubmit;
	prd(0, OUTSIDE, 512, true);
	cmd28(0, 0, 0xc8, 0, 1, 0);
	out(bm(0, IDE_BM_CMD), 1, IDE_BM_CMD_READ | IDE_BM_CMD_START);
	tap_ok((in(bm(0, IDE_BM_STATUS), 1) & 7) == (IDE_BM_ST_ERROR | IDE_BM_ST_INTR) &&
	       altstatus(0) == (ATA_STAT_DRDY | ATA_STAT_ERR) && rd(0, IDE_ERROR) == ATA_ERR_ABRT &&
	       irq[14] && hd.nsubmit == n,
	       "PRD outside RAM: bus master Error, ERR/ABRT, IRQ, no disk request");
	out(bm(0, IDE_BM_CMD), 1, 0);
	out(bm(0, IDE_BM_STATUS), 1, 0xff);
	rd(0, IDE_STATUS);
	/* No EOT within the table's 64 KiB page. */
	for (i = 0; i < 4096; i++)
		prd(i, DATA, 512, false);
	out(bm(0, IDE_BM_PRD), 4, PRDT + 0x8000 - 8);
	prd(4095, DATA, 512, false);
	cmd28(0, 0, 0xc8, 0, 1, 0);
	out(bm(0, IDE_BM_CMD), 1, IDE_BM_CMD_READ | IDE_BM_CMD_START);
	tap_ok((in(bm(0, IDE_BM_STATUS), 1) & IDE_BM_ST_ERROR) && hd.nsubmit == n,
	       "a PRD table running past its 64 KiB page: Error");
	out(bm(0, IDE_BM_CMD), 1, 0);
	out(bm(0, IDE_BM_STATUS), 1, 0xff);
	out(bm(0, IDE_BM_PRD), 4, PRDT);
	rd(0, IDE_STATUS);
	cmd28(0, 0, 0xec, 0, 0, 0);
	wait_ready(0);
	rd(0, IDE_STATUS);
	{
		uint8_t id[512];

		pio_in(0, id, 512, 2);
	}
	tap_ok(wait_ready(0) == 0x50, "the channel works after it");
}

static void test_atapi(void)
{
	static const uint8_t inquiry[12] = { 0x12, 0, 0, 0, 36, 0 };
	static const uint8_t read10[12] = { 0x28, 0, 0, 0, 0, 5, 0, 0, 1, 0 };
	uint8_t buf[2048];
	int tries;

	/* As ata_sff: feature 0 (PIO), byte count limit 2048 in LBA mid/high. */
	wr(1, IDE_DEVICE_REG, 0xa0);
	wr(1, IDE_ERROR, 0);
	wr(1, IDE_LBAM, 0x00);
	wr(1, IDE_LBAH, 0x08);
	wr(1, IDE_STATUS, 0xa0);
	tap_ok(altstatus(1) == (ATA_STAT_DRDY | ATA_STAT_DRQ) && (rd(1, IDE_COUNT) & 3) == 1 &&
	       !irq[15], "PACKET: DRQ, interrupt reason CoD=1 IO=0, no interrupt");
	pio_out(1, inquiry, 12, 2);
	tap_ok(altstatus(1) & ATA_STAT_BSY, "the CDB in: BSY");
	wait_ready(1);
	tap_ok(irq[15] && (rd(1, IDE_COUNT) & 3) == 2 && rd(1, IDE_LBAM) == 36 && rd(1, IDE_LBAH) == 0,
	       "data phase: IRQ 15, IO=1 CoD=0, byte count 36");
	rd(1, IDE_STATUS);
	pio_in(1, buf, 36, 2);
	tap_ok((buf[0] & 0x1f) == 5, "INQUIRY: a CD/DVD device");
	wait_ready(1);
	tap_ok(irq[15] && (rd(1, IDE_COUNT) & 3) == 3 && rd(1, IDE_STATUS) == 0x50,
	       "completion: IO=1 CoD=1, status 50h, IRQ");
	/* READ(10) by PIO; a first UNIT ATTENTION is retried. */
	for (tries = 0; tries < 2; tries++) {
		wr(1, IDE_ERROR, 0);
		wr(1, IDE_LBAM, 0x00);
		wr(1, IDE_LBAH, 0x08);
		wr(1, IDE_STATUS, 0xa0);
		pio_out(1, read10, 12, 4);
		wait_ready(1);
		if (!(rd(1, IDE_STATUS) & ATA_STAT_ERR))
			break;
	}
	tap_ok((altstatus(1) & ATA_STAT_DRQ) && (rd(1, IDE_LBAM) | rd(1, IDE_LBAH) << 8) == 2048,
	       "READ(10) by PIO: a 2048-byte block offered");
	pio_in(1, buf, 2048, 4);
	wait_ready(1);
	tap_ok(rd(1, IDE_STATUS) == 0x50 && !memcmp(buf, cd.data + 5 * 2048, 2048), "block 5 read");
	/* By DMA: feature bit 0. */
	memset(mem.base + DATA, 0, 2048);
	prd(0, DATA, 2048, true);
	out(bm(1, IDE_BM_PRD), 4, PRDT);
	wr(1, IDE_ERROR, 1);
	wr(1, IDE_STATUS, 0xa0);
	pio_out(1, read10, 12, 2);
	out(bm(1, IDE_BM_CMD), 1, IDE_BM_CMD_READ | IDE_BM_CMD_START);
	wait_ready(1);
	tap_ok(rd(1, IDE_STATUS) == 0x50 && (in(bm(1, IDE_BM_STATUS), 1) & 7) == IDE_BM_ST_INTR &&
	       !memcmp(mem.base + DATA, cd.data + 5 * 2048, 2048), "READ(10) by DMA through the bus master");
	out(bm(1, IDE_BM_CMD), 1, 0);
	out(bm(1, IDE_BM_STATUS), 1, 0xff);
}

static void test_nien_srst(void)
{
	uint8_t id[512];

	out(ctl[0], 1, IDE_CTL_NIEN);
	cmd28(0, 0, 0xec, 0, 0, 0);
	wait_ready(0);
	tap_ok((altstatus(0) & ATA_STAT_DRQ) && !irq[14], "nIEN: no interrupt");
	pio_in(0, id, 512, 2);
	wait_ready(0);
	out(ctl[0], 1, 0);

	/* SRST with a read on the host. */
	hd.hold = true;
	prd(0, DATA, 4096, true);
	out(bm(0, IDE_BM_PRD), 4, PRDT);
	cmd28(0, 0, 0xc8, 0, 8, 0);
	out(bm(0, IDE_BM_CMD), 1, IDE_BM_CMD_READ | IDE_BM_CMD_START);
	turn();
	tap_ok(hd.nheld == 1, "a DMA read on the host");
	out(ctl[0], 1, IDE_CTL_SRST);
	out(ctl[0], 1, 0);
	tap_ok(altstatus(0) == ATA_STAT_BSY, "SRST pulsed: BSY while the read is on the host");
	hd.hold = false;
	fake_release_one(&hd, 0);
	turn();
	tap_ok(altstatus(0) == 0x50 && rd(0, IDE_COUNT) == 1 && rd(0, IDE_LBAL) == 1 &&
	       rd(0, IDE_ERROR) == 1 && !irq[14], "then the signature, no interrupt");
	out(bm(0, IDE_BM_CMD), 1, 0);
	out(bm(0, IDE_BM_STATUS), 1, 0xff);
	out(ctl[1], 1, IDE_CTL_SRST);
	tap_ok(altstatus(1) == ATA_STAT_BSY, "SRST held: BSY");
	out(ctl[1], 1, 0);
	tap_ok(rd(1, IDE_LBAM) == 0x14 && rd(1, IDE_LBAH) == 0xeb && altstatus(1) == 0,
	       "CD-ROM SRST: its signature at once");
	/* IDE decode off (IDETIM bit 15): the ports float. */
	cfg_wr(IDE_IDETIM, 2, 0);
	tap_ok(rd(0, IDE_STATUS) == 0xff && in(ctl[0], 1) == 0xff, "decode off: FFh");
	cfg_wr(IDE_IDETIM, 2, IDE_IDETIM_IDE);
	tap_ok(rd(0, IDE_STATUS) == 0x50, "decode on again");
}

/* Save in the middle of a PIO read, restore into another controller, finish it there. */
static void test_save_restore(void)
{
	static struct ide b;
	static struct fake_disk hd2, cd2;
	struct pci_bus bus2;
	struct pio_bus pio2;
	struct state_writer w;
	struct state_reader r;
	struct ata_drive_config c;
	const uint8_t *buf;
	uint8_t data[1024];
	size_t len;
	unsigned i;
	uint32_t v;
	int err, ret;

	cmd28(0, 0, 0x20, 0, 2, 20);
	wait_ready(0);
	rd(0, IDE_STATUS);
	pio_in(0, data, 256, 2);
	ide_stop(&ide);
	state_writer_init(&w);
	ret = ide_save(&ide, &w);
	buf = state_writer_data(&w, &len, &err);
	tap_ok(ret == 0 && buf, "saved half way through the first block (%zu bytes)", len);

	pci_bus_init(&bus2, &no_bus_ops, NULL);
	pio_bus_init(&pio2);
	fake_init(&hd2, DISK_BYTES, false, true);
	fake_init(&cd2, CD_BYTES, true, false);
	memcpy(hd2.data, hd.data, DISK_BYTES);
	ide_init(&b, &mem, &iops, NULL, &bus2, devfn >> 3, devfn & 7, &pio2);
	c = (struct ata_drive_config){ .kind = ATA_KIND_DISK, .disk = &hd2.d, .loop = loop };
	ide_attach(&b, 0, 0, &c);
	c = (struct ata_drive_config){ .kind = ATA_KIND_CDROM, .disk = &cd2.d, .loop = loop };
	ide_attach(&b, 1, 0, &c);
	state_reader_init(&r, buf, len);
	dlock(NULL);
	ret = ide_load(&b, &r);
	dunlock(NULL);
	tap_ok(ret == 0 && state_reader_at_end(&r), "loaded: %d %s", ret, state_reader_msg(&r));
	for (i = 256; i < 1024; i += 2) {
		if (i == 512) {
			for (ret = 0; ret < 20; ret++) {
				v = 0;
				dlock(NULL);
				pio_bus_dispatch(&pio2, 0x3f6, 1, false, &v);
				dunlock(NULL);
				if (!(v & ATA_STAT_BSY))
					break;
				turn();
			}
		}
		v = 0;
		dlock(NULL);
		pio_bus_dispatch(&pio2, 0x1f0, 2, false, &v);
		dunlock(NULL);
		put_le(data + i, v, 2);
	}
	tap_ok(!memcmp(data, hd.data + 20 * 512, 1024), "the restored controller finishes the transfer");
	v = 0;
	dlock(NULL);
	pio_bus_dispatch(&pio2, 0x175, 1, false, &v);
	dunlock(NULL);
	tap_ok(v == 0xeb, "the CD-ROM's registers came along (its signature)");
	state_reader_init(&r, buf, len);
	b.pci.devfn ^= 1;
	dlock(NULL);
	ret = ide_load(&b, &r);
	dunlock(NULL);
	b.pci.devfn ^= 1;
	tap_ok(ret == -ENOENT, "another devfn: -ENOENT");
	state_writer_free(&w);
	ide_destroy(&b);
	pio_bus_destroy(&pio2);
	fake_fini(&hd2);
	fake_fini(&cd2);
}

int main(void)
{
	struct ata_drive_config c;
	int ret;

	mem.size = RAM_SIZE;
	mem.base = aligned_alloc(4096, RAM_SIZE);
	memset(mem.base, 0, RAM_SIZE);
	pci_bus_init(&bus, &no_bus_ops, NULL);
	pio_bus_init(&pio);
	if (ioloop_create(&loop)) {
		tap_ok(0, "ioloop_create");
		return tap_done();
	}
	fake_init(&hd, DISK_BYTES, false, true);
	fake_init(&cd, CD_BYTES, true, false);
	ret = ide_init(&ide, &mem, &iops, NULL, &bus, 1, 1, &pio);
	tap_ok(ret == PCI_DEVFN(1, 1), "PIIX3 IDE at 00:01.1, ports claimed");
	devfn = (uint8_t)ret;
	c = (struct ata_drive_config){ .kind = ATA_KIND_DISK, .disk = &hd.d, .loop = loop };
	tap_ok(ide_attach(&ide, 0, 1, &c) == -EINVAL, "a slave before its master: -EINVAL");
	tap_ok(ide_attach(&ide, 0, 0, &c) == 0, "disk: primary master");
	c = (struct ata_drive_config){ .kind = ATA_KIND_CDROM, .disk = &cd.d, .loop = loop };
	tap_ok(ide_attach(&ide, 1, 0, &c) == 0, "CD-ROM: secondary master");
	turn();
	test_identity();
	test_signatures();
	test_pio();
	test_dma();
	test_atapi();
	test_nien_srst();
	test_save_restore();
	ide_destroy(&ide);
	pio_bus_destroy(&pio);
	fake_fini(&hd);
	fake_fini(&cd);
	ioloop_destroy(loop);
	free(mem.base);
	return tap_done();
}
