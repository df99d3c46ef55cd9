/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * disk/cache-extent.h - the write cache's building blocks (private to
 * disk/cache.c): reference-counted data buffers, extents (a byte range of
 * the file and the cached bytes for it), ordered sets of disjoint extents
 * (skip lists keyed by offset), and iovec copy helpers.
 *
 * An extent points into a buffer; when a later write splits an extent,
 * both halves keep pointing into the one buffer (no copy), so a buffer
 * lives until the last extent using it is gone.  Two extents never cover
 * the same bytes of a buffer.
 *
 * A set keeps its extents disjoint and sorted by offset, so the only
 * extent starting before an offset that can cover it is the one right
 * before it.  Search, insert and remove are O(log n) expected; walking to
 * the next extent is O(1).  A set never allocates: extents carry their own
 * links (the node's height is drawn when the extent is allocated).
 */
#ifndef VMAIN_MONITOR_DISK_CACHE_EXTENT_H
#define VMAIN_MONITOR_DISK_CACHE_EXTENT_H

#include <stdalign.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

/* Levels of the skip lists: with p = 1/4, 4^16 extents before it thins. */
#define WC_MAX_LEVEL	16

struct wc_buf {
	unsigned refs;			/* extents pointing into it */
	uint64_t cap;			/* bytes of data[] */
	alignas(16) unsigned char data[];
};

struct wc_ext {
	uint64_t off, len;		/* bytes of the file */
	unsigned char *data;		/* into buf->data */
	struct wc_buf *buf;
	uint64_t seq;			/* take order of the request it holds */
	uint64_t epoch;			/* flushes taken before it was cached */
	uint64_t run;			/* contiguous dirty bytes ending here, when cached */
	struct wc_ext *io_next;		/* the extents of one write-back write */
	unsigned level;
	struct wc_ext *next[];		/* level links */
};

struct wc_set {
	struct wc_ext *head[WC_MAX_LEVEL];
	unsigned level;			/* levels in use */
	uint64_t count;
};

static inline uint64_t wc_ext_end(const struct wc_ext *e)
{
	return e->off + e->len;
}

/* A buffer of `len` bytes with one reference, or NULL. */
struct wc_buf *wc_buf_new(uint64_t len);
/* Drops a reference; returns the bytes freed (0 while others remain). */
uint64_t wc_buf_put(struct wc_buf *b);

/* A zeroed extent of random height (`rng`: the caller's xorshift state), or NULL. */
struct wc_ext *wc_ext_alloc(uint64_t *rng);
/* Points `e` at `len` bytes of `b` from `data`, taking a reference. */
void wc_ext_attach(struct wc_ext *e, struct wc_buf *b, unsigned char *data);

void wc_set_init(struct wc_set *s);
void wc_set_insert(struct wc_set *s, struct wc_ext *e);
void wc_set_remove(struct wc_set *s, struct wc_ext *e);
/* The first extent, or NULL. */
struct wc_ext *wc_set_first(const struct wc_set *s);
/*
 * The extent covering `pos` (or NULL), and in *after the first one that
 * starts after `pos` (or NULL).
 */
struct wc_ext *wc_set_at(const struct wc_set *s, uint64_t pos, struct wc_ext **after);
/* The first extent ending after `off` that starts before `end`, or NULL. */
struct wc_ext *wc_set_overlap(const struct wc_set *s, uint64_t off, uint64_t end);

static inline struct wc_ext *wc_set_next(const struct wc_ext *e)
{
	return e->next[0];
}

/* ---- iovecs ---- */

/* A position in an iovec array, moved forward only. */
struct wc_iov_cursor {
	const struct iovec *iov;
	unsigned cnt, idx;
	size_t seg_off;			/* into iov[idx] */
	uint64_t pos;			/* bytes from the start of the array */
};

void wc_iov_cursor_init(struct wc_iov_cursor *cur, const struct iovec *iov,
			unsigned cnt);
/* Moves to byte `pos` (>= the current one). */
void wc_iov_seek(struct wc_iov_cursor *cur, uint64_t pos);
/* Copies `n` bytes from the cursor out to `dst`, or in from `src`; moves on. */
void wc_iov_read(struct wc_iov_cursor *cur, void *dst, uint64_t n);
void wc_iov_write(struct wc_iov_cursor *cur, const void *src, uint64_t n);
/*
 * Describes `n` bytes from the cursor in `out` (one entry per segment
 * touched, at most `max`); moves on.  Returns the entries used, or 0 if
 * `max` is too few.
 */
unsigned wc_iov_slice(struct wc_iov_cursor *cur, uint64_t n, struct iovec *out,
		      unsigned max);

/* Are every segment's address and length multiples of `align`? */
bool wc_iov_aligned(const struct iovec *iov, unsigned cnt, uint32_t align);

#endif
