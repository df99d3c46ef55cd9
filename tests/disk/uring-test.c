// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * uring-test.c - the io_uring engine (monitor/disk/uring.c) on a file in a
 * temporary directory: random multi-segment writes read back against a
 * model, batched submission (one io_uring_enter() for 32 requests),
 * fdatasync, fallocate and hole punching, reads past end-of-file, a short
 * write resubmitted, errors (-EBADF, -EINVAL) as completions, more requests
 * than the ring holds, and destroy with requests in flight, turning the
 * loop by hand and on a loop thread; a cached read completed inside its
 * submission (reaped from a bottom half, also when the engine is
 * destroyed first), and completions the kernel posts from task work.
 * done() must never run inside uring_submit() or uring_flush().
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "disk/uring.h"
#include "io/ioloop.h"
#include "tap.h"

#define MS		1000000ll
#define FILE_SIZE	(4u << 20)
#define MAX_SEGS	8

struct ctx {
	struct ioloop *loop;
	struct uring_engine *e;
	int fd;
	bool in_call;		/* inside uring_submit()/uring_flush() */
	int done_inside;	/* done() calls made from inside them: must stay 0 */
	int done_off_loop;
	int ndone;
};

struct treq {
	struct uring_req r;
	struct iovec iov[MAX_SEGS];
	struct ctx *c;
	int ret;
	int calls;
};

static char dir[64] = "/tmp/uring-test.XXXXXX";
static char path[96];
static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	/* xorshift64: fixed seed, the same run every time. */
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void fill_random(uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (uint8_t)rnd();
}

static void treq_done(struct uring_req *r, int ret)
{
	struct treq *t = r->opaque;

	t->ret = ret;
	t->calls++;
	t->c->ndone++;
	if (t->c->in_call)
		t->c->done_inside++;
	if (!ioloop_in_loop(t->c->loop))
		t->c->done_off_loop++;
}

static void treq_init(struct treq *t, struct ctx *c, enum uring_op op, uint64_t off)
{
	memset(t, 0, sizeof(*t));
	t->c = c;
	t->ret = 1;
	t->r.op = op;
	t->r.offset = off;
	t->r.iov = t->iov;
	t->r.done = treq_done;
	t->r.opaque = t;
}

static void submit(struct ctx *c, struct treq *t)
{
	c->in_call = true;
	uring_submit(c->e, &t->r);
	c->in_call = false;
}

static void flush(struct ctx *c)
{
	c->in_call = true;
	uring_flush(c->e);
	c->in_call = false;
}

/* Turns the loop by hand until `want` done() calls, for at most 10 s. */
static bool wait_done(struct ctx *c, int want)
{
	int64_t end = ioloop_now_ns() + 10000 * MS;

	while (c->ndone < want && ioloop_now_ns() < end)
		ioloop_run_once(c->loop, 100);
	return c->ndone >= want;
}

/* One request, submitted, flushed and waited for; returns its ret. */
static int run1(struct ctx *c, struct treq *t)
{
	int want = c->ndone + 1;

	submit(c, t);
	flush(c);
	return wait_done(c, want) ? t->ret : -ETIMEDOUT;
}

static bool ctx_open(struct ctx *c, int flags, unsigned depth)
{
	int ret;

	memset(c, 0, sizeof(*c));
	c->fd = open(path, flags | O_CLOEXEC, 0600);
	if (c->fd < 0 || ioloop_create(&c->loop)) {
		tap_ok(0, "open %s: %s", path, strerror(errno));
		return false;
	}
	ret = uring_engine_create(&c->e, c->loop, c->fd, depth);
	if (ret) {
		tap_ok(0, "uring_engine_create(depth %u): %s", depth, strerror(-ret));
		return false;
	}
	return true;
}

static void ctx_close(struct ctx *c)
{
	uring_engine_destroy(c->e);
	ioloop_destroy(c->loop);
	close(c->fd);
}

/* Splits [buf, buf + len) into n iovecs of random lengths (some empty). */
static unsigned split(struct iovec *iov, uint8_t *buf, size_t len, unsigned n)
{
	size_t at = 0;
	unsigned i;

	for (i = 0; i < n; i++) {
		size_t l = i == n - 1 ? len - at : rnd() % (len - at + 1);

		iov[i] = (struct iovec){ buf + at, l };
		at += l;
	}
	return n;
}

/* ---- tests ---- */

static void test_random_rw(void)
{
	uint8_t *model = calloc(1, FILE_SIZE), *buf = malloc(256 << 10);
	uint8_t *back = malloc(FILE_SIZE);
	struct uring_stats st;
	struct treq t;
	struct ctx c;
	int i, bad_ret = 0, bad_data = 0;
	uint64_t bytes = 0;

	if (!ctx_open(&c, O_RDWR | O_CREAT | O_TRUNC, URING_DEFAULT_DEPTH))
		return;
	for (i = 0; i < 300; i++) {
		size_t len = 1 + rnd() % (256 << 10);
		uint64_t off = rnd() % (FILE_SIZE - len);

		/* A write of random data in 1..8 segments, then a read in others. */
		fill_random(buf, len);
		memcpy(model + off, buf, len);
		treq_init(&t, &c, URING_WRITEV, off);
		t.r.iovcnt = split(t.iov, buf, len, 1 + rnd() % MAX_SEGS);
		bad_ret += run1(&c, &t) != 0 || t.calls != 1 || t.r.done_bytes != len;

		memset(buf, 0xee, len);
		treq_init(&t, &c, URING_READV, off);
		t.r.iovcnt = split(t.iov, buf, len, 1 + rnd() % MAX_SEGS);
		bad_ret += run1(&c, &t) != 0 || t.r.done_bytes != len;
		bad_data += memcmp(buf, model + off, len) != 0;
		bytes += len;
	}
	tap_ok(!bad_ret, "random I/O: 300 writes and 300 reads of 1..8 segments completed with 0");
	tap_ok(!bad_data, "random I/O: every read matched the model (%llu bytes each way)",
	       (unsigned long long)bytes);
	tap_ok(pread(c.fd, back, FILE_SIZE, 0) > 0 &&
	       !memcmp(back, model, FILE_SIZE - (256 << 10)),
	       "random I/O: the file holds what the model does");
	uring_get_stats(c.e, &st);
	tap_ok(st.reads == 300 && st.writes == 300 && st.bytes_read == bytes &&
	       st.bytes_written == bytes, "random I/O: stats count 300/300 requests and the bytes");
	tap_ok(!c.done_inside && !c.done_off_loop, "random I/O: done() never inside submit/flush");
	ctx_close(&c);
	free(model);
	free(buf);
	free(back);
}

static void test_batch(void)
{
	static uint8_t bufs[32][4096];
	struct uring_stats st;
	struct treq t[32];
	struct ctx c;
	int i, bad = 0;

	if (!ctx_open(&c, O_RDWR | O_CREAT, URING_DEFAULT_DEPTH))
		return;
	for (i = 0; i < 32; i++) {
		treq_init(&t[i], &c, URING_READV, (uint64_t)i * 8192);
		t[i].iov[0] = (struct iovec){ bufs[i], sizeof(bufs[i]) };
		t[i].r.iovcnt = 1;
		submit(&c, &t[i]);
	}
	uring_get_stats(c.e, &st);
	tap_ok(st.enters == 0 && uring_inflight(c.e) == 32 && !c.ndone,
	       "batch: 32 requests staged, nothing entered, nothing done");
	flush(&c);
	uring_get_stats(c.e, &st);
	tap_ok(st.enters == 1 && st.sqes == 32,
	       "batch: one flush, one io_uring_enter() for 32 SQEs (%llu, %llu)",
	       (unsigned long long)st.enters, (unsigned long long)st.sqes);
	tap_ok(wait_done(&c, 32), "batch: all 32 completed");
	for (i = 0; i < 32; i++)
		bad += t[i].ret != 0 || t[i].calls != 1;
	tap_ok(!bad && !uring_inflight(c.e) && !c.done_inside, "batch: each done() once with 0");
	flush(&c);
	uring_get_stats(c.e, &st);
	tap_ok(st.enters == 1, "batch: a flush with nothing staged enters nothing");
	ctx_close(&c);
}

static void test_sync_fallocate(void)
{
	uint8_t buf[64 << 10], back[64 << 10], want[64 << 10];
	struct uring_stats st;
	struct treq t;
	struct ctx c;
	struct stat sb;
	int ret;

	if (!ctx_open(&c, O_RDWR | O_CREAT | O_TRUNC, 8))
		return;
	memset(buf, 0xab, sizeof(buf));
	treq_init(&t, &c, URING_WRITEV, 0);
	t.iov[0] = (struct iovec){ buf, sizeof(buf) };
	t.r.iovcnt = 1;
	t.r.rw_flags = RWF_DSYNC;
	tap_ok(run1(&c, &t) == 0, "RWF_DSYNC write of 64 KiB: 0");
	treq_init(&t, &c, URING_FDATASYNC, 0);
	tap_ok(run1(&c, &t) == 0, "fdatasync: 0");

	treq_init(&t, &c, URING_FALLOCATE, 16 << 10);
	t.r.len = 32 << 10;
	t.r.mode = FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE;
	ret = run1(&c, &t);
	tap_ok(ret == 0, "fallocate punch hole 16..48 KiB: %d", ret);
	treq_init(&t, &c, URING_READV, 0);
	t.iov[0] = (struct iovec){ back, sizeof(back) };
	t.r.iovcnt = 1;
	memset(back, 0xee, sizeof(back));
	memset(want, 0xab, sizeof(want));
	memset(want + (16 << 10), 0, 32 << 10);
	tap_ok(run1(&c, &t) == 0 && !memcmp(back, want, sizeof(want)),
	       "punched hole reads as zeros, the rest as written");
	tap_ok(fstat(c.fd, &sb) == 0 && sb.st_size == sizeof(buf), "KEEP_SIZE: size still 64 KiB");

	treq_init(&t, &c, URING_FALLOCATE, 0);
	t.r.len = 1 << 20;
	tap_ok(run1(&c, &t) == 0 && fstat(c.fd, &sb) == 0 && sb.st_size == 1 << 20,
	       "fallocate mode 0 to 1 MiB: the file grows to 1 MiB");
	treq_init(&t, &c, URING_FALLOCATE, 0);
	t.r.len = 0;
	tap_ok(run1(&c, &t) == -EINVAL, "fallocate of length 0: -EINVAL");
	uring_get_stats(c.e, &st);
	tap_ok(st.syncs == 1 && st.fallocates == 3 && st.writes == 1,
	       "stats: 1 sync, 3 fallocates, 1 write");
	ctx_close(&c);
}

static void test_eof(void)
{
	uint8_t data[10000], a[3000], b[3000], d[2192], far[4096], want[8192];
	struct uring_stats st;
	struct treq t;
	struct ctx c;
	uint64_t sqes;
	int ret;

	if (!ctx_open(&c, O_RDWR | O_CREAT | O_TRUNC, 8))
		return;
	fill_random(data, sizeof(data));
	tap_ok(pwrite(c.fd, data, sizeof(data), 0) == sizeof(data), "a 10000-byte file");
	memset(a, 0xee, sizeof(a));
	memset(b, 0xee, sizeof(b));
	memset(d, 0xee, sizeof(d));
	treq_init(&t, &c, URING_READV, 8192);
	t.iov[0] = (struct iovec){ a, sizeof(a) };
	t.iov[1] = (struct iovec){ b, sizeof(b) };
	t.iov[2] = (struct iovec){ d, sizeof(d) };
	t.r.iovcnt = 3;
	uring_get_stats(c.e, &st);
	sqes = st.sqes;
	ret = run1(&c, &t);
	memset(want, 0, sizeof(want));
	memcpy(want, data + 8192, 10000 - 8192);
	tap_ok(ret == 0 && t.r.done_bytes == 10000 - 8192,
	       "read across EOF: 0, %llu bytes from the file",
	       (unsigned long long)t.r.done_bytes);
	tap_ok(!memcmp(a, want, 3000) && !memcmp(b, want + 3000, 3000) &&
	       !memcmp(d, want + 6000, 2192),
	       "read across EOF: data, then zeros in all 3 segments");
	uring_get_stats(c.e, &st);
	tap_ok(st.sqes - sqes == 2, "read across EOF: short read resubmitted once (%llu SQEs)",
	       (unsigned long long)(st.sqes - sqes));

	memset(far, 0xee, sizeof(far));
	treq_init(&t, &c, URING_READV, 1 << 20);
	t.iov[0] = (struct iovec){ far, sizeof(far) };
	t.r.iovcnt = 1;
	memset(want, 0, sizeof(want));
	tap_ok(run1(&c, &t) == 0 && !memcmp(far, want, sizeof(far)),
	       "read wholly past EOF: 0, all zeros");
	ctx_close(&c);
}

static void test_short_write(void)
{
	struct rlimit old, lim = { .rlim_cur = 1 << 20 };
	uint8_t buf[8192];
	struct treq t;
	struct ctx c;
	void (*oldsig)(int);
	int ret;

	if (!ctx_open(&c, O_RDWR | O_CREAT | O_TRUNC, 8))
		return;
	/* A file size limit 4 KiB into the write: the kernel writes 4 KiB. */
	getrlimit(RLIMIT_FSIZE, &old);
	lim.rlim_max = old.rlim_max;
	oldsig = signal(SIGXFSZ, SIG_IGN);
	setrlimit(RLIMIT_FSIZE, &lim);
	memset(buf, 0x5a, sizeof(buf));
	treq_init(&t, &c, URING_WRITEV, (1 << 20) - 4096);
	t.iov[0] = (struct iovec){ buf, 1000 };
	t.iov[1] = (struct iovec){ buf + 1000, sizeof(buf) - 1000 };
	t.r.iovcnt = 2;
	ret = run1(&c, &t);
	setrlimit(RLIMIT_FSIZE, &old);
	signal(SIGXFSZ, oldsig);
	tap_ok(ret == -EFBIG && t.r.done_bytes == 4096,
	       "short write resubmitted for the rest, which fails: -EFBIG after 4096 bytes (%d, %llu)",
	       ret, (unsigned long long)t.r.done_bytes);
	tap_ok(t.r.iovcnt == 1 && t.r.iov == t.iov && t.iov[0].iov_base == buf + 4096 &&
	       t.iov[0].iov_len == 4096,
	       "short write: req->iov moved down in place, the rest left");
	ctx_close(&c);
}

static void test_errors(void)
{
	uint8_t buf[512];
	struct treq t;
	struct ctx c;
	int fd, ret;

	/* Create the file for the read-only and write-only opens below. */
	if (!ctx_open(&c, O_RDWR | O_CREAT | O_TRUNC, 8))
		return;
	treq_init(&t, &c, URING_READV, 0);
	t.iov[0] = (struct iovec){ buf, sizeof(buf) };
	t.r.iovcnt = 1;
	t.r.op = (enum uring_op)99;
	tap_ok(run1(&c, &t) == -EINVAL && !c.done_inside,
	       "unknown op: -EINVAL from the loop, not from submit");
	treq_init(&t, &c, URING_WRITEV, 0);
	t.iov[0] = (struct iovec){ buf, sizeof(buf) };
	t.r.iovcnt = 1;
	t.r.rw_flags = RWF_APPEND;
	tap_ok(run1(&c, &t) == -EINVAL, "RWF_APPEND (not positioned): -EINVAL");
	treq_init(&t, &c, URING_READV, 0);
	t.r.iov = NULL;
	t.r.iovcnt = 3;
	tap_ok(run1(&c, &t) == -EINVAL, "NULL iovec with 3 segments: -EINVAL");
	treq_init(&t, &c, URING_READV, 1ull << 63);
	t.iov[0] = (struct iovec){ buf, sizeof(buf) };
	t.r.iovcnt = 1;
	ret = run1(&c, &t);
	tap_ok(ret == -EINVAL, "offset 2^63: -EINVAL (%d)", ret);
	ctx_close(&c);

	if (!ctx_open(&c, O_RDONLY, 8))
		return;
	treq_init(&t, &c, URING_WRITEV, 0);
	t.iov[0] = (struct iovec){ buf, sizeof(buf) };
	t.r.iovcnt = 1;
	ret = run1(&c, &t);
	tap_ok(ret == -EBADF, "write to an O_RDONLY fd: -EBADF (%d)", ret);
	ctx_close(&c);

	if (!ctx_open(&c, O_WRONLY, 8))
		return;
	treq_init(&t, &c, URING_READV, 0);
	t.iov[0] = (struct iovec){ buf, sizeof(buf) };
	t.r.iovcnt = 1;
	ret = run1(&c, &t);
	tap_ok(ret == -EBADF, "read from an O_WRONLY fd: -EBADF (%d)", ret);
	ctx_close(&c);

	/* An fd number nobody has open, high enough for nothing to take it. */
	fd = fcntl(0, F_DUPFD_CLOEXEC, 900);
	close(fd);
	memset(&c, 0, sizeof(c));
	c.fd = -1;
	ioloop_create(&c.loop);
	tap_ok(uring_engine_create(&c.e, c.loop, fd, 8) == 0, "engine on a closed fd number");
	treq_init(&t, &c, URING_READV, 0);
	t.iov[0] = (struct iovec){ buf, sizeof(buf) };
	t.r.iovcnt = 1;
	ret = run1(&c, &t);
	tap_ok(ret == -EBADF, "read from a bad fd: -EBADF (%d)", ret);
	uring_engine_destroy(c.e);
	tap_ok(uring_engine_create(&c.e, c.loop, 3, 0) == -EINVAL &&
	       uring_engine_create(&c.e, c.loop, -1, 8) == -EINVAL &&
	       uring_engine_create(&c.e, c.loop, 3, 65536) == -EINVAL,
	       "engine: depth 0, fd -1, depth 65536 refused with -EINVAL");
	ioloop_destroy(c.loop);
}

/* depth 4: 100 requests, more than the SQ (4) and CQ (8) rings hold. */
static void test_overflow(void)
{
	static uint8_t data[100][4096], back[100][4096];
	static struct treq t[100];
	struct uring_stats st;
	struct ctx c;
	int i, bad = 0;

	if (!ctx_open(&c, O_RDWR | O_CREAT | O_TRUNC, 4))
		return;
	for (i = 0; i < 100; i++) {
		fill_random(data[i], sizeof(data[i]));
		treq_init(&t[i], &c, URING_WRITEV, (uint64_t)i * 4096);
		t[i].iov[0] = (struct iovec){ data[i], sizeof(data[i]) };
		t[i].r.iovcnt = 1;
		submit(&c, &t[i]);
	}
	tap_ok(uring_inflight(c.e) == 100 && !c.ndone,
	       "overflow: 100 writes taken by a depth-4 engine");
	flush(&c);
	tap_ok(wait_done(&c, 100), "overflow: all 100 writes completed");
	for (i = 0; i < 100; i++)
		bad += t[i].ret != 0 || t[i].calls != 1;
	tap_ok(!bad && !uring_inflight(c.e), "overflow: each once, with 0");
	tap_ok(pread(c.fd, back, sizeof(back), 0) == sizeof(back) &&
	       !memcmp(back, data, sizeof(data)),
	       "overflow: the file holds all 100 blocks");

	c.ndone = 0;
	memset(back, 0, sizeof(back));
	for (i = 0; i < 100; i++) {
		treq_init(&t[i], &c, URING_READV, (uint64_t)i * 4096);
		t[i].iov[0] = (struct iovec){ back[i], 2048 };
		t[i].iov[1] = (struct iovec){ back[i] + 2048, 2048 };
		t[i].r.iovcnt = 2;
		submit(&c, &t[i]);
	}
	flush(&c);
	tap_ok(wait_done(&c, 100) && !memcmp(back, data, sizeof(data)),
	       "overflow: 100 reads of 2 segments read it all back");
	uring_get_stats(c.e, &st);
	tap_ok(st.sqes == 200 && st.enters > 1 && !c.done_inside,
	       "overflow: 200 SQEs in %llu enters, done() never inside submit/flush",
	       (unsigned long long)st.enters);
	ctx_close(&c);
}

/* Destroy with requests in flight and waiting, nobody turning the loop. */
static void test_destroy_hand(void)
{
	static uint8_t data[50][8192];
	static struct treq t[50];
	struct ctx c;
	int i, bad = 0;

	if (!ctx_open(&c, O_RDWR | O_CREAT | O_TRUNC, 4))
		return;
	for (i = 0; i < 50; i++) {
		treq_init(&t[i], &c, URING_WRITEV, (uint64_t)i * 8192);
		t[i].iov[0] = (struct iovec){ data[i], sizeof(data[i]) };
		t[i].r.iovcnt = 1;
		t[i].r.rw_flags = RWF_DSYNC;
		submit(&c, &t[i]);
	}
	flush(&c);
	/* Nothing turned the loop: none can have completed yet. */
	tap_ok(uring_inflight(c.e) == 50 && !c.ndone, "destroy: 50 writes in flight or waiting");
	uring_engine_destroy(c.e);
	for (i = 0; i < 50; i++)
		bad += t[i].ret != 0 || t[i].calls != 1;
	tap_ok(c.ndone == 50 && !bad && !c.done_off_loop,
	       "destroy (loop turned by hand): waited for all 50 (%d done, each once with 0)",
	       c.ndone);
	ioloop_destroy(c.loop);
	close(c.fd);
}

static void submit_50(void *opaque)
{
	struct treq *t = opaque;
	struct ctx *c = t[0].c;
	int i;

	for (i = 0; i < 50; i++)
		submit(c, &t[i]);
	flush(c);
}

static void test_destroy_thread(void)
{
	static uint8_t data[50][8192];
	static struct treq t[50];
	struct ctx c;
	int i, bad = 0;

	if (!ctx_open(&c, O_RDWR | O_CREAT | O_TRUNC, 4))
		return;
	tap_ok(ioloop_start(c.loop,
	       "test-io") == 0, "destroy from another thread: loop thread started");
	for (i = 0; i < 50; i++) {
		treq_init(&t[i], &c, URING_WRITEV, (uint64_t)i * 8192);
		t[i].iov[0] = (struct iovec){ data[i], sizeof(data[i]) };
		t[i].r.iovcnt = 1;
		t[i].r.rw_flags = RWF_DSYNC;
	}
	ioloop_call_sync(c.loop, submit_50, t);
	uring_engine_destroy(c.e);
	for (i = 0; i < 50; i++)
		bad += t[i].ret != 0 || t[i].calls != 1;
	tap_ok(c.ndone == 50 && !bad && !c.done_off_loop,
	       "destroy from another thread: drained on the loop thread, 50 done (%d)", c.ndone);
	ioloop_destroy(c.loop);
	close(c.fd);
}

/*
 * A read the page cache holds completes inside the io_uring_enter() that
 * submits it; the engine reaps it from a bottom half, never inside
 * uring_flush().  Destroying the engine with that bottom half still queued
 * (nobody turned the loop) leaves it to free itself (ASan checks).
 */
static void test_inline(void)
{
	uint8_t data[4096], got[4096];
	struct treq t;
	struct ctx c;
	int ret;

	if (!ctx_open(&c, O_RDWR | O_CREAT | O_TRUNC, 8))
		return;
	fill_random(data, sizeof(data));
	tap_ok(pwrite(c.fd, data, sizeof(data), 0) == sizeof(data), "inline: a cached 4 KiB block");
	memset(got, 0, sizeof(got));
	treq_init(&t, &c, URING_READV, 0);
	t.iov[0] = (struct iovec){ got, sizeof(got) };
	t.r.iovcnt = 1;
	ret = run1(&c, &t);
	tap_ok(ret == 0 && t.calls == 1 && !memcmp(got, data, sizeof(got)) && !c.done_inside,
	       "inline: read back, done() once and not inside submit/flush (%d)", ret);

	/* Again, and the engine destroyed before anything turns the loop. */
	memset(got, 0, sizeof(got));
	treq_init(&t, &c, URING_READV, 0);
	t.iov[0] = (struct iovec){ got, sizeof(got) };
	t.r.iovcnt = 1;
	submit(&c, &t);
	flush(&c);
	tap_ok(!t.calls, "inline: not done inside uring_flush()");
	uring_engine_destroy(c.e);
	tap_ok(t.calls == 1 && t.ret == 0 && !memcmp(got, data, sizeof(got)) && !c.done_inside,
	       "inline: destroyed with its reap queued: done once, by the drain");
	/* Runs the orphaned bottom half: it frees itself, touching no engine. */
	ioloop_destroy(c.loop);
	close(c.fd);
}

/*
 * A completion the kernel posts from task work: a read of an empty pipe
 * waits in the kernel, and the write that fills the pipe has the read
 * finished by task work on the submitting thread, on its way back from
 * whatever system call it is in (io_uring_enter(2), IORING_SETUP_COOP_TASKRUN
 * describes it).  No CQE may be missed, however it is posted: by a write()
 * on the loop's own thread (what an eventfd registered with
 * io_uring_register_eventfd_async() never signals: docs/perf.md), and
 * while the loop thread sleeps in epoll_wait().
 */
struct pipe_read {
	struct uring_req r;
	struct iovec iov;
	char buf[8];
	atomic_int done;
	int ret;
};

static void pipe_read_done(struct uring_req *r, int ret)
{
	struct pipe_read *pr = r->opaque;

	pr->ret = ret;
	atomic_fetch_add(&pr->done, 1);
}

static void pipe_read_init(struct pipe_read *pr)
{
	memset(pr, 0, sizeof(*pr));
	pr->iov = (struct iovec){ pr->buf, sizeof(pr->buf) };
	pr->r = (struct uring_req){
		.op = URING_READV, .iov = &pr->iov, .iovcnt = 1,
		.done = pipe_read_done, .opaque = pr,
	};
	pr->ret = 1;
}

struct pipe_ctx {
	struct uring_engine *e;
	struct pipe_read *pr;
};

static void pipe_submit_on_loop(void *opaque)
{
	struct pipe_ctx *pc = opaque;

	uring_submit(pc->e, &pc->pr->r);
	uring_flush(pc->e);
}

static bool pipe_done_within(struct pipe_read *pr, struct ioloop *hand, int ms)
{
	int64_t end = ioloop_now_ns() + ms * MS;
	struct timespec ts = { .tv_nsec = MS };

	while (!atomic_load(&pr->done) && ioloop_now_ns() < end) {
		if (hand)
			ioloop_run_once(hand, 100);
		else
			nanosleep(&ts, NULL);
	}
	return atomic_load(&pr->done) == 1;
}

static void test_task_work(void)
{
	struct ioloop *l;
	struct uring_engine *e;
	struct pipe_read pr;
	struct pipe_ctx pc = { .pr = &pr };
	struct timespec ts = { .tv_nsec = 50 * MS };
	int p[2], i;
	bool done;

	if (!tap_ok(pipe2(p, O_CLOEXEC) == 0 && ioloop_create(&l) == 0 &&
		    uring_engine_create(&e, l, p[0], 8) == 0,
		    "task work: an engine on the read end of a pipe"))
		return;
	pc.e = e;

	/* Turned by hand: the CQE is posted on the way back from write(). */
	pipe_read_init(&pr);
	pipe_submit_on_loop(&pc);
	for (i = 0; i < 2 * IOLOOP_BUSY_ROUNDS; i++)
		ioloop_run_once(l, 0);
	tap_ok(!atomic_load(&pr.done) && uring_inflight(e) == 1,
	       "task work: a read of an empty pipe waits");
	tap_ok(write(p[1], "12345678", 8) == 8, "task work: 8 bytes written on the loop's thread");
	done = pipe_done_within(&pr, l, 2000);
	tap_ok(done && pr.ret == 0 && !memcmp(pr.buf, "12345678", 8),
	       "task work: completion posted on write()'s way back reaped (ret %d)", pr.ret);

	/* A loop thread asleep in epoll_wait(): woken for the CQE. */
	tap_ok(ioloop_start(l, "test-io") == 0, "task work: loop thread started");
	pipe_read_init(&pr);
	ioloop_call_sync(l, pipe_submit_on_loop, &pc);
	nanosleep(&ts, NULL);
	tap_ok(!atomic_load(&pr.done), "task work: the loop thread sleeps, the read waits");
	tap_ok(write(p[1], "abcdefgh", 8) == 8, "task work: 8 bytes written from another thread");
	done = pipe_done_within(&pr, NULL, 2000);
	tap_ok(done && pr.ret == 0 && !memcmp(pr.buf, "abcdefgh", 8),
	       "task work: the sleeping loop thread reaped it (ret %d)", pr.ret);
	uring_engine_destroy(e);
	ioloop_destroy(l);
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	const char *tmp = getenv("TMPDIR");

	if (tmp && *tmp && strlen(tmp) < sizeof(dir) - 20)
		snprintf(dir, sizeof(dir), "%s/uring-test.XXXXXX", tmp);
	if (!tap_ok(mkdtemp(dir) != NULL, "temporary directory"))
		return tap_done();
	snprintf(path, sizeof(path), "%s/image", dir);
	test_random_rw();
	test_batch();
	test_sync_fallocate();
	test_eof();
	test_short_write();
	test_errors();
	test_overflow();
	test_destroy_hand();
	test_destroy_thread();
	test_inline();
	test_task_work();
	unlink(path);
	rmdir(dir);
	return tap_done();
}
