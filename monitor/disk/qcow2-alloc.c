// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * disk/qcow2-alloc.c - refcounts and cluster allocation (qcow2.txt "Host
 * cluster management").
 *
 * New clusters come from a bump pointer at the end of the image; freed
 * clusters are never reused, so nothing still in flight to a freed cluster
 * can land on new data.  A cluster's refcount is set in memory when it is
 * allocated (a refcount block covering it is created there, at the end,
 * when the table has none; the refcount table is grown, to a new place at
 * the end, when it is full).  Decrements wait in free lists until the L2
 * change that dropped the reference is durable (qcow2-meta.c); a cluster
 * whose count reaches zero gets its hole punched.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include "disk/qcow2-internal.h"

/* "Refcount block entry": refcount_bits wide, bit 0 the least significant. */
uint64_t qcow2_rb_get(const struct qcow2 *q, const uint8_t *block, uint64_t i)
{
	unsigned bits = q->refcount_bits, shift;

	switch (bits) {
	case 64:
		return qcow2_be64(block + i * 8);
	case 32:
		return qcow2_be32(block + i * 4);
	case 16:
		return qcow2_be16(block + i * 2);
	case 8:
		return block[i];
	default:
		shift = (unsigned)((i * bits) % 8);
		return (block[i * bits / 8] >> shift) & ((1u << bits) - 1);
	}
}

void qcow2_rb_set(const struct qcow2 *q, uint8_t *block, uint64_t i, uint64_t v)
{
	unsigned bits = q->refcount_bits, shift, mask;
	uint8_t *p;

	switch (bits) {
	case 64:
		qcow2_put64(block + i * 8, v);
		return;
	case 32:
		qcow2_put32(block + i * 4, (uint32_t)v);
		return;
	case 16:
		qcow2_put16(block + i * 2, (uint16_t)v);
		return;
	case 8:
		block[i] = (uint8_t)v;
		return;
	default:
		shift = (unsigned)((i * bits) % 8);
		mask = ((1u << bits) - 1) << shift;
		p = &block[i * bits / 8];
		*p = (uint8_t)((*p & ~mask) | ((v << shift) & mask));
		return;
	}
}

static void rt_set(struct qcow2 *q, uint64_t ti, uint64_t off)
{
	q->rt[ti] = off;
	if (q->rt_dirty_lo == UINT64_MAX || ti < q->rt_dirty_lo)
		q->rt_dirty_lo = ti;
	if (ti + 1 > q->rt_dirty_hi)
		q->rt_dirty_hi = ti + 1;
	qcow2_meta_dirtied(q);
}

static int rt_entry_ok(struct qcow2 *q, uint64_t ti)
{
	uint64_t e = q->rt[ti];

	if ((e & QCOW2_RT_RESERVED) || (e & (q->cluster_size - 1)) ||
	    !qcow2_host_range_ok(q, e, q->cluster_size))
		return qcow2_set_corrupt(q, "refcount table entry %" PRIu64 " (%#"
					 PRIx64 ") is invalid", ti, e);
	return 0;
}

/* A new refcount block at the end of the image for table entry `ti`: it counts itself. */
static int new_block(struct qcow2 *q, uint64_t ti, struct qcow2_wait *w)
{
	uint64_t off = q->alloc_end, k = off >> q->cluster_bits;
	struct qcow2_table *t;
	int ret;

	ret = qcow2_table_reserve(&q->rbc, 1, w);
	if (ret)
		return ret;
	t = qcow2_table_new(&q->rbc, off);
	qcow2_rb_set(q, t->buf, k & ((1ull << q->rb_bits) - 1), 1);
	rt_set(q, ti, off);
	q->alloc_end += q->cluster_size;
	return 0;
}

/*
 * The size of a new refcount table at cluster `t0`, and how many new
 * refcount blocks (placed right after it) count it and themselves.
 */
static int grow_size(struct qcow2 *q, uint64_t t0, uint64_t *clusters,
		     uint64_t *blocks)
{
	uint64_t old = q->rt_clusters, per_block = 1ull << q->rb_bits;
	uint64_t cl = old + (old < per_block ? old : per_block), nb = 1, prev;
	unsigned tries;

	for (tries = 0; tries < 64; tries++) {
		uint64_t last;

		do {
			prev = nb;
			last = t0 + cl + nb - 1;
			nb = (last >> q->rb_bits) - (t0 >> q->rb_bits) + 1;
		} while (nb != prev);
		/* The new table must have an entry for its last block. */
		if ((cl << q->cluster_bits) / 8 > (last >> q->rb_bits))
			break;
		cl = ((last >> q->rb_bits) + 1) * 8;
		cl = (cl + q->cluster_size - 1) >> q->cluster_bits;
	}
	if (cl << q->cluster_bits > QCOW2_MAX_RT_BYTES || nb > q->rbc.n / 2 ||
	    tries == 64)
		return -ENOSPC;
	*clusters = cl;
	*blocks = nb;
	return 0;
}

static struct qcow2_table **new_blocks(struct qcow2 *q, uint64_t *rt, uint64_t t0,
				       uint64_t cl, uint64_t nb)
{
	struct qcow2_table **b = calloc(nb, sizeof(*b));
	uint64_t first_ti = t0 >> q->rb_bits, i, k;

	if (!b)
		return NULL;
	for (i = 0; i < nb; i++) {
		uint64_t off = (t0 + cl + i) << q->cluster_bits;

		b[i] = qcow2_table_new(&q->rbc, off);
		rt[first_ti + i] = off;
	}
	/* Count the table's clusters and the blocks'. */
	for (k = t0; k < t0 + cl + nb; k++)
		qcow2_rb_set(q, b[(k >> q->rb_bits) - first_ti]->buf,
			     k & ((1ull << q->rb_bits) - 1), 1);
	return b;
}

/*
 * The refcount table is full: a bigger copy goes at the end of the image
 * with the blocks that count it; the header points at it once it is
 * durable (qcow2-meta.c), and the old one is freed after that.
 */
static int grow_table(struct qcow2 *q, struct qcow2_wait *w)
{
	uint64_t t0 = q->alloc_end >> q->cluster_bits, cl, nb, entries, *rt;
	struct qcow2_table **b;
	int ret;

	ret = grow_size(q, t0, &cl, &nb);
	if (ret)
		return ret;
	ret = qcow2_table_reserve(&q->rbc, (unsigned)nb, w);
	if (ret)
		return ret;
	entries = (cl << q->cluster_bits) / 8;
	rt = calloc(entries, 8);
	if (!rt)
		return -ENOMEM;
	memcpy(rt, q->rt, q->rt_entries * 8);
	b = new_blocks(q, rt, t0, cl, nb);
	if (!b) {
		free(rt);
		return -ENOMEM;
	}
	free(b);
	qcow2_free_add(&q->rt_retired, q->rt_offset, q->rt_clusters, q->cluster_size);
	free(q->rt);
	q->rt = rt;
	q->rt_entries = entries;
	q->rt_offset = t0 << q->cluster_bits;
	q->rt_clusters = (uint32_t)cl;
	q->rt_moved = true;
	q->rt_dirty_lo = UINT64_MAX;
	q->rt_dirty_hi = 0;
	q->alloc_end = (t0 + cl + nb) << q->cluster_bits;
	q->stats.rt_grown++;
	qcow2_meta_dirtied(q);
	return 0;
}

/*
 * The refcount block for cluster index k, loaded: 0; 1 when a block or a
 * table was placed at the end first (the caller starts over); -EAGAIN;
 * -errno.
 */
static int block_for(struct qcow2 *q, uint64_t k, struct qcow2_wait *w,
		     struct qcow2_table **out)
{
	uint64_t ti = k >> q->rb_bits;
	int ret;

	if (ti >= q->rt_entries) {
		ret = grow_table(q, w);
		return ret ? ret : 1;
	}
	if (!q->rt[ti]) {
		ret = new_block(q, ti, w);
		return ret ? ret : 1;
	}
	ret = rt_entry_ok(q, ti);
	if (ret)
		return ret;
	return qcow2_table_get(&q->rbc, q->rt[ti], w, out);
}

int qcow2_alloc_clusters(struct qcow2 *q, uint64_t n, struct qcow2_wait *w,
			 uint64_t *host, uint64_t *got)
{
	uint64_t done = 0, first = 0;

	while (done < n) {
		uint64_t off = q->alloc_end, k = off >> q->cluster_bits;
		struct qcow2_table *b;
		int ret;

		if (off + q->cluster_size > QCOW2_MAX_SIZE)
			ret = -ENOSPC;
		else
			/* Once some are allocated, take them rather than wait. */
			ret = block_for(q, k, done ? NULL : w, &b);
		if (ret == 1 && !done)
			continue;
		if (ret && done)
			break;
		if (ret)
			return ret;
		if (qcow2_rb_get(q, b->buf, k & ((1ull << q->rb_bits) - 1)))
			return qcow2_set_corrupt(q, "cluster %#" PRIx64 " past the "
						 "end of the image has a refcount", off);
		qcow2_rb_set(q, b->buf, k & ((1ull << q->rb_bits) - 1), 1);
		qcow2_table_dirty(b);
		q->alloc_end += q->cluster_size;
		if (!done)
			first = off;
		done++;
	}
	*host = first;
	*got = done;
	return 0;
}

/* == Free lists == */

void qcow2_free_add(struct qcow2_freelist *l, uint64_t off, uint64_t n,
		    uint64_t cluster_size)
{
	struct qcow2_free *last = l->len > l->head ? &l->v[l->len - 1] : NULL;

	if (last && last->off + last->n * cluster_size == off) {
		last->n += n;
		return;
	}
	if (l->len == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct qcow2_free *v = realloc(l->v, cap * sizeof(*v));

		/* Out of memory: the clusters leak (a leak is consistent). */
		if (!v)
			return;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->len].off = off;
	l->v[l->len].n = n;
	l->len++;
}

bool qcow2_freelist_empty(const struct qcow2_freelist *l)
{
	return l->head == l->len;
}

void qcow2_freelist_move(struct qcow2_freelist *to, struct qcow2_freelist *from,
			 uint64_t cluster_size)
{
	size_t i;

	for (i = from->head; i < from->len; i++)
		qcow2_free_add(to, from->v[i].off, from->v[i].n, cluster_size);
	from->head = from->len = 0;
}

void qcow2_freelist_fini(struct qcow2_freelist *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}

void qcow2_free_entry(struct qcow2 *q, const struct qcow2_map *m)
{
	uint64_t cs = q->cluster_size, first, last;

	switch (m->kind) {
	case QCOW2_NORMAL:
	case QCOW2_ZERO_ALLOC:
		qcow2_free_add(&q->frees_pending, m->host, 1, cs);
		break;
	case QCOW2_COMPRESSED:
		/* Every host cluster its sectors touch holds one reference. */
		first = m->host & ~(cs - 1);
		last = (m->host + m->csize - 1) & ~(cs - 1);
		qcow2_free_add(&q->frees_pending, first, (last - first) / cs + 1, cs);
		break;
	default:
		return;
	}
	qcow2_meta_dirtied(q);
}

/* == Applying frees == */

static void punch_done(struct disk_req *req, int ret)
{
	(void)ret;	/* a hole not punched only costs space */
	free(req);
}

static void punch(struct qcow2 *q, uint64_t *start, uint64_t *len)
{
	struct disk_req *req;

	if (!*len)
		return;
	req = calloc(1, sizeof(*req));
	if (req) {
		req->op = DISK_DISCARD;
		req->offset = *start;
		req->len = *len;
		req->done = punch_done;
		wcache_submit(q->d->file.cache, req);
	}
	*len = 0;
}

/* One cluster's decrement: 0, -EAGAIN parked, or -ENOSPC (no slot, try later). */
static int free_one(struct qcow2 *q, uint64_t off, struct qcow2_wait *w,
		    bool *zero)
{
	uint64_t k = off >> q->cluster_bits, ti = k >> q->rb_bits, v, i;
	struct qcow2_table *b;
	int ret;

	*zero = false;
	if (ti >= q->rt_entries || !q->rt[ti] || rt_entry_ok(q, ti)) {
		qcow2_set_corrupt(q, "freeing cluster %#" PRIx64 " without a "
				  "refcount block", off);
		return 0;
	}
	ret = qcow2_table_get(&q->rbc, q->rt[ti], NULL, &b);
	if (ret == -EAGAIN) {
		/* Not in memory: load it if a slot is free, else leave it for later. */
		if (qcow2_table_reserve(&q->rbc, 1, NULL))
			return -ENOSPC;
		ret = qcow2_table_get(&q->rbc, q->rt[ti], w, &b);
	}
	if (ret)
		return ret;
	i = k & ((1ull << q->rb_bits) - 1);
	v = qcow2_rb_get(q, b->buf, i);
	if (!v) {
		qcow2_set_corrupt(q, "freeing cluster %#" PRIx64 " with refcount 0", off);
		return 0;
	}
	qcow2_rb_set(q, b->buf, i, v - 1);
	qcow2_table_dirty(b);
	q->stats.frees++;
	*zero = v == 1;
	return 0;
}

int qcow2_apply_frees(struct qcow2 *q, struct qcow2_wait *w)
{
	struct qcow2_freelist *l = &q->frees_ready;
	uint64_t pstart = 0, plen = 0;
	int ret = 0;

	while (!qcow2_freelist_empty(l)) {
		struct qcow2_free *f = &l->v[l->head];
		bool zero;

		ret = free_one(q, f->off, w, &zero);
		if (ret == -EAGAIN || ret == -ENOSPC)
			break;
		/* A block that cannot be read: this cluster leaks. */
		if (zero && pstart + plen == f->off) {
			plen += q->cluster_size;
		} else if (zero) {
			punch(q, &pstart, &plen);
			pstart = f->off;
			plen = q->cluster_size;
		}
		f->off += q->cluster_size;
		if (!--f->n)
			l->head++;
		ret = 0;
	}
	punch(q, &pstart, &plen);
	if (qcow2_freelist_empty(l))
		l->head = l->len = 0;
	return ret;
}
