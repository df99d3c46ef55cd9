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
 *     at open with a reason, or the request fails with -EIO.
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
#include "disk/disk.h"

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

__attribute__((format(printf, 1, 2)))
static int sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	if (st == -1 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
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
	o.format = DISK_FORMAT_AUTO;
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

__attribute__((unused)) static uint8_t *read_file(const char *name, size_t len)
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

		if (io_sync(d, DISK_READ, 0, off, buf, n) || memcmp(buf, model + off, n)) {
			tap_diag("  mismatch in [%" PRIu64 ", +%" PRIu64 ")", off, n);
			ok = false;
		}
	}
	free(buf);
	return ok;
}

/* == random mixes against a model == */

struct mix {
	const char *name;		/* image file */
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
		io_start(d, &op->io, op->kind, rng(s) % 4 ? 0 :
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
	tap_ok(read_matches(d, model, m->size), "%s: reads back whole", m->name);
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
		{ "v3-4k.qcow2", "-o cluster_size=4096", 16 << 20, 4096, 48, 16, 256,
		  true, WCACHE_WRITEBACK, 1 },
		{ "v3-64k.qcow2", "", 64 << 20, 65536, 32, 16, 2048, true,
		  WCACHE_WRITEBACK, 2 },
		{ "v2-64k.qcow2", "-o compat=0.10", 64 << 20, 65536, 32, 16, 2048, true,
		  WCACHE_WRITEBACK, 3 },
		{ "v2-4k.qcow2", "-o compat=0.10,cluster_size=4096", 8 << 20, 4096, 32, 16,
		  64, true, WCACHE_WRITEBACK, 4 },
		{ "v3-2m.qcow2", "-o cluster_size=2M", 64 << 20, 2 << 20, 16, 8, 4096, true,
		  WCACHE_WRITEBACK, 5 },
		{ "v3-lazy.qcow2", "-o lazy_refcounts=on,cluster_size=16k", 16 << 20, 16384,
		  24, 16, 256, true, WCACHE_WRITEBACK, 6 },
		{ "v3-512.qcow2", "-o cluster_size=512", 4 << 20, 512, 24, 16, 32, true,
		  WCACHE_WRITEBACK, 7 },
		{ "v3-rc1.qcow2", "-o refcount_bits=1,cluster_size=4096", 4 << 20, 4096, 16,
		  16, 64, true, WCACHE_WRITEBACK, 8 },
		{ "v3-rc8.qcow2", "-o refcount_bits=8,cluster_size=4096", 4 << 20, 4096, 16,
		  16, 64, true, WCACHE_WRITEBACK, 9 },
		{ "v3-rc64.qcow2", "-o refcount_bits=64,cluster_size=4096", 4 << 20, 4096, 16,
		  16, 64, true, WCACHE_WRITEBACK, 10 },
		{ "v3-none.qcow2", "-o cluster_size=8192", 8 << 20, 8192, 16, 16, 128, true,
		  WCACHE_DIRECT, 11 },
	};
	unsigned i;

	for (i = 0; i < sizeof(mixes) / sizeof(mixes[0]); i++)
		test_mix(&mixes[i]);
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
	pool_destroy(E.pool);
	ioloop_destroy(E.loop);
	sh("rm -rf %s", E.dir);
	return tap_done();
}
