/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * disk/uring.h - the io_uring engine (liburing): positioned vectored
 * reads and writes, fdatasync and fallocate on one file, asynchronously.
 *
 * One ring per open image file.  Requests are staged and go to the kernel
 * together: uring_submit() only queues an SQE, uring_flush() (called by
 * the layer above at the end of a batch, and by the engine itself when the
 * SQ is full) makes one io_uring_enter() for all of them ("plug/unplug").
 * A read or write with many segments is one SQE with an iovec.
 * Completions are reaped on the I/O loop: when the ring's fd (watched by
 * the loop) is readable, and right after a submission that completed
 * inline (a page-cache hit).  Nothing polls, no thread or signal per
 * request.
 *
 * Errors: -EAGAIN and -EINTR are resubmitted; a short read is resubmitted
 * for the rest, and a read that hits end-of-file fills the rest with zeros
 * (success); a short write is resubmitted, and one that writes nothing
 * more completes with -ENOSPC.  Positioned I/O only: no lseek, ever.
 *
 * Threads: I/O thread only (the loop passed at creation).
 */
#ifndef VMAIN_MONITOR_DISK_URING_H
#define VMAIN_MONITOR_DISK_URING_H

#include <stdint.h>
#include <sys/uio.h>

#include "io/ioloop.h"

#define URING_DEFAULT_DEPTH	128

enum uring_op {
	URING_READV,
	URING_WRITEV,
	URING_FDATASYNC,
	URING_FALLOCATE,	/* mode: FALLOC_FL_* (punch hole, zero range) */
};

struct uring_req {
	/* Set by the submitter. */
	enum uring_op op;
	uint64_t offset;
	uint64_t len;			/* FALLOCATE only */
	int mode;			/* FALLOCATE only */
	int rw_flags;			/* READV/WRITEV: RWF_DSYNC for FUA */
	struct iovec *iov;		/* READV/WRITEV; the engine may adjust it on a short transfer */
	unsigned iovcnt;
	void (*done)(struct uring_req *req, int ret);	/* 0 or -errno */
	void *opaque;
	/* engine */
	uint64_t done_bytes;
	struct uring_req *next;
};

struct uring_stats {
	uint64_t enters;		/* io_uring_enter() calls that submitted */
	uint64_t sqes;			/* SQEs submitted (resubmissions included) */
	uint64_t reads, writes, syncs, fallocates;	/* requests completed */
	uint64_t bytes_read, bytes_written;
};

struct uring_engine;

/* An engine for `fd` on loop `l` with a ring of `depth` entries.  0 or -errno. */
int uring_engine_create(struct uring_engine **out, struct ioloop *l, int fd,
			unsigned depth);
/* Waits for every request in flight (turning the loop if called on it), then frees. */
void uring_engine_destroy(struct uring_engine *e);

/* Stages `req` (submitted at the next uring_flush() or when the ring is full). */
void uring_submit(struct uring_engine *e, struct uring_req *req);
/* Submits everything staged with one io_uring_enter(). */
void uring_flush(struct uring_engine *e);
/* Requests submitted or staged and not yet completed. */
unsigned uring_inflight(const struct uring_engine *e);
void uring_get_stats(const struct uring_engine *e, struct uring_stats *out);

#endif
