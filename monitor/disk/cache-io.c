// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * disk/cache-io.c - the file I/O of the write cache's requests (see cache.c
 * for the ordering rules that decide when it may start): reads, with the
 * cached bytes copied and the gaps between them read from the file; writes
 * from the request's own buffers, those taken in one batch that continue
 * each other merged into one vectored write; DISCARD and WRITE_ZEROES as
 * fallocate(2), with zeros written where the file cannot zero a range, and
 * DISCARD on a block device as ioctl(BLKDISCARD) in the worker pool.
 * DIRECT caches read and write through aligned bounce buffers when the
 * request's are not aligned.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "disk/cache-int.h"

#define WC_ZERO_BUF	(256u << 10)	/* zeros for the WRITE_ZEROES fallback */
#define WC_ZERO_SEGS	64		/* ...so 16 MiB per write */

/* A read of the gaps between cached ranges, one engine read per gap. */
struct wc_part {
	struct uring_req ur;
	struct wc_read *rd;
};

struct wc_read {
	struct wcache *c;
	struct disk_req *req;
	void *bounce;			/* DIRECT: aligned buffer for the whole read */
	unsigned left;			/* parts in flight */
	struct wc_reap reap;
	unsigned nparts;
	struct wc_part parts[];		/* then the parts' iovecs */
};

/* ---- reads ---- */

/* Copies what set `s` caches of the request's range into its buffers. */
static void wc_overlay(const struct wc_set *s, struct disk_req *req)
{
	uint64_t off = req->offset, end = off + req->len, lo, hi;
	struct wc_iov_cursor cur;
	struct wc_ext *e;

	wc_iov_cursor_init(&cur, req->iov, req->iovcnt);
	for (e = wc_set_overlap(s, off, end); e && e->off < end; e = wc_set_next(e)) {
		lo = wc_max(e->off, off);
		hi = wc_min(wc_ext_end(e), end);
		wc_iov_seek(&cur, lo - off);
		wc_iov_write(&cur, e->data + (lo - e->off), hi - lo);
	}
}

/* The first range in [pos, end) that neither set caches: [*g0, *g1). */
static bool wc_next_gap(const struct wcache *c, uint64_t pos, uint64_t end,
			uint64_t *g0, uint64_t *g1)
{
	struct wc_ext *e1, *e2, *a1, *a2;

	while (pos < end) {
		e1 = wc_set_at(&c->wback, pos, &a1);
		e2 = wc_set_at(&c->dirty, pos, &a2);
		if (e1 || e2) {
			pos = wc_max(e1 ? wc_ext_end(e1) : pos, e2 ? wc_ext_end(e2) : pos);
			continue;
		}
		*g0 = pos;
		*g1 = end;
		if (a1 && a1->off < *g1)
			*g1 = a1->off;
		if (a2 && a2->off < *g1)
			*g1 = a2->off;
		return true;
	}
	return false;
}

static void wc_read_reaped(struct wc_reap *r)
{
	struct wc_read *rd = wc_container_of(r, struct wc_read, reap);
	struct wcache *c = rd->c;
	struct wc_iov_cursor cur;

	c->nr_reads--;
	if (rd->bounce && !r->ret) {
		wc_iov_cursor_init(&cur, rd->req->iov, rd->req->iovcnt);
		wc_iov_write(&cur, rd->bounce, rd->req->len);
	}
	wc_complete(c, rd->req, r->ret);
	free(rd->bounce);
	free(rd);
}

static void wc_part_engine_done(struct uring_req *ur, int ret)
{
	struct wc_part *p = wc_container_of(ur, struct wc_part, ur);
	struct wc_read *rd = p->rd;

	if (ret && !rd->reap.ret)
		rd->reap.ret = ret;
	if (!--rd->left)
		wc_reap(rd->c, &rd->reap, rd->reap.ret);
}

/* A read of `nparts` parts, with room for `niov` iovecs after them. */
static struct wc_read *wc_read_new(struct wcache *c, struct disk_req *req,
				   unsigned nparts, unsigned niov)
{
	struct wc_read *rd;

	rd = calloc(1, sizeof(*rd) + nparts * sizeof(rd->parts[0]) +
		       niov * sizeof(struct iovec));
	if (!rd)
		return NULL;
	rd->c = c;
	rd->req = req;
	rd->nparts = nparts;
	rd->reap.fn = wc_read_reaped;
	return rd;
}

static struct iovec *wc_read_iovs(struct wc_read *rd)
{
	return (struct iovec *)(void *)&rd->parts[rd->nparts];
}

static void wc_part_init(struct wc_read *rd, unsigned i, uint64_t off,
			 struct iovec *iov, unsigned cnt)
{
	struct wc_part *p = &rd->parts[i];

	p->rd = rd;
	p->ur.op = URING_READV;
	p->ur.offset = off;
	p->ur.iov = iov;
	p->ur.iovcnt = cnt;
	p->ur.done = wc_part_engine_done;
}

static void wc_read_submit(struct wcache *c, struct wc_read *rd)
{
	unsigned i;

	rd->left = rd->nparts;
	c->nr_reads++;
	for (i = 0; i < rd->nparts; i++)
		uring_submit(c->engine, &rd->parts[i].ur);
}

/* DIRECT: straight to the file, through a bounce buffer if unaligned. */
static int wc_read_direct(struct wcache *c, struct disk_req *req)
{
	bool aligned = wc_iov_aligned(req->iov, req->iovcnt, c->align);
	struct wc_read *rd = wc_read_new(c, req, 1, aligned ? req->iovcnt : 1);
	struct iovec *iov;

	if (!rd)
		return -ENOMEM;
	iov = wc_read_iovs(rd);
	if (aligned) {
		memcpy(iov, req->iov, req->iovcnt * sizeof(*iov));
		wc_part_init(rd, 0, req->offset, iov, req->iovcnt);
	} else {
		if (posix_memalign(&rd->bounce, c->align, req->len)) {
			free(rd);
			return -ENOMEM;
		}
		iov->iov_base = rd->bounce;
		iov->iov_len = req->len;
		wc_part_init(rd, 0, req->offset, iov, 1);
	}
	wc_read_submit(c, rd);
	return 0;
}

/*
 * The cached bytes (in-flight ones first, dirty ones over them: newest
 * wins) are copied now; each gap between them is read from the file,
 * which holds the newest acknowledged data there.
 */
int wc_take_read(struct wcache *c, struct disk_req *req)
{
	uint64_t off = req->offset, end = off + req->len, pos, g0, g1;
	unsigned ngaps = 0, niov, used = 0, i = 0, n;
	struct wc_iov_cursor cur;
	struct wc_read *rd;
	struct iovec *pool;

	c->st.reads++;
	if (c->mode == WCACHE_DIRECT)
		return wc_read_direct(c, req);
	wc_overlay(&c->wback, req);
	wc_overlay(&c->dirty, req);
	for (pos = off; wc_next_gap(c, pos, end, &g0, &g1); pos = g1)
		ngaps++;
	if (!ngaps) {
		c->st.read_hits++;
		wc_complete(c, req, 0);
		return 0;
	}
	/* A gap's slice uses one iovec per segment it touches: n + cnt in all. */
	niov = ngaps + req->iovcnt;
	rd = wc_read_new(c, req, ngaps, niov);
	if (!rd)
		return -ENOMEM;
	pool = wc_read_iovs(rd);
	wc_iov_cursor_init(&cur, req->iov, req->iovcnt);
	for (pos = off; wc_next_gap(c, pos, end, &g0, &g1); pos = g1, i++) {
		wc_iov_seek(&cur, g0 - off);
		n = wc_iov_slice(&cur, g1 - g0, pool + used, niov - used);
		wc_part_init(rd, i, g0, pool + used, n);
		used += n;
	}
	wc_read_submit(c, rd);
	return 0;
}

/* ---- writes from the request ---- */

/* A write to the file from the request's buffers, queued in take order. */
int wc_queue_write(struct wcache *c, struct disk_req *req, uint64_t seq)
{
	struct wc_op *op = wc_op_new(c, req, WC_OP_WRITE, seq);
	struct wc_iov_cursor cur;
	void *buf;

	if (!op)
		return -ENOMEM;
	op->iov = req->iov;
	op->iovcnt = req->iovcnt;
	if (c->mode == WCACHE_WRITETHROUGH || c->direct_dsync || (req->flags & DISK_REQ_FUA))
		op->rw_flags = RWF_DSYNC;
	if (c->mode == WCACHE_DIRECT &&
	    !wc_iov_aligned(req->iov, req->iovcnt, c->align)) {
		if (posix_memalign(&buf, c->align, req->len)) {
			wc_op_free(op);
			return -ENOMEM;
		}
		wc_iov_cursor_init(&cur, req->iov, req->iovcnt);
		wc_iov_read(&cur, buf, req->len);
		op->bounce_iov.iov_base = buf;
		op->bounce_iov.iov_len = req->len;
		op->iov = &op->bounce_iov;
		op->iovcnt = 1;
	}
	wc_list_add(&c->queue, op);
	return 0;
}

/* Can queued write `n` join a group ending at `end` of `cnt` segments, `bytes`? */
static bool wc_write_joins(const struct wcache *c, const struct wc_op *first,
			   const struct wc_op *n, uint64_t end, unsigned cnt,
			   uint64_t bytes)
{
	return n && n->kind == WC_OP_WRITE && n->off == end &&
	       n->rw_flags == first->rw_flags &&
	       cnt + n->iovcnt <= DISK_MAX_IOV &&
	       bytes + (n->end - n->off) <= c->max_write &&
	       !wc_op_blocked(c, n);
}

static void wc_write_reaped(struct wc_reap *r);

static void wc_write_engine_done(struct uring_req *ur, int ret)
{
	struct wc_io *io = wc_container_of(ur, struct wc_io, ur);

	wc_reap(io->c, &io->reap, ret);
}

/*
 * Issues queued write `op` together with the queued writes right behind
 * it that continue it (writes taken in one batch merge into one vectored
 * write).  Returns the queued op after them.
 */
struct wc_op *wc_issue_writes(struct wcache *c, struct wc_op *op)
{
	uint64_t bytes = op->end - op->off;
	unsigned cnt = op->iovcnt, i = 0;
	struct wc_op *last = op, *o, *next, *after;
	struct wc_io *io;

	while (wc_write_joins(c, op, last->next, last->end, cnt, bytes)) {
		last->group_next = last->next;
		last = last->next;
		cnt += last->iovcnt;
		bytes += last->end - last->off;
	}
	last->group_next = NULL;
	after = last->next;
	io = calloc(1, sizeof(*io) + cnt * sizeof(io->iov[0]));
	for (o = op; o; o = next) {
		next = o->group_next;
		wc_list_del(&c->queue, o);
		if (!io) {
			wc_op_finish(c, o, -ENOMEM);
			continue;
		}
		wc_list_add(&c->inflight, o);
		memcpy(&io->iov[i], o->iov, o->iovcnt * sizeof(o->iov[0]));
		i += o->iovcnt;
	}
	if (!io)
		return after;
	io->c = c;
	io->reap.fn = wc_write_reaped;
	io->ops = op;
	io->ur.op = URING_WRITEV;
	io->ur.offset = op->off;
	io->ur.iov = io->iov;
	io->ur.iovcnt = cnt;
	io->ur.rw_flags = op->rw_flags;
	io->ur.done = wc_write_engine_done;
	c->st.wb_writes++;
	c->st.wb_bytes += bytes;
	uring_submit(c->engine, &io->ur);
	return after;
}

static void wc_write_reaped(struct wc_reap *r)
{
	struct wc_io *io = wc_container_of(r, struct wc_io, reap);
	struct wcache *c = io->c;
	struct wc_op *op, *next;

	c->mod_gen++;
	for (op = io->ops; op; op = next) {
		next = op->group_next;
		wc_list_del(&c->inflight, op);
		if (!r->ret)
			wc_dirty_supersede(c, op);
		wc_op_finish(c, op, r->ret);
	}
	free(io);
}

/* ---- DISCARD and WRITE_ZEROES ---- */

/* DISCARD, and WRITE_ZEROES that may deallocate, punch a hole; else zero the range. */
static int wc_alloc_mode(const struct disk_req *req)
{
	if (req->op == DISK_DISCARD || (req->flags & DISK_REQ_UNMAP))
		return FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE;
	return FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE;
}

static uint64_t wc_zero_chunk(const struct wc_op *op)
{
	return wc_min(op->end - op->zero_pos, (uint64_t)WC_ZERO_SEGS * WC_ZERO_BUF);
}

static void wc_alloc_engine_done(struct uring_req *ur, int ret)
{
	struct wc_op *op = wc_container_of(ur, struct wc_op, ur);

	wc_reap(op->c, &op->reap, ret);
}

/*
 * On a block device fallocate(PUNCH_HOLE) is a discard that must read back
 * zeros (blkdev_fallocate(): write-zeroes with unmap allowed), refused with
 * EOPNOTSUPP by a device without write-zeroes, so a guest's discard would
 * never reach it.  BLKDISCARD is the plain discard; it blocks until the
 * device is done, so it runs on a pool thread.
 */
static int wc_blkdiscard_ioctl(int fd, uint64_t off, uint64_t len)
{
	uint64_t range[2] = { off, len };
	int ret;

	do
		ret = ioctl(fd, BLKDISCARD, range);
	while (ret && errno == EINTR);
	return ret ? -errno : 0;
}

int (*wcache_blkdiscard)(int fd, uint64_t off, uint64_t len) = wc_blkdiscard_ioctl;

/* Pool thread: only the op's fixed fields and the cache's fd are read. */
static void wc_blkdiscard_run(struct pool_job *job)
{
	struct wc_op *op = job->opaque;

	op->job_ret = wcache_blkdiscard(op->c->blk_fd, op->off, op->end - op->off);
}

/* Loop thread: into the same completion path as the engine's requests. */
static void wc_blkdiscard_done(struct pool_job *job, int ret)
{
	struct wc_op *op = job->opaque;

	wc_reap(op->c, &op->reap, ret ? ret : op->job_ret);
}

/* Sends the engine request (or the pool job) of the stage `op` is at. */
static void wc_alloc_submit(struct wcache *c, struct wc_op *op)
{
	uint64_t n, left;
	unsigned i;

	memset(&op->ur, 0, sizeof(op->ur));
	op->ur.done = wc_alloc_engine_done;
	op->ur.opaque = op;
	switch (op->stage) {
	case WC_ALLOC_FALLOCATE:
		op->ur.op = URING_FALLOCATE;
		op->ur.offset = op->off;
		op->ur.len = op->end - op->off;
		op->ur.mode = wc_alloc_mode(op->req);
		break;
	case WC_ALLOC_ZEROING:
		n = wc_zero_chunk(op);
		for (i = 0, left = n; left; i++, left -= op->zero_iov[i - 1].iov_len) {
			op->zero_iov[i].iov_base = c->zero_buf;
			op->zero_iov[i].iov_len = wc_min(left, WC_ZERO_BUF);
		}
		op->ur.op = URING_WRITEV;
		op->ur.offset = op->zero_pos;
		op->ur.iov = op->zero_iov;
		op->ur.iovcnt = i;
		if (c->mode == WCACHE_WRITETHROUGH)
			op->ur.rw_flags = RWF_DSYNC;
		c->st.wb_writes++;
		c->st.wb_bytes += n;
		break;
	case WC_ALLOC_SYNC:
		op->ur.op = URING_FDATASYNC;
		break;
	case WC_ALLOC_BLKDISCARD:
		op->job.run = wc_blkdiscard_run;
		op->job.done = wc_blkdiscard_done;
		op->job.loop = c->loop;
		op->job.opaque = op;
		pool_submit(c->blk_pool, &op->job);
		return;
	}
	uring_submit(c->engine, &op->ur);
}

void wc_issue_alloc(struct wcache *c, struct wc_op *op)
{
	wc_list_del(&c->queue, op);
	wc_list_add(&c->inflight, op);
	if (c->blk_pool && op->req->op == DISK_DISCARD)
		op->stage = WC_ALLOC_BLKDISCARD;
	else
		op->stage = WC_ALLOC_FALLOCATE;
	wc_alloc_submit(c, op);
}

/* The file cannot zero a range in place: write zeros instead. */
static int wc_zero_start(struct wcache *c, struct wc_op *op)
{
	uint32_t align = c->align > 4096 ? c->align : 4096;

	if (!c->zero_buf) {
		if (posix_memalign(&c->zero_buf, align, WC_ZERO_BUF))
			return -ENOMEM;
		memset(c->zero_buf, 0, WC_ZERO_BUF);
	}
	op->zero_iov = calloc(WC_ZERO_SEGS, sizeof(op->zero_iov[0]));
	if (!op->zero_iov)
		return -ENOMEM;
	op->stage = WC_ALLOC_ZEROING;
	op->zero_pos = op->off;
	return 0;
}

static void wc_alloc_end(struct wcache *c, struct wc_op *op, int ret,
			 bool reached_file)
{
	wc_list_del(&c->inflight, op);
	if (reached_file)
		wc_dirty_supersede(c, op);
	wc_op_finish(c, op, ret);
}

/* The next stage of a DISCARD or WRITE_ZEROES, or its end. */
static void wc_alloc_reaped(struct wc_reap *r)
{
	struct wc_op *op = wc_container_of(r, struct wc_op, reap);
	struct wcache *c = op->c;
	int ret = r->ret;

	if (op->stage != WC_ALLOC_SYNC)
		c->mod_gen++;
	if (op->stage == WC_ALLOC_BLKDISCARD) {
		/* Advisory: a device that cannot discard has done its part. */
		if (ret == -EOPNOTSUPP)
			wc_alloc_end(c, op, 0, false);
		else
			wc_alloc_end(c, op, ret, !ret);
		return;
	}
	if (op->stage == WC_ALLOC_FALLOCATE && ret == -EOPNOTSUPP) {
		/* DISCARD is advisory; WRITE_ZEROES must zero one way or another. */
		if (op->req->op == DISK_DISCARD) {
			wc_alloc_end(c, op, 0, false);
			return;
		}
		ret = wc_zero_start(c, op);
		if (!ret) {
			wc_alloc_submit(c, op);
			return;
		}
	}
	if (ret) {
		wc_alloc_end(c, op, ret, false);
		return;
	}
	if (op->stage == WC_ALLOC_ZEROING) {
		op->zero_pos += wc_zero_chunk(op);
		if (op->zero_pos < op->end) {
			wc_alloc_submit(c, op);
			return;
		}
	} else if (op->stage == WC_ALLOC_FALLOCATE &&
		   c->mode == WCACHE_WRITETHROUGH && op->req->op == DISK_WRITE_ZEROES) {
		/* Write-through zeros are durable when done; a fallocate is not by itself. */
		op->stage = WC_ALLOC_SYNC;
		wc_alloc_submit(c, op);
		return;
	}
	wc_alloc_end(c, op, 0, true);
}

int wc_queue_alloc(struct wcache *c, struct disk_req *req, uint64_t seq)
{
	struct wc_op *op = wc_op_new(c, req, WC_OP_ALLOC, seq);

	if (!op)
		return -ENOMEM;
	op->reap.fn = wc_alloc_reaped;
	wc_list_add(&c->queue, op);
	return 0;
}
