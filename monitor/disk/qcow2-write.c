// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * disk/qcow2-write.c - allocating writes: data for guest clusters that
 * have no host cluster of their own (unallocated, zero, compressed, or
 * shared: refcount above one, no COPIED flag in qcow2.txt "L2 table entry").
 *
 * A run of such clusters, contiguous in one L2 table, gets as many new
 * contiguous host clusters at the end of the image.  A cluster the guest
 * writes only part of is completed first (copy-on-write) from what it
 * read as before: zeros, the backing disk, the old shared cluster, or the
 * old compressed cluster decompressed.  Where the old contents are zeros
 * and the image is a regular file, nothing needs writing: a new cluster
 * lies past every byte ever written to the file (the bump pointer starts
 * past its end and past every counted cluster at open), so it reads as
 * zeros already; on a block device it holds whatever was there, and the
 * zeros are written.  The run then goes to the cache as one WRITE; only
 * when that has completed are the L2 entries
 * pointed at the new clusters (so a reader meanwhile still sees the old
 * data, and a write-back cycle never writes an entry before its data),
 * and what the old entries held is freed.  Other writes to the run's
 * clusters wait for it; reads do not.
 */
#include <errno.h>
#include <stdlib.h>

#include "disk/qcow2-internal.h"

/* The part of a run's first or last cluster that the guest does not write. */
struct qcow2_piece {
	struct qcow2_run *run;
	struct qcow2_map m;		/* what the cluster held */
	uint64_t guest;			/* its first byte, guest offset */
	uint64_t len;
	uint64_t in_cluster;		/* guest % cluster size */
	uint8_t *buf;
	bool own;			/* buf is ours to free */
	struct disk_req req;
	struct iovec iov;
	struct qcow2_comp comp;
};

struct qcow2_run {
	struct qcow2 *q;
	struct qcow2_req *r;
	struct qcow2_table *l2;
	uint64_t guest;			/* first cluster, guest offset */
	uint64_t n;			/* clusters */
	uint64_t host;			/* first new host cluster */
	unsigned fills;			/* copy-on-write reads in flight */
	int err;
	struct qcow2_waitlist waiters;	/* writers of these clusters */
	struct qcow2_run *next;
	struct qcow2_run **pprev;
	struct qcow2_piece head, tail;
	uint8_t *bounce;		/* the run's data in one buffer, or NULL */
	uint64_t wr_off, wr_len;	/* what is written, from host */
	struct disk_req wreq;
	unsigned iovcnt;
	struct iovec iov[];
};

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

struct qcow2_run *qcow2_run_find(struct qcow2 *q, uint64_t g, uint64_t len)
{
	uint64_t start = g & ~(q->cluster_size - 1), end = g + len;
	struct qcow2_run *run;

	for (run = q->runs; run; run = run->next)
		if (start < run->guest + (run->n << q->cluster_bits) && run->guest < end)
			return run;
	return NULL;
}

void qcow2_run_wait(struct qcow2_run *run, struct qcow2_wait *w)
{
	qcow2_waitlist_add(&run->waiters, w);
}

static void run_free(struct qcow2_run *run)
{
	if (run->head.own)
		free(run->head.buf);
	if (run->tail.own)
		free(run->tail.buf);
	qcow2_comp_fini(&run->head.comp);
	qcow2_comp_fini(&run->tail.comp);
	free(run->bounce);
	free(run);
}

/* The write is over (done or failed): let the waiting writers in. */
static void run_end(struct qcow2_run *run, int ret)
{
	struct qcow2 *q = run->q;
	struct qcow2_req *r = run->r;

	*run->pprev = run->next;
	if (run->next)
		run->next->pprev = run->pprev;
	qcow2_table_unpin(run->l2);
	qcow2_waitlist_wake(&run->waiters, 0);
	run_free(run);
	qcow2_sub_done(r, ret);
	qcow2_unplug_all(q);
}

/* The data is in the cache: the L2 entries point at it now. */
static void run_written(struct disk_req *req, int ret)
{
	struct qcow2_run *run = req->opaque;
	struct qcow2 *q = run->q;
	uint64_t idx = qcow2_l2_index(q, run->guest), i;

	if (ret) {
		/* Never referenced: the new clusters can be freed at once. */
		qcow2_free_add(&q->frees_ready, run->host, run->n, q->cluster_size);
		run_end(run, ret);
		return;
	}
	for (i = 0; i < run->n; i++) {
		struct qcow2_map old;
		int bad = qcow2_map_at(q, run->l2, idx + i, &old);

		qcow2_table_set_entry(run->l2, idx + i, (run->host + (i << q->cluster_bits)) |
				      QCOW2_OFLAG_COPIED);
		if (!bad)
			qcow2_free_entry(q, &old);
	}
	qcow2_table_dirty(run->l2);
	q->stats.allocs += run->n;
	if (qcow2_write_through(q) || (run->r->req->flags & DISK_REQ_FUA))
		run->r->needs_sync = true;
	run_end(run, 0);
}

static void run_submit(struct qcow2_run *run)
{
	struct qcow2 *q = run->q;

	if (run->err) {
		qcow2_free_add(&q->frees_ready, run->host, run->n, q->cluster_size);
		run_end(run, run->err);
		return;
	}
	memset(&run->wreq, 0, sizeof(run->wreq));
	run->wreq.op = DISK_WRITE;
	run->wreq.flags = run->r->req->flags & DISK_REQ_FUA;
	run->wreq.offset = run->host + run->wr_off;
	run->wreq.len = run->wr_len;
	run->wreq.iov = run->iov;
	run->wreq.iovcnt = run->iovcnt;
	run->wreq.done = run_written;
	run->wreq.opaque = run;
	wcache_submit(q->d->file.cache, &run->wreq);
}

static void fill_done(struct qcow2_piece *p, int ret)
{
	struct qcow2_run *run = p->run;
	struct qcow2 *q = run->q;

	if (ret && !run->err)
		run->err = ret;
	if (--run->fills)
		return;
	run_submit(run);	/* may end and free the run */
	qcow2_unplug_all(q);
}

static void fill_read_done(struct disk_req *req, int ret)
{
	fill_done(req->opaque, ret);
}

static void fill_comp_done(struct qcow2_comp *c, int ret)
{
	struct qcow2_piece *p = c->opaque;

	if (!ret)
		memcpy(p->buf, c->out + p->in_cluster, p->len);
	qcow2_comp_fini(c);
	fill_done(p, ret);
}

static void fill_read(struct qcow2_piece *p, uint64_t offset, uint64_t len,
		      struct disk *backing)
{
	struct qcow2 *q = p->run->q;

	p->iov.iov_base = p->buf;
	p->iov.iov_len = (size_t)len;
	memset(&p->req, 0, sizeof(p->req));
	p->req.op = DISK_READ;
	p->req.offset = offset;
	p->req.len = len;
	p->req.iov = &p->iov;
	p->req.iovcnt = 1;
	p->req.done = fill_read_done;
	p->req.opaque = p;
	p->run->fills++;
	q->stats.cows++;
	if (backing)
		disk_submit(backing, &p->req);
	else
		wcache_submit(q->d->file.cache, &p->req);
}

/* Starts filling a piece with the cluster's old contents: 0 or -ENOMEM. */
static int fill(struct qcow2_piece *p)
{
	struct qcow2 *q = p->run->q;
	struct disk *b = q->backing;
	uint64_t part;
	int ret;

	if (!p->len || p->buf == q->zero_buf)
		return 0;
	if (qcow2_reads_zero(q, p->guest, &p->m)) {
		memset(p->buf, 0, p->len);
		return 0;
	}
	switch (p->m.kind) {
	case QCOW2_UNALLOC:
		part = min_u64(p->len, b->size - p->guest);
		memset(p->buf + part, 0, p->len - part);
		fill_read(p, p->guest, part, b);
		return 0;
	case QCOW2_NORMAL:
		fill_read(p, p->m.host + p->in_cluster, p->len, NULL);
		return 0;
	default:
		p->comp.done = fill_comp_done;
		p->comp.opaque = p;
		ret = qcow2_comp_start(q, &p->comp, &p->m);
		if (!ret) {
			p->run->fills++;
			q->stats.cows++;
		}
		return ret;
	}
}

/*
 * Where a piece's old data goes: the bounce buffer, the zero cluster, or
 * its own; or nowhere (len 0), when it is zeros the new cluster has already.
 */
static int piece_init(struct qcow2_run *run, struct qcow2_piece *p,
		      const struct qcow2_map *m, uint64_t guest, uint64_t len,
		      uint64_t run_off)
{
	struct qcow2 *q = run->q;

	p->run = run;
	p->m = *m;
	p->guest = guest;
	p->len = len;
	p->in_cluster = qcow2_cluster_off(q, guest);
	if (!len)
		return 0;
	if (!run->bounce && !q->d->file.block_device && qcow2_reads_zero(q, guest, m)) {
		p->len = 0;
		return 0;
	}
	if (run->bounce) {
		p->buf = run->bounce + run_off;
	} else if (qcow2_reads_zero(q, guest, m)) {
		p->buf = q->zero_buf;
	} else {
		p->buf = malloc(len);
		if (!p->buf)
			return -ENOMEM;
		p->own = true;
	}
	return 0;
}

/* The write's iovec: old head, the new data, old tail; or the bounce buffer. */
static void run_iov(struct qcow2_run *run, uint64_t off, uint64_t len, bool zeros)
{
	struct qcow2_req *r = run->r;
	struct iovec *v = run->iov;
	unsigned nsrc;

	run->wr_off = run->head.len || run->bounce ? 0 : off;
	run->wr_len = (run->tail.len || run->bounce ? run->n << run->q->cluster_bits :
		       off + len) - run->wr_off;
	if (run->bounce) {
		if (zeros)
			memset(run->bounce + off, 0, len);
		else
			qcow2_iovcur_copy(&r->cur, run->bounce + off, len);
		v->iov_base = run->bounce;
		v->iov_len = (size_t)run->wr_len;
		run->iovcnt = 1;
		return;
	}
	if (run->head.len) {
		v->iov_base = run->head.buf;
		v->iov_len = (size_t)run->head.len;
		v++;
	}
	nsrc = qcow2_src_count(r, len, zeros);
	qcow2_src_take(r, len, zeros, v);
	v += nsrc;
	if (run->tail.len) {
		v->iov_base = run->tail.buf;
		v->iov_len = (size_t)run->tail.len;
	}
	run->iovcnt = !!run->head.len + nsrc + !!run->tail.len;
}

static struct qcow2_run *run_new(struct qcow2_req *r, uint64_t n, uint64_t off,
				 uint64_t len, bool zeros)
{
	struct qcow2 *q = r->q;
	uint64_t tail = (n << q->cluster_bits) - off - len;
	unsigned cnt = qcow2_src_count(r, len, zeros) + !!off + !!tail;
	bool bounce = cnt > DISK_MAX_IOV;
	struct qcow2_run *run;

	run = calloc(1, sizeof(*run) + (bounce ? 1 : cnt) * sizeof(struct iovec));
	if (!run)
		return NULL;
	if (bounce) {
		run->bounce = malloc(n << q->cluster_bits);
		if (!run->bounce) {
			free(run);
			return NULL;
		}
	}
	return run;
}

/* How many clusters from idx on (at most n) an allocating write can take. */
static uint64_t alloc_span(struct qcow2 *q, struct qcow2_table *t, uint64_t idx,
			   uint64_t base, uint64_t n, bool zeros)
{
	struct qcow2_map m;
	uint64_t i;

	/* Zeros use an iovec entry per cluster: keep within DISK_MAX_IOV. */
	if (zeros && n > DISK_MAX_IOV - 2)
		n = DISK_MAX_IOV - 2;
	for (i = 1; i < n; i++) {
		if (qcow2_run_find(q, base + (i << q->cluster_bits), 1) ||
		    qcow2_map_at(q, t, idx + i, &m) ||
		    (m.kind == QCOW2_NORMAL && m.copied))
			break;
	}
	return i;
}

static int run_pieces(struct qcow2_run *run, struct qcow2_table *t, uint64_t idx,
		      uint64_t g, uint64_t off, uint64_t len)
{
	struct qcow2 *q = run->q;
	uint64_t end = off + len, tail = (run->n << q->cluster_bits) - end;
	struct qcow2_map first, last;
	int ret;

	ret = qcow2_map_at(q, t, idx, &first);
	if (!ret)
		ret = qcow2_map_at(q, t, idx + run->n - 1, &last);
	if (!ret)
		ret = piece_init(run, &run->head, &first, run->guest, off, 0);
	if (!ret)
		ret = piece_init(run, &run->tail, &last, g + len, tail, end);
	return ret;
}

int qcow2_write_alloc(struct qcow2_req *r, struct qcow2_table *t, uint64_t rem,
		      bool zeros)
{
	struct qcow2 *q = r->q;
	uint64_t g = r->req->offset + r->pos, off = qcow2_cluster_off(q, g);
	uint64_t idx = qcow2_l2_index(q, g), n, host, len;
	struct qcow2_run *run;
	int ret;

	n = alloc_span(q, t, idx, g - off, qcow2_clusters_in_table(q, g, rem), zeros);
	ret = qcow2_alloc_clusters(q, n, &r->wait, &host, &n);
	if (ret)
		return ret;
	len = min_u64(rem, (n << q->cluster_bits) - off);
	run = run_new(r, n, off, len, zeros);
	if (!run)
		goto free_clusters;
	run->q = q;
	run->r = r;
	run->l2 = t;
	run->guest = g - off;
	run->n = n;
	run->host = host;
	qcow2_waitlist_init(&run->waiters);
	if (run_pieces(run, t, idx, g, off, len))
		goto free_run;
	ret = fill(&run->head);
	if (!ret)
		ret = fill(&run->tail);
	/* Nothing in flight: undo now (the request must not end inside a step). */
	if (ret && !run->fills)
		goto free_run;
	/* A fill in flight: the run ends, failed, when it does. */
	run->err = ret;
	run_iov(run, off, len, zeros);
	r->pos += len;
	r->inflight++;
	qcow2_table_pin(t);
	run->next = q->runs;
	if (q->runs)
		q->runs->pprev = &run->next;
	run->pprev = &q->runs;
	q->runs = run;
	if (!run->fills)
		run_submit(run);
	return 0;

free_run:
	run_free(run);
free_clusters:
	qcow2_free_add(&q->frees_ready, host, n, q->cluster_size);
	return -ENOMEM;
}
