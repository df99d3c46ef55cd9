// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * disk/qcow2-io.c - a guest request through the qcow2 format.
 *
 * A request is handled in steps, each one run of clusters inside one L2
 * table whose mapping is alike (unallocated, zero, contiguous data,
 * one compressed cluster): a read becomes a READ of host offsets through
 * the write cache (sub-iovecs carved from the guest's), a read of the
 * backing disk, zeros, or a decompression; a write to clusters it owns
 * (refcount 1, qcow2.txt "L2 table entry" bit 63) a WRITE in place, any
 * other write an allocating write (qcow2-write.c).  A step that needs a
 * table not in memory parks the request on the table's load; the request
 * continues from that step when it arrives.
 *
 * DISCARD and WRITE_ZEROES (whole clusters; a partial cluster is ignored
 * by DISCARD and written with zeros by WRITE_ZEROES):
 *   version 3: WRITE_ZEROES sets the zero flag ("Standard Cluster
 *     Descriptor" bit 0), keeping an owned cluster allocated unless the
 *     request says UNMAP; DISCARD deallocates, or with a backing file sets
 *     the zero flag: either way the clusters read zeros afterwards, never
 *     the backing file's data.
 *   version 2 (no zero flag): without a backing file both deallocate
 *     (unallocated reads as zeros); with one, WRITE_ZEROES writes zeros
 *     and DISCARD does nothing.
 * Host clusters no longer referenced are freed (qcow2-alloc.c), their
 * holes punched once their refcount is 0.
 *
 * A request completes from the format's bottom half (qcow2.c), never from
 * inside submit.  With the guest's write cache off (disk_writeback()
 * false) or FUA, a write that changed metadata completes only after the
 * next write-back cycle has made the metadata durable.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include "disk/qcow2-internal.h"

#define REQ_OF(w)	((struct qcow2_req *)((char *)(w) - offsetof(struct qcow2_req, wait)))

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* == iovec cursors == */

unsigned qcow2_iovcur_count(const struct qcow2_iovcur *c, uint64_t len)
{
	unsigned idx = c->idx, n = 0;
	size_t off = c->off;

	while (len && idx < c->cnt) {
		uint64_t take = min_u64(c->iov[idx].iov_len - off, len);

		if (take)
			n++;
		len -= take;
		idx++;
		off = 0;
	}
	return n;
}

/* Calls fn on each piece of the next len bytes, and moves past them. */
static void iovcur_walk(struct qcow2_iovcur *c, uint64_t len,
			void (*fn)(void *base, size_t n, void *opaque), void *opaque)
{
	while (len && c->idx < c->cnt) {
		size_t avail = c->iov[c->idx].iov_len - c->off;
		size_t take = (size_t)min_u64(avail, len);

		if (take)
			fn((uint8_t *)c->iov[c->idx].iov_base + c->off, take, opaque);
		len -= take;
		if (take == avail) {
			c->idx++;
			c->off = 0;
		} else {
			c->off += take;
		}
	}
}

static void piece_take(void *base, size_t n, void *opaque)
{
	struct iovec **out = opaque;

	(*out)->iov_base = base;
	(*out)->iov_len = n;
	(*out)++;
}

static void piece_zero(void *base, size_t n, void *opaque)
{
	(void)opaque;
	memset(base, 0, n);
}

static void piece_copy(void *base, size_t n, void *opaque)
{
	uint8_t **buf = opaque;

	memcpy(*buf, base, n);
	*buf += n;
}

void qcow2_iovcur_take(struct qcow2_iovcur *c, uint64_t len, struct iovec *out)
{
	iovcur_walk(c, len, piece_take, &out);
}

void qcow2_iovcur_zero(struct qcow2_iovcur *c, uint64_t len)
{
	iovcur_walk(c, len, piece_zero, NULL);
}

void qcow2_iovcur_copy(struct qcow2_iovcur *c, uint8_t *buf, uint64_t len)
{
	iovcur_walk(c, len, piece_copy, &buf);
}

void qcow2_iov_from_buf(const struct iovec *iov, unsigned cnt, const uint8_t *buf,
			uint64_t len)
{
	unsigned i;

	for (i = 0; i < cnt && len; i++) {
		size_t n = (size_t)min_u64(iov[i].iov_len, len);

		memcpy(iov[i].iov_base, buf, n);
		buf += n;
		len -= n;
	}
}

unsigned qcow2_src_count(const struct qcow2_req *r, uint64_t len, bool zeros)
{
	if (zeros)
		return (unsigned)((len + r->q->cluster_size - 1) >> r->q->cluster_bits);
	return qcow2_iovcur_count(&r->cur, len);
}

void qcow2_src_take(struct qcow2_req *r, uint64_t len, bool zeros, struct iovec *out)
{
	if (!zeros) {
		qcow2_iovcur_take(&r->cur, len, out);
		return;
	}
	/* The shared zero cluster, never written to. */
	for (; len; out++) {
		uint64_t n = min_u64(len, r->q->cluster_size);

		out->iov_base = r->q->zero_buf;
		out->iov_len = (size_t)n;
		len -= n;
	}
}

bool qcow2_reads_zero(const struct qcow2 *q, uint64_t g, const struct qcow2_map *m)
{
	switch (m->kind) {
	case QCOW2_ZERO:
	case QCOW2_ZERO_ALLOC:
		return true;
	case QCOW2_UNALLOC:
		return !q->backing || g >= q->backing->size;
	default:
		return false;
	}
}

/* == Sub-requests: one READ or WRITE to the cache or the backing disk == */

struct qcow2_sub {
	struct disk_req req;
	struct qcow2_req *r;
	struct iovec iov[];
};

static void sub_done_cb(struct disk_req *req, int ret)
{
	struct qcow2_sub *s = req->opaque;
	struct qcow2_req *r = s->r;
	struct qcow2 *q = r->q;

	free(s);
	qcow2_sub_done(r, ret);
	qcow2_unplug_all(q);
}

/* A sub-request over the next `len` bytes of the request's data. */
static struct qcow2_sub *sub_new(struct qcow2_req *r, enum disk_op op,
				 uint64_t offset, uint64_t len, bool zeros)
{
	unsigned cnt = qcow2_src_count(r, len, zeros);
	struct qcow2_sub *s = malloc(sizeof(*s) + cnt * sizeof(struct iovec));

	if (!s)
		return NULL;
	memset(&s->req, 0, sizeof(s->req));
	qcow2_src_take(r, len, zeros, s->iov);
	s->r = r;
	s->req.op = op;
	s->req.offset = offset;
	s->req.len = len;
	s->req.iov = s->iov;
	s->req.iovcnt = cnt;
	s->req.done = sub_done_cb;
	s->req.opaque = s;
	r->inflight++;
	return s;
}

static int read_host(struct qcow2_req *r, uint64_t host, uint64_t len)
{
	struct qcow2_sub *s = sub_new(r, DISK_READ, host, len, false);

	if (!s)
		return -ENOMEM;
	wcache_submit(r->q->d->file.cache, &s->req);
	return 0;
}

/* "If there is no backing file or the backing file is smaller than the image": zeros. */
static int read_backing(struct qcow2_req *r, uint64_t g, uint64_t len)
{
	struct disk *b = r->q->backing;
	uint64_t part = 0;

	if (b && g < b->size)
		part = min_u64(len, b->size - g);
	if (part) {
		struct qcow2_sub *s = sub_new(r, DISK_READ, g, part, false);

		if (!s)
			return -ENOMEM;
		disk_submit(b, &s->req);
	}
	qcow2_iovcur_zero(&r->cur, len - part);
	return 0;
}

struct qcow2_csub {
	struct qcow2_comp c;
	struct qcow2_req *r;
	uint64_t off;			/* in the cluster */
	uint64_t len;
	unsigned iovcnt;
	struct iovec iov[];
};

static void csub_done(struct qcow2_comp *c, int ret)
{
	struct qcow2_csub *s = c->opaque;
	struct qcow2_req *r = s->r;

	if (!ret)
		qcow2_iov_from_buf(s->iov, s->iovcnt, c->out + s->off, s->len);
	qcow2_comp_fini(c);
	free(s);
	qcow2_sub_done(r, ret);
}

static int read_compressed(struct qcow2_req *r, const struct qcow2_map *m,
			   uint64_t off, uint64_t len)
{
	unsigned cnt = qcow2_iovcur_count(&r->cur, len);
	struct qcow2_csub *s = calloc(1, sizeof(*s) + cnt * sizeof(struct iovec));
	int ret;

	if (!s)
		return -ENOMEM;
	s->r = r;
	s->off = off;
	s->len = len;
	s->iovcnt = cnt;
	s->c.done = csub_done;
	s->c.opaque = s;
	ret = qcow2_comp_start(r->q, &s->c, m);
	if (ret) {
		free(s);
		return ret;
	}
	qcow2_iovcur_take(&r->cur, len, s->iov);
	r->inflight++;
	return 0;
}

/* == Steps == */

/* Can cluster i of a read run follow its first cluster m0? */
static bool read_run_continues(const struct qcow2 *q, const struct qcow2_map *m0,
			       const struct qcow2_map *m, uint64_t i)
{
	switch (m0->kind) {
	case QCOW2_UNALLOC:
		return m->kind == QCOW2_UNALLOC;
	case QCOW2_ZERO:
	case QCOW2_ZERO_ALLOC:
		return m->kind == QCOW2_ZERO || m->kind == QCOW2_ZERO_ALLOC;
	case QCOW2_NORMAL:
		return m->kind == QCOW2_NORMAL &&
		       m->host == m0->host + (i << q->cluster_bits);
	default:
		return false;
	}
}

static int step_read(struct qcow2_req *r, uint64_t g, uint64_t rem)
{
	struct qcow2 *q = r->q;
	uint64_t idx, n, i, off = qcow2_cluster_off(q, g), len;
	struct qcow2_map m0, m;
	struct qcow2_table *t;
	int ret;

	ret = qcow2_l2_get(q, g, &r->wait, &t, &idx);
	if (!ret)
		ret = qcow2_map_at(q, t, idx, &m0);
	if (ret)
		return ret;
	n = qcow2_clusters_in_table(q, g, rem);
	for (i = 1; i < n; i++)
		if (qcow2_map_at(q, t, idx + i, &m) || !read_run_continues(q, &m0, &m, i))
			break;
	len = min_u64(rem, (i << q->cluster_bits) - off);
	switch (m0.kind) {
	case QCOW2_ZERO:
	case QCOW2_ZERO_ALLOC:
		qcow2_iovcur_zero(&r->cur, len);
		break;
	case QCOW2_UNALLOC:
		ret = read_backing(r, g, len);
		break;
	case QCOW2_NORMAL:
		ret = read_host(r, m0.host + off, len);
		break;
	case QCOW2_COMPRESSED:
		ret = read_compressed(r, &m0, off, len);
		break;
	}
	if (!ret)
		r->pos += len;
	return ret;
}

/* A new, empty L2 table for guest offset g (qcow2.txt "L1 table entry"). */
static int new_l2(struct qcow2_req *r, uint64_t g)
{
	struct qcow2 *q = r->q;
	uint64_t host, got;
	int ret;

	ret = qcow2_table_reserve(&q->l2c, 1, &r->wait);
	if (!ret)
		ret = qcow2_alloc_clusters(q, 1, &r->wait, &host, &got);
	if (ret)
		return ret;
	qcow2_table_new(&q->l2c, host);
	qcow2_l1_set(q, qcow2_l1_index(q, g), host | QCOW2_OFLAG_COPIED);
	return 0;
}

/*
 * The L2 table a write to g changes, made if there is none: 0 with *t,
 * -EAGAIN parked, -errno.  A write waits first for an allocating write
 * in flight to the cluster.
 */
static int table_for_write(struct qcow2_req *r, uint64_t g, bool make,
			   struct qcow2_table **t, uint64_t *idx)
{
	struct qcow2 *q = r->q;
	struct qcow2_run *run = qcow2_run_find(q, g, 1);
	uint64_t l2;
	int ret;

	*t = NULL;
	if (run) {
		qcow2_run_wait(run, &r->wait);
		return -EAGAIN;
	}
	ret = qcow2_l1_lookup(q, g, &l2);
	if (ret)
		return ret;
	if (!l2 && !make)
		return 0;
	if (!l2) {
		ret = new_l2(r, g);
		if (ret)
			return ret;
	} else if (!(q->l1[qcow2_l1_index(q, g)] & QCOW2_OFLAG_COPIED)) {
		/* A shared L2 table (internal snapshots): not written here. */
		return qcow2_set_corrupt(q, "L1 entry %" PRIu64 " is shared (no "
					 "COPIED flag)", qcow2_l1_index(q, g));
	}
	return qcow2_l2_get(q, g, &r->wait, t, idx);
}

/*
 * A write that must be durable when it completes (write-through, FUA)
 * found its mapping in table t: if that mapping (t, or the L1 entry that
 * leads to it) is not durable yet, the request waits for a write-back
 * cycle too, or a crash could lose the mapping of data it acknowledged.
 */
static void sync_if_mapping_dirty(struct qcow2_req *r, const struct qcow2_table *t)
{
	struct qcow2 *q = r->q;

	if (!qcow2_write_through(q) && !(r->req->flags & DISK_REQ_FUA))
		return;
	if ((t && (t->dirty || t->writing)) || q->l1_dirty_lo != UINT64_MAX ||
	    q->cycle.running)
		r->needs_sync = true;
}

static int write_in_place(struct qcow2_req *r, const struct qcow2_table *t,
			  uint64_t idx, uint64_t g, uint64_t rem, bool zeros,
			  const struct qcow2_map *m0)
{
	struct qcow2 *q = r->q;
	uint64_t n = qcow2_clusters_in_table(q, g, rem), i, len;
	uint64_t off = qcow2_cluster_off(q, g);
	struct qcow2_sub *s;
	struct qcow2_map m;

	/* Zeros take an iovec entry per cluster (qcow2_src_take()). */
	if (zeros && n > DISK_MAX_IOV)
		n = DISK_MAX_IOV;
	for (i = 1; i < n; i++)
		if (qcow2_map_at(q, t, idx + i, &m) || m.kind != QCOW2_NORMAL ||
		    !m.copied || m.host != m0->host + (i << q->cluster_bits))
			break;
	len = min_u64(rem, (i << q->cluster_bits) - off);
	/* Data written over a table we hold would be lost or corrupt it. */
	if (qcow2_tcache_overlaps(&q->l2c, m0->host, i << q->cluster_bits) ||
	    qcow2_tcache_overlaps(&q->rbc, m0->host, i << q->cluster_bits))
		return qcow2_set_corrupt(q, "data cluster %#" PRIx64 " is also a "
					 "metadata table", m0->host);
	s = sub_new(r, DISK_WRITE, m0->host + off, len, zeros);
	if (!s)
		return -ENOMEM;
	s->req.flags = r->req->flags & DISK_REQ_FUA;
	wcache_submit(q->d->file.cache, &s->req);
	r->pos += len;
	sync_if_mapping_dirty(r, t);
	return 0;
}

static int step_write(struct qcow2_req *r, uint64_t g, uint64_t rem, bool zeros)
{
	struct qcow2 *q = r->q;
	struct qcow2_table *t;
	struct qcow2_map m0;
	uint64_t idx;
	int ret;

	ret = table_for_write(r, g, true, &t, &idx);
	if (!ret)
		ret = qcow2_map_at(q, t, idx, &m0);
	if (ret)
		return ret;
	if (m0.kind == QCOW2_NORMAL && m0.copied)
		return write_in_place(r, t, idx, g, rem, zeros, &m0);
	return qcow2_write_alloc(r, t, rem, zeros);
}

/*
 * What DISCARD or WRITE_ZEROES turns an entry into (see the top of the
 * file); false when it stays.
 */
static bool zero_change(const struct qcow2 *q, const struct disk_req *req,
			const struct qcow2_map *m, uint64_t *e)
{
	bool v3 = q->h.version >= 3, unmap = req->flags & DISK_REQ_UNMAP;

	if (m->kind == QCOW2_UNALLOC && !q->has_backing)
		return false;
	if (!v3) {
		if (q->has_backing)	/* DISCARD only: WRITE_ZEROES writes zeros */
			return false;
		*e = 0;
		return true;
	}
	if (req->op == DISK_DISCARD) {
		if (m->kind == QCOW2_ZERO)
			return false;
		*e = q->has_backing ? QCOW2_OFLAG_ZERO : 0;
		return true;
	}
	switch (m->kind) {
	case QCOW2_ZERO:
		return false;
	case QCOW2_ZERO_ALLOC:
		if (!unmap)
			return false;
		break;
	case QCOW2_NORMAL:
		if (!unmap && m->copied) {
			/* Keep the owned cluster allocated, reading as zeros. */
			*e = m->host | QCOW2_OFLAG_COPIED | QCOW2_OFLAG_ZERO;
			return true;
		}
		break;
	default:
		break;
	}
	*e = QCOW2_OFLAG_ZERO;
	return true;
}

static int zero_clusters(struct qcow2_req *r, uint64_t g, uint64_t len)
{
	struct qcow2 *q = r->q;
	/* Unallocated clusters over a backing file need the zero flag (v3). */
	bool make = q->h.version >= 3 && q->has_backing;
	uint64_t n = qcow2_clusters_in_table(q, g, len), idx, i, e;
	struct qcow2_table *t;
	struct qcow2_map m;
	bool changed = false;
	int ret;

	ret = table_for_write(r, g, make, &t, &idx);
	if (ret)
		return ret;
	for (i = 0; t && i < n; i++) {
		if (i && qcow2_run_find(q, g + (i << q->cluster_bits), 1))
			break;
		ret = qcow2_map_at(q, t, idx + i, &m);
		if (ret && !i)
			return ret;
		if (ret)
			break;
		if (!zero_change(q, r->req, &m, &e))
			continue;
		qcow2_table_set_entry(t, idx + i, e);
		if (!(e & QCOW2_OFFSET_MASK))
			qcow2_free_entry(q, &m);
		changed = true;
	}
	if (changed)
		qcow2_table_dirty(t);
	if (r->req->op == DISK_WRITE_ZEROES)
		sync_if_mapping_dirty(r, t);
	r->pos += t ? i << q->cluster_bits : n << q->cluster_bits;
	return 0;
}

static int zero_partial(struct qcow2_req *r, uint64_t g, uint64_t len)
{
	struct qcow2_table *t;
	struct qcow2_map m;
	uint64_t idx;
	int ret;

	ret = qcow2_l2_get(r->q, g, &r->wait, &t, &idx);
	if (!ret)
		ret = qcow2_map_at(r->q, t, idx, &m);
	if (ret)
		return ret;
	if (qcow2_reads_zero(r->q, g, &m)) {
		sync_if_mapping_dirty(r, t);
		r->pos += len;
		return 0;
	}
	return step_write(r, g, len, true);
}

static int step_zero(struct qcow2_req *r, uint64_t g, uint64_t rem)
{
	struct qcow2 *q = r->q;
	uint64_t off = qcow2_cluster_off(q, g), len;

	if (r->req->op == DISK_WRITE_ZEROES && q->h.version < 3 && q->has_backing)
		return step_write(r, g, rem, true);
	if (off || rem < q->cluster_size) {
		len = min_u64(rem, q->cluster_size - off);
		if (r->req->op == DISK_DISCARD) {
			r->pos += len;
			return 0;
		}
		return zero_partial(r, g, len);
	}
	return zero_clusters(r, g, rem & ~(q->cluster_size - 1));
}

/* == The request == */

static int step(struct qcow2_req *r)
{
	uint64_t g = r->req->offset + r->pos, rem = r->req->len - r->pos;

	switch (r->req->op) {
	case DISK_READ:
		return step_read(r, g, rem);
	case DISK_WRITE:
		return step_write(r, g, rem, false);
	default:
		return step_zero(r, g, rem);
	}
}

static void synced(struct qcow2_wait *w, int err)
{
	struct qcow2_req *r = REQ_OF(w);

	r->parked = false;
	if (err && !r->err)
		r->err = err;
	qcow2_complete(r);
}

static void maybe_finish(struct qcow2_req *r)
{
	if (r->inflight || r->parked)
		return;
	if (!r->err && r->needs_sync) {
		/* Write-through: the metadata this write changed must be durable too. */
		r->needs_sync = false;
		r->parked = true;
		r->wait.fn = synced;
		qcow2_sync_wait(r->q, &r->wait);
		return;
	}
	qcow2_complete(r);
}

static void req_run(struct qcow2_req *r)
{
	while (r->pos < r->req->len && !r->err) {
		int ret = step(r);

		if (ret == -EAGAIN) {
			r->parked = true;
			return;
		}
		if (ret)
			r->err = ret;
	}
	maybe_finish(r);
}

static void woken(struct qcow2_wait *w, int err)
{
	struct qcow2_req *r = REQ_OF(w);

	r->parked = false;
	if (err && !r->err)
		r->err = err;
	req_run(r);
}

void qcow2_sub_done(struct qcow2_req *r, int ret)
{
	r->inflight--;
	if (ret && !r->err)
		r->err = ret;
	maybe_finish(r);
}

void qcow2_req_start(struct qcow2 *q, struct disk_req *req, struct qcow2_req *r)
{
	memset(r, 0, sizeof(*r));
	r->q = q;
	r->req = req;
	r->cur.iov = req->iov;
	r->cur.cnt = req->iovcnt;
	r->wait.fn = woken;
	switch (req->op) {
	case DISK_FLUSH:
		if (!q->writable) {
			qcow2_complete(r);
			return;
		}
		r->parked = true;
		r->wait.fn = synced;
		qcow2_sync_wait(q, &r->wait);
		return;
	case DISK_READ:
		break;
	default:
		/* A corrupt image is not written to (qcow2.txt "Corrupt bit"). */
		if (q->corrupt) {
			r->err = -EIO;
			qcow2_complete(r);
			return;
		}
		break;
	}
	req_run(r);
}
