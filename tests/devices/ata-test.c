// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ata-test.c - the ATA drive (monitor/devices/ata.c, ata-cmd.c) fed
 * commands as a controller would, over an in-memory disk whose
 * completions the test holds, and over a raw image for the write-cache
 * switch: IDENTIFY, every read and write kind (PIO, multiple, DMA, NCQ),
 * the PIO protocol's blocks and interrupts, LBA28/48/CHS addressing,
 * out-of-range and overflowing LBAs, I/O errors, FLUSH ordering, SET
 * FEATURES, power, diagnostics, TRIM, NCQ out of order, the NCQ error
 * log, abort and reset with requests on the host (and from inside an
 * event), stop, save and load; and 45,000 random commands (task files,
 * packets, iovecs, PIO accesses, I/O errors, resets) to both kinds, each
 * ending in exactly one DONE with no access outside the disk or buffers.
 */
#include <stdio.h>
#include <unistd.h>

#include "le.h"
#include "io/pool.h"
#include "ata-host.h"

#define DISK_BYTES	(1u << 20)
#define NSECT		(DISK_BYTES / 512)

static struct fake_disk fd0;
static uint8_t buf[1 << 17], buf2[1 << 17];

static uint16_t word(const uint8_t *id, unsigned w)
{
	return (uint16_t)(id[2 * w] | id[2 * w + 1] << 8);
}

/* An IDENTIFY string: two characters a word, high byte first. */
static void id_str(const uint8_t *id, unsigned w, unsigned words, char *out)
{
	unsigned i;

	for (i = 0; i < words; i++) {
		out[2 * i] = (char)id[2 * (w + i) + 1];
		out[2 * i + 1] = (char)id[2 * (w + i)];
	}
	out[2 * words] = 0;
}

static bool checksum_ok(const uint8_t *id)
{
	uint8_t sum = 0;
	unsigned i;

	for (i = 0; i < 512; i++)
		sum = (uint8_t)(sum + id[i]);
	return id[510] == 0xa5 && sum == 0;
}

static void test_identify(void)
{
	struct ata_drive *d = drive_new(ATA_KIND_DISK, &fd0.d, true), *d2;
	struct ata_cmd c = tf_cmd(0xec, 0, 0, 0, 0);
	struct fake_disk big;
	struct event *e;
	char s[41];

	memset(buf, 0, 512);
	e = run_iov(d, &c, buf, 512);
	tap_ok(ok_done(e, true) && e->res.bytes == 512, "IDENTIFY DEVICE by DMA/IOV: 512 bytes, DRDY|DSC, an interrupt");
	id_str(buf, 27, 20, s);
	tap_ok(!strcmp(s, "VMAIN HARDDISK                          "), "model 'VMAIN HARDDISK' (words 27-46): '%s'", s);
	id_str(buf, 10, 10, s);
	tap_ok(!strcmp(s, "QM00001-serial      "), "serial from the caller, space-padded (words 10-19)");
	id_str(buf, 23, 4, s);
	tap_ok(!strcmp(s, "1.0     "), "firmware revision (words 23-26)");
	tap_ok(word(buf, 60) == NSECT && word(buf, 61) == 0 && word(buf, 100) == NSECT &&
	       !word(buf, 101) && !word(buf, 102) && !word(buf, 103),
	       "LBA28 and LBA48 capacities (words 60-61, 100-103): %u sectors", NSECT);
	tap_ok((word(buf, 82) & 0x20) && (word(buf, 85) & 0x20), "write cache supported and enabled (82/85 bit 5)");
	tap_ok((word(buf, 83) & 0x3400) == 0x3400 && (word(buf, 86) & 0x3400) == 0x3400 &&
	       (word(buf, 83) & 0xc000) == 0x4000, "FLUSH CACHE, FLUSH CACHE EXT, 48-bit (83/86)");
	tap_ok(word(buf, 75) == 31 && (word(buf, 76) & 0x100), "NCQ, depth 32 (words 75, 76)");
	tap_ok(!word(buf, 169) && !word(buf, 105), "no TRIM on a disk that cannot discard (169, 105)");
	tap_ok(word(buf, 47) == 0x8010 && word(buf, 49) == 0x0b00 && word(buf, 53) == 7,
	       "multiple up to 16, IORDY/LBA/DMA, words 54-58/64-70/88 valid");
	tap_ok(word(buf, 1) == NSECT / (16 * 63) && word(buf, 3) == 16 && word(buf, 6) == 63,
	       "default CHS geometry 16 heads, 63 sectors");
	tap_ok(checksum_ok(buf), "integrity word 255: A5h and a zero byte sum");

	/* The same through the PIO data-in protocol. */
	c.xfer = ATA_XFER_PIO;
	e = run_cmd(d, &c);
	tap_ok(e && e->res.phase == ATA_PHASE_PIO_IN && e->res.bytes == 512 && e->res.irq &&
	       (e->res.status & ATA_STAT_DRQ), "IDENTIFY by PIO: a 512-byte DRQ block with an interrupt");
	tap_ok(pio_read_block(d, buf2, 512) && !memcmp(buf, buf2, 512), "  the block read 2 bytes at a time: the same data");
	tap_ok(ok_done(last_ev(), false), "  then DONE without an interrupt (ATA8-ACS PIO data-in)");
	tap_ok(pio_read(d, buf2, 2) == -EINVAL && buf2[0] == 0xff, "  a data-port read after it: -EINVAL, 0xff");
	ata_drive_destroy(d);

	/* No NCQ on IDE; TRIM where the image can discard; > 2^28 sectors. */
	memset(&big, 0, sizeof(big));
	fake_init(&big, 1ull << 20, false, true);
	big.d.size = 200ull << 30;		/* nothing is read: IDENTIFY only */
	d2 = drive_new(ATA_KIND_DISK, &big.d, false);
	c = tf_cmd(0xec, 0, 0, 0, 0);
	e = run_iov(d2, &c, buf, 512);
	tap_ok(e && !word(buf, 75) && !word(buf, 76), "without ncq: words 75/76 clear");
	tap_ok(word(buf, 169) == 1 && word(buf, 105) == 8, "TRIM supported, 8 blocks of ranges (169, 105)");
	tap_ok(word(buf, 60) == 0xffff && word(buf, 61) == 0x0fff &&
	       ((uint64_t)word(buf, 101) << 16 | word(buf, 100)) == (200ull << 30) / 512 % (1ull << 32) &&
	       word(buf, 102) == ((200ull << 30) / 512) >> 32,
	       "200 GiB: LBA28 capacity 0FFFFFFFh, LBA48 the whole disk");
	ata_drive_destroy(d2);
	fake_fini(&big);
}

/* Fills a buffer the way the fake disk's data is laid out. */
static bool disk_data_is(const uint8_t *p, uint64_t lba, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != (uint8_t)((lba * 512 + i) / 512 * 7 + (lba * 512 + i) % 512))
			return false;
	return true;
}

static void test_dma(void)
{
	struct ata_drive *d = drive_new(ATA_KIND_DISK, &fd0.d, false);
	struct ata_cmd c;
	struct event *e;
	unsigned n;

	c = tf_cmd(0xc8, 0, 4, 10, ATA_DEV_LBA);
	e = run_iov(d, &c, buf, 4 * 512);
	tap_ok(ok_done(e, true) && e->res.bytes == 2048 && disk_data_is(buf, 10, 2048),
	       "READ DMA (LBA28): 4 sectors from LBA 10");
	/* LBA28 takes bits 27:24 from the device register. */
	c = tf_cmd(0xc8, 0, 1, 0x000001, ATA_DEV_LBA | 0);
	e = run_iov(d, &c, buf, 512);
	tap_ok(ok_done(e, true) && fd0.last.offset == 512, "  LBA 1 at byte 512");
	c = tf_cmd(0xc8, 0, 1, 0x000001, ATA_DEV_LBA | 1);
	e = run_iov(d, &c, buf, 512);
	tap_ok(err_done(e, ATA_ERR_IDNF), "  device bits 3:0 are LBA 27:24: 01000001h is past the end: IDNF");

	memset(buf, 0x5a, 3 * 512);
	c = tf_cmd(0x35, 0, 3, 100, ATA_DEV_LBA);
	e = run_iov(d, &c, buf, 3 * 512);
	tap_ok(ok_done(e, true) && fd0.last.op == DISK_WRITE && fd0.last.offset == 100 * 512 &&
	       fd0.data[100 * 512] == 0x5a && fd0.data[103 * 512 - 1] == 0x5a && fd0.data[103 * 512] != 0x5a,
	       "WRITE DMA EXT: 3 sectors at LBA 100");
	/* 48-bit: the HOB bytes are LBA 47:24 and count 15:8. */
	c = tf_cmd(0x25, 0, 0x0100, 0x000000000200ull, ATA_DEV_LBA);
	e = run_iov(d, &c, buf, 256 * 512);
	tap_ok(ok_done(e, true) && e->res.bytes == 256 * 512 && fd0.last.offset == 0x200 * 512,
	       "READ DMA EXT with count 0100h: 256 sectors");
	c = tf_cmd(0x25, 0, 1, 0x000001000000ull, ATA_DEV_LBA);
	e = run_iov(d, &c, buf, 512);
	tap_ok(err_done(e, ATA_ERR_IDNF) && e->res.lba == 0x1000000, "  LBA 48 bits wide: 1000000h is past the end: IDNF, the LBA reported");

	/* Scatter-gather: the data over several iovecs, more than needed. */
	{
		struct iovec iov[3] = { { buf, 100 }, { buf + 1000, 924 }, { buf + 4000, 4096 } };

		c = tf_cmd(0xc8, 0, 2, 20, ATA_DEV_LBA);
		c.xfer = ATA_XFER_IOV;
		c.iov = iov;
		c.iovcnt = 3;
		e = run_cmd(d, &c);
		tap_ok(ok_done(e, true) && e->res.bytes == 1024 && fd0.last.iovcnt == 2 &&
		       fd0.last.len == 1024 && disk_data_is(buf, 20, 100) &&
		       buf[1000] == (uint8_t)(20 * 7 + 100) && buf[1923] == (uint8_t)(21 * 7 + 511),
		       "scatter-gather over 3 segments: the disk request cut to the first 1024 bytes (2 segments)");
	}
	/* PRDs shorter than the transfer: nothing moves, ABRT. */
	n = fd0.nsubmit;
	c = tf_cmd(0xc8, 0, 2, 0, ATA_DEV_LBA);
	e = run_iov(d, &c, buf, 512);
	tap_ok(err_done(e, ATA_ERR_ABRT) && fd0.nsubmit == n, "buffer shorter than the sectors: ABRT before any I/O");
	/* A DMA command the controller gives PIO for. */
	c = tf_cmd(0xc8, 0, 1, 0, ATA_DEV_LBA);
	e = run_cmd(d, &c);
	tap_ok(err_done(e, ATA_ERR_ABRT) && fd0.nsubmit == n, "READ DMA without an IOV data phase: ABRT");
	ata_drive_destroy(d);
}

static void test_range(void)
{
	struct ata_drive *d = drive_new(ATA_KIND_DISK, &fd0.d, true);
	struct ata_cmd c;
	struct event *e;
	unsigned n = fd0.nsubmit;

	c = tf_cmd(0x25, 0, 2, NSECT - 1, ATA_DEV_LBA);
	e = run_iov(d, &c, buf, 1024);
	tap_ok(err_done(e, ATA_ERR_IDNF), "READ DMA EXT of the last sector and one past: IDNF");
	c = tf_cmd(0x25, 0, 1, NSECT - 1, ATA_DEV_LBA);
	e = run_iov(d, &c, buf, 512);
	tap_ok(ok_done(e, true), "  the last sector alone: read");
	n = fd0.nsubmit;
	c = tf_cmd(0x35, 0, 0xffff, 0xffffffffffffull, ATA_DEV_LBA);
	e = run_iov(d, &c, buf, sizeof(buf));
	tap_ok(err_done(e, ATA_ERR_IDNF), "WRITE DMA EXT at LBA 2^48-1, 65535 sectors (wraps around): IDNF");
	c = tf_cmd(0x35, 0, 0, 0xfffffffffff0ull, ATA_DEV_LBA);
	e = run_iov(d, &c, buf, sizeof(buf));
	tap_ok(err_done(e, ATA_ERR_IDNF), "  count 0 (65536 sectors) near 2^48: IDNF");
	c = tf_cmd(0xc8, 0, 0, NSECT - 255, ATA_DEV_LBA);
	e = run_iov(d, &c, buf, sizeof(buf));
	tap_ok(err_done(e, ATA_ERR_IDNF), "READ DMA count 0 is 256 sectors: 255 before the end is too far");
	c = tf_cmd(0x61, 0, 3 << 3, 0, ATA_DEV_LBA);	/* FEATURE 0: 65536 sectors */
	e = run_iov(d, &c, buf, sizeof(buf));
	tap_ok(err_done(e, ATA_ERR_IDNF), "WRITE FPDMA QUEUED with 65536 sectors on a 2048-sector disk: IDNF");
	c = tf_cmd(0x40, 0, 8, NSECT - 4, ATA_DEV_LBA);
	e = run_cmd(d, &c);
	tap_ok(err_done(e, ATA_ERR_IDNF), "READ VERIFY past the end: IDNF");
	c = tf_cmd(0x42, 0, 8, NSECT - 8, ATA_DEV_LBA);
	e = run_cmd(d, &c);
	tap_ok(ok_done(e, true), "READ VERIFY EXT up to the end: done");
	c = tf_cmd(0x24, 0, 1, NSECT, ATA_DEV_LBA);
	e = run_cmd(d, &c);
	tap_ok(err_done(e, ATA_ERR_IDNF), "READ SECTORS EXT (PIO) past the end: IDNF, no DRQ");
	tap_ok(fd0.nsubmit == n, "no out-of-range command reached the disk");
	ata_drive_destroy(d);
}

static void test_pio(void)
{
	struct ata_drive *d = drive_new(ATA_KIND_DISK, &fd0.d, false);
	struct ata_cmd c;
	struct event *e;
	unsigned first, i;
	bool good = true;

	first = nev;
	c = tf_cmd(0x20, 0, 3, 30, ATA_DEV_LBA);
	e = run_cmd(d, &c);
	for (i = 0; i < 3 && good; i++) {
		e = last_ev();
		good = e->res.phase == ATA_PHASE_PIO_IN && e->res.bytes == 512 && e->res.irq &&
		       pio_read_block(d, buf + i * 512, 512);
	}
	tap_ok(good && nev == first + 4, "READ SECTORS, 3 sectors: three DRQ blocks of 512 bytes, each with an interrupt");
	tap_ok(disk_data_is(buf, 30, 1536) && ok_done(last_ev(), false), "  the data, then DONE without an interrupt");

	memset(buf, 0xc3, 1024);
	first = nev;
	c = tf_cmd(0x30, 0, 2, 40, ATA_DEV_LBA);
	e = run_cmd(d, &c);
	tap_ok(e && e->res.phase == ATA_PHASE_PIO_OUT && !e->res.irq && e->res.bytes == 512,
	       "WRITE SECTORS: the first block asked for without an interrupt");
	tap_ok(pio_write_block(d, buf, 512) && last_ev()->res.phase == ATA_PHASE_PIO_OUT && last_ev()->res.irq,
	       "  the second block after the first is written, with an interrupt");
	tap_ok(pio_write_block(d, buf + 512, 512) && ok_done(last_ev(), true) && nev == first + 3,
	       "  DONE with an interrupt after the last");
	tap_ok(fd0.data[40 * 512] == 0xc3 && fd0.data[42 * 512 - 1] == 0xc3 && fd0.data[42 * 512] != 0xc3,
	       "  the sectors written");
	tap_ok(pio_write(d, buf, 2) == -EINVAL, "a data-port write outside a data-out phase: -EINVAL");

	/* READ/WRITE MULTIPLE. */
	c = tf_cmd(0xc4, 0, 4, 0, ATA_DEV_LBA);
	e = run_cmd(d, &c);
	tap_ok(err_done(e, ATA_ERR_ABRT), "READ MULTIPLE with multiple mode off: ABRT");
	c = tf_cmd(0xc6, 0, 3, 0, 0);
	e = run_cmd(d, &c);
	tap_ok(err_done(e, ATA_ERR_ABRT), "SET MULTIPLE MODE 3 (not a power of two): ABRT");
	c = tf_cmd(0xc6, 0, 32, 0, 0);
	e = run_cmd(d, &c);
	tap_ok(err_done(e, ATA_ERR_ABRT), "SET MULTIPLE MODE 32 (over the maximum 16): ABRT");
	c = tf_cmd(0xc6, 0, 4, 0, 0);
	e = run_cmd(d, &c);
	tap_ok(ok_done(e, true), "SET MULTIPLE MODE 4");
	c = tf_cmd(0xec, 0, 0, 0, 0);
	run_iov(d, &c, buf2, 512);
	tap_ok(word(buf2, 59) == 0x104, "  IDENTIFY word 59: 0104h");
	first = nev;
	c = tf_cmd(0x29, 0, 10, 50, ATA_DEV_LBA);
	e = run_cmd(d, &c);
	good = e && e->res.bytes == 2048 && pio_read_block(d, buf, 2048) &&
	       last_ev()->res.bytes == 2048 && pio_read_block(d, buf + 2048, 2048) &&
	       last_ev()->res.bytes == 1024 && pio_read_block(d, buf + 4096, 1024);
	tap_ok(good && disk_data_is(buf, 50, 5120) && ok_done(last_ev(), false) && nev == first + 4,
	       "READ MULTIPLE EXT of 10 sectors: blocks of 4, 4 and 2 sectors");
	memset(buf, 0x3c, 3072);
	c = tf_cmd(0xc5, 0, 6, 60, ATA_DEV_LBA);
	e = run_cmd(d, &c);
	good = e && e->res.bytes == 2048 && !e->res.irq && pio_write_block(d, buf, 2048) &&
	       last_ev()->res.bytes == 1024 && pio_write_block(d, buf, 1024);
	tap_ok(good && ok_done(last_ev(), true) && fd0.data[66 * 512 - 1] == 0x3c && fd0.data[66 * 512] != 0x3c,
	       "WRITE MULTIPLE of 6 sectors: blocks of 4 and 2");
	c = tf_cmd(0xc6, 0, 0, 0, 0);
	tap_ok(ok_done(run_cmd(d, &c), true), "SET MULTIPLE MODE 0: off");

	/* CHS addressing (device bit 6 clear). */
	c = tf_cmd(0x20, 0, 1, 0x000001, 0);	/* C0 H0 S1 */
	run_cmd(d, &c);
	tap_ok(pio_read_block(d, buf, 512) && disk_data_is(buf, 0, 512), "CHS 0/0/1 is LBA 0");
	c = tf_cmd(0x20, 0, 1, 0x000102, 0x02);	/* C1 H2 S2 */
	run_cmd(d, &c);
	tap_ok(pio_read_block(d, buf, 512) && disk_data_is(buf, (1 * 16 + 2) * 63 + 1, 512), "CHS 1/2/2 with 16 heads, 63 sectors");
	c = tf_cmd(0x20, 0, 1, 0x000000, 0);
	tap_ok(err_done(run_cmd(d, &c), ATA_ERR_IDNF), "CHS sector 0: IDNF");
	c = tf_cmd(0x20, 0, 1, 0x000040, 0);
	tap_ok(err_done(run_cmd(d, &c), ATA_ERR_IDNF), "CHS sector 64 of 63: IDNF");
	c = tf_cmd(0x91, 0, 32, 0, 0x07);		/* 8 heads, 32 sectors */
	tap_ok(ok_done(run_cmd(d, &c), true), "INITIALIZE DEVICE PARAMETERS: 8 heads, 32 sectors");
	c = tf_cmd(0x20, 0, 1, 0x000102, 0x02);
	run_cmd(d, &c);
	tap_ok(pio_read_block(d, buf, 512) && disk_data_is(buf, (1 * 8 + 2) * 32 + 1, 512), "  CHS 1/2/2 now LBA 321");
	c = tf_cmd(0x20, 0, 1, 0x000001, 0x08);
	tap_ok(err_done(run_cmd(d, &c), ATA_ERR_IDNF), "  head 8 of 8: IDNF");
	c = tf_cmd(0xec, 0, 0, 0, 0);
	run_iov(d, &c, buf2, 512);
	tap_ok(word(buf2, 55) == 8 && word(buf2, 56) == 32 && word(buf2, 54) == NSECT / 256,
	       "  IDENTIFY words 54-56: the current translation");
	c = tf_cmd(0x91, 0, 0, 0, 0x07);
	tap_ok(err_done(run_cmd(d, &c), ATA_ERR_ABRT), "INITIALIZE DEVICE PARAMETERS with 0 sectors: ABRT");
	ata_drive_destroy(d);
}

static void test_misc(void)
{
	struct ata_drive *d = drive_new(ATA_KIND_DISK, &fd0.d, false);
	struct ata_cmd c;
	struct ata_result sig;
	struct event *e;
	unsigned n;
	static const uint8_t bad[] = { 0xb0, 0xff, 0xa0, 0xa1, 0x08, 0xf8, 0x27 };
	bool good = true;

	for (n = 0; n < sizeof(bad); n++) {
		c = tf_cmd(bad[n], 0, 0, 0, 0);
		good &= err_done(run_cmd(d, &c), ATA_ERR_ABRT);
	}
	tap_ok(good, "SMART, FFh, PACKET, IDENTIFY PACKET, DEVICE RESET, READ NATIVE MAX (EXT) on a disk: ABRT");

	c = tf_cmd(0xe0, 0, 0, 0, 0);
	tap_ok(ok_done(run_cmd(d, &c), true), "STANDBY IMMEDIATE");
	c = tf_cmd(0xe5, 0, 0, 0, 0);
	e = run_cmd(d, &c);
	tap_ok(ok_done(e, true) && e->res.count == 0x00, "  CHECK POWER MODE: 00h (standby)");
	c = tf_cmd(0xe1, 0, 0, 0, 0);
	run_cmd(d, &c);
	c = tf_cmd(0xe5, 0, 0, 0, 0);
	e = run_cmd(d, &c);
	tap_ok(e && e->res.count == 0xff, "IDLE IMMEDIATE, CHECK POWER MODE: FFh (active or idle)");
	c = tf_cmd(0xe2, 0, 0, 0, 0);
	run_cmd(d, &c);
	c = tf_cmd(0xc8, 0, 1, 0, ATA_DEV_LBA);
	run_iov(d, &c, buf, 512);
	c = tf_cmd(0xe5, 0, 0, 0, 0);
	e = run_cmd(d, &c);
	tap_ok(e && e->res.count == 0xff, "STANDBY then a read: active again");
	c = tf_cmd(0xe3, 0, 0, 0, 0);
	tap_ok(ok_done(run_cmd(d, &c), true), "IDLE");
	c = tf_cmd(0x70, 0, 0, 0, 0);
	tap_ok(ok_done(run_cmd(d, &c), true), "SEEK");
	c = tf_cmd(0x10, 0, 0, 0, 0);
	tap_ok(ok_done(run_cmd(d, &c), true), "RECALIBRATE");

	c = tf_cmd(0x90, 0, 0, 0, 0);
	e = run_cmd(d, &c);
	tap_ok(e && e->res.error == 0x01 && e->res.count == 1 && e->res.lba == 1 && e->res.irq &&
	       e->res.status == 0x50, "EXECUTE DEVICE DIAGNOSTIC: code 01h, the ATA signature, an interrupt");
	ata_signature(d, &sig);
	tap_ok(sig.count == 1 && sig.lba == 1 && sig.error == 1 && sig.status == 0x50 && !sig.irq,
	       "ata_signature(): count 1, LBA 000001h");

	/* SET FEATURES. */
	c = tf_cmd(0xef, 0x03, 0x45, 0, 0);
	tap_ok(ok_done(run_cmd(d, &c), true), "SET FEATURES transfer mode UDMA5 (45h)");
	c = tf_cmd(0xec, 0, 0, 0, 0);
	run_iov(d, &c, buf2, 512);
	tap_ok(word(buf2, 88) == 0x203f && word(buf2, 63) == 0x0007, "  IDENTIFY word 88: UDMA5 selected");
	c = tf_cmd(0xef, 0x03, 0x22, 0, 0);
	run_cmd(d, &c);
	c = tf_cmd(0xec, 0, 0, 0, 0);
	run_iov(d, &c, buf2, 512);
	tap_ok(word(buf2, 88) == 0x003f && word(buf2, 63) == 0x0407, "  MWDMA2 (22h): word 63");
	c = tf_cmd(0xef, 0x03, 0x0c, 0, 0);
	tap_ok(ok_done(run_cmd(d, &c), true), "  PIO4 (0Ch)");
	c = tf_cmd(0xef, 0x03, 0x46, 0, 0);
	tap_ok(err_done(run_cmd(d, &c), ATA_ERR_ABRT), "  UDMA6 (46h, not supported): ABRT");
	c = tf_cmd(0xef, 0x03, 0x0d, 0, 0);
	tap_ok(err_done(run_cmd(d, &c), ATA_ERR_ABRT), "  PIO5: ABRT");
	c = tf_cmd(0xef, 0xaa, 0, 0, 0);
	tap_ok(ok_done(run_cmd(d, &c), true), "  read look-ahead on: accepted");
	c = tf_cmd(0xef, 0x99, 0, 0, 0);
	tap_ok(err_done(run_cmd(d, &c), ATA_ERR_ABRT), "  an unknown subcommand (99h): ABRT");

	/* I/O errors: UNC for a read, ABRT for a write, the LBA reported. */
	fd0.fail = -EIO;
	c = tf_cmd(0xc8, 0, 2, 7, ATA_DEV_LBA);
	e = run_iov(d, &c, buf, 1024);
	tap_ok(err_done(e, ATA_ERR_UNC) && e->res.lba == 7, "a read the disk fails (-EIO): UNC at LBA 7");
	fd0.fail = -ENOSPC;
	c = tf_cmd(0xca, 0, 2, 7, ATA_DEV_LBA);
	e = run_iov(d, &c, buf, 1024);
	tap_ok(err_done(e, ATA_ERR_ABRT), "a write the disk fails (-ENOSPC): ABRT");
	fd0.fail = -EIO;
	c = tf_cmd(0x20, 0, 2, 7, ATA_DEV_LBA);
	e = run_cmd(d, &c);
	tap_ok(err_done(e, ATA_ERR_UNC), "a PIO read that fails: UNC, no DRQ");
	fd0.fail = -EIO;
	c = tf_cmd(0xe7, 0, 0, 0, 0);
	tap_ok(err_done(run_cmd(d, &c), ATA_ERR_ABRT), "a FLUSH CACHE that fails: ABRT");

	tap_ok(ata_command_proto(d, 0x20, 0) == ATA_PROTO_PIO_IN && ata_command_proto(d, 0x34, 0) == ATA_PROTO_PIO_OUT &&
	       ata_command_proto(d, 0xc8, 0) == ATA_PROTO_DMA && ata_command_proto(d, 0x61, 0) == ATA_PROTO_DMA_QUEUED &&
	       ata_command_proto(d, 0xe7, 0) == ATA_PROTO_NONDATA && ata_command_proto(d, 0xec, 0) == ATA_PROTO_PIO_IN &&
	       ata_command_proto(d, 0x06, 1) == ATA_PROTO_DMA, "ata_command_proto(): the protocol of each command");
	tap_ok(ata_drive_kind(d) == ATA_KIND_DISK, "ata_drive_kind()");
	ata_drive_destroy(d);
}

/* FLUSH completes only after the disk's FLUSH, which comes after the writes. */
static void test_flush(void)
{
	struct ata_drive *d = drive_new(ATA_KIND_DISK, &fd0.d, false);
	struct ata_cmd c;
	struct event *e;
	unsigned n = fd0.nsubmit, first;

	c = tf_cmd(0xca, 0, 1, 5, ATA_DEV_LBA);
	run_iov(d, &c, buf, 512);
	fd0.hold = true;
	first = nev;
	c = tf_cmd(0xea, 0, 0, 0, 0);
	tap_ok(submit(d, &c) == 0, "FLUSH CACHE EXT submitted");
	turn();
	tap_ok(nev == first && fd0.nsubmit == n + 2 && fd0.ops[n] == DISK_WRITE && fd0.ops[n + 1] == DISK_FLUSH,
	       "  the disk got the write, then the flush; no event while the flush is on the host");
	c = tf_cmd(0xc8, 0, 1, 5, ATA_DEV_LBA);
	c.slot = 1;
	tap_ok(submit(d, &c) == -EBUSY, "  another command meanwhile: -EBUSY (one non-queued command at a time)");
	fd0.hold = false;
	fake_release_one(&fd0, 0);
	turn();
	e = last_ev();
	tap_ok(nev == first + 1 && ok_done(e, true), "  DONE once the flush completed");
	c = tf_cmd(0xe7, 0, 0, 0, 0);
	tap_ok(ok_done(run_cmd(d, &c), true) && fd0.ops[fd0.nsubmit - 1] == DISK_FLUSH, "FLUSH CACHE: the disk's FLUSH");
	ata_drive_destroy(d);
}

/* SET FEATURES 02h/82h switch the disk's write cache before the next write. */
static void test_wce(void)
{
	struct ata_drive *d = drive_new(ATA_KIND_DISK, &fd0.d, false);
	struct ata_cmd c;
	struct event *e;
	unsigned n;

	c = tf_cmd(0xef, 0x82, 0, 0, 0);
	e = run_cmd(d, &c);
	tap_ok(ok_done(e, true) && !fd0.d.writeback, "SET FEATURES 82h: the disk's write cache is off when it completes");
	c = tf_cmd(0xec, 0, 0, 0, 0);
	run_iov(d, &c, buf2, 512);
	tap_ok(!(word(buf2, 85) & 0x20) && (word(buf2, 82) & 0x20) && checksum_ok(buf2), "  IDENTIFY word 85 bit 5 clear");
	n = fd0.nsubmit;
	c = tf_cmd(0xca, 0, 1, 5, ATA_DEV_LBA);
	run_iov(d, &c, buf, 512);
	tap_ok(fd0.nsubmit == n + 1 && !fd0.wb_at[n], "  the next write reaches the disk write-through");
	c = tf_cmd(0xef, 0x02, 0, 0, 0);
	e = run_cmd(d, &c);
	tap_ok(ok_done(e, true) && fd0.d.writeback, "SET FEATURES 02h: on again");
	c = tf_cmd(0xef, 0x82, 0, 0, 0);
	run_cmd(d, &c);
	dlock(NULL);
	tap_ok(ata_reset(d) == 0, "a reset with nothing in flight: 0");
	dunlock(NULL);
	turn();
	tap_ok(fd0.d.writeback, "  the reset puts the configured write cache back");
	ata_drive_destroy(d);
}

/* A command on a real disk: the loop turned until its event. */
static struct event *run_real(struct ata_drive *d, struct ata_cmd *c, void *p, size_t len)
{
	struct iovec iov = { p, len };
	unsigned first = nev, i;

	c->xfer = ATA_XFER_IOV;
	c->iov = &iov;
	c->iovcnt = p ? 1 : 0;
	if (submit(d, c))
		return NULL;
	for (i = 0; i < 500 && nev == first; i++)
		ioloop_run_once(loop, 10);
	return nev > first ? &evs[first % MAX_EVENTS] : NULL;
}

/* The same switch on a raw image through the real disk stack. */
static void test_wce_real(void)
{
	char dir[] = "/tmp/ata-test-XXXXXX", path[64], err[128];
	struct disk_options o = { .format = DISK_FORMAT_RAW, .cache = WCACHE_WRITEBACK };
	struct wcache_stats st;
	struct ata_drive *d;
	struct disk *disk;
	struct ata_cmd c;
	struct pool *p;
	struct event *e;
	FILE *f;

	path[0] = 0;

	if (!mkdtemp(dir) || pool_create(&p, 1)) {
		tap_ok(0, "temporary directory and pool");
		return;
	}
	snprintf(path, sizeof(path), "%s/disk.img", dir);
	f = fopen(path, "w");
	if (!f || ftruncate(fileno(f), 1 << 20)) {
		tap_ok(0, "a 1 MiB image");
		if (f)
			fclose(f);
		goto out_dir;
	}
	fclose(f);
	o.path = path;
	if (disk_open(&disk, &o, loop, p, err, sizeof(err))) {
		tap_ok(0, "open a raw image: %s", err);
		goto out_dir;
	}
	d = drive_new(ATA_KIND_DISK, disk, false);
	memset(buf, 0x77, 4096);
	c = tf_cmd(0xca, 0, 8, 0, ATA_DEV_LBA);
	e = run_real(d, &c, buf, 4096);
	wcache_get_stats(disk->file.cache, &st);
	tap_ok(ok_done(e, true) && st.dirty == 4096, "raw image, write cache on: a completed 4 KiB write is dirty in the cache");
	c = tf_cmd(0xef, 0x82, 0, 0, 0);
	e = run_cmd(d, &c);
	tap_ok(ok_done(e, true) && !disk_writeback(disk), "SET FEATURES 82h: disk_writeback() false");
	while (disk_pending(disk))
		ioloop_run_once(loop, 100);
	c = tf_cmd(0xca, 0, 8, 16, ATA_DEV_LBA);
	e = run_real(d, &c, buf, 4096);
	wcache_get_stats(disk->file.cache, &st);
	tap_ok(ok_done(e, true) && st.dirty == 0, "  a write after it completes with nothing left dirty (write-through)");
	c = tf_cmd(0xe7, 0, 0, 0, 0);
	tap_ok(ok_done(run_real(d, &c, NULL, 0), true), "FLUSH CACHE through the real stack");
	c = tf_cmd(0xc8, 0, 8, 0, ATA_DEV_LBA);
	memset(buf2, 0, 4096);
	e = run_real(d, &c, buf2, 4096);
	tap_ok(ok_done(e, true) && !memcmp(buf, buf2, 4096), "READ DMA reads back the first write");
	ata_drive_destroy(d);
	disk_close(disk);
out_dir:
	pool_destroy(p);
	unlink(path);
	rmdir(dir);
}

/* A queued command that fails, and the NCQ Command Error log that tells which. */
static void test_ncq_log(void)
{
	struct ata_drive *d = drive_new(ATA_KIND_DISK, &fd0.d, true), *d2;
	struct ata_cmd c;
	struct event *e;
	uint8_t log[512], sum = 0;
	char msg[STATE_MSG_MAX];
	unsigned i;

	c = tf_cmd(0xec, 0, 0, 0, 0);
	run_iov(d, &c, buf2, 512);
	tap_ok((word(buf2, 84) & 0x20) && (word(buf2, 87) & 0x20) && (word(buf2, 86) & 0x8000) &&
	       (word(buf2, 119) & 8) && checksum_ok(buf2), "IDENTIFY: general purpose logging, READ LOG DMA EXT (84/87 bit 5, 119 bit 3)");
	c = tf_cmd(0x47, 0, 1, 0x00, 0);
	e = run_iov(d, &c, log, 512);
	tap_ok(ok_done(e, true) && log[0] == 1 && log[2 * 0x10] == 1 && !log[2 * 0x30],
	       "READ LOG DMA EXT 00h: the directory, version 1, one page of log 10h");
	fd0.fail = -EIO;
	c = tf_cmd(0x60, 2, 5 << 3, 8, ATA_DEV_LBA);
	c.slot = 5;
	e = run_iov(d, &c, buf, 1024);
	tap_ok(err_done(e, ATA_ERR_UNC) && e->slot == 5, "READ FPDMA QUEUED tag 5 that the disk fails: UNC");
	c = tf_cmd(0x60, 2, 5 << 3, 0x123456789aull, ATA_DEV_LBA);
	e = run_iov(d, &c, buf, 1024);
	tap_ok(err_done(e, ATA_ERR_IDNF), "  again, past the end: IDNF");
	d2 = drive_new(ATA_KIND_DISK, &fd0.d, true);
	tap_ok(roundtrip(d, d2, 2, msg, sizeof(msg)) == 0, "  saved and loaded into another drive");
	memset(log, 0xee, sizeof(log));
	c = tf_cmd(0x2f, 0, 1, 0x10, 0);
	e = run_cmd(d2, &c);
	tap_ok(e && e->res.phase == ATA_PHASE_PIO_IN && pio_read_block(d2, log, 512) && ok_done(last_ev(), false),
	       "READ LOG EXT 10h by PIO");
	for (i = 0; i < 512; i++)
		sum = (uint8_t)(sum + log[i]);
	tap_ok(log[0] == 5 && log[2] == 0x51 && log[3] == ATA_ERR_IDNF && log[4] == 0x9a && log[5] == 0x78 &&
	       log[6] == 0x56 && log[8] == 0x34 && log[9] == 0x12 && log[10] == 0 && log[12] == 2 && !sum,
	       "  the tag, status, error, LBA and count of the last failure (the out-of-range retry), checksum");
	c = tf_cmd(0x2f, 0, 1, 0x10, 0);
	e = run_iov(d2, &c, log, 512);
	tap_ok(ok_done(e, true) && !log[0] && !log[2] && !log[3], "  read once: cleared");
	c = tf_cmd(0x2f, 0, 2, 0x10, 0);
	tap_ok(err_done(run_iov(d2, &c, log, 512), ATA_ERR_ABRT), "  2 pages (there is 1): ABRT");
	c = tf_cmd(0x2f, 0, 1, 0x0110, 0);
	tap_ok(err_done(run_iov(d2, &c, log, 512), ATA_ERR_ABRT), "  page 1: ABRT");
	c = tf_cmd(0x2f, 0, 1, 0x30, 0);
	tap_ok(err_done(run_iov(d2, &c, log, 512), ATA_ERR_ABRT), "  log 30h (not kept): ABRT");
	c = tf_cmd(0x47, 0, 1, 0x10, 0);
	tap_ok(err_done(run_cmd(d2, &c), ATA_ERR_ABRT), "  READ LOG DMA EXT without an IOV data phase: ABRT");
	ata_drive_destroy(d2);
	ata_drive_destroy(d);

	d = drive_new(ATA_KIND_DISK, &fd0.d, false);
	c = tf_cmd(0x2f, 0, 1, 0x10, 0);
	tap_ok(err_done(run_iov(d, &c, log, 512), ATA_ERR_ABRT), "log 10h on a drive without NCQ: ABRT");
	c = tf_cmd(0x2f, 0, 1, 0x00, 0);
	tap_ok(ok_done(run_iov(d, &c, log, 512), true) && log[0] == 1 && !log[0x20], "  its directory: no log 10h");
	ata_drive_destroy(d);
}

static void test_ncq(void)
{
	struct ata_drive *d = drive_new(ATA_KIND_DISK, &fd0.d, true), *d2;
	struct ata_cmd c;
	struct event *e;
	static uint8_t bufs[4][4096];
	unsigned i, first, order[4] = { 2, 0, 3, 1 };
	bool good = true;

	fd0.hold = true;
	first = nev;
	for (i = 0; i < 4; i++) {
		struct iovec iov = { bufs[i], 4096 };

		c = tf_cmd(i == 3 ? 0x61 : 0x60, 8, (uint16_t)(i << 3), 400 + 8 * i, ATA_DEV_LBA);
		c.xfer = ATA_XFER_IOV;
		c.iov = &iov;
		c.iovcnt = 1;
		c.slot = i;
		if (i == 3)
			memset(bufs[3], 0xe1, 4096);
		good &= submit(d, &c) == 0;
	}
	turn();
	tap_ok(good && nev == first && fd0.nheld == 4, "four FPDMA commands (tags 0-3) in flight at once");
	{
		struct iovec iov = { buf, 512 };

		c = tf_cmd(0x60, 1, 2 << 3, 0, ATA_DEV_LBA);
		c.xfer = ATA_XFER_IOV;
		c.iov = &iov;
		c.iovcnt = 1;
		c.slot = 5;
		submit(d, &c);
		turn();
		e = last_ev();
		tap_ok(nev == first + 1 && e->slot == 5 && err_done(e, ATA_ERR_ABRT), "  a fifth with tag 2 (busy): ABRT");
		c.slot = 2;
		tap_ok(submit(d, &c) == -EBUSY, "  a command in a busy slot: -EBUSY");
		c = tf_cmd(0xe7, 0, 0, 0, 0);
		c.slot = 6;
		submit(d, &c);
		turn();
		e = last_ev();
		tap_ok(nev == first + 2 && e->slot == 6 && err_done(e, ATA_ERR_ABRT),
		       "  a non-queued command while queued ones run: ABRT");
	}
	first = nev;
	fd0.hold = false;
	/* Complete them out of order: 2, 0, 3, 1. */
	for (i = 0; i < 4; i++) {
		unsigned k, idx = 0;

		for (k = 0; k < fd0.nheld; k++)
			if (fd0.held[k]->offset == (400 + 8 * order[i]) * 512ull)
				idx = k;
		fake_release_one(&fd0, idx);
		turn();
		e = last_ev();
		good &= nev == first + i + 1 && e->slot == order[i] && ok_done(e, true) && e->res.bytes == 4096;
	}
	tap_ok(good, "completed out of order (2, 0, 3, 1): one DONE per slot, in that order");
	tap_ok(disk_data_is(bufs[0], 400, 4096) && disk_data_is(bufs[2], 416, 4096) &&
	       fd0.data[424 * 512] == 0xe1 && fd0.data[432 * 512 - 1] == 0xe1, "  the reads' data and the write's");
	{
		struct iovec iov = { buf, 512 };

		c = tf_cmd(0x61, 1, 9 << 3, 3, ATA_DEV_LBA | 0x80);
		c.xfer = ATA_XFER_IOV;
		c.iov = &iov;
		c.iovcnt = 1;
		c.slot = 9;
		e = run_cmd(d, &c);
		tap_ok(ok_done(e, true) && e->slot == 9 && (fd0.last.flags & DISK_REQ_FUA), "WRITE FPDMA QUEUED with FUA: a FUA disk write");
		c = tf_cmd(0x60, 1, 9 << 3, 3, ATA_DEV_LBA);
		c.slot = 9;
		e = run_cmd(d, &c);
		tap_ok(err_done(e, ATA_ERR_ABRT), "READ FPDMA QUEUED by PIO: ABRT");
	}
	ata_drive_destroy(d);

	d2 = drive_new(ATA_KIND_DISK, &fd0.d, false);
	c = tf_cmd(0x60, 1, 0, 0, ATA_DEV_LBA);
	e = run_iov(d2, &c, buf, 512);
	tap_ok(err_done(e, ATA_ERR_ABRT), "FPDMA on a drive without NCQ (IDE): ABRT");
	ata_drive_destroy(d2);
}

/* Abort and reset with requests on the host (buffers stay in use until they end). */
static void test_reset_inflight(void)
{
	struct ata_drive *d = drive_new(ATA_KIND_DISK, &fd0.d, true);
	static uint8_t bufs[2][4096];
	struct ata_cmd c;
	unsigned i, first;
	struct ata_result sig;
	int ret;

	fd0.hold = true;
	for (i = 0; i < 2; i++) {
		struct iovec iov = { bufs[i], 4096 };

		c = tf_cmd(0x60, 8, (uint16_t)(i << 3), 8 * i, ATA_DEV_LBA);
		c.xfer = ATA_XFER_IOV;
		c.iov = &iov;
		c.iovcnt = 1;
		c.slot = i;
		submit(d, &c);
	}
	turn();
	first = nev;
	nidle = 0;
	dlock(NULL);
	ret = ata_reset(d);
	dunlock(NULL);
	tap_ok(ret == -EINPROGRESS && fd0.nheld == 2, "reset with two reads on the host: -EINPROGRESS");
	c = tf_cmd(0xe7, 0, 0, 0, 0);
	c.slot = 4;
	tap_ok(submit(d, &c) == -EBUSY, "  commands meanwhile: -EBUSY");
	fd0.hold = false;
	fake_release_one(&fd0, 1);
	turn();
	tap_ok(nidle == 0 && nev == first, "  one completed: no event, not idle yet");
	fake_release_one(&fd0, 0);
	turn();
	tap_ok(nidle == 1 && nev == first, "  the last completed: idle() once, no events for the aborted commands");
	c = tf_cmd(0xe7, 0, 0, 0, 0);
	tap_ok(ok_done(run_cmd(d, &c), true), "  then a command runs");
	ata_signature(d, &sig);
	tap_ok(sig.count == 1 && sig.lba == 1, "  the signature after the reset");

	/* Abort in the middle of a PIO phase: nothing on the host, 0 at once. */
	c = tf_cmd(0x20, 0, 2, 0, ATA_DEV_LBA);
	run_cmd(d, &c);
	pio_read(d, buf, 2);
	dlock(NULL);
	ret = ata_abort(d);
	dunlock(NULL);
	tap_ok(ret == 0 && pio_read(d, buf, 2) == -EINVAL, "abort during a PIO data-in phase: 0, the data port is closed");
	c = tf_cmd(0xe7, 0, 0, 0, 0);
	tap_ok(ok_done(run_cmd(d, &c), true), "  a command after it");

	/* Abort while an event is queued: the event is dropped. */
	first = nev;
	c = tf_cmd(0xe5, 0, 0, 0, 0);
	dlock(NULL);
	ata_submit(d, &c);
	ret = ata_abort(d);
	dunlock(NULL);
	turn();
	tap_ok(ret == 0 && nev == first, "abort with an undelivered event: 0, no event");
	/* Abort of a request queued for the host but not submitted yet. */
	c = tf_cmd(0xe7, 0, 0, 0, 0);
	nidle = 0;
	dlock(NULL);
	ata_submit(d, &c);
	ret = ata_abort(d);
	dunlock(NULL);
	turn();
	tap_ok(ret == -EINPROGRESS && nidle == 1 && nev == first, "abort before the bottom half submitted: -EINPROGRESS, idle() without the host");
	ata_drive_destroy(d);
}

static struct ata_drive *hook_drive;
static int hook_ret = 1;

static void abort_in_event(unsigned slot)
{
	(void)slot;
	event_hook = NULL;
	hook_ret = ata_abort(hook_drive);
}

/* A controller aborting from inside an event: the events not delivered yet go too. */
static void test_abort_in_event(void)
{
	struct ata_drive *d = drive_new(ATA_KIND_DISK, &fd0.d, true);
	static uint8_t bufs[3][512];
	struct ata_cmd c;
	unsigned i, first;

	fd0.hold = true;
	for (i = 0; i < 3; i++) {
		struct iovec iov = { bufs[i], 512 };

		c = tf_cmd(0x60, 1, (uint16_t)(i << 3), i, ATA_DEV_LBA);
		c.xfer = ATA_XFER_IOV;
		c.iov = &iov;
		c.iovcnt = 1;
		c.slot = i;
		submit(d, &c);
	}
	turn();
	first = nev;
	hook_drive = d;
	event_hook = abort_in_event;
	fd0.hold = false;
	fake_complete(&fd0);		/* all three complete in one turn */
	turn();
	tap_ok(nev == first + 1 && hook_ret == 0, "three completions, the first event's handler aborts: one event, abort 0");
	c = tf_cmd(0xe7, 0, 0, 0, 0);
	tap_ok(ok_done(run_cmd(d, &c), true), "  the drive takes a command afterwards");
	ata_drive_destroy(d);
}

static void test_trim(void)
{
	struct fake_disk fdd, fro;
	struct ata_drive *d, *dro;
	struct ata_cmd c;
	struct event *e;
	uint8_t ranges[1024];
	unsigned n;

	memset(&fdd, 0, sizeof(fdd));
	memset(&fro, 0, sizeof(fro));
	fake_init(&fdd, DISK_BYTES, false, true);
	fake_init(&fro, DISK_BYTES, true, true);
	d = drive_new(ATA_KIND_DISK, &fdd.d, false);
	memset(ranges, 0, sizeof(ranges));
	put_le(ranges + 0, 10 | 4ull << 48, 8);		/* LBA 10, 4 sectors */
	put_le(ranges + 8, 0, 8);			/* an empty entry: skipped */
	put_le(ranges + 16, 100 | 1ull << 48, 8);
	c = tf_cmd(0x06, 1, 1, 0, ATA_DEV_LBA);
	e = run_iov(d, &c, ranges, 512);
	tap_ok(ok_done(e, true) && fdd.ndiscard == 2 && fdd.last.op == DISK_DISCARD &&
	       fdd.last.offset == 100 * 512 && fdd.last.len == 512 && fdd.data[10 * 512] == 0 && fdd.data[14 * 512] != 0,
	       "DSM TRIM: two ranges, two discards (LBA 10 x4, LBA 100 x1)");
	put_le(ranges + 24, (NSECT - 1) | 2ull << 48, 8);
	n = fdd.ndiscard;
	e = run_iov(d, &c, ranges, 512);
	tap_ok(err_done(e, ATA_ERR_ABRT) && fdd.ndiscard == n, "  a range past the end: ABRT, nothing discarded");
	c = tf_cmd(0x06, 1, 9, 0, ATA_DEV_LBA);
	tap_ok(err_done(run_iov(d, &c, ranges, sizeof(ranges)), ATA_ERR_ABRT), "  9 blocks of ranges (over 8): ABRT");
	c = tf_cmd(0x06, 1, 2, 0, ATA_DEV_LBA);
	tap_ok(err_done(run_iov(d, &c, ranges, 512), ATA_ERR_ABRT), "  a buffer shorter than the blocks: ABRT");
	c = tf_cmd(0x06, 0, 1, 0, ATA_DEV_LBA);
	tap_ok(err_done(run_iov(d, &c, ranges, 512), ATA_ERR_ABRT), "  DSM without the TRIM bit: ABRT");
	ata_drive_destroy(d);

	d = drive_new(ATA_KIND_DISK, &fd0.d, false);
	c = tf_cmd(0x06, 1, 1, 0, ATA_DEV_LBA);
	tap_ok(err_done(run_iov(d, &c, ranges, 512), ATA_ERR_ABRT), "DSM on an image that cannot discard: ABRT");
	ata_drive_destroy(d);

	dro = drive_new(ATA_KIND_DISK, &fro.d, false);
	c = tf_cmd(0xca, 0, 1, 0, ATA_DEV_LBA);
	tap_ok(err_done(run_iov(dro, &c, buf, 512), ATA_ERR_ABRT), "read-only disk: WRITE DMA ABRT");
	c = tf_cmd(0x30, 0, 1, 0, ATA_DEV_LBA);
	tap_ok(err_done(run_cmd(dro, &c), ATA_ERR_ABRT), "  WRITE SECTORS ABRT before asking for data");
	c = tf_cmd(0x06, 1, 1, 0, ATA_DEV_LBA);
	tap_ok(err_done(run_iov(dro, &c, ranges, 512), ATA_ERR_ABRT), "  DSM ABRT");
	n = fro.nsubmit;
	c = tf_cmd(0xe7, 0, 0, 0, 0);
	tap_ok(ok_done(run_cmd(dro, &c), true) && fro.nsubmit == n, "  FLUSH CACHE: done, nothing to flush");
	c = tf_cmd(0xec, 0, 0, 0, 0);
	run_iov(dro, &c, buf2, 512);
	tap_ok(!word(buf2, 169), "  IDENTIFY: no TRIM on a read-only disk");
	ata_drive_destroy(dro);
	fake_fini(&fdd);
	fake_fini(&fro);
}

static void test_state(void)
{
	struct ata_drive *d = drive_new(ATA_KIND_DISK, &fd0.d, false), *d2, *d3;
	struct fake_disk other;
	struct ata_cmd c;
	char msg[STATE_MSG_MAX];
	uint8_t got[1024];
	int ret;

	c = tf_cmd(0xc6, 0, 8, 0, 0);
	run_cmd(d, &c);
	c = tf_cmd(0xef, 0x82, 0, 0, 0);
	run_cmd(d, &c);
	c = tf_cmd(0xef, 0x03, 0x44, 0, 0);
	run_cmd(d, &c);
	c = tf_cmd(0x91, 0, 17, 0, 3);
	run_cmd(d, &c);
	/* In the middle of a PIO read: block 1 of 2, 100 bytes read. */
	c = tf_cmd(0x20, 0, 2, 200, ATA_DEV_LBA);
	run_cmd(d, &c);
	for (ret = 0; ret < 100; ret += 4)
		pio_read(d, got + ret, 4);
	tap_ok(pio_read(d, got + 100, 2) == 410, "a PIO read stopped 102 bytes into its first block");

	fd0.hold = true;
	c = tf_cmd(0xe7, 0, 0, 0, 0);
	d3 = drive_new(ATA_KIND_DISK, &fd0.d, false);
	submit(d3, &c);
	turn();
	{
		struct state_writer w;

		state_writer_init(&w);
		tap_ok(ata_drive_save(d3, &w, 0) == -EBUSY, "save with a command on the host: -EBUSY");
		state_writer_free(&w);
	}
	fd0.hold = false;
	fake_release_one(&fd0, 0);
	turn();
	ata_drive_stop(d3);
	tap_ok(submit(d3, &c) == -ESHUTDOWN, "after ata_drive_stop(): -ESHUTDOWN");
	ata_drive_destroy(d3);

	d2 = drive_new(ATA_KIND_DISK, &fd0.d, false);
	ret = roundtrip(d, d2, 7, msg, sizeof(msg));
	tap_ok(ret == 0, "save and load into a new drive: %d %s", ret, msg);
	turn();
	tap_ok(!fd0.d.writeback, "  the guest's write cache off is applied to the disk");
	tap_ok(pio_read(d2, got + 102, 410) == 0 && disk_data_is(got, 200, 512),
	       "  the PIO phase goes on: the rest of the block, the same data");
	turn();
	tap_ok(last_ev()->res.phase == ATA_PHASE_PIO_IN && pio_read_block(d2, got, 512) &&
	       disk_data_is(got, 201, 512) && ok_done(last_ev(), false), "  the second block read from the disk, then DONE");
	c = tf_cmd(0xec, 0, 0, 0, 0);
	run_iov(d2, &c, buf2, 512);
	tap_ok(word(buf2, 59) == 0x108 && word(buf2, 88) == 0x103f && word(buf2, 55) == 4 &&
	       word(buf2, 56) == 17 && !(word(buf2, 85) & 0x20),
	       "  multiple 8, UDMA4, 4 heads x 17 sectors, write cache off: all restored");

	/* A state for another disk size, or the other kind, is refused and changes nothing. */
	memset(&other, 0, sizeof(other));
	fake_init(&other, DISK_BYTES * 2, false, false);
	d3 = drive_new(ATA_KIND_DISK, &other.d, false);
	ret = roundtrip(d2, d3, 7, msg, sizeof(msg));
	tap_ok(ret == -EINVAL && strstr(msg, "bytes"), "load into a drive with another disk size: -EINVAL (%s)", msg);
	c = tf_cmd(0xec, 0, 0, 0, 0);
	run_iov(d3, &c, buf2, 512);
	tap_ok(!word(buf2, 59) && (word(buf2, 85) & 0x20), "  the drive unchanged");
	ret = roundtrip2(d2, d3, 7, 8, msg, sizeof(msg));
	tap_ok(ret == -ENOENT, "load of another instance id: -ENOENT");
	ata_drive_destroy(d3);
	fake_fini(&other);

	/* A PIO write phase saved with part of its block. */
	c = tf_cmd(0x30, 0, 1, 300, ATA_DEV_LBA);
	run_cmd(d2, &c);
	memset(got, 0x99, 512);
	pio_write(d2, got, 256);
	d3 = drive_new(ATA_KIND_DISK, &fd0.d, false);
	ret = roundtrip(d2, d3, 1, msg, sizeof(msg));
	tap_ok(ret == 0 && pio_write(d3, got, 256) == 0, "a PIO write saved half-way: the rest written after the load");
	turn();
	tap_ok(ok_done(last_ev(), true) && fd0.data[300 * 512] == 0x99 && fd0.data[301 * 512 - 1] == 0x99,
	       "  the whole sector reaches the disk");
	ata_drive_destroy(d3);

	/* Corrupt settings: refused. */
	{
		struct state_writer w;
		struct state_reader r;
		const uint8_t *p;
		size_t len;
		int err;

		state_writer_init(&w);
		state_section_begin(&w, "ata", 3, 1);
		state_put_u8(&w, ATA_KIND_DISK);
		state_put_u64(&w, DISK_BYTES);
		state_put_u8(&w, 3);		/* multiple 3 */
		state_put_u8(&w, 0);
		state_put_bool(&w, true);
		state_put_bool(&w, false);
		state_put_u8(&w, 16);
		state_put_u8(&w, 63);
		state_put_bytes(&w, buf2, 14);
		state_put_bool(&w, false);
		state_section_end(&w);
		p = state_writer_data(&w, &len, &err);
		state_reader_init(&r, p, len);
		d3 = drive_new(ATA_KIND_DISK, &fd0.d, false);
		dlock(NULL);
		ret = ata_drive_load(d3, &r, 3);
		dunlock(NULL);
		tap_ok(ret == -EINVAL, "a state with multiple count 3: -EINVAL (%s)", state_reader_msg(&r));
		state_writer_free(&w);

		state_writer_init(&w);
		state_section_begin(&w, "ata", 3, 1);
		state_put_u8(&w, ATA_KIND_DISK);
		state_put_u64(&w, DISK_BYTES);
		state_put_u8(&w, 0);
		state_put_u8(&w, 0);
		state_put_bool(&w, true);
		state_put_bool(&w, false);
		state_put_u8(&w, 16);
		state_put_u8(&w, 63);
		state_put_bytes(&w, buf2, 14);
		state_put_bool(&w, true);
		state_put_u8(&w, ATA_PHASE_PIO_IN);
		state_put_u8(&w, 0);
		for (int i = 0; i < 14; i++)
			state_put_u8(&w, 0);
		state_put_bytes(&w, buf, 16);
		state_put_u8(&w, 2);			/* DISK_IN */
		state_put_u32(&w, 512);
		state_put_u64(&w, 0);
		state_put_u64(&w, 0);
		state_put_u64(&w, 0);
		state_put_u32(&w, 512);
		state_put_u32(&w, 100000);		/* a DRQ block larger than the buffer */
		state_put_u32(&w, 0);
		state_put_u32(&w, 100000);
		state_put_u32(&w, 0);
		state_put_bool(&w, false);
		state_put_u32(&w, 0);
		state_section_end(&w);
		p = state_writer_data(&w, &len, &err);
		state_reader_init(&r, p, len);
		dlock(NULL);
		ret = ata_drive_load(d3, &r, 3);
		dunlock(NULL);
		tap_ok(ret == -EINVAL && pio_read(d3, got, 2) == -EINVAL,
		       "a PIO phase with a block past the buffer: -EINVAL, no PIO phase (%s)", state_reader_msg(&r));
		state_writer_free(&w);
		ata_drive_destroy(d3);
	}
	ata_drive_destroy(d2);
	ata_drive_destroy(d);
}

/* --- random commands: whatever the guest writes, no bad access, one DONE each --- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static unsigned rnd_done[ATA_MAX_SLOTS], rnd_pio[ATA_MAX_SLOTS];

static void count_event(unsigned slot)
{
	const struct ata_result *res = &last_ev()->res;

	if (slot >= ATA_MAX_SLOTS)
		return;
	if (res->phase == ATA_PHASE_DONE)
		rnd_done[slot]++;
	else
		rnd_pio[slot]++;
}

/* Moves a PIO phase's data in random-sized accesses until the command ends. */
static bool drain_pio(struct ata_drive *d, unsigned slot, unsigned done_before)
{
	unsigned rounds;

	for (rounds = 0; rounds < 1000000 && rnd_done[slot] == done_before; rounds++) {
		uint8_t tmp[1024];
		unsigned len = 1u << (rnd() % 11);	/* 1 to 1024 bytes an access */
		int ret = last_ev()->res.phase == ATA_PHASE_PIO_OUT ? pio_write(d, tmp, len) :
			  pio_read(d, tmp, len);

		if (ret == 0 || ret == -EINVAL)
			turn();
	}
	return rnd_done[slot] == done_before + 1;
}

static void random_commands(enum ata_kind kind, struct disk *disk, bool ncq, unsigned n)
{
	static const uint8_t ops[] = {
		0x06, 0x08, 0x20, 0x24, 0x25, 0x29, 0x2f, 0x30, 0x34, 0x35, 0x39, 0x40, 0x42,
		0x47, 0x60, 0x61, 0x70, 0x90, 0x91, 0xa0, 0xa1, 0xc4, 0xc5, 0xc6, 0xc8, 0xca,
		0xe0, 0xe5, 0xe7, 0xea, 0xec, 0xef,
	};
	struct ata_drive *d = kind == ATA_KIND_DISK ? drive_new(kind, disk, ncq) : NULL;
	unsigned i, bad = 0, accepted = 0;

	if (!d) {
		struct ata_drive_config c = { .kind = kind, .disk = disk, .loop = loop, .ops = host_ops };

		if (ata_drive_create(&d, &c))
			return;
	}
	memset(rnd_done, 0, sizeof(rnd_done));
	memset(rnd_pio, 0, sizeof(rnd_pio));
	event_hook = count_event;
	for (i = 0; i < n; i++) {
		struct iovec iov[3];
		struct ata_cmd c;
		unsigned k, slot, before;
		uint64_t r = rnd();

		memset(&c, 0, sizeof(c));
		c.tf.command = r & 1 ? ops[rnd() % sizeof(ops)] : (uint8_t)rnd();
		c.tf.feature = (uint16_t)(rnd() & (r & 2 ? 0xffff : 0x0f));
		c.tf.count = (uint16_t)(rnd() & (r & 4 ? 0xffff : 0x3f));
		c.tf.lba = rnd() & (r & 8 ? 0xffffffffffffull : 0x7ff);
		c.tf.device = (uint8_t)rnd();
		for (k = 0; k < 12; k++)
			c.cdb[k] = (uint8_t)(k == 0 && r & 16 ? ops[rnd() % 3] : rnd() & (r & 32 ? 0xff : 0x07));
		if (r & 64)
			c.cdb[0] = (uint8_t)(0x00 + "\x00\x03\x12\x1b\x1e\x25\x28\x43\x46\x4a\x51\x5a\xa8\xbb\xbd"[rnd() % 15]);
		slot = (c.tf.command == 0x60 || c.tf.command == 0x61) ? (c.tf.count >> 3) & 31 : 0;
		c.slot = slot;
		c.xfer = r & 128 ? ATA_XFER_PIO : ATA_XFER_IOV;
		if (c.xfer == ATA_XFER_IOV) {
			c.iovcnt = (unsigned)(rnd() % 4);
			for (k = 0; k < c.iovcnt; k++) {
				size_t len = rnd() % 8192, off = rnd() % (sizeof(buf) - 8192);

				iov[k].iov_base = buf + off;
				iov[k].iov_len = len;
			}
			c.iov = iov;
		}
		if (!(rnd() % 50))
			fake_of(disk ? disk : &fd0.d)->fail = -EIO;
		before = rnd_done[slot];
		if (submit(d, &c))
			continue;
		accepted++;
		turn();
		if ((c.xfer == ATA_XFER_PIO && rnd_done[slot] == before && !drain_pio(d, slot, before)) ||
		    rnd_done[slot] != before + 1) {
			bad++;
			tap_diag("command %02xh feature %04x count %04x lba %llx device %02x xfer %d iovcnt %u: %u DONE",
				 c.tf.command, c.tf.feature, c.tf.count, (unsigned long long)c.tf.lba,
				 c.tf.device, c.xfer, c.iovcnt, rnd_done[slot] - before);
		}
		if (!(rnd() % 200)) {
			dlock(NULL);
			if (rnd() & 1)
				ata_reset(d);
			else
				ata_abort(d);
			dunlock(NULL);
			turn();
		}
	}
	event_hook = NULL;
	tap_ok(!bad && accepted > n / 2, "%u random %s commands (%u taken): each ended in one DONE, no bad access",
	       n, kind == ATA_KIND_DISK ? "ATA" : "ATAPI", accepted);
	if (bad)
		tap_diag("%u commands without exactly one DONE", bad);
	ata_drive_destroy(d);
}

static void test_random(void)
{
	struct fake_disk fdd, cdd;

	memset(&fdd, 0, sizeof(fdd));
	memset(&cdd, 0, sizeof(cdd));
	fake_init(&fdd, DISK_BYTES, false, true);
	fake_init(&cdd, DISK_BYTES, true, false);
	random_commands(ATA_KIND_DISK, &fdd.d, true, 20000);
	random_commands(ATA_KIND_DISK, &fdd.d, false, 5000);
	random_commands(ATA_KIND_CDROM, &cdd.d, false, 20000);
	fake_fini(&fdd);
	fake_fini(&cdd);
}

/* Events come with the controller's lock held; bad configs and arguments. */
static void test_api(void)
{
	struct ata_drive_config cfg = { .kind = ATA_KIND_DISK, .loop = loop, .ops = host_ops };
	struct ata_drive *d;
	struct ata_cmd c;
	bool locked_all = true;
	unsigned i;

	tap_ok(ata_drive_create(&d, &cfg) == -EINVAL, "a disk drive without a disk: -EINVAL");
	cfg.kind = ATA_KIND_CDROM;
	cfg.ncq = true;
	tap_ok(ata_drive_create(&d, &cfg) == -EINVAL, "a CD-ROM with NCQ: -EINVAL");
	cfg.kind = 7;
	tap_ok(ata_drive_create(&d, &cfg) == -EINVAL, "an unknown kind: -EINVAL");
	d = drive_new(ATA_KIND_DISK, &fd0.d, false);
	c = tf_cmd(0xe7, 0, 0, 0, 0);
	c.slot = 32;
	tap_ok(submit(d, &c) == -EINVAL, "slot 32: -EINVAL");
	c.slot = 0;
	c.xfer = ATA_XFER_IOV;
	c.iovcnt = 1;
	c.iov = NULL;
	tap_ok(submit(d, &c) == -EINVAL, "iovcnt 1 without iovecs: -EINVAL");
	c.iovcnt = ATA_MAX_IOV + 1;
	c.iov = (struct iovec *)buf;
	tap_ok(submit(d, &c) == -EINVAL, "more than ATA_MAX_IOV segments: -EINVAL");
	for (i = 0; i < nev && i < MAX_EVENTS; i++)
		locked_all &= evs[i].with_lock;
	tap_ok(locked_all && nev > 100, "all %u events so far came with the controller's lock held", nev);
	ata_drive_destroy(d);
}

int main(void)
{
	if (ioloop_create(&loop)) {
		tap_ok(0, "ioloop_create");
		return tap_done();
	}
	fake_init(&fd0, DISK_BYTES, false, false);
	test_identify();
	test_dma();
	test_range();
	test_pio();
	test_misc();
	test_flush();
	test_wce();
	test_wce_real();
	test_ncq();
	test_ncq_log();
	test_reset_inflight();
	test_abort_in_event();
	test_trim();
	test_state();
	test_random();
	test_api();
	fake_fini(&fd0);
	ioloop_destroy(loop);
	return tap_done();
}
