// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * disk/qcow2-table.c - a bounded cache of cluster-sized metadata tables
 * (L2 tables, refcount blocks: qcow2.txt "Cluster mapping", "Host cluster
 * management"), least recently used first out.
 *
 * Tables are loaded with a READ through the image's write cache, so a
 * table written back (and still only in the cache) reads back as written.
 * A request that needs a table not in memory parks on its load and is
 * retried when it arrives.  Only clean tables are evicted: a dirty one
 * waits for a write-back cycle (qcow2-meta.c), one being written waits for
 * its write, a pinned one for the allocating writes going into it.
 */
#include <errno.h>
#include <stdlib.h>

#include "disk/qcow2-internal.h"

#define TABLE_ALIGN	4096u	/* the cache may bounce less, but needn't */

void qcow2_waitlist_init(struct qcow2_waitlist *l)
{
	l->head = NULL;
	l->tail = &l->head;
}

void qcow2_waitlist_add(struct qcow2_waitlist *l, struct qcow2_wait *w)
{
	w->next = NULL;
	*l->tail = w;
	l->tail = &w->next;
}

bool qcow2_waitlist_empty(const struct qcow2_waitlist *l)
{
	return !l->head;
}

void qcow2_waitlist_wake(struct qcow2_waitlist *l, int err)
{
	struct qcow2_wait *w = l->head, *next;

	qcow2_waitlist_init(l);
	for (; w; w = next) {
		next = w->next;
		w->next = NULL;
		w->fn(w, err);
	}
}

void qcow2_waitlist_splice(struct qcow2_waitlist *to, struct qcow2_waitlist *from)
{
	if (!from->head)
		return;
	*to->tail = from->head;
	to->tail = from->tail;
	qcow2_waitlist_init(from);
}

int qcow2_tcache_init(struct qcow2_tcache *c, struct qcow2 *q, unsigned n)
{
	unsigned i;

	memset(c, 0, sizeof(*c));
	c->slots = calloc(n, sizeof(*c->slots));
	if (!c->slots)
		return -ENOMEM;
	c->q = q;
	c->n = n;
	qcow2_waitlist_init(&c->slot_waiters);
	for (i = 0; i < n; i++) {
		c->slots[i].cache = c;
		qcow2_waitlist_init(&c->slots[i].waiters);
	}
	return 0;
}

void qcow2_tcache_fini(struct qcow2_tcache *c)
{
	unsigned i;

	for (i = 0; c->slots && i < c->n; i++)
		free(c->slots[i].buf);
	free(c->slots);
	c->slots = NULL;
}

static bool evictable(const struct qcow2_table *t)
{
	return !t->loading && !t->dirty && !t->writing && !t->pins &&
	       qcow2_waitlist_empty(&t->waiters);
}

/*
 * A slot to use: an unused one with a buffer, else the least recently used
 * clean table, else an unused one without a buffer yet.
 */
static struct qcow2_table *victim(struct qcow2_tcache *c)
{
	struct qcow2_table *best = NULL, *bare = NULL;
	unsigned i;

	for (i = 0; i < c->n; i++) {
		struct qcow2_table *t = &c->slots[i];

		if (!t->host && t->buf)
			return t;
		if (!t->host) {
			if (!bare)
				bare = t;
			continue;
		}
		if (evictable(t) && (!best || t->lru < best->lru))
			best = t;
	}
	return best ? best : bare;
}

static int slot_buf(struct qcow2_tcache *c, struct qcow2_table *t)
{
	if (t->buf)
		return 0;
	if (posix_memalign((void **)&t->buf, TABLE_ALIGN, c->q->cluster_size))
		return -ENOMEM;
	return 0;
}

static struct qcow2_table *find(struct qcow2_tcache *c, uint64_t host)
{
	unsigned i;

	for (i = 0; i < c->n; i++)
		if (c->slots[i].host == host)
			return &c->slots[i];
	return NULL;
}

static void park_for_slot(struct qcow2_tcache *c, struct qcow2_wait *w)
{
	if (w)
		qcow2_waitlist_add(&c->slot_waiters, w);
	/* Dirty tables become evictable after a write-back. */
	qcow2_meta_kick_later(c->q, true);
}

static void load_done(struct disk_req *req, int ret)
{
	struct qcow2_table *t = req->opaque;
	struct qcow2_tcache *c = t->cache;

	t->loading = false;
	if (ret) {
		t->host = 0;
		qcow2_waitlist_wake(&t->waiters, ret);
		qcow2_tcache_wake_slots(c);
	} else {
		t->lru = ++c->clock;
		qcow2_waitlist_wake(&t->waiters, 0);
		/* Now evictable: a request waiting for any slot may take it. */
		qcow2_tcache_wake_slots(c);
	}
	qcow2_unplug_all(c->q);
}

static void load(struct qcow2_tcache *c, struct qcow2_table *t, uint64_t host)
{
	t->host = host;
	t->loading = true;
	t->dirty = false;
	t->iov.iov_base = t->buf;
	t->iov.iov_len = c->q->cluster_size;
	memset(&t->io, 0, sizeof(t->io));
	t->io.op = DISK_READ;
	t->io.offset = host;
	t->io.len = c->q->cluster_size;
	t->io.iov = &t->iov;
	t->io.iovcnt = 1;
	t->io.done = load_done;
	t->io.opaque = t;
	c->loads++;
	wcache_submit(c->q->d->file.cache, &t->io);
}

int qcow2_table_get(struct qcow2_tcache *c, uint64_t host, struct qcow2_wait *w,
		    struct qcow2_table **out)
{
	struct qcow2_table *t = find(c, host);
	int ret;

	if (t && !t->loading) {
		t->lru = ++c->clock;
		*out = t;
		return 0;
	}
	if (!t) {
		t = victim(c);
		if (!t) {
			park_for_slot(c, w);
			return -EAGAIN;
		}
		ret = slot_buf(c, t);
		if (ret)
			return ret;
		load(c, t, host);
	}
	if (w)
		qcow2_waitlist_add(&t->waiters, w);
	return -EAGAIN;
}

int qcow2_table_reserve(struct qcow2_tcache *c, unsigned n, struct qcow2_wait *w)
{
	unsigned i, have = 0;

	for (i = 0; i < c->n && have < n; i++) {
		struct qcow2_table *t = &c->slots[i];

		if (t->host && !evictable(t))
			continue;
		if (slot_buf(c, t))
			return -ENOMEM;
		have++;
	}
	if (have >= n)
		return 0;
	park_for_slot(c, w);
	return -EAGAIN;
}

struct qcow2_table *qcow2_table_new(struct qcow2_tcache *c, uint64_t host)
{
	struct qcow2_table *t = victim(c);

	/* qcow2_table_reserve() found this slot, with its buffer, just now. */
	t->host = host;
	t->loading = false;
	t->writing = false;
	t->dirty = false;
	t->lru = ++c->clock;
	memset(t->buf, 0, c->q->cluster_size);
	qcow2_table_dirty(t);
	return t;
}

void qcow2_table_dirty(struct qcow2_table *t)
{
	if (t->dirty)
		return;
	t->dirty = true;
	t->cache->ndirty++;
	qcow2_meta_dirtied(t->cache->q);
}

void qcow2_table_pin(struct qcow2_table *t)
{
	t->pins++;
}

void qcow2_table_unpin(struct qcow2_table *t)
{
	if (--t->pins == 0)
		qcow2_tcache_wake_slots(t->cache);
}

bool qcow2_tcache_overlaps(const struct qcow2_tcache *c, uint64_t off, uint64_t len)
{
	unsigned i;

	for (i = 0; i < c->n; i++) {
		uint64_t h = c->slots[i].host;

		if (h && h < off + len && off < h + c->q->cluster_size)
			return true;
	}
	return false;
}

void qcow2_tcache_wake_slots(struct qcow2_tcache *c)
{
	qcow2_waitlist_wake(&c->slot_waiters, 0);
}
