// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * outbuf-test.c - the bounded output buffer (monitor/io/outbuf.c) over a
 * pipe, a regular file and a dup'ed fd, with the loop turned by hand and
 * on its own thread: writes never reach the fd themselves; a reader that
 * stops reading never blocks a writer, caps the buffer and counts the
 * rest as dropped, and once it reads gets exactly the bytes taken, in
 * order; a reader that closed its end (EPIPE) makes everything drop; a
 * regular file gets everything; four threads' writes stay whole; destroy
 * flushes to a live reader and gives up on a stuck one after its timeout;
 * the fd's O_NONBLOCK is put back as it was.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "io/ioloop.h"
#include "io/outbuf.h"
#include "tap.h"

#define MS		1000000ll
#define KIB		1024u
#define PIPE_SIZE	4096	/* a small pipe fills at once */

static void sleep_ms(int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * MS };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static struct ioloop *new_loop(bool thread)
{
	struct ioloop *l = NULL;
	int ret = ioloop_create(&l);

	if (!ret && thread)
		ret = ioloop_start(l, "test-io");
	if (ret) {
		tap_ok(0, "loop: %s", strerror(-ret));
		exit(tap_done());
	}
	return l;
}

static struct outbuf *new_outbuf(struct ioloop *l, int fd, size_t cap)
{
	struct outbuf *ob = NULL;
	int ret = outbuf_create(&ob, l, fd, cap);

	if (ret) {
		tap_ok(0, "outbuf_create: %s", strerror(-ret));
		exit(tap_done());
	}
	return ob;
}

/* A pipe of PIPE_SIZE bytes (as the kernel rounds it): returns its size. */
static int new_pipe(int fds[2])
{
	if (pipe2(fds, O_CLOEXEC)) {
		tap_ok(0, "pipe2: %s", strerror(errno));
		exit(tap_done());
	}
	fcntl(fds[1], F_SETPIPE_SZ, PIPE_SIZE);
	return fcntl(fds[1], F_GETPIPE_SZ);
}

static int pipe_queued(int rfd)
{
	int n = -1;

	ioctl(rfd, FIONREAD, &n);
	return n;
}

static bool nonblocking(int fd)
{
	return fcntl(fd, F_GETFL) & O_NONBLOCK;
}

/* The byte at stream position `pos` of a test's data. */
static uint8_t pattern(uint64_t pos)
{
	return (uint8_t)((pos * 2654435761u) >> 11);
}

static void fill(uint8_t *buf, size_t len, uint64_t pos)
{
	size_t i;

	for (i = 0; i < len; i++)
		buf[i] = pattern(pos + i);
}

/* Reads exactly `len` bytes within timeout_ms; returns how many it got. */
static size_t read_for(int fd, uint8_t *buf, size_t len, int timeout_ms)
{
	int64_t end = ioloop_now_ns() + timeout_ms * MS;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	size_t got = 0;
	ssize_t n;

	while (got < len && ioloop_now_ns() < end) {
		if (poll(&p, 1, 10) <= 0)
			continue;
		n = read(fd, buf + got, len - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	return got;
}

/* A reader thread: reads its pipe until EOF. */
struct reader {
	int fd;
	uint8_t *buf;
	size_t cap, got;
	pthread_t thread;
};

static void *reader_thread(void *opaque)
{
	struct reader *r = opaque;
	ssize_t n;

	while (r->got < r->cap) {
		n = read(r->fd, r->buf + r->got, r->cap - r->got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		r->got += (size_t)n;
	}
	return NULL;
}

static void reader_start(struct reader *r, int fd, size_t cap)
{
	r->fd = fd;
	r->buf = malloc(cap);
	r->cap = cap;
	r->got = 0;
	pthread_create(&r->thread, NULL, reader_thread, r);
}

static void test_create(void)
{
	struct ioloop *l = new_loop(false);
	struct outbuf *ob = NULL;
	int fds[2];

	new_pipe(fds);
	tap_ok(outbuf_create(&ob, l, fds[1], 0) == -EINVAL, "create: capacity 0 is -EINVAL");
	tap_ok(outbuf_create(&ob, l, fds[1], OUTBUF_MAX_CAPACITY + 1ul) == -EINVAL,
	       "create: a capacity over OUTBUF_MAX_CAPACITY is -EINVAL");
	tap_ok(outbuf_create(&ob, NULL, fds[1], 16) == -EINVAL, "create: no loop is -EINVAL");
	tap_ok(outbuf_create(&ob, l, -1, 16) == -EBADF, "create: fd -1 is -EBADF");
	tap_ok(outbuf_create(&ob, l, 1000, 16) == -EBADF, "create: a closed fd is -EBADF");
	tap_ok(!nonblocking(fds[1]), "create: a failed create leaves the fd's flags alone");
	tap_ok(outbuf_write(NULL, "x", 1) == 0, "write: a NULL outbuf (output 'none') takes nothing");
	close(fds[0]);
	close(fds[1]);
	ioloop_destroy(l);
}

/* outbuf_write() only queues: the fd is written by the loop, once per burst. */
static void test_deferred(void)
{
	struct ioloop *l = new_loop(false);
	int fds[2], ran;
	struct outbuf *ob;
	uint8_t buf[100], got[200];

	new_pipe(fds);
	ob = new_outbuf(l, fds[1], 4 * KIB);
	tap_ok(nonblocking(fds[1]), "deferred: a pipe is O_NONBLOCK while the outbuf lives");
	fill(buf, sizeof(buf), 0);
	tap_ok(outbuf_write(ob, buf, 60) == 60 && outbuf_write(ob, buf + 60, 40) == 40,
	       "deferred: two writes of 60 and 40 bytes are taken whole");
	tap_ok(pipe_queued(fds[0]) == 0, "deferred: nothing reached the pipe before the loop turned");
	ran = ioloop_run_once(l, 0);
	tap_ok(ran == 1 && pipe_queued(fds[0]) == 100,
	       "deferred: one loop turn (%d callback) writes all 100 bytes", ran);
	tap_ok(read_for(fds[0], got, 100, 1000) == 100 && !memcmp(got, buf, 100),
	       "deferred: in order");
	ran = ioloop_run_once(l, 20);
	tap_ok(ran == 0, "deferred: then the loop has nothing to do (no watch, no bottom half)");
	tap_ok(outbuf_destroy(ob, 0) == 0 && !nonblocking(fds[1]),
	       "deferred: destroy: nothing dropped, O_NONBLOCK cleared again");

	/* Its bottom half still queued: destroy must not leave it to run later. */
	ob = new_outbuf(l, fds[1], 4 * KIB);
	outbuf_write(ob, buf, 10);
	tap_ok(outbuf_destroy(ob, 0) == 10, "deferred: destroy with no time to flush drops the 10 bytes");
	tap_ok(ioloop_run_once(l, 0) == 0 && pipe_queued(fds[0]) == 0,
	       "deferred: and nothing of it is left on the loop, nothing reached the pipe");
	close(fds[0]);
	close(fds[1]);
	ioloop_destroy(l);
}

#define STUCK_CAP	(64 * KIB)
#define STUCK_WRITES	10000

/* 10,000 writes of 1 KiB into a pipe nobody reads; what was taken, in order, into *expect. */
static size_t write_stuck(struct outbuf *ob, uint8_t *expect, size_t expect_cap,
			  int64_t *elapsed_ns)
{
	uint8_t buf[KIB];
	size_t took, taken = 0;
	int64_t t0 = ioloop_now_ns();
	int i;

	for (i = 0; i < STUCK_WRITES; i++) {
		fill(buf, KIB, (uint64_t)i * KIB);
		took = outbuf_write(ob, buf, KIB);
		if (took > KIB || taken + took > expect_cap)
			return SIZE_MAX;
		memcpy(expect + taken, buf, took);
		taken += took;
	}
	*elapsed_ns = ioloop_now_ns() - t0;
	return taken;
}

static void test_stuck_reader(void)
{
	struct ioloop *l = new_loop(true);
	size_t taken, expect_cap = 2 * STUCK_CAP + 16 * KIB;
	uint8_t *expect = malloc(expect_cap), *got = malloc(expect_cap);
	uint64_t total = (uint64_t)STUCK_WRITES * KIB;
	int fds[2], psize = new_pipe(fds);
	struct outbuf *ob = new_outbuf(l, fds[1], STUCK_CAP);
	int64_t ns = 0;

	taken = write_stuck(ob, expect, expect_cap, &ns);
	tap_ok(taken != SIZE_MAX, "stuck reader: no write took more than it was given");
	tap_ok(ns < 1000 * MS, "stuck reader: %d writes of 1 KiB took %.1f ms (< 1 s: none blocked)",
	       STUCK_WRITES, ns / 1e6);
	tap_ok(taken >= STUCK_CAP && taken <= STUCK_CAP + (size_t)psize,
	       "stuck reader: the buffer capped what was taken at %zu bytes (buffer %u + pipe %d)",
	       taken, STUCK_CAP, psize);
	tap_ok(outbuf_dropped(ob) == total - taken,
	       "stuck reader: the other %llu bytes were counted as dropped",
	       (unsigned long long)outbuf_dropped(ob));
	tap_ok(read_for(fds[0], got, taken, 5000) == taken && !memcmp(got, expect, taken),
	       "stuck reader: once it reads, it gets exactly the %zu bytes taken, in order", taken);
	tap_ok(read_for(fds[0], got, 1, 50) == 0, "stuck reader: and nothing more");
	/* By hand from now on: an EPOLLOUT watch left behind would fire at once. */
	ioloop_stop(l);
	tap_ok(ioloop_run_once(l, 20) == 0,
	       "stuck reader: drained, the loop stopped watching the fd (a turn runs nothing)");
	fill(expect, KIB, 7);
	tap_ok(outbuf_write(ob, expect, KIB) == KIB && ioloop_run_once(l, 0) == 1 &&
	       read_for(fds[0], got, KIB, 1000) == KIB && !memcmp(got, expect, KIB),
	       "stuck reader: after the drain a new write goes through whole");
	tap_ok(outbuf_destroy(ob, 0) == total - taken && !nonblocking(fds[1]),
	       "stuck reader: destroy returns the dropped count and clears O_NONBLOCK");
	close(fds[0]);
	close(fds[1]);
	ioloop_destroy(l);
	free(expect);
	free(got);
}

/* The reader closed its end: EPIPE (SIGPIPE is ignored, as vmain does). */
static void test_reader_gone(void)
{
	struct ioloop *l = new_loop(true);
	int fds[2], i, zero_after = -1;
	struct outbuf *ob;
	uint8_t buf[KIB];
	int64_t t0, ns;

	new_pipe(fds);
	ob = new_outbuf(l, fds[1], 16 * KIB);
	close(fds[0]);
	fill(buf, KIB, 0);
	t0 = ioloop_now_ns();
	for (i = 0; i < 1000; i++)
		outbuf_write(ob, buf, KIB);
	ns = ioloop_now_ns() - t0;
	tap_ok(ns < 1000 * MS, "reader gone: 1000 writes returned in %.1f ms", ns / 1e6);
	/* The loop meets EPIPE on its first write: from then on nothing is taken. */
	for (i = 0; i < 1000 && zero_after < 0; i++) {
		if (outbuf_write(ob, buf, 1) == 0)
			zero_after = i;
		sleep_ms(1);
	}
	tap_ok(zero_after >= 0, "reader gone: after EPIPE writes take nothing (after %d ms)",
	       zero_after);
	t0 = ioloop_now_ns();
	/* 1000 KiB, and one byte per probe: taken first, or not, all lost. */
	tap_ok(outbuf_destroy(ob, 2000 * MS) == 1000ull * KIB + (uint64_t)zero_after + 1,
	       "reader gone: every byte written was dropped, silently");
	ns = ioloop_now_ns() - t0;
	tap_ok(ns < 100 * MS, "reader gone: destroy did not wait for a dead output (%.1f ms)",
	       ns / 1e6);
	close(fds[1]);
	ioloop_destroy(l);
}

static int make_tmpdir(char *dir, size_t size)
{
	const char *tmp = getenv("TMPDIR");

	snprintf(dir, size, "%s/outbuf-test.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	return mkdtemp(dir) ? 0 : -errno;
}

#define FILE_BYTES	(1024 * KIB)
#define FILE_TAIL	(10 * KIB)

/* A regular file: written as it is (no O_NONBLOCK), gets every byte. */
static void test_regular_file(void)
{
	struct ioloop *l = new_loop(false);
	size_t total = FILE_BYTES + FILE_TAIL, taken = 0;
	uint8_t *expect = malloc(total), *got = malloc(total + 1);
	char dir[256], path[300];
	struct outbuf *ob;
	int fd, flags;
	size_t off;
	ssize_t n;

	if (!tap_ok(make_tmpdir(dir, sizeof(dir)) == 0, "file: temporary directory"))
		return;
	snprintf(path, sizeof(path), "%s/out", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	flags = fcntl(fd, F_GETFL);
	ob = new_outbuf(l, fd, 64 * KIB);
	tap_ok(fcntl(fd, F_GETFL) == flags, "file: its flags are left as they are");
	fill(expect, total, 99);
	for (off = 0; off < FILE_BYTES; off += KIB) {
		taken += outbuf_write(ob, expect + off, KIB);
		ioloop_run_once(l, 0);
	}
	/* The tail stays queued: destroy turns the loop itself to write it. */
	taken += outbuf_write(ob, expect + FILE_BYTES, FILE_TAIL);
	tap_ok(taken == total, "file: every write was taken whole (%zu bytes)", taken);
	tap_ok(outbuf_destroy(ob, 1000 * MS) == 0, "file: destroy on the hand-turned loop: nothing dropped");
	n = pread(fd, got, total + 1, 0);
	tap_ok(n == (ssize_t)total && !memcmp(got, expect, total),
	       "file: the file holds exactly the %zu bytes, in order (read %zd)", total, n);
	close(fd);
	unlink(path);
	rmdir(dir);
	ioloop_destroy(l);
	free(expect);
	free(got);
}

#define WRITERS		4
#define RECORDS		4000
#define RECORD		61	/* odd: records straddle the ring's end */

struct writer {
	struct outbuf *ob;
	int id;
	size_t short_takes;
};

static void record_fill(uint8_t *rec, int id, int seq)
{
	int j;

	rec[0] = (uint8_t)id;
	rec[1] = (uint8_t)seq;
	rec[2] = (uint8_t)(seq >> 8);
	for (j = 3; j < RECORD; j++)
		rec[j] = (uint8_t)(id * 31 + seq * 7 + j);
}

static void *writer_thread(void *opaque)
{
	struct writer *w = opaque;
	uint8_t rec[RECORD];
	int seq;

	for (seq = 0; seq < RECORDS; seq++) {
		record_fill(rec, w->id, seq);
		w->short_takes += outbuf_write(w->ob, rec, RECORD) != RECORD;
	}
	return NULL;
}

/* Every RECORD-byte record whole, each writer's in its order. */
static bool records_check(const uint8_t *buf, size_t len)
{
	int next[WRITERS] = { 0 }, id, seq;
	uint8_t want[RECORD];
	size_t off;

	if (len != (size_t)WRITERS * RECORDS * RECORD)
		return false;
	for (off = 0; off < len; off += RECORD) {
		id = buf[off];
		if (id >= WRITERS)
			return false;
		seq = next[id]++;
		record_fill(want, id, seq);
		if (memcmp(buf + off, want, RECORD))
			return false;
	}
	return true;
}

static void test_threads(void)
{
	size_t total = (size_t)WRITERS * RECORDS * RECORD, shorts = 0;
	struct ioloop *l = new_loop(true);
	struct writer w[WRITERS];
	pthread_t th[WRITERS];
	struct outbuf *ob;
	struct reader r;
	int fds[2], i;

	new_pipe(fds);
	/* Room for everything: nothing may be dropped, so the stream is checkable. */
	ob = new_outbuf(l, fds[1], total);
	reader_start(&r, fds[0], total + 1);
	for (i = 0; i < WRITERS; i++) {
		w[i] = (struct writer){ .ob = ob, .id = i };
		pthread_create(&th[i], NULL, writer_thread, &w[i]);
	}
	for (i = 0; i < WRITERS; i++) {
		pthread_join(th[i], NULL);
		shorts += w[i].short_takes;
	}
	tap_ok(shorts == 0, "threads: %d x %d writes of %d bytes, all taken whole",
	       WRITERS, RECORDS, RECORD);
	tap_ok(outbuf_destroy(ob, 5000 * MS) == 0, "threads: destroy flushed, nothing dropped");
	close(fds[1]);
	pthread_join(r.thread, NULL);
	tap_ok(r.got == total, "threads: the reader got %zu of %zu bytes", r.got, total);
	tap_ok(records_check(r.buf, r.got),
	       "threads: no write's bytes were split by another's; each thread's in order");
	close(fds[0]);
	free(r.buf);
	ioloop_destroy(l);
}

#define PENDING		(32 * 1024)

/* Queues PENDING bytes into a full pipe and lets the loop see EAGAIN. */
static struct outbuf *pending_outbuf(struct ioloop *l, int wfd, uint8_t *expect)
{
	struct outbuf *ob = new_outbuf(l, wfd, 64 * KIB);

	fill(expect, PENDING, 12345);
	if (outbuf_write(ob, expect, PENDING) != PENDING)
		tap_ok(0, "pending: a %u-byte write into an empty 64 KiB buffer", PENDING);
	sleep_ms(20);
	return ob;
}

static void test_destroy_flushes(void)
{
	struct ioloop *l = new_loop(true);
	uint8_t expect[PENDING];
	struct outbuf *ob;
	struct reader r;
	int fds[2], queued;
	int64_t t0, ns;

	new_pipe(fds);
	ob = pending_outbuf(l, fds[1], expect);
	queued = pipe_queued(fds[0]);
	tap_ok(queued > 0 && queued < PENDING,
	       "destroy/live: %d of %u bytes in the pipe, the rest queued", queued, PENDING);
	reader_start(&r, fds[0], PENDING + 1);
	t0 = ioloop_now_ns();
	tap_ok(outbuf_destroy(ob, 2000 * MS) == 0, "destroy/live: nothing dropped");
	ns = ioloop_now_ns() - t0;
	tap_ok(ns < 1000 * MS, "destroy/live: returned once drained (%.1f ms)", ns / 1e6);
	close(fds[1]);
	pthread_join(r.thread, NULL);
	tap_ok(r.got == PENDING && !memcmp(r.buf, expect, PENDING),
	       "destroy/live: the reader got all %u bytes, in order (%zu)", PENDING, r.got);
	close(fds[0]);
	free(r.buf);
	ioloop_destroy(l);
}

static void test_destroy_stuck(void)
{
	struct ioloop *l = new_loop(true);
	uint8_t expect[PENDING], got[PENDING];
	struct outbuf *ob;
	int fds[2], queued;
	uint64_t dropped;
	int64_t t0, ns;

	new_pipe(fds);
	ob = pending_outbuf(l, fds[1], expect);
	t0 = ioloop_now_ns();
	dropped = outbuf_destroy(ob, 200 * MS);
	ns = ioloop_now_ns() - t0;
	tap_ok(ns >= 200 * MS && ns < 1000 * MS,
	       "destroy/stuck: returned after its 200 ms timeout (%.1f ms)", ns / 1e6);
	queued = pipe_queued(fds[0]);
	tap_ok(queued > 0 && dropped == (uint64_t)(PENDING - queued),
	       "destroy/stuck: it dropped what the pipe had not taken (%llu + %d in the pipe)",
	       (unsigned long long)dropped, queued);
	tap_ok(read_for(fds[0], got, (size_t)queued, 1000) == (size_t)queued &&
	       !memcmp(got, expect, (size_t)queued), "destroy/stuck: the pipe holds the first bytes");
	sleep_ms(20);
	tap_ok(pipe_queued(fds[0]) == 0, "destroy/stuck: and nothing reaches the fd after destroy");
	tap_ok(!nonblocking(fds[1]), "destroy/stuck: O_NONBLOCK cleared");
	close(fds[0]);
	close(fds[1]);
	ioloop_destroy(l);
}

/* O_NONBLOCK is the open file description's: shared with a dup, as stdin and stdout may be. */
static void test_flags(void)
{
	struct ioloop *l = new_loop(false);
	int fds[2], dupfd, before;
	struct outbuf *ob;

	new_pipe(fds);
	fcntl(fds[1], F_SETFL, O_APPEND);
	before = fcntl(fds[1], F_GETFL);
	dupfd = dup(fds[1]);
	ob = new_outbuf(l, fds[1], 16);
	tap_ok(nonblocking(dupfd), "flags: the dup'ed fd shares O_NONBLOCK while the outbuf lives");
	outbuf_destroy(ob, 0);
	tap_ok(fcntl(fds[1], F_GETFL) == before && fcntl(dupfd, F_GETFL) == before,
	       "flags: destroy restores the original flags (O_APPEND kept), on both fds");

	fcntl(fds[1], F_SETFL, before | O_NONBLOCK);
	ob = new_outbuf(l, fds[1], 16);
	outbuf_destroy(ob, 0);
	tap_ok(nonblocking(fds[1]), "flags: an fd that was O_NONBLOCK already stays so");
	close(dupfd);
	close(fds[0]);
	close(fds[1]);
	ioloop_destroy(l);
}

int main(void)
{
	/* vmain run does the same: a gone reader is EPIPE, not a signal. */
	signal(SIGPIPE, SIG_IGN);
	test_create();
	test_deferred();
	test_stuck_reader();
	test_reader_gone();
	test_regular_file();
	test_threads();
	test_destroy_flushes();
	test_destroy_stuck();
	test_flags();
	return tap_done();
}
