// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * disk/qcow2-meta.c - writing dirty metadata back, in dependency order,
 * one "cycle" at a time.
 *
 * A cycle copies everything dirty at one instant, then writes the copies
 * in stages with a FLUSH (fdatasync) after each, so that nothing on disk
 * ever points at what is not yet durable (qcow2.txt "Host cluster
 * management", "Cluster mapping"):
 *
 *   0  refcount blocks, and a new refcount table (nothing points at it yet)
 *      FLUSH: also makes durable the data every copied L2 entry points at
 *         (an L2 entry is set only after its data write completed)
 *   1  refcount table entries for new blocks, or the header's pointer to
 *      a new table                                          FLUSH
 *   2  L2 tables                                            FLUSH if 3 follows
 *   3  L1 table                                             FLUSH
 *
 * So a cluster is counted before anything references it, and a reference
 * is dropped (L2 written) before its count goes down: the frees recorded
 * before the copy wait until the cycle has ended, and the next cycle
 * applies them (decrements in memory, then written in its stage 0).
 *
 * A guest FLUSH (or a write-through allocating write) waits for the end
 * of a cycle that starts after it arrived, and one more when that cycle
 * made frees ready, so that a flush before close leaves no leak.  Cycles
 * also run in the background when dirty metadata passes its bounds or is
 * older than QCOW2_META_MAX_AGE_NS.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "disk/qcow2-internal.h"

#define STAGE_FLUSH	(-1)
#define NSTAGES		4

/* One copy being written. */
struct qcow2_mwrite {
	struct disk_req req;
	struct iovec iov;
	uint8_t *buf;
	struct qcow2 *q;
	struct qcow2_table *t;		/* a table's copy, or NULL */
	int what;			/* MW_* */
	uint64_t lo, hi;		/* L1/refcount table entries copied */
	struct qcow2_mwrite *next;
};

enum { MW_TABLE, MW_L1, MW_RT_RANGE, MW_RT_WHOLE, MW_HEADER };

static void cycle_next(struct qcow2 *q);
static void cycle_prepare(struct qcow2_wait *w, int err);

bool qcow2_meta_dirty(const struct qcow2 *q)
{
	return q->l2c.ndirty || q->rbc.ndirty || q->l1_dirty_lo != UINT64_MAX ||
	       q->rt_dirty_lo != UINT64_MAX || q->rt_moved ||
	       !qcow2_freelist_empty(&q->frees_pending) ||
	       !qcow2_freelist_empty(&q->frees_ready) ||
	       !qcow2_freelist_empty(&q->rt_retired);
}

static bool over_bounds(const struct qcow2 *q)
{
	return q->l2c.ndirty > q->l2c.n / 2 || q->rbc.ndirty > q->rbc.n / 2 ||
	       q->frees_pending.len - q->frees_pending.head > QCOW2_MAX_PENDING_FREES;
}

static struct qcow2_mwrite *mwrite_new(struct qcow2 *q, int stage, int what,
				       uint64_t offset, size_t len)
{
	struct qcow2_mwrite *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	if (posix_memalign((void **)&m->buf, 4096, len)) {
		free(m);
		return NULL;
	}
	m->q = q;
	m->what = what;
	m->iov.iov_base = m->buf;
	m->iov.iov_len = len;
	m->req.op = DISK_WRITE;
	m->req.offset = offset;
	m->req.len = len;
	m->req.iov = &m->iov;
	m->req.iovcnt = 1;
	m->req.opaque = m;
	m->next = q->cycle.writes[stage];
	q->cycle.writes[stage] = m;
	return m;
}

/* Copies of the dirty tables of one cache; false when out of memory. */
static bool snap_tables(struct qcow2 *q, struct qcow2_tcache *c, int stage)
{
	unsigned i;

	for (i = 0; i < c->n; i++) {
		struct qcow2_table *t = &c->slots[i];
		struct qcow2_mwrite *m;

		if (!t->host || !t->dirty)
			continue;
		m = mwrite_new(q, stage, MW_TABLE, t->host, q->cluster_size);
		if (!m)
			return false;
		memcpy(m->buf, t->buf, q->cluster_size);
		m->t = t;
		t->dirty = false;
		t->writing = true;
		c->ndirty--;
	}
	return true;
}

/* A copy of entries [lo, hi) of a host-order table, widened to whole sectors. */
static bool snap_range(struct qcow2 *q, int stage, int what, const uint64_t *tab,
		       uint64_t base, uint64_t lo, uint64_t hi)
{
	const uint64_t per = DISK_SECTOR / 8;
	struct qcow2_mwrite *m;
	uint64_t i;

	lo = lo / per * per;
	hi = (hi + per - 1) / per * per;
	m = mwrite_new(q, stage, what, base + lo * 8, (size_t)((hi - lo) * 8));
	if (!m)
		return false;
	for (i = lo; i < hi; i++)
		qcow2_put64(m->buf + (i - lo) * 8, tab[i]);
	m->lo = lo;
	m->hi = hi;
	return true;
}

static bool snap_rt(struct qcow2 *q)
{
	struct qcow2_mwrite *m;

	if (q->rt_moved) {
		if (!snap_range(q, 0, MW_RT_WHOLE, q->rt, q->rt_offset, 0, q->rt_entries))
			return false;
		m = mwrite_new(q, 1, MW_HEADER, 0, DISK_SECTOR);
		if (!m)
			return false;
		memcpy(m->buf, q->hdr_sector, DISK_SECTOR);
		qcow2_header_set_rt(m->buf, q->rt_offset, q->rt_clusters);
		q->cycle.rt_switch = true;
		q->cycle.rt_offset = q->rt_offset;
		q->cycle.rt_clusters = q->rt_clusters;
		q->rt_moved = false;
	} else if (q->rt_dirty_lo != UINT64_MAX) {
		if (!snap_range(q, 1, MW_RT_RANGE, q->rt, q->rt_offset, q->rt_dirty_lo,
				q->rt_dirty_hi))
			return false;
	}
	q->rt_dirty_lo = UINT64_MAX;
	q->rt_dirty_hi = 0;
	return true;
}

static bool snapshot(struct qcow2 *q)
{
	if (!snap_tables(q, &q->rbc, 0) || !snap_rt(q) || !snap_tables(q, &q->l2c, 2))
		return false;
	if (q->l1_dirty_lo != UINT64_MAX) {
		if (!snap_range(q, 3, MW_L1, q->l1, q->h.l1_offset, q->l1_dirty_lo,
				q->l1_dirty_hi))
			return false;
		q->l1_dirty_lo = UINT64_MAX;
		q->l1_dirty_hi = 0;
	}
	/* These frees' L2 changes are in the copies just taken. */
	qcow2_freelist_move(&q->frees_inflight, &q->frees_pending, q->cluster_size);
	return true;
}

static void plan(struct qcow2_cycle *cy)
{
	cy->nplan = 0;
	cy->plan[cy->nplan++] = 0;
	cy->plan[cy->nplan++] = STAGE_FLUSH;
	if (cy->writes[1]) {
		cy->plan[cy->nplan++] = 1;
		cy->plan[cy->nplan++] = STAGE_FLUSH;
	}
	if (cy->writes[2])
		cy->plan[cy->nplan++] = 2;
	if (cy->writes[3]) {
		if (cy->writes[2])
			cy->plan[cy->nplan++] = STAGE_FLUSH;
		cy->plan[cy->nplan++] = 3;
	}
	if (cy->writes[2] || cy->writes[3])
		cy->plan[cy->nplan++] = STAGE_FLUSH;
	cy->step = 0;
}

/* Marks what a failed cycle copied dirty again, and frees the copies. */
static void redirty(struct qcow2 *q, struct qcow2_mwrite *m)
{
	switch (m->what) {
	case MW_TABLE:
		if (!m->t->dirty) {
			m->t->dirty = true;
			m->t->cache->ndirty++;
		}
		break;
	case MW_L1:
		if (m->lo < q->l1_dirty_lo)
			q->l1_dirty_lo = m->lo;
		if (m->hi > q->l1_dirty_hi)
			q->l1_dirty_hi = m->hi;
		break;
	case MW_RT_RANGE:
		if (m->lo < q->rt_dirty_lo)
			q->rt_dirty_lo = m->lo;
		if (m->hi > q->rt_dirty_hi)
			q->rt_dirty_hi = m->hi;
		break;
	default:
		/* The new table and the header pointer are written again. */
		if (q->rt_offset == q->cycle.rt_offset)
			q->rt_moved = true;
		break;
	}
}

static void release_writes(struct qcow2 *q, int err)
{
	int s;

	for (s = 0; s < NSTAGES; s++) {
		struct qcow2_mwrite *m = q->cycle.writes[s], *next;

		for (; m; m = next) {
			next = m->next;
			if (m->t)
				m->t->writing = false;
			if (err)
				redirty(q, m);
			free(m->buf);
			free(m);
		}
		q->cycle.writes[s] = NULL;
	}
}

/* What a successful cycle made durable. */
static void cycle_commit(struct qcow2 *q)
{
	struct qcow2_free keep = { 0, 0 };
	size_t i;

	if (q->cycle.rt_switch) {
		q->rt_disk_offset = q->cycle.rt_offset;
		q->rt_disk_clusters = q->cycle.rt_clusters;
		qcow2_header_set_rt(q->hdr_sector, q->rt_disk_offset, q->rt_disk_clusters);
	}
	/* Old refcount tables the header no longer names can go. */
	for (i = q->rt_retired.head; i < q->rt_retired.len; i++) {
		struct qcow2_free *f = &q->rt_retired.v[i];

		if (f->off != q->rt_disk_offset)
			qcow2_free_add(&q->frees_ready, f->off, f->n, q->cluster_size);
		else
			keep = *f;
	}
	q->rt_retired.head = q->rt_retired.len = 0;
	if (keep.n)
		qcow2_free_add(&q->rt_retired, keep.off, keep.n, q->cluster_size);
	qcow2_freelist_move(&q->frees_ready, &q->frees_inflight, q->cluster_size);
	q->stats.cycles++;
}

/* Completes the flushes this cycle served, or keeps them one cycle more. */
static void finish_waiters(struct qcow2 *q, int err)
{
	struct qcow2_waitlist done = q->cycle.cur;
	struct qcow2_wait *w, *next;

	qcow2_waitlist_init(&q->cycle.cur);
	for (w = done.head; w; w = next) {
		next = w->next;
		if (!err && !w->bumped && !qcow2_freelist_empty(&q->frees_ready)) {
			w->bumped = true;
			qcow2_waitlist_add(&q->cycle.next, w);
			continue;
		}
		w->next = NULL;
		w->fn(w, err);
	}
}

static void cycle_end(struct qcow2 *q, int err)
{
	release_writes(q, err);
	if (err) {
		qcow2_freelist_move(&q->frees_pending, &q->frees_inflight,
				    q->cluster_size);
		fprintf(stderr, "vmain: %s: writing qcow2 metadata failed: %s\n",
			q->d->path, strerror(-err));
	} else {
		cycle_commit(q);
	}
	q->cycle.running = false;
	q->cycle.rt_switch = false;
	finish_waiters(q, err);
	qcow2_tcache_wake_slots(&q->l2c);
	qcow2_tcache_wake_slots(&q->rbc);
	/* After a failure, retry when the age timer fires, not at once. */
	if (!err && (!qcow2_waitlist_empty(&q->cycle.next) || over_bounds(q)))
		qcow2_meta_kick(q, true);
	else if ((qcow2_meta_dirty(q) || !qcow2_waitlist_empty(&q->cycle.next)) &&
		 q->age_timer && !ioloop_timer_armed(q->age_timer))
		ioloop_timer_arm(q->age_timer, ioloop_now_ns() + QCOW2_META_MAX_AGE_NS);
}

static void stage_done(struct qcow2 *q, int ret)
{
	if (ret && !q->cycle.err)
		q->cycle.err = ret;
	if (--q->cycle.outstanding)
		return;
	if (q->cycle.err)
		cycle_end(q, q->cycle.err);
	else
		cycle_next(q);
	qcow2_unplug_all(q);
}

static void mwrite_done(struct disk_req *req, int ret)
{
	struct qcow2_mwrite *m = req->opaque;

	if (m->t && !ret)
		m->t->writing = false;
	stage_done(m->q, ret);
}

static void flush_done(struct disk_req *req, int ret)
{
	stage_done(req->opaque, ret);
}

static unsigned submit_stage(struct qcow2 *q, int stage)
{
	struct qcow2_mwrite *m;
	unsigned n = 0;

	for (m = q->cycle.writes[stage]; m; m = m->next)
		n++;
	q->cycle.outstanding = n;
	for (m = q->cycle.writes[stage]; m; m = m->next) {
		m->req.done = mwrite_done;
		q->stats.meta_writes++;
		wcache_submit(q->d->file.cache, &m->req);
	}
	return n;
}

static void cycle_next(struct qcow2 *q)
{
	struct qcow2_cycle *cy = &q->cycle;

	while (cy->step < cy->nplan) {
		int item = cy->plan[cy->step++];

		if (item == STAGE_FLUSH) {
			memset(&cy->flush, 0, sizeof(cy->flush));
			cy->flush.op = DISK_FLUSH;
			cy->flush.done = flush_done;
			cy->flush.opaque = q;
			cy->outstanding = 1;
			wcache_submit(q->d->file.cache, &cy->flush);
			return;
		}
		if (submit_stage(q, item))
			return;
	}
	cycle_end(q, 0);
}

/* Applies the ready frees (may wait for a refcount block), copies, writes. */
static void cycle_prepare(struct qcow2_wait *w, int err)
{
	struct qcow2 *q = (struct qcow2 *)((char *)w - offsetof(struct qcow2, cycle.park));
	int ret = 0;

	/*
	 * A refcount block that failed to load: its frees wait for a later
	 * cycle.  On a corrupt image they are dropped (leaked) rather than
	 * trusted to the refcounts.
	 */
	if (q->corrupt)
		q->frees_ready.head = q->frees_ready.len = 0;
	else if (!err)
		ret = qcow2_apply_frees(q, &q->cycle.park);
	if (ret == -EAGAIN)
		return;
	if (!snapshot(q)) {
		cycle_end(q, -ENOMEM);
		return;
	}
	plan(&q->cycle);
	cycle_next(q);
	qcow2_unplug_all(q);
}

static void cycle_start(struct qcow2 *q)
{
	struct qcow2_cycle *cy = &q->cycle;

	cy->running = true;
	cy->err = 0;
	qcow2_waitlist_splice(&cy->cur, &cy->next);
	if (q->age_timer)
		ioloop_timer_disarm(q->age_timer);
	cycle_prepare(&cy->park, 0);
}

void qcow2_meta_kick(struct qcow2 *q, bool force)
{
	if (!q->writable || q->cycle.running)
		return;
	if (!qcow2_waitlist_empty(&q->cycle.next) ||
	    (force && qcow2_meta_dirty(q)) || over_bounds(q))
		cycle_start(q);
}

void qcow2_meta_kick_later(struct qcow2 *q, bool force)
{
	q->kick_wanted = true;
	q->kick_force |= force;
}

void qcow2_meta_run_kicks(struct qcow2 *q)
{
	bool force = q->kick_force;

	/* A running cycle looks at the bounds and the waiters when it ends. */
	if (!q->kick_wanted || q->cycle.running)
		return;
	q->kick_wanted = false;
	q->kick_force = false;
	qcow2_meta_kick(q, force);
}

void qcow2_meta_dirtied(struct qcow2 *q)
{
	if (q->age_timer && !ioloop_timer_armed(q->age_timer))
		ioloop_timer_arm(q->age_timer, ioloop_now_ns() + QCOW2_META_MAX_AGE_NS);
	if (!q->cycle.running && over_bounds(q))
		qcow2_meta_kick_later(q, false);
}

void qcow2_sync_wait(struct qcow2 *q, struct qcow2_wait *w)
{
	w->bumped = false;
	qcow2_waitlist_add(&q->cycle.next, w);
	qcow2_meta_kick(q, false);
}

static void age_fired(void *opaque)
{
	struct qcow2 *q = opaque;

	qcow2_meta_kick(q, true);
	qcow2_unplug_all(q);
}

int qcow2_cycle_init(struct qcow2 *q)
{
	qcow2_waitlist_init(&q->cycle.cur);
	qcow2_waitlist_init(&q->cycle.next);
	q->cycle.park.fn = cycle_prepare;
	if (!q->writable)
		return 0;
	return ioloop_timer_new(q->d->loop, age_fired, q, &q->age_timer);
}

void qcow2_cycle_fini(struct qcow2 *q)
{
	if (q->age_timer)
		ioloop_timer_free(q->age_timer);
	q->age_timer = NULL;
}
