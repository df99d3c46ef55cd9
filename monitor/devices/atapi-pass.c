// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * devices/atapi-pass.c - an ATAPI drive that is the host's CD/DVD drive
 * (`--cdrom /dev/srN`): the guest's PACKET commands go to the drive
 * through SG_IO on the worker pool (disk/hostdrive.h), so the guest sees
 * the real disc, tray, media changes and the drive's own answers.
 *
 * Only commands whose data phase we can size from the CDB are passed
 * (the table below: MMC-6 / SPC-4 reads and drive queries, and the
 * tray): a command we cannot size could move more than the guest's
 * buffers or the drive's reply buffer hold, so it fails here with
 * ILLEGAL REQUEST / INVALID COMMAND OPERATION CODE, as writing commands
 * (MODE SELECT, burning) and READ CD do.  The kernel filters again for an
 * unprivileged monitor (only a read-only opener's commands pass); what it
 * refuses fails with the same sense.
 *
 * REQUEST SENSE is answered here: the kernel fetches a failed command's
 * sense with the command (auto-sense), so the drive's own REQUEST SENSE
 * would report nothing; the sense kept from the last command is the
 * answer, as for an image (atapi.c).
 *
 * READ(10)/READ(12) of 2048-byte sectors go as READ(12)s as large as the
 * guest's buffers take (ata.c: ata_req_host_read()).
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "devices/ata-int.h"
#include "disk/hostdrive.h"

#define SK_NOT_READY		0x02
#define SK_HARDWARE_ERROR	0x04
#define SK_ILLEGAL_REQUEST	0x05

/* How a passed command's data phase is sized. */
struct pass_cmd {
	uint8_t op;
	uint8_t dir;		/* enum hostdrive_dir */
	uint8_t len_at;		/* the allocation length's first byte in the CDB */
	uint8_t len_bytes;	/* its size (0: a fixed length, `fixed`) */
	uint16_t fixed;
};

static const struct pass_cmd pass_cmds[] = {
	{ 0x00, HOSTDRIVE_NONE, 0, 0, 0 },		/* TEST UNIT READY */
	{ 0x12, HOSTDRIVE_FROM_DEV, 3, 2, 0 },		/* INQUIRY (SPC-4 6.6) */
	{ 0x1a, HOSTDRIVE_FROM_DEV, 4, 1, 0 },		/* MODE SENSE(6) */
	{ 0x1b, HOSTDRIVE_NONE, 0, 0, 0 },		/* START STOP UNIT: the tray */
	{ 0x1e, HOSTDRIVE_NONE, 0, 0, 0 },		/* PREVENT ALLOW MEDIUM REMOVAL */
	{ 0x23, HOSTDRIVE_FROM_DEV, 7, 2, 0 },		/* READ FORMAT CAPACITIES */
	{ 0x25, HOSTDRIVE_FROM_DEV, 0, 0, 8 },		/* READ CAPACITY */
	{ 0x2b, HOSTDRIVE_NONE, 0, 0, 0 },		/* SEEK(10) */
	{ 0x42, HOSTDRIVE_FROM_DEV, 7, 2, 0 },		/* READ SUB-CHANNEL */
	{ 0x43, HOSTDRIVE_FROM_DEV, 7, 2, 0 },		/* READ TOC/PMA/ATIP */
	{ 0x44, HOSTDRIVE_FROM_DEV, 7, 2, 0 },		/* READ HEADER */
	{ 0x45, HOSTDRIVE_NONE, 0, 0, 0 },		/* PLAY AUDIO(10) */
	{ 0x46, HOSTDRIVE_FROM_DEV, 7, 2, 0 },		/* GET CONFIGURATION */
	{ 0x47, HOSTDRIVE_NONE, 0, 0, 0 },		/* PLAY AUDIO MSF */
	{ 0x4a, HOSTDRIVE_FROM_DEV, 7, 2, 0 },		/* GET EVENT STATUS NOTIFICATION */
	{ 0x4b, HOSTDRIVE_NONE, 0, 0, 0 },		/* PAUSE/RESUME */
	{ 0x4e, HOSTDRIVE_NONE, 0, 0, 0 },		/* STOP PLAY/SCAN */
	{ 0x51, HOSTDRIVE_FROM_DEV, 7, 2, 0 },		/* READ DISC INFORMATION */
	{ 0x52, HOSTDRIVE_FROM_DEV, 7, 2, 0 },		/* READ TRACK INFORMATION */
	{ 0x5a, HOSTDRIVE_FROM_DEV, 7, 2, 0 },		/* MODE SENSE(10) */
	{ 0xa4, HOSTDRIVE_FROM_DEV, 8, 2, 0 },		/* REPORT KEY */
	{ 0xad, HOSTDRIVE_FROM_DEV, 8, 2, 0 },		/* READ DVD STRUCTURE */
	{ 0xbb, HOSTDRIVE_NONE, 0, 0, 0 },		/* SET CD SPEED */
	{ 0xbd, HOSTDRIVE_FROM_DEV, 8, 2, 0 },		/* MECHANISM STATUS */
};

static uint32_t get_be(const uint8_t *p, unsigned n)
{
	uint32_t v = 0;

	while (n--)
		v = v << 8 | *p++;
	return v;
}

/* REQUEST SENSE (SPC-4 6.29), fixed format, from the sense kept here. */
static void request_sense(struct ata_req *r)
{
	struct atapi_state *a = &r->d->atapi;
	uint8_t *b = r->d->pio_buf;
	uint32_t alloc = r->cdb[4];

	memset(b, 0, 18);
	b[0] = 0x70;
	b[2] = a->sense_key;
	b[7] = 10;
	b[12] = a->asc;
	b[13] = a->ascq;
	atapi_set_sense(r->d, 0, 0, 0);
	ata_req_reply(r, alloc < 18 ? alloc : 18);
}

void atapi_pass(struct ata_req *r)
{
	uint8_t op = r->cdb[0];
	const struct pass_cmd *c = NULL;
	uint32_t len;
	size_t i;

	if (op == 0x03) {
		request_sense(r);
		return;
	}
	atapi_set_sense(r->d, 0, 0, 0);
	if (op == 0x28 || op == 0xa8) {
		/* READ(10) (MMC-6 6.15): count at 7, 2 bytes; READ(12) (6.16): at 6, 4 bytes. */
		uint64_t lba = get_be(r->cdb + 2, 4);
		uint64_t n = op == 0x28 ? get_be(r->cdb + 7, 2) : get_be(r->cdb + 6, 4);

		ata_req_host_read(r, lba, n * ATAPI_SECTOR);
		return;
	}
	for (i = 0; i < sizeof(pass_cmds) / sizeof(pass_cmds[0]); i++)
		if (pass_cmds[i].op == op)
			c = &pass_cmds[i];
	if (!c) {
		atapi_fail(r, SK_ILLEGAL_REQUEST, 0x20, 0x00);
		return;
	}
	len = c->len_bytes ? get_be(r->cdb + c->len_at, c->len_bytes) : c->fixed;
	if (c->dir == HOSTDRIVE_FROM_DEV && !len) {
		ata_req_done(r, 0);	/* an allocation length of 0 moves nothing (SPC-4 4.2.5.6) */
		return;
	}
	ata_req_host_cmd(r, r->cdb, c->dir, len);
}

void atapi_pass_done(struct ata_req *r, const struct hostdrive_result *res)
{
	const uint8_t *s = res->sense;

	if (res->err == -EPERM) {
		/* The kernel's SG_IO filter: a command an unprivileged opener may not send. */
		atapi_fail(r, SK_ILLEGAL_REQUEST, 0x20, 0x00);
	} else if (res->err) {
		/* It never reached the drive (a transport failure): INTERNAL TARGET FAILURE. */
		atapi_fail(r, SK_HARDWARE_ERROR, 0x44, 0x00);
	} else if (res->status == 0x02 && res->sense_len >= 14 && (s[0] & 0x7e) == 0x70) {
		atapi_fail(r, s[2] & 0x0f, s[12], s[13]);		/* fixed format (SPC-4 4.5.3) */
	} else if (res->status == 0x02 && res->sense_len >= 4 && (s[0] & 0x7e) == 0x72) {
		atapi_fail(r, s[1] & 0x0f, s[2], s[3]);		/* descriptor format (4.5.2) */
	} else {
		/* BUSY, a reservation, or no sense: the drive is not ready now. */
		atapi_fail(r, SK_NOT_READY, 0x04, 0x00);
	}
}
