// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cache-test.c - the write-coalescing cache (monitor/disk/cache*.c) over the
 * real I/O loop and io_uring engine on temporary files, the loop turned by
 * hand: random mixes of reads, writes, discards, write-zeroes and flushes
 * checked against a model (cache-model.h) in every mode, coalescing of a
 * sequential stream, flush ordering, the dirty bound, the guest's
 * write-cache switch, FUA, engine errors, age-based write-back, the
 * WRITE_ZEROES fallback, write-through merging, bad requests, closing
 * from another thread, and DISCARD on a block device (BLKDISCARD in the
 * worker pool, faked); and the extent sets on their own.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/falloc.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache-model.h"
#include "disk/cache-extent.h"
#include "disk/cache.h"
#include "disk/uring.h"
#include "io/ioloop.h"
#include "io/pool.h"
#include "tap.h"

#define KIB		(1ull << 10)
#define MIB		(1ull << 20)
#define DISK_SIZE	(64 * MIB)
#define HOT_SIZE	(4 * MIB)	/* half the random ops land here: overlaps */
#define MAX_SEGS	6
#define MIX_QD		32
#define STORM_QD	64
#define TIMEOUT_NS	(60ll * 1000 * 1000 * 1000)

static char tmpdir[PATH_MAX];
static unsigned file_seq;

/* xorshift64: the tests' one source of randomness, seeded per test. */
static uint64_t rnd(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	*s = x;
	return x;
}

/* ---- the extent sets (cache-extent.c) against a bitmap ---- */

#define SET_UNITS	4096		/* the key space, in units */

/*
 * Random disjoint extents inserted and removed (also trimmed in place at
 * the head, as the cache does); after each step wc_set_at() and
 * wc_set_overlap() answer as a plain owner-per-unit array says.
 */
static void test_extent_set(void)
{
	struct wc_ext *owner[SET_UNITS] = { 0 }, *e, *after, *want;
	uint64_t rng = 0x5e75e701, pos, len, u, mismatches = 0, steps;
	struct wc_set set;

	wc_set_init(&set);
	for (steps = 0; steps < 20000; steps++) {
		pos = rnd(&rng) % SET_UNITS;
		e = owner[pos];
		if (e && rnd(&rng) % 3 == 0 && e->len > 1) {
			/* Trim the head in place: the key moves, the order stays. */
			owner[e->off] = NULL;
			e->off++;
			e->len--;
		} else if (e) {
			for (u = e->off; u < wc_ext_end(e); u++)
				owner[u] = NULL;
			wc_set_remove(&set, e);
			free(e);
		} else {
			for (len = 0; len < 1 + rnd(&rng) % 16 && pos + len < SET_UNITS &&
				      !owner[pos + len]; len++)
				;
			e = wc_ext_alloc(&rng);
			e->off = pos;
			e->len = len;
			for (u = pos; u < pos + len; u++)
				owner[u] = e;
			wc_set_insert(&set, e);
		}
		pos = rnd(&rng) % SET_UNITS;
		e = wc_set_at(&set, pos, &after);
		for (u = pos + 1; u < SET_UNITS && (!owner[u] || owner[u] == owner[pos]); u++)
			;
		want = u < SET_UNITS ? owner[u] : NULL;
		mismatches += e != owner[pos] || after != want;
		len = 1 + rnd(&rng) % 32;
		for (want = NULL, u = pos; u < pos + len && u < SET_UNITS && !want; u++)
			want = owner[u];
		mismatches += wc_set_overlap(&set, pos, pos + len) != want;
	}
	tap_ok(!mismatches, "extent set: 20000 random steps agree with a plain array "
	       "(%llu did not, %llu extents at the end)", (unsigned long long)mismatches,
	       (unsigned long long)set.count);
	while ((e = wc_set_first(&set))) {
		wc_set_remove(&set, e);
		free(e);
	}
	tap_ok(set.count == 0 && set.level == 1, "extent set: empties");
}

/* ---- a cache over a fresh file ---- */

struct env {
	char path[PATH_MAX + 32];
	int fd;				/* the engine's */
	int vfd;			/* plain, for checking with pread */
	struct ioloop *loop;
	struct uring_engine *eng;
	struct wcache *c;
};

/* A loop, an engine on `fd` (the env's now) and a cache.  0 or -errno. */
static int env_open_fd(struct env *v, int fd, const struct wcache_config *cfg)
{
	int ret;

	v->fd = fd;
	ret = ioloop_create(&v->loop);
	if (ret)
		return ret;
	ret = uring_engine_create(&v->eng, v->loop, v->fd, URING_DEFAULT_DEPTH);
	if (ret)
		return ret;
	return wcache_create(&v->c, v->loop, v->eng, cfg);
}

/*
 * A new file of `size` bytes (zeros), the engine on it opened with `flags`
 * (O_RDWR, O_RDWR | O_DIRECT, O_RDONLY...), and a cache.  0 or -errno.
 */
static int env_open(struct env *v, int flags, uint64_t size,
		    const struct wcache_config *cfg)
{
	int fd;

	memset(v, 0, sizeof(*v));
	v->fd = v->vfd = -1;
	snprintf(v->path, sizeof(v->path), "%s/disk%u", tmpdir, file_seq++);
	v->vfd = open(v->path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (v->vfd < 0)
		return -errno;
	if (ftruncate(v->vfd, (off_t)size))
		return -errno;
	fd = open(v->path, flags | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	return env_open_fd(v, fd, cfg);
}

/* Closes what env_open() got, however far it got. */
static void env_close(struct env *v)
{
	wcache_destroy(v->c);
	uring_engine_destroy(v->eng);
	ioloop_destroy(v->loop);
	if (v->fd >= 0)
		close(v->fd);
	if (v->vfd >= 0)
		close(v->vfd);
	if (v->path[0])
		unlink(v->path);
}

static bool env_ok(struct env *v, int ret, const char *what)
{
	if (!tap_ok(ret == 0, "%s: set up (%s)", what, ret ? strerror(-ret) : "ok")) {
		env_close(v);
		return false;
	}
	return true;
}

/* Turns the loop until *flag is set or 60 s pass; returns *flag. */
static bool turn_until(struct env *v, const bool *flag)
{
	int64_t end = ioloop_now_ns() + TIMEOUT_NS;

	while (!*flag && ioloop_now_ns() < end)
		ioloop_run_once(v->loop, 20);
	return *flag;
}

/* Turns the loop until the cache has no request left. */
static bool settle(struct env *v)
{
	int64_t end = ioloop_now_ns() + TIMEOUT_NS;

	while (wcache_pending(v->c) && ioloop_now_ns() < end)
		ioloop_run_once(v->loop, 20);
	return !wcache_pending(v->c);
}

/* Turns the loop for `ms` milliseconds. */
static void turn_for(struct env *v, int ms)
{
	int64_t end = ioloop_now_ns() + (int64_t)ms * 1000000;

	while (ioloop_now_ns() < end)
		ioloop_run_once(v->loop, 5);
}

/* ---- one request at a time ---- */

struct one {
	struct disk_req req;
	struct iovec iov;
	bool done;
	int ret;
	void (*hook)(struct one *o);	/* in done() */
	void *arg;
};

static void one_done(struct disk_req *req, int ret)
{
	struct one *o = req->opaque;

	o->done = true;
	o->ret = ret;
	if (o->hook)
		o->hook(o);
}

static void one_prep(struct one *o, enum disk_op op, uint32_t flags,
		     uint64_t off, uint64_t len, void *buf)
{
	memset(o, 0, sizeof(*o));
	o->req.op = op;
	o->req.flags = flags;
	o->req.offset = off;
	o->req.len = len;
	if (buf) {
		o->iov.iov_base = buf;
		o->iov.iov_len = len;
		o->req.iov = &o->iov;
		o->req.iovcnt = 1;
	}
	o->req.done = one_done;
	o->req.opaque = o;
}

static void one_submit(struct env *v, struct one *o)
{
	wcache_submit(v->c, &o->req);
	wcache_unplug(v->c);
}

/* Submits one request and turns the loop until it is done: its result. */
static int one_run(struct env *v, enum disk_op op, uint32_t flags, uint64_t off,
		   uint64_t len, void *buf)
{
	struct one o;

	one_prep(&o, op, flags, off, len, buf);
	one_submit(v, &o);
	if (!turn_until(v, &o.done))
		return -ETIMEDOUT;
	return o.ret;
}

/* Writes version `ver` of [off, off + len) through the cache. */
static int write_ver(struct env *v, struct model *m, uint32_t ver, uint32_t flags,
		     uint64_t off, uint64_t len)
{
	unsigned char *buf = malloc(len);
	int ret;

	if (!buf)
		return -ENOMEM;
	model_fill(ver, off, len, buf);
	ret = one_run(v, DISK_WRITE, flags, off, len, buf);
	if (!ret && m)
		model_set(m, ver, off, len);
	free(buf);
	return ret;
}

/* Does the file (pread) hold version `ver` of [off, off + len)? */
static bool file_has(struct env *v, uint32_t ver, uint64_t off, uint64_t len)
{
	unsigned char *want = malloc(len), *got = malloc(len);
	bool same;

	model_fill(ver, off, len, want);
	same = pread(v->vfd, got, len, (off_t)off) == (ssize_t)len &&
	       !memcmp(want, got, len);
	free(want);
	free(got);
	return same;
}

/* Does a read through the cache return version `ver` of [off, off + len)? */
static bool cache_has(struct env *v, uint32_t ver, uint64_t off, uint64_t len)
{
	unsigned char *want = malloc(len), *got = malloc(len);
	bool same;

	model_fill(ver, off, len, want);
	same = one_run(v, DISK_READ, 0, off, len, got) == 0 && !memcmp(want, got, len);
	free(want);
	free(got);
	return same;
}

/* ---- random requests ---- */

/*
 * A request with buffers split into a few segments.  The buffers are the
 * owner's, allocated once (no allocator churn per request): `mem` is 4 KiB
 * aligned and TREQ_MEM bytes, `flat` TREQ_MAX bytes of scratch that may be
 * shared (it is used only inside a call).
 */
#define TREQ_MAX	(256 * KIB)
#define TREQ_MEM	(TREQ_MAX + 4096)

struct treq {
	struct disk_req req;
	struct iovec iov[MAX_SEGS];
	unsigned char *mem, *flat;
	bool busy, done;
	int ret;
	uint32_t ver;			/* writes: the version written */
	void (*on_done)(struct treq *t);
	void *owner;
};

static void treq_done(struct disk_req *req, int ret)
{
	struct treq *t = req->opaque;

	t->done = true;
	t->ret = ret;
	if (t->on_done)
		t->on_done(t);
}

/* An array of `n` requests with their own `mem`, sharing `flat`. */
static struct treq *treqs_new(unsigned n, unsigned char *flat)
{
	struct treq *t = calloc(n, sizeof(*t));
	unsigned i;
	void *mem;

	for (i = 0; t && i < n; i++) {
		if (posix_memalign(&mem, 4096, TREQ_MEM))
			abort();
		t[i].mem = mem;
		t[i].flat = flat;
	}
	return t;
}

static void treqs_free(struct treq *t, unsigned n)
{
	unsigned i;

	for (i = 0; t && i < n; i++)
		free(t[i].mem);
	free(t);
}

/* Clears `t` for a new request, keeping its buffers. */
static void treq_reset(struct treq *t, void (*on_done)(struct treq *t), void *owner)
{
	unsigned char *mem = t->mem, *flat = t->flat;

	memset(t, 0, sizeof(*t));
	t->mem = mem;
	t->flat = flat;
	t->req.done = treq_done;
	t->req.opaque = t;
	t->on_done = on_done;
	t->owner = owner;
}

/*
 * Segments for `len` bytes (at most TREQ_MAX) in up to MAX_SEGS pieces.
 * `aligned`: 4 KiB aligned memory and segment lengths in whole sectors
 * (what O_DIRECT takes as is); otherwise any address and any split.
 */
static void treq_buffers(struct treq *t, uint64_t len, bool aligned, uint64_t *rng)
{
	uint64_t cut[MAX_SEGS + 1], pos;
	unsigned n = 1 + rnd(rng) % MAX_SEGS, i, j;
	size_t shift = aligned ? 0 : 1 + rnd(rng) % 63;
	unsigned char *p;

	/* Sorted cut points; segment i is [cut[i], cut[i+1]), empty ones dropped. */
	cut[0] = 0;
	for (i = 1; i < n; i++) {
		pos = rnd(rng) % len;
		if (aligned)
			pos -= pos % MODEL_SECTOR;
		cut[i] = pos;
	}
	cut[n] = len;
	for (i = 1; i < n; i++) {
		for (j = i; j > 1 && cut[j - 1] > cut[j]; j--) {
			pos = cut[j];
			cut[j] = cut[j - 1];
			cut[j - 1] = pos;
		}
	}
	p = t->mem + shift;
	t->req.iovcnt = 0;
	for (i = 0; i < n; i++) {
		if (cut[i + 1] == cut[i])
			continue;
		t->iov[t->req.iovcnt].iov_base = p + cut[i];
		t->iov[t->req.iovcnt].iov_len = cut[i + 1] - cut[i];
		t->req.iovcnt++;
	}
	t->req.iov = t->iov;
}

/* Scatters version `ver` of the request's range into its buffers. */
static void treq_fill(struct treq *t, uint32_t ver)
{
	uint64_t pos = 0;
	unsigned i;

	model_fill(ver, t->req.offset, t->req.len, t->flat);
	for (i = 0; i < t->req.iovcnt; i++) {
		memcpy(t->iov[i].iov_base, t->flat + pos, t->iov[i].iov_len);
		pos += t->iov[i].iov_len;
	}
}

/* ---- (1) random mixes against the model ---- */

struct mix {
	const char *name;
	struct env *v;
	struct model m;
	uint64_t rng;			/* the requests */
	uint64_t batch_rng;		/* how they are batched */
	uint32_t ver;
	bool direct;
	struct treq *t;			/* MIX_QD slots */
	unsigned char *flat;
	unsigned busy;
	unsigned reads, writes, fuas, discards, zeroes, flushes;
	unsigned bad_reads, errors;
};

static bool is_modify(enum disk_op op)
{
	return op == DISK_WRITE || op == DISK_DISCARD || op == DISK_WRITE_ZEROES;
}

/*
 * Reads are compared when done, so the model must not change under one:
 * no read overlaps a write in flight, no write overlaps a read in flight.
 * Writes may overlap each other (the cache keeps their order).
 */
static bool mix_conflicts(const struct mix *mx, const struct disk_req *r)
{
	const struct disk_req *o;
	unsigned i;

	if (r->op == DISK_FLUSH)
		return false;
	for (i = 0; i < MIX_QD; i++) {
		if (!mx->t[i].busy)
			continue;
		o = &mx->t[i].req;
		if (o->op == DISK_FLUSH ||
		    !(o->offset < r->offset + r->len && r->offset < o->offset + o->len))
			continue;
		if ((o->op == DISK_READ) != (r->op == DISK_READ))
			return true;
	}
	return false;
}

static void mix_done(struct treq *t)
{
	struct mix *mx = t->owner;
	uint64_t bad;

	if (t->ret) {
		if (!mx->errors++)
			tap_diag("%s: op %d at %llu+%llu: %s", mx->name, t->req.op,
				 (unsigned long long)t->req.offset,
				 (unsigned long long)t->req.len, strerror(-t->ret));
	} else if (t->req.op == DISK_READ) {
		model_gather(t->iov, t->req.iovcnt, mx->flat);
		bad = model_diff(&mx->m, t->req.offset, t->req.len, mx->flat);
		if (bad != UINT64_MAX && !mx->bad_reads++)
			tap_diag("%s: read %llu+%llu differs at %llu (model version %u)",
				 mx->name, (unsigned long long)t->req.offset,
				 (unsigned long long)t->req.len, (unsigned long long)bad,
				 mx->m.ver[bad / MODEL_SECTOR]);
	}
	t->busy = false;
	mx->busy--;
}

/* A random range: sectors log-uniform up to `max_sectors`, offsets often hot. */
static void mix_range(struct mix *mx, unsigned max_sectors, uint64_t *off,
		      uint64_t *len)
{
	uint64_t sectors = 1 + rnd(&mx->rng) % (1u << (rnd(&mx->rng) % 10));
	uint64_t span = rnd(&mx->rng) % 2 ? HOT_SIZE : DISK_SIZE;

	if (sectors > max_sectors)
		sectors = max_sectors;
	*len = sectors * MODEL_SECTOR;
	*off = rnd(&mx->rng) % ((span - *len) / MODEL_SECTOR + 1) * MODEL_SECTOR;
}

/*
 * Draws the next request into `t` (data included): 40% reads, 50% writes
 * (2% of them FUA), 4% discards, 5% write-zeroes, 1% flushes.
 */
static void mix_draw(struct mix *mx, struct treq *t)
{
	unsigned r = rnd(&mx->rng) % 100;
	bool aligned = mx->direct && rnd(&mx->rng) % 5;
	struct disk_req *q = &t->req;
	uint64_t off, len;

	treq_reset(t, mix_done, mx);
	if (r < 40) {
		q->op = DISK_READ;
	} else if (r < 90) {
		q->op = DISK_WRITE;
		if (rnd(&mx->rng) % 50 == 0)
			q->flags = DISK_REQ_FUA;
	} else if (r < 94) {
		q->op = DISK_DISCARD;
	} else if (r < 99) {
		q->op = DISK_WRITE_ZEROES;
		if (rnd(&mx->rng) % 2)
			q->flags = DISK_REQ_UNMAP;
	} else {
		q->op = DISK_FLUSH;
		return;
	}
	mix_range(mx, q->op == DISK_READ || q->op == DISK_WRITE ? 512 : 2048, &off, &len);
	q->offset = off;
	q->len = len;
	if (q->op != DISK_READ && q->op != DISK_WRITE)
		return;
	treq_buffers(t, len, aligned, &mx->rng);
	if (q->op == DISK_WRITE) {
		t->ver = ++mx->ver;
		treq_fill(t, t->ver);
	}
}

static void mix_count(struct mix *mx, const struct disk_req *q)
{
	switch (q->op) {
	case DISK_READ:
		mx->reads++;
		break;
	case DISK_WRITE:
		mx->writes++;
		mx->fuas += !!(q->flags & DISK_REQ_FUA);
		break;
	case DISK_DISCARD:
		mx->discards++;
		break;
	case DISK_WRITE_ZEROES:
		mx->zeroes++;
		break;
	case DISK_FLUSH:
		mx->flushes++;
		break;
	}
}

/* Submits `t`, updating the model for what it changes. */
static void mix_submit(struct mix *mx, struct treq *t)
{
	struct disk_req *q = &t->req;

	if (q->op == DISK_WRITE)
		model_set(&mx->m, t->ver, q->offset, q->len);
	else if (is_modify(q->op))
		model_set(&mx->m, 0, q->offset, q->len);
	mix_count(mx, q);
	t->busy = true;
	mx->busy++;
	wcache_submit(mx->v->c, q);
}

/* A slot that is neither busy nor `except` (the request drawn next). */
static struct treq *mix_slot(struct mix *mx, const struct treq *except)
{
	unsigned i;

	for (i = 0; i < MIX_QD; i++) {
		if (!mx->t[i].busy && &mx->t[i] != except)
			return &mx->t[i];
	}
	return NULL;
}

/*
 * Runs `nops` random requests, up to MIX_QD at once, in batches of 1..8
 * ended by wcache_unplug().  The sequence of requests depends on the seed
 * only (each is drawn into a free slot, then waits there while it would
 * make the model ambiguous); timing only changes how they interleave.
 */
static bool mix_run(struct mix *mx, unsigned nops)
{
	int64_t end = ioloop_now_ns() + TIMEOUT_NS;
	struct treq *next = NULL;
	struct env *v = mx->v;
	unsigned i = 0, b, batch;

	while (i < nops && ioloop_now_ns() < end) {
		batch = 1 + rnd(&mx->batch_rng) % 8;
		for (b = 0; b < batch && i < nops; b++) {
			if (!next) {
				next = mix_slot(mx, NULL);
				if (!next)
					break;
				mix_draw(mx, next);
			}
			if (mix_conflicts(mx, &next->req))
				break;
			mix_submit(mx, next);
			next = NULL;
			i++;
		}
		wcache_unplug(v->c);
		ioloop_run_once(v->loop, b ? 0 : 20);
	}
	while (mx->busy && ioloop_now_ns() < end)
		ioloop_run_once(v->loop, 20);
	return i == nops && !mx->busy;
}

static void test_mix(const char *name, int flags, const struct wcache_config *cfg,
		     unsigned nops, uint64_t seed)
{
	struct mix mx = { .name = name, .rng = seed, .batch_rng = ~seed };
	int64_t t0 = ioloop_now_ns();
	struct wcache_stats st;
	struct uring_stats us;
	struct env v;
	uint64_t bad;

	if (!env_ok(&v, env_open(&v, flags, DISK_SIZE, cfg), name))
		return;
	mx.v = &v;
	mx.direct = cfg->mode == WCACHE_DIRECT;
	mx.flat = malloc(TREQ_MAX);
	mx.t = treqs_new(MIX_QD, mx.flat);
	if (!mx.flat || !mx.t || model_init(&mx.m, DISK_SIZE)) {
		tap_ok(0, "%s: memory", name);
		goto free_all;
	}
	tap_ok(mix_run(&mx, nops), "%s: %u random requests ran to completion", name, nops);
	tap_ok(!mx.errors, "%s: no request failed (%u did)", name, mx.errors);
	tap_ok(!mx.bad_reads, "%s: every read matched the model (%u reads, %u differed)",
	       name, mx.reads, mx.bad_reads);
	tap_ok(one_run(&v, DISK_FLUSH, 0, 0, 0, NULL) == 0, "%s: final flush", name);
	bad = model_diff_file(&mx.m, v.vfd, NULL);
	tap_ok(bad == UINT64_MAX, "%s: the file matches the model after the flush", name);
	if (bad < DISK_SIZE)
		tap_diag("  first difference at byte %llu, model version %u",
			 (unsigned long long)bad, mx.m.ver[bad / MODEL_SECTOR]);
	wcache_get_stats(v.c, &st);
	uring_get_stats(v.eng, &us);
	tap_diag("%s: %u reads (%llu hits), %u writes (%u FUA), %u discards, %u zeroes, "
		 "%u flushes in %lld ms; %llu engine writes, %llu syncs, peak dirty %llu, "
		 "%llu waits", name, mx.reads, (unsigned long long)st.read_hits, mx.writes,
		 mx.fuas, mx.discards, mx.zeroes, mx.flushes,
		 (long long)((ioloop_now_ns() - t0) / 1000000), (unsigned long long)us.writes,
		 (unsigned long long)us.syncs, (unsigned long long)st.peak_dirty,
		 (unsigned long long)st.waits);
	if (cfg->max_dirty)
		tap_ok(st.peak_dirty <= cfg->max_dirty, "%s: peak dirty %llu <= max %llu",
		       name, (unsigned long long)st.peak_dirty,
		       (unsigned long long)cfg->max_dirty);
free_all:
	model_free(&mx.m);
	env_close(&v);
	treqs_free(mx.t, MIX_QD);
	free(mx.flat);
}

static void test_mixes(void)
{
	struct wcache_config wb = { .mode = WCACHE_WRITEBACK, .max_dirty = MIB,
				    .max_age_ns = 2000000 };
	struct wcache_config wb_small = { .mode = WCACHE_WRITEBACK, .max_dirty = 128 * KIB,
					  .max_age_ns = 50000000 };
	struct wcache_config wt = { .mode = WCACHE_WRITETHROUGH };
	struct wcache_config direct = { .mode = WCACHE_DIRECT };

	/*
	 * Every write-through write and every flush waits for the disk (about
	 * 3.5 ms per fdatasync here, and io_uring runs buffered writes to one
	 * file one at a time): those mixes are shorter.
	 */
	test_mix("writeback", O_RDWR, &wb, 20000, 0x5eed0001);
	test_mix("writeback, 128 KiB", O_RDWR, &wb_small, 10000, 0x5eed0002);
	test_mix("writethrough", O_RDWR, &wt, 4000, 0x5eed0003);
	test_mix("direct", O_RDWR | O_DIRECT, &direct, 10000, 0x5eed0004);
}

/* ---- (2) coalescing ---- */

static void test_coalescing(void)
{
	struct wcache_config cfg = { .mode = WCACHE_WRITEBACK,
				     .max_age_ns = 30ll * 1000 * 1000 * 1000 };
	const unsigned n = 4096, bs = 4096;
	struct wcache_stats st;
	struct uring_stats us;
	struct one *o = calloc(n, sizeof(*o));
	unsigned char *buf = malloc((size_t)n * bs);
	struct model m;
	unsigned i, failed = 0;
	struct env v;

	if (!o || !buf || model_init(&m, DISK_SIZE)) {
		tap_ok(0, "coalescing: memory");
		goto free_bufs;
	}
	if (!env_ok(&v, env_open(&v, O_RDWR, DISK_SIZE, &cfg), "coalescing"))
		goto free_model;
	for (i = 0; i < n; i++) {
		model_fill(i + 1, (uint64_t)i * bs, bs, buf + (size_t)i * bs);
		model_set(&m, i + 1, (uint64_t)i * bs, bs);
		one_prep(&o[i], DISK_WRITE, 0, (uint64_t)i * bs, bs, buf + (size_t)i * bs);
		one_submit(&v, &o[i]);
		ioloop_run_once(v.loop, 0);
	}
	tap_ok(settle(&v), "coalescing: %u sequential 4 KiB writes completed", n);
	for (i = 0; i < n; i++)
		failed += !o[i].done || o[i].ret;
	tap_ok(!failed, "coalescing: none failed (%u did)", failed);
	tap_ok(one_run(&v, DISK_FLUSH, 0, 0, 0, NULL) == 0, "coalescing: flush");
	wcache_get_stats(v.c, &st);
	uring_get_stats(v.eng, &us);
	tap_diag("coalescing: %u guest writes -> %llu engine writes of %llu bytes "
		 "(%.0fx fewer), %llu syncs", n, (unsigned long long)us.writes,
		 (unsigned long long)us.bytes_written,
		 us.writes ? (double)n / (double)us.writes : 0.0,
		 (unsigned long long)us.syncs);
	tap_ok(us.writes && us.writes * 16 <= n,
	       "coalescing: at least 16x fewer engine writes than guest writes");
	/* No extent is over 4 KiB, so no write exceeds max_write: all 1 MiB. */
	tap_ok(us.writes == n * (uint64_t)bs / MIB && us.bytes_written == n * (uint64_t)bs,
	       "coalescing: every write is 1 MiB (%llu writes of %llu bytes)",
	       (unsigned long long)us.writes, (unsigned long long)us.bytes_written);
	tap_ok(st.wb_writes == us.writes, "coalescing: wb_writes counts them (%llu)",
	       (unsigned long long)st.wb_writes);
	tap_ok(model_diff_file(&m, v.vfd, NULL) == UINT64_MAX, "coalescing: file contents");
	env_close(&v);
free_model:
	model_free(&m);
free_bufs:
	free(o);
	free(buf);
}

/* ---- (3) flush ordering ---- */

#define ORDER_SIZE	(8 * MIB)

struct order {
	struct env v;
	struct model m;			/* every write submitted so far */
	struct model snap;		/* the writes completed before the flush */
	bool *skip;			/* sectors written after the flush */
	unsigned checked, bad;
};

/* In the flush's done(): the file must hold everything completed before it. */
static void order_flush_done(struct one *o)
{
	struct order *od = o->arg;
	uint64_t bad;

	od->checked++;
	bad = model_diff_file(&od->snap, od->v.vfd, od->skip);
	if (o->ret || bad != UINT64_MAX) {
		if (!od->bad++)
			tap_diag("flush ordering: flush %u: ret %d, file differs at %llu",
				 od->checked, o->ret, (unsigned long long)bad);
	}
}

/*
 * Submits `n` random writes of up to 64 KiB from slots `t`; marks their
 * sectors in `skip` if `mark`.
 */
static void order_writes(struct order *od, struct treq *t, unsigned n, uint32_t *ver,
			 uint64_t *rng, bool mark)
{
	uint64_t len, off, s;
	unsigned i;

	for (i = 0; i < n; i++) {
		len = (1 + rnd(rng) % 128) * MODEL_SECTOR;
		off = rnd(rng) % ((ORDER_SIZE - len) / MODEL_SECTOR + 1) * MODEL_SECTOR;
		treq_reset(&t[i], NULL, NULL);
		t[i].req.op = DISK_WRITE;
		t[i].req.offset = off;
		t[i].req.len = len;
		treq_buffers(&t[i], len, false, rng);
		t[i].ver = ++*ver;
		treq_fill(&t[i], t[i].ver);
		model_set(&od->m, t[i].ver, off, len);
		for (s = off / MODEL_SECTOR; mark && s < (off + len) / MODEL_SECTOR; s++)
			od->skip[s] = true;
		wcache_submit(od->v.c, &t[i].req);
	}
	wcache_unplug(od->v.c);
}

static unsigned order_failed(const struct treq *t, unsigned n)
{
	unsigned i, failed = 0;

	for (i = 0; i < n; i++)
		failed += !t[i].done || t[i].ret;
	return failed;
}

/*
 * Rounds of: writes, all completed; a flush, and more writes behind it.
 * The flush's done() reads the file with pread: every write completed
 * before the flush must be there (the sectors written after it may hold
 * either).  The cache is small and ages fast, so write-back runs all along.
 */
static void test_flush_order(void)
{
	struct wcache_config cfg = { .mode = WCACHE_WRITEBACK, .max_dirty = 256 * KIB,
				     .max_age_ns = 5000000 };
	unsigned char *flat = malloc(TREQ_MAX);
	struct treq *t = treqs_new(32, flat);
	const unsigned rounds = 60;
	uint64_t rng = 0x0bde7001;
	unsigned r, n1, n2, failed = 0;
	struct order od = { 0 };
	uint32_t ver = 0;
	struct one f;

	if (!flat || !t || model_init(&od.m, ORDER_SIZE) ||
	    model_init(&od.snap, ORDER_SIZE) ||
	    !(od.skip = calloc(od.m.sectors, sizeof(bool)))) {
		tap_ok(0, "flush ordering: memory");
		goto free_models;
	}
	if (!env_ok(&od.v, env_open(&od.v, O_RDWR, ORDER_SIZE, &cfg), "flush ordering"))
		goto free_models;
	for (r = 0; r < rounds; r++) {
		n1 = 1 + rnd(&rng) % 16;
		order_writes(&od, t, n1, &ver, &rng, false);
		settle(&od.v);
		memcpy(od.snap.ver, od.m.ver, od.m.sectors * sizeof(*od.m.ver));
		memset(od.skip, 0, od.m.sectors * sizeof(bool));
		one_prep(&f, DISK_FLUSH, 0, 0, 0, NULL);
		f.hook = order_flush_done;
		f.arg = &od;
		wcache_submit(od.v.c, &f.req);
		n2 = rnd(&rng) % 9;
		order_writes(&od, t + 16, n2, &ver, &rng, true);
		settle(&od.v);
		failed += order_failed(t, n1) + order_failed(t + 16, n2);
	}
	tap_ok(od.checked == rounds, "flush ordering: %u flushes checked in done()",
	       od.checked);
	tap_ok(!od.bad, "flush ordering: each flush found every earlier write on the file "
	       "(%u did not)", od.bad);
	tap_ok(!failed, "flush ordering: no write failed (%u did)", failed);
	tap_ok(one_run(&od.v, DISK_FLUSH, 0, 0, 0, NULL) == 0 &&
	       model_diff_file(&od.m, od.v.vfd, NULL) == UINT64_MAX,
	       "flush ordering: the file holds every write at the end");
	env_close(&od.v);
free_models:
	free(od.skip);
	model_free(&od.snap);
	model_free(&od.m);
	treqs_free(t, 32);
	free(flat);
}

/* ---- (4) the dirty bound ---- */

struct storm {
	struct model m;
	unsigned busy, failed;
};

static void storm_done(struct treq *t)
{
	struct storm *s = t->owner;

	s->failed += !!t->ret;
	s->busy--;
	t->busy = false;
}

/* Submits a random write of up to 64 KiB from slot `t`. */
static void storm_write(struct storm *s, struct env *v, struct treq *t,
			uint32_t ver, uint64_t *rng)
{
	uint64_t len = (1 + rnd(rng) % 128) * MODEL_SECTOR;
	uint64_t off = rnd(rng) % ((DISK_SIZE - len) / MODEL_SECTOR + 1) * MODEL_SECTOR;

	treq_reset(t, storm_done, s);
	t->req.op = DISK_WRITE;
	t->req.offset = off;
	t->req.len = len;
	treq_buffers(t, len, false, rng);
	t->ver = ver;
	treq_fill(t, ver);
	model_set(&s->m, ver, off, len);
	t->busy = true;
	s->busy++;
	wcache_submit(v->c, &t->req);
}

/*
 * 10,000 random writes, STORM_QD at a time, no flush: far more than a
 * 1 MiB cache holds, so writers wait, and the bound must hold.
 */
static void test_dirty_bound(void)
{
	struct wcache_config cfg = { .mode = WCACHE_WRITEBACK, .max_dirty = MIB };
	unsigned char *flat = malloc(TREQ_MAX);
	struct treq *t = treqs_new(STORM_QD, flat);
	int64_t end = ioloop_now_ns() + TIMEOUT_NS;
	const unsigned nops = 10000;
	uint64_t rng = 0xd1271001;
	struct storm s = { 0 };
	struct wcache_stats st;
	unsigned i = 0, k;
	struct env v;

	if (!flat || !t || model_init(&s.m, DISK_SIZE)) {
		tap_ok(0, "dirty bound: memory");
		goto free_all;
	}
	if (!env_ok(&v, env_open(&v, O_RDWR, DISK_SIZE, &cfg), "dirty bound"))
		goto free_all;
	while (i < nops && ioloop_now_ns() < end) {
		for (k = 0; k < STORM_QD && i < nops; k++) {
			if (!t[k].busy) {
				i++;
				storm_write(&s, &v, &t[k], i, &rng);
			}
		}
		wcache_unplug(v.c);
		ioloop_run_once(v.loop, 20);
	}
	settle(&v);
	wcache_get_stats(v.c, &st);
	tap_diag("dirty bound: %u writes, peak dirty %llu of %llu, %llu waits, "
		 "%llu write-back writes", nops, (unsigned long long)st.peak_dirty,
		 (unsigned long long)cfg.max_dirty, (unsigned long long)st.waits,
		 (unsigned long long)st.wb_writes);
	tap_ok(i == nops && !s.busy && !s.failed,
	       "dirty bound: all %u writes completed, none failed", nops);
	tap_ok(st.peak_dirty <= cfg.max_dirty, "dirty bound: peak_dirty <= max_dirty");
	tap_ok(st.peak_dirty > cfg.max_dirty / 2, "dirty bound: the cache was used");
	tap_ok(st.waits > 0, "dirty bound: writers waited for room");
	tap_ok(one_run(&v, DISK_FLUSH, 0, 0, 0, NULL) == 0 &&
	       model_diff_file(&s.m, v.vfd, NULL) == UINT64_MAX,
	       "dirty bound: the file holds every write after a flush");
	env_close(&v);
free_all:
	model_free(&s.m);
	treqs_free(t, STORM_QD);
	free(flat);
}

/* ---- (5) the guest's write-cache switch ---- */

/* What on_file_hook() checks and finds. */
struct on_file {
	int fd;
	bool ok;
};

/* In done(): the write must be on the file already. */
static void on_file_hook(struct one *o)
{
	struct on_file *of = o->arg;
	unsigned char *got = malloc(o->req.len);

	of->ok = !o->ret && pread(of->fd, got, o->req.len, (off_t)o->req.offset) ==
			    (ssize_t)o->req.len &&
		 !memcmp(got, o->iov.iov_base, o->req.len);
	free(got);
}

/* Writes through the cache; checks in done() that the file has it. */
static bool write_durable_in_done(struct env *v, uint32_t ver, uint32_t flags,
				  uint64_t off, uint64_t len)
{
	struct on_file of = { .fd = v->vfd };
	unsigned char *buf = malloc(len);
	struct one o;

	model_fill(ver, off, len, buf);
	one_prep(&o, DISK_WRITE, flags, off, len, buf);
	o.hook = on_file_hook;
	o.arg = &of;
	one_submit(v, &o);
	turn_until(v, &o.done);
	free(buf);
	return o.done && of.ok;
}

static void test_wce_switch(void)
{
	struct wcache_config cfg = { .mode = WCACHE_WRITEBACK };
	struct wcache_stats st;
	bool cached = true, written = true, durable = true;
	struct env v;
	unsigned i;

	if (!env_ok(&v, env_open(&v, O_RDWR, DISK_SIZE, &cfg), "write-cache switch"))
		return;
	for (i = 0; i < 32; i++) {
		if (write_ver(&v, NULL, i + 1, 0, i * 64 * KIB, 8 * KIB))
			cached = false;
		cached = cached && !file_has(&v, i + 1, i * 64 * KIB, 8 * KIB);
	}
	tap_ok(cached, "write-cache switch: writeback writes complete before the file has them");
	wcache_set_writeback(v.c, false);
	tap_ok(!wcache_writeback(v.c), "write-cache switch: writeback off");
	turn_for(&v, 50);
	for (i = 0; i < 32; i++)
		written = written && file_has(&v, i + 1, i * 64 * KIB, 8 * KIB);
	wcache_get_stats(v.c, &st);
	tap_ok(written && !st.dirty, "write-cache switch: what was dirty is written back");
	for (i = 0; i < 32; i++)
		durable = durable && write_durable_in_done(&v, 100 + i, 0, i * 64 * KIB + 4 * KIB,
							   12 * KIB);
	tap_ok(durable, "write-cache switch: later writes are on the file when done");
	wcache_set_writeback(v.c, true);
	tap_ok(wcache_writeback(v.c) && !write_ver(&v, NULL, 200, 0, 0, 4 * KIB) &&
	       !file_has(&v, 200, 0, 4 * KIB) && cache_has(&v, 200, 0, 4 * KIB),
	       "write-cache switch: back on, writes are cached again");
	env_close(&v);
}

/* ---- (6) FUA ---- */

static void test_fua(void)
{
	struct wcache_config wb = { .mode = WCACHE_WRITEBACK };
	struct wcache_config direct = { .mode = WCACHE_DIRECT };
	struct env v;
	bool ok;

	if (!env_ok(&v, env_open(&v, O_RDWR, DISK_SIZE, &wb), "FUA"))
		return;
	/* Dirty data under and around it first: the FUA write must win. */
	write_ver(&v, NULL, 1, 0, 0, 64 * KIB);
	ok = write_durable_in_done(&v, 2, DISK_REQ_FUA, 8 * KIB, 16 * KIB);
	tap_ok(ok, "FUA: a writeback cache's FUA write is on the file when done");
	tap_ok(cache_has(&v, 1, 0, 8 * KIB) && cache_has(&v, 2, 8 * KIB, 16 * KIB) &&
	       cache_has(&v, 1, 24 * KIB, 40 * KIB),
	       "FUA: reads see it over the older dirty data");
	tap_ok(one_run(&v, DISK_FLUSH, 0, 0, 0, NULL) == 0 && file_has(&v, 1, 0, 8 * KIB) &&
	       file_has(&v, 2, 8 * KIB, 16 * KIB) && file_has(&v, 1, 24 * KIB, 40 * KIB),
	       "FUA: the older dirty data does not overwrite it");
	env_close(&v);
	if (!env_ok(&v, env_open(&v, O_RDWR | O_DIRECT, DISK_SIZE, &direct), "FUA direct"))
		return;
	tap_ok(write_durable_in_done(&v, 3, DISK_REQ_FUA, 4 * KIB, 8 * KIB),
	       "FUA: a direct cache's FUA write is on the file when done");
	/* The guest's cache switch on cache=none: the device's cache is volatile too. */
	tap_ok(wcache_writeback(v.c), "direct: the guest sees a volatile cache");
	wcache_set_writeback(v.c, false);
	tap_ok(!wcache_writeback(v.c) && write_durable_in_done(&v, 4, 0, 16 * KIB, 8 * KIB),
	       "direct, guest cache off: RWF_DSYNC writes, on the file when done");
	wcache_set_writeback(v.c, true);
	tap_ok(wcache_writeback(v.c), "direct, guest cache back on");
	env_close(&v);
}

/* ---- (7) engine errors ---- */

static void test_write_errors(void)
{
	struct wcache_config cfg = { .mode = WCACHE_WRITEBACK, .max_dirty = 256 * KIB };
	struct wcache_config small = { .mode = WCACHE_WRITEBACK, .max_dirty = 64 * KIB };
	struct wcache_stats st;
	unsigned char *big;
	struct env v;
	int ret;

	/* The engine's fd is read-only: every write fails with -EBADF. */
	if (!env_ok(&v, env_open(&v, O_RDONLY, DISK_SIZE, &cfg), "write errors"))
		return;
	tap_ok(!write_ver(&v, NULL, 1, 0, 0, 8 * KIB) &&
	       !write_ver(&v, NULL, 2, 0, 100 * KIB, 4 * KIB),
	       "write errors: writeback writes complete (cached)");
	ret = one_run(&v, DISK_FLUSH, 0, 0, 0, NULL);
	tap_ok(ret == -EBADF, "write errors: the flush fails with the write-back error (%d)",
	       ret);
	tap_ok(cache_has(&v, 1, 0, 8 * KIB) && cache_has(&v, 2, 100 * KIB, 4 * KIB),
	       "write errors: reads still see the data");
	wcache_get_stats(v.c, &st);
	tap_ok(st.dirty >= 12 * KIB, "write errors: the data stays dirty (%llu bytes)",
	       (unsigned long long)st.dirty);
	ret = one_run(&v, DISK_FLUSH, 0, 0, 0, NULL);
	tap_ok(ret == -EBADF, "write errors: the next flush retries and fails too (%d)", ret);
	tap_ok(!write_ver(&v, NULL, 3, 0, 4 * KIB, 8 * KIB) && cache_has(&v, 1, 0, 4 * KIB) &&
	       cache_has(&v, 3, 4 * KIB, 8 * KIB) && cache_has(&v, 2, 100 * KIB, 4 * KIB),
	       "write errors: newer writes still go over the failed data");
	big = calloc(1, MIB);
	ret = one_run(&v, DISK_WRITE, 0, MIB, MIB, big);
	tap_ok(ret == -EBADF, "write errors: a write bigger than the cache fails (%d)", ret);
	ret = one_run(&v, DISK_WRITE_ZEROES, 0, 2 * MIB, 64 * KIB, NULL);
	tap_ok(ret == -EBADF, "write errors: WRITE_ZEROES fails (%d)", ret);
	free(big);
	/* Closing cannot write it back either: it ends anyway. */
	env_close(&v);

	/* Failing write-back and no room: a write fails rather than wait for ever. */
	if (!env_ok(&v, env_open(&v, O_RDONLY, DISK_SIZE, &small), "write errors, full"))
		return;
	write_ver(&v, NULL, 1, 0, 0, 48 * KIB);
	ret = one_run(&v, DISK_FLUSH, 0, 0, 0, NULL);
	tap_ok(ret == -EBADF, "write errors, full: the flush fails (%d)", ret);
	ret = write_ver(&v, NULL, 2, 0, 64 * KIB, 32 * KIB);
	tap_ok(ret == -EBADF, "write errors, full: a write that finds no room fails (%d)", ret);
	tap_ok(!write_ver(&v, NULL, 3, 0, 8 * KIB, 8 * KIB),
	       "write errors, full: one that fits is still cached");
	env_close(&v);

	/* A write-only fd: reads of what is not cached fail. */
	if (!env_ok(&v, env_open(&v, O_WRONLY, DISK_SIZE, &cfg), "read errors"))
		return;
	big = malloc(64 * KIB);
	ret = one_run(&v, DISK_READ, 0, 0, 64 * KIB, big);
	tap_ok(ret == -EBADF, "read errors: a failed read completes with the error (%d)", ret);
	tap_ok(!write_ver(&v, NULL, 4, 0, 0, 64 * KIB) && cache_has(&v, 4, 0, 64 * KIB),
	       "read errors: a read wholly in the cache needs no file");
	free(big);
	env_close(&v);
}

/*
 * A memfd that may not grow: write-back past its end fails (-EPERM), the
 * rest of the file works.  The error is reported by the flushes that see
 * it fail; once the failing data is gone (discarded), flushes succeed.
 */
static void test_sticky_error(void)
{
	struct wcache_config cfg = { .mode = WCACHE_WRITEBACK };
	struct env v;
	int fd, ret;

	memset(&v, 0, sizeof(v));
	v.vfd = -1;
	fd = memfd_create("cache-test", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0 || ftruncate(fd, MIB) || fcntl(fd, F_ADD_SEALS, F_SEAL_GROW)) {
		tap_ok(0, "sticky error: sealed memfd");
		if (fd >= 0)
			close(fd);
		return;
	}
	v.vfd = dup(fd);
	if (!env_ok(&v, env_open_fd(&v, fd, &cfg), "sticky error"))
		return;
	write_ver(&v, NULL, 1, 0, 0, 4 * KIB);
	write_ver(&v, NULL, 2, 0, 2 * MIB, 4 * KIB);
	ret = one_run(&v, DISK_FLUSH, 0, 0, 0, NULL);
	tap_ok(ret == -EPERM && file_has(&v, 1, 0, 4 * KIB),
	       "sticky error: the flush fails, the data that could be written is (%d)", ret);
	ret = one_run(&v, DISK_FLUSH, 0, 0, 0, NULL);
	tap_ok(ret == -EPERM && cache_has(&v, 2, 2 * MIB, 4 * KIB),
	       "sticky error: the next flush retries, fails, the data is still there (%d)", ret);
	{
		/*
		 * Two flushes taken together while the write-back fails: the
		 * second must not say "durable" for data still only cached.
		 */
		struct one f1, f2;

		one_prep(&f1, DISK_FLUSH, 0, 0, 0, NULL);
		one_prep(&f2, DISK_FLUSH, 0, 0, 0, NULL);
		one_submit(&v, &f1);
		one_submit(&v, &f2);
		turn_until(&v, &f1.done);
		turn_until(&v, &f2.done);
		tap_ok(f1.done && f2.done && f1.ret == -EPERM && f2.ret == -EPERM && cache_has(&v, 2, 2 * MIB, 4 * KIB),
		       "sticky error: two flushes in a row both fail (%d, %d), the data is kept",
		       f1.ret, f2.ret);
	}
	ret = one_run(&v, DISK_DISCARD, 0, 2 * MIB, 4 * KIB, NULL);
	tap_ok(!ret, "sticky error: the failing range is discarded (%d)", ret);
	ret = one_run(&v, DISK_FLUSH, 0, 0, 0, NULL);
	tap_ok(ret == 0 && cache_has(&v, 0, 2 * MIB, 4 * KIB),
	       "sticky error: nothing fails any more, the flush succeeds (%d)", ret);
	env_close(&v);
}

/* ---- (8) age ---- */

static void test_age(void)
{
	struct wcache_config cfg = { .mode = WCACHE_WRITEBACK, .max_age_ns = 20000000 };
	int64_t t0, waited;
	struct env v;
	bool early, late = false;

	if (!env_ok(&v, env_open(&v, O_RDWR, DISK_SIZE, &cfg), "age"))
		return;
	t0 = ioloop_now_ns();
	write_ver(&v, NULL, 7, 0, 4 * MIB, 4 * KIB);
	early = file_has(&v, 7, 4 * MIB, 4 * KIB);
	while (!late && ioloop_now_ns() - t0 < 5ll * 1000 * 1000 * 1000) {
		ioloop_run_once(v.loop, 5);
		late = file_has(&v, 7, 4 * MIB, 4 * KIB);
	}
	waited = ioloop_now_ns() - t0;
	tap_ok(!early, "age: a small write is not written back at once");
	tap_ok(late, "age: it is written back without a flush after %lld ms",
	       (long long)(waited / 1000000));
	tap_ok(waited >= cfg.max_age_ns, "age: not before max_age");
	env_close(&v);
}

/* ---- WRITE_ZEROES, DISCARD, flush sharing, read hits ---- */

static void test_zeroes_fallback(void)
{
	struct wcache_config cfg = { .mode = WCACHE_WRITETHROUGH };
	unsigned char *junk = malloc(MIB);
	struct uring_stats us;
	struct env v;
	bool zeroed = true;
	unsigned i;
	int fd, ret;

	/* tmpfs punches holes but cannot zero a range in place. */
	memset(&v, 0, sizeof(v));
	v.vfd = -1;
	fd = memfd_create("cache-test", MFD_CLOEXEC);
	memset(junk, 0xa5, MIB);
	if (fd < 0 || pwrite(fd, junk, MIB, 0) != (ssize_t)MIB) {
		tap_ok(0, "WRITE_ZEROES fallback: memfd");
		free(junk);
		return;
	}
	tap_ok(fallocate(fd, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, 0, 4096) < 0 &&
	       errno == EOPNOTSUPP, "WRITE_ZEROES fallback: tmpfs refuses ZERO_RANGE");
	v.vfd = dup(fd);
	if (!env_ok(&v, env_open_fd(&v, fd, &cfg), "WRITE_ZEROES fallback")) {
		free(junk);
		return;
	}
	ret = one_run(&v, DISK_WRITE_ZEROES, 0, 64 * KIB, 512 * KIB, NULL);
	uring_get_stats(v.eng, &us);
	tap_ok(!ret && us.writes > 0,
	       "WRITE_ZEROES fallback: completes by writing zeros (%d, %llu writes)", ret,
	       (unsigned long long)us.writes);
	if (pread(v.vfd, junk, MIB, 0) != (ssize_t)MIB)
		zeroed = false;
	for (i = 0; i < MIB; i++)
		zeroed = zeroed && junk[i] == ((i >= 64 * KIB && i < 576 * KIB) ? 0 : 0xa5);
	tap_ok(zeroed, "WRITE_ZEROES fallback: exactly the range reads zeros");
	ret = one_run(&v, DISK_DISCARD, 0, 0, 64 * KIB, NULL);
	tap_ok(!ret, "DISCARD on tmpfs punches a hole (%d)", ret);
	free(junk);
	env_close(&v);
}

static void test_flush_sharing(void)
{
	struct wcache_config cfg = { .mode = WCACHE_WRITEBACK };
	struct uring_stats us;
	struct one f[3];
	struct env v;
	bool ok = true;
	unsigned i;

	if (!env_ok(&v, env_open(&v, O_RDWR, DISK_SIZE, &cfg), "flush sharing"))
		return;
	/* What was written before the cache existed is not known to be synced. */
	tap_ok(one_run(&v, DISK_FLUSH, 0, 0, 0, NULL) == 0, "flush sharing: a first flush");
	uring_get_stats(v.eng, &us);
	tap_ok(us.syncs == 1, "flush sharing: the first flush always fdatasyncs");
	write_ver(&v, NULL, 1, 0, 0, 4 * KIB);
	for (i = 0; i < 3; i++) {
		one_prep(&f[i], DISK_FLUSH, 0, 0, 0, NULL);
		wcache_submit(v.c, &f[i].req);
	}
	wcache_unplug(v.c);
	settle(&v);
	for (i = 0; i < 3; i++)
		ok = ok && f[i].done && !f[i].ret;
	uring_get_stats(v.eng, &us);
	tap_ok(ok && us.syncs == 2, "flush sharing: three flushes in a row, one fdatasync (%llu)",
	       (unsigned long long)us.syncs - 1);
	tap_ok(one_run(&v, DISK_FLUSH, 0, 0, 0, NULL) == 0,
	       "flush sharing: a flush with nothing written since");
	uring_get_stats(v.eng, &us);
	tap_ok(us.syncs == 2, "flush sharing: needs no fdatasync");
	tap_ok(file_has(&v, 1, 0, 4 * KIB), "flush sharing: the write is on the file");
	env_close(&v);
}

static void test_reads(void)
{
	struct wcache_config cfg = { .mode = WCACHE_WRITEBACK };
	struct wcache_stats st;
	unsigned char *buf = malloc(64 * KIB);
	struct model m;
	struct env v;

	model_init(&m, DISK_SIZE);
	if (!env_ok(&v, env_open(&v, O_RDWR, DISK_SIZE, &cfg), "reads"))
		goto free_bufs;
	/* On the file: version 1 of 0..64K; cached over it: 2 and 3, in pieces. */
	write_ver(&v, &m, 1, 0, 0, 64 * KIB);
	one_run(&v, DISK_FLUSH, 0, 0, 0, NULL);
	write_ver(&v, &m, 2, 0, 4 * KIB, 1 * KIB);
	write_ver(&v, &m, 3, 0, 20 * KIB, 8 * KIB);
	write_ver(&v, &m, 4, 0, 22 * KIB, 512);
	tap_ok(one_run(&v, DISK_READ, 0, 0, 64 * KIB, buf) == 0 &&
	       model_diff(&m, 0, 64 * KIB, buf) == UINT64_MAX,
	       "reads: cached pieces over file data, newest wins");
	tap_ok(cache_has(&v, 3, 20 * KIB, 2 * KIB) && cache_has(&v, 4, 22 * KIB, 512),
	       "reads: wholly cached reads");
	wcache_get_stats(v.c, &st);
	tap_ok(st.read_hits == 2 && st.reads == 3, "reads: read_hits %llu of %llu",
	       (unsigned long long)st.read_hits, (unsigned long long)st.reads);
	env_close(&v);
free_bufs:
	model_free(&m);
	free(buf);
}

/* Write-through writes taken in one batch that continue each other merge. */
static void test_wt_merge(void)
{
	struct wcache_config cfg = { .mode = WCACHE_WRITETHROUGH };
	unsigned char *buf = malloc(16 * 4 * KIB);
	struct on_file of[16];
	struct wcache_stats st;
	struct one o[16];
	bool durable = true;
	struct env v;
	unsigned i;

	if (!env_ok(&v, env_open(&v, O_RDWR, DISK_SIZE, &cfg), "write-through merge"))
		goto free_buf;
	for (i = 0; i < 16; i++) {
		model_fill(i + 1, MIB + i * 4 * KIB, 4 * KIB, buf + i * 4 * KIB);
		one_prep(&o[i], DISK_WRITE, 0, MIB + i * 4 * KIB, 4 * KIB, buf + i * 4 * KIB);
		of[i].fd = v.vfd;
		o[i].hook = on_file_hook;
		o[i].arg = &of[i];
		wcache_submit(v.c, &o[i].req);
	}
	wcache_unplug(v.c);
	settle(&v);
	for (i = 0; i < 16; i++)
		durable = durable && o[i].done && of[i].ok;
	wcache_get_stats(v.c, &st);
	tap_ok(durable, "write-through merge: every write is on the file when done");
	tap_ok(st.wb_writes == 1 && st.wb_bytes == 64 * KIB,
	       "write-through merge: 16 adjacent writes in one batch, one engine write (%llu)",
	       (unsigned long long)st.wb_writes);
	env_close(&v);
free_buf:
	free(buf);
}

/*
 * WRITEBACK, 64 KiB cache: a bigger write goes to the file over older
 * dirty data, a DISCARD over dirty data; neither may be undone by the
 * older data's write-back, and reads see the newest data all along.
 */
static void test_big_and_discard(void)
{
	struct wcache_config cfg = { .mode = WCACHE_WRITEBACK, .max_dirty = 64 * KIB };
	unsigned char *buf = malloc(256 * KIB);
	struct wcache_stats st;
	struct model m;
	struct env v;
	int ret;

	model_init(&m, DISK_SIZE);
	if (!env_ok(&v, env_open(&v, O_RDWR, DISK_SIZE, &cfg), "big writes"))
		goto free_all;
	write_ver(&v, &m, 1, 0, 0, 32 * KIB);
	write_ver(&v, &m, 2, 0, 16 * KIB, 128 * KIB);
	wcache_get_stats(v.c, &st);
	tap_ok(st.wb_writes == 1 && st.wb_bytes == 128 * KIB,
	       "big writes: a write over max_dirty goes to the file at once");
	tap_ok(one_run(&v, DISK_READ, 0, 0, 256 * KIB, buf) == 0 &&
	       model_diff(&m, 0, 256 * KIB, buf) == UINT64_MAX,
	       "big writes: reads see it over the older dirty data");
	write_ver(&v, &m, 3, 0, 160 * KIB, 32 * KIB);
	ret = one_run(&v, DISK_DISCARD, 0, 168 * KIB, 8 * KIB, NULL);
	model_set(&m, 0, 168 * KIB, 8 * KIB);
	tap_ok(!ret && one_run(&v, DISK_READ, 0, 0, 256 * KIB, buf) == 0 &&
	       model_diff(&m, 0, 256 * KIB, buf) == UINT64_MAX,
	       "big writes: a DISCARD drops the dirty data under it");
	tap_ok(one_run(&v, DISK_FLUSH, 0, 0, 0, NULL) == 0 &&
	       model_diff_file(&m, v.vfd, NULL) == UINT64_MAX,
	       "big writes: after a flush the file holds the newest data everywhere");
	env_close(&v);
free_all:
	model_free(&m);
	free(buf);
}

/* ---- DISCARD on a block device: BLKDISCARD in the pool, faked ---- */

/*
 * The fake BLKDISCARD (wcache_blkdiscard): records each call, may hold the
 * pool thread until released, then answers `ret`; on 0 it punches the
 * range out of the regular file behind the cache, as a device that reads
 * discarded blocks back as zeros would, so an overtaking write would show.
 */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t loop_thread;
	unsigned calls, on_loop;	/* on_loop: calls made on the loop thread */
	int fd;
	uint64_t off, len;
	int ret;
	bool hold, entered;
} fake = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };

static int fake_blkdiscard(int fd, uint64_t off, uint64_t len)
{
	int ret;

	pthread_mutex_lock(&fake.lock);
	fake.calls++;
	fake.on_loop += pthread_equal(pthread_self(), fake.loop_thread) != 0;
	fake.fd = fd;
	fake.off = off;
	fake.len = len;
	fake.entered = true;
	pthread_cond_broadcast(&fake.cond);
	while (fake.hold)
		pthread_cond_wait(&fake.cond, &fake.lock);
	ret = fake.ret;
	pthread_mutex_unlock(&fake.lock);
	if (!ret && fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			      (off_t)off, (off_t)len))
		ret = -errno;
	return ret;
}

/* Holds the next fake BLKDISCARD, answering `ret`. */
static void fake_arm(bool hold, int ret)
{
	pthread_mutex_lock(&fake.lock);
	fake.hold = hold;
	fake.entered = false;
	fake.ret = ret;
	pthread_mutex_unlock(&fake.lock);
}

static void fake_release(void)
{
	pthread_mutex_lock(&fake.lock);
	fake.hold = false;
	pthread_cond_broadcast(&fake.cond);
	pthread_mutex_unlock(&fake.lock);
}

/* Turns the loop until the fake BLKDISCARD has been entered (60 s at most). */
static bool fake_wait_entered(struct env *v)
{
	int64_t end = ioloop_now_ns() + TIMEOUT_NS;
	bool in = false;

	while (!in && ioloop_now_ns() < end) {
		ioloop_run_once(v->loop, 5);
		pthread_mutex_lock(&fake.lock);
		in = fake.entered;
		pthread_mutex_unlock(&fake.lock);
	}
	return in;
}

static unsigned fake_calls(void)
{
	unsigned n;

	pthread_mutex_lock(&fake.lock);
	n = fake.calls;
	pthread_mutex_unlock(&fake.lock);
	return n;
}

/*
 * Write-through over a "block device": a DISCARD held in the pool keeps
 * the overlapping write and the flush taken after it waiting, a write
 * elsewhere goes; then the range, the thread, the order on the file, the
 * fdatasync a DISCARD asks of the next flush, -EOPNOTSUPP as success,
 * other errors reported, WRITE_ZEROES still a fallocate.
 */
static void test_blkdev_wt(struct pool *p)
{
	struct wcache_config cfg = { .mode = WCACHE_WRITETHROUGH };
	unsigned char *b2 = malloc(8 * KIB), *b3 = malloc(4 * KIB);
	struct one d, w, other, f;
	struct uring_stats us0, us1;
	unsigned calls;
	struct model m;
	struct env v;
	int ret;

	model_init(&m, DISK_SIZE);
	if (!env_ok(&v, env_open(&v, O_RDWR, DISK_SIZE, &cfg), "block device discard"))
		goto free_all;
	wcache_set_block_device(v.c, p, v.fd);
	tap_ok(!write_ver(&v, &m, 1, 0, 0, 256 * KIB), "blkdev: a write of 256 KiB");
	model_fill(2, 96 * KIB, 8 * KIB, b2);
	model_fill(3, 192 * KIB, 4 * KIB, b3);
	fake_arm(true, 0);
	one_prep(&d, DISK_DISCARD, 0, 64 * KIB, 64 * KIB, NULL);
	one_prep(&w, DISK_WRITE, 0, 96 * KIB, 8 * KIB, b2);
	one_prep(&other, DISK_WRITE, 0, 192 * KIB, 4 * KIB, b3);
	one_prep(&f, DISK_FLUSH, 0, 0, 0, NULL);
	wcache_submit(v.c, &d.req);
	wcache_submit(v.c, &w.req);
	wcache_submit(v.c, &other.req);
	wcache_unplug(v.c);
	tap_ok(fake_wait_entered(&v), "blkdev: the DISCARD reaches BLKDISCARD");
	wcache_submit(v.c, &f.req);
	wcache_unplug(v.c);
	turn_until(&v, &other.done);
	turn_for(&v, 50);
	tap_ok(other.done && !other.ret && file_has(&v, 3, 192 * KIB, 4 * KIB),
	       "blkdev: a write elsewhere is not held up by it");
	tap_ok(!d.done && !w.done && !f.done && file_has(&v, 1, 96 * KIB, 8 * KIB),
	       "blkdev: while it runs, the write over its range and the flush wait");
	fake_release();
	settle(&v);
	model_set(&m, 0, 64 * KIB, 64 * KIB);
	model_set(&m, 2, 96 * KIB, 8 * KIB);
	model_set(&m, 3, 192 * KIB, 4 * KIB);
	pthread_mutex_lock(&fake.lock);
	tap_ok(fake.calls == 1 && fake.fd == v.fd && fake.off == 64 * KIB &&
	       fake.len == 64 * KIB,
	       "blkdev: one BLKDISCARD on the device's fd of exactly the range (%u calls, "
	       "%llu+%llu)", fake.calls, (unsigned long long)fake.off,
	       (unsigned long long)fake.len);
	tap_ok(fake.on_loop == 0, "blkdev: it ran on a pool thread, not the loop's");
	pthread_mutex_unlock(&fake.lock);
	tap_ok(d.done && !d.ret && w.done && !w.ret && f.done && !f.ret,
	       "blkdev: then the DISCARD, the write and the flush complete (%d %d %d)",
	       d.ret, w.ret, f.ret);
	tap_ok(model_diff_file(&m, v.vfd, NULL) == UINT64_MAX,
	       "blkdev: the write landed after the discard, the rest is untouched");

	/* A DISCARD changes the device: the next flush fdatasyncs. */
	uring_get_stats(v.eng, &us0);
	fake_arm(false, 0);
	ret = one_run(&v, DISK_DISCARD, 0, 0, 4 * KIB, NULL);
	model_set(&m, 0, 0, 4 * KIB);
	tap_ok(!ret && one_run(&v, DISK_FLUSH, 0, 0, 0, NULL) == 0,
	       "blkdev: a DISCARD then a flush");
	uring_get_stats(v.eng, &us1);
	tap_ok(us1.syncs == us0.syncs + 1 && us1.fallocates == us0.fallocates,
	       "blkdev: the flush fdatasyncs once, no fallocate was used (%llu, %llu)",
	       (unsigned long long)(us1.syncs - us0.syncs),
	       (unsigned long long)(us1.fallocates - us0.fallocates));

	/* A device that cannot discard: advisory, so success; the data stays. */
	fake_arm(false, -EOPNOTSUPP);
	calls = fake_calls();
	ret = one_run(&v, DISK_DISCARD, 0, 8 * KIB, 8 * KIB, NULL);
	tap_ok(ret == 0 && fake_calls() == calls + 1,
	       "blkdev: EOPNOTSUPP from BLKDISCARD completes the DISCARD with 0 (%d)", ret);
	tap_ok(file_has(&v, 1, 8 * KIB, 8 * KIB) && cache_has(&v, 1, 8 * KIB, 8 * KIB),
	       "blkdev: ... and the data there is still read");
	fake_arm(false, -EIO);
	ret = one_run(&v, DISK_DISCARD, 0, 8 * KIB, 8 * KIB, NULL);
	tap_ok(ret == -EIO, "blkdev: another error is the DISCARD's (%d)", ret);

	/* WRITE_ZEROES is still the fallocate (with the write-zeros fallback). */
	fake_arm(false, 0);
	calls = fake_calls();
	uring_get_stats(v.eng, &us0);
	ret = one_run(&v, DISK_WRITE_ZEROES, DISK_REQ_UNMAP, 128 * KIB, 16 * KIB, NULL);
	ret = ret ? ret : one_run(&v, DISK_WRITE_ZEROES, 0, 160 * KIB, 16 * KIB, NULL);
	model_set(&m, 0, 128 * KIB, 16 * KIB);
	model_set(&m, 0, 160 * KIB, 16 * KIB);
	uring_get_stats(v.eng, &us1);
	tap_ok(!ret && fake_calls() == calls && us1.fallocates == us0.fallocates + 2,
	       "blkdev: WRITE_ZEROES does not use BLKDISCARD (%d, %llu fallocates)", ret,
	       (unsigned long long)(us1.fallocates - us0.fallocates));
	tap_ok(model_diff_file(&m, v.vfd, NULL) == UINT64_MAX,
	       "blkdev: the file holds what the model says");
	env_close(&v);
free_all:
	model_free(&m);
	free(b2);
	free(b3);
}

/*
 * Write-back: a DISCARD held in the pool over older dirty data; a newer
 * cached write over part of it and a flush.  The older data must not be
 * written back over the discarded range, the newer must survive it.
 */
static void test_blkdev_wb(struct pool *p)
{
	struct wcache_config cfg = { .mode = WCACHE_WRITEBACK };
	unsigned char *b3 = malloc(4 * KIB);
	struct one d, w, f;
	struct model m;
	struct env v;

	model_init(&m, DISK_SIZE);
	if (!env_ok(&v, env_open(&v, O_RDWR, DISK_SIZE, &cfg), "block device discard, writeback"))
		goto free_all;
	wcache_set_block_device(v.c, p, v.fd);
	write_ver(&v, &m, 1, 0, 0, 16 * KIB);
	model_fill(3, 4 * KIB, 4 * KIB, b3);
	fake_arm(true, 0);
	one_prep(&d, DISK_DISCARD, 0, 0, 16 * KIB, NULL);
	wcache_submit(v.c, &d.req);
	wcache_unplug(v.c);
	tap_ok(fake_wait_entered(&v), "blkdev writeback: the DISCARD reaches BLKDISCARD");
	one_prep(&w, DISK_WRITE, 0, 4 * KIB, 4 * KIB, b3);
	one_prep(&f, DISK_FLUSH, 0, 0, 0, NULL);
	wcache_submit(v.c, &w.req);
	wcache_submit(v.c, &f.req);
	wcache_unplug(v.c);
	turn_for(&v, 50);
	tap_ok(w.done && !w.ret && !d.done && !f.done,
	       "blkdev writeback: the newer write is cached, the DISCARD and the flush wait");
	fake_release();
	settle(&v);
	model_set(&m, 0, 0, 16 * KIB);
	model_set(&m, 3, 4 * KIB, 4 * KIB);
	tap_ok(d.done && !d.ret && f.done && !f.ret &&
	       model_diff_file(&m, v.vfd, NULL) == UINT64_MAX,
	       "blkdev writeback: after the flush the file has the discard and the newer "
	       "write, none of the older data");
	tap_ok(cache_has(&v, 3, 4 * KIB, 4 * KIB), "blkdev writeback: reads agree");
	env_close(&v);
free_all:
	model_free(&m);
	free(b3);
}

static void test_blkdev_discard(void)
{
	struct wcache_config cfg = { .mode = WCACHE_WRITEBACK };
	struct pool *p;
	struct env v;
	int ret;

	ret = pool_create(&p, 2);
	if (!tap_ok(!ret, "blkdev: a pool of 2 threads (%d)", ret))
		return;
	fake.loop_thread = pthread_self();
	wcache_blkdiscard = fake_blkdiscard;
	test_blkdev_wt(p);
	test_blkdev_wb(p);
	/* A regular file's cache never calls it. */
	if (env_ok(&v, env_open(&v, O_RDWR, DISK_SIZE, &cfg), "regular file discard")) {
		unsigned calls = fake_calls();

		ret = one_run(&v, DISK_DISCARD, 0, 0, 64 * KIB, NULL);
		tap_ok(!ret && fake_calls() == calls,
		       "blkdev: a regular file's DISCARD stays a fallocate (%d)", ret);
		env_close(&v);
	}
	pool_destroy(p);
}

/* A caller that never ends its batch: the bottom half issues it. */
static void test_no_unplug(void)
{
	struct wcache_config cfg = { .mode = WCACHE_WRITETHROUGH };
	unsigned char *buf = malloc(8 * KIB);
	struct one w, r;
	struct env v;

	if (!env_ok(&v, env_open(&v, O_RDWR, DISK_SIZE, &cfg), "no unplug"))
		goto free_buf;
	model_fill(9, 0, 4 * KIB, buf);
	one_prep(&w, DISK_WRITE, 0, 0, 4 * KIB, buf);
	wcache_submit(v.c, &w.req);
	tap_ok(!w.done, "no unplug: done() does not run inside submit");
	turn_until(&v, &w.done);
	one_prep(&r, DISK_READ, 0, 0, 4 * KIB, buf + 4 * KIB);
	wcache_submit(v.c, &r.req);
	turn_until(&v, &r.done);
	tap_ok(w.done && !w.ret && r.done && !r.ret && !memcmp(buf, buf + 4 * KIB, 4 * KIB),
	       "no unplug: the write and the read still complete");
	env_close(&v);
free_buf:
	free(buf);
}

/* ---- bad requests ---- */

static void test_bad_requests(void)
{
	struct wcache_config cfg = { .mode = WCACHE_WRITEBACK };
	struct wcache_config direct = { .mode = WCACHE_DIRECT, .align = 4096 };
	static unsigned char buf[8192] __attribute__((aligned(4096)));
	struct iovec two[2] = { { buf, 512 }, { buf + 512, 512 } };
	struct wcache_config bad = { .mode = 7 };
	struct wcache *c;
	struct one o;
	struct env v;

	if (!env_ok(&v, env_open(&v, O_RDWR, DISK_SIZE, &cfg), "bad requests"))
		return;
	tap_ok(one_run(&v, DISK_WRITE, 0, 100, 512, buf) == -EINVAL,
	       "bad requests: unaligned offset");
	tap_ok(one_run(&v, DISK_READ, 0, 0, 1000, buf) == -EINVAL,
	       "bad requests: unaligned length");
	tap_ok(one_run(&v, DISK_READ, 0, 0, 0, buf) == -EINVAL, "bad requests: zero length");
	tap_ok(one_run(&v, DISK_WRITE, 0, (uint64_t)INT64_MAX - 511, 1024, buf) == -EINVAL,
	       "bad requests: past the largest offset");
	tap_ok(one_run(&v, DISK_WRITE_ZEROES, 0, UINT64_MAX - 511, 1024, NULL) == -EINVAL,
	       "bad requests: overflowing range");
	tap_ok(one_run(&v, DISK_WRITE, 1u << 7, 0, 512, buf) == -EINVAL,
	       "bad requests: unknown flag");
	tap_ok(one_run(&v, (enum disk_op)42, 0, 0, 512, buf) == -EINVAL,
	       "bad requests: unknown op");
	one_prep(&o, DISK_WRITE, 0, 0, 2048, buf);
	o.req.iov = two;
	o.req.iovcnt = 2;
	one_submit(&v, &o);
	tap_ok(turn_until(&v, &o.done) && o.ret == -EINVAL,
	       "bad requests: segments that do not add up to the length");
	one_prep(&o, DISK_WRITE, 0, 0, 1024, buf);
	o.req.iov = two;
	o.req.iovcnt = DISK_MAX_IOV + 1;
	one_submit(&v, &o);
	tap_ok(turn_until(&v, &o.done) && o.ret == -EINVAL, "bad requests: too many segments");
	tap_ok(wcache_pending(v.c) == 0, "bad requests: none left pending");
	tap_ok(wcache_create(&c, v.loop, v.eng, &bad) == -EINVAL,
	       "bad requests: an unknown mode is refused at creation");
	env_close(&v);
	if (!env_ok(&v, env_open(&v, O_RDWR | O_DIRECT, DISK_SIZE, &direct), "bad direct"))
		return;
	tap_ok(one_run(&v, DISK_WRITE, 0, 512, 4096, buf) == -EINVAL,
	       "bad requests: direct offset not a multiple of align");
	tap_ok(one_run(&v, DISK_WRITE, 0, 4096, 4096, buf + 1) == 0 &&
	       one_run(&v, DISK_READ, 0, 4096, 4096, buf + 4096) == 0 &&
	       !memcmp(buf + 1, buf + 4096, 4096),
	       "bad requests: direct unaligned buffers go through a bounce buffer");
	env_close(&v);
}

/* ---- destroying with the loop on its own thread ---- */

struct threaded {
	struct env *v;
	struct one o[8];
	unsigned char *buf;
};

static void threaded_submit(void *opaque)
{
	struct threaded *th = opaque;
	unsigned i;

	for (i = 0; i < 8; i++) {
		one_prep(&th->o[i], DISK_WRITE, 0, i * 128 * KIB, 64 * KIB,
			 th->buf + i * 64 * KIB);
		wcache_submit(th->v->c, &th->o[i].req);
	}
	wcache_unplug(th->v->c);
}

static void test_threaded_destroy(void)
{
	struct wcache_config cfg = { .mode = WCACHE_WRITEBACK };
	struct threaded th = { 0 };
	bool all = true, on_file = true;
	struct env v;
	unsigned i;
	int ret;

	th.buf = malloc(8 * 64 * KIB);
	for (i = 0; i < 8; i++)
		model_fill(i + 1, i * 128 * KIB, 64 * KIB, th.buf + i * 64 * KIB);
	if (!env_ok(&v, env_open(&v, O_RDWR, DISK_SIZE, &cfg), "threaded close"))
		goto free_buf;
	th.v = &v;
	ret = ioloop_start(v.loop, "cache-test-io");
	tap_ok(!ret, "threaded close: loop thread started");
	ioloop_call_sync(v.loop, threaded_submit, &th);
	/* Closing from this thread: the cache drains on the loop thread. */
	wcache_destroy(v.c);
	v.c = NULL;
	for (i = 0; i < 8; i++)
		all = all && th.o[i].done && !th.o[i].ret;
	tap_ok(all, "threaded close: every write completed before destroy returned");
	for (i = 0; i < 8; i++)
		on_file = on_file && file_has(&v, i + 1, i * 128 * KIB, 64 * KIB);
	tap_ok(on_file, "threaded close: destroy wrote everything back");
	uring_engine_destroy(v.eng);
	v.eng = NULL;
	ioloop_stop(v.loop);
	env_close(&v);
free_buf:
	free(th.buf);
}

/* Runs one test and says how long it took (they share one 60 s budget). */
static void timed(const char *name, void (*test)(void))
{
	int64_t t0 = ioloop_now_ns();

	test();
	tap_diag("%s: %lld ms", name, (long long)((ioloop_now_ns() - t0) / 1000000));
}

int main(void)
{
	const char *base = getenv("TMPDIR");

	snprintf(tmpdir, sizeof(tmpdir), "%s/cache-test.XXXXXX", base && *base ? base : "/tmp");
	if (!mkdtemp(tmpdir)) {
		tap_ok(0, "mkdtemp %s: %s", tmpdir, strerror(errno));
		return tap_done();
	}
	timed("extent set", test_extent_set);
	timed("bad requests", test_bad_requests);
	timed("reads", test_reads);
	timed("flush sharing", test_flush_sharing);
	timed("FUA", test_fua);
	timed("age", test_age);
	timed("write-cache switch", test_wce_switch);
	timed("engine errors", test_write_errors);
	timed("sticky error", test_sticky_error);
	timed("WRITE_ZEROES fallback", test_zeroes_fallback);
	timed("write-through merge", test_wt_merge);
	timed("big writes", test_big_and_discard);
	timed("block device discard", test_blkdev_discard);
	timed("no unplug", test_no_unplug);
	timed("threaded close", test_threaded_destroy);
	timed("coalescing", test_coalescing);
	timed("flush ordering", test_flush_order);
	timed("dirty bound", test_dirty_bound);
	timed("random mixes", test_mixes);
	rmdir(tmpdir);
	return tap_done();
}
