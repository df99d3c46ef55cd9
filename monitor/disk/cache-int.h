/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * disk/cache-int.h - the write cache's insides, shared by its files (not
 * for use outside them):
 *   cache.c        requests in, ordering, flushes, completions, life;
 *   cache-wb.c     the dirty set and its write-back;
 *   cache-io.c     the file I/O of requests: reads, writes from the
 *                  request's buffers, DISCARD and WRITE_ZEROES;
 *   cache-extent.c extents, their ordered sets, iovec helpers.
 * cache.c's top comment describes the state and the ordering rules.
 */
#ifndef VMAIN_MONITOR_DISK_CACHE_INT_H
#define VMAIN_MONITOR_DISK_CACHE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "disk/cache-extent.h"
#include "disk/cache.h"
#include "disk/req.h"
#include "disk/uring.h"
#include "io/ioloop.h"
#include "io/pool.h"

/* The largest DIRECT alignment (cache-io.c's zero buffer is a multiple). */
#define WC_MAX_ALIGN	(64u << 10)

#define wc_container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

/* An engine completion waiting for the bottom half. */
struct wc_reap {
	struct wc_reap *next;
	void (*fn)(struct wc_reap *r);
	int ret;
};

enum wc_kind {
	WC_OP_CACHED,		/* a WRITEBACK write waiting for room */
	WC_OP_WRITE,		/* a write from the request's buffers */
	WC_OP_ALLOC,		/* DISCARD or WRITE_ZEROES */
	WC_OP_FLUSH,
};

enum wc_alloc_stage {
	WC_ALLOC_FALLOCATE,
	WC_ALLOC_ZEROING,	/* fallocate unsupported: writing zeros */
	WC_ALLOC_SYNC,		/* WRITETHROUGH: the fdatasync after it */
	WC_ALLOC_BLKDISCARD,	/* DISCARD on a block device: in the pool */
};

/* A request the cache holds on to: queued, in flight, or a flush. */
struct wc_op {
	struct wcache *c;
	struct disk_req *req;		/* NULL: a flush of the cache's own */
	enum wc_kind kind;
	uint64_t off, end;		/* bytes of the file */
	uint64_t seq;			/* take order */
	struct wc_op *prev, *next;	/* queue, inflight or flushes */
	/*
	 * WC_OP_CACHED: the epoch it was taken in.  WC_OP_FLUSH: dirty
	 * extents of this epoch or older go to the file before it.
	 */
	uint64_t epoch;
	/* WC_OP_WRITE */
	int rw_flags;
	const struct iovec *iov;	/* the request's, or bounce_iov */
	unsigned iovcnt;
	struct iovec bounce_iov;	/* DIRECT: aligned copy of the data */
	struct wc_op *group_next;	/* writes merged into one */
	/* WC_OP_ALLOC */
	enum wc_alloc_stage stage;
	struct uring_req ur;
	struct wc_reap reap;
	uint64_t zero_pos;
	struct iovec *zero_iov;
	struct pool_job job;		/* WC_ALLOC_BLKDISCARD */
	int job_ret;			/* the ioctl's, written by the pool thread */
	/* WC_OP_FLUSH */
	uint64_t nr_dirty;		/* dirty extents it writes (wc_bucket()) */
	uint64_t failures;		/* c->wb_failures when taken */
};

struct wc_list {
	struct wc_op *head, *tail;
};

/* One write to the engine: a write-back run, or a group of op writes. */
struct wc_io {
	struct wcache *c;
	struct uring_req ur;
	struct wc_reap reap;
	struct wc_ext *exts;		/* write-back: by offset, via io_next */
	struct wc_op *ops;		/* op writes: by offset, via group_next */
	struct iovec iov[];
};

/* The bottom half outlives the cache while the loop still has it queued. */
struct wc_bh {
	struct ioloop_bh bh;
	struct wcache *c;
};

struct wcache {
	struct ioloop *loop;
	struct uring_engine *engine;
	enum wcache_mode cfg_mode, mode;
	/* DIRECT with the guest's write cache off: every write RWF_DSYNC. */
	bool direct_dsync;
	uint64_t max_dirty;
	int64_t max_age_ns;
	uint32_t max_write, align;

	struct wc_set dirty, wback;
	uint64_t dirty_bytes;		/* bytes of the dirty extents */
	uint64_t charged;		/* bytes of buffers held (dirty + wback) */
	uint64_t nr_dirty_cur;		/* dirty extents no pending flush writes */
	uint64_t rng;			/* skip-list heights */

	uint64_t seq;			/* the last request taken */
	uint64_t epoch;			/* flushes taken */
	struct wc_list queue, inflight, flushes;
	unsigned nr_room_waiters;
	unsigned nr_wb_ios;		/* write-back writes in flight */
	unsigned nr_reads;		/* reads in flight */

	/* write-back demand */
	uint64_t cursor;		/* the next pass starts here */
	bool pressure, room_short;
	bool due;			/* unplug: a full run was cached ... */
	uint64_t due_off;		/* ... starting here */
	bool age_pending, age_armed;
	uint64_t age_seq;		/* the age timer wants these written */
	struct ioloop_timer *age_timer;

	/* errors */
	int wb_error;			/* for the next guest flush */
	int wb_failing;			/* the last write-back failed with it */
	int64_t retry_ns;		/* no automatic write-back before */
	uint64_t wb_failures;

	/* fdatasync */
	uint64_t mod_gen;		/* writes and fallocates completed */
	uint64_t synced_gen;		/* mod_gen the last good fdatasync covers */
	uint64_t sync_gen;		/* ... and the one in flight */
	bool syncing;
	struct uring_req sync_ur;
	struct wc_reap sync_reap;

	/* completions */
	struct wc_reap *reaped, **reaped_tail;	/* FIFO */
	struct disk_req *done_head, *done_tail;	/* via priv[0]; ret in priv[1] */
	struct wc_bh *bh;
	bool kicking, kick_again;
	unsigned pending;

	/* A block device: DISCARD is BLKDISCARD on blk_fd, in blk_pool. */
	struct pool *blk_pool;
	int blk_fd;

	bool destroying, gave_up;
	void *zero_buf;
	struct wcache_stats st;
};

static inline bool wc_overlaps(uint64_t a0, uint64_t a1, uint64_t b0, uint64_t b1)
{
	return a0 < b1 && b0 < a1;
}

static inline uint64_t wc_min(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static inline uint64_t wc_max(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

static inline void wc_list_add(struct wc_list *l, struct wc_op *op)
{
	op->next = NULL;
	op->prev = l->tail;
	if (l->tail)
		l->tail->next = op;
	else
		l->head = op;
	l->tail = op;
}

static inline void wc_list_del(struct wc_list *l, struct wc_op *op)
{
	if (op->prev)
		op->prev->next = op->next;
	else
		l->head = op->next;
	if (op->next)
		op->next->prev = op->prev;
	else
		l->tail = op->prev;
	op->prev = op->next = NULL;
}

/* cache.c */
void wc_complete(struct wcache *c, struct disk_req *req, int ret);
void wc_reap(struct wcache *c, struct wc_reap *r, int ret);
struct wc_op *wc_op_new(struct wcache *c, struct disk_req *req, enum wc_kind kind,
			uint64_t seq);
void wc_op_free(struct wc_op *op);
void wc_op_finish(struct wcache *c, struct wc_op *op, int ret);
bool wc_busy(const struct wcache *c, uint64_t off, uint64_t end);
bool wc_queued_before(const struct wcache *c, uint64_t seq, uint64_t off,
		      uint64_t end);
const struct wc_op *wc_barrier(const struct wcache *c);
bool wc_op_blocked(const struct wcache *c, const struct wc_op *op);
void wc_kick(struct wcache *c);

/* cache-wb.c */
int wc_cache_write(struct wcache *c, const struct disk_req *req, uint64_t seq,
		   uint64_t epoch);
void wc_dirty_supersede(struct wcache *c, const struct wc_op *op);
void wc_writeback(struct wcache *c);
void wc_writeback_due(struct wcache *c);
void wc_age_fire(void *opaque);
uint64_t wc_dirty_drop_all(struct wcache *c);

/* cache-io.c */
int wc_take_read(struct wcache *c, struct disk_req *req);
int wc_queue_write(struct wcache *c, struct disk_req *req, uint64_t seq);
int wc_queue_alloc(struct wcache *c, struct disk_req *req, uint64_t seq);
struct wc_op *wc_issue_writes(struct wcache *c, struct wc_op *op);
void wc_issue_alloc(struct wcache *c, struct wc_op *op);

#endif
