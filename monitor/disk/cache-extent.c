// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * disk/cache-extent.c - buffers, extents, extent sets and iovec helpers of
 * the write cache (see cache-extent.h).
 *
 * The sets are skip lists (W. Pugh, "Skip Lists: A Probabilistic
 * Alternative to Balanced Trees", CACM 33(6), 1990) with p = 1/4: a node
 * of height h is linked on levels 0..h-1, level 0 is the sorted list.
 * Searching for a key walks right on each level while the next node
 * starts before the key, then drops a level; the node it ends on is the
 * last one starting before the key.
 */
#include <stdlib.h>
#include <string.h>

#include "disk/cache-extent.h"

struct wc_buf *wc_buf_new(uint64_t len)
{
	struct wc_buf *b;

	if (len > SIZE_MAX - sizeof(*b))
		return NULL;
	b = malloc(sizeof(*b) + len);
	if (!b)
		return NULL;
	b->refs = 1;
	b->cap = len;
	return b;
}

uint64_t wc_buf_put(struct wc_buf *b)
{
	uint64_t cap = b->cap;

	if (--b->refs)
		return 0;
	free(b);
	return cap;
}

/* xorshift64 (G. Marsaglia, "Xorshift RNGs", JSS 8(14), 2003). */
static uint64_t wc_rand(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

struct wc_ext *wc_ext_alloc(uint64_t *rng)
{
	uint64_t r = wc_rand(rng);
	unsigned level = 1;
	struct wc_ext *e;

	/* Each further level with probability 1/4: two random bits each. */
	while (level < WC_MAX_LEVEL && !(r & 3)) {
		level++;
		r >>= 2;
	}
	e = calloc(1, sizeof(*e) + level * sizeof(e->next[0]));
	if (e)
		e->level = level;
	return e;
}

void wc_ext_attach(struct wc_ext *e, struct wc_buf *b, unsigned char *data)
{
	b->refs++;
	e->buf = b;
	e->data = data;
}

void wc_set_init(struct wc_set *s)
{
	memset(s, 0, sizeof(*s));
	s->level = 1;
}

/*
 * Finds the link arrays after which a node keyed `key` goes: upd[i] is the
 * links of the last node on level i starting before `key` (or the head).
 * Returns upd[0].
 */
static struct wc_ext **wc_set_find(const struct wc_set *s, uint64_t key,
				   struct wc_ext ***upd)
{
	struct wc_ext **links = (struct wc_ext **)s->head;
	int i;

	for (i = (int)s->level - 1; i >= 0; i--) {
		while (links[i] && links[i]->off < key)
			links = links[i]->next;
		if (upd)
			upd[i] = links;
	}
	return links;
}

/* The node owning a link array, or NULL for the head's. */
static struct wc_ext *wc_set_owner(const struct wc_set *s, struct wc_ext **links)
{
	if (links == (struct wc_ext **)s->head)
		return NULL;
	return (struct wc_ext *)((char *)links - offsetof(struct wc_ext, next));
}

void wc_set_insert(struct wc_set *s, struct wc_ext *e)
{
	struct wc_ext **upd[WC_MAX_LEVEL];
	unsigned i;

	wc_set_find(s, e->off, upd);
	for (i = s->level; i < e->level; i++)
		upd[i] = s->head;
	if (e->level > s->level)
		s->level = e->level;
	for (i = 0; i < e->level; i++) {
		e->next[i] = upd[i][i];
		upd[i][i] = e;
	}
	s->count++;
}

void wc_set_remove(struct wc_set *s, struct wc_ext *e)
{
	struct wc_ext **upd[WC_MAX_LEVEL];
	unsigned i;

	wc_set_find(s, e->off, upd);
	for (i = 0; i < e->level; i++)
		upd[i][i] = e->next[i];
	while (s->level > 1 && !s->head[s->level - 1])
		s->level--;
	s->count--;
}

struct wc_ext *wc_set_first(const struct wc_set *s)
{
	return s->head[0];
}

struct wc_ext *wc_set_at(const struct wc_set *s, uint64_t pos,
			 struct wc_ext **after)
{
	struct wc_ext **links = wc_set_find(s, pos + 1, NULL);
	struct wc_ext *e = wc_set_owner(s, links);

	/* e is the last extent starting at or before pos. */
	*after = links[0];
	return e && wc_ext_end(e) > pos ? e : NULL;
}

struct wc_ext *wc_set_overlap(const struct wc_set *s, uint64_t off, uint64_t end)
{
	struct wc_ext *after, *e = wc_set_at(s, off, &after);

	if (e)
		return e;
	return after && after->off < end ? after : NULL;
}

/* ---- iovecs ---- */

void wc_iov_cursor_init(struct wc_iov_cursor *cur, const struct iovec *iov,
			unsigned cnt)
{
	cur->iov = iov;
	cur->cnt = cnt;
	cur->idx = 0;
	cur->seg_off = 0;
	cur->pos = 0;
}

/* Skips empty segments and the end of a finished one. */
static void wc_iov_settle(struct wc_iov_cursor *cur)
{
	while (cur->idx < cur->cnt && cur->seg_off == cur->iov[cur->idx].iov_len) {
		cur->idx++;
		cur->seg_off = 0;
	}
}

void wc_iov_seek(struct wc_iov_cursor *cur, uint64_t pos)
{
	uint64_t n = pos - cur->pos;

	wc_iov_settle(cur);
	while (n && cur->idx < cur->cnt) {
		size_t room = cur->iov[cur->idx].iov_len - cur->seg_off;
		size_t step = n < room ? (size_t)n : room;

		cur->seg_off += step;
		n -= step;
		wc_iov_settle(cur);
	}
	cur->pos = pos;
}

/* Walks `n` bytes from the cursor, copying out to dst or in from src. */
static void wc_iov_walk(struct wc_iov_cursor *cur, void *dst, const void *src,
			uint64_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	wc_iov_settle(cur);
	cur->pos += n;
	while (n && cur->idx < cur->cnt) {
		unsigned char *seg = (unsigned char *)cur->iov[cur->idx].iov_base +
				     cur->seg_off;
		size_t room = cur->iov[cur->idx].iov_len - cur->seg_off;
		size_t step = n < room ? (size_t)n : room;

		if (d) {
			memcpy(d, seg, step);
			d += step;
		} else {
			memcpy(seg, s, step);
			s += step;
		}
		cur->seg_off += step;
		n -= step;
		wc_iov_settle(cur);
	}
}

void wc_iov_read(struct wc_iov_cursor *cur, void *dst, uint64_t n)
{
	wc_iov_walk(cur, dst, NULL, n);
}

void wc_iov_write(struct wc_iov_cursor *cur, const void *src, uint64_t n)
{
	wc_iov_walk(cur, NULL, src, n);
}

/* Segments that `n` bytes from the cursor touch (the cursor stays). */
static unsigned wc_iov_count(const struct wc_iov_cursor *cur, uint64_t n)
{
	struct wc_iov_cursor c = *cur;
	unsigned used = 0;

	wc_iov_settle(&c);
	while (n && c.idx < c.cnt) {
		size_t room = c.iov[c.idx].iov_len - c.seg_off;
		size_t step = n < room ? (size_t)n : room;

		used++;
		c.seg_off += step;
		n -= step;
		wc_iov_settle(&c);
	}
	return used;
}

unsigned wc_iov_slice(struct wc_iov_cursor *cur, uint64_t n, struct iovec *out,
		      unsigned max)
{
	unsigned used = 0;

	if (wc_iov_count(cur, n) > max)
		return 0;
	wc_iov_settle(cur);
	cur->pos += n;
	while (n && cur->idx < cur->cnt) {
		size_t room = cur->iov[cur->idx].iov_len - cur->seg_off;
		size_t step = n < room ? (size_t)n : room;

		out[used].iov_base = (unsigned char *)cur->iov[cur->idx].iov_base +
				     cur->seg_off;
		out[used].iov_len = step;
		used++;
		cur->seg_off += step;
		n -= step;
		wc_iov_settle(cur);
	}
	return used;
}

bool wc_iov_aligned(const struct iovec *iov, unsigned cnt, uint32_t align)
{
	unsigned i;

	for (i = 0; i < cnt; i++) {
		if ((uintptr_t)iov[i].iov_base % align || iov[i].iov_len % align)
			return false;
	}
	return true;
}
