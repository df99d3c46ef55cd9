// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * disk/hostdrive.c - a host CD/DVD drive given to one VM, through SG_IO
 * in the worker pool (see hostdrive.h).
 *
 * A command is a job: its own copy of the CDB and its own data buffer,
 * filled or read by the pool thread's ioctl(SG_IO).  The drive keeps a
 * count of its jobs; hostdrive_close() with jobs still at the drive only
 * marks it closed, and the last job's completion on the loop closes the
 * fd and frees it, so no pool thread ever uses a closed (or reused) fd.
 * A cancelled job is detached from its caller (no callback) and frees
 * itself the same way.
 *
 * One SG_IO moves at most what the device's request queue takes (libata
 * ATAPI drives: 128 KiB): a READ(10)/READ(12) asking for more is sent as
 * consecutive reads of at most that, in the same job, and completes as
 * one command (its residue counting from the first piece that fell short).
 */
#include <errno.h>
#include <fcntl.h>
#include <scsi/sg.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "disk/hostdrive.h"
#include "io/ioloop.h"
#include "io/pool.h"

#define HOSTDRIVE_TIMEOUT_MS	30000
#define SCSI_TYPE_MMC		0x05	/* SPC-4 table 49: CD/DVD device */
#define INQUIRY_LEN		36	/* the standard data up to the revision (SPC-4 6.6.2) */
#define MMC_READ_10		0x28
#define MMC_READ_12		0xa8
#define XFER_FALLBACK		(64 * 1024)	/* when the device does not say */

struct hostdrive_job {
	struct pool_job pj;
	struct hostdrive *hd;
	uint8_t cdb[16];
	unsigned cdb_len;
	enum hostdrive_dir dir;
	uint8_t *buf;
	size_t len;
	unsigned timeout_ms;
	hostdrive_done_fn done;	/* NULL once cancelled */
	void *opaque;
	/* Written by the pool thread, read after done() is scheduled. */
	struct sg_io_hdr io;
	uint8_t sense[HOSTDRIVE_SENSE_MAX];
	int err;
};

struct hostdrive {
	int fd;
	struct pool *pool;
	struct ioloop *loop;
	size_t max_xfer;		/* bytes one SG_IO may move (the device's queue limit) */
	unsigned jobs;			/* submitted, done() not yet run */
	struct hostdrive_job *live;	/* the pending command, if any */
	bool closed;
	char name[8 + 1 + 16 + 1 + 4 + 1];
};

static void say(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	if (!why || !whylen)
		return;
	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
}

/* The synchronous SG_IO of open(): INQUIRY, before any guest runs. */
static int sg_run(int fd, struct sg_io_hdr *io)
{
	if (ioctl(fd, SG_IO, io) < 0)
		return -errno;
	/* A transport failure (host_status) or the adapter's (driver_status without sense). */
	if (io->host_status || ((io->driver_status & 0x0f) && !io->sb_len_wr))
		return -EIO;
	return 0;
}

/* Copies INQUIRY text field `src` (len bytes, space padded) to `dst`, trimmed. */
static size_t put_field(char *dst, const uint8_t *src, size_t len)
{
	size_t i, n = 0;

	while (len && (src[len - 1] == ' ' || !src[len - 1]))
		len--;
	for (i = 0; i < len; i++)
		dst[n++] = src[i] >= 0x20 && src[i] < 0x7f ? (char)src[i] : '?';
	return n;
}

static int drive_check(struct hostdrive *hd, const char *path, char *why, size_t whylen)
{
	uint8_t cdb[6] = { 0x12, 0, 0, 0, INQUIRY_LEN, 0 };	/* INQUIRY (SPC-4 6.6) */
	uint8_t inq[INQUIRY_LEN] = { 0 }, sense[HOSTDRIVE_SENSE_MAX];
	struct sg_io_hdr io = {
		.interface_id = 'S',
		.dxfer_direction = SG_DXFER_FROM_DEV,
		.cmd_len = sizeof(cdb),
		.mx_sb_len = sizeof(sense),
		.dxfer_len = sizeof(inq),
		.dxferp = inq,
		.cmdp = cdb,
		.sbp = sense,
		.timeout = HOSTDRIVE_TIMEOUT_MS,
	};
	int version = 0, ret;
	size_t n;

	/* Block devices of SCSI disks/CDs and the sg nodes both answer this. */
	if (ioctl(hd->fd, SG_GET_VERSION_NUM, &version) < 0 || version < 30000) {
		say(why, whylen, "%s is not a SCSI device (no SG_IO): a host CD/DVD drive is /dev/srN or /dev/sgN", path);
		return -ENOTTY;
	}
	ret = sg_run(hd->fd, &io);
	if (ret || io.status || (size_t)io.dxfer_len - io.resid < 32) {
		say(why, whylen, "%s does not answer INQUIRY%s%s", path, ret ? ": " : "",
		    ret ? strerror(-ret) : "");
		return -EIO;
	}
	if ((inq[0] & 0x1f) != SCSI_TYPE_MMC || (inq[0] >> 5) != 0) {
		say(why, whylen, "%s is not a CD/DVD drive (SCSI peripheral type %u, qualifier %u)",
		    path, inq[0] & 0x1f, inq[0] >> 5);
		return -ENODEV;
	}
	n = put_field(hd->name, inq + 8, 8);
	hd->name[n++] = ' ';
	n += put_field(hd->name + n, inq + 16, 16);
	hd->name[n++] = ' ';
	n += put_field(hd->name + n, inq + 32, 4);
	hd->name[n] = 0;
	return 0;
}

/*
 * The most one SG_IO may move: BLKSECTGET gives a block device's limit in
 * 512-byte sectors (an unsigned short) and an sg node's in bytes (an int).
 */
static size_t drive_max_xfer(int fd, bool blk)
{
	unsigned short sectors = 0;
	int bytes = 0;
	size_t max = XFER_FALLBACK;

	if (blk && !ioctl(fd, BLKSECTGET, &sectors) && sectors)
		max = (size_t)sectors * 512;
	else if (!blk && !ioctl(fd, BLKSECTGET, &bytes) && bytes > 0)
		max = bytes;
	return max < HOSTDRIVE_MAX_XFER ? max : HOSTDRIVE_MAX_XFER;
}

int hostdrive_open(struct hostdrive **out, const char *path, struct pool *pool,
		   struct ioloop *loop, char *why, size_t whylen)
{
	struct hostdrive *hd;
	struct stat st;
	int ret;

	hd = calloc(1, sizeof(*hd));
	if (!hd) {
		say(why, whylen, "%s: out of memory", path);
		return -ENOMEM;
	}
	hd->pool = pool;
	hd->loop = loop;
	/*
	 * O_EXCL on a block device claims it (bd_prepare_to_claim): mount
	 * and every other exclusive opener get EBUSY until we close, as
	 * our own open gets EBUSY while it is mounted or claimed; on an sg
	 * node the sg driver gives the same exclusivity.  O_NONBLOCK: the
	 * sr driver opens a drive without media (or with its tray out).
	 */
	hd->fd = open(path, O_RDONLY | O_NONBLOCK | O_EXCL | O_CLOEXEC);
	if (hd->fd < 0) {
		ret = -errno;
		if (ret == -EBUSY)
			say(why, whylen, "%s is in use: mounted on the host, or held by another VM "
			    "or program (the desktop's automounter, a burner); unmount or release it first", path);
		else
			say(why, whylen, "%s: %s", path, strerror(-ret));
		goto err_free;
	}
	if (fstat(hd->fd, &st) || !(S_ISBLK(st.st_mode) || S_ISCHR(st.st_mode))) {
		say(why, whylen, "%s is not a device: a host CD/DVD drive is /dev/srN or /dev/sgN", path);
		ret = -ENOTTY;
		goto err_close;
	}
	ret = drive_check(hd, path, why, whylen);
	if (ret)
		goto err_close;
	hd->max_xfer = drive_max_xfer(hd->fd, S_ISBLK(st.st_mode));
	*out = hd;
	return 0;

err_close:
	close(hd->fd);
err_free:
	free(hd);
	return ret;
}

static void drive_free(struct hostdrive *hd)
{
	close(hd->fd);
	free(hd);
}

void hostdrive_close(struct hostdrive *hd)
{
	if (!hd)
		return;
	hostdrive_cancel(hd);
	if (hd->jobs) {
		hd->closed = true;	/* the last completion frees it */
		return;
	}
	drive_free(hd);
}

/* One SG_IO of `cdb` moving `len` bytes at `buf`; the outcome in j->io. */
static int sg_one(struct hostdrive_job *j, uint8_t *cdb, uint8_t *buf, size_t len)
{
	j->io = (struct sg_io_hdr){
		.interface_id = 'S',
		.dxfer_direction = j->dir == HOSTDRIVE_FROM_DEV ? SG_DXFER_FROM_DEV :
				   j->dir == HOSTDRIVE_TO_DEV ? SG_DXFER_TO_DEV : SG_DXFER_NONE,
		.cmd_len = j->cdb_len,
		.mx_sb_len = sizeof(j->sense),
		.dxfer_len = len,
		.dxferp = len ? buf : NULL,
		.cmdp = cdb,
		.sbp = j->sense,
		.timeout = j->timeout_ms,
	};
	return sg_run(j->hd->fd, &j->io);
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = v >> 24;
	p[1] = v >> 16;
	p[2] = v >> 8;
	p[3] = v;
}

/* Pool thread. */
static void job_run(struct pool_job *pj)
{
	struct hostdrive_job *j = pj->opaque;
	size_t max = j->hd->max_xfer, done = 0, bs, n, got;
	bool r12 = j->cdb[0] == MMC_READ_12;
	uint32_t lba, count;
	uint8_t cdb[16];

	/* MMC-6 6.15 READ (10), 6.16 READ (12): LBA at 2, the block count at 7 (2 bytes) or 6 (4). */
	lba = get_be32(j->cdb + 2);
	count = r12 ? get_be32(j->cdb + 6) : (uint32_t)j->cdb[7] << 8 | j->cdb[8];
	if (j->len <= max || (j->cdb[0] != MMC_READ_10 && !r12) || j->dir != HOSTDRIVE_FROM_DEV ||
	    !count || j->len % count || (bs = j->len / count) > max || lba > UINT32_MAX - count) {
		j->err = sg_one(j, j->cdb, j->buf, j->len);
		return;
	}
	while (done < j->len) {
		n = (j->len - done) / bs;
		if (n > max / bs)
			n = max / bs;
		memcpy(cdb, j->cdb, j->cdb_len);
		put_be32(cdb + 2, lba + done / bs);
		if (r12) {
			put_be32(cdb + 6, n);
		} else {
			cdb[7] = n >> 8;
			cdb[8] = n;
		}
		j->err = sg_one(j, cdb, j->buf + done, n * bs);
		got = j->io.resid > 0 && (size_t)j->io.resid < n * bs ? n * bs - j->io.resid :
		      j->io.resid ? 0 : n * bs;
		done += got;
		if (j->err || j->io.status || got < n * bs)
			break;
	}
	j->io.resid = j->len - done;
}

/* Loop thread. */
static void job_done(struct pool_job *pj, int ret)
{
	struct hostdrive_job *j = pj->opaque;
	struct hostdrive *hd = j->hd;
	struct hostdrive_result r = { 0 };

	if (hd->live == j)
		hd->live = NULL;
	if (j->done) {
		r.err = ret ? ret : j->err;
		r.host_status = j->io.host_status;
		r.driver_status = j->io.driver_status;
		if (!r.err) {
			r.status = j->io.status;
			r.sense_len = j->io.sb_len_wr < sizeof(j->sense) ? j->io.sb_len_wr : sizeof(j->sense);
			memcpy(r.sense, j->sense, r.sense_len);
			r.len = j->len - (j->io.resid > 0 && (size_t)j->io.resid <= j->len ? (size_t)j->io.resid : 0);
			r.data = j->dir == HOSTDRIVE_FROM_DEV ? j->buf : NULL;
		}
		j->done(j->opaque, &r);
	}
	free(j->buf);
	free(j);
	if (!--hd->jobs && hd->closed)
		drive_free(hd);
}

int hostdrive_submit(struct hostdrive *hd, const uint8_t *cdb, unsigned cdb_len,
		     enum hostdrive_dir dir, const void *data, size_t len,
		     unsigned timeout_ms, hostdrive_done_fn done, void *opaque)
{
	struct hostdrive_job *j;

	if (cdb_len < 6 || cdb_len > sizeof(j->cdb) || len > HOSTDRIVE_MAX_XFER ||
	    (dir == HOSTDRIVE_NONE) != (len == 0) || !done || (dir == HOSTDRIVE_TO_DEV && !data))
		return -EINVAL;
	if (hd->closed || hd->live || hd->jobs >= HOSTDRIVE_MAX_JOBS)
		return -EBUSY;
	j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	if (len) {
		j->buf = dir == HOSTDRIVE_TO_DEV ? malloc(len) : calloc(1, len);
		if (!j->buf) {
			free(j);
			return -ENOMEM;
		}
		if (dir == HOSTDRIVE_TO_DEV)
			memcpy(j->buf, data, len);
	}
	memcpy(j->cdb, cdb, cdb_len);
	j->cdb_len = cdb_len;
	j->dir = dir;
	j->len = len;
	j->timeout_ms = timeout_ms ? timeout_ms : HOSTDRIVE_TIMEOUT_MS;
	j->done = done;
	j->opaque = opaque;
	j->hd = hd;
	j->pj.run = job_run;
	j->pj.done = job_done;
	j->pj.loop = hd->loop;
	j->pj.opaque = j;
	hd->jobs++;
	hd->live = j;
	pool_submit(hd->pool, &j->pj);
	return 0;
}

void hostdrive_cancel(struct hostdrive *hd)
{
	if (hd->live) {
		hd->live->done = NULL;
		hd->live = NULL;
	}
}

bool hostdrive_busy(const struct hostdrive *hd)
{
	return hd->live != NULL;
}

const char *hostdrive_name(const struct hostdrive *hd)
{
	return hd->name;
}
