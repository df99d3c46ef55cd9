// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * atapi-test.c - the ATAPI CD/DVD-ROM drive (monitor/devices/atapi.c over
 * ata.c) fed PACKET commands as a controller would, by IOV and by PIO
 * with its byte count limit: IDENTIFY PACKET DEVICE and the signature,
 * every MMC command it takes and their errors, sense data and REQUEST
 * SENSE, unit attention, media events, the tray and the lock, the host's
 * insert (a real ISO file) and eject, media errors, a disc taken out in
 * the middle of a read, save and load.
 */
#include <stdio.h>
#include <unistd.h>

#include "io/pool.h"
#include "devices/atapi.h"
#include "ata-host.h"

#define CD_BYTES	(4u << 20)
#define CD_SECT		(CD_BYTES / 2048)

static struct fake_disk cd, cd2;
static uint8_t buf[1 << 17];

static bool data_at(const uint8_t *p, uint64_t off, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++, off++)
		if (p[i] != (uint8_t)(off / 512 * 7 + off % 512))
			return false;
	return true;
}

static uint32_t be(const uint8_t *p, unsigned n)
{
	uint32_t v = 0;
	unsigned i;

	for (i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/* A PACKET command; `limit` is the PIO byte count limit (LBA mid/high). */
static struct ata_cmd packet(const uint8_t *cdb, uint16_t limit, bool dma)
{
	struct ata_cmd c = tf_cmd(0xa0, dma, 0, (uint64_t)limit << 8, 0);

	memcpy(c.cdb, cdb, 12);
	return c;
}

static struct event *pk_iov(struct ata_drive *d, const uint8_t *cdb, void *p, size_t len)
{
	struct ata_cmd c = packet(cdb, 0, true);

	return run_iov(d, &c, p, len);
}

static struct event *pk_pio(struct ata_drive *d, const uint8_t *cdb, uint16_t limit)
{
	struct ata_cmd c = packet(cdb, limit, false);

	return run_cmd(d, &c);
}

/* A CHECK CONDITION with this sense: ERR, the key in the error register, CoD|IO. */
static bool sense_is(const struct event *e, uint8_t key, uint8_t asc, uint8_t ascq)
{
	return e && e->res.phase == ATA_PHASE_DONE && (e->res.status & ATA_STAT_ERR) &&
	       e->res.error >> 4 == key && e->res.sense_key == key && e->res.asc == asc &&
	       e->res.ascq == ascq && e->res.count == 3 && e->res.irq;
}

static bool good(const struct event *e)
{
	return e && e->res.phase == ATA_PHASE_DONE && !(e->res.status & ATA_STAT_ERR) &&
	       !e->res.sense_key && e->res.count == 3 && e->res.irq;
}

#define CDB(...) ((const uint8_t[12]){ __VA_ARGS__ })

static const uint8_t *tur = CDB(0x00);

/* The sense REQUEST SENSE reports now. */
static bool request_sense_is(struct ata_drive *d, uint8_t key, uint8_t asc, uint8_t ascq)
{
	uint8_t s[18];
	struct event *e = pk_iov(d, CDB(0x03, 0, 0, 0, 18), s, sizeof(s));

	return good(e) && e->res.bytes == 18 && s[0] == 0x70 && s[2] == key && s[7] == 10 &&
	       s[12] == asc && s[13] == ascq;
}

static uint8_t gesn_event(struct ata_drive *d, uint8_t *status)
{
	uint8_t b[8];
	struct event *e = pk_iov(d, CDB(0x4a, 1, 0, 0, 0x10, 0, 0, 0, 8), b, sizeof(b));

	if (!good(e) || be(b, 2) != 6 || b[2] != 0x04 || b[3] != 0x10)
		return 0xff;
	if (status)
		*status = b[5];
	return b[4];
}

static struct ata_drive *cdrom(struct disk *disk, struct pool *pool)
{
	struct ata_drive_config c = {
		.kind = ATA_KIND_CDROM, .disk = disk, .loop = loop, .pool = pool,
		.serial = "CD0", .ops = host_ops,
	};
	struct ata_drive *d = NULL;

	if (ata_drive_create(&d, &c))
		return NULL;
	turn();
	return d;
}

static uint16_t word(const uint8_t *id, unsigned w)
{
	return (uint16_t)(id[2 * w] | id[2 * w + 1] << 8);
}

static void test_identify(void)
{
	struct ata_drive *d = cdrom(&cd.d, NULL);
	struct ata_cmd c = tf_cmd(0xa1, 0, 0, 0, 0);
	struct ata_result sig;
	struct event *e;
	uint8_t id[512], id2[512], sum = 0;
	char model[41];
	unsigned i;

	e = run_iov(d, &c, id, 512);
	for (i = 0; i < 512; i++)
		sum = (uint8_t)(sum + id[i]);
	for (i = 0; i < 20; i++) {
		model[2 * i] = (char)id[54 + 2 * i + 1];
		model[2 * i + 1] = (char)id[54 + 2 * i];
	}
	model[40] = 0;
	tap_ok(e && e->res.phase == ATA_PHASE_DONE && e->res.status == 0x50 && e->res.bytes == 512,
	       "IDENTIFY PACKET DEVICE");
	tap_ok(word(id, 0) == 0x85c0, "  word 0: ATAPI, CD/DVD, removable, 12-byte packets (%04x)", word(id, 0));
	tap_ok(!strncmp(model, "VMAIN DVD-ROM ", 14), "  model 'VMAIN DVD-ROM'");
	tap_ok((word(id, 49) & 0x300) == 0x300 && (word(id, 82) & 0x210) == 0x210 && id[510] == 0xa5 && !sum,
	       "  LBA and DMA, the PACKET feature set and DEVICE RESET, checksum");
	c.xfer = ATA_XFER_PIO;
	e = run_cmd(d, &c);
	tap_ok(e && e->res.phase == ATA_PHASE_PIO_IN && pio_read_block(d, id2, 512) && !memcmp(id, id2, 512) &&
	       last_ev()->res.phase == ATA_PHASE_DONE && !last_ev()->res.irq, "  by PIO: the same block, then DONE without an interrupt");

	c = tf_cmd(0xec, 0, 0, 0, 0);
	e = run_iov(d, &c, id, 512);
	tap_ok(e && (e->res.status & ATA_STAT_ERR) && e->res.error == ATA_ERR_ABRT && e->res.count == 1 &&
	       e->res.lba == 0xeb1401, "IDENTIFY DEVICE: ABRT with the PACKET signature (14h/EBh)");
	ata_signature(d, &sig);
	tap_ok(sig.lba == 0xeb1401 && sig.count == 1 && sig.error == 1 && sig.status == 0,
	       "ata_signature(): 01h/01h/14h/EBh, status 0");
	c = tf_cmd(0x90, 0, 0, 0, 0);
	e = run_cmd(d, &c);
	tap_ok(e && e->res.lba == 0xeb1401 && e->res.error == 1 && e->res.irq, "EXECUTE DEVICE DIAGNOSTIC: the signature");
	c = tf_cmd(0x08, 0, 0, 0, 0);
	e = run_cmd(d, &c);
	tap_ok(e && e->res.lba == 0xeb1401 && !e->res.status && !e->res.irq, "DEVICE RESET: the signature, no interrupt");
	c = tf_cmd(0xef, 0x03, 0x42, 0, 0);
	tap_ok(ok_done(run_cmd(d, &c), true), "SET FEATURES transfer mode");
	c = tf_cmd(0xef, 0x82, 0, 0, 0);
	tap_ok(err_done(run_cmd(d, &c), ATA_ERR_ABRT), "SET FEATURES write cache: ABRT (no write cache)");
	c = tf_cmd(0xc8, 0, 1, 0, ATA_DEV_LBA);
	tap_ok(err_done(run_iov(d, &c, id, 512), ATA_ERR_ABRT), "READ DMA: ABRT");
	c = tf_cmd(0xe5, 0, 0, 0, 0);
	e = run_cmd(d, &c);
	tap_ok(ok_done(e, true) && e->res.count == 0xff, "CHECK POWER MODE");
	tap_ok(ata_command_proto(d, 0xa0, 1) == ATA_PROTO_PACKET && ata_command_proto(d, 0xa1, 0) == ATA_PROTO_PIO_IN &&
	       ata_command_proto(d, 0x08, 0) == ATA_PROTO_DEVICE_RESET && ata_command_proto(d, 0xc8, 0) == ATA_PROTO_NONDATA &&
	       ata_drive_kind(d) == ATA_KIND_CDROM, "ata_command_proto() of an ATAPI drive");
	ata_drive_destroy(d);
}

static void test_basic(void)
{
	struct ata_drive *d = cdrom(&cd.d, NULL);
	struct event *e;
	uint8_t b[64];

	tap_ok(good(pk_iov(d, tur, NULL, 0)), "TEST UNIT READY with a disc: good (no unit attention at power-on)");
	e = pk_iov(d, CDB(0x12, 0, 0, 0, 96), b, sizeof(b));
	tap_ok(good(e) && e->res.bytes == 36 && b[0] == 5 && b[1] == 0x80 && b[4] == 31 &&
	       !memcmp(b + 8, "VMAIN   DVD-ROM ", 16), "INQUIRY: 36 bytes, CD/DVD, removable, 'VMAIN DVD-ROM'");
	e = pk_iov(d, CDB(0x12, 0, 0, 0, 5), b, sizeof(b));
	tap_ok(good(e) && e->res.bytes == 5, "  allocation length 5: 5 bytes");
	e = pk_iov(d, CDB(0x12, 1, 0x80, 0, 96), b, sizeof(b));
	tap_ok(sense_is(e, 5, 0x24, 0) && e->res.error == 0x54, "  EVPD: ILLEGAL REQUEST, invalid field (05/24/00), error 54h");
	tap_ok(request_sense_is(d, 5, 0x24, 0), "REQUEST SENSE reports it (fixed format)");
	tap_ok(request_sense_is(d, 0, 0, 0), "  and clears it");
	e = pk_iov(d, CDB(0x25), b, 8);
	tap_ok(good(e) && be(b, 4) == CD_SECT - 1 && be(b + 4, 4) == 2048, "READ CAPACITY: last LBA %u, 2048-byte blocks", CD_SECT - 1);

	e = pk_iov(d, CDB(0x28, 0, 0, 0, 0, 3, 0, 0, 2), buf, 4096);
	tap_ok(good(e) && e->res.bytes == 4096 && data_at(buf, 3 * 2048, 4096), "READ(10) of LBA 3-4");
	e = pk_iov(d, CDB(0xa8, 0, 0, 0, 0, 5, 0, 0, 0, 1), buf, 2048);
	tap_ok(good(e) && data_at(buf, 5 * 2048, 2048), "READ(12) of LBA 5");
	e = pk_iov(d, CDB(0x28, 0, 0, 0, 0x07, 0xff, 0, 0, 2), buf, 4096);
	tap_ok(sense_is(e, 5, 0x21, 0) && e->res.bytes == 0, "READ(10) of the last sector and one past: 05/21/00");
	e = pk_iov(d, CDB(0xa8, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), buf, 4096);
	tap_ok(sense_is(e, 5, 0x21, 0), "READ(12) at FFFFFFFFh of FFFFFFFFh sectors: 05/21/00");
	e = pk_iov(d, CDB(0x28, 0, 0, 0, 0, 0, 0, 0, 0), buf, 4096);
	tap_ok(good(e) && !e->res.bytes, "READ(10) of 0 sectors: good, nothing moved");
	e = pk_iov(d, CDB(0x28, 0, 0, 0, 0, 1, 0, 0, 2), buf, 3000);
	tap_ok(good(e) && e->res.bytes == 2048 && data_at(buf, 2048, 2048), "READ(10) of 2 into a 3000-byte buffer: cut to 1 sector");
	cd.fail = -EIO;
	e = pk_iov(d, CDB(0x28, 0, 0, 0, 0, 1, 0, 0, 1), buf, 2048);
	tap_ok(sense_is(e, 3, 0x11, 0), "a read the image fails: MEDIUM ERROR, unrecovered read error (03/11/00)");
	tap_ok(request_sense_is(d, 3, 0x11, 0), "  REQUEST SENSE reports it");

	e = pk_iov(d, CDB(0xbe), buf, 2048);
	tap_ok(sense_is(e, 5, 0x20, 0), "READ CD (not supported): invalid opcode (05/20/00)");
	e = pk_iov(d, CDB(0x1a, 0, 0x2a, 0, 64), buf, 64);
	tap_ok(sense_is(e, 5, 0x20, 0), "MODE SENSE(6): invalid opcode");
	tap_ok(good(pk_iov(d, CDB(0xbb, 0, 0xff, 0xff), NULL, 0)), "SET CD SPEED: good");
	e = pk_iov(d, CDB(0xbd, 0, 0, 0, 0, 0, 0, 0, 0, 8), b, 8);
	tap_ok(good(e) && e->res.bytes == 8 && b[1] == 0 && !b[5], "MECHANISM STATUS: tray closed, no changer");
	e = pk_iov(d, CDB(0x51, 0, 0, 0, 0, 0, 0, 0, 34), b, 64);
	tap_ok(good(e) && e->res.bytes == 34 && be(b, 2) == 32 && b[2] == 0x0e && b[3] == 1 && b[4] == 1,
	       "READ DISC INFORMATION: 34 bytes, a finalized disc, 1 session, 1 track");
	e = pk_iov(d, CDB(0x51, 1, 0, 0, 0, 0, 0, 0, 34), b, 64);
	tap_ok(sense_is(e, 5, 0x24, 0), "  data type 1 (track resources): 05/24/00");
	ata_drive_destroy(d);
}

static void test_pio(void)
{
	struct ata_drive *d = cdrom(&cd.d, NULL);
	struct event *e;
	unsigned first = nev, i;
	bool ok = true;

	e = pk_pio(d, CDB(0x28, 0, 0, 0, 0, 2, 0, 0, 3), 4096);
	tap_ok(e && e->res.phase == ATA_PHASE_PIO_IN && e->res.bytes == 4096 && e->res.irq &&
	       e->res.count == ATAPI_IREASON_IO && e->res.lba == 4096 << 8,
	       "PIO READ(10) of 3 sectors, byte count limit 4096: a 4096-byte block, IO=1 CoD=0, byte count 4096");
	ok = pio_read_block(d, buf, 4096) && last_ev()->res.bytes == 2048 && pio_read_block(d, buf + 4096, 2048);
	tap_ok(ok && data_at(buf, 2 * 2048, 6144) && good(last_ev()) && nev == first + 3,
	       "  then 2048, then DONE with an interrupt and CoD|IO");

	/* An odd limit is taken as the even one below it: 1000-byte blocks. */
	first = nev;
	e = pk_pio(d, CDB(0x28, 0, 0, 0, 0, 0, 0, 0, 3), 1001);
	for (i = 0; i < 7 && ok; i++) {
		unsigned n = i < 6 ? 1000 : 144;

		ok = last_ev()->res.phase == ATA_PHASE_PIO_IN && last_ev()->res.bytes == n &&
		     pio_read_block(d, buf + i * 1000, n);
	}
	tap_ok(ok && data_at(buf, 0, 6144) && good(last_ev()) && nev == first + 8,
	       "byte count limit 1001: six blocks of 1000 bytes and one of 144");
	first = nev;
	e = pk_pio(d, CDB(0x12, 0, 0, 0, 36), 16);
	ok = e && e->res.bytes == 16 && pio_read_block(d, buf, 16) && last_ev()->res.bytes == 16 &&
	     pio_read_block(d, buf + 16, 16) && last_ev()->res.bytes == 4 && pio_read_block(d, buf + 32, 4);
	tap_ok(ok && good(last_ev()) && buf[0] == 5 && !memcmp(buf + 8, "VMAIN", 5), "PIO INQUIRY, limit 16: 16 + 16 + 4 bytes");
	/* Limit 0: the largest block. */
	e = pk_pio(d, CDB(0x25), 0);
	tap_ok(e && e->res.bytes == 8 && pio_read_block(d, buf, 8) && good(last_ev()), "byte count limit 0: taken as the largest");
	/* A READ longer than the 64 KiB buffer: refilled from the disc. */
	e = pk_pio(d, CDB(0x28, 0, 0, 0, 0, 0, 0, 0, 40), 0xfffe);
	ok = e && e->res.bytes == 0xfffe && pio_read_block(d, buf, 0xfffe) && last_ev()->res.bytes == 2 &&
	     pio_read_block(d, buf + 0xfffe, 2) && last_ev()->res.bytes == 8 * 2048 &&
	     pio_read_block(d, buf + 0x10000, 8 * 2048);
	tap_ok(ok && data_at(buf, 0, 40 * 2048) && good(last_ev()), "PIO READ(10) of 40 sectors: 65534 + 2 bytes, then the last 8 sectors");
	ata_drive_destroy(d);
}

/* Walks GET CONFIGURATION's descriptors: the codes (and current bits) listed. */
static unsigned features(const uint8_t *b, unsigned len, uint16_t *codes, bool *cur)
{
	unsigned off = 8, n = 0;

	while (off + 4 <= len && n < 16) {
		codes[n] = (uint16_t)be(b + off, 2);
		cur[n++] = b[off + 2] & 1;
		off += 4 + b[off + 3];
	}
	return n;
}

static void test_config(void)
{
	struct ata_drive *d = cdrom(&cd.d, NULL), *dvd, *empty;
	struct fake_disk big;
	uint16_t codes[16];
	bool cur[16];
	struct event *e;
	unsigned n;

	e = pk_iov(d, CDB(0x46, 0, 0, 0, 0, 0, 0, 0x01, 0), buf, 256);
	n = features(buf, e ? e->res.bytes : 0, codes, cur);
	tap_ok(good(e) && be(buf, 4) == e->res.bytes - 4 && be(buf + 6, 2) == 0x0008,
	       "GET CONFIGURATION (all): data length, current profile CD-ROM for a 4 MiB disc");
	tap_ok(n == 7 && codes[0] == 0 && codes[1] == 1 && codes[2] == 2 && codes[3] == 3 && codes[4] == 0x10 &&
	       codes[5] == 0x1e && codes[6] == 0x1f && cur[4] && cur[5] && !cur[6],
	       "  profile list, core, morphing, removable medium, random readable, CD read (current), DVD read");
	tap_ok(be(buf + 12, 2) == 0x10 && !(buf[14] & 1) && be(buf + 16, 2) == 0x08 && (buf[18] & 1),
	       "  profiles DVD-ROM and CD-ROM, CD-ROM current");
	tap_ok(be(buf + 24, 4) == 2, "  core: the ATAPI interface");
	e = pk_iov(d, CDB(0x46, 1, 0, 0, 0, 0, 0, 0x01, 0), buf, 256);
	n = features(buf, e ? e->res.bytes : 0, codes, cur);
	tap_ok(good(e) && n == 6 && codes[5] == 0x1e, "  RT=1: the current features only (no DVD read)");
	e = pk_iov(d, CDB(0x46, 2, 0, 0x1f, 0, 0, 0, 0x01, 0), buf, 256);
	n = features(buf, e ? e->res.bytes : 0, codes, cur);
	tap_ok(good(e) && n == 1 && codes[0] == 0x1f && !cur[0], "  RT=2 from 001Fh: that feature alone");
	e = pk_iov(d, CDB(0x46, 0, 0, 0, 0, 0, 0, 0, 8), buf, 256);
	tap_ok(good(e) && e->res.bytes == 8 && be(buf, 4) > 4, "  allocation length 8: the header, the full length in it");
	e = pk_iov(d, CDB(0x46, 3), buf, 256);
	tap_ok(sense_is(e, 5, 0x24, 0), "  RT=3: 05/24/00");

	memset(&big, 0, sizeof(big));
	fake_init(&big, 1 << 20, true, false);
	big.d.size = 4ull << 30;
	dvd = cdrom(&big.d, NULL);
	e = pk_iov(dvd, CDB(0x46, 1, 0, 0, 0, 0, 0, 0x01, 0), buf, 256);
	n = features(buf, e ? e->res.bytes : 0, codes, cur);
	tap_ok(good(e) && be(buf + 6, 2) == 0x0010 && n == 6 && codes[5] == 0x1f, "a 4 GiB disc: DVD-ROM, DVD read current");
	ata_drive_destroy(dvd);
	fake_fini(&big);

	empty = cdrom(NULL, NULL);
	e = pk_iov(empty, CDB(0x46, 1, 0, 0, 0, 0, 0, 0x01, 0), buf, 256);
	n = features(buf, e ? e->res.bytes : 0, codes, cur);
	tap_ok(good(e) && be(buf + 6, 2) == 0 && n == 4, "no disc: no current profile, no random readable");
	ata_drive_destroy(empty);
	ata_drive_destroy(d);
}

static void test_toc_mode(void)
{
	struct ata_drive *d = cdrom(&cd.d, NULL);
	struct event *e;
	uint8_t b[64];

	e = pk_iov(d, CDB(0x43, 0, 0, 0, 0, 0, 0, 0, 64), b, 64);
	tap_ok(good(e) && e->res.bytes == 20 && be(b, 2) == 18 && b[2] == 1 && b[3] == 1 &&
	       b[5] == 0x14 && b[6] == 1 && be(b + 8, 4) == 0 && b[14] == 0xaa && be(b + 16, 4) == CD_SECT,
	       "READ TOC format 0: track 1 at LBA 0, lead-out at %u", CD_SECT);
	e = pk_iov(d, CDB(0x43, 2, 0, 0, 0, 0, 0, 0, 64), b, 64);
	tap_ok(good(e) && be(b + 8, 4) == 0x00000200 && be(b + 16, 4) == 0x00001d17,
	       "  MSF: 00:02:00 and 00:29:23 (2048 + 150 frames)");
	e = pk_iov(d, CDB(0x43, 0, 0, 0, 0, 0, 0xaa, 0, 64), b, 64);
	tap_ok(good(e) && e->res.bytes == 12 && b[6] == 0xaa, "  from track AAh: the lead-out alone");
	e = pk_iov(d, CDB(0x43, 0, 0, 0, 0, 0, 2, 0, 64), b, 64);
	tap_ok(sense_is(e, 5, 0x24, 0), "  from track 2 (there is none): 05/24/00");
	e = pk_iov(d, CDB(0x43, 0, 1, 0, 0, 0, 0, 0, 64), b, 64);
	tap_ok(good(e) && e->res.bytes == 12 && be(b, 2) == 10 && b[6] == 1 && be(b + 8, 4) == 0,
	       "READ TOC format 1: session 1 starts at track 1, LBA 0");
	e = pk_iov(d, CDB(0x43, 0, 0, 0, 0, 0, 0, 0, 64, 0x40), b, 64);
	tap_ok(good(e) && e->res.bytes == 12, "  format 1 given in byte 9 (SFF-8020i)");
	e = pk_iov(d, CDB(0x43, 0, 2, 0, 0, 0, 0, 0, 64), b, 64);
	tap_ok(sense_is(e, 5, 0x24, 0), "READ TOC format 2: 05/24/00");
	e = pk_iov(d, CDB(0x43, 0, 0, 0, 0, 0, 0, 0, 4), b, 64);
	tap_ok(good(e) && e->res.bytes == 4 && be(b, 2) == 18, "  allocation length 4: the header, the full length in it");

	e = pk_iov(d, CDB(0x5a, 0, 0x2a, 0, 0, 0, 0, 0, 64), b, 64);
	tap_ok(good(e) && e->res.bytes == 30 && be(b, 2) == 28 && b[8] == 0x2a && b[9] == 20 &&
	       b[14] == 0x29 && be(b + 16, 2) == 706, "MODE SENSE(10) 2Ah: capabilities (tray, eject, lock)");
	pk_iov(d, CDB(0x1e, 0, 0, 0, 1), NULL, 0);
	e = pk_iov(d, CDB(0x5a, 0, 0x2a, 0, 0, 0, 0, 0, 64), b, 64);
	tap_ok(good(e) && b[14] == 0x2b, "  after PREVENT: the lock state bit");
	pk_iov(d, CDB(0x1e, 0, 0, 0, 0), NULL, 0);
	e = pk_iov(d, CDB(0x5a, 0, 0x01, 0, 0, 0, 0, 0, 64), b, 64);
	tap_ok(good(e) && e->res.bytes == 16 && b[8] == 1 && b[9] == 6 && b[11] == 5, "MODE SENSE(10) 01h: error recovery");
	e = pk_iov(d, CDB(0x5a, 0, 0x3f, 0, 0, 0, 0, 0, 64), b, 64);
	tap_ok(good(e) && e->res.bytes == 8 + 8 + 12 + 22 && b[8] == 1 && b[16] == 0x1a && b[28] == 0x2a,
	       "  3Fh: all pages (01h, 1Ah, 2Ah)");
	e = pk_iov(d, CDB(0x5a, 0, 0x6a, 0, 0, 0, 0, 0, 64), b, 64);
	tap_ok(good(e) && b[8] == 0x2a && !b[10] && !b[14], "  changeable values: none");
	e = pk_iov(d, CDB(0x5a, 0, 0xea, 0, 0, 0, 0, 0, 64), b, 64);
	tap_ok(sense_is(e, 5, 0x39, 0), "  saved values: 05/39/00");
	e = pk_iov(d, CDB(0x5a, 0, 0x05, 0, 0, 0, 0, 0, 64), b, 64);
	tap_ok(sense_is(e, 5, 0x24, 0), "  page 05h: 05/24/00");
	ata_drive_destroy(d);
}

/* Insert, unit attention once, the event, eject, not ready. */
static void test_media(void)
{
	struct ata_drive *d = cdrom(NULL, NULL);
	struct event *e;
	uint8_t st = 0xee, b[8];

	tap_ok(sense_is(pk_iov(d, tur, NULL, 0), 2, 0x3a, 0), "empty drive: TEST UNIT READY NOT READY, medium not present (02/3A/00)");
	tap_ok(request_sense_is(d, 2, 0x3a, 0), "  REQUEST SENSE: 02/3A/00");
	tap_ok(sense_is(pk_iov(d, CDB(0x25), b, 8), 2, 0x3a, 0), "  READ CAPACITY: 02/3A/00");
	tap_ok(sense_is(pk_iov(d, CDB(0x28, 0, 0, 0, 0, 0, 0, 0, 1), buf, 2048), 2, 0x3a, 0), "  READ(10): 02/3A/00");
	tap_ok(good(pk_iov(d, CDB(0x12, 0, 0, 0, 36), buf, 36)), "  INQUIRY: good");
	tap_ok(gesn_event(d, &st) == 0 && st == 0, "  GET EVENT STATUS: no event, no medium");
	e = pk_iov(d, CDB(0x4a, 0, 0, 0, 0x10, 0, 0, 0, 8), b, 8);
	tap_ok(sense_is(e, 5, 0x24, 0), "  GET EVENT STATUS not polled: 05/24/00");
	e = pk_iov(d, CDB(0x4a, 1, 0, 0, 0x02, 0, 0, 0, 8), b, 8);
	tap_ok(good(e) && e->res.bytes == 4 && b[2] == 0x80 && be(b, 2) == 2, "  only other classes asked: NEA");

	tap_ok(atapi_insert_disk(d, &cd.d, false) == 0 && atapi_has_medium(d), "insert a disc");
	tap_ok(good(pk_iov(d, CDB(0x12, 0, 0, 0, 36), buf, 36)), "  INQUIRY passes the unit attention");
	tap_ok(gesn_event(d, &st) == 2 && st == 0x02, "  GET EVENT STATUS: new media, medium present");
	tap_ok(gesn_event(d, &st) == 0, "  reported once");
	tap_ok(sense_is(pk_iov(d, tur, NULL, 0), 6, 0x28, 0), "  TEST UNIT READY: UNIT ATTENTION, medium may have changed (06/28/00)");
	tap_ok(good(pk_iov(d, tur, NULL, 0)), "  once: the next is good");
	e = pk_iov(d, CDB(0x28, 0, 0, 0, 0, 9, 0, 0, 1), buf, 2048);
	tap_ok(good(e) && data_at(buf, 9 * 2048, 2048), "  READ(10) reads the disc");

	/* The unit attention reported by REQUEST SENSE instead. */
	tap_ok(atapi_insert_disk(d, &cd2.d, false) == 0, "another disc over it");
	tap_ok(gesn_event(d, NULL) == 2, "  new media");
	tap_ok(request_sense_is(d, 6, 0x28, 0) && good(pk_iov(d, tur, NULL, 0)), "  REQUEST SENSE takes the unit attention");

	tap_ok(atapi_eject(d) == 0 && !atapi_has_medium(d), "host eject");
	tap_ok(gesn_event(d, &st) == 3 && st == 0, "  GET EVENT STATUS: media removal");
	tap_ok(sense_is(pk_iov(d, tur, NULL, 0), 2, 0x3a, 0), "  TEST UNIT READY: not ready");
	tap_ok(atapi_eject(d) == 0, "  eject of an empty drive: 0");
	ata_drive_destroy(d);
}

static void test_lock_tray(void)
{
	struct ata_drive *d = cdrom(&cd.d, NULL);
	struct event *e;
	uint8_t b[8], st;

	tap_ok(good(pk_iov(d, CDB(0x1e, 0, 0, 0, 1), NULL, 0)), "PREVENT ALLOW MEDIUM REMOVAL: prevent");
	tap_ok(atapi_eject(d) == -EBUSY && atapi_has_medium(d), "  host eject: -EBUSY, the disc stays");
	tap_ok(gesn_event(d, &st) == 1 && st == 0x02, "  the guest sees an eject request");
	tap_ok(atapi_insert_disk(d, &cd2.d, false) == -EBUSY, "  host insert over it: -EBUSY");
	e = pk_iov(d, CDB(0x1b, 0, 0, 0, 0x02), NULL, 0);
	tap_ok(sense_is(e, 5, 0x53, 0x02), "  START STOP UNIT eject: medium removal prevented (05/53/02)");
	tap_ok(good(pk_iov(d, tur, NULL, 0)), "  the disc is still readable");
	tap_ok(good(pk_iov(d, CDB(0x1e, 0, 0, 0, 0), NULL, 0)), "allow");

	/* The guest's eject opens the tray with the disc in it; closing brings it back. */
	tap_ok(good(pk_iov(d, CDB(0x1b, 0, 0, 0, 0x02), NULL, 0)), "START STOP UNIT LoEj: the tray opens");
	tap_ok(!atapi_has_medium(d) && sense_is(pk_iov(d, tur, NULL, 0), 2, 0x3a, 0), "  not ready");
	e = pk_iov(d, CDB(0xbd, 0, 0, 0, 0, 0, 0, 0, 0, 8), b, 8);
	tap_ok(good(e) && b[1] == 0x10, "  MECHANISM STATUS: door open");
	tap_ok(gesn_event(d, &st) == 3 && st == 0x01, "  GET EVENT STATUS: media removal, tray open");
	tap_ok(good(pk_iov(d, CDB(0x1b, 0, 0, 0, 0x03), NULL, 0)), "START STOP UNIT LoEj+Start: the tray closes");
	tap_ok(atapi_has_medium(d) && gesn_event(d, &st) == 2 && st == 0x02, "  the same disc, new media");
	tap_ok(sense_is(pk_iov(d, tur, NULL, 0), 6, 0x28, 0) && good(pk_iov(d, tur, NULL, 0)), "  a unit attention, once");
	tap_ok(good(pk_iov(d, CDB(0x1b, 0, 0, 0, 0x01), NULL, 0)), "START STOP UNIT Start (spin up): good");
	/* Guest opens, host ejects: the disc in the open tray goes too. */
	pk_iov(d, CDB(0x1b, 0, 0, 0, 0x02), NULL, 0);
	tap_ok(atapi_eject(d) == 0, "host eject with the tray open");
	pk_iov(d, CDB(0x1b, 0, 0, 0, 0x03), NULL, 0);
	tap_ok(!atapi_has_medium(d), "  closing the tray then finds no disc");
	ata_drive_destroy(d);
}

/* A real ISO through atapi_insert() (the disk stack, read-only). */
static void test_real_iso(void)
{
	char dir[] = "/tmp/atapi-test-XXXXXX", path[80], err[160];
	struct ata_drive *d;
	struct pool *p;
	struct event *e;
	uint8_t b[8];
	FILE *f;
	int ret, i;

	path[0] = 0;
	if (!mkdtemp(dir) || pool_create(&p, 1)) {
		tap_ok(0, "temporary directory and pool");
		return;
	}
	snprintf(path, sizeof(path), "%s/disc.iso", dir);
	f = fopen(path, "w");
	for (i = 0; f && i < 32 * 2048; i++)
		fputc((uint8_t)(i / 512 * 7 + i % 512), f);
	if (f)
		fclose(f);
	d = cdrom(NULL, p);
	ret = atapi_insert(d, path, err, sizeof(err));
	tap_ok(ret == 0 && atapi_has_medium(d), "atapi_insert() of a 64 KiB ISO file");
	pk_iov(d, tur, NULL, 0);
	e = pk_iov(d, CDB(0x25), b, 8);
	tap_ok(good(e) && be(b, 4) == 31, "  READ CAPACITY: 32 blocks");
	e = pk_iov(d, CDB(0x28, 0, 0, 0, 0, 30, 0, 0, 2), buf, 4096);
	for (i = 0; i < 200 && !(e = last_ev(), e && e->res.phase == ATA_PHASE_DONE && e->res.bytes); i++)
		ioloop_run_once(loop, 10);
	tap_ok(good(e) && e->res.bytes == 4096 && data_at(buf, 30 * 2048, 4096), "  READ(10) of its last two blocks");
	ret = atapi_insert(d, "/nonexistent/disc.iso", err, sizeof(err));
	tap_ok(ret == -ENOENT && err[0] && atapi_has_medium(d), "atapi_insert() of a missing file: -ENOENT (%s), the disc stays", err);
	tap_ok(atapi_eject(d) == 0 && !atapi_has_medium(d), "atapi_eject() closes it");
	ret = atapi_insert(d, path, err, sizeof(err));
	tap_ok(ret == 0, "inserted again (the image's lock was released)");
	ata_drive_destroy(d);		/* closes the drive's own disc */
	pool_destroy(p);
	unlink(path);
	rmdir(dir);
}

/* The disc taken out while a PIO read is between chunks. */
static void test_gone_midway(void)
{
	struct ata_drive *d = cdrom(NULL, NULL);
	struct event *e;

	atapi_insert_disk(d, &cd.d, false);
	pk_iov(d, tur, NULL, 0);
	e = pk_pio(d, CDB(0x28, 0, 0, 0, 0, 0, 0, 0, 40), 0xfffe);
	tap_ok(e && pio_read_block(d, buf, 0xfffe), "a 40-sector PIO read, its first block read");
	tap_ok(atapi_eject(d) == 0, "  the host ejects the disc");
	tap_ok(pio_read_block(d, buf, 2) && sense_is(last_ev(), 2, 0x3a, 0),
	       "  the rest of the buffered chunk, then NOT READY instead of a read of the next");
	ata_drive_destroy(d);
}

static void test_state(void)
{
	struct ata_drive *a = cdrom(&cd.d, NULL), *b, *c2, *e0, *disk;
	struct fake_disk other;
	char msg[STATE_MSG_MAX];
	uint8_t st;
	int ret;

	pk_iov(a, CDB(0x1e, 0, 0, 0, 1), NULL, 0);
	atapi_eject(a);				/* refused: an eject request pending */
	pk_iov(a, CDB(0x12, 1), buf, 36);	/* a sense pending */
	b = cdrom(&cd.d, NULL);
	ret = roundtrip(a, b, 1, msg, sizeof(msg));
	tap_ok(ret == 0, "save and load of a CD-ROM with the same disc: %d %s", ret, msg);
	tap_ok(request_sense_is(b, 5, 0x24, 0), "  the sense");
	tap_ok(gesn_event(b, &st) == 1 && atapi_eject(b) == -EBUSY, "  the eject request and the lock");
	ata_drive_destroy(b);

	memset(&other, 0, sizeof(other));
	fake_init(&other, 2 << 20, true, false);
	c2 = cdrom(&other.d, NULL);
	ret = roundtrip(a, c2, 1, msg, sizeof(msg));
	tap_ok(ret == 0 && gesn_event(c2, NULL) == 2 && sense_is(pk_iov(c2, tur, NULL, 0), 6, 0x28, 0),
	       "load with another disc: a media change (new media, unit attention)");
	ata_drive_destroy(c2);
	e0 = cdrom(NULL, NULL);
	ret = roundtrip(a, e0, 1, msg, sizeof(msg));
	tap_ok(ret == 0 && gesn_event(e0, NULL) == 3 && sense_is(pk_iov(e0, tur, NULL, 0), 2, 0x3a, 0),
	       "load with no disc: media removal, not ready");
	ata_drive_destroy(e0);
	disk = drive_new(ATA_KIND_DISK, &other.d, false);
	ret = roundtrip(a, disk, 1, msg, sizeof(msg));
	tap_ok(ret == -EINVAL && strstr(msg, "ATAPI"), "load into an ATA disk drive: -EINVAL (%s)", msg);
	ata_drive_destroy(disk);
	fake_fini(&other);
	pk_iov(a, CDB(0x1e, 0, 0, 0, 0), NULL, 0);

	/* The guest's open tray is kept. */
	pk_iov(a, CDB(0x1b, 0, 0, 0, 0x02), NULL, 0);
	b = cdrom(&cd.d, NULL);
	ret = roundtrip(a, b, 1, msg, sizeof(msg));
	tap_ok(ret == 0 && !atapi_has_medium(b), "a state with the tray open: the disc is in the open tray");
	pk_iov(b, CDB(0x1b, 0, 0, 0, 0x03), NULL, 0);
	tap_ok(atapi_has_medium(b), "  closing the tray brings it back");
	ata_drive_destroy(b);
	pk_iov(a, CDB(0x1b, 0, 0, 0, 0x03), NULL, 0);
	pk_iov(a, tur, NULL, 0);

	/* A PIO read saved in the middle of a block. */
	pk_pio(a, CDB(0x28, 0, 0, 0, 0, 4, 0, 0, 2), 2048);
	pio_read(a, buf, 2);
	b = cdrom(&cd.d, NULL);
	ret = roundtrip(a, b, 1, msg, sizeof(msg));
	tap_ok(ret == 0 && pio_read(b, buf + 2, 2046) == 0, "a PIO READ(10) saved 2 bytes into its block: the rest after the load");
	turn();
	tap_ok(pio_read_block(b, buf + 2048, 2048) && data_at(buf, 4 * 2048, 4096) && good(last_ev()),
	       "  the second sector, then good");
	ata_drive_destroy(b);
	ata_drive_destroy(a);
}

int main(void)
{
	if (ioloop_create(&loop)) {
		tap_ok(0, "ioloop_create");
		return tap_done();
	}
	fake_init(&cd, CD_BYTES, true, false);
	fake_init(&cd2, CD_BYTES, true, false);
	test_identify();
	test_basic();
	test_pio();
	test_config();
	test_toc_mode();
	test_media();
	test_lock_tray();
	test_real_iso();
	test_gone_midway();
	test_state();
	fake_fini(&cd);
	fake_fini(&cd2);
	ioloop_destroy(loop);
	return tap_done();
}
