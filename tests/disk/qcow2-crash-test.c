// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * qcow2-crash-test.c - crash consistency of the qcow2 format: a child
 * process writes, write-zeroes, discards and flushes through the disk
 * stack and is killed with SIGKILL at a random moment; the parent then
 * runs `qemu-img check` on the image (no error allowed; leaked clusters
 * are counted and reported, never errors) and reads it with qemu-img
 * convert to check every sector:
 *
 *   - what was acknowledged before a completed flush is there (or what a
 *     later request put there); with cache=writethrough or FUA, what was
 *     acknowledged at all;
 *   - everything else holds its original contents (zeros, or the backing
 *     file's) or the data of a request issued to it: nothing outside the
 *     written ranges changes, no sector is torn.
 *
 * A written sector carries (request number, sector number) and a filler
 * made from both, so its contents name the request they came from.  The
 * child's progress is in a shared mapping; the parent regenerates the
 * requests from the cycle's seed.  Images of several kinds take turns:
 * version 3 and 2, 512-byte (with a growing refcount table) to 64 KiB
 * clusters, over a raw backing file, write-through.
 *
 * Usage: qcow2-crash-test [CYCLES] (default 150).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tap.h"
#include "sh.h"
#include "unlocked.h"
#include "disk/disk.h"

#define IMG_SIZE	(4u << 20)
#define IMG_SECTORS	(IMG_SIZE / DISK_SECTOR)
#define MAX_OPS		2048
#define MAX_SECTORS	128		/* 64 KiB per request */
#define QD		8

enum kind_id { K_V3_4K, K_V2_16K, K_V3_64K_WT, K_V3_BACKING, K_V3_512_GROW, NKINDS };

struct kind {
	const char *name;
	const char *create;		/* qemu-img create options */
	uint64_t cluster;
	bool writethrough;
	bool backing;
	const char *prefill;		/* qemu-io commands run on the template */
};

static const struct kind kinds[NKINDS] = {
	[K_V3_4K] = { "v3, 4 KiB clusters", "-o cluster_size=4k", 4096, false, false,
		      NULL },
	[K_V2_16K] = { "v2, 16 KiB clusters", "-o compat=0.10,cluster_size=16k", 16384,
		       false, false, NULL },
	[K_V3_64K_WT] = { "v3, 64 KiB clusters, writethrough", "", 65536, true, false,
			  NULL },
	[K_V3_BACKING] = { "v3, 8 KiB clusters over a raw file",
			   "-o cluster_size=8k -b base.raw -F raw", 8192, false, true, NULL },
	/*
	 * 64-bit refcounts, 512-byte clusters: the table counts 2 MiB, and
	 * zeros written (not zero clusters) fill it nearly.
	 */
	[K_V3_512_GROW] = { "v3, 512-byte clusters, refcount table growth",
			    "-o cluster_size=512,refcount_bits=64", 512, false, false,
			    "-c 'write -P 0 2M 1800k'" },
};

enum op_kind { OP_WRITE, OP_FUA, OP_ZEROES, OP_DISCARD, OP_FLUSH };

struct op {
	enum op_kind kind;
	uint64_t sector;
	uint32_t count;
};

/* Shared with the child. */
struct progress {
	volatile uint32_t opened;
	volatile uint32_t issued;	/* ops [1, issued) were submitted */
	volatile uint32_t flushed;	/* ops [1, flushed) are durable */
	volatile uint8_t acked[MAX_OPS + 1];
	volatile uint8_t durable[MAX_OPS + 1];	/* FUA or write-through, acked */
	/* When each op was issued and acknowledged, on one clock (0: not yet). */
	volatile uint32_t clock;
	volatile uint32_t issued_at[MAX_OPS + 1];
	volatile uint32_t acked_at[MAX_OPS + 1];
};

static char dir[64];

static uint64_t rng(uint64_t *s)
{
	/* splitmix64 */
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void make_ops(uint64_t seed, struct op *ops)
{
	uint64_t s = seed;
	unsigned k;

	for (k = 1; k <= MAX_OPS; k++) {
		uint64_t r = rng(&s) % 100;

		ops[k].kind = r < 70 ? OP_WRITE : r < 76 ? OP_FUA : r < 84 ? OP_ZEROES :
			      r < 90 ? OP_DISCARD : OP_FLUSH;
		ops[k].count = 1 + (uint32_t)(rng(&s) % MAX_SECTORS);
		ops[k].sector = rng(&s) % (IMG_SECTORS - ops[k].count + 1);
		/* Runs of sequential writes too. */
		if (k > 1 && rng(&s) % 3 == 0 &&
		    ops[k - 1].sector + ops[k - 1].count + ops[k].count <= IMG_SECTORS)
			ops[k].sector = ops[k - 1].sector + ops[k - 1].count;
	}
}

/* A sector of op `op` (0: the backing file's original). */
static void fill_sector(uint8_t *p, uint64_t op, uint64_t sector)
{
	uint64_t s = op * 0x100000001b3ull + sector, v;
	unsigned i;

	memcpy(p, &op, 8);
	memcpy(p + 8, &sector, 8);
	for (i = 16; i < DISK_SECTOR; i += 8) {
		v = rng(&s);
		memcpy(p + i, &v, 8);
	}
}

/* == the child: requests until killed == */

struct child;

struct slot {
	struct disk_req req;
	struct child *c;
	struct iovec iov;
	uint8_t buf[MAX_SECTORS * DISK_SECTOR];
	uint32_t op;
	bool busy;
};

struct child {
	struct ioloop *loop;
	struct disk *d;
	struct progress *p;
	const struct kind *k;
	unsigned inflight;
	int flush_ret;
	bool flush_done;
	struct slot slots[QD];
};

static void op_done(struct disk_req *req, int ret)
{
	struct slot *sl = req->opaque;
	struct child *c = sl->c;

	if (ret) {
		fprintf(stderr, "qcow2-crash-test child: op %u failed: %s\n", sl->op,
			strerror(-ret));
		_exit(3);
	}
	c->p->acked[sl->op] = 1;
	c->p->acked_at[sl->op] = ++c->p->clock;
	/* Write-through makes writes and write-zeroes durable; a discard needs a flush. */
	if ((c->k->writethrough && req->op != DISK_DISCARD) || (req->flags & DISK_REQ_FUA))
		c->p->durable[sl->op] = 1;
	sl->busy = false;
	c->inflight--;
}

static void flush_done(struct disk_req *req, int ret)
{
	struct child *c = req->opaque;

	c->flush_ret = ret;
	c->flush_done = true;
}

static void submit_op(struct child *c, struct slot *sl, const struct op *op,
		      uint32_t k)
{
	static const enum disk_op ops[] = { DISK_WRITE, DISK_WRITE, DISK_WRITE_ZEROES,
					    DISK_DISCARD };
	uint32_t i;

	memset(&sl->req, 0, sizeof(sl->req));
	sl->req.op = ops[op->kind];
	sl->req.flags = op->kind == OP_FUA ? DISK_REQ_FUA : 0;
	sl->req.offset = op->sector * DISK_SECTOR;
	sl->req.len = (uint64_t)op->count * DISK_SECTOR;
	if (sl->req.op == DISK_WRITE) {
		for (i = 0; i < op->count; i++)
			fill_sector(sl->buf + i * DISK_SECTOR, k, op->sector + i);
		sl->iov.iov_base = sl->buf;
		sl->iov.iov_len = sl->req.len;
		sl->req.iov = &sl->iov;
		sl->req.iovcnt = 1;
	}
	sl->req.done = op_done;
	sl->req.opaque = sl;
	sl->c = c;
	sl->op = k;
	sl->busy = true;
	c->inflight++;
	c->p->issued = k + 1;
	c->p->issued_at[k] = ++c->p->clock;
	disk_submit(c->d, &sl->req);
	disk_unplug(c->d);
}

static void child_flush(struct child *c, uint32_t k)
{
	struct disk_req req;

	while (c->inflight)
		ioloop_run_once(c->loop, 100);
	memset(&req, 0, sizeof(req));
	req.op = DISK_FLUSH;
	req.done = flush_done;
	req.opaque = c;
	c->flush_done = false;
	c->p->issued = k + 1;
	disk_submit(c->d, &req);
	disk_unplug(c->d);
	while (!c->flush_done)
		ioloop_run_once(c->loop, 100);
	if (c->flush_ret)
		_exit(4);
	c->p->flushed = k;
}

static void child(const char *path, const struct kind *k, uint64_t seed,
		  struct progress *p)
{
	static struct child c;
	static struct op ops[MAX_OPS + 1];
	struct disk_options o;
	struct pool *pool;
	char err[256];
	uint32_t i;

	memset(&o, 0, sizeof(o));
	o.path = path;
	o.format = DISK_FORMAT_QCOW2;	/* a probed image may not have a backing file */
	o.cache = k->writethrough ? WCACHE_WRITETHROUGH : WCACHE_WRITEBACK;
	if (ioloop_create(&c.loop) || pool_create(&pool, 1) ||
	    disk_open(&c.d, &o, c.loop, pool, err, sizeof(err))) {
		fprintf(stderr, "qcow2-crash-test child: cannot open: %s\n", err);
		_exit(2);
	}
	c.p = p;
	c.k = k;
	make_ops(seed, ops);
	p->opened = 1;
	for (i = 1; i <= MAX_OPS; i++) {
		struct slot *sl = NULL;
		unsigned q;

		if (ops[i].kind == OP_FLUSH) {
			child_flush(&c, i);
			continue;
		}
		while (c.inflight >= QD)
			ioloop_run_once(c.loop, 100);
		for (q = 0; q < QD && !sl; q++)
			if (!c.slots[q].busy)
				sl = &c.slots[q];
		if (!sl)	/* inflight < QD: cannot happen */
			_exit(5);
		submit_op(&c, sl, &ops[i], i);
	}
	child_flush(&c, MAX_OPS + 1);
	_exit(0);
}

/* == the parent: what may each sector hold? == */

#define CONTENT_ZERO	UINT32_MAX	/* all zeros */
#define CONTENT_BAD	(UINT32_MAX - 1)

/* Which request a sector's contents came from (0: the backing file's). */
static uint32_t identify(const uint8_t *p, uint64_t sector)
{
	uint8_t want[DISK_SECTOR];
	uint64_t op;
	unsigned i;

	for (i = 0; i < DISK_SECTOR && !p[i]; i++)
		;
	if (i == DISK_SECTOR)
		return CONTENT_ZERO;
	memcpy(&op, p, 8);
	if (op > MAX_OPS)
		return CONTENT_BAD;
	fill_sector(want, op, sector);
	return memcmp(p, want, DISK_SECTOR) ? CONTENT_BAD : (uint32_t)op;
}

/* What op k leaves in `sector` (CONTENT_ZERO), or false if it does not touch it. */
static bool op_content(const struct op *op, uint32_t k, uint64_t sector,
		       uint64_t cluster, uint32_t *content)
{
	uint64_t spc = cluster / DISK_SECTOR, first, end;

	if (op->kind == OP_FLUSH || sector < op->sector ||
	    sector >= op->sector + op->count)
		return false;
	if (op->kind == OP_WRITE || op->kind == OP_FUA) {
		*content = k;
		return true;
	}
	if (op->kind == OP_ZEROES) {
		*content = CONTENT_ZERO;
		return true;
	}
	/* DISCARD: whole clusters read zeros afterwards; parts are left alone. */
	first = (op->sector + spc - 1) / spc * spc;
	end = (op->sector + op->count) / spc * spc;
	if (sector < first || sector >= end)
		return false;
	*content = CONTENT_ZERO;
	return true;
}

static bool durable(const struct progress *p, uint32_t k)
{
	return (k < p->flushed && p->acked[k]) || p->durable[k];
}

/*
 * Requests in flight together have no order: op k is overwritten for sure
 * only by a durable op j issued after k was acknowledged.
 */
static bool superseded(const struct progress *p, uint32_t k, const uint32_t *cover,
		       unsigned n)
{
	unsigned i;

	for (i = 0; i < n; i++) {
		uint32_t j = cover[i];

		if (durable(p, j) && (!k || (p->acked_at[k] && p->acked_at[k] < p->issued_at[j])))
			return true;
	}
	return false;
}

/* May `sector` hold `got`, given the requests issued and made durable? */
static bool sector_ok(const struct op *ops, const struct progress *p,
		      const struct kind *kd, uint64_t sector, uint32_t got)
{
	static uint32_t cover[MAX_OPS];
	uint32_t k, c, orig = kd->backing ? 0 : CONTENT_ZERO;
	unsigned n = 0, i;

	if (got == CONTENT_BAD)
		return false;
	for (k = 1; k < p->issued && k <= MAX_OPS; k++)
		if (op_content(&ops[k], k, sector, kd->cluster, &c))
			cover[n++] = k;
	/* The original contents, until a durable op covers the sector. */
	if (got == orig && !superseded(p, 0, cover, n))
		return true;
	for (i = 0; i < n; i++) {
		op_content(&ops[cover[i]], cover[i], sector, kd->cluster, &c);
		if (c == got && !superseded(p, cover[i], cover, n))
			return true;
	}
	return false;
}

struct verdict {
	bool rt_moved;			/* the header names a new refcount table */
	int check;			/* qemu-img check's exit status */
	uint64_t leaks;
	uint64_t bad_sectors;
	uint64_t first_bad;
};

static uint64_t leaked_clusters(void)
{
	char path[128], line[256];
	unsigned long long n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/check.out", dir);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, " leaked clusters were found") &&
		    sscanf(line, "%llu", &n) == 1)
			break;
	fclose(f);
	return n;
}

/* The header's refcount_table_offset (qemu-img puts it in the second cluster). */
static uint64_t rt_offset(void)
{
	uint8_t b[8] = { 0 };
	char path[128];
	uint64_t v = 0;
	FILE *f;
	int i;

	snprintf(path, sizeof(path), "%s/img.qcow2", dir);
	f = fopen(path, "rb");
	if (f) {
		if (fseek(f, 48, SEEK_SET) || fread(b, 1, 8, f) != 8)
			memset(b, 0, 8);
		fclose(f);
	}
	for (i = 0; i < 8; i++)
		v = v << 8 | b[i];
	return v;
}

static void verify(const struct kind *kd, uint64_t seed, const struct progress *p,
		   struct verdict *v)
{
	static struct op ops[MAX_OPS + 1];
	char path[128];
	uint8_t *img;
	uint64_t s;
	FILE *f;

	memset(v, 0, sizeof(*v));
	v->rt_moved = rt_offset() != kd->cluster;
	v->check = sh("qemu-img check %s/img.qcow2 >%s/check.out 2>&1", dir, dir);
	v->leaks = leaked_clusters();
	if (sh("qemu-img convert -O raw %s/img.qcow2 %s/img.raw", dir, dir)) {
		v->bad_sectors = IMG_SECTORS;
		return;
	}
	make_ops(seed, ops);
	img = malloc(IMG_SIZE);
	snprintf(path, sizeof(path), "%s/img.raw", dir);
	f = fopen(path, "rb");
	if (!img || !f || fread(img, 1, IMG_SIZE, f) != IMG_SIZE) {
		v->bad_sectors = IMG_SECTORS;
	} else {
		for (s = 0; s < IMG_SECTORS; s++) {
			uint32_t got = identify(img + s * DISK_SECTOR, s);

			if (sector_ok(ops, p, kd, s, got))
				continue;
			if (!v->bad_sectors++) {
				uint32_t k, c;

				v->first_bad = s;
				tap_diag("sector %" PRIu64 " holds %#x", s, got);
				for (k = 1; k < p->issued && k <= MAX_OPS; k++)
					if (op_content(&ops[k], k, s, kd->cluster, &c))
						tap_diag("  op %u kind %d [%" PRIu64 "+%u] acked %d "
							 "durable %d", k, ops[k].kind, ops[k].sector,
							 ops[k].count, p->acked[k], durable(p, k));
			}
		}
	}
	if (f)
		fclose(f);
	free(img);
}

/* == the cycles == */

static int load_templates(uint8_t **tmpl, size_t *len)
{
	char path[128];
	unsigned k;

	for (k = 0; k < NKINDS; k++) {
		FILE *f;
		long n;

		if (sh("cd %s && qemu-img create -q -f qcow2 %s t%u.qcow2 %u", dir,
		       kinds[k].create, k, IMG_SIZE))
			return -1;
		if (kinds[k].prefill && sh("cd %s && qemu-io -f qcow2 %s t%u.qcow2 "
					   ">/dev/null", dir, kinds[k].prefill, k))
			return -1;
		snprintf(path, sizeof(path), "%s/t%u.qcow2", dir, k);
		f = fopen(path, "rb");
		if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) <= 0 ||
		    fseek(f, 0, SEEK_SET)) {
			if (f)
				fclose(f);
			return -1;
		}
		tmpl[k] = malloc((size_t)n);
		len[k] = tmpl[k] && fread(tmpl[k], 1, (size_t)n, f) == (size_t)n ?
			 (size_t)n : 0;
		fclose(f);
		if (!len[k])
			return -1;
	}
	return 0;
}

static int make_base(void)
{
	uint8_t *b = malloc(IMG_SIZE);
	char path[128];
	uint64_t s;
	FILE *f;
	int ret = -1;

	snprintf(path, sizeof(path), "%s/base.raw", dir);
	f = fopen(path, "wb");
	if (b && f) {
		for (s = 0; s < IMG_SECTORS; s++)
			fill_sector(b + s * DISK_SECTOR, 0, s);
		ret = fwrite(b, 1, IMG_SIZE, f) == IMG_SIZE ? 0 : -1;
	}
	if (f && fclose(f))
		ret = -1;
	free(b);
	return ret;
}

static int write_image(const uint8_t *t, size_t len)
{
	char path[128];
	FILE *f;
	int ret;

	snprintf(path, sizeof(path), "%s/img.qcow2", dir);
	f = fopen(path, "wb");
	if (!f)
		return -1;
	ret = fwrite(t, 1, len, f) == len ? 0 : -1;
	return fclose(f) || ret ? -1 : 0;
}

/* One cycle: 0 passed, -1 failed (diagnosed). */
static int cycle(unsigned i, const struct kind *kd, const uint8_t *t, size_t len,
		 struct progress *p, uint64_t *leaks, unsigned *moved)
{
	uint64_t seed = 0x5eed0000ull + i;
	struct timespec ts;
	struct verdict v;
	char path[128];
	pid_t pid;
	int st;

	memset((void *)p, 0, sizeof(*p));
	if (write_image(t, len))
		return -1;
	snprintf(path, sizeof(path), "%s/img.qcow2", dir);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0)
		child(path, kd, seed, p);
	while (!p->opened && waitpid(pid, &st, WNOHANG) == 0)
		usleep(200);
	/* 1 to 40 ms of requests, then the kill. */
	ts.tv_sec = 0;
	ts.tv_nsec = (long)(1 + rng(&seed) % 40) * 1000000;
	seed = 0x5eed0000ull + i;
	nanosleep(&ts, NULL);
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	if (WIFEXITED(st) && WEXITSTATUS(st)) {
		tap_diag("cycle %u (%s): the child failed (exit %d)", i, kd->name,
			 WEXITSTATUS(st));
		return -1;
	}
	if (wait_unlocked(path) < 0) {
		tap_diag("cycle %u (%s): the image's lock is still held 10 s after the child died",
			 i, kd->name);
		return -1;
	}
	verify(kd, seed, p, &v);
	*leaks += v.leaks;
	*moved += v.rt_moved;
	if ((v.check != 0 && v.check != 3) || v.bad_sectors) {
		tap_diag("cycle %u (%s): %u ops issued, %u flushed: qemu-img check exit "
			 "%d, %" PRIu64 " bad sectors (first %" PRIu64 ")", i, kd->name,
			 p->issued, p->flushed, v.check, v.bad_sectors, v.first_bad);
		sh("sed 's/^/#   /' %s/check.out | head -8", dir);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *env = getenv("CRASH_CYCLES");
	unsigned cycles = argc > 1 ? (unsigned)atoi(argv[1]) : env ? (unsigned)atoi(env) : 150;
	unsigned i, failed = 0;
	unsigned per_kind[NKINDS] = { 0 }, leaky = 0, moved = 0;
	uint64_t kind_leaks[NKINDS] = { 0 };
	uint8_t *tmpl[NKINDS] = { 0 };
	size_t len[NKINDS];
	uint64_t leaks = 0;
	struct progress *p;

	snprintf(dir, sizeof(dir), "/tmp/qcow2-crash.XXXXXX");
	p = mmap(NULL, sizeof(*p), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		 -1, 0);
	if (!mkdtemp(dir) || p == MAP_FAILED || make_base() || load_templates(tmpl, len)) {
		tap_ok(0, "qcow2-crash-test: set up (qemu-img, a temporary directory)");
		return tap_done();
	}
	for (i = 0; i < cycles; i++) {
		unsigned k = i % NKINDS;
		uint64_t before = leaks;

		if (cycle(i, &kinds[k], tmpl[k], len[k], p, &leaks, &moved))
			failed++;
		per_kind[k]++;
		leaky += leaks != before;
		kind_leaks[k] += leaks - before;
	}
	for (i = 0; i < NKINDS; i++)
		tap_diag("%u cycles: %s; %" PRIu64 " leaked clusters after the kills",
			 per_kind[i], kinds[i].name, kind_leaks[i]);
	tap_diag("%u crashed images had a grown refcount table in place", moved);
	tap_diag("%u of %u crashed images had leaked clusters (%" PRIu64 " in all); "
		 "qemu-img check found no errors in %u", leaky, cycles, leaks,
		 cycles - failed);
	tap_ok(!failed, "qcow2 crash consistency: %u SIGKILL cycles, %u failed", cycles,
	       failed);
	for (i = 0; i < NKINDS; i++)
		free(tmpl[i]);
	sh("rm -rf %s", dir);
	return tap_done();
}
