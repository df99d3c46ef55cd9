/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * disk/req.h - one block request, as every layer of the disk stack takes
 * it: the device model hands it to the image format (disk.h), the format
 * hands its own (host-offset) requests to the write cache (cache.h).
 *
 * Offsets and lengths are bytes, multiples of DISK_SECTOR.  Buffers are
 * the caller's (for a device model: guest RAM, already bounds-checked)
 * and must stay valid until done() runs.  done() always runs later, on
 * the I/O thread, never from inside the submit call that took the request,
 * so a caller may hold its own lock while submitting.
 */
#ifndef VMAIN_MONITOR_DISK_REQ_H
#define VMAIN_MONITOR_DISK_REQ_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#define DISK_SECTOR		512u
#define DISK_MAX_IOV		1024	/* IOV_MAX: segments in one request */

enum disk_op {
	DISK_READ,
	DISK_WRITE,
	DISK_FLUSH,		/* every write completed before it is durable */
	DISK_DISCARD,		/* the range may read back anything (zeros from a
				 * regular file; a block device's BLKDISCARD
				 * leaves it to the device) */
	DISK_WRITE_ZEROES,	/* the range reads back zeros */
};

/* Request flags. */
#define DISK_REQ_FUA		(1u << 0)	/* WRITE: durable before done() */
#define DISK_REQ_UNMAP		(1u << 1)	/* WRITE_ZEROES: may deallocate */

struct disk_req {
	enum disk_op op;
	uint32_t flags;
	uint64_t offset;		/* bytes */
	uint64_t len;			/* bytes; READ/WRITE: the iovecs' total */
	struct iovec *iov;		/* READ/WRITE only */
	unsigned iovcnt;
	/* 0, or -errno (-EIO, -ENOSPC, -EINVAL for a range past the end, ...). */
	void (*done)(struct disk_req *req, int ret);
	void *opaque;			/* the submitter's */
	void *priv[4];			/* the layer that took it */
};

/*
 * The shape of a request: known flags and op; for READ and WRITE 1 to
 * DISK_MAX_IOV segments adding up to `len`; for all but FLUSH a non-zero
 * length, offset and length multiples of `gran`, inside [0, limit).
 * 0, -EINVAL, or -EOPNOTSUPP for an unknown op.
 */
int disk_req_check(const struct disk_req *req, uint32_t gran, uint64_t limit);

#endif
