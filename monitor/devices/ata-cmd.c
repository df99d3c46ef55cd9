// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * devices/ata-cmd.c - the ATA command set of a drive (ATA8-ACS, ACS-3):
 * IDENTIFY DEVICE, reads and writes (PIO, multiple, DMA, NCQ), verify,
 * flush, SET FEATURES, power management, CHS parameters, diagnostics,
 * DATA SET MANAGEMENT (TRIM); and the ATA commands an ATAPI drive takes
 * besides PACKET.  Every guest value is checked here before any I/O: an
 * LBA range past the end (or overflowing) is IDNF, anything unknown or
 * malformed ABRT.
 */
#include <errno.h>
#include <string.h>

#include "le.h"
#include "devices/ata-int.h"

/* Opcodes (ACS-3 table 206 "Command codes"). */
enum {
	CMD_NOP_DSM		= 0x06,	/* DATA SET MANAGEMENT */
	CMD_DEVICE_RESET	= 0x08,
	CMD_READ_SECTORS	= 0x20,
	CMD_READ_SECTORS_NR	= 0x21,	/* without retries (obsolete) */
	CMD_READ_SECTORS_EXT	= 0x24,
	CMD_READ_DMA_EXT	= 0x25,
	CMD_READ_MULTIPLE_EXT	= 0x29,
	CMD_READ_LOG_EXT	= 0x2f,
	CMD_WRITE_SECTORS	= 0x30,
	CMD_WRITE_SECTORS_NR	= 0x31,
	CMD_WRITE_SECTORS_EXT	= 0x34,
	CMD_WRITE_DMA_EXT	= 0x35,
	CMD_WRITE_MULTIPLE_EXT	= 0x39,
	CMD_READ_VERIFY		= 0x40,
	CMD_READ_VERIFY_NR	= 0x41,
	CMD_READ_VERIFY_EXT	= 0x42,
	CMD_READ_LOG_DMA_EXT	= 0x47,
	CMD_READ_FPDMA		= 0x60,
	CMD_WRITE_FPDMA		= 0x61,
	CMD_SEEK		= 0x70,
	CMD_DIAGNOSTIC		= 0x90,
	CMD_INIT_PARAMS		= 0x91,
	CMD_PACKET		= 0xa0,
	CMD_IDENTIFY_PACKET	= 0xa1,
	CMD_READ_MULTIPLE	= 0xc4,
	CMD_WRITE_MULTIPLE	= 0xc5,
	CMD_SET_MULTIPLE	= 0xc6,
	CMD_READ_DMA		= 0xc8,
	CMD_READ_DMA_NR		= 0xc9,
	CMD_WRITE_DMA		= 0xca,
	CMD_WRITE_DMA_NR	= 0xcb,
	CMD_STANDBY_IMMEDIATE	= 0xe0,
	CMD_IDLE_IMMEDIATE	= 0xe1,
	CMD_STANDBY		= 0xe2,
	CMD_IDLE		= 0xe3,
	CMD_CHECK_POWER		= 0xe5,
	CMD_SLEEP		= 0xe6,
	CMD_FLUSH		= 0xe7,
	CMD_FLUSH_EXT		= 0xea,
	CMD_IDENTIFY		= 0xec,
	CMD_SET_FEATURES	= 0xef,
};

enum ata_proto ata_cmd_proto(enum ata_kind kind, uint8_t command, uint16_t feature)
{
	(void)feature;
	if (kind == ATA_KIND_CDROM) {
		switch (command) {
		case CMD_PACKET:
			return ATA_PROTO_PACKET;
		case CMD_IDENTIFY_PACKET:
			return ATA_PROTO_PIO_IN;
		case CMD_DEVICE_RESET:
			return ATA_PROTO_DEVICE_RESET;
		default:
			return ATA_PROTO_NONDATA;
		}
	}
	switch (command) {
	case CMD_READ_SECTORS: case CMD_READ_SECTORS_NR: case CMD_READ_SECTORS_EXT:
	case CMD_READ_MULTIPLE: case CMD_READ_MULTIPLE_EXT: case CMD_IDENTIFY:
	case CMD_READ_LOG_EXT:
		return ATA_PROTO_PIO_IN;
	case CMD_WRITE_SECTORS: case CMD_WRITE_SECTORS_NR: case CMD_WRITE_SECTORS_EXT:
	case CMD_WRITE_MULTIPLE: case CMD_WRITE_MULTIPLE_EXT:
		return ATA_PROTO_PIO_OUT;
	case CMD_READ_DMA: case CMD_READ_DMA_NR: case CMD_READ_DMA_EXT:
	case CMD_WRITE_DMA: case CMD_WRITE_DMA_NR: case CMD_WRITE_DMA_EXT:
	case CMD_NOP_DSM: case CMD_READ_LOG_DMA_EXT:
		return ATA_PROTO_DMA;
	case CMD_READ_FPDMA: case CMD_WRITE_FPDMA:
		return ATA_PROTO_DMA_QUEUED;
	default:
		return ATA_PROTO_NONDATA;
	}
}

/* --- IDENTIFY DEVICE (ACS-3 7.12.7) --------------------------------------- */

void ata_id_string(uint16_t *w, const char *s, unsigned words)
{
	size_t n = strlen(s);
	unsigned i;

	for (i = 0; i < words * 2; i++) {
		uint8_t c = i < n ? (uint8_t)s[i] : ' ';

		if (i & 1)
			w[i / 2] |= c;
		else
			w[i / 2] = (uint16_t)(c << 8);
	}
}

void ata_id_checksum(uint16_t *id)
{
	uint8_t sum = 0;
	unsigned i;

	id[255] = 0x00a5;
	for (i = 0; i < 255; i++)
		sum = (uint8_t)(sum + (id[i] & 0xff) + (id[i] >> 8));
	sum = (uint8_t)(sum + 0xa5);
	id[255] |= (uint16_t)((uint8_t)-sum << 8);
}

void ata_id_put(uint8_t *buf, const uint16_t *id)
{
	unsigned i;

	for (i = 0; i < 256; i++)
		put_le(buf + 2 * i, id[i], 2);
}

static uint64_t nsectors(const struct ata_drive *d)
{
	return d->disk->size / ATA_SECTOR;
}

/* Cylinders of the current CHS translation (at most 65535; 16383 in words 1 and 54 for LBA-sized disks). */
static uint32_t cylinders(const struct ata_drive *d)
{
	uint64_t c = nsectors(d) / ((uint32_t)d->heads * d->spt);

	return c > 65535 ? 65535 : (uint32_t)c;
}

/* The ATA8-ACS transfer-mode words: the supported modes, the selected one in the high byte. */
void ata_id_modes(const struct ata_drive *d, uint16_t *id)
{
	uint8_t v = d->xfer_mode;

	id[62] = 0;
	id[63] = 0x0007;			/* multiword DMA 0-2 */
	id[64] = 0x0003;			/* PIO 3 and 4 */
	id[65] = id[66] = id[67] = id[68] = 120;	/* cycle times, ns */
	id[88] = 0x003f;			/* Ultra DMA 0-5 */
	if ((v >> 3) == 4)
		id[63] |= (uint16_t)(0x100 << (v & 7));
	else if ((v >> 3) == 8)
		id[88] |= (uint16_t)(0x100 << (v & 7));
	/* Word 93: a device 0 that passed, 80-conductor cable (CBLID- high). */
	id[93] = 0x6001;
}

void ata_identify(const struct ata_drive *d, uint16_t *id)
{
	uint64_t n = nsectors(d);
	uint32_t lba28 = n > 0x0fffffff ? 0x0fffffff : (uint32_t)n;
	uint32_t cyl = cylinders(d), cap;
	bool trim = d->disk->can_discard && !d->disk->readonly;

	memset(id, 0, 512);
	id[0] = 0x0040;				/* not removable, ATA device */
	/* The default translation (16 heads, 63 sectors), cylinders up to 16383. */
	id[1] = (uint16_t)(n / (16 * 63) > 16383 ? 16383 : n / (16 * 63));
	id[3] = 16;
	id[6] = 63;
	ata_id_string(&id[10], d->serial, 10);
	ata_id_string(&id[23], "1.0", 4);
	ata_id_string(&id[27], d->model, 20);
	id[47] = 0x8000 | ATA_MAX_MULTIPLE;
	id[49] = 1u << 11 | 1u << 9 | 1u << 8;	/* IORDY, LBA, DMA */
	id[50] = 0x4000;
	id[53] = 0x0007;			/* words 54-58, 64-70, 88 valid */
	/* Words 54-58: the current CHS translation. */
	id[54] = (uint16_t)(cyl > 16383 ? 16383 : cyl);
	id[55] = d->heads;
	id[56] = d->spt;
	cap = (cyl > 16383 ? 16383 : cyl) * d->heads * d->spt;
	id[57] = (uint16_t)cap;
	id[58] = (uint16_t)(cap >> 16);
	id[59] = (uint16_t)(d->multiple ? 0x100 | d->multiple : 0);
	id[60] = (uint16_t)lba28;
	id[61] = (uint16_t)(lba28 >> 16);
	ata_id_modes(d, id);
	if (d->ncq_cap) {
		id[75] = 31;			/* queue depth 32 */
		id[76] = 1u << 8 | 1u << 2 | 1u << 1;	/* NCQ, SATA gen 2 and 1 */
	}
	id[80] = 0x01f0;			/* ATA/ATAPI-4 to ATA8-ACS */
	/* Words 82-87: power management, write cache, look-ahead; FLUSH CACHE (EXT), LBA48. */
	id[82] = 1u << 6 | 1u << 5 | 1u << 3;
	id[83] = 0x4000 | 1u << 13 | 1u << 12 | 1u << 10;
	id[84] = 0x4000 | 1u << 5;		/* general purpose logging */
	id[85] = (uint16_t)(1u << 6 | (d->wce ? 1u << 5 : 0) | 1u << 3);
	id[86] = 1u << 15 | 1u << 13 | 1u << 12 | 1u << 10;	/* bit 15: words 119-120 valid */
	id[87] = 0x4000 | 1u << 5;
	/* Word 119/120 bit 3: READ LOG DMA EXT as well as READ LOG EXT. */
	id[119] = 0x4000 | 1u << 3;
	id[120] = 0x4000 | 1u << 3;
	id[100] = (uint16_t)n;
	id[101] = (uint16_t)(n >> 16);
	id[102] = (uint16_t)(n >> 32);
	id[103] = (uint16_t)(n >> 48);
	if (trim)
		id[105] = ATA_DSM_MAX_BLOCKS;
	id[106] = 0x6003;			/* 8 logical sectors (4 KiB) per physical */
	if (trim)
		id[169] = 1;			/* DSM TRIM */
	id[217] = 1;				/* non-rotating medium */
	ata_id_checksum(id);
}

/* --- addressing ---------------------------------------------------------- */

/* The starting LBA: 48-bit, 28-bit, or from CHS; false for a CHS outside the geometry. */
static bool cmd_lba(const struct ata_req *r, bool ext, uint64_t *lba)
{
	const struct ata_drive *d = r->d;
	uint32_t cyl, head, sect;

	if (ext) {
		*lba = r->tf.lba & 0xffffffffffffull;
		return true;
	}
	if (r->tf.device & ATA_DEV_LBA) {
		*lba = (r->tf.lba & 0xffffff) | (uint64_t)(r->tf.device & 0xf) << 24;
		return true;
	}
	/* CHS: sector number, cylinder low/high, head (ATA-5 "CHS addressing"). */
	sect = r->tf.lba & 0xff;
	cyl = (r->tf.lba >> 8) & 0xffff;
	head = r->tf.device & 0xf;
	if (!sect || sect > d->spt || head >= d->heads || cyl >= cylinders(d))
		return false;
	*lba = ((uint64_t)cyl * d->heads + head) * d->spt + sect - 1;
	return true;
}

/* The sector count: 0 means 256 (28-bit) or 65536 (48-bit). */
static uint32_t cmd_count(uint16_t v, bool ext)
{
	if (ext)
		return v ? v : 65536;
	v &= 0xff;
	return v ? v : 256;
}

/* Reads and writes of every kind but queued. */
static void rw(struct ata_req *r, bool ext, bool write, bool dma, uint32_t block)
{
	struct ata_drive *d = r->d;
	uint32_t n = cmd_count(r->tf.count, ext);
	uint64_t lba;

	if (dma && r->xfer != ATA_XFER_IOV) {
		/* A controller without a bus-master transfer for a DMA command. */
		ata_req_done(r, ATA_ERR_ABRT);
		return;
	}
	if (write && d->disk->readonly) {
		ata_req_done(r, ATA_ERR_ABRT);
		return;
	}
	if (!cmd_lba(r, ext, &lba) || !ata_range_ok(lba, n, nsectors(d))) {
		r->res.lba = r->tf.lba;
		ata_req_done(r, ATA_ERR_IDNF);
		return;
	}
	d->standby = false;
	r->ssize = ATA_SECTOR;
	r->write = write;
	r->blk_max = block * ATA_SECTOR;
	ata_req_disk(r, lba, (uint64_t)n * ATA_SECTOR);
}

static void rw_multiple(struct ata_req *r, bool ext, bool write)
{
	/* ATA8-ACS READ/WRITE MULTIPLE: aborted while multiple mode is off. */
	if (!r->d->multiple) {
		ata_req_done(r, ATA_ERR_ABRT);
		return;
	}
	rw(r, ext, write, false, r->d->multiple);
}

/* READ/WRITE FPDMA QUEUED (ACS-3 13.6): count in FEATURE, tag in COUNT 7:3, FUA in DEVICE 7. */
static void fpdma(struct ata_req *r, bool write)
{
	struct ata_drive *d = r->d;
	unsigned tag = (r->tf.count >> 3) & 31;
	uint32_t n = r->tf.feature ? r->tf.feature : 65536;
	uint64_t lba = r->tf.lba & 0xffffffffffffull;

	if (!d->ncq_cap || r->xfer != ATA_XFER_IOV || (d->tags & (1u << tag)) ||
	    (write && d->disk->readonly)) {
		ata_req_done(r, ATA_ERR_ABRT);
		return;
	}
	r->ncq = true;
	d->tags |= 1u << tag;
	d->nr_ncq++;
	if (!ata_range_ok(lba, n, nsectors(d))) {
		r->res.lba = lba;
		ata_req_done(r, ATA_ERR_IDNF);
		return;
	}
	d->standby = false;
	r->ssize = ATA_SECTOR;
	r->write = write;
	r->dflags = write && (r->tf.device & 0x80) ? DISK_REQ_FUA : 0;
	ata_req_disk(r, lba, (uint64_t)n * ATA_SECTOR);
}

static void verify(struct ata_req *r, bool ext)
{
	uint32_t n = cmd_count(r->tf.count, ext);
	uint64_t lba;

	if (!cmd_lba(r, ext, &lba) || !ata_range_ok(lba, n, nsectors(r->d))) {
		r->res.lba = r->tf.lba;
		ata_req_done(r, ATA_ERR_IDNF);
		return;
	}
	ata_req_done(r, 0);
}

/* FLUSH CACHE (EXT): done once every completed write is durable (the disk's FLUSH). */
static void flush(struct ata_req *r)
{
	struct disk_req *dr;

	if (r->d->disk->readonly) {
		ata_req_done(r, 0);
		return;
	}
	dr = ata_req_host(r, 1);
	dr->op = DISK_FLUSH;
	ata_req_go(r);
}

/* DATA SET MANAGEMENT, TRIM (ACS-3 7.5): 8-byte LBA range entries in COUNT 512-byte blocks. */
static void dsm(struct ata_req *r)
{
	struct ata_drive *d = r->d;
	uint32_t blocks = r->tf.count, bytes, i, n = 0;
	struct disk_req *dr;
	uint8_t *buf = d->pio_buf;

	if (!(r->tf.feature & 1) || !d->disk->can_discard || d->disk->readonly ||
	    r->xfer != ATA_XFER_IOV || !blocks || blocks > ATA_DSM_MAX_BLOCKS ||
	    r->iov_bytes < (uint64_t)blocks * ATA_SECTOR) {
		ata_req_done(r, ATA_ERR_ABRT);
		return;
	}
	bytes = blocks * ATA_SECTOR;
	ata_iov_from(r, 0, buf, bytes);
	for (i = 0; i < bytes; i += 8) {
		uint64_t e = get_le(buf + i, 8), lba = e & 0xffffffffffffull;
		uint32_t len = (uint32_t)(e >> 48);

		if (!len)
			continue;
		if (!ata_range_ok(lba, len, nsectors(d))) {
			ata_req_done(r, ATA_ERR_ABRT);
			return;
		}
		n++;
	}
	r->moved = bytes;
	if (!n) {
		ata_req_done(r, 0);
		return;
	}
	dr = ata_req_host(r, n);
	if (!dr) {
		ata_req_done(r, ATA_ERR_ABRT);
		return;
	}
	for (i = 0; i < bytes; i += 8) {
		uint64_t e = get_le(buf + i, 8);

		if (!(e >> 48))
			continue;
		dr->op = DISK_DISCARD;
		dr->offset = (e & 0xffffffffffffull) * ATA_SECTOR;
		dr->len = (e >> 48) * ATA_SECTOR;
		dr++;
	}
	ata_req_go(r);
}

/*
 * READ LOG EXT / READ LOG DMA EXT (ACS-3 7.24, 7.25): the log directory
 * (00h) and the NCQ Command Error log (10h), one page each.  LBA low is
 * the log address, LBA mid and its HOB byte the page, COUNT the pages.
 */
static void read_log(struct ata_req *r, bool dma)
{
	struct ata_drive *d = r->d;
	uint8_t log = (uint8_t)r->tf.lba, *b = d->pio_buf, sum = 0;
	uint32_t page = (uint32_t)((r->tf.lba >> 8) & 0xff) | (uint32_t)((r->tf.lba >> 32) & 0xff) << 8;
	unsigned i;

	if ((dma && r->xfer != ATA_XFER_IOV) || r->tf.count != 1 || page ||
	    (log != 0x00 && (log != ATA_LOG_NCQ_ERROR || !d->ncq_cap))) {
		ata_req_done(r, ATA_ERR_ABRT);
		return;
	}
	memset(b, 0, ATA_SECTOR);
	if (log == 0x00) {
		b[0] = 0x01;			/* general purpose logging version 1 */
		if (d->ncq_cap)
			b[2 * ATA_LOG_NCQ_ERROR] = 1;	/* pages of log 10h */
	} else {
		/* Read once: the error is the host's now (ACS-3 9.13). */
		memcpy(b, d->ncq_log, sizeof(d->ncq_log));
		memset(d->ncq_log, 0, sizeof(d->ncq_log));
		for (i = 0; i < ATA_SECTOR - 1; i++)
			sum = (uint8_t)(sum + b[i]);
		b[ATA_SECTOR - 1] = (uint8_t)-sum;
	}
	r->blk_max = ATA_SECTOR;
	ata_req_reply(r, ATA_SECTOR);
}

/* SET FEATURES (ACS-3 7.45). */
static void set_features(struct ata_req *r)
{
	struct ata_drive *d = r->d;
	uint8_t v = (uint8_t)r->tf.count;

	switch (r->tf.feature & 0xff) {
	case 0x02:	/* enable volatile write cache */
	case 0x82:	/* disable: every later write durable when it completes */
		if (d->kind != ATA_KIND_DISK)
			break;
		ata_set_wce(d, (r->tf.feature & 0xff) == 0x02);
		ata_req_done(r, 0);
		return;
	case 0x03:	/* set transfer mode (count: mode class 7:3, mode 2:0) */
		if (v <= 1 || ((v >> 3) == 1 && (v & 7) <= 4) ||
		    ((v >> 3) == 4 && (v & 7) <= 2) || ((v >> 3) == 8 && (v & 7) <= 5)) {
			d->xfer_mode = v;
			ata_req_done(r, 0);
			return;
		}
		break;
	case 0xaa:	/* read look-ahead on / off: nothing to look ahead of */
	case 0x55:
	case 0x66:	/* power-on defaults kept / reverted after a reset */
	case 0xcc:
		ata_req_done(r, 0);
		return;
	default:
		break;
	}
	ata_req_done(r, ATA_ERR_ABRT);
}

static void set_multiple(struct ata_req *r)
{
	uint8_t v = (uint8_t)r->tf.count;

	/* A power of two up to IDENTIFY word 47's maximum; 0 turns it off. */
	if (v > ATA_MAX_MULTIPLE || (v & (v - 1))) {
		ata_req_done(r, ATA_ERR_ABRT);
		return;
	}
	r->d->multiple = v;
	ata_req_done(r, 0);
}

static void init_params(struct ata_req *r)
{
	uint8_t spt = (uint8_t)r->tf.count;

	if (!spt) {
		ata_req_done(r, ATA_ERR_ABRT);
		return;
	}
	r->d->spt = spt;
	r->d->heads = (uint8_t)((r->tf.device & 0xf) + 1);
	ata_req_done(r, 0);
}

/* The commands both kinds take; false when `r` is not one of them. */
static bool common(struct ata_req *r)
{
	struct ata_drive *d = r->d;

	switch (r->tf.command) {
	case CMD_SET_FEATURES:
		set_features(r);
		return true;
	case CMD_DIAGNOSTIC:
		/* ATA8-ACS EXECUTE DEVICE DIAGNOSTIC: the signature, code 01h (passed). */
		ata_req_done(r, 0);
		ata_signature(d, &r->res);
		r->res.irq = true;
		return true;
	case CMD_CHECK_POWER:
		ata_req_done(r, 0);
		r->res.count = d->standby ? 0x00 : 0xff;
		return true;
	case CMD_STANDBY_IMMEDIATE:
	case CMD_STANDBY:
	case CMD_SLEEP:
		d->standby = true;
		ata_req_done(r, 0);
		return true;
	case CMD_IDLE_IMMEDIATE:
	case CMD_IDLE:
		d->standby = false;
		ata_req_done(r, 0);
		return true;
	default:
		return false;
	}
}

/* An ATAPI drive's ATA commands (ATA8-ACS "PACKET feature set"). */
static void start_atapi(struct ata_req *r)
{
	struct ata_drive *d = r->d;
	uint16_t id[256];

	switch (r->tf.command) {
	case CMD_IDENTIFY_PACKET:
		atapi_identify(d, id);
		ata_id_put(d->pio_buf, id);
		r->blk_max = 512;
		ata_req_reply(r, 512);
		return;
	case CMD_IDENTIFY:
		/* Aborted, with the PACKET signature for the host to see. */
		ata_req_done(r, ATA_ERR_ABRT);
		r->res.count = 1;
		r->res.lba = 0xeb1401;
		return;
	case CMD_DEVICE_RESET:
		ata_settings_reset(d);
		atapi_reset(d);
		ata_req_done(r, 0);
		ata_signature(d, &r->res);
		return;
	default:
		if (!common(r))
			ata_req_done(r, ATA_ERR_ABRT);
		return;
	}
}

void ata_cmd_start(struct ata_req *r)
{
	struct ata_drive *d = r->d;
	uint16_t id[256];

	if (d->kind == ATA_KIND_CDROM) {
		start_atapi(r);
		return;
	}
	switch (r->tf.command) {
	case CMD_IDENTIFY:
		ata_identify(d, id);
		ata_id_put(d->pio_buf, id);
		r->blk_max = 512;
		ata_req_reply(r, 512);
		return;
	case CMD_READ_SECTORS: case CMD_READ_SECTORS_NR:
		rw(r, false, false, false, 1);
		return;
	case CMD_READ_SECTORS_EXT:
		rw(r, true, false, false, 1);
		return;
	case CMD_WRITE_SECTORS: case CMD_WRITE_SECTORS_NR:
		rw(r, false, true, false, 1);
		return;
	case CMD_WRITE_SECTORS_EXT:
		rw(r, true, true, false, 1);
		return;
	case CMD_READ_MULTIPLE:
		rw_multiple(r, false, false);
		return;
	case CMD_READ_MULTIPLE_EXT:
		rw_multiple(r, true, false);
		return;
	case CMD_WRITE_MULTIPLE:
		rw_multiple(r, false, true);
		return;
	case CMD_WRITE_MULTIPLE_EXT:
		rw_multiple(r, true, true);
		return;
	case CMD_READ_DMA: case CMD_READ_DMA_NR:
		rw(r, false, false, true, 1);
		return;
	case CMD_READ_DMA_EXT:
		rw(r, true, false, true, 1);
		return;
	case CMD_WRITE_DMA: case CMD_WRITE_DMA_NR:
		rw(r, false, true, true, 1);
		return;
	case CMD_WRITE_DMA_EXT:
		rw(r, true, true, true, 1);
		return;
	case CMD_READ_FPDMA:
		fpdma(r, false);
		return;
	case CMD_WRITE_FPDMA:
		fpdma(r, true);
		return;
	case CMD_READ_VERIFY: case CMD_READ_VERIFY_NR:
		verify(r, false);
		return;
	case CMD_READ_VERIFY_EXT:
		verify(r, true);
		return;
	case CMD_FLUSH:
	case CMD_FLUSH_EXT:
		flush(r);
		return;
	case CMD_NOP_DSM:
		dsm(r);
		return;
	case CMD_READ_LOG_EXT:
		read_log(r, false);
		return;
	case CMD_READ_LOG_DMA_EXT:
		read_log(r, true);
		return;
	case CMD_SET_MULTIPLE:
		set_multiple(r);
		return;
	case CMD_INIT_PARAMS:
		init_params(r);
		return;
	case CMD_SEEK:
	case 0x10 ... 0x1f:	/* RECALIBRATE (obsolete): nothing moves */
		ata_req_done(r, 0);
		return;
	default:
		if (!common(r))
			ata_req_done(r, ATA_ERR_ABRT);
		return;
	}
}
