// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * disk/cache.c - the write-coalescing cache (see cache.h): requests in,
 * their order, flushes, completions, life and death.  The dirty data and
 * its write-back are in cache-wb.c, the file I/O of requests in cache-io.c.
 *
 * State.  Cached data lives in extents (cache-extent.h) in two sets, each
 * sorted by offset and disjoint within itself:
 *   dirty  - data not yet handed to the file;
 *   wback  - data whose write-back write is in flight (the buffers belong
 *            to the kernel until it completes: never changed, never freed).
 * A dirty extent may cover bytes of a wback one: it is newer and wins for
 * reads, and it is not written back until the wback write is done.
 * Writes that go to the file from the request's own buffers (write-through,
 * FUA, writes bigger than max_dirty, O_DIRECT) and fallocates (DISCARD,
 * WRITE_ZEROES; a block device's DISCARD is a BLKDISCARD in the worker
 * pool, whose done() comes back through wc_reap() like an engine
 * completion, so it is one more "fallocate" for the rules below) are
 * "ops": they wait in `queue` (in take order), then sit in `inflight`.  So do WRITEBACK writes waiting for room (in the queue
 * only, FIFO among themselves).  Flushes wait in `flushes`.
 *
 * Order.  Every request gets a sequence number when taken (`seq`); an
 * extent keeps the number of the write it holds.  The rules:
 *   1. Two writes (or a write and a fallocate) to common bytes are never in
 *      flight at once: nothing is issued over an in-flight range.
 *   2. An op waits for the older queued requests it overlaps; a dirty
 *      extent waits for the older queued requests it overlaps.  Newer
 *      never overtakes older on common bytes.
 *   3. An op does not wait for older dirty extents it overlaps: once it has
 *      reached the file, the dirty bytes older than it in its range are
 *      dropped (they would otherwise be written back over it).  Until then
 *      reads still see them, the newest acknowledged data.
 *   4. Barrier (WRITEBACK and WRITETHROUGH): while a flush is pending,
 *      nothing taken after it reaches the file, so no write is reordered
 *      across a flush.  Epochs count the flushes: a write's extents carry
 *      the epoch it was taken in, and those of an epoch after the oldest
 *      pending flush's wait.
 * A flush is ready when no dirty extent of its epoch or older remains, no
 * write-back is in flight and no op older than it is queued or in flight;
 * then one fdatasync, shared by the flushes behind it that become ready
 * before anything else changes the file.  A write that waited for room
 * keeps its epoch, so a flush taken meanwhile writes it too; were it to
 * take a later one, the barrier could hold it while the room it occupies
 * is what the flush's own writes wait for.
 *
 * Completions.  The engine's callbacks only record the result and queue
 * the holder on `reaped`; the bottom half handles them, runs the done()
 * callbacks of finished requests, then issues what became possible
 * (wc_kick()).  So no state changes inside an engine call, and done()
 * never runs inside wcache_submit().
 *
 * Errors.  A failed write-back keeps its data: the extents become dirty
 * again in the current epoch (newer cached bytes stay newer), the error is
 * kept for the next guest flush (sticky until reported, like Linux's
 * fsync()), and automatic write-back pauses for max_age (a flush or the age
 * timer retries).  While write-back fails and none is in flight, a write
 * that does not fit fails with that error instead of waiting for ever.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "disk/cache-int.h"

#define WC_MAX_OFF	((uint64_t)INT64_MAX)	/* off_t */
#define WC_DRAIN_POLL_MS 100

/* ---- completions ---- */

static void wc_schedule(struct wcache *c)
{
	ioloop_bh_schedule(c->loop, &c->bh->bh);
}

/* Queues done(req, ret) for the bottom half. */
void wc_complete(struct wcache *c, struct disk_req *req, int ret)
{
	req->priv[0] = NULL;
	req->priv[1] = (void *)(intptr_t)ret;
	if (c->done_tail)
		c->done_tail->priv[0] = req;
	else
		c->done_head = req;
	c->done_tail = req;
	wc_schedule(c);
}

static void wc_run_done(struct wcache *c)
{
	struct disk_req *req;

	while ((req = c->done_head)) {
		c->done_head = req->priv[0];
		if (!c->done_head)
			c->done_tail = NULL;
		c->pending--;
		req->done(req, (int)(intptr_t)req->priv[1]);
	}
}

/* Engine callback side: record, hand to the bottom half. */
void wc_reap(struct wcache *c, struct wc_reap *r, int ret)
{
	r->ret = ret;
	r->next = NULL;
	*c->reaped_tail = r;
	c->reaped_tail = &r->next;
	wc_schedule(c);
}

static void wc_run_reaped(struct wcache *c)
{
	struct wc_reap *r;

	while ((r = c->reaped)) {
		c->reaped = r->next;
		if (!c->reaped)
			c->reaped_tail = &c->reaped;
		r->fn(r);
	}
}

void wc_op_free(struct wc_op *op)
{
	free(op->bounce_iov.iov_base);
	free(op->zero_iov);
	free(op);
}

/* Completes an op's request (if it has one) and frees the op. */
void wc_op_finish(struct wcache *c, struct wc_op *op, int ret)
{
	if (op->req)
		wc_complete(c, op->req, ret);
	wc_op_free(op);
}

struct wc_op *wc_op_new(struct wcache *c, struct disk_req *req,
			enum wc_kind kind, uint64_t seq)
{
	struct wc_op *op = calloc(1, sizeof(*op));

	if (!op)
		return NULL;
	op->c = c;
	op->req = req;
	op->kind = kind;
	op->seq = seq;
	if (req) {
		op->off = req->offset;
		op->end = req->offset + req->len;
	}
	return op;
}

/* ---- order ---- */

/* Is any write or fallocate to [off, end) in flight? */
bool wc_busy(const struct wcache *c, uint64_t off, uint64_t end)
{
	const struct wc_op *op;

	if (wc_set_overlap(&c->wback, off, end))
		return true;
	for (op = c->inflight.head; op; op = op->next) {
		if (wc_overlaps(op->off, op->end, off, end))
			return true;
	}
	return false;
}

/* Is a request taken before `seq` and touching [off, end) still queued? */
bool wc_queued_before(const struct wcache *c, uint64_t seq, uint64_t off,
		      uint64_t end)
{
	const struct wc_op *op;

	for (op = c->queue.head; op && op->seq < seq; op = op->next) {
		if (wc_overlaps(op->off, op->end, off, end))
			return true;
	}
	return false;
}

/* The flush that nothing taken after it may overtake, if any (rule 4). */
const struct wc_op *wc_barrier(const struct wcache *c)
{
	return c->mode == WCACHE_DIRECT ? NULL : c->flushes.head;
}

/* May queued op `op` be issued now (rules 1, 2, 4)? */
bool wc_op_blocked(const struct wcache *c, const struct wc_op *op)
{
	const struct wc_op *bar = wc_barrier(c);

	if (bar && bar->seq < op->seq)
		return true;
	if (wc_busy(c, op->off, op->end))
		return true;
	return wc_queued_before(c, op->seq, op->off, op->end);
}

/*
 * A write waiting for room enters the cache if it fits now, in the epoch
 * it was taken in (see the top).  Returns whether it is done waiting
 * (cached, or failed).
 */
static bool wc_admit(struct wcache *c, struct wc_op *op)
{
	int ret = wc_cache_write(c, op->req, op->seq, op->epoch);

	if (ret == -EAGAIN) {
		/* Write-back fails and none is in flight: no room is coming. */
		if (c->wb_failing && !c->nr_wb_ios) {
			ret = c->wb_failing;
		} else if (c->gave_up && !c->nr_wb_ios) {
			ret = -EIO;
		} else {
			c->room_short = true;
			return false;
		}
	}
	wc_list_del(&c->queue, op);
	c->nr_room_waiters--;
	wc_op_finish(c, op, ret);
	return true;
}

/* Admits waiting writes in order and issues the queued ops that may go. */
static void wc_run_queue(struct wcache *c)
{
	struct wc_op *op = c->queue.head, *next;
	bool room_blocked = false;

	c->room_short = false;
	while (op) {
		next = op->next;
		if (op->kind == WC_OP_CACHED) {
			/* FIFO: none overtakes an earlier one that still waits. */
			if (!room_blocked && !wc_admit(c, op))
				room_blocked = true;
		} else if (!wc_op_blocked(c, op)) {
			if (op->kind == WC_OP_WRITE)
				next = wc_issue_writes(c, op);
			else
				wc_issue_alloc(c, op);
		}
		op = next;
	}
}

/* ---- flushes ---- */

static int wc_take_flush(struct wcache *c, struct disk_req *req, uint64_t seq)
{
	struct wc_op *f = wc_op_new(c, req, WC_OP_FLUSH, seq);

	if (!f)
		return -ENOMEM;
	f->off = f->end = 0;
	f->epoch = c->epoch++;
	f->nr_dirty = c->nr_dirty_cur;
	c->nr_dirty_cur = 0;
	f->failures = c->wb_failures;
	wc_list_add(&c->flushes, f);
	return 0;
}

/* Is everything the head flush `f` covers on the file? */
static bool wc_flush_ready(const struct wcache *c, const struct wc_op *f)
{
	const struct wc_op *op;

	if (f->nr_dirty || c->nr_wb_ios)
		return false;
	for (op = c->inflight.head; op; op = op->next) {
		if (op->seq < f->seq)
			return false;
	}
	for (op = c->queue.head; op && op->seq < f->seq; op = op->next) {
		if (op->kind != WC_OP_CACHED)
			return false;
	}
	return true;
}

/*
 * A guest flush reports the first write-back error since the last one
 * reported (cache.h); the cache's own flushes only tell wcache_destroy()
 * whether to stop retrying.
 */
static void wc_flush_finish(struct wcache *c, struct wc_op *f, int ret)
{
	wc_list_del(&c->flushes, f);
	if (f->req) {
		if (!ret)
			ret = c->wb_error;
		c->wb_error = 0;
		wc_complete(c, f->req, ret);
	} else if (c->destroying && (ret || c->wb_failures != f->failures)) {
		c->gave_up = true;
	}
	wc_op_free(f);
}

static void wc_sync_engine_done(struct uring_req *ur, int ret)
{
	struct wcache *c = ur->opaque;

	wc_reap(c, &c->sync_reap, ret);
}

static void wc_sync_reaped(struct wc_reap *r)
{
	struct wcache *c = wc_container_of(r, struct wcache, sync_reap);

	c->syncing = false;
	if (!r->ret)
		c->synced_gen = c->sync_gen;
	wc_flush_finish(c, c->flushes.head, r->ret);
}

/*
 * Completes the ready flushes at the head that need no fdatasync (nothing
 * changed the file since the last one), or starts the fdatasync the first
 * one needs.  Returns whether a flush completed (the barrier moved).
 */
static bool wc_flush_step(struct wcache *c)
{
	struct wc_op *f;
	bool completed = false;

	while ((f = c->flushes.head) && !c->syncing && wc_flush_ready(c, f)) {
		if (c->mod_gen != c->synced_gen) {
			c->syncing = true;
			c->sync_gen = c->mod_gen;
			memset(&c->sync_ur, 0, sizeof(c->sync_ur));
			c->sync_ur.op = URING_FDATASYNC;
			c->sync_ur.done = wc_sync_engine_done;
			c->sync_ur.opaque = c;
			uring_submit(c->engine, &c->sync_ur);
			break;
		}
		wc_flush_finish(c, f, 0);
		completed = true;
	}
	return completed;
}

/* ---- taking requests ---- */

static int wc_take_write(struct wcache *c, struct disk_req *req, uint64_t seq)
{
	struct wc_op *op;
	int ret;

	c->st.writes++;
	c->st.write_bytes += req->len;
	/* FUA and writes bigger than the whole cache go to the file. */
	if (c->mode != WCACHE_WRITEBACK || (req->flags & DISK_REQ_FUA) ||
	    req->len > c->max_dirty)
		return wc_queue_write(c, req, seq);
	if (!c->nr_room_waiters) {
		ret = wc_cache_write(c, req, seq, c->epoch);
		if (ret != -EAGAIN) {
			wc_complete(c, req, ret);
			return 0;
		}
	}
	op = wc_op_new(c, req, WC_OP_CACHED, seq);
	if (!op)
		return -ENOMEM;
	op->epoch = c->epoch;
	c->st.waits++;
	c->nr_room_waiters++;
	wc_list_add(&c->queue, op);
	return 0;
}

/* A request the layer above got wrong fails alone: -EINVAL. */
static int wc_check(const struct wcache *c, const struct disk_req *req)
{
	uint32_t gran = c->mode == WCACHE_DIRECT ? c->align : DISK_SECTOR;
	int ret = disk_req_check(req, gran, WC_MAX_OFF);

	return ret == -EOPNOTSUPP ? -EINVAL : ret;
}

static int wc_take(struct wcache *c, struct disk_req *req)
{
	uint64_t seq = ++c->seq;

	switch (req->op) {
	case DISK_READ:
		return wc_take_read(c, req);
	case DISK_WRITE:
		return wc_take_write(c, req, seq);
	case DISK_FLUSH:
		c->st.flushes++;
		return wc_take_flush(c, req, seq);
	default:
		return wc_queue_alloc(c, req, seq);
	}
}

/* ---- the engine of it all ---- */

/* Issues everything that may go now, then hands it to the kernel at once. */
void wc_kick(struct wcache *c)
{
	if (c->kicking) {
		c->kick_again = true;
		return;
	}
	c->kicking = true;
	do {
		c->kick_again = false;
		wc_run_queue(c);
		wc_writeback(c);
		wc_writeback_due(c);
		/* A flush completed: what waited behind its barrier may go. */
		if (wc_flush_step(c))
			c->kick_again = true;
	} while (c->kick_again);
	c->kicking = false;
	uring_flush(c->engine);
}

static void wc_bh_work(struct wcache *c)
{
	wc_run_reaped(c);
	wc_run_done(c);
	wc_kick(c);
}

static void wc_bh_run(void *opaque)
{
	struct wc_bh *bh = opaque;

	/* Queued when the cache was destroyed: only this is left. */
	if (!bh->c) {
		free(bh);
		return;
	}
	wc_bh_work(bh->c);
}

/* ---- interface ---- */

int wcache_create(struct wcache **out, struct ioloop *l, struct uring_engine *e,
		  const struct wcache_config *cfg)
{
	struct wcache *c;
	int ret;

	if ((unsigned)cfg->mode > WCACHE_DIRECT || cfg->max_age_ns < 0 ||
	    (cfg->max_write && cfg->max_write < DISK_SECTOR) ||
	    (cfg->align && (cfg->align < DISK_SECTOR || cfg->align > WC_MAX_ALIGN ||
			    (cfg->align & (cfg->align - 1)))))
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->bh = calloc(1, sizeof(*c->bh));
	if (!c->bh) {
		ret = -ENOMEM;
		goto free_cache;
	}
	ret = ioloop_timer_new(l, wc_age_fire, c, &c->age_timer);
	if (ret)
		goto free_bh;
	c->loop = l;
	c->engine = e;
	c->cfg_mode = c->mode = cfg->mode;
	c->max_dirty = cfg->max_dirty ? cfg->max_dirty : WCACHE_DEFAULT_MAX_DIRTY;
	c->max_age_ns = cfg->max_age_ns ? cfg->max_age_ns : WCACHE_DEFAULT_MAX_AGE_NS;
	c->max_write = cfg->max_write ? cfg->max_write : WCACHE_DEFAULT_MAX_WRITE;
	c->align = cfg->align ? cfg->align : DISK_SECTOR;
	wc_set_init(&c->dirty);
	wc_set_init(&c->wback);
	c->rng = 0x9e3779b97f4a7c15ull;
	/* The file may hold writes not yet synced (the format's, at open). */
	c->mod_gen = 1;
	c->sync_reap.fn = wc_sync_reaped;
	c->reaped_tail = &c->reaped;
	c->bh->c = c;
	ioloop_bh_init(&c->bh->bh, wc_bh_run, c->bh);
	*out = c;
	return 0;

free_bh:
	free(c->bh);
free_cache:
	free(c);
	return ret;
}

void wcache_submit(struct wcache *c, struct disk_req *req)
{
	int ret;

	c->pending++;
	ret = wc_check(c, req);
	if (!ret)
		ret = wc_take(c, req);
	if (ret)
		wc_complete(c, req, ret);
	/* Issued at wcache_unplug(), or here if the caller never ends the batch. */
	wc_schedule(c);
}

void wcache_unplug(struct wcache *c)
{
	wc_kick(c);
}

void wcache_set_writeback(struct wcache *c, bool on)
{
	/*
	 * O_DIRECT writes still land in the host device's volatile cache:
	 * with the guest's cache off they must be durable at completion.
	 */
	if (c->cfg_mode == WCACHE_DIRECT)
		c->direct_dsync = !on;
	if (c->cfg_mode != WCACHE_WRITEBACK)
		return;
	if (on) {
		c->mode = WCACHE_WRITEBACK;
		return;
	}
	if (c->mode == WCACHE_WRITETHROUGH)
		return;
	c->mode = WCACHE_WRITETHROUGH;
	/*
	 * Everything dirty goes now.  A flush of the cache's own also makes it
	 * durable and, as a barrier, keeps the write-through writes behind it;
	 * without memory for one, the age demand alone still writes it back.
	 */
	c->age_pending = true;
	c->age_seq = c->seq;
	if (wc_take_flush(c, NULL, ++c->seq))
		fprintf(stderr, "vmain: disk cache: no memory to flush at write-through\n");
	wc_schedule(c);
}

void wcache_set_block_device(struct wcache *c, struct pool *p, int fd)
{
	c->blk_pool = p;
	c->blk_fd = fd;
}

bool wcache_writeback(const struct wcache *c)
{
	return c->mode == WCACHE_WRITEBACK || (c->mode == WCACHE_DIRECT && !c->direct_dsync);
}

unsigned wcache_pending(const struct wcache *c)
{
	return c->pending;
}

void wcache_get_stats(const struct wcache *c, struct wcache_stats *out)
{
	*out = c->st;
	out->dirty = c->charged;
}

/* ---- destroy ---- */

/* Nothing of ours is with the engine or waiting for the bottom half. */
static bool wc_quiet(const struct wcache *c)
{
	return !c->nr_wb_ios && !c->inflight.head && !c->nr_reads &&
	       !c->syncing && !c->reaped && !c->done_head;
}

/* Fails what is queued when nothing in flight can ever let it go. */
static void wc_fail_stuck(struct wcache *c)
{
	struct wc_op *op;

	fprintf(stderr, "vmain: disk cache: requests stuck at close, failed\n");
	while ((op = c->queue.head)) {
		wc_list_del(&c->queue, op);
		if (op->kind == WC_OP_CACHED)
			c->nr_room_waiters--;
		wc_op_finish(c, op, -EIO);
	}
	while ((op = c->flushes.head))
		wc_flush_finish(c, op, -EIO);
	c->gave_up = true;
}

/*
 * Turns the loop until every request is done and everything dirty is on
 * the file and synced (or a flush of our own failed: then it stays lost).
 */
static void wc_drain(struct wcache *c)
{
	bool idle_before = false;

	for (;;) {
		wc_bh_work(c);
		if (!wc_quiet(c)) {
			idle_before = false;
			ioloop_run_once(c->loop, WC_DRAIN_POLL_MS);
			continue;
		}
		if (!c->queue.head && !c->flushes.head) {
			if (c->gave_up || (!c->dirty.count && c->mod_gen == c->synced_gen))
				return;
			if (wc_take_flush(c, NULL, ++c->seq))
				return;
			continue;
		}
		/* Quiet with work left after a kick, twice: nothing will move it. */
		if (idle_before)
			wc_fail_stuck(c);
		idle_before = true;
	}
}

static void wc_free(struct wcache *c)
{
	uint64_t lost = wc_dirty_drop_all(c);

	if (lost)
		fprintf(stderr, "vmain: disk cache: %llu dirty bytes could not be written back\n",
			(unsigned long long)lost);
	ioloop_timer_free(c->age_timer);
	/* The loop thread is ours here: nobody else queues this bottom half. */
	if (atomic_load(&c->bh->bh.queued))
		c->bh->c = NULL;
	else
		free(c->bh);
	free(c->zero_buf);
	free(c);
}

static void wc_destroy_on_loop(void *opaque)
{
	struct wcache *c = opaque;

	c->destroying = true;
	wc_drain(c);
	wc_free(c);
}

void wcache_destroy(struct wcache *c)
{
	if (!c)
		return;
	/* On the loop (or the thread turning it) directly, else as a call on it. */
	ioloop_call_sync(c->loop, wc_destroy_on_loop, c);
}
