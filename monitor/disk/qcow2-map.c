// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * disk/qcow2-map.c - guest offset -> host cluster: the L1 table (in memory
 * whole) and the L2 tables (in the table cache), qcow2.txt "Cluster
 * mapping".  Every entry is checked where it is read: reserved bits,
 * alignment, inside the allocated area, clear of the header and of the L1
 * and refcount tables.  A bad entry marks the image corrupt and fails
 * the request that met it with -EIO.
 */
#include <errno.h>
#include <inttypes.h>

#include "disk/qcow2-internal.h"

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

bool qcow2_host_range_ok(const struct qcow2 *q, uint64_t off, uint64_t len)
{
	uint64_t cs = q->cluster_size;
	uint64_t l1_len = ((uint64_t)q->h.l1_size * 8 + cs - 1) & ~(cs - 1);

	if (off < cs || off > q->alloc_end || len > q->alloc_end - off)
		return false;
	if (l1_len && overlaps(off, len, q->h.l1_offset, l1_len))
		return false;
	return !overlaps(off, len, q->rt_offset, (uint64_t)q->rt_clusters << q->cluster_bits);
}

static int decode_compressed(struct qcow2 *q, uint64_t e, struct qcow2_map *m)
{
	uint64_t host = e & q->coffset_mask;
	uint64_t sectors = ((e >> q->csize_shift) & q->csize_mask) + 1;
	uint64_t start = host & ~(uint64_t)(DISK_SECTOR - 1);

	/* "Compressed Clusters Descriptor": offset bits past 55 must be 0. */
	if ((e & QCOW2_OFLAG_COPIED) || host >> 56 ||
	    !qcow2_host_range_ok(q, start, sectors * DISK_SECTOR))
		return qcow2_set_corrupt(q, "compressed L2 entry %#" PRIx64
					 " is invalid", e);
	m->kind = QCOW2_COMPRESSED;
	m->host = host;
	m->csize = start + sectors * DISK_SECTOR - host;
	return 0;
}

/* "L2 table entry" and "Standard Cluster Descriptor". */
int qcow2_decode_l2(struct qcow2 *q, uint64_t e, struct qcow2_map *m)
{
	uint64_t off = e & QCOW2_OFFSET_MASK;
	bool zero = e & QCOW2_OFLAG_ZERO;

	memset(m, 0, sizeof(*m));
	m->entry = e;
	if (e & QCOW2_OFLAG_COMPRESSED)
		return decode_compressed(q, e, m);
	/* Bit 0 is the zero flag in version 3 only; reserved in version 2. */
	if ((e & QCOW2_L2_RESERVED) || (zero && q->h.version < 3))
		goto bad;
	m->copied = e & QCOW2_OFLAG_COPIED;
	if (!off) {
		if (zero)
			m->kind = QCOW2_ZERO;
		else if (!e)
			m->kind = QCOW2_UNALLOC;
		else
			goto bad;	/* offset 0 is the header: only with a data file */
		m->copied = false;
		return 0;
	}
	if (off & (q->cluster_size - 1) || !qcow2_host_range_ok(q, off, q->cluster_size))
		goto bad;
	m->kind = zero ? QCOW2_ZERO_ALLOC : QCOW2_NORMAL;
	m->host = off;
	return 0;
bad:
	return qcow2_set_corrupt(q, "L2 entry %#" PRIx64 " is invalid", e);
}

/* "L1 table entry". */
int qcow2_l1_lookup(struct qcow2 *q, uint64_t g, uint64_t *l2_off)
{
	uint64_t i = qcow2_l1_index(q, g), e, off;

	if (i >= q->h.l1_size)
		return qcow2_set_corrupt(q, "guest offset %" PRIu64 " is past the "
					 "L1 table", g);
	e = q->l1[i];
	*l2_off = 0;
	if (!e)
		return 0;
	off = e & QCOW2_OFFSET_MASK;
	if ((e & QCOW2_L1_RESERVED) || !off || off & (q->cluster_size - 1) ||
	    !qcow2_host_range_ok(q, off, q->cluster_size))
		return qcow2_set_corrupt(q, "L1 entry %" PRIu64 " (%#" PRIx64
					 ") is invalid", i, e);
	*l2_off = off;
	return 0;
}

int qcow2_l2_get(struct qcow2 *q, uint64_t g, struct qcow2_wait *w,
		 struct qcow2_table **t, uint64_t *idx)
{
	uint64_t off;
	int ret;

	*t = NULL;
	*idx = qcow2_l2_index(q, g);
	ret = qcow2_l1_lookup(q, g, &off);
	if (ret || !off)
		return ret;
	return qcow2_table_get(&q->l2c, off, w, t);
}

void qcow2_l1_set(struct qcow2 *q, uint64_t i, uint64_t entry)
{
	q->l1[i] = entry;
	if (q->l1_dirty_lo == UINT64_MAX || i < q->l1_dirty_lo)
		q->l1_dirty_lo = i;
	if (i + 1 > q->l1_dirty_hi)
		q->l1_dirty_hi = i + 1;
	qcow2_meta_dirtied(q);
}

uint64_t qcow2_clusters_in_table(const struct qcow2 *q, uint64_t g, uint64_t len)
{
	unsigned span_bits = q->cluster_bits + q->l2_bits;
	uint64_t table_end = ((g >> span_bits) + 1) << span_bits;
	uint64_t end = len < table_end - g ? g + len : table_end;

	return ((end - 1) >> q->cluster_bits) - (g >> q->cluster_bits) + 1;
}

int qcow2_map_at(struct qcow2 *q, const struct qcow2_table *t, uint64_t idx,
		 struct qcow2_map *m)
{
	if (!t) {
		memset(m, 0, sizeof(*m));
		m->kind = QCOW2_UNALLOC;
		return 0;
	}
	return qcow2_decode_l2(q, qcow2_table_entry(t, idx), m);
}
