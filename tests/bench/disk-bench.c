// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * disk-bench.c - drives the disk stack (monitor/disk/: disk_open, the
 * write cache, the io_uring engine) with synthetic requests and reports
 * IOPS, MB/s and the cache's and engine's counters (docs/perf.md,
 * tests/bench/disk.sh runs it beside `qemu-img bench` and fio).
 *
 *   disk-bench [options] FILE
 *     -c MODE   cache: writeback, writethrough or none (O_DIRECT; default)
 *     -p PAT    offsets: rand (default) or seq
 *     -w PCT    percent of requests that are writes (default 0)
 *     -b SIZE   block size in bytes, K/M/G suffixes (default 4K)
 *     -q QD     requests in flight (default 1)
 *     -t SECS   stop after this long (default 10 unless -n is given)
 *     -n OPS    stop after this many reads and writes
 *     -f N      a FLUSH after every N writes (drained first, as a guest
 *               file system does and as `qemu-img bench --flush-interval`
 *               does by default)
 *     -D SIZE   the cache's max_dirty (default: the cache's default)
 *     -r SIZE   use only the first SIZE bytes of the disk (default: all)
 *     -s SEED   the offset generator's seed (default 1)
 *     -l NAME   a label for the output line
 *
 * The image is opened raw through disk_open() with no worker pool (raw
 * needs none).  The I/O loop is turned by hand on this thread with
 * ioloop_run_once(): no loop thread.  Requests are refilled after each
 * turn of the loop and ended with one disk_unplug(), the way a device
 * model submits what one queue notification brought.
 *
 * Output: one line of key=value pairs (tests/bench/disk.sh reads it).
 * `seconds` runs from the first submission to the last completion,
 * final FLUSH included.  Guest-visible counts (ops, iops, mb_s) are the
 * driver's; wc_* are wcache_get_stats(), ur_* uring_get_stats(), taken
 * before disk_close() (which writes back what is left and syncs).
 * rss_* are getrusage(2) ru_maxrss (KiB) before the run and at its end.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "disk/disk.h"
#include "io/ioloop.h"

#define NS_PER_SEC	1000000000ll
#define MAX_QD		1024u
#define BUF_ALIGN	4096u		/* O_DIRECT: page-aligned buffers */
#define STALL_NS	(30 * NS_PER_SEC)	/* no completion for this long: give up */
#define TURN_MS		100		/* longest wait in one turn of the loop */

struct bench_cfg {
	const char *path;
	const char *label;
	enum wcache_mode cache;
	bool random;
	unsigned write_pct;
	uint64_t bs;
	unsigned qd;
	int64_t duration_ns;		/* 0: no time limit */
	uint64_t count;			/* 0: no count limit */
	uint64_t flush_every;		/* 0: never */
	uint64_t max_dirty;		/* 0: the cache's default */
	uint64_t range;			/* 0: the whole disk */
	uint64_t seed;
};

enum bench_state {
	RUNNING,	/* keeping qd requests in flight */
	DRAINING,	/* flush due: waiting for the writes in flight */
	FLUSHING,	/* the FLUSH is in flight */
	STOPPING,	/* limit reached: waiting for what is in flight */
};

struct bench;

struct slot {
	struct disk_req req;
	struct iovec iov;
	void *buf;
	struct bench *b;
	bool busy;
};

struct bench {
	const struct bench_cfg *cfg;
	struct ioloop *loop;
	struct disk *disk;
	struct slot *slots;
	struct disk_req flush;
	enum bench_state state;
	uint64_t range;			/* bytes used, a multiple of bs */
	uint64_t rng;			/* xorshift64 state */
	uint64_t next_seq;		/* the next sequential offset */
	unsigned inflight;		/* reads and writes */
	uint64_t issued, writes_since_flush;
	uint64_t reads_done, writes_done, flushes_done, bytes_done;
	int error;			/* the first failed request's */
	int64_t start_ns, end_ns, last_done_ns;
};

static uint64_t rnd(struct bench *b)
{
	b->rng ^= b->rng << 13;
	b->rng ^= b->rng >> 7;
	b->rng ^= b->rng << 17;
	return b->rng;
}

/* ---- the command line ---- */

/* "4096", "4K", "1M", "2G" -> bytes; -EINVAL on anything else or overflow. */
static int parse_size(const char *s, uint64_t *out)
{
	unsigned shift = 0;
	char *end;
	uint64_t v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *s == '-')
		return -EINVAL;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	}
	if (*end || (shift && v > UINT64_MAX >> shift))
		return -EINVAL;
	*out = v << shift;
	return 0;
}

static int parse_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	uint64_t v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: disk-bench [-c writeback|writethrough|none] [-p rand|seq] "
		"[-w PCT] [-b SIZE] [-q QD] [-t SECS] [-n OPS] [-f N] [-D SIZE] "
		"[-r SIZE] [-s SEED] [-l NAME] FILE\n");
}

static int parse_opt(struct bench_cfg *c, int opt, const char *arg)
{
	uint64_t v;

	switch (opt) {
	case 'c':
		return disk_cache_parse(arg, &c->cache);
	case 'p':
		if (strcmp(arg, "rand") && strcmp(arg, "seq"))
			return -EINVAL;
		c->random = !strcmp(arg, "rand");
		return 0;
	case 'w':
		if (parse_uint(arg, 0, 100, &v))
			return -EINVAL;
		c->write_pct = (unsigned)v;
		return 0;
	case 'b':
		return parse_size(arg, &c->bs);
	case 'q':
		if (parse_uint(arg, 1, MAX_QD, &v))
			return -EINVAL;
		c->qd = (unsigned)v;
		return 0;
	case 't':
		if (parse_uint(arg, 1, 86400, &v))
			return -EINVAL;
		c->duration_ns = (int64_t)v * NS_PER_SEC;
		return 0;
	case 'n':
		return parse_uint(arg, 1, UINT64_MAX, &c->count);
	case 'f':
		return parse_uint(arg, 1, UINT64_MAX, &c->flush_every);
	case 'D':
		return parse_size(arg, &c->max_dirty);
	case 'r':
		return parse_size(arg, &c->range);
	case 's':
		return parse_uint(arg, 1, UINT64_MAX, &c->seed);
	case 'l':
		c->label = arg;
		return 0;
	}
	return -EINVAL;
}

static int parse_args(struct bench_cfg *c, int argc, char **argv)
{
	int opt;

	*c = (struct bench_cfg){
		.label = "disk-bench", .cache = WCACHE_DIRECT, .random = true,
		.bs = 4096, .qd = 1, .seed = 1,
	};
	while ((opt = getopt(argc, argv, "c:p:w:b:q:t:n:f:D:r:s:l:h")) != -1) {
		if (opt == 'h') {
			usage(stdout);
			exit(0);
		}
		if (opt == '?' || parse_opt(c, opt, optarg)) {
			if (opt != '?')
				fprintf(stderr, "disk-bench: bad -%c '%s'\n", opt, optarg);
			usage(stderr);
			return -EINVAL;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return -EINVAL;
	}
	c->path = argv[optind];
	if (!c->bs || c->bs % DISK_SECTOR || c->bs > (1u << 30)) {
		fprintf(stderr, "disk-bench: the block size must be a multiple of %u, at most 1G\n",
			DISK_SECTOR);
		return -EINVAL;
	}
	if (!c->duration_ns && !c->count)
		c->duration_ns = 10 * NS_PER_SEC;
	return 0;
}

/* ---- requests ---- */

static void slot_done(struct disk_req *req, int ret);

static uint64_t next_offset(struct bench *b)
{
	uint64_t off;

	if (b->cfg->random)
		return rnd(b) % (b->range / b->cfg->bs) * b->cfg->bs;
	off = b->next_seq;
	b->next_seq = off + b->cfg->bs >= b->range ? 0 : off + b->cfg->bs;
	return off;
}

static void slot_submit(struct bench *b, struct slot *s)
{
	bool write = b->cfg->write_pct && rnd(b) % 100 < b->cfg->write_pct;

	s->req = (struct disk_req){
		.op = write ? DISK_WRITE : DISK_READ,
		.offset = next_offset(b),
		.len = b->cfg->bs,
		.iov = &s->iov,
		.iovcnt = 1,
		.done = slot_done,
		.opaque = s,
	};
	s->iov = (struct iovec){ .iov_base = s->buf, .iov_len = b->cfg->bs };
	s->busy = true;
	b->inflight++;
	b->issued++;
	if (write)
		b->writes_since_flush++;
	disk_submit(b->disk, &s->req);
}

static void finish_one(struct bench *b, int ret)
{
	b->last_done_ns = ioloop_now_ns();
	if (ret && !b->error) {
		b->error = ret;
		b->state = STOPPING;
	}
}

static void slot_done(struct disk_req *req, int ret)
{
	struct slot *s = req->opaque;
	struct bench *b = s->b;

	s->busy = false;
	b->inflight--;
	if (req->op == DISK_WRITE)
		b->writes_done++;
	else
		b->reads_done++;
	if (!ret)
		b->bytes_done += req->len;
	finish_one(b, ret);
}

static void flush_done(struct disk_req *req, int ret)
{
	struct bench *b = req->opaque;

	b->flushes_done++;
	b->writes_since_flush = 0;
	b->state = RUNNING;	/* refill() decides whether to stop */
	finish_one(b, ret);
}

static void flush_submit(struct bench *b)
{
	b->flush = (struct disk_req){
		.op = DISK_FLUSH, .done = flush_done, .opaque = b,
	};
	b->state = FLUSHING;
	disk_submit(b->disk, &b->flush);
}

static bool limit_reached(const struct bench *b, int64_t now)
{
	return (b->cfg->count && b->issued >= b->cfg->count) ||
	       (b->cfg->duration_ns && now - b->start_ns >= b->cfg->duration_ns);
}

/* FLUSH every flush_every writes; after a failure, nothing more. */
static bool flush_due(const struct bench *b)
{
	return b->cfg->flush_every && !b->error &&
	       b->writes_since_flush >= b->cfg->flush_every;
}

/*
 * Tops the queue up to qd.  A flush that is due stops the refill until
 * the writes before it are done, then goes alone, like a guest's; the
 * last writes of a counted run are flushed too (as qemu-img bench does).
 */
static void refill(struct bench *b, int64_t now)
{
	unsigned i;

	if (b->state == RUNNING && !flush_due(b) && limit_reached(b, now))
		b->state = STOPPING;
	for (i = 0; b->state == RUNNING && i < b->cfg->qd; i++) {
		if (flush_due(b))
			b->state = DRAINING;
		else if (!b->slots[i].busy && !limit_reached(b, now))
			slot_submit(b, &b->slots[i]);
	}
	if ((b->state == DRAINING || b->state == STOPPING) && !b->inflight && flush_due(b))
		flush_submit(b);
	disk_unplug(b->disk);
}

static bool finished(const struct bench *b)
{
	return b->state == STOPPING && !b->inflight && !flush_due(b);
}

static int run(struct bench *b)
{
	int64_t now;
	int ret;

	b->start_ns = b->last_done_ns = ioloop_now_ns();
	for (now = b->start_ns; !finished(b); now = ioloop_now_ns()) {
		refill(b, now);
		if (finished(b))
			break;
		ret = ioloop_run_once(b->loop, TURN_MS);
		if (ret < 0)
			return ret;
		if (ioloop_now_ns() - b->last_done_ns > STALL_NS) {
			fprintf(stderr, "disk-bench: no request completed for %lld s "
				"(%u in flight)\n", STALL_NS / NS_PER_SEC, b->inflight);
			return -ETIMEDOUT;
		}
	}
	b->end_ns = b->last_done_ns;
	return b->error;
}

/* ---- set-up, report ---- */

static int slots_alloc(struct bench *b)
{
	unsigned i;
	size_t j;

	b->slots = calloc(b->cfg->qd, sizeof(*b->slots));
	if (!b->slots)
		return -ENOMEM;
	for (i = 0; i < b->cfg->qd; i++) {
		struct slot *s = &b->slots[i];

		if (posix_memalign(&s->buf, BUF_ALIGN, b->cfg->bs))
			return -ENOMEM;
		/* Data that is neither zero nor compressible, in every buffer. */
		for (j = 0; j < b->cfg->bs; j += sizeof(uint64_t)) {
			uint64_t v = rnd(b);

			memcpy((char *)s->buf + j, &v, sizeof(v));
		}
		s->b = b;
	}
	return 0;
}

static void slots_free(struct bench *b)
{
	unsigned i;

	for (i = 0; b->slots && i < b->cfg->qd; i++)
		free(b->slots[i].buf);
	free(b->slots);
}

static int bench_open(struct bench *b)
{
	struct disk_options o = {
		.path = b->cfg->path,
		.format = DISK_FORMAT_RAW,
		.cache = b->cfg->cache,
		.max_dirty = b->cfg->max_dirty,
	};
	char err[256] = "";
	int ret;

	ret = disk_open(&b->disk, &o, b->loop, NULL, err, sizeof(err));
	if (ret) {
		fprintf(stderr, "disk-bench: %s: %s\n", b->cfg->path, err[0] ? err : strerror(-ret));
		return ret;
	}
	b->range = b->cfg->range && b->cfg->range < b->disk->size ? b->cfg->range : b->disk->size;
	b->range -= b->range % b->cfg->bs;
	if (!b->range) {
		fprintf(stderr, "disk-bench: %s: smaller than one block\n", b->cfg->path);
		disk_close(b->disk);
		return -EINVAL;
	}
	return 0;
}

static long max_rss_kib(void)
{
	struct rusage ru;

	return getrusage(RUSAGE_SELF, &ru) ? -1 : ru.ru_maxrss;
}

static const char *cache_name(enum wcache_mode m)
{
	return m == WCACHE_WRITEBACK ? "writeback" :
	       m == WCACHE_WRITETHROUGH ? "writethrough" : "none";
}

static void report(const struct bench *b, long rss_start)
{
	const struct bench_cfg *c = b->cfg;
	double secs = (double)(b->end_ns - b->start_ns) / NS_PER_SEC;
	uint64_t ops = b->reads_done + b->writes_done;
	struct wcache_stats w;
	struct uring_stats u;

	wcache_get_stats(b->disk->file.cache, &w);
	uring_get_stats(b->disk->file.engine, &u);
	if (secs <= 0)
		secs = 1e-9;
	printf("%s: cache=%s pattern=%s write_pct=%u bs=%" PRIu64 " qd=%u flush_every=%" PRIu64
	       " ops=%" PRIu64 " reads=%" PRIu64 " writes=%" PRIu64 " flushes=%" PRIu64
	       " seconds=%.3f iops=%.0f mb_s=%.1f",
	       c->label, cache_name(c->cache), c->random ? "rand" : "seq", c->write_pct,
	       c->bs, c->qd, c->flush_every, ops, b->reads_done, b->writes_done,
	       b->flushes_done, secs, ops / secs, b->bytes_done / secs / 1e6);
	printf(" wc_writes=%" PRIu64 " wc_reads=%" PRIu64 " wc_flushes=%" PRIu64
	       " wc_wb_writes=%" PRIu64 " wc_wb_bytes=%" PRIu64 " wc_read_hits=%" PRIu64
	       " wc_dirty=%" PRIu64 " wc_peak_dirty=%" PRIu64 " wc_max_dirty=%" PRIu64
	       " wc_waits=%" PRIu64,
	       w.writes, w.reads, w.flushes, w.wb_writes, w.wb_bytes, w.read_hits,
	       w.dirty, w.peak_dirty,
	       c->max_dirty ? c->max_dirty : (uint64_t)WCACHE_DEFAULT_MAX_DIRTY, w.waits);
	printf(" ur_enters=%" PRIu64 " ur_sqes=%" PRIu64 " ur_reads=%" PRIu64
	       " ur_writes=%" PRIu64 " ur_syncs=%" PRIu64 " ur_bytes_written=%" PRIu64,
	       u.enters, u.sqes, u.reads, u.writes, u.syncs, u.bytes_written);
	printf(" rss_start_kib=%ld rss_peak_kib=%ld\n", rss_start, max_rss_kib());
	fflush(stdout);
}

int main(int argc, char **argv)
{
	struct bench_cfg cfg;
	struct bench b = { .cfg = &cfg };
	long rss_start;
	int ret;

	if (parse_args(&cfg, argc, argv))
		return 2;
	b.rng = cfg.seed;
	ret = ioloop_create(&b.loop);
	if (ret) {
		fprintf(stderr, "disk-bench: cannot create the I/O loop: %s\n", strerror(-ret));
		return 1;
	}
	ret = slots_alloc(&b);
	if (ret)
		goto free_slots;
	ret = bench_open(&b);
	if (ret)
		goto free_slots;
	rss_start = max_rss_kib();
	ret = run(&b);
	if (ret)
		fprintf(stderr, "disk-bench: %s: %s\n", cfg.label, strerror(-ret));
	else
		report(&b, rss_start);
	/* A stalled run still has requests in flight: closing would wait forever. */
	if (ret != -ETIMEDOUT)
		disk_close(b.disk);
free_slots:
	slots_free(&b);
	if (ret != -ETIMEDOUT)
		ioloop_destroy(b.loop);
	return ret ? 1 : 0;
}
