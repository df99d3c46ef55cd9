/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * disk/cache.h - the write-coalescing cache over one image file's
 * io_uring engine (DESIGN.md, "Disk stack").
 *
 * Takes host-offset requests (disk/req.h) from the image format above it.
 *
 * WRITEBACK (cache=writeback, the default): a write is copied into the
 * cache and completed at once.  Dirty data is written back in offset
 * order, adjacent ranges merged into one vectored write of up to
 * max_write bytes (1 MiB), when the dirty bytes pass max_dirty, when the
 * oldest dirty data is max_age_ns old, and at a FLUSH.  A FLUSH completes
 * only after every write completed before it was taken is on the file
 * and an fdatasync has returned.  A write that would pass max_dirty waits
 * (is completed later) until write-back makes room: the bound holds.
 * Reads see the newest data: dirty and in-flight ranges from the cache,
 * the rest from the file.  No write is reordered across a flush, and two
 * writes to one range are never in flight at once (the later one waits).
 * A write with DISK_REQ_FUA is durable before it completes.
 *
 * WRITETHROUGH (cache=writethrough, or a guest that turned its write
 * cache off): a write goes to the file at once (adjacent writes taken in
 * one batch are still merged) and completes only when durable (RWF_DSYNC,
 * or a write then fdatasync).
 *
 * DIRECT (cache=none): the file is opened O_DIRECT; writes go straight to
 * the engine, completed when the device has them (a FLUSH still
 * fdatasyncs).  Buffers or lengths not aligned to `align` go through an
 * aligned bounce buffer.
 *
 * DISCARD drops cached data for the range and punches a hole
 * (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE); WRITE_ZEROES does the
 * same with DISK_REQ_UNMAP, else FALLOC_FL_ZERO_RANGE; ordered like writes.
 * A file that cannot zero a range gets zeros written; one that cannot
 * punch holes makes DISCARD a successful no-op (it is advisory).  On a
 * block device (wcache_set_block_device()) DISCARD is ioctl(BLKDISCARD)
 * instead, run in the worker pool: the punch-hole fallocate is a zeroing
 * discard there, refused by devices without write-zeroes.
 *
 * Errors.  A write-back that fails keeps its data dirty (reads still see
 * it; the next FLUSH retries it), and the first guest FLUSH to complete
 * after the failure fails with its error, once: sticky until reported,
 * like fsync(2) after a write-back error.  While write-back keeps failing,
 * a WRITEBACK write that finds no room fails with that error rather than
 * waiting for ever.  A DIRECT request whose offset or length is not a
 * multiple of `align` fails with -EINVAL.
 *
 * Threads: I/O thread only.
 */
#ifndef VMAIN_MONITOR_DISK_CACHE_H
#define VMAIN_MONITOR_DISK_CACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "disk/req.h"
#include "disk/uring.h"
#include "io/ioloop.h"
#include "io/pool.h"

enum wcache_mode {
	WCACHE_WRITEBACK,
	WCACHE_WRITETHROUGH,
	WCACHE_DIRECT,
};

#define WCACHE_DEFAULT_MAX_DIRTY	(64ull << 20)
#define WCACHE_DEFAULT_MAX_AGE_NS	(1000ll * 1000 * 1000)	/* 1 s */
#define WCACHE_DEFAULT_MAX_WRITE	(1u << 20)

struct wcache_config {
	enum wcache_mode mode;
	uint64_t max_dirty;		/* bytes of dirty data at most; 0: default */
	int64_t max_age_ns;		/* oldest dirty data; 0: default */
	uint32_t max_write;		/* largest merged write; 0: default */
	uint32_t align;			/* DIRECT: buffer/length alignment; 0: 512 */
};

struct wcache_stats {
	uint64_t writes, reads, flushes;	/* requests taken */
	uint64_t write_bytes;
	uint64_t wb_writes;		/* writes issued to the engine */
	uint64_t wb_bytes;
	uint64_t read_hits;		/* reads served wholly from the cache */
	uint64_t dirty, peak_dirty;	/* bytes */
	uint64_t waits;			/* writes that waited for room */
};

struct wcache;

int wcache_create(struct wcache **out, struct ioloop *l, struct uring_engine *e,
		  const struct wcache_config *cfg);
/*
 * Writes back everything dirty, fdatasyncs, waits for every request in
 * flight (turning the loop when called on it by hand), frees.  Not from
 * inside one of the cache's done() callbacks.
 */
void wcache_destroy(struct wcache *c);

/* Takes a READ, WRITE, FLUSH, DISCARD or WRITE_ZEROES at host offsets. */
void wcache_submit(struct wcache *c, struct disk_req *req);
/* Ends a batch of submissions: starts due write-back, flushes the engine. */
void wcache_unplug(struct wcache *c);

/*
 * The guest's write-cache switch (virtio-blk WCE, ATA SET FEATURES):
 * false turns a WRITEBACK cache into WRITETHROUGH; what is dirty is
 * written back at once.  A DIRECT cache then writes with RWF_DSYNC (the
 * host device has a volatile cache too).  No effect on WRITETHROUGH.
 */
void wcache_set_writeback(struct wcache *c, bool on);
bool wcache_writeback(const struct wcache *c);

/*
 * The file is a block device, `fd` open for writing (the engine's): from
 * now on DISCARD is ioctl(fd, BLKDISCARD, {offset, length}) (linux/fs.h),
 * a blocking call, so it runs in pool `p` (never on the I/O thread); its
 * result comes back to the loop and is ordered exactly like the fallocate
 * it replaces (cache.c's rules 1 to 4).  -EOPNOTSUPP (a device that
 * cannot discard) completes the DISCARD with 0.  WRITE_ZEROES stays the
 * fallocate.  With no pool, so does DISCARD.  Call before any request.
 */
void wcache_set_block_device(struct wcache *c, struct pool *p, int fd);
/*
 * The BLKDISCARD call: 0 or -errno, on a pool thread.  Tests replace it to
 * see the range and the thread, and to fake a device's answer.
 */
extern int (*wcache_blkdiscard)(int fd, uint64_t off, uint64_t len);

/* Requests taken and not completed (for draining). */
unsigned wcache_pending(const struct wcache *c);
void wcache_get_stats(const struct wcache *c, struct wcache_stats *out);

#endif
