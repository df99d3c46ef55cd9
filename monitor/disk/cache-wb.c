// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * disk/cache-wb.c - the write cache's dirty data and its write-back (see
 * cache.c for the state and the ordering rules).
 *
 * A cached write is copied into new extents, cut at WC_EXT_MAX boundaries
 * of the file (small heap buffers; a later aligned rewrite lands inside
 * one and is copied in place), replacing the older dirty bytes it covers.
 * Memory: `charged` counts the buffers held by dirty and in-flight extents
 * (a trimmed extent keeps its whole buffer), and max_dirty bounds it.
 *
 * Write-back goes in offset order from where the last pass stopped, each
 * run of adjacent extents one vectored write of up to max_write bytes and
 * DISK_MAX_IOV segments, at most WC_MAX_WB_IOS writes in flight.  What is
 * written: everything a pending flush covers; everything, while under
 * pressure (dirty bytes above half of max_dirty until they are down to a
 * quarter, or a write waiting for room); what the age timer found there;
 * and at wcache_unplug(), the full runs a sequential stream has cached.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "disk/cache-int.h"

#define WC_MAX_WB_IOS	64		/* write-back writes in flight at once */
#define WC_EXT_MAX	(64u << 10)	/* cached writes are cut at these boundaries */

/* ---- the dirty set ---- */

/*
 * Where a dirty extent of `epoch` is counted: with the oldest pending flush
 * that must write it (flush epochs ascend along the list), else with the
 * data no flush covers yet.
 */
static uint64_t *wc_bucket(struct wcache *c, uint64_t epoch)
{
	struct wc_op *f;

	for (f = c->flushes.head; f; f = f->next) {
		if (f->epoch >= epoch)
			return &f->nr_dirty;
	}
	return &c->nr_dirty_cur;
}

static void wc_dirty_link(struct wcache *c, struct wc_ext *e)
{
	wc_set_insert(&c->dirty, e);
	c->dirty_bytes += e->len;
	(*wc_bucket(c, e->epoch))++;
}

static void wc_dirty_unlink(struct wcache *c, struct wc_ext *e)
{
	wc_set_remove(&c->dirty, e);
	c->dirty_bytes -= e->len;
	(*wc_bucket(c, e->epoch))--;
}

static void wc_ext_free(struct wcache *c, struct wc_ext *e)
{
	c->charged -= wc_buf_put(e->buf);
	free(e);
}

static void wc_charge(struct wcache *c, uint64_t bytes)
{
	c->charged += bytes;
	if (c->charged > c->st.peak_dirty)
		c->st.peak_dirty = c->charged;
}

/*
 * May a newer write be copied into dirty extent `e` in place (taking its
 * seq)?  Only if that cannot reorder it: same epoch, and no op in the queue
 * or in flight over `e` whose seq lies between the two.
 */
static bool wc_rewrite_ok(const struct wcache *c, const struct wc_ext *e)
{
	const struct wc_op *op;

	if (e->epoch != c->epoch)
		return false;
	for (op = c->queue.head; op; op = op->next) {
		if (op->kind != WC_OP_CACHED &&
		    wc_overlaps(op->off, op->end, e->off, wc_ext_end(e)))
			return false;
	}
	for (op = c->inflight.head; op; op = op->next) {
		if (wc_overlaps(op->off, op->end, e->off, wc_ext_end(e)))
			return false;
	}
	return true;
}

/*
 * Takes [off, end) out of dirty extent `e`: drops it, trims it, or splits
 * it using *spare (which is then used up).
 */
static void wc_ext_cut(struct wcache *c, struct wc_ext *e, uint64_t off,
		       uint64_t end, struct wc_ext **spare)
{
	uint64_t e_end = wc_ext_end(e), n;
	struct wc_ext *tail;

	if (off <= e->off && e_end <= end) {
		wc_dirty_unlink(c, e);
		wc_ext_free(c, e);
	} else if (e->off < off && end < e_end) {
		tail = *spare;
		*spare = NULL;
		tail->off = end;
		tail->len = e_end - end;
		tail->seq = e->seq;
		tail->epoch = e->epoch;
		wc_ext_attach(tail, e->buf, e->data + (end - e->off));
		c->dirty_bytes -= e_end - off;
		e->len = off - e->off;
		wc_dirty_link(c, tail);
	} else if (e->off < off) {
		c->dirty_bytes -= e_end - off;
		e->len = off - e->off;
	} else {
		/* The new start stays between its neighbours: no relink. */
		n = end - e->off;
		c->dirty_bytes -= n;
		e->off = end;
		e->data += n;
		e->len -= n;
	}
}

/* Arms the age timer when data becomes dirty and it is not running. */
static void wc_age_arm(struct wcache *c)
{
	if (c->age_armed)
		return;
	c->age_armed = true;
	ioloop_timer_arm(c->age_timer, ioloop_now_ns() + c->max_age_ns);
}

/*
 * Remembers, for wcache_unplug(), the contiguous dirty bytes that end with
 * new extent `e` (a sequential stream grows them); a full write's worth is
 * due for write-back.
 */
static void wc_note_run(struct wcache *c, struct wc_ext *e)
{
	struct wc_ext *prev = NULL, *after;

	if (e->off)
		prev = wc_set_at(&c->dirty, e->off - 1, &after);
	e->run = e->len;
	if (prev && wc_ext_end(prev) == e->off)
		e->run += prev->run;
	if (e->run < c->max_write)
		return;
	if (!c->due || wc_ext_end(e) - e->run < c->due_off)
		c->due_off = wc_ext_end(e) - e->run;
	c->due = true;
}

/* Frees extents chained by io_next that were never linked anywhere. */
static void wc_chain_free(struct wcache *c, struct wc_ext *e)
{
	struct wc_ext *next;

	for (; e; e = next) {
		next = e->io_next;
		if (e->buf)
			wc_ext_free(c, e);
		else
			free(e);
	}
}

/*
 * New extents holding the request's data, chained by io_next: one per
 * WC_EXT_MAX-aligned piece of the file range, each with its own buffer
 * (small buffers stay in the heap, and a later aligned 4 KiB rewrite
 * lands inside one).  NULL if out of memory.
 */
static struct wc_ext *wc_chain_new(struct wcache *c, const struct disk_req *req,
				   uint64_t seq, uint64_t epoch)
{
	uint64_t pos = req->offset, end = req->offset + req->len, n;
	struct wc_ext *head = NULL, **link = &head, *e;
	struct wc_iov_cursor cur;

	wc_iov_cursor_init(&cur, req->iov, req->iovcnt);
	for (; pos < end; pos += n) {
		n = wc_min(end, (pos / WC_EXT_MAX + 1) * WC_EXT_MAX) - pos;
		e = wc_ext_alloc(&c->rng);
		if (!e)
			goto free_chain;
		*link = e;
		link = &e->io_next;
		e->buf = wc_buf_new(n);
		if (!e->buf)
			goto free_chain;
		wc_charge(c, n);
		e->data = e->buf->data;
		e->off = pos;
		e->len = n;
		e->seq = seq;
		e->epoch = epoch;
		wc_iov_read(&cur, e->data, n);
	}
	return head;

free_chain:
	wc_chain_free(c, head);
	return NULL;
}

/*
 * Copies a write taken as `seq` in `epoch` into the dirty set, replacing
 * the older dirty bytes it covers.  0, -EAGAIN when it does not fit in
 * max_dirty now, or -ENOMEM.
 */
int wc_cache_write(struct wcache *c, const struct disk_req *req,
		   uint64_t seq, uint64_t epoch)
{
	uint64_t off = req->offset, end = off + req->len;
	struct wc_ext *e = wc_set_overlap(&c->dirty, off, end);
	struct wc_ext *next, *chain, *spare = NULL;
	struct wc_iov_cursor cur;

	if (e && e->off <= off && wc_ext_end(e) >= end && wc_rewrite_ok(c, e)) {
		wc_iov_cursor_init(&cur, req->iov, req->iovcnt);
		wc_iov_read(&cur, e->data + (off - e->off), req->len);
		e->seq = seq;
		return 0;
	}
	if (c->charged + req->len > c->max_dirty)
		return -EAGAIN;
	/* Inside one older extent: its tail becomes an extent of its own. */
	if (e && e->off < off && end < wc_ext_end(e)) {
		spare = wc_ext_alloc(&c->rng);
		if (!spare)
			return -ENOMEM;
	}
	chain = wc_chain_new(c, req, seq, epoch);
	if (!chain) {
		free(spare);
		return -ENOMEM;
	}
	for (; e && e->off < end; e = next) {
		next = wc_set_next(e);
		wc_ext_cut(c, e, off, end, &spare);
	}
	for (e = chain; e; e = next) {
		next = e->io_next;
		wc_dirty_link(c, e);
		wc_note_run(c, e);
	}
	wc_age_arm(c);
	return 0;
}

/*
 * Op `op` (a write or fallocate) has reached the file: the dirty bytes in
 * its range that are older than it are stale (rule 3).  An older extent
 * around the whole range takes the new bytes in place rather than being
 * split, so this never allocates.
 */
void wc_dirty_supersede(struct wcache *c, const struct wc_op *op)
{
	struct wc_ext *e, *next;
	struct wc_iov_cursor cur;

	e = wc_set_overlap(&c->dirty, op->off, op->end);
	for (; e && e->off < op->end; e = next) {
		next = wc_set_next(e);
		if (e->seq > op->seq)
			continue;
		if (e->off < op->off && op->end < wc_ext_end(e)) {
			unsigned char *dst = e->data + (op->off - e->off);

			if (op->kind == WC_OP_WRITE) {
				wc_iov_cursor_init(&cur, op->iov, op->iovcnt);
				wc_iov_read(&cur, dst, op->end - op->off);
			} else {
				memset(dst, 0, op->end - op->off);
			}
			continue;
		}
		wc_ext_cut(c, e, op->off, op->end, NULL);
	}
}

/*
 * The epoch a failed write-back's data is dirty in again.  The oldest
 * pending flush that covered it reports the error (cache.h); the data
 * then belongs to the flush after that one, which must not complete
 * before it has been written again: counting it in the current epoch
 * would let a later flush say "durable" while it is only in the cache.
 */
static uint64_t wc_redirty_epoch(const struct wcache *c, uint64_t epoch)
{
	const struct wc_op *f;

	for (f = c->flushes.head; f; f = f->next) {
		if (f->epoch >= epoch)
			return f->next ? f->next->epoch : c->epoch;
	}
	return c->epoch;
}

/*
 * A write-back write of `x` failed: its bytes become dirty again (in the
 * epoch wc_redirty_epoch() gives), except where newer data was cached
 * meanwhile.  Pieces share x's buffer; one that cannot get a node is
 * lost, and the loss reported like a write error.
 */
static void wc_redirty(struct wcache *c, struct wc_ext *x)
{
	uint64_t pos = x->off, end = wc_ext_end(x), gap_end;
	struct wc_ext *d, *after, *p;

	wc_set_remove(&c->wback, x);
	x->epoch = wc_redirty_epoch(c, x->epoch);
	x->run = 0;
	if (!wc_set_overlap(&c->dirty, pos, end)) {
		wc_dirty_link(c, x);
		return;
	}
	while (pos < end) {
		d = wc_set_at(&c->dirty, pos, &after);
		if (d) {
			pos = wc_ext_end(d);
			continue;
		}
		gap_end = after && after->off < end ? after->off : end;
		p = wc_ext_alloc(&c->rng);
		if (p) {
			p->off = pos;
			p->len = gap_end - pos;
			p->seq = x->seq;
			p->epoch = x->epoch;
			wc_ext_attach(p, x->buf, x->data + (pos - x->off));
			wc_dirty_link(c, p);
		} else {
			c->wb_error = -ENOMEM;
		}
		pos = gap_end;
	}
	wc_ext_free(c, x);
}

/* ---- write-back ---- */

static bool wc_wb_paused(const struct wcache *c)
{
	return c->wb_failing && ioloop_now_ns() < c->retry_ns;
}

/* May dirty extent `e` be written now (rules 1, 2, 4)? */
static bool wc_ext_blocked(const struct wcache *c, const struct wc_ext *e)
{
	const struct wc_op *bar = wc_barrier(c);

	if (bar && e->epoch > bar->epoch)
		return true;
	if (wc_busy(c, e->off, wc_ext_end(e)))
		return true;
	return wc_queued_before(c, e->seq, e->off, wc_ext_end(e));
}

/* Does anything want `e` written now? */
static bool wc_ext_wanted(const struct wcache *c, const struct wc_ext *e,
			  bool paused)
{
	const struct wc_op *bar = wc_barrier(c);

	if (bar && e->epoch <= bar->epoch)
		return true;
	if (paused)
		return false;
	return c->pressure || (c->age_pending && e->seq <= c->age_seq);
}

/* Pressure starts above half of max_dirty, ends at a quarter (batches). */
static void wc_update_pressure(struct wcache *c)
{
	if (c->dirty_bytes > c->max_dirty / 2 || c->room_short)
		c->pressure = true;
	else if (c->dirty_bytes <= c->max_dirty / 4)
		c->pressure = false;
}

/*
 * Measures the run of adjacent writable extents from `e` that one write
 * takes: *cnt extents, *bytes; returns whether it is full (max_write or
 * DISK_MAX_IOV reached).
 */
static bool wc_run_measure(const struct wcache *c, const struct wc_ext *e,
			   unsigned *cnt, uint64_t *bytes)
{
	const struct wc_ext *n;

	*cnt = 1;
	*bytes = e->len;
	for (n = wc_set_next(e); n && n->off == wc_ext_end(e); n = wc_set_next(n)) {
		if (*cnt == DISK_MAX_IOV || *bytes + n->len > c->max_write)
			return true;
		if (wc_ext_blocked(c, n))
			break;
		(*cnt)++;
		*bytes += n->len;
		e = n;
	}
	return *bytes >= c->max_write;
}

static void wc_wb_reaped(struct wc_reap *r);

static void wc_wb_engine_done(struct uring_req *ur, int ret)
{
	struct wc_io *io = wc_container_of(ur, struct wc_io, ur);

	wc_reap(io->c, &io->reap, ret);
}

/*
 * Writes back `cnt` extents from `e` (measured by wc_run_measure()) with
 * one vectored write.  Returns the extent after them, or `e` if out of
 * memory (nothing issued).
 */
static struct wc_ext *wc_issue_run(struct wcache *c, struct wc_ext *e,
				   unsigned cnt, uint64_t bytes)
{
	struct wc_ext *x, *next, **link;
	struct wc_io *io;
	unsigned i;

	io = calloc(1, sizeof(*io) + cnt * sizeof(io->iov[0]));
	if (!io)
		return e;
	io->c = c;
	io->reap.fn = wc_wb_reaped;
	link = &io->exts;
	for (i = 0, x = e; i < cnt; i++, x = next) {
		next = wc_set_next(x);
		wc_dirty_unlink(c, x);
		wc_set_insert(&c->wback, x);
		io->iov[i].iov_base = x->data;
		io->iov[i].iov_len = x->len;
		x->io_next = NULL;
		*link = x;
		link = &x->io_next;
	}
	io->ur.op = URING_WRITEV;
	io->ur.offset = e->off;
	io->ur.iov = io->iov;
	io->ur.iovcnt = cnt;
	io->ur.done = wc_wb_engine_done;
	c->nr_wb_ios++;
	c->st.wb_writes++;
	c->st.wb_bytes += bytes;
	uring_submit(c->engine, &io->ur);
	return x;
}

static void wc_wb_reaped(struct wc_reap *r)
{
	struct wc_io *io = wc_container_of(r, struct wc_io, reap);
	struct wcache *c = io->c;
	struct wc_ext *x, *next;

	c->nr_wb_ios--;
	c->mod_gen++;
	if (r->ret) {
		c->wb_error = r->ret;
		c->wb_failing = r->ret;
		c->retry_ns = ioloop_now_ns() + c->max_age_ns;
		c->wb_failures++;
	} else {
		c->wb_failing = 0;
	}
	for (x = io->exts; x; x = next) {
		next = x->io_next;
		if (r->ret) {
			wc_redirty(c, x);
		} else {
			wc_set_remove(&c->wback, x);
			wc_ext_free(c, x);
		}
	}
	if (r->ret)
		wc_age_arm(c);
	free(io);
}

static bool wc_wb_wanted(const struct wcache *c, bool paused)
{
	const struct wc_op *bar = wc_barrier(c);

	if (bar && bar->nr_dirty)
		return true;
	return !paused && (c->pressure || c->age_pending);
}

/*
 * Writes back what a flush, pressure or the age timer wants, in offset
 * order from where the last pass stopped, each run as one write.
 */
void wc_writeback(struct wcache *c)
{
	bool paused = wc_wb_paused(c), wanted_any = false;
	uint64_t visits = 0, total = c->dirty.count, bytes;
	struct wc_ext *e, *after, *n;
	unsigned cnt;

	wc_update_pressure(c);
	e = wc_set_at(&c->dirty, c->cursor, &after);
	if (!e)
		e = after;
	while (visits < total && c->nr_wb_ios < WC_MAX_WB_IOS &&
	       wc_wb_wanted(c, paused)) {
		if (!e)
			e = wc_set_first(&c->dirty);
		if (!e)
			break;
		visits++;
		if (!wc_ext_wanted(c, e, paused)) {
			e = wc_set_next(e);
			continue;
		}
		wanted_any = true;
		if (wc_ext_blocked(c, e)) {
			e = wc_set_next(e);
			continue;
		}
		wc_run_measure(c, e, &cnt, &bytes);
		n = wc_issue_run(c, e, cnt, bytes);
		if (n == e)
			return;
		visits += cnt - 1;
		c->cursor = n ? n->off : 0;
		e = n;
		wc_update_pressure(c);
	}
	/* A whole pass found nothing old enough: the age demand is met. */
	if (visits >= total && !wanted_any)
		c->age_pending = false;
}

/* wcache_unplug(): writes back the full runs a sequential stream cached. */
void wc_writeback_due(struct wcache *c)
{
	struct wc_ext *e, *after;
	uint64_t bytes;
	unsigned cnt;

	if (!c->due || wc_wb_paused(c))
		return;
	e = wc_set_at(&c->dirty, c->due_off, &after);
	if (!e)
		e = after;
	for (; e; e = after) {
		/* Waiting for room or order: the next kick tries again from here. */
		if (c->nr_wb_ios == WC_MAX_WB_IOS || wc_ext_blocked(c, e)) {
			c->due_off = e->off;
			return;
		}
		/* A run still growing: the writes that grow it set `due` again. */
		if (!wc_run_measure(c, e, &cnt, &bytes))
			break;
		after = wc_issue_run(c, e, cnt, bytes);
		if (after == e)
			return;
	}
	c->due = false;
}

/* max_age after the cache became dirty: write back what is there now. */
void wc_age_fire(void *opaque)
{
	struct wcache *c = opaque;

	c->age_armed = false;
	if (!c->dirty.count)
		return;
	c->age_pending = true;
	c->age_seq = c->seq;
	wc_kick(c);
	if (c->dirty.count)
		wc_age_arm(c);
}

/* wcache_destroy(): what could not be written back.  Returns its bytes. */
uint64_t wc_dirty_drop_all(struct wcache *c)
{
	uint64_t lost = c->dirty_bytes;
	struct wc_ext *e;

	while ((e = wc_set_first(&c->dirty))) {
		wc_set_remove(&c->dirty, e);
		wc_ext_free(c, e);
	}
	c->dirty_bytes = 0;
	return lost;
}
