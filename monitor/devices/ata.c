// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * devices/ata.c - an ATA/ATAPI drive's life: commands taken from the
 * controller, their disk requests on the I/O loop, the data phases (iovecs
 * or PIO blocks), the events back to the controller, abort and reset with
 * requests on the host, stop.  The command sets are in ata-cmd.c (ATA)
 * and atapi.c (PACKET), save and load in ata-state.c; see ata.h for the
 * contract.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devices/ata-int.h"
#include "disk/hostdrive.h"

_Static_assert(ATA_MAX_IOV == DISK_MAX_IOV, "a command's segments fit one disk request");
_Static_assert(ATA_PIO_BUF >= 32 * ATAPI_SECTOR, "an ATAPI PIO chunk fits the buffer");

void ata_lock(struct ata_drive *d)
{
	if (d->ops.lock)
		d->ops.lock(d->opaque);
}

void ata_unlock(struct ata_drive *d)
{
	if (d->ops.unlock)
		d->ops.unlock(d->opaque);
}

static void signal_drained(struct ata_drive *d)
{
	pthread_mutex_lock(&d->drain_lock);
	pthread_cond_broadcast(&d->drained);
	pthread_mutex_unlock(&d->drain_lock);
}

static void busy_put(struct ata_drive *d, unsigned n)
{
	if (atomic_fetch_sub(&d->busy, n) == n)
		signal_drained(d);
}

/* --- requests ------------------------------------------------------------ */

static void req_clear(struct ata_req *r)
{
	struct ata_drive *d = r->d;

	if (r->dreq && r->dreq != &r->dreq1)
		free(r->dreq);
	free(r->iov);
	free(r->div);
	r->dreq = NULL;
	r->iov = r->div = NULL;
	if (r->ncq) {
		d->tags &= ~(1u << ((r->tf.count >> 3) & 31));
		d->nr_ncq--;
	}
	r->ncq = false;
	r->sg = false;
	if (d->pio == r)
		d->pio = NULL;
	if (r->active)
		d->nr_active--;
	r->active = r->aborted = false;
}

static void queue_event(struct ata_req *r)
{
	struct ata_drive *d = r->d;

	r->queued_ev = true;
	r->next = NULL;
	*d->ev_tail = r;
	d->ev_tail = &r->next;
	atomic_fetch_add(&d->busy, 1);
	ioloop_bh_schedule(d->loop, &d->bh);
}

/* Hands the request's disk requests (r->dreq[0 .. nr_dreq)) to the bottom half. */
static void queue_host(struct ata_req *r)
{
	struct ata_drive *d = r->d;

	r->on_host = true;
	r->err = 0;
	d->on_host++;
	r->next = NULL;
	*d->sub_tail = r;
	d->sub_tail = &r->next;
	atomic_fetch_add(&d->busy, 1);
	ioloop_bh_schedule(d->loop, &d->bh);
}

/* ATAPI's completion registers (ATA8-ACS PACKET "Normal/Error outputs"). */
static void packet_outputs(struct ata_req *r)
{
	struct atapi_state *a = &r->d->atapi;

	r->res.count = ATAPI_IREASON_COD | ATAPI_IREASON_IO;
	r->res.sense_key = a->sense_key;
	r->res.asc = a->asc;
	r->res.ascq = a->ascq;
}

static bool is_packet(const struct ata_req *r)
{
	return r->d->kind == ATA_KIND_CDROM && r->tf.command == 0xa0;
}

/*
 * A queued command failed: its tag and registers go to the NCQ Command
 * Error log (ACS-3 9.13), where the host's error handling reads them
 * (READ LOG EXT 10h) to tell which command it was.
 */
static void ncq_log(const struct ata_req *r)
{
	uint8_t *l = r->d->ncq_log;
	uint64_t lba = r->res.lba ? r->res.lba : r->tf.lba;

	l[0] = (r->tf.count >> 3) & 31;		/* NQ clear, the tag */
	l[1] = 0;
	l[2] = r->res.status;
	l[3] = r->res.error;
	l[4] = (uint8_t)lba;
	l[5] = (uint8_t)(lba >> 8);
	l[6] = (uint8_t)(lba >> 16);
	l[7] = r->tf.device;
	l[8] = (uint8_t)(lba >> 24);
	l[9] = (uint8_t)(lba >> 32);
	l[10] = (uint8_t)(lba >> 40);
	l[11] = 0;
	l[12] = (uint8_t)r->tf.feature;		/* the sector count of a queued command */
	l[13] = (uint8_t)(r->tf.feature >> 8);
}

void ata_req_done(struct ata_req *r, uint8_t error)
{
	r->res.phase = ATA_PHASE_DONE;
	r->res.status = ATA_OK_STATUS | (error ? ATA_STAT_ERR : 0);
	r->res.error = error;
	r->res.bytes = (uint32_t)r->moved;
	/*
	 * ATA8-ACS "PIO data-in": the interrupt came with the last block;
	 * the device then goes idle without another.  Every other command
	 * (ATAPI PACKET included) interrupts at its end.
	 */
	r->res.irq = !(r->xfer == ATA_XFER_PIO && !is_packet(r) && !error &&
		       r->data != ATA_DATA_DISK_OUT && r->data != ATA_DATA_NONE);
	if (is_packet(r))
		packet_outputs(r);
	if (r->ncq && error)
		ncq_log(r);
	queue_event(r);
}

/* A disk request failed: UNC for a read, ABRT otherwise (ACS-3 error outputs). */
static void host_failed(struct ata_req *r)
{
	if (is_packet(r)) {
		/* MMC-6 / SPC: MEDIUM ERROR, unrecovered read error. */
		atapi_set_sense(r->d, 0x03, 0x11, 0x00);
		ata_req_done(r, 0x03 << 4);
		return;
	}
	r->res.lba = r->lba;		/* "LBA of first unrecoverable error" */
	ata_req_done(r, r->data == ATA_DATA_DISK_IN ? ATA_ERR_UNC : ATA_ERR_ABRT);
}

/*
 * Copies between buf and the iovecs from offset off into them: to the
 * iovecs when `to`, else from them.  The bytes copied.
 */
static size_t iov_copy(const struct ata_req *r, size_t off, uint8_t *buf, size_t len, bool to)
{
	size_t done = 0;
	unsigned i;

	for (i = 0; i < r->iovcnt && done < len; i++) {
		size_t seg = r->iov[i].iov_len, n;
		uint8_t *at;

		if (off >= seg) {
			off -= seg;
			continue;
		}
		at = (uint8_t *)r->iov[i].iov_base + off;
		n = seg - off < len - done ? seg - off : len - done;
		if (to)
			memcpy(at, buf + done, n);
		else
			memcpy(buf + done, at, n);
		done += n;
		off = 0;
	}
	return done;
}

size_t ata_iov_from(const struct ata_req *r, size_t off, void *buf, size_t len)
{
	return iov_copy(r, off, buf, len, false);
}

static size_t iov_to_at(const struct ata_req *r, size_t off, const void *buf, size_t len)
{
	return iov_copy(r, off, (uint8_t *)buf, len, true);
}

static size_t iov_to(const struct ata_req *r, const void *buf, size_t len)
{
	return iov_to_at(r, 0, buf, len);
}

/* The first `len` bytes of the iovecs, as a new array; 0 or -ENOMEM. */
static int carve(struct ata_req *r, uint64_t len, unsigned *cnt)
{
	unsigned i, n = 0;

	r->div = calloc(r->iovcnt ? r->iovcnt : 1, sizeof(*r->div));
	if (!r->div)
		return -ENOMEM;
	for (i = 0; i < r->iovcnt && len; i++) {
		size_t sl = r->iov[i].iov_len;

		if (!sl)
			continue;
		r->div[n].iov_base = r->iov[i].iov_base;
		r->div[n].iov_len = sl < len ? sl : len;
		len -= r->div[n].iov_len;
		n++;
	}
	*cnt = n;
	return 0;
}

struct disk_req *ata_req_host(struct ata_req *r, unsigned n)
{
	if (n <= 1) {
		r->dreq = &r->dreq1;
		n = 1;
	} else {
		r->dreq = calloc(n, sizeof(*r->dreq));
		if (!r->dreq)
			return NULL;
	}
	memset(r->dreq, 0, n * sizeof(*r->dreq));
	r->nr_dreq = n;
	r->disk = r->disk ? r->disk : r->d->disk;
	return r->dreq;
}

void ata_req_go(struct ata_req *r)
{
	queue_host(r);
}

/* One disk request for `len` bytes at sector r->lba over `iov`. */
static void disk_rw(struct ata_req *r, struct iovec *iov, unsigned cnt, uint64_t len)
{
	struct disk_req *dr = ata_req_host(r, 1);

	dr->op = r->write ? DISK_WRITE : DISK_READ;
	dr->flags = r->write ? r->dflags : 0;
	dr->offset = r->lba * r->ssize;
	dr->len = len;
	dr->iov = iov;
	dr->iovcnt = cnt;
	queue_host(r);
}

/* --- PIO data phases (ATA8-ACS "PIO data-in", "PIO data-out", PACKET) ---- */

static void pio_event(struct ata_req *r, enum ata_phase ph, bool irq)
{
	r->res.phase = ph;
	r->res.status = ATA_STAT_DRDY | ATA_STAT_DSC | ATA_STAT_DRQ;
	r->res.error = 0;
	r->res.bytes = r->drq_len;
	r->res.irq = irq;
	if (is_packet(r)) {
		/* Data to the host: IO=1 CoD=0, the byte count in LBA mid/high. */
		r->res.count = ATAPI_IREASON_IO;
		r->res.lba = (uint64_t)r->drq_len << 8;
	}
	queue_event(r);
}

static void host_read_next(struct ata_req *r);

/* Reads the next chunk of a PIO data-in transfer into the buffer. */
static void pio_fill(struct ata_req *r)
{
	uint64_t chunk = r->left;
	uint64_t max = is_packet(r) ? ATA_PIO_BUF / r->ssize * r->ssize : r->blk_max;

	if (is_packet(r) && r->gen != r->d->atapi.gen) {
		/* The disc went (or changed) in the middle of the transfer. */
		atapi_set_sense(r->d, 0x02, 0x3a, 0x00);
		ata_req_done(r, 0x02 << 4 | ATA_ERR_ABRT);
		return;
	}
	if (r->data == ATA_DATA_HOST_IN) {
		host_read_next(r);
		return;
	}
	if (chunk > max)
		chunk = max;
	r->buf_len = 0;
	r->buf_pos = 0;
	r->pio_iov.iov_base = r->d->pio_buf;
	r->pio_iov.iov_len = (size_t)chunk;
	disk_rw(r, &r->pio_iov, 1, chunk);
}

/* The next DRQ block out of the buffer, a refill, or the end. */
static void pio_next_in(struct ata_req *r)
{
	if (r->buf_pos < r->buf_len) {
		uint32_t n = r->buf_len - r->buf_pos;

		r->drq_len = n < r->blk_max ? n : r->blk_max;
		r->drq_pos = 0;
		pio_event(r, ATA_PHASE_PIO_IN, true);
	} else if (r->left) {
		pio_fill(r);
	} else {
		ata_req_done(r, 0);
	}
}

/* The next DRQ block a PIO data-out command wants (no interrupt for the first). */
static void pio_next_out(struct ata_req *r, bool irq)
{
	r->drq_len = r->left < r->blk_max ? (uint32_t)r->left : r->blk_max;
	r->drq_pos = 0;
	pio_event(r, ATA_PHASE_PIO_OUT, irq);
}

int ata_pio_read(struct ata_drive *d, void *buf, unsigned len)
{
	struct ata_req *r = d->pio;
	uint32_t n;

	if (!r || d->pio_dir != ATA_PHASE_PIO_IN) {
		memset(buf, 0xff, len);
		return -EINVAL;
	}
	n = r->drq_len - r->drq_pos;
	if (n > len)
		n = len;
	memcpy(buf, d->pio_buf + r->buf_pos + r->drq_pos, n);
	memset((uint8_t *)buf + n, 0xff, len - n);
	r->drq_pos += n;
	if (r->drq_pos < r->drq_len)
		return (int)(r->drq_len - r->drq_pos);
	d->pio = NULL;
	r->buf_pos += r->drq_len;
	r->moved += r->drq_len;
	pio_next_in(r);
	return 0;
}

int ata_pio_write(struct ata_drive *d, const void *buf, unsigned len)
{
	struct ata_req *r = d->pio;
	uint32_t n;

	if (!r || d->pio_dir != ATA_PHASE_PIO_OUT)
		return -EINVAL;
	n = r->drq_len - r->drq_pos;
	if (n > len)
		n = len;
	memcpy(d->pio_buf + r->drq_pos, buf, n);
	r->drq_pos += n;
	if (r->drq_pos < r->drq_len)
		return (int)(r->drq_len - r->drq_pos);
	d->pio = NULL;
	r->pio_iov.iov_base = d->pio_buf;
	r->pio_iov.iov_len = r->drq_len;
	disk_rw(r, &r->pio_iov, 1, r->drq_len);
	return 0;
}

/* --- data phases the command sets start ---------------------------------- */

void ata_req_reply(struct ata_req *r, uint32_t len)
{
	r->data = ATA_DATA_BUF;
	if (r->xfer == ATA_XFER_IOV) {
		r->moved = iov_to(r, r->d->pio_buf, len);
		ata_req_done(r, 0);
		return;
	}
	r->buf_len = len;
	r->buf_pos = 0;
	r->left = 0;
	if (!len) {
		ata_req_done(r, 0);
		return;
	}
	pio_next_in(r);
}

void ata_req_disk(struct ata_req *r, uint64_t lba, uint64_t bytes)
{
	unsigned cnt;

	r->data = r->write ? ATA_DATA_DISK_OUT : ATA_DATA_DISK_IN;
	r->lba = lba;
	r->left = bytes;
	if (!bytes) {
		ata_req_done(r, 0);
		return;
	}
	if (r->xfer == ATA_XFER_PIO) {
		if (r->write)
			pio_next_out(r, false);
		else
			pio_next_in(r);
		return;
	}
	if (r->iov_bytes < bytes) {
		/*
		 * The PRDs end before the transfer does.  ATAPI replies are
		 * cut to the buffer (whole sectors); an ATA command moves
		 * nothing and is aborted.
		 */
		if (!is_packet(r)) {
			ata_req_done(r, ATA_ERR_ABRT);
			return;
		}
		bytes = r->iov_bytes / r->ssize * r->ssize;
		r->left = bytes;
		if (!bytes) {
			ata_req_done(r, 0);
			return;
		}
	}
	if (carve(r, bytes, &cnt)) {
		ata_req_done(r, ATA_ERR_ABRT);
		return;
	}
	disk_rw(r, r->div, cnt, bytes);
}

/* --- a host drive (passthrough, atapi-pass.c) ----------------------------- */

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

void ata_req_host_cmd(struct ata_req *r, const uint8_t *cdb, int dir, uint32_t len)
{
	if (dir == HOSTDRIVE_FROM_DEV && len > ATA_PIO_BUF)
		len = ATA_PIO_BUF;
	if (r->data != ATA_DATA_HOST_IN)
		r->data = ATA_DATA_HOST_REPLY;
	memcpy(r->sg_cdb, cdb, sizeof(r->sg_cdb));
	r->sg_dir = dir;
	r->sg_len = dir == HOSTDRIVE_NONE ? 0 : len;
	r->sg = true;
	r->nr_dreq = 0;
	queue_host(r);
}

/*
 * The next READ(12) of a host read: as much as the guest's buffers take
 * (DMA: up to HOSTDRIVE_MAX_XFER a command; PIO: a buffer's worth, given
 * out in DRQ blocks before the next).
 */
static void host_read_next(struct ata_req *r)
{
	uint64_t max = r->xfer == ATA_XFER_PIO ? ATA_PIO_BUF : HOSTDRIVE_MAX_XFER;
	uint64_t chunk = r->left < max ? r->left : max;
	uint32_t n;
	uint8_t cdb[12] = { 0xa8 };	/* READ(12), MMC-6 6.16 */

	chunk = chunk / ATAPI_SECTOR * ATAPI_SECTOR;
	n = (uint32_t)(chunk / ATAPI_SECTOR);
	put_be32(cdb + 2, (uint32_t)r->lba);
	put_be32(cdb + 6, n);
	r->buf_len = 0;
	r->buf_pos = 0;
	ata_req_host_cmd(r, cdb, HOSTDRIVE_FROM_DEV, (uint32_t)chunk);
}

void ata_req_host_read(struct ata_req *r, uint64_t lba, uint64_t bytes)
{
	r->data = ATA_DATA_HOST_IN;
	r->lba = lba;
	if (r->xfer == ATA_XFER_IOV && r->iov_bytes < bytes)
		bytes = r->iov_bytes / ATAPI_SECTOR * ATAPI_SECTOR;	/* cut to the buffer */
	r->left = bytes;
	if (!bytes) {
		ata_req_done(r, 0);
		return;
	}
	host_read_next(r);
}


/* Lock held: a host drive's GOOD answer to the request's command. */
static void host_good(struct ata_req *r, const struct hostdrive_result *res)
{
	size_t got = res->len;

	if (r->data == ATA_DATA_HOST_REPLY) {
		if (got > ATA_PIO_BUF)
			got = ATA_PIO_BUF;
		if (got)
			memcpy(r->d->pio_buf, res->data, got);
		ata_req_reply(r, (uint32_t)got);
		return;
	}
	/* A read: the drive may stop short (the end of the disc). */
	got = got / ATAPI_SECTOR * ATAPI_SECTOR;
	if (got > r->left)
		got = (size_t)r->left;
	r->left = got < r->sg_len ? 0 : r->left - got;
	r->lba += got / ATAPI_SECTOR;
	if (r->xfer == ATA_XFER_PIO) {
		if (got)
			memcpy(r->d->pio_buf, res->data, got);
		r->buf_len = (uint32_t)got;
		r->buf_pos = 0;
		pio_next_in(r);
		return;
	}
	r->moved += iov_to_at(r, (size_t)r->moved, res->data, got);
	if (r->left)
		host_read_next(r);
	else
		ata_req_done(r, 0);
}

/* Loop thread: the host drive answered (or the command never got there). */
static void host_cmd_done(void *opaque, const struct hostdrive_result *res)
{
	struct ata_req *r = opaque;
	struct ata_drive *d = r->d;

	ata_lock(d);
	r->on_host = false;
	d->on_host--;
	r->sg = false;
	if (r->aborted)
		req_clear(r);
	else if (res->err || res->status)
		atapi_pass_done(r, res);
	else
		host_good(r, res);
	if (d->aborting && !d->on_host) {
		d->aborting = false;
		if (d->ops.idle)
			d->ops.idle(d->opaque);
	}
	busy_put(d, 1);
	ata_unlock(d);
}

/* I/O thread, lock held: the request's disk requests all completed. */
static void host_done(struct ata_req *r)
{
	uint64_t n = r->nr_dreq ? r->dreq[0].len : 0;

	if (r->err) {
		host_failed(r);
		return;
	}
	switch (r->data) {
	case ATA_DATA_DISK_IN:
		r->left -= n;
		r->lba += n / r->ssize;
		if (r->xfer == ATA_XFER_PIO) {
			r->buf_len = (uint32_t)n;
			r->buf_pos = 0;
			pio_next_in(r);
			return;
		}
		r->moved += n;
		break;
	case ATA_DATA_DISK_OUT:
		r->left -= n;
		r->lba += n / r->ssize;
		r->moved += n;
		if (r->xfer == ATA_XFER_PIO && r->left) {
			pio_next_out(r, true);
			return;
		}
		break;
	default:
		break;
	}
	ata_req_done(r, 0);
}

static void dreq_done(struct disk_req *dr, int ret)
{
	struct ata_req *r = dr->opaque;
	struct ata_drive *d = r->d;

	if (ret && !r->err)
		r->err = ret;
	if (--r->pending)
		return;
	ata_lock(d);
	r->on_host = false;
	d->on_host--;
	if (r->aborted)
		req_clear(r);
	else
		host_done(r);
	if (d->aborting && !d->on_host) {
		d->aborting = false;
		if (d->ops.idle)
			d->ops.idle(d->opaque);
	}
	busy_put(d, 1);
	ata_unlock(d);
}

/* --- the bottom half: the write cache, events, submissions --------------- */

static void deliver(struct ata_req *r)
{
	struct ata_drive *d = r->d;
	struct ata_result res = r->res;
	unsigned slot = r->slot;

	r->queued_ev = false;
	if (res.phase == ATA_PHASE_DONE) {
		req_clear(r);
	} else {
		d->pio = r;
		d->pio_dir = res.phase;
	}
	d->ops.event(d->opaque, slot, &res);
}

static void work_bh(void *opaque)
{
	struct ata_drive *d = opaque;
	struct ata_req *sub, *r, *next, **pp;
	struct disk *last = NULL;
	unsigned n = 0, i;
	bool want;

	ata_lock(d);
	want = d->wce;
	ata_unlock(d);
	/* The switch first: a write submitted after SET FEATURES 82h is write-through. */
	if (d->kind == ATA_KIND_DISK && want != d->wce_applied) {
		d->wce_applied = want;
		disk_set_writeback(d->disk, want);
	}

	ata_lock(d);
	/*
	 * One at a time off the queue: an event handler may abort, which
	 * must find the events not delivered yet (and drop them).
	 */
	while ((r = d->ev_head)) {
		d->ev_head = r->next;
		if (!d->ev_head)
			d->ev_tail = &d->ev_head;
		n++;
		deliver(r);
	}
	/* Taken after the events: an abort in one of them has marked these. */
	sub = d->sub_head;
	d->sub_head = NULL;
	d->sub_tail = &d->sub_head;
	/* Requests aborted before they reached the host never go there. */
	for (pp = &sub; (r = *pp); ) {
		if (!r->aborted) {
			pp = &r->next;
			continue;
		}
		*pp = r->next;
		r->on_host = false;
		d->on_host--;
		req_clear(r);
		n++;
	}
	if (d->aborting && !d->on_host) {
		d->aborting = false;
		if (d->ops.idle)
			d->ops.idle(d->opaque);
	}
	/* Taken for the host: an abort from now on waits for their completions. */
	for (r = sub; r; r = r->next) {
		r->pending = r->nr_dreq;
		for (i = 0; i < r->nr_dreq; i++) {
			r->dreq[i].done = dreq_done;
			r->dreq[i].opaque = r;
		}
	}
	ata_unlock(d);
	if (n)
		busy_put(d, n);

	/* No host I/O under the controller's lock. */
	for (r = sub; r; r = next) {
		struct disk *disk = r->disk;
		unsigned cnt = r->nr_dreq;
		struct disk_req *dr = r->dreq;

		next = r->next;
		if (r->sg) {
			/* The pool runs it: an optical drive may take seconds. */
			int ret = hostdrive_submit(d->host, r->sg_cdb, sizeof(r->sg_cdb), r->sg_dir,
						   NULL, r->sg_len, 0, host_cmd_done, r);

			if (ret) {
				struct hostdrive_result res = { .err = ret };

				host_cmd_done(r, &res);
			}
			continue;
		}
		if (last && last != disk)
			disk_unplug(last);
		last = disk;
		/* done() never runs inside disk_submit(): r is ours until this returns. */
		for (i = 0; i < cnt; i++)
			disk_submit(disk, &dr[i]);
	}
	if (last)
		disk_unplug(last);
}

void ata_set_wce(struct ata_drive *d, bool on)
{
	d->wce = on;
	ioloop_bh_schedule(d->loop, &d->bh);
}

/* --- the controller's calls ---------------------------------------------- */

static bool is_ncq(const struct ata_drive *d, uint8_t command)
{
	return d->kind == ATA_KIND_DISK && (command == 0x60 || command == 0x61);
}

int ata_submit(struct ata_drive *d, const struct ata_cmd *cmd)
{
	struct ata_req *r;
	bool ncq = is_ncq(d, cmd->tf.command);
	uint64_t total = 0;
	unsigned i;

	if (d->stopped)
		return -ESHUTDOWN;
	if (cmd->slot >= ATA_MAX_SLOTS || (cmd->xfer != ATA_XFER_IOV && cmd->xfer != ATA_XFER_PIO))
		return -EINVAL;
	if (cmd->xfer == ATA_XFER_IOV && (cmd->iovcnt > ATA_MAX_IOV || (cmd->iovcnt && !cmd->iov)))
		return -EINVAL;
	r = &d->req[cmd->slot];
	if (d->aborting || r->active)
		return -EBUSY;
	/* One non-queued command at a time; queued ones only beside queued ones. */
	if (d->nr_active > d->nr_ncq || (ncq && d->pio))
		return -EBUSY;
	if (cmd->xfer == ATA_XFER_IOV) {
		for (i = 0; i < cmd->iovcnt; i++) {
			if (cmd->iov[i].iov_len > UINT64_MAX - total)
				return -EINVAL;
			total += cmd->iov[i].iov_len;
		}
	}

	memset(r, 0, sizeof(*r));
	r->d = d;
	r->slot = cmd->slot;
	r->tf = cmd->tf;
	memcpy(r->cdb, cmd->cdb, sizeof(r->cdb));
	r->xfer = cmd->xfer;
	r->ssize = ATA_SECTOR;
	if (cmd->xfer == ATA_XFER_IOV && cmd->iovcnt) {
		r->iov = malloc(cmd->iovcnt * sizeof(*r->iov));
		if (!r->iov)
			return -ENOMEM;
		memcpy(r->iov, cmd->iov, cmd->iovcnt * sizeof(*r->iov));
		r->iovcnt = cmd->iovcnt;
	}
	r->iov_bytes = total;
	r->active = true;
	d->nr_active++;
	/* ACS-3 "NCQ": a non-queued command while queued ones run is an error. */
	if (!ncq && d->nr_ncq) {
		ata_req_done(r, ATA_ERR_ABRT);
		return 0;
	}
	if (d->kind == ATA_KIND_CDROM && cmd->tf.command == 0xa0)
		atapi_packet(r);
	else
		ata_cmd_start(r);
	return 0;
}

enum ata_proto ata_command_proto(const struct ata_drive *d, uint8_t command,
				 uint16_t feature)
{
	return ata_cmd_proto(d->kind, command, feature);
}

enum ata_kind ata_drive_kind(const struct ata_drive *d)
{
	return d->kind;
}

int ata_abort(struct ata_drive *d)
{
	struct ata_req *r, *next;
	unsigned i, n = 0;

	/* Events not delivered yet are forgotten with their commands. */
	for (r = d->ev_head; r; r = next, n++) {
		next = r->next;
		r->queued_ev = false;
	}
	d->ev_head = NULL;
	d->ev_tail = &d->ev_head;
	if (n)
		busy_put(d, n);
	d->pio = NULL;
	for (i = 0; i < ATA_MAX_SLOTS; i++) {
		r = &d->req[i];
		if (!r->active)
			continue;
		if (r->on_host)
			r->aborted = true;	/* cleared when the host is done with it */
		else
			req_clear(r);
	}
	if (d->on_host) {
		d->aborting = true;
		return -EINPROGRESS;
	}
	return 0;
}

void ata_settings_reset(struct ata_drive *d)
{
	d->multiple = 0;
	d->xfer_mode = 0;
	d->standby = false;
	/* The default CHS translation (16 heads, 63 sectors: ATA8-ACS Annex, IDENTIFY words 1, 3, 6). */
	d->heads = 16;
	d->spt = 63;
	if (d->kind == ATA_KIND_DISK && d->wce != d->wce_default)
		ata_set_wce(d, d->wce_default);
}

int ata_reset(struct ata_drive *d)
{
	int ret = ata_abort(d);

	ata_settings_reset(d);
	if (d->kind == ATA_KIND_CDROM)
		atapi_reset(d);
	return ret;
}

void ata_signature(const struct ata_drive *d, struct ata_result *res)
{
	memset(res, 0, sizeof(*res));
	res->phase = ATA_PHASE_DONE;
	res->count = 1;
	res->error = 0x01;		/* diagnostics passed */
	if (d->kind == ATA_KIND_CDROM) {
		res->lba = 0xeb1401;	/* LBA low 01h, mid 14h, high EBh */
	} else {
		res->lba = 0x000001;
		res->status = ATA_OK_STATUS;
	}
}

/* --- life ---------------------------------------------------------------- */

static void copy_string(char *dst, size_t cap, const char *src)
{
	size_t i, n = 0;

	for (i = 0; src && src[i] && n + 1 < cap; i++) {
		/* Printable ASCII only: it goes into IDENTIFY strings. */
		if (src[i] >= 0x20 && src[i] < 0x7f)
			dst[n++] = src[i];
	}
	dst[n] = '\0';
}

int ata_drive_create(struct ata_drive **out, const struct ata_drive_config *cfg)
{
	struct ata_drive *d;
	unsigned i;

	if (!cfg->loop || !cfg->ops.event ||
	    (cfg->kind != ATA_KIND_DISK && cfg->kind != ATA_KIND_CDROM) ||
	    (cfg->kind == ATA_KIND_DISK && !cfg->disk) ||
	    (cfg->kind == ATA_KIND_CDROM && cfg->ncq) ||
	    (cfg->host && (cfg->kind != ATA_KIND_CDROM || cfg->disk)))
		return -EINVAL;
	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	d->pio_buf = calloc(1, ATA_PIO_BUF);
	if (!d->pio_buf) {
		free(d);
		return -ENOMEM;
	}
	d->kind = cfg->kind;
	d->disk = cfg->disk;
	d->loop = cfg->loop;
	d->pool = cfg->pool;
	d->host = cfg->host;
	d->ops = cfg->ops;
	d->opaque = cfg->opaque;
	d->ncq_cap = cfg->ncq;
	copy_string(d->serial, sizeof(d->serial), cfg->serial);
	copy_string(d->model, sizeof(d->model), cfg->model ? cfg->model :
		    cfg->kind == ATA_KIND_DISK ? "VMAIN HARDDISK" : "VMAIN DVD-ROM");
	for (i = 0; i < ATA_MAX_SLOTS; i++)
		d->req[i].d = d;
	d->sub_tail = &d->sub_head;
	d->ev_tail = &d->ev_head;
	ioloop_bh_init(&d->bh, work_bh, d);
	atomic_init(&d->busy, 0);
	pthread_mutex_init(&d->drain_lock, NULL);
	pthread_cond_init(&d->drained, NULL);
	if (d->kind == ATA_KIND_DISK) {
		/* The configured mode, not what a guest before a reset switched it to. */
		d->wce_default = d->disk->cache_cfg.mode != WCACHE_WRITETHROUGH;
		d->wce = d->wce_default;
		d->wce_applied = disk_writeback(d->disk);
		if (d->wce_applied != d->wce)
			ioloop_bh_schedule(d->loop, &d->bh);
	}
	ata_settings_reset(d);
	if (d->kind == ATA_KIND_CDROM)
		atapi_reset(d);
	*out = d;
	return 0;
}

static void noop(void *opaque)
{
	(void)opaque;
}

void ata_drive_stop(struct ata_drive *d)
{
	ata_lock(d);
	d->stopped = true;
	ata_unlock(d);
	pthread_mutex_lock(&d->drain_lock);
	while (atomic_load(&d->busy)) {
		if (ioloop_in_loop(d->loop)) {
			/* A test turning the loop on this thread. */
			pthread_mutex_unlock(&d->drain_lock);
			ioloop_run_once(d->loop, 100);
			pthread_mutex_lock(&d->drain_lock);
		} else {
			pthread_cond_wait(&d->drained, &d->drain_lock);
		}
	}
	pthread_mutex_unlock(&d->drain_lock);
	/* A bottom half already scheduled (the write cache) has run after this. */
	ioloop_call_sync(d->loop, noop, NULL);
}

void ata_drive_destroy(struct ata_drive *d)
{
	unsigned i;

	if (!d)
		return;
	ata_drive_stop(d);
	for (i = 0; i < ATA_MAX_SLOTS; i++)
		if (d->req[i].active)
			req_clear(&d->req[i]);
	if (d->kind == ATA_KIND_CDROM)
		atapi_close_media(d);
	pthread_cond_destroy(&d->drained);
	pthread_mutex_destroy(&d->drain_lock);
	free(d->pio_buf);
	free(d);
}
