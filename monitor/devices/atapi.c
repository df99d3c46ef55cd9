// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * devices/atapi.c - an ATAPI CD/DVD-ROM drive: IDENTIFY PACKET DEVICE and
 * the PACKET commands of MMC-6 a guest needs to find, read and boot from
 * a disc (SeaBIOS's El Torito, Linux's sr, Windows' cdrom.sys), the
 * sense data, unit attention and media events, the tray; and the host's
 * insert and eject (atapi.h).  The disc is an ISO image, 2048-byte
 * logical blocks, read-only.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devices/ata-int.h"
#include "devices/atapi.h"
#include "state/stream.h"

/* Sense keys (SPC-4 table 48). */
#define SK_NOT_READY		0x02
#define SK_MEDIUM_ERROR		0x03
#define SK_ILLEGAL_REQUEST	0x05
#define SK_UNIT_ATTENTION	0x06

/* GET EVENT STATUS NOTIFICATION media event codes (MMC-6 table 197). */
#define EV_NONE			0
#define EV_EJECT_REQUEST	1
#define EV_NEW_MEDIA		2
#define EV_MEDIA_REMOVAL	3

/* MMC profiles (MMC-6 table 91); a disc larger than a CD can hold is a DVD. */
#define PROFILE_CD_ROM		0x0008
#define PROFILE_DVD_ROM		0x0010
#define CD_MAX_SECTORS		(800u * 1024 * 1024 / ATAPI_SECTOR)

static void put_be(uint8_t *p, uint64_t v, unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

static uint32_t get_be(const uint8_t *p, unsigned n)
{
	uint32_t v = 0;
	unsigned i;

	for (i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

void atapi_set_sense(struct ata_drive *d, uint8_t key, uint8_t asc, uint8_t ascq)
{
	d->atapi.sense_key = key;
	d->atapi.asc = asc;
	d->atapi.ascq = ascq;
}

/* CHECK CONDITION: the sense kept for REQUEST SENSE; the error register's high nibble is the key. */
void atapi_fail(struct ata_req *r, uint8_t key, uint8_t asc, uint8_t ascq)
{
	atapi_set_sense(r->d, key, asc, ascq);
	ata_req_done(r, (uint8_t)(key << 4 | ATA_ERR_ABRT));
}

static uint64_t nsectors(const struct ata_drive *d)
{
	return d->disk ? d->disk->size / ATAPI_SECTOR : 0;
}

static uint16_t profile(const struct ata_drive *d)
{
	if (!d->disk)
		return 0;
	return nsectors(d) > CD_MAX_SECTORS ? PROFILE_DVD_ROM : PROFILE_CD_ROM;
}

/* A reply of `len` bytes built in the buffer, cut to the allocation length. */
static void reply(struct ata_req *r, uint32_t len, uint32_t alloc)
{
	ata_req_reply(r, len < alloc ? len : alloc);
}

/* --- IDENTIFY PACKET DEVICE (ACS-3 7.13) ---------------------------------- */

void atapi_identify(struct ata_drive *d, uint16_t *id)
{
	memset(id, 0, 512);
	/* ATAPI, CD/DVD (05h), removable, DRQ within 50 us, 12-byte packets. */
	id[0] = 0x8000 | 0x05 << 8 | 0x80 | 0x40;
	ata_id_string(&id[10], d->serial, 10);
	ata_id_string(&id[23], "1.0", 4);
	ata_id_string(&id[27], d->model, 20);
	id[49] = 1u << 11 | 1u << 9 | 1u << 8;	/* IORDY, LBA, DMA */
	id[53] = 0x0006;			/* words 64-70, 88 valid */
	ata_id_modes(d, id);
	id[80] = 0x01f0;
	/* Words 82-87: the PACKET feature set, DEVICE RESET. */
	id[82] = 1u << 9 | 1u << 4;
	id[83] = 0x4000;
	id[84] = 0x4000;
	id[85] = 1u << 9 | 1u << 4;
	id[87] = 0x4000;
	ata_id_checksum(id);
}

/* --- the commands (MMC-6 / SPC-4) ---------------------------------------- */

static void inquiry(struct ata_req *r)
{
	uint8_t *b = r->d->pio_buf;

	if (r->cdb[1] & 1) {		/* EVPD: no vital product data pages */
		atapi_fail(r, SK_ILLEGAL_REQUEST, 0x24, 0);
		return;
	}
	memset(b, 0, 36);
	b[0] = 0x05;			/* CD/DVD device */
	b[1] = 0x80;			/* removable */
	b[2] = 0x00;
	b[3] = 0x21;			/* ATAPI, response data format 1 */
	b[4] = 36 - 5;
	memcpy(b + 8, "VMAIN   ", 8);
	memcpy(b + 16, "DVD-ROM         ", 16);
	memcpy(b + 32, "1.0 ", 4);
	reply(r, 36, get_be(r->cdb + 3, 2));
}

/* REQUEST SENSE: fixed format (SPC-4 4.5.3); the sense is cleared by it. */
static void request_sense(struct ata_req *r)
{
	struct ata_drive *d = r->d;
	struct atapi_state *a = &d->atapi;
	uint8_t *b = d->pio_buf, key = a->sense_key, asc = a->asc, ascq = a->ascq;

	if (!key) {
		if (a->unit_attention) {
			a->unit_attention = false;
			key = SK_UNIT_ATTENTION;
			asc = 0x28;
		} else if (!d->disk) {
			key = SK_NOT_READY;
			asc = 0x3a;
		}
	}
	memset(b, 0, 18);
	b[0] = 0x70;			/* current error, fixed format */
	b[2] = key;
	b[7] = 18 - 8;
	b[12] = asc;
	b[13] = ascq;
	atapi_set_sense(d, 0, 0, 0);
	reply(r, 18, r->cdb[4]);
}

static void read_capacity(struct ata_req *r)
{
	uint8_t *b = r->d->pio_buf;
	uint64_t n = nsectors(r->d);
	uint64_t last = n ? n - 1 : 0;

	put_be(b, last > 0xffffffffu ? 0xffffffffu : last, 4);
	put_be(b + 4, ATAPI_SECTOR, 4);
	reply(r, 8, 8);
}

static void read_sectors(struct ata_req *r, uint64_t lba, uint64_t n)
{
	if (!ata_range_ok(lba, n, nsectors(r->d))) {
		atapi_fail(r, SK_ILLEGAL_REQUEST, 0x21, 0);	/* LBA out of range */
		return;
	}
	r->ssize = ATAPI_SECTOR;
	r->write = false;
	ata_req_disk(r, lba, n * ATAPI_SECTOR);
}

/* An address in a TOC: an LBA, or MSF with the 2-second lead-in (MMC-6 6.40). */
static void put_addr(uint8_t *p, uint64_t lba, bool msf)
{
	if (!msf) {
		put_be(p, lba, 4);
		return;
	}
	lba += 150;
	p[0] = 0;
	p[1] = (uint8_t)(lba / (60 * 75));
	p[2] = (uint8_t)(lba / 75 % 60);
	p[3] = (uint8_t)(lba % 75);
}

/* READ TOC/PMA/ATIP (MMC-6 6.40): one data track, formats 0 (TOC) and 1 (session info). */
static void read_toc(struct ata_req *r)
{
	uint8_t *b = r->d->pio_buf, fmt = r->cdb[2] & 0xf, track = r->cdb[6];
	bool msf = r->cdb[1] & 2;
	uint32_t len;

	/* The format in the old place (SFF-8020i: byte 9 bits 7:6). */
	if (!fmt)
		fmt = r->cdb[9] >> 6;
	memset(b, 0, 32);
	if (fmt == 0) {
		if (track > 1 && track != 0xaa) {
			atapi_fail(r, SK_ILLEGAL_REQUEST, 0x24, 0);
			return;
		}
		b[2] = 1;		/* first and last track */
		b[3] = 1;
		len = 4;
		if (track <= 1) {
			b[len + 1] = 0x14;	/* ADR 1 (position), control 4 (data track) */
			b[len + 2] = 1;
			put_addr(b + len + 4, 0, msf);
			len += 8;
		}
		b[len + 1] = 0x14;
		b[len + 2] = 0xaa;	/* the lead-out */
		put_addr(b + len + 4, nsectors(r->d), msf);
		len += 8;
	} else if (fmt == 1) {
		b[2] = 1;		/* first and last session */
		b[3] = 1;
		b[5] = 0x14;
		b[6] = 1;		/* first track of the last session */
		put_addr(b + 8, 0, msf);
		len = 12;
	} else {
		atapi_fail(r, SK_ILLEGAL_REQUEST, 0x24, 0);
		return;
	}
	put_be(b, len - 2, 2);
	reply(r, len, get_be(r->cdb + 7, 2));
}

/* One feature descriptor (MMC-6 5.3): header, then `n` bytes of data. */
static uint8_t *feature(uint8_t *p, uint16_t code, uint8_t version, bool current,
			uint8_t n)
{
	put_be(p, code, 2);
	/* Persistent for what the drive always has, current when it applies now. */
	p[2] = (uint8_t)(version << 2 | (code <= 3 ? 0x02 : 0) | (current ? 0x01 : 0));
	p[3] = n;
	memset(p + 4, 0, n);
	return p + 4 + n;
}

/* Is feature `code` asked for by RT (MMC-6 6.6.2.1)? */
static bool wanted(uint8_t rt, uint16_t start, uint16_t code, bool current)
{
	if (rt == 2)
		return code == start;
	return code >= start && (rt == 0 || current);
}

/* GET CONFIGURATION (MMC-6 6.6): a DVD-ROM drive's features. */
static void get_configuration(struct ata_req *r)
{
	struct ata_drive *d = r->d;
	uint8_t *b = d->pio_buf, *p = b + 8, rt = r->cdb[1] & 3;
	uint16_t start = (uint16_t)get_be(r->cdb + 2, 2), cur = profile(d);
	bool media = d->disk != NULL;

	if (rt == 3) {
		atapi_fail(r, SK_ILLEGAL_REQUEST, 0x24, 0);
		return;
	}
	memset(b, 0, 8);
	if (wanted(rt, start, 0x0000, true)) {		/* Profile List */
		uint8_t *q = p + 4;

		p = feature(p, 0x0000, 0, true, 8);
		put_be(q, PROFILE_DVD_ROM, 2);
		q[2] = cur == PROFILE_DVD_ROM;
		put_be(q + 4, PROFILE_CD_ROM, 2);
		q[6] = cur == PROFILE_CD_ROM;
	}
	if (wanted(rt, start, 0x0001, true)) {		/* Core: ATAPI */
		uint8_t *q = p + 4;

		p = feature(p, 0x0001, 2, true, 8);
		put_be(q, 2, 4);
		q[4] = 0x01;				/* DBE */
	}
	if (wanted(rt, start, 0x0002, true)) {		/* Morphing: polled events */
		uint8_t *q = p + 4;

		p = feature(p, 0x0002, 1, true, 4);
		q[0] = 0x02;				/* OCEvent */
	}
	if (wanted(rt, start, 0x0003, true)) {		/* Removable Medium */
		uint8_t *q = p + 4;

		p = feature(p, 0x0003, 0, true, 4);
		q[0] = 0x01 << 5 | 0x08 | 0x01;		/* tray, Eject, Lock */
	}
	if (wanted(rt, start, 0x0010, media)) {		/* Random Readable */
		uint8_t *q = p + 4;

		p = feature(p, 0x0010, 0, media, 8);
		put_be(q, ATAPI_SECTOR, 4);
		put_be(q + 4, cur == PROFILE_DVD_ROM ? 16 : 1, 2);
	}
	if (wanted(rt, start, 0x001e, cur == PROFILE_CD_ROM))	/* CD Read */
		p = feature(p, 0x001e, 2, cur == PROFILE_CD_ROM, 4);
	if (wanted(rt, start, 0x001f, cur == PROFILE_DVD_ROM))	/* DVD Read */
		p = feature(p, 0x001f, 1, cur == PROFILE_DVD_ROM, 4);
	put_be(b, (uint32_t)(p - b) - 4, 4);
	put_be(b + 6, cur, 2);
	reply(r, (uint32_t)(p - b), get_be(r->cdb + 7, 2));
}

/* GET EVENT STATUS NOTIFICATION (MMC-6 6.7), polled, the media class. */
static void get_event_status(struct ata_req *r)
{
	struct ata_drive *d = r->d;
	uint8_t *b = d->pio_buf;
	uint32_t len;

	if (!(r->cdb[1] & 1)) {		/* asynchronous: not supported */
		atapi_fail(r, SK_ILLEGAL_REQUEST, 0x24, 0);
		return;
	}
	memset(b, 0, 8);
	b[3] = 0x10;			/* supported classes: media */
	if (r->cdb[4] & 0x10) {
		b[2] = 0x04;		/* the media class */
		b[4] = d->atapi.event;
		b[5] = (uint8_t)((d->disk ? 0x02 : 0) | (d->atapi.tray_open ? 0x01 : 0));
		d->atapi.event = EV_NONE;
		len = 8;
	} else {
		b[2] = 0x80;		/* NEA: no class asked for has events */
		len = 4;
	}
	put_be(b, len - 2, 2);		/* event data length: after this field */
	reply(r, len, get_be(r->cdb + 7, 2));
}

/* MODE SENSE(10) (SPC-4 6.12): error recovery, power condition, capabilities. */
static uint8_t *mode_page(struct ata_drive *d, uint8_t *p, uint8_t page, bool changeable)
{
	static const uint8_t lens[] = { [0x01] = 6, [0x1a] = 10, [0x2a] = 20 };
	uint8_t n = lens[page];

	memset(p, 0, 2u + n);
	p[0] = page;
	p[1] = n;
	if (changeable)
		return p + 2 + n;
	if (page == 0x01) {
		p[3] = 5;		/* read retry count */
	} else if (page == 0x2a) {	/* MM capabilities and mechanical status */
		p[2] = 0x3b;		/* reads CD-R, CD-RW, DVD-ROM, DVD-R, DVD-RAM */
		p[4] = 0x70;		/* multi-session, mode 2 form 1 and 2 */
		/* Tray loading, eject, lock (and its state). */
		p[6] = (uint8_t)(0x01 << 5 | 0x08 | 0x01 | (d->atapi.prevent ? 0x02 : 0));
		put_be(p + 8, 706, 2);	/* maximum speed, KB/s (4x) */
		put_be(p + 12, 512, 2);	/* buffer, KiB */
		put_be(p + 14, 706, 2);	/* current speed */
	}
	return p + 2 + n;
}

static void mode_sense(struct ata_req *r)
{
	struct ata_drive *d = r->d;
	uint8_t *b = d->pio_buf, *p = b + 8, pc = r->cdb[2] >> 6, page = r->cdb[2] & 0x3f;

	if (pc == 3) {			/* saved values: saving is not supported */
		atapi_fail(r, SK_ILLEGAL_REQUEST, 0x39, 0);
		return;
	}
	if (page != 0x01 && page != 0x1a && page != 0x2a && page != 0x3f) {
		atapi_fail(r, SK_ILLEGAL_REQUEST, 0x24, 0);
		return;
	}
	memset(b, 0, 8);
	if (page == 0x01 || page == 0x3f)
		p = mode_page(d, p, 0x01, pc == 1);
	if (page == 0x1a || page == 0x3f)
		p = mode_page(d, p, 0x1a, pc == 1);
	if (page == 0x2a || page == 0x3f)
		p = mode_page(d, p, 0x2a, pc == 1);
	put_be(b, (uint32_t)(p - b) - 2, 2);
	reply(r, (uint32_t)(p - b), get_be(r->cdb + 7, 2));
}

static void medium_changed(struct ata_drive *d, uint8_t event)
{
	d->atapi.gen++;
	d->atapi.event = event;
	if (event == EV_NEW_MEDIA)
		d->atapi.unit_attention = true;
}

/* START STOP UNIT (MMC-6 6.39): LoEj with Start clear opens the tray, with Start set closes it. */
static void start_stop(struct ata_req *r)
{
	struct ata_drive *d = r->d;
	struct atapi_state *a = &d->atapi;
	bool loej = r->cdb[4] & 2, start = r->cdb[4] & 1;

	if (loej && !start) {
		if (a->prevent) {
			atapi_fail(r, SK_ILLEGAL_REQUEST, 0x53, 0x02);	/* removal prevented */
			return;
		}
		if (d->disk) {
			/* The disc stays in the open tray (atapi.h). */
			a->ejected = d->disk;
			a->own_ejected = a->own_medium;
			d->disk = NULL;
			a->own_medium = false;
			medium_changed(d, EV_MEDIA_REMOVAL);
		}
		a->tray_open = true;
	} else if (loej && start && a->tray_open) {
		a->tray_open = false;
		if (a->ejected) {
			d->disk = a->ejected;
			a->own_medium = a->own_ejected;
			a->ejected = NULL;
			a->own_ejected = false;
			medium_changed(d, EV_NEW_MEDIA);
		}
	}
	ata_req_done(r, 0);
}

/* READ DISC INFORMATION (MMC-6 6.22): a finalized single-session disc. */
static void read_disc_info(struct ata_req *r)
{
	uint8_t *b = r->d->pio_buf;

	if (r->cdb[1] & 7) {		/* only standard disc information */
		atapi_fail(r, SK_ILLEGAL_REQUEST, 0x24, 0);
		return;
	}
	memset(b, 0, 34);
	put_be(b, 32, 2);
	b[2] = 0x0e;			/* complete session, finalized disc */
	b[3] = 1;			/* first track */
	b[4] = 1;			/* sessions */
	b[5] = 1;			/* first and last track of the last session */
	b[6] = 1;
	memset(b + 16, 0xff, 8);	/* no lead-in / lead-out start for a ROM */
	reply(r, 34, get_be(r->cdb + 7, 2));
}

/* MECHANISM STATUS (MMC-6 6.11): no changer, the tray's state. */
static void mechanism_status(struct ata_req *r)
{
	uint8_t *b = r->d->pio_buf;

	memset(b, 0, 8);
	b[1] = r->d->atapi.tray_open ? 0x10 : 0;
	reply(r, 8, get_be(r->cdb + 8, 2));
}

/* Commands a unit attention does not fail (MMC-6 4.1.6.1 / SPC-4 5.12). */
static bool passes_unit_attention(uint8_t op)
{
	return op == 0x12 || op == 0x03 || op == 0x46 || op == 0x4a;
}

/* Commands that need a disc. */
static bool needs_medium(uint8_t op)
{
	switch (op) {
	case 0x00: case 0x25: case 0x28: case 0xa8: case 0x43: case 0x51:
		return true;
	default:
		return false;
	}
}

void atapi_packet(struct ata_req *r)
{
	struct ata_drive *d = r->d;
	struct atapi_state *a = &d->atapi;
	uint32_t limit = (r->tf.lba >> 8) & 0xffff;
	uint8_t op = r->cdb[0];

	/*
	 * The PIO byte count limit (LBA mid/high, ATA8-ACS PACKET): DRQ
	 * blocks are at most that, and even; 0 is taken as the largest.
	 */
	limit &= ~1u;
	r->blk_max = limit ? limit : 0xfffe;
	r->disk = d->disk;
	r->gen = a->gen;
	r->ssize = ATAPI_SECTOR;
	if (d->host) {
		atapi_pass(r);		/* the host's drive answers (atapi-pass.c) */
		return;
	}
	if (op != 0x03)
		atapi_set_sense(d, 0, 0, 0);
	if (a->unit_attention && !passes_unit_attention(op)) {
		a->unit_attention = false;
		atapi_fail(r, SK_UNIT_ATTENTION, 0x28, 0);
		return;
	}
	if (needs_medium(op) && !d->disk) {
		atapi_fail(r, SK_NOT_READY, 0x3a, 0);
		return;
	}
	switch (op) {
	case 0x00:			/* TEST UNIT READY */
	case 0xbb:			/* SET CD SPEED: one speed */
		ata_req_done(r, 0);
		return;
	case 0x03:
		request_sense(r);
		return;
	case 0x12:
		inquiry(r);
		return;
	case 0x1b:
		start_stop(r);
		return;
	case 0x1e:			/* PREVENT ALLOW MEDIUM REMOVAL */
		a->prevent = r->cdb[4] & 1;
		ata_req_done(r, 0);
		return;
	case 0x25:
		read_capacity(r);
		return;
	case 0x28:			/* READ(10) */
		read_sectors(r, get_be(r->cdb + 2, 4), get_be(r->cdb + 7, 2));
		return;
	case 0xa8:			/* READ(12) */
		read_sectors(r, get_be(r->cdb + 2, 4), get_be(r->cdb + 6, 4));
		return;
	case 0x43:
		read_toc(r);
		return;
	case 0x46:
		get_configuration(r);
		return;
	case 0x4a:
		get_event_status(r);
		return;
	case 0x51:
		read_disc_info(r);
		return;
	case 0x5a:
		mode_sense(r);
		return;
	case 0xbd:
		mechanism_status(r);
		return;
	default:
		atapi_fail(r, SK_ILLEGAL_REQUEST, 0x20, 0);	/* invalid command operation code */
		return;
	}
}

void atapi_reset(struct ata_drive *d)
{
	/* The sense goes; the disc, the tray, the lock and pending events stay. */
	atapi_set_sense(d, 0, 0, 0);
}

/* --- the host's side ------------------------------------------------------ */

/* Waits (without the lock) until no request of the drive is on the host with `disk`. */
static void wait_unused(struct ata_drive *d, struct disk *disk)
{
	for (;;) {
		bool used = false;
		unsigned i;

		ata_lock(d);
		for (i = 0; i < ATA_MAX_SLOTS; i++)
			used |= d->req[i].on_host && d->req[i].disk == disk;
		ata_unlock(d);
		if (!used)
			return;
		/* Rare (a change during a read) and short: one disk request. */
		if (ioloop_in_loop(d->loop))
			ioloop_run_once(d->loop, 10);
		else
			usleep(1000);
	}
}

static void release(struct ata_drive *d, struct disk *disk, bool own)
{
	if (!disk)
		return;
	wait_unused(d, disk);
	if (own)
		disk_close(disk);
}

/*
 * Under the lock: takes every disc out (the one read and the one in an
 * open tray) into *gone; -EBUSY when the guest prevents removal.
 */
static int take_out(struct ata_drive *d, struct disk *gone[2], bool own[2])
{
	struct atapi_state *a = &d->atapi;

	gone[0] = gone[1] = NULL;
	own[0] = own[1] = false;
	if (a->prevent && d->disk) {
		/* The guest's lock holds; it hears of the button press (MMC-6 6.7). */
		a->event = EV_EJECT_REQUEST;
		return -EBUSY;
	}
	if (d->disk) {
		gone[0] = d->disk;
		own[0] = a->own_medium;
		d->disk = NULL;
		a->own_medium = false;
		medium_changed(d, EV_MEDIA_REMOVAL);
	}
	gone[1] = a->ejected;
	own[1] = a->own_ejected;
	a->ejected = NULL;
	a->own_ejected = false;
	return 0;
}

int atapi_insert_disk(struct ata_drive *d, struct disk *disk, bool own)
{
	struct disk *gone[2];
	bool gown[2];
	int ret;

	if (d->kind != ATA_KIND_CDROM || !disk)
		return -EINVAL;
	if (d->host)
		return -EOPNOTSUPP;	/* the host's drive: its own disc */
	ata_lock(d);
	ret = take_out(d, gone, gown);
	if (!ret) {
		d->disk = disk;
		d->atapi.own_medium = own;
		d->atapi.tray_open = false;
		medium_changed(d, EV_NEW_MEDIA);
	}
	ata_unlock(d);
	if (ret)
		return ret;
	release(d, gone[0], gown[0]);
	release(d, gone[1], gown[1]);
	return 0;
}

int atapi_insert(struct ata_drive *d, const char *path, char *err, size_t errlen)
{
	struct disk_options o = {
		.path = path,
		.format = DISK_FORMAT_AUTO,
		.cache = WCACHE_WRITEBACK,
		.readonly = true,
	};
	struct disk *disk;
	int ret;

	if (d->host) {
		snprintf(err, errlen, "the drive is the host's own: change its disc there");
		return -EOPNOTSUPP;
	}
	if (d->kind != ATA_KIND_CDROM) {
		snprintf(err, errlen, "not a CD/DVD drive");
		return -EINVAL;
	}
	ret = disk_open(&disk, &o, d->loop, d->pool, err, errlen);
	if (ret)
		return ret;
	ret = atapi_insert_disk(d, disk, true);
	if (ret) {
		snprintf(err, errlen, "the guest has locked the drive's tray");
		disk_close(disk);
	}
	return ret;
}

int atapi_eject(struct ata_drive *d)
{
	struct disk *gone[2];
	bool own[2];
	int ret;

	if (d->kind != ATA_KIND_CDROM)
		return -EINVAL;
	if (d->host)
		return -EOPNOTSUPP;
	ata_lock(d);
	ret = take_out(d, gone, own);
	ata_unlock(d);
	if (ret)
		return ret;
	release(d, gone[0], own[0]);
	release(d, gone[1], own[1]);
	return 0;
}

void atapi_unlock_tray(struct ata_drive *d)
{
	if (d->kind != ATA_KIND_CDROM)
		return;
	ata_lock(d);
	d->atapi.prevent = false;
	ata_unlock(d);
}

bool atapi_has_medium(struct ata_drive *d)
{
	bool ret;

	ata_lock(d);
	ret = d->disk != NULL;
	ata_unlock(d);
	return ret;
}

void atapi_close_media(struct ata_drive *d)
{
	struct atapi_state *a = &d->atapi;

	if (a->own_medium && d->disk)
		disk_close(d->disk);
	if (a->own_ejected && a->ejected)
		disk_close(a->ejected);
	d->disk = a->ejected = NULL;
	a->own_medium = a->own_ejected = false;
}

/* --- save and restore ---------------------------------------------------- */

void atapi_save(const struct ata_drive *d, struct state_writer *w)
{
	const struct atapi_state *a = &d->atapi;
	const struct disk *disc = d->disk ? d->disk : a->ejected;

	/* The disc (to tell a different one at the restore), the tray, the guest's state. */
	state_put_bool(w, disc != NULL);
	state_put_u64(w, disc ? disc->size : 0);
	state_put_bool(w, a->tray_open);
	state_put_bool(w, a->prevent);
	state_put_bool(w, a->unit_attention);
	state_put_u8(w, a->event);
	state_put_u8(w, a->sense_key);
	state_put_u8(w, a->asc);
	state_put_u8(w, a->ascq);
}

void atapi_load_fields(struct ata_drive *d, struct state_reader *r, struct atapi_state *st)
{
	const struct disk *disc = d->disk ? d->disk : d->atapi.ejected;
	bool had = state_get_bool(r);
	uint64_t size = state_get_u64(r);

	st->tray_open = state_get_bool(r);
	st->prevent = state_get_bool(r);
	st->unit_attention = state_get_bool(r);
	st->event = state_get_u8(r);
	st->sense_key = state_get_u8(r);
	st->asc = state_get_u8(r);
	st->ascq = state_get_u8(r);
	if (st->event > EV_MEDIA_REMOVAL || st->sense_key > 0x0f)
		state_reader_fail(r, "ATAPI event %u or sense key %u out of range",
				  st->event, st->sense_key);
	/*
	 * The disc the restore was given is not the one saved: the guest
	 * sees a media change, as if it had been swapped while it slept.
	 */
	if (had != (disc != NULL) || (disc && size != disc->size)) {
		st->event = disc ? EV_NEW_MEDIA : EV_MEDIA_REMOVAL;
		st->unit_attention = disc != NULL;
		st->gen++;
	}
}

void atapi_load_commit(struct ata_drive *d, struct atapi_state *st)
{
	struct atapi_state *a = &d->atapi;

	/* The disc: where the saved tray had it (read, or in the open tray). */
	if (st->tray_open && d->disk) {
		a->ejected = d->disk;
		a->own_ejected = a->own_medium;
		d->disk = NULL;
		a->own_medium = false;
	} else if (!st->tray_open && a->ejected && !d->disk) {
		d->disk = a->ejected;
		a->own_medium = a->own_ejected;
		a->ejected = NULL;
		a->own_ejected = false;
	}
	a->tray_open = st->tray_open;
	a->prevent = st->prevent;
	a->unit_attention = st->unit_attention;
	a->event = st->event;
	a->sense_key = st->sense_key;
	a->asc = st->asc;
	a->ascq = st->ascq;
	a->gen = st->gen;
}
