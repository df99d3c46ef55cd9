// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * devices/ata-state.c - an ATA/ATAPI drive's save and restore (ata.h):
 * the settings, a PIO data phase the guest is in the middle of (its
 * progress and the buffered block), the NCQ error log, and the ATAPI
 * state (atapi.c).  Commands on the host are never state.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devices/ata-int.h"
#include "state/stream.h"

#define ATA_STATE_VERSION	1

static void put_tf(struct state_writer *w, const struct ata_taskfile *tf)
{
	state_put_u16(w, tf->feature);
	state_put_u16(w, tf->count);
	state_put_u64(w, tf->lba);
	state_put_u8(w, tf->device);
	state_put_u8(w, tf->command);
}

static void get_tf(struct state_reader *r, struct ata_taskfile *tf)
{
	tf->feature = state_get_u16(r);
	tf->count = state_get_u16(r);
	tf->lba = state_get_u64(r);
	tf->device = state_get_u8(r);
	tf->command = state_get_u8(r);
}

/* The buffer bytes a PIO phase still needs. */
static uint32_t pio_bytes(const struct ata_req *r, enum ata_phase dir)
{
	return dir == ATA_PHASE_PIO_IN ? r->buf_len : r->drq_len;
}

int ata_drive_save(const struct ata_drive *d, struct state_writer *w, uint32_t id)
{
	const struct ata_req *r = d->pio;

	/* Commands on the host or events not delivered: ata_drive_stop() first. */
	if (atomic_load(&d->busy) || d->aborting || d->nr_active > (r ? 1u : 0u))
		return -EBUSY;
	state_section_begin(w, "ata", id, ATA_STATE_VERSION);
	state_put_u8(w, (uint8_t)d->kind);
	state_put_u64(w, d->kind == ATA_KIND_DISK ? d->disk->size : 0);
	state_put_u8(w, d->multiple);
	state_put_u8(w, d->xfer_mode);
	state_put_bool(w, d->wce);
	state_put_bool(w, d->standby);
	state_put_u8(w, d->heads);
	state_put_u8(w, d->spt);
	state_put_bytes(w, d->ncq_log, sizeof(d->ncq_log));
	state_put_bool(w, r != NULL);
	if (r) {
		state_put_u8(w, (uint8_t)d->pio_dir);
		state_put_u8(w, (uint8_t)r->slot);
		put_tf(w, &r->tf);
		state_put_bytes(w, r->cdb, sizeof(r->cdb));
		state_put_u8(w, (uint8_t)r->data);
		state_put_u32(w, r->ssize);
		state_put_u64(w, r->lba);
		state_put_u64(w, r->left);
		state_put_u64(w, r->moved);
		state_put_u32(w, r->blk_max);
		state_put_u32(w, r->drq_len);
		state_put_u32(w, r->drq_pos);
		state_put_u32(w, r->buf_len);
		state_put_u32(w, r->buf_pos);
		state_put_bool(w, r->write);
		state_put_u32(w, r->dflags);
		state_put_bytes(w, d->pio_buf, pio_bytes(r, d->pio_dir));
	}
	if (d->kind == ATA_KIND_CDROM)
		atapi_save(d, w);
	state_section_end(w);
	return state_writer_error(w);
}

/* A saved PIO phase must be one this drive could be in. */
static void check_pio(struct state_reader *rd, const struct ata_req *r, enum ata_phase dir)
{
	bool in = dir == ATA_PHASE_PIO_IN;

	if ((dir != ATA_PHASE_PIO_IN && dir != ATA_PHASE_PIO_OUT) || r->slot >= ATA_MAX_SLOTS ||
	    (r->ssize != ATA_SECTOR && r->ssize != ATAPI_SECTOR) ||
	    r->data > ATA_DATA_DISK_OUT || r->write != (r->data == ATA_DATA_DISK_OUT) ||
	    in == r->write || !r->blk_max || r->blk_max > ATA_PIO_BUF ||
	    !r->drq_len || r->drq_len > r->blk_max || r->drq_pos >= r->drq_len ||
	    r->buf_len > ATA_PIO_BUF || r->left > (1ull << 48) * ATAPI_SECTOR ||
	    r->lba > (1ull << 48) || (r->dflags & ~DISK_REQ_FUA) ||
	    (in && (r->buf_pos > r->buf_len || r->drq_len > r->buf_len - r->buf_pos)))
		state_reader_fail(rd, "a PIO data phase this drive cannot be in");
}

/* The saved PIO phase into tmp and buf (checked). */
static void load_pio(struct state_reader *rd, struct ata_req *tmp, uint8_t *dir, uint8_t *buf)
{
	*dir = state_get_u8(rd);
	tmp->slot = state_get_u8(rd);
	get_tf(rd, &tmp->tf);
	state_get_bytes(rd, tmp->cdb, sizeof(tmp->cdb));
	tmp->data = state_get_u8(rd);
	tmp->ssize = state_get_u32(rd);
	tmp->lba = state_get_u64(rd);
	tmp->left = state_get_u64(rd);
	tmp->moved = state_get_u64(rd);
	tmp->blk_max = state_get_u32(rd);
	tmp->drq_len = state_get_u32(rd);
	tmp->drq_pos = state_get_u32(rd);
	tmp->buf_len = state_get_u32(rd);
	tmp->buf_pos = state_get_u32(rd);
	tmp->write = state_get_bool(rd);
	tmp->dflags = state_get_u32(rd);
	if (!state_reader_error(rd))
		check_pio(rd, tmp, *dir);
	if (!state_reader_error(rd))
		state_get_bytes(rd, buf, pio_bytes(tmp, *dir));
}

/* The loaded PIO phase becomes the drive's: the guest goes on where it was. */
static void commit_pio(struct ata_drive *d, struct ata_req *tmp, uint8_t dir, const uint8_t *buf)
{
	struct ata_req *r = &d->req[tmp->slot];

	tmp->d = d;
	tmp->xfer = ATA_XFER_PIO;
	tmp->active = true;
	tmp->disk = d->disk;
	tmp->gen = d->atapi.gen;
	*r = *tmp;
	d->nr_active = 1;
	d->pio = r;
	d->pio_dir = dir;
	memcpy(d->pio_buf, buf, pio_bytes(tmp, dir));
}

int ata_drive_load(struct ata_drive *d, struct state_reader *rd, uint32_t id)
{
	struct ata_req tmp = { 0 };
	struct atapi_state st = d->atapi;
	uint8_t kind, multiple, xfer_mode, heads, spt, dir = 0, *buf;
	uint8_t ncq_log[sizeof(d->ncq_log)];
	bool wce, standby, pio;
	uint64_t size;
	int ret;

	if (atomic_load(&d->busy) || d->aborting || d->nr_active)
		return -EBUSY;
	buf = malloc(ATA_PIO_BUF);
	if (!buf)
		return -ENOMEM;
	ret = state_section_open(rd, "ata", id, ATA_STATE_VERSION, NULL);
	if (ret)
		goto out_free;
	kind = state_get_u8(rd);
	size = state_get_u64(rd);
	multiple = state_get_u8(rd);
	xfer_mode = state_get_u8(rd);
	wce = state_get_bool(rd);
	standby = state_get_bool(rd);
	heads = state_get_u8(rd);
	spt = state_get_u8(rd);
	state_get_bytes(rd, ncq_log, sizeof(ncq_log));
	pio = state_get_bool(rd);
	if (!state_reader_error(rd) && kind != d->kind)
		state_reader_fail(rd, "an ATA%s drive saved, this one is ATA%s",
				  kind == ATA_KIND_CDROM ? "PI" : "",
				  d->kind == ATA_KIND_CDROM ? "PI" : "");
	if (!state_reader_error(rd) && d->kind == ATA_KIND_DISK && size != d->disk->size)
		state_reader_fail(rd, "the disk had %llu bytes when saved, it has %llu now",
				  (unsigned long long)size, (unsigned long long)d->disk->size);
	if (multiple > ATA_MAX_MULTIPLE || (multiple & (multiple - 1)) || !heads ||
	    heads > 16 || !spt)
		state_reader_fail(rd, "drive settings out of range");
	if (pio)
		load_pio(rd, &tmp, &dir, buf);
	if (d->kind == ATA_KIND_CDROM)
		atapi_load_fields(d, rd, &st);
	ret = state_section_close(rd);
	if (ret)
		goto out_free;

	d->multiple = multiple;
	d->xfer_mode = xfer_mode;
	d->standby = standby;
	d->heads = heads;
	d->spt = spt;
	memcpy(d->ncq_log, ncq_log, sizeof(ncq_log));
	if (d->kind == ATA_KIND_DISK)
		ata_set_wce(d, wce);
	if (d->kind == ATA_KIND_CDROM)
		atapi_load_commit(d, &st);
	if (pio)
		commit_pio(d, &tmp, dir, buf);
out_free:
	free(buf);
	return ret;
}
