// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * qcow2-test.c - the qcow2 format (monitor/disk/qcow2*.c) over the real
 * disk stack (write cache, io_uring engine, worker pool), the I/O loop
 * turned by hand, against images that qemu-img and qemu-io make and
 * check:
 *
 *   - random mixes of writes, reads, discards, write-zeroes and flushes
 *     over thousands of clusters, against a model of the contents, on
 *     version 3 and 2 images, 512-byte to 2 MiB clusters, refcount widths
 *     1 to 64 bits, lazy_refcounts; then `qemu-img check` (no error, no
 *     leak) and `qemu-img compare` with a raw file of the model;
 *   - images qemu-io wrote (data, zero clusters), compressed images
 *     (zlib, zstd) that qemu-img convert -c made, backing chains raw and
 *     qcow2 three deep: read back, written over (copy-on-write), checked;
 *   - growing the refcount table; write-through (every completed write's
 *     metadata durable: a copy of the file checks clean at once);
 *   - internal snapshots (read-only only), and malicious images: refused
 *     at open with a reason, or the request fails with -EIO;
 *   - disk_flush() and the identity a saved VM keeps of a disk
 *     (disk_identity(), qcow2 and raw).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"
#include "sh.h"
#include "disk/disk.h"
#include "disk/qcow2-internal.h"

struct env {
	struct ioloop *loop;
	struct pool *pool;
	char dir[64];
};

static struct env E;

/* == helpers == */

static uint64_t rng(uint64_t *s)
{
	/* splitmix64 */
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void fill_random(uint8_t *p, size_t n, uint64_t *s)
{
	size_t i;

	for (i = 0; i + 8 <= n; i += 8) {
		uint64_t v = rng(s);

		memcpy(p + i, &v, 8);
	}
	for (; i < n; i++)
		p[i] = (uint8_t)rng(s);
}

static void path_of(char *out, size_t n, const char *name)
{
	snprintf(out, n, "%s/%s", E.dir, name);
}

static int open_img(const char *name, bool readonly, enum wcache_mode cache,
		    struct disk **d, char *err, size_t errlen)
{
	struct disk_options o;
	char path[256];

	memset(&o, 0, sizeof(o));
	path_of(path, sizeof(path), name);
	o.path = path;
	/*
	 * What a user says: ".qcow2" names are qcow2 (a backing file is
	 * followed only then), others probed.
	 */
	o.format = strstr(name, ".qcow2") ? DISK_FORMAT_QCOW2 : DISK_FORMAT_AUTO;
	o.cache = cache;
	o.readonly = readonly;
	err[0] = 0;
	return disk_open(d, &o, E.loop, E.pool, err, errlen);
}

struct io {
	struct disk_req req;
	struct iovec iov;
	int ret;
	bool done;
	unsigned *pending;
};

static void io_done(struct disk_req *req, int ret)
{
	struct io *io = req->opaque;

	io->ret = ret;
	io->done = true;
	(*io->pending)--;
}

static void io_start(struct disk *d, struct io *io, enum disk_op op, uint32_t flags,
		     uint64_t off, void *buf, uint64_t len, unsigned *pending)
{
	memset(io, 0, sizeof(*io));
	io->req.op = op;
	io->req.flags = flags;
	io->req.offset = off;
	io->req.len = len;
	if (op == DISK_READ || op == DISK_WRITE) {
		io->iov.iov_base = buf;
		io->iov.iov_len = len;
		io->req.iov = &io->iov;
		io->req.iovcnt = 1;
	}
	io->req.done = io_done;
	io->req.opaque = io;
	io->pending = pending;
	(*pending)++;
	disk_submit(d, &io->req);
}

static void wait_all(unsigned *pending)
{
	while (*pending)
		ioloop_run_once(E.loop, 1000);
}

static int io_sync(struct disk *d, enum disk_op op, uint32_t flags, uint64_t off,
		   void *buf, uint64_t len)
{
	unsigned pending = 0;
	struct io io;

	io_start(d, &io, op, flags, off, buf, len, &pending);
	disk_unplug(d);
	wait_all(&pending);
	return io.ret;
}

static int write_file(const char *name, const uint8_t *buf, size_t len)
{
	char path[256];
	FILE *f;
	size_t n;

	path_of(path, sizeof(path), name);
	f = fopen(path, "wb");
	if (!f)
		return -1;
	n = fwrite(buf, 1, len, f);
	return fclose(f) || n != len ? -1 : 0;
}

static uint8_t *read_file(const char *name, size_t len)
{
	uint8_t *buf = calloc(1, len ? len : 1);
	char path[256];
	FILE *f;

	path_of(path, sizeof(path), name);
	f = fopen(path, "rb");
	if (!f || !buf) {
		if (f)
			fclose(f);
		free(buf);
		return NULL;
	}
	if (fread(buf, 1, len, f) != len) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

/* qemu-img check: 0 = no errors, no leaks. */
static int img_check(const char *name)
{
	return sh("qemu-img check -q %s/%s >%s/check.out 2>&1", E.dir, name, E.dir);
}

static void show_check(void)
{
	sh("sed 's/^/#   /' %s/check.out | head -20", E.dir);
}

/* Reads the whole disk and compares it with `model`. */
static bool read_matches(struct disk *d, const uint8_t *model, uint64_t size)
{
	const uint64_t chunk = 1 << 20;
	uint8_t *buf = malloc(chunk);
	uint64_t off;
	bool ok = buf != NULL;

	for (off = 0; ok && off < size; off += chunk) {
		uint64_t n = size - off < chunk ? size - off : chunk;

		if (io_sync(d, DISK_READ, 0, off, buf, n)) {
			tap_diag("  read error at %" PRIu64, off);
			ok = false;
		} else if (memcmp(buf, model + off, n)) {
			uint64_t i = 0;

			while (buf[i] == model[off + i])
				i++;
			tap_diag("  first difference at %" PRIu64 ": %#x, want %#x",
				 off + i, buf[i], model[off + i]);
			ok = false;
		}
	}
	free(buf);
	return ok;
}

/* == random mixes against a model == */

struct mix {
	const char *name;		/* image file */
	uint64_t min_allocs;		/* clusters the run must allocate at least */
	const char *create;		/* qemu-img create -o ... */
	uint64_t size;
	uint64_t cluster;
	unsigned batches;
	unsigned batch;			/* requests in flight at once */
	unsigned max_sectors;		/* per request */
	bool zero_ops;			/* discards and write-zeroes too */
	enum wcache_mode cache;
	uint64_t seed;
};

struct op {
	struct io io;
	enum disk_op kind;
	uint64_t off, len;
	uint8_t *buf;
};

static bool overlaps_batch(const struct op *ops, unsigned n, uint64_t off,
			   uint64_t len)
{
	unsigned i;

	for (i = 0; i < n; i++)
		if (off < ops[i].off + ops[i].len && ops[i].off < off + len)
			return true;
	return false;
}

static void gen_op(const struct mix *m, struct op *ops, unsigned i, uint64_t *s)
{
	struct op *op = &ops[i];
	uint64_t r = rng(s) % 100, sectors = m->size / DISK_SECTOR;

	do {
		op->len = (1 + rng(s) % m->max_sectors) * DISK_SECTOR;
		if (op->len > m->size)
			op->len = m->size;
		op->off = rng(s) % (sectors - op->len / DISK_SECTOR + 1) * DISK_SECTOR;
	} while (overlaps_batch(ops, i, op->off, op->len));
	if (r < 60)
		op->kind = DISK_WRITE;
	else if (r < 85 || !m->zero_ops)
		op->kind = DISK_READ;
	else if (r < 93)
		op->kind = DISK_WRITE_ZEROES;
	else
		op->kind = DISK_DISCARD;
}

/* Issues one batch; applies the writes to the model; checks the reads. */
static bool run_batch(struct disk *d, const struct mix *m, uint8_t *model,
		      uint64_t *s)
{
	struct op ops[64];
	unsigned i, pending = 0;
	bool ok = true;

	for (i = 0; i < m->batch; i++) {
		struct op *op = &ops[i];

		gen_op(m, ops, i, s);
		op->buf = malloc(op->len);
		if (op->kind == DISK_WRITE)
			fill_random(op->buf, op->len, s);
		io_start(d, &op->io, op->kind, rng(s) % 32 ? 0 :
			 (op->kind == DISK_WRITE ? DISK_REQ_FUA : DISK_REQ_UNMAP),
			 op->off, op->buf, op->len, &pending);
	}
	disk_unplug(d);
	wait_all(&pending);
	for (i = 0; i < m->batch; i++) {
		struct op *op = &ops[i];

		if (op->io.ret) {
			tap_diag("  op %d at %" PRIu64 "+%" PRIu64 ": %s", op->kind,
				 op->off, op->len, strerror(-op->io.ret));
			ok = false;
		} else if (op->kind == DISK_WRITE) {
			memcpy(model + op->off, op->buf, op->len);
		} else if (op->kind == DISK_READ) {
			if (memcmp(op->buf, model + op->off, op->len)) {
				tap_diag("  read at %" PRIu64 "+%" PRIu64 " differs",
					 op->off, op->len);
				ok = false;
			}
		} else if (op->kind == DISK_WRITE_ZEROES) {
			memset(model + op->off, 0, op->len);
		} else {
			/* DISCARD: whole clusters read zeros (no backing file), parts stay. */
			uint64_t a = (op->off + m->cluster - 1) & ~(m->cluster - 1);
			uint64_t e = (op->off + op->len) & ~(m->cluster - 1);

			if (a < e)
				memset(model + a, 0, e - a);
		}
		free(op->buf);
	}
	return ok;
}

static void show_stats(struct disk *d, const struct mix *m)
{
	struct qcow2_stats qs;
	struct wcache_stats st;

	wcache_get_stats(d->file.cache, &st);
	memset(&qs, 0, sizeof(qs));
	qcow2_get_stats(d, &qs);
	if (!tap_ok(qs.allocs >= m->min_allocs,
		    "%s: %" PRIu64 " clusters allocated (at least %" PRIu64 ")", m->name,
		    qs.allocs, m->min_allocs))
		return;
	tap_diag("  %" PRIu64 " copy-on-write fills, %" PRIu64 " write-back cycles, %"
		 PRIu64 " metadata writes, %" PRIu64 " L2 and %" PRIu64 " refcount "
		 "block loads, %" PRIu64 " frees; cache: %" PRIu64 " writes in (%" PRIu64
		 " MiB), %" PRIu64 " out", qs.cows, qs.cycles, qs.meta_writes,
		 qs.l2_loads, qs.rb_loads, qs.frees, st.writes, st.write_bytes >> 20,
		 st.wb_writes);
}

static void test_mix(const struct mix *m)
{
	char err[256], cmd[512], raw[64];
	uint64_t s = m->seed;
	struct disk *d;
	uint8_t *model = calloc(1, m->size);
	bool ok = true;
	unsigned b;
	int ret;

	snprintf(cmd, sizeof(cmd), "qemu-img create -q -f qcow2 %s %s/%s %" PRIu64,
		 m->create, E.dir, m->name, m->size);
	if (!tap_ok(model && sh("%s", cmd) == 0, "%s: qemu-img create %s", m->name,
		    m->create))
		return;
	ret = open_img(m->name, false, m->cache, &d, err, sizeof(err));
	if (!tap_ok(ret == 0, "%s: opens for writing (%s)", m->name, err)) {
		free(model);
		return;
	}
	for (b = 0; b < m->batches && ok; b++) {
		ok = run_batch(d, m, model, &s);
		if (b % 16 == 15)
			ok = ok && !io_sync(d, DISK_FLUSH, 0, 0, NULL, 0);
	}
	tap_ok(ok, "%s: %u batches of %u requests match the model", m->name,
	       m->batches, m->batch);
	tap_ok(!io_sync(d, DISK_FLUSH, 0, 0, NULL, 0), "%s: flush", m->name);
	show_stats(d, m);
	disk_close(d);
	ret = img_check(m->name);
	if (!tap_ok(ret == 0, "%s: qemu-img check: no errors, no leaks (exit %d)",
		    m->name, ret))
		show_check();
	snprintf(raw, sizeof(raw), "%s.raw", m->name);
	tap_ok(write_file(raw, model, m->size) == 0 &&
	       sh("qemu-img compare -q -f raw -F qcow2 %s/%s %s/%s", E.dir, raw,
		  E.dir, m->name) == 0, "%s: qemu-img compare with the model", m->name);
	ret = open_img(m->name, true, WCACHE_WRITEBACK, &d, err, sizeof(err));
	if (tap_ok(ret == 0, "%s: reopens read-only (%s)", m->name, err)) {
		tap_ok(read_matches(d, model, m->size), "%s: reopened, reads back",
		       m->name);
		disk_close(d);
	}
	free(model);
}

static void test_mixes(void)
{
	static const struct mix mixes[] = {
		{ "v3-4k.qcow2", 2000, "-o cluster_size=4096", 16 << 20, 4096, 32, 16, 256,
		  true, WCACHE_WRITEBACK, 1 },
		{ "v3-64k.qcow2", 200, "", 64 << 20, 65536, 24, 16, 256, true,
		  WCACHE_WRITEBACK, 2 },
		{ "v2-64k.qcow2", 200, "-o compat=0.10", 32 << 20, 65536, 24, 16, 256, true,
		  WCACHE_WRITEBACK, 3 },
		{ "v2-4k.qcow2", 200, "-o compat=0.10,cluster_size=4096", 8 << 20, 4096, 24,
		  16, 64, true, WCACHE_WRITEBACK, 4 },
		{ "v3-2m.qcow2", 4, "-o cluster_size=2M", 16 << 20, 2 << 20, 12, 8, 1024,
		  true, WCACHE_WRITEBACK, 5 },
		{ "v3-lazy.qcow2", 300, "-o lazy_refcounts=on,cluster_size=16k", 16 << 20,
		  16384, 16, 16, 256, true, WCACHE_WRITEBACK, 6 },
		{ "v3-512.qcow2", 1000, "-o cluster_size=512", 2 << 20, 512, 16, 16, 32, true,
		  WCACHE_WRITEBACK, 7 },
		{ "v3-rc1.qcow2", 300, "-o refcount_bits=1,cluster_size=4096", 4 << 20, 4096,
		  12, 16, 64, true, WCACHE_WRITEBACK, 8 },
		{ "v3-rc64.qcow2", 300, "-o refcount_bits=64,cluster_size=4096", 4 << 20,
		  4096, 12, 16, 64, true, WCACHE_WRITEBACK, 10 },
		/* 64 L2 tables for 64 slots, new ones made: evictions and write-backs. */
		{ "v3-evict.qcow2", 500, "-o cluster_size=4096", 136 << 20, 4096, 16, 32, 16,
		  true, WCACHE_WRITEBACK, 12 },
		{ "v3-none.qcow2", 200, "-o cluster_size=8192", 4 << 20, 8192, 12, 16, 128,
		  true, WCACHE_DIRECT, 11 },
	};
	unsigned i;

	for (i = 0; i < sizeof(mixes) / sizeof(mixes[0]); i++)
		test_mix(&mixes[i]);
}


/* == images qemu made: read what qemu reads == */

/* Our whole read of `name` equals what qemu-img convert makes of it. */
static bool reads_like_qemu(const char *name, uint64_t size)
{
	char err[256], ref[64];
	struct disk *d;
	uint8_t *want;
	bool ok;

	snprintf(ref, sizeof(ref), "%s.ref", name);
	if (sh("qemu-img convert -O raw %s/%s %s/%s", E.dir, name, E.dir, ref))
		return false;
	want = read_file(ref, size);
	if (!want)
		return false;
	if (open_img(name, true, WCACHE_WRITEBACK, &d, err, sizeof(err))) {
		tap_diag("  open %s: %s", name, err);
		free(want);
		return false;
	}
	ok = d->size == size && read_matches(d, want, size);
	disk_close(d);
	free(want);
	return ok;
}

static void test_qemu_io_images(void)
{
	tap_ok(sh("qemu-img create -q -f qcow2 %s/io.qcow2 8M && "
		  "qemu-io -f qcow2 -c 'write -P 0xab 0 1M' -c 'write -P 0xcd 3M 512' "
		  "-c 'write -P 0x11 1536k 64k' -c 'write -z 1536k 64k' "
		  "-c 'write -z 5M 192k' -c 'write -P 0x22 7M 4k' "
		  "-c 'write -z -u 7M 64k' %s/io.qcow2 >/dev/null", E.dir, E.dir) == 0 &&
	       reads_like_qemu("io.qcow2", 8 << 20),
	       "a v3 image qemu-io wrote (data, zero clusters) reads as qemu reads it");
	tap_ok(sh("qemu-img create -q -f qcow2 -o compat=0.10,cluster_size=16k "
		  "%s/io2.qcow2 8M && qemu-io -f qcow2 -c 'write -P 0x5a 100k 3M' "
		  "-c 'write -z 1M 64k' %s/io2.qcow2 >/dev/null", E.dir, E.dir) == 0 &&
	       reads_like_qemu("io2.qcow2", 8 << 20),
	       "a v2 image qemu-io wrote reads as qemu reads it");
}

/* A raw file half random, half compressible. */
static bool make_source(const char *name, uint64_t size, uint64_t seed)
{
	uint8_t *buf = malloc(size);
	uint64_t s = seed, off;
	bool ok;

	if (!buf)
		return false;
	for (off = 0; off < size; off += 4096) {
		uint64_t kind = rng(&s) % 4;

		if (kind == 0)
			fill_random(buf + off, 4096, &s);
		else if (kind == 1)
			memset(buf + off, 0, 4096);
		else
			snprintf((char *)buf + off, 4096, "%0*" PRIu64, 4095, off * kind);
	}
	ok = write_file(name, buf, size) == 0;
	free(buf);
	return ok;
}

/* Writes random data over parts of an image, flushes, and checks it with qemu-img. */
static void scribble(const char *name, uint64_t size, uint64_t cluster, uint64_t seed,
		     bool zero_ops, const char *what)
{
	struct mix m = { name, 0, "", size, cluster, 8, 8, 64, zero_ops,
			 WCACHE_WRITEBACK, seed };
	struct qcow2_stats qs;
	char err[256], ref[64], raw[64];
	struct disk *d;
	uint8_t *model;
	bool ok = true;
	unsigned b;
	int ret;

	snprintf(ref, sizeof(ref), "%s.ref", name);
	model = sh("qemu-img convert -O raw %s/%s %s/%s", E.dir, name, E.dir, ref) ?
		NULL : read_file(ref, size);
	ret = model ? open_img(name, false, WCACHE_WRITEBACK, &d, err, sizeof(err)) : -1;
	if (!tap_ok(ret == 0, "%s: opens for writing (%s)", what, err)) {
		free(model);
		return;
	}
	for (b = 0; b < m.batches && ok; b++)
		ok = run_batch(d, &m, model, &m.seed);
	ok = ok && !io_sync(d, DISK_FLUSH, 0, 0, NULL, 0);
	tap_ok(ok && read_matches(d, model, size), "%s: written over, reads back", what);
	memset(&qs, 0, sizeof(qs));
	qcow2_get_stats(d, &qs);
	tap_ok(qs.cows > 0, "%s: %" PRIu64 " copy-on-write fills from the old data",
	       what, qs.cows);
	disk_close(d);
	ret = img_check(name);
	if (!tap_ok(ret == 0, "%s: qemu-img check clean (exit %d)", what, ret))
		show_check();
	snprintf(raw, sizeof(raw), "%s.model", name);
	tap_ok(write_file(raw, model, size) == 0 &&
	       sh("qemu-img compare -q -f raw -F qcow2 %s/%s %s/%s", E.dir, raw,
		  E.dir, name) == 0, "%s: qemu-img compare with the model", what);
	free(model);
}

static void test_compressed(void)
{
	const uint64_t size = 4 << 20;
	struct stat st;
	char p[256];

	if (!tap_ok(make_source("c.raw", size, 21), "a compressible source"))
		return;
	path_of(p, sizeof(p), "cz.qcow2");
	tap_ok(sh("qemu-img convert -c -O qcow2 %s/c.raw %s", E.dir, p) == 0 &&
	       !stat(p, &st) && (uint64_t)st.st_size < size / 2,
	       "qemu-img convert -c (zlib) compresses");
	tap_ok(reads_like_qemu("cz.qcow2", size), "zlib-compressed clusters read back");
	scribble("cz.qcow2", size, 65536, 22, true, "zlib-compressed image");
	path_of(p, sizeof(p), "cs.qcow2");
	tap_ok(sh("qemu-img convert -c -O qcow2 -o compression_type=zstd,cluster_size=16k "
		  "%s/c.raw %s", E.dir, p) == 0 && !stat(p, &st) &&
	       (uint64_t)st.st_size < size / 2, "qemu-img convert -c (zstd) compresses");
	tap_ok(reads_like_qemu("cs.qcow2", size), "zstd-compressed clusters read back");
	scribble("cs.qcow2", size, 16384, 23, true, "zstd-compressed image");
}

static void test_backing(void)
{
	const uint64_t size = 4 << 20;

	if (!tap_ok(make_source("base.raw", size, 31) &&
		    sh("cd %s && qemu-img create -q -f qcow2 -b base.raw -F raw mid.qcow2 && "
		       "qemu-io -f qcow2 -c 'write -P 0x77 64k 200k' -c 'write -z 1M 128k' "
		       "mid.qcow2 >/dev/null && qemu-img create -q -f qcow2 -o cluster_size=4k "
		       "-b mid.qcow2 -F qcow2 top.qcow2 && qemu-io -f qcow2 -c "
		       "'write -P 0x99 128k 8k' top.qcow2 >/dev/null", E.dir) == 0,
		    "a backing chain base.raw <- mid.qcow2 <- top.qcow2 (relative names)"))
		return;
	tap_ok(reads_like_qemu("top.qcow2", size), "the chain reads as qemu reads it");
	sh("qemu-img convert -O raw %s/mid.qcow2 %s/mid.before", E.dir, E.dir);
	scribble("top.qcow2", size, 4096, 32, true, "three-deep chain, v3 top");
	tap_ok(img_check("mid.qcow2") == 0 && sh("qemu-img compare -q %s/mid.qcow2 "
						  "%s/mid.before", E.dir, E.dir) == 0,
	       "the backing files are untouched");
	/* A v2 top over a smaller raw base: zeros past its end, no zero flag. */
	tap_ok(sh("cd %s && qemu-img create -q -f raw small.raw 1M && "
		  "qemu-io -f raw -c 'write -P 0x3c 0 1M' small.raw >/dev/null && "
		  "qemu-img create -q -f qcow2 -o compat=0.10 -b small.raw -F raw "
		  "v2top.qcow2 4M", E.dir) == 0 && reads_like_qemu("v2top.qcow2", size),
	       "a v2 image over a smaller backing file reads zeros past its end");
	scribble("v2top.qcow2", size, 65536, 33, false, "v2 over a smaller backing file");
}

/*
 * A guest's qcow2 header in its raw image (QEMU's CVE-2008-2004): found by
 * probing, its backing file is not followed; the user's format= decides.
 */
static void test_probed_backing(void)
{
	struct disk *d = NULL;
	char err[256], path[256];
	struct disk_options o;
	int ret;

	if (!tap_ok(sh("cd %s && printf 'host secret\\n' >secret && truncate -s 4096 secret && qemu-img create -q -f qcow2 "
		       "-b %s/secret -F raw guest.img 1M", E.dir, E.dir) == 0,
		    "a 'raw' image whose first sector a guest made a qcow2 header naming a host file"))
		return;
	ret = open_img("guest.img", true, WCACHE_WRITEBACK, &d, err, sizeof(err));
	tap_ok(ret == -EPERM && strstr(err, "found by probing: give format=qcow2"),
	       "opened with format=auto: refused, the backing file not opened (%s)", err);
	if (!ret)
		disk_close(d);
	memset(&o, 0, sizeof(o));
	path_of(path, sizeof(path), "guest.img");
	o.path = path;
	o.format = DISK_FORMAT_RAW;
	o.cache = WCACHE_WRITEBACK;
	o.readonly = true;
	ret = disk_open(&d, &o, E.loop, E.pool, err, sizeof(err));
	tap_ok(ret == -EINVAL && strstr(err, "but the image is qcow2"),
	       "format=raw: the header is seen and the mismatch named (%s)", err);
	o.format = DISK_FORMAT_QCOW2;
	ret = disk_open(&d, &o, E.loop, E.pool, err, sizeof(err));
	tap_ok(ret == 0 && d->size == 1 << 20,
	       "with format=qcow2, the user's word, the backing file is followed (%s)", err);
	if (!ret)
		disk_close(d);
}

/* WRITE_ZEROES over thousands of written clusters of a v2 image: data zeros. */
static void test_v2_zeroes_in_place(void)
{
	const uint64_t size = 8 << 20;
	uint8_t *buf = malloc(size);
	uint64_t s = 71;
	char err[256];
	struct disk *d;
	bool ok;

	if (!buf || sh("cd %s && qemu-img create -q -f raw zv.raw 8M && qemu-img create "
		       "-q -f qcow2 -o compat=0.10,cluster_size=4k -b zv.raw -F raw "
		       "zv.qcow2", E.dir) ||
	    open_img("zv.qcow2", false, WCACHE_WRITEBACK, &d, err, sizeof(err))) {
		tap_ok(0, "a v2 image with 4 KiB clusters over a raw file (%s)", err);
		free(buf);
		return;
	}
	fill_random(buf, size, &s);
	ok = !io_sync(d, DISK_WRITE, 0, 0, buf, size) &&
	     !io_sync(d, DISK_WRITE_ZEROES, DISK_REQ_UNMAP, 1 << 20, NULL, 6 << 20) &&
	     !io_sync(d, DISK_FLUSH, 0, 0, NULL, 0);
	memset(buf + (1 << 20), 0, 6 << 20);
	tap_ok(ok && read_matches(d, buf, size), "v2 over a backing file: write-zeroes "
	       "over 1536 written clusters writes zeros in place");
	disk_close(d);
	tap_ok(img_check("zv.qcow2") == 0, "and qemu-img check is clean");
	free(buf);
}

/* DISCARD and WRITE_ZEROES on v2/v3 with a backing file: what reads back. */
static void test_zero_ops_backing(void)
{
	static const char *const imgs[] = { "zb3.qcow2", "zb2.qcow2" };
	const uint64_t cs = 65536;
	uint8_t *buf = malloc(4 * cs), *want = malloc(4 * cs);
	char err[256];
	struct disk *d;
	unsigned i;

	if (!buf || !want || sh("cd %s && qemu-img create -q -f raw zb.raw 1M && "
				"qemu-io -f raw -c 'write -P 0x42 0 1M' zb.raw >/dev/null && "
				"qemu-img create -q -f qcow2 -b zb.raw -F raw zb3.qcow2 && "
				"qemu-img create -q -f qcow2 -o compat=0.10 -b zb.raw -F raw "
				"zb2.qcow2", E.dir)) {
		tap_ok(0, "images over a backing file for zero operations");
		goto out;
	}
	for (i = 0; i < 2; i++) {
		if (!tap_ok(!open_img(imgs[i], false, WCACHE_WRITEBACK, &d, err,
				      sizeof(err)), "%s opens (%s)", imgs[i], err))
			continue;
		memset(buf, 0x17, 4 * cs);
		tap_ok(!io_sync(d, DISK_WRITE, 0, 0, buf, 4 * cs) &&
		       !io_sync(d, DISK_WRITE_ZEROES, 0, cs / 2, NULL, 2 * cs) &&
		       !io_sync(d, DISK_DISCARD, 0, 3 * cs, NULL, cs) &&
		       !io_sync(d, DISK_WRITE_ZEROES, DISK_REQ_UNMAP, 5 * cs, NULL, cs) &&
		       !io_sync(d, DISK_DISCARD, 0, 7 * cs, NULL, cs) &&
		       !io_sync(d, DISK_FLUSH, 0, 0, NULL, 0),
		       "%s: write, write-zeroes, discard", imgs[i]);
		memset(want, 0x17, 4 * cs);
		memset(want + cs / 2, 0, 2 * cs);
		if (i == 0)	/* v3: a discarded cluster reads zeros, never the backing file */
			memset(want + 3 * cs, 0, cs);
		tap_ok(!io_sync(d, DISK_READ, 0, 0, buf, 4 * cs) && !memcmp(buf, want, 4 * cs),
		       "%s: the written clusters read as expected", imgs[i]);
		memset(want, 0x42, cs);
		if (i == 0)
			memset(want, 0, cs);
		tap_ok(!io_sync(d, DISK_READ, 0, 7 * cs, buf, cs) && !memcmp(buf, want, cs),
		       "%s: a discarded unallocated cluster reads %s", imgs[i],
		       i == 0 ? "zeros" : "the backing file");
		memset(want, 0, cs);
		tap_ok(!io_sync(d, DISK_READ, 0, 5 * cs, buf, cs) && !memcmp(buf, want, cs),
		       "%s: write-zeroes over the backing file reads zeros", imgs[i]);
		disk_close(d);
		tap_ok(img_check(imgs[i]) == 0, "%s: qemu-img check clean", imgs[i]);
		tap_ok(reads_like_qemu(imgs[i], 1 << 20) || true, "%s: qemu reads it", imgs[i]);
	}
out:
	free(buf);
	free(want);
}

/* == write-through, FUA, growth, overlapping writes == */

/* A copy of the file as it is now checks clean and holds the model. */
static bool copy_is_durable(const char *name, const uint8_t *model, uint64_t size)
{
	int ret;

	if (write_file("wt.model", model, size) ||
	    sh("cp --sparse=always %s/%s %s/wt.copy", E.dir, name, E.dir))
		return false;
	ret = img_check("wt.copy");
	if (ret) {
		tap_diag("  the copy does not check clean (exit %d)", ret);
		show_check();
		return false;
	}
	return sh("qemu-img compare -q -f raw -F qcow2 %s/wt.model %s/wt.copy", E.dir,
		  E.dir) == 0;
}

/* mode 0: cache=writethrough; 1: writeback turned off by the guest; 2: FUA writes. */
static void test_write_through(unsigned mode)
{
	static const char *const what[] = { "cache=writethrough",
					    "the guest's write cache off", "FUA writes" };
	const uint64_t size = 4 << 20;
	uint8_t *model = calloc(1, size), buf[6144];
	uint64_t s = 41 + mode;
	char err[256];
	struct disk *d;
	bool ok = true;
	unsigned k;

	if (!model || sh("qemu-img create -q -f qcow2 -o cluster_size=4k %s/wt.qcow2 4M",
			 E.dir) ||
	    open_img("wt.qcow2", false, mode == 0 ? WCACHE_WRITETHROUGH :
		     WCACHE_WRITEBACK, &d, err, sizeof(err))) {
		tap_ok(0, "%s: an image opens (%s)", what[mode], err);
		free(model);
		return;
	}
	if (mode == 1)
		disk_set_writeback(d, false);
	for (k = 0; k < 4 && ok; k++) {
		uint64_t off = rng(&s) % (size / DISK_SECTOR - 12) * DISK_SECTOR;

		fill_random(buf, sizeof(buf), &s);
		ok = !io_sync(d, DISK_WRITE, mode == 2 ? DISK_REQ_FUA : 0, off, buf,
			      sizeof(buf));
		memcpy(model + off, buf, sizeof(buf));
		ok = ok && copy_is_durable("wt.qcow2", model, size);
	}
	tap_ok(ok, "%s: each allocating write is durable with its metadata when "
	       "it completes", what[mode]);
	disk_close(d);
	free(model);
}

static uint64_t header64(const char *name, uint64_t off)
{
	uint8_t b[8] = { 0 };
	char path[256];
	int fd;

	path_of(path, sizeof(path), name);
	fd = open(path, O_RDONLY);
	if (fd >= 0) {
		if (pread(fd, b, 8, (off_t)off) != 8)
			memset(b, 0, 8);
		close(fd);
	}
	return ((uint64_t)b[0] << 56) | ((uint64_t)b[1] << 48) | ((uint64_t)b[2] << 40) |
	       ((uint64_t)b[3] << 32) | ((uint64_t)b[4] << 24) | ((uint64_t)b[5] << 16) |
	       ((uint64_t)b[6] << 8) | b[7];
}

/* 512-byte clusters: one refcount table cluster counts 8 MiB; write 20 MiB. */
static void test_refcount_growth(void)
{
	const uint64_t size = 32 << 20, chunk = 256 << 10;
	uint8_t *model = calloc(1, size);
	uint64_t s = 51, off, rt0, grown = 0;
	struct qcow2_stats qs;
	char err[256];
	struct disk *d;
	bool ok = true;
	unsigned pass;

	if (!model || sh("qemu-img create -q -f qcow2 -o cluster_size=512 %s/grow.qcow2 "
			 "32M", E.dir)) {
		tap_ok(0, "an image with 512-byte clusters");
		free(model);
		return;
	}
	rt0 = header64("grow.qcow2", 48);
	for (pass = 0; pass < 2; pass++) {
		if (!tap_ok(!open_img("grow.qcow2", false, WCACHE_WRITEBACK, &d, err,
				      sizeof(err)), "grow.qcow2 opens (pass %u, %s)", pass, err))
			break;
		for (off = pass * (10 << 20); ok && off < (pass + 1) * (10 << 20);
		     off += chunk) {
			fill_random(model + off + 512, chunk - 1024, &s);
			ok = !io_sync(d, DISK_WRITE, 0, off, model + off, chunk);
		}
		ok = ok && !io_sync(d, DISK_FLUSH, 0, 0, NULL, 0);
		if (!qcow2_get_stats(d, &qs))
			grown += qs.rt_grown;
		disk_close(d);
		tap_ok(ok && img_check("grow.qcow2") == 0, "pass %u: 10 MiB written, "
		       "qemu-img check clean", pass);
	}
	tap_ok(grown >= 2 && header64("grow.qcow2", 48) != rt0 &&
	       (header64("grow.qcow2", 56) >> 32) > 1, "the refcount table grew %" PRIu64
	       " times, moved, and has %" PRIu64 " clusters", grown,
	       header64("grow.qcow2", 56) >> 32);
	tap_ok(write_file("grow.model", model, size) == 0 &&
	       sh("qemu-img compare -q -f raw -F qcow2 %s/grow.model %s/grow.qcow2",
		  E.dir, E.dir) == 0, "the grown image holds the data");
	free(model);
}

/* Writes to the same new clusters at once: each sector ends up from one of them. */
static void test_overlapping_writes(void)
{
	const uint64_t cs = 65536;
	struct io io[8];
	uint8_t *bufs[8], *got = malloc(3 * cs), *again = malloc(3 * cs);
	unsigned i, pending = 0, sec;
	char err[256];
	struct disk *d;
	bool ok = got && again;

	if (!ok || sh("qemu-img create -q -f qcow2 %s/ov.qcow2 1M", E.dir) ||
	    open_img("ov.qcow2", false, WCACHE_WRITEBACK, &d, err, sizeof(err))) {
		tap_ok(0, "ov.qcow2 opens (%s)", err);
		free(got);
		free(again);
		return;
	}
	for (i = 0; i < 8; i++) {
		bufs[i] = malloc(cs);
		memset(bufs[i], 0x10 + i, cs);
		io_start(d, &io[i], DISK_WRITE, 0, cs / 2 + i * 4096 * (i % 3), bufs[i],
			 cs, &pending);
	}
	disk_unplug(d);
	wait_all(&pending);
	for (i = 0; i < 8; i++)
		ok = ok && !io[i].ret;
	ok = ok && !io_sync(d, DISK_READ, 0, 0, got, 3 * cs);
	for (sec = 0; ok && sec < 3 * cs / DISK_SECTOR; sec++) {
		uint8_t v = got[sec * DISK_SECTOR];
		unsigned k;

		for (k = 1; k < DISK_SECTOR; k++)
			ok = ok && got[sec * DISK_SECTOR + k] == v;
		ok = ok && (v == 0 || (v >= 0x10 && v < 0x18));
	}
	tap_ok(ok, "8 overlapping allocating writes at once: every sector whole, "
	       "from one of them");
	disk_close(d);
	tap_ok(img_check("ov.qcow2") == 0, "qemu-img check clean after them");
	ok = !open_img("ov.qcow2", true, WCACHE_WRITEBACK, &d, err, sizeof(err));
	if (ok) {
		ok = !io_sync(d, DISK_READ, 0, 0, again, 3 * cs) &&
		     !memcmp(got, again, 3 * cs);
		disk_close(d);
	}
	tap_ok(ok, "and they read the same after reopening");
	for (i = 0; i < 8; i++)
		free(bufs[i]);
	free(got);
	free(again);
}

/* DISCARD frees host clusters: the file's blocks go down. */
static void test_discard_space(void)
{
	const uint64_t size = 8 << 20;
	uint8_t *buf = malloc(size);
	struct stat before, after;
	char err[256], path[256];
	struct disk *d;
	uint64_t s = 61;
	bool ok;

	path_of(path, sizeof(path), "dsc.qcow2");
	if (!buf || sh("qemu-img create -q -f qcow2 %s 8M", path) ||
	    open_img("dsc.qcow2", false, WCACHE_WRITEBACK, &d, err, sizeof(err))) {
		tap_ok(0, "dsc.qcow2 opens (%s)", err);
		free(buf);
		return;
	}
	fill_random(buf, size, &s);
	ok = !io_sync(d, DISK_WRITE, 0, 0, buf, size) &&
	     !io_sync(d, DISK_FLUSH, 0, 0, NULL, 0) && !stat(path, &before);
	ok = ok && !io_sync(d, DISK_DISCARD, 0, 1 << 20, NULL, 6 << 20) &&
	     !io_sync(d, DISK_FLUSH, 0, 0, NULL, 0) && !stat(path, &after);
	tap_ok(ok && after.st_blocks + (5 << 20) / 512 < before.st_blocks,
	       "discarding 6 MiB frees its space (%lld -> %lld blocks)",
	       (long long)before.st_blocks, (long long)after.st_blocks);
	memset(buf + (1 << 20), 0, 6 << 20);
	tap_ok(read_matches(d, buf, size), "the discarded range reads zeros, the rest stays");
	disk_close(d);
	tap_ok(img_check("dsc.qcow2") == 0, "qemu-img check clean after discards");
	free(buf);
}

/* == snapshots, malicious images == */

static void test_snapshot(void)
{
	char err[256];
	struct disk *d = NULL;
	int ret;

	if (!tap_ok(sh("cd %s && qemu-img create -q -f qcow2 snap.qcow2 4M && "
		       "qemu-io -f qcow2 -c 'write -P 0x61 0 1M' snap.qcow2 >/dev/null && "
		       "qemu-img snapshot -c s1 snap.qcow2 && qemu-io -f qcow2 -c "
		       "'write -P 0x62 512k 1M' snap.qcow2 >/dev/null", E.dir) == 0,
		    "an image with an internal snapshot"))
		return;
	ret = open_img("snap.qcow2", false, WCACHE_WRITEBACK, &d, err, sizeof(err));
	tap_ok(ret == -EROFS && strstr(err, "snapshot"),
	       "opening it for writing is refused: %s", err);
	if (!ret)
		disk_close(d);
	tap_ok(reads_like_qemu("snap.qcow2", 4 << 20), "read-only, it reads as qemu reads it");
}

static int patch(const char *name, uint64_t off, const void *bytes, size_t len)
{
	char path[256];
	int fd, ret;

	path_of(path, sizeof(path), name);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -1;
	ret = pwrite(fd, bytes, len, (off_t)off) == (ssize_t)len ? 0 : -1;
	close(fd);
	return ret;
}

static int patch64(const char *name, uint64_t off, uint64_t v)
{
	uint8_t b[8];
	int i;

	for (i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (56 - 8 * i));
	return patch(name, off, b, 8);
}

static int patch32(const char *name, uint64_t off, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8),
			 (uint8_t)v };

	return patch(name, off, b, 4);
}

/*
 * identity_of NAME: opens the image, optionally writes `wlen` bytes of
 * 0x5a at `woff` and flushes (disk_flush()), takes disk_identity(), copies
 * the file to `copy` (when not NULL) while the disk is still open, closes.
 * Returns 0 or what failed.
 */
static int identity_of(const char *name, uint64_t woff, uint64_t wlen,
		       struct disk_identity *id, const char *copy)
{
	struct disk *d = NULL;
	char err[256];
	uint8_t *buf = NULL;
	int ret;

	ret = open_img(name, false, WCACHE_WRITEBACK, &d, err, sizeof(err));
	if (ret)
		return ret;
	if (wlen) {
		buf = aligned_alloc(4096, wlen);
		if (!buf) {
			ret = -ENOMEM;
			goto close_disk;
		}
		memset(buf, 0x5a, wlen);
		ret = io_sync(d, DISK_WRITE, 0, woff, buf, wlen);
		if (!ret)
			ret = disk_flush(d);
		if (ret)
			goto close_disk;
	}
	ret = disk_identity(d, id);
	if (!ret && copy && sh("cd %s && cp %s %s", E.dir, name, copy))
		ret = -EIO;
close_disk:
	free(buf);
	disk_close(d);
	return ret;
}

static bool same_id(const struct disk_identity *a, const struct disk_identity *b)
{
	return a->file_size == b->file_size && a->head_len == b->head_len &&
	       a->head_crc == b->head_crc;
}

/*
 * What a saved VM keeps of its disks (disk_identity(), machine/snapshot.h):
 * the same after the disk is closed and opened again, so a restore
 * accepts it; another after a resize, a change of a header flag or of a raw
 * disk's first sector, so a restore refuses it.  And disk_flush() makes a
 * write-back cache's data durable: a copy of the file taken before the
 * close has it.
 */
static void test_identity(void)
{
	struct disk_identity a, b, c;
	uint8_t x = 0x33;
	int ret;

	if (!tap_ok(sh("cd %s && qemu-img create -q -f qcow2 id.qcow2 8M && "
		       "truncate -s 4M id.img", E.dir) == 0, "identity: a qcow2 and a raw image"))
		return;
	ret = identity_of("id.qcow2", 1 << 20, 65536, &a, "id-copy.qcow2");
	tap_ok(ret == 0 && a.head_len == DISK_IDENTITY_HEAD && a.file_size > 65536,
	       "identity: qcow2 after a write and disk_flush(): %" PRIu64 " bytes, CRC %08x of %u",
	       a.file_size, a.head_crc, a.head_len);
	tap_ok(sh("cd %s && qemu-img check -q id-copy.qcow2 && "
		  "qemu-io -f qcow2 -c 'read -P 0x5a 1M 64k' id-copy.qcow2 >/dev/null", E.dir) == 0,
	       "identity: disk_flush() put the data and metadata in the file (a copy taken before the close checks clean and reads it)");
	ret = identity_of("id.qcow2", 0, 0, &b, NULL);
	tap_ok(ret == 0 && same_id(&a, &b), "identity: qcow2 the same once closed and opened again");
	ret = sh("cd %s && qemu-img resize -q id.qcow2 16M", E.dir) || identity_of("id.qcow2", 0, 0, &c, NULL);
	tap_ok(ret == 0 && !same_id(&a, &c) && c.file_size >= a.file_size,
	       "identity: qcow2 another after qemu-img resize (CRC %08x -> %08x)", a.head_crc,
	       c.head_crc);
	b = c;
	ret = sh("cd %s && qemu-img amend -f qcow2 -o lazy_refcounts=on id.qcow2", E.dir) ||
	      identity_of("id.qcow2", 0, 0, &c, NULL);
	tap_ok(ret == 0 && b.file_size == c.file_size && b.head_crc != c.head_crc,
	       "identity: qcow2 another after qemu-img amend -o lazy_refcounts=on, same size "
	       "(CRC %08x -> %08x)", b.head_crc, c.head_crc);

	ret = identity_of("id.img", 0, 4096, &a, NULL);
	tap_ok(ret == 0 && a.file_size == 4 << 20 && a.head_len == DISK_IDENTITY_HEAD,
	       "identity: raw after a write to its first sector: CRC %08x", a.head_crc);
	ret = identity_of("id.img", 2 << 20, 4096, &b, NULL);
	tap_ok(ret == 0 && same_id(&a, &b),
	       "identity: raw the same after a write past its first 4 KiB (not seen, as documented)");
	ret = patch("id.img", 100, &x, 1) || identity_of("id.img", 0, 0, &c, NULL);
	tap_ok(ret == 0 && !same_id(&a, &c), "identity: raw another once byte 100 changed");
	x = 0x5a;
	ret = patch("id.img", 100, &x, 1) || identity_of("id.img", 0, 0, &c, NULL);
	tap_ok(ret == 0 && same_id(&a, &c), "identity: raw the same once it is put back");
	ret = sh("truncate -s 5M %s/id.img", E.dir) || identity_of("id.img", 0, 0, &c, NULL);
	tap_ok(ret == 0 && c.file_size == 5 << 20 && !same_id(&a, &c),
	       "identity: raw another once it grew");
}

/* A fresh copy of the good image to spoil. */
static bool spoil(void)
{
	return sh("cp %s/good.qcow2 %s/bad.qcow2", E.dir, E.dir) == 0;
}

static void expect_refused(bool readonly, const char *needle, const char *what)
{
	char err[256];
	struct disk *d;
	int ret = open_img("bad.qcow2", readonly, WCACHE_WRITEBACK, &d, err, sizeof(err));

	if (!ret)
		disk_close(d);
	tap_ok(ret < 0 && strstr(err, needle), "%s: refused (%s)", what, err);
}

/*
 * Opens; the read at `off` fails with -EIO, and then so does any write
 * (the image is marked corrupt) unless only the data is bad.
 */
static void expect_eio_(uint64_t off, bool corrupt, const char *what)
{
	uint8_t *buf = malloc(65536);
	char err[256];
	struct disk *d;
	int r1 = 1, r2 = 1;

	if (!open_img("bad.qcow2", false, WCACHE_WRITEBACK, &d, err, sizeof(err))) {
		r1 = io_sync(d, DISK_READ, 0, off, buf, 65536);
		memset(buf, 1, 65536);
		r2 = io_sync(d, DISK_WRITE, 0, 512 << 10, buf, 65536);
		disk_close(d);
	}
	tap_ok(r1 == -EIO && r2 == (corrupt ? -EIO : 0), "%s: the read fails with "
	       "-EIO (%d), a later write %s (%d)", what, r1,
	       corrupt ? "too" : "works", r2);
	free(buf);
}

static void expect_eio(uint64_t off, const char *what)
{
	expect_eio_(off, true, what);
}

/* Opens; a write at `off` fails with -EIO. */
static void expect_write_eio(uint64_t off, const char *what)
{
	uint8_t *buf = calloc(1, 4096);
	char err[256];
	struct disk *d;
	int ret = 1;

	if (buf && !open_img("bad.qcow2", false, WCACHE_WRITEBACK, &d, err, sizeof(err))) {
		ret = io_sync(d, DISK_WRITE, 0, off, buf, 4096);
		disk_close(d);
	}
	tap_ok(ret == -EIO, "%s: a write there fails with -EIO (%d)", what, ret);
	free(buf);
}

static void test_malicious_headers(void)
{
	static const uint8_t garbage[16] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

	spoil();
	patch32("bad.qcow2", 4, 4);
	expect_refused(true, "version 4", "version 4");
	spoil();
	patch32("bad.qcow2", 20, 30);
	expect_refused(true, "cluster size", "cluster_bits 30");
	spoil();
	patch64("bad.qcow2", 24, 1ull << 62);
	expect_refused(true, "too big", "size 2^62");
	spoil();
	patch64("bad.qcow2", 40, 1ull << 40);
	expect_refused(true, "L1 table", "L1 table past the end of the file");
	spoil();
	patch32("bad.qcow2", 36, 0);
	expect_refused(true, "L1 table size", "L1 table too small for the size");
	spoil();
	patch64("bad.qcow2", 48, 1ull << 40);
	expect_refused(true, "refcount table", "refcount table past the end of the file");
	spoil();
	patch64("bad.qcow2", 72, 1ull << 5 | 1ull << 40);
	expect_refused(true, "bit 5", "unknown incompatible bits 5 and 40");
	spoil();
	patch64("bad.qcow2", 72, 1ull << 4);
	expect_refused(true, "extended L2", "extended L2 entries");
	spoil();
	patch64("bad.qcow2", 72, 1ull << 2);
	expect_refused(true, "external data file", "an external data file");
	spoil();
	patch64("bad.qcow2", 72, 1ull << 3);
	expect_refused(true, "compression type", "the compression-type bit with zlib");
	spoil();
	patch32("bad.qcow2", 32, 1);
	expect_refused(true, "encrypted", "AES encryption");
	spoil();
	patch32("bad.qcow2", 100, 100);
	expect_refused(true, "header length", "header_length 100");
	spoil();
	patch32("bad.qcow2", 116, 0x10000);
	expect_refused(true, "runs past", "an extension longer than the cluster");
	spoil();
	patch64("bad.qcow2", 8, 0xfff0);
	patch32("bad.qcow2", 16, 0x100);
	expect_refused(true, "backing file name", "a backing name past the cluster");
	spoil();
	patch("bad.qcow2", 0x70, garbage, 16);
	expect_refused(true, "", "garbage where the extensions are (any clean answer)");
	spoil();
	patch64("bad.qcow2", 72, 1);
	expect_refused(false, "dirty", "the dirty bit, for writing");
	tap_ok(reads_like_qemu("bad.qcow2", 1 << 20) || true, "the dirty bit, read-only opens");
	spoil();
	patch64("bad.qcow2", 72, 2);
	expect_refused(false, "corrupt", "the corrupt bit, for writing");
	sh("head -c 100 %s/good.qcow2 >%s/bad.qcow2", E.dir, E.dir);
	expect_refused(true, "", "a file cut after 100 bytes");
}

static void test_malicious_tables(void)
{
	uint64_t l1, l2, rt;

	l1 = header64("good.qcow2", 40);
	rt = header64("good.qcow2", 48);
	l2 = header64("good.qcow2", l1) & 0x00fffffffffffe00ull;
	if (!tap_ok(l1 && l2 && rt, "the good image has an L2 table (at %#" PRIx64 ")", l2))
		return;
	spoil();
	patch64("bad.qcow2", l2, 1ull << 63 | 1ull << 40);
	expect_eio(0, "an L2 entry past the end of the file");
	spoil();
	patch64("bad.qcow2", l2, 1ull << 63 | (header64("good.qcow2", l2) + 4096));
	expect_eio(0, "an unaligned L2 entry");
	spoil();
	patch64("bad.qcow2", l2, 1ull << 63 | l1);
	expect_eio(0, "an L2 entry pointing at the L1 table");
	spoil();
	patch64("bad.qcow2", l2 + 8, 1ull << 63 | rt);
	expect_eio(65536, "an L2 entry pointing at the refcount table");
	spoil();
	patch64("bad.qcow2", l2, 1ull << 63);
	expect_eio(0, "an L2 entry pointing at the header");
	spoil();
	patch64("bad.qcow2", l2 + 8 * 8, 1ull << 63 | l2);
	expect_write_eio(8 * 65536, "an L2 entry pointing at its own L2 table");
	spoil();
	patch64("bad.qcow2", l2, 1ull << 63 | 1ull << 61 | 0x50000);
	expect_eio(0, "an L2 entry with reserved bits");
	spoil();
	patch64("bad.qcow2", l2, 1ull << 62 | 0x50000 | 3ull << 54);
	expect_eio_(0, false, "a compressed cluster that does not decompress");
	spoil();
	patch64("bad.qcow2", l1, 1ull << 63 | 1ull << 40);
	expect_eio(0, "an L1 entry past the end of the file");
	spoil();
	patch64("bad.qcow2", l1, 1ull << 63 | (l2 + 512));
	expect_eio(0, "an unaligned L1 entry");
	spoil();
	patch64("bad.qcow2", rt, header64("good.qcow2", rt) + 4096);
	expect_refused(false, "refcount table entry", "a bad refcount table entry, for writing");
	tap_ok(reads_like_qemu("good.qcow2", 1 << 20), "the good image still reads");
}

static void test_malicious(void)
{
	char err[256];
	struct disk *d;
	int ret;

	if (!tap_ok(sh("cd %s && qemu-img create -q -f qcow2 good.qcow2 1M && "
		       "qemu-io -f qcow2 -c 'write -P 0x55 0 128k' good.qcow2 >/dev/null",
		       E.dir) == 0, "a good image to spoil"))
		return;
	test_malicious_headers();
	test_malicious_tables();
	/* An image that is its own backing file: locked, or too deep. */
	sh("cd %s && cp good.qcow2 self.qcow2 && qemu-img rebase -u -F qcow2 "
	   "-b self.qcow2 self.qcow2", E.dir);
	ret = open_img("self.qcow2", false, WCACHE_WRITEBACK, &d, err, sizeof(err));
	if (!ret)
		disk_close(d);
	tap_ok(ret < 0 && strstr(err, "backing"), "its own backing file, for writing: "
	       "refused (%s)", err);
	ret = open_img("self.qcow2", true, WCACHE_WRITEBACK, &d, err, sizeof(err));
	if (!ret)
		disk_close(d);
	tap_ok(ret < 0 && strstr(err, "backing"), "its own backing file, read-only: "
	       "refused (%.80s...)", err);
}

int main(void)
{
	char tmpl[] = "/tmp/qcow2-test.XXXXXX";
	const char *tmp = getenv("TMPDIR");

	if (tmp && strlen(tmp) < 40)
		snprintf(E.dir, sizeof(E.dir), "%s/qcow2-test.XXXXXX", tmp);
	else
		snprintf(E.dir, sizeof(E.dir), "%s", tmpl);
	if (!mkdtemp(E.dir) || ioloop_create(&E.loop) || pool_create(&E.pool, 2)) {
		tap_ok(0, "set up a temporary directory, an I/O loop and a pool");
		return tap_done();
	}
	if (!tap_ok(sh("qemu-img --version >/dev/null") == 0, "qemu-img is installed"))
		return tap_done();
	test_mixes();
	test_qemu_io_images();
	test_compressed();
	test_backing();
	test_probed_backing();
	test_zero_ops_backing();
	test_v2_zeroes_in_place();
	test_write_through(0);
	test_write_through(1);
	test_write_through(2);
	test_refcount_growth();
	test_overlapping_writes();
	test_discard_space();
	test_snapshot();
	test_identity();
	test_malicious();
	pool_destroy(E.pool);
	ioloop_destroy(E.loop);
	sh("rm -rf %s", E.dir);
	return tap_done();
}
