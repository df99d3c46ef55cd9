// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * fuzz-qcow2.c - fuzzing the qcow2 format (monitor/disk/qcow2*.c) with
 * image files: the input is written to a file, opened through the whole
 * disk stack (disk_open: read-write, or read-only when that is refused),
 * then read at a few places, written, write-zeroed, discarded, flushed
 * and closed.  Any crash, sanitizer report, hang, or a request that does
 * not complete exactly once with 0 or a -errno fails.
 *
 * Two builds of this one file:
 *
 *   libFuzzer (clang; `make fuzz-qcow2`):
 *     clang -g -O1 -fsanitize=fuzzer,address,undefined -Icommon -Itests/lib \
 *         -Imonitor tests/disk/fuzz-qcow2.c $(IO_SRCS) $(DISK_SRCS) \
 *         -luring -lz -lzstd -pthread        (every monitor/io, monitor/disk .c)
 *     ./a.out -max_len=65536 -max_total_time=120 CORPUS_DIR
 *
 *   standalone (any compiler, deterministic, for make check):
 *     gcc -DFUZZ_STANDALONE -fsanitize=address,undefined ... (the same sources)
 *     ./a.out [-n ITERATIONS] [-s SEED]   seeded mutations of valid images
 *     ./a.out -w DIR                      writes the seed images to DIR
 *     ./a.out FILE...                     replays inputs (e.g. crash files)
 *   It prints one TAP line and exits 0 only if every input passed.
 *
 * A backing file name in the input is replaced before the file is written
 * (by "base", a small raw file of the fuzzer's, when it has 4 bytes, else
 * by a name that does not exist), so that an input never opens a file
 * of the host's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "disk/disk.h"

#define MAX_WAIT_TURNS	20000	/* loop turns (10 ms each at most) for one request */

struct fuzz {
	struct ioloop *loop;
	struct pool *pool;
	char dir[64];
	char img[96];
	uint8_t *buf;			/* 128 KiB for requests */
};

static struct fuzz F;

static void fail(const char *what)
{
	fprintf(stderr, "fuzz-qcow2: %s\n", what);
	abort();
}

static int write_all(const char *path, const uint8_t *data, size_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	size_t done = 0;

	if (fd < 0)
		return -1;
	while (done < size) {
		ssize_t n = write(fd, data + done, size - done);

		if (n <= 0) {
			close(fd);
			return -1;
		}
		done += (size_t)n;
	}
	return close(fd);
}

static void setup(void)
{
	static uint8_t base[1 << 20];
	char path[128];
	size_t i;

	if (F.loop)
		return;
	snprintf(F.dir, sizeof(F.dir), "/tmp/fuzz-qcow2.XXXXXX");
	if (!mkdtemp(F.dir) || ioloop_create(&F.loop) || pool_create(&F.pool, 1))
		fail("cannot set up a directory, a loop and a pool");
	snprintf(F.img, sizeof(F.img), "%s/img", F.dir);
	for (i = 0; i < sizeof(base); i++)
		base[i] = (uint8_t)(i * 7 + (i >> 12));
	snprintf(path, sizeof(path), "%s/base", F.dir);
	if (write_all(path, base, sizeof(base)))
		fail("cannot write the backing file");
	F.buf = malloc(128 << 10);
	if (!F.buf)
		fail("out of memory");
}

/* The header's backing file name, if the input has one, replaced (see above). */
static void tame_backing(uint8_t *d, size_t size)
{
	uint64_t off = 0;
	uint32_t len = 0;
	int i;

	if (size < 20)
		return;
	for (i = 0; i < 8; i++)
		off = off << 8 | d[8 + i];
	for (i = 0; i < 4; i++)
		len = len << 8 | d[16 + i];
	if (!off || off >= size || len > size - off)
		return;
	if (len == 4)
		memcpy(d + off, "base", 4);
	else
		memset(d + off, 'x', len);
}

struct req {
	struct disk_req req;
	struct iovec iov;
	int ret;
	unsigned completions;
};

static void req_done(struct disk_req *r, int ret)
{
	struct req *q = r->opaque;

	q->ret = ret;
	q->completions++;
}

static bool errno_ok(int ret)
{
	return ret == 0 || ret == -EIO || ret == -EINVAL || ret == -ENOSPC ||
	       ret == -EROFS || ret == -ENOMEM || ret == -EOPNOTSUPP;
}

static int one(struct disk *d, enum disk_op op, uint32_t flags, uint64_t off,
	       uint64_t len)
{
	struct req q;
	unsigned turns = 0;

	memset(&q, 0, sizeof(q));
	q.req.op = op;
	q.req.flags = flags;
	q.req.offset = off;
	q.req.len = len;
	if (op == DISK_READ || op == DISK_WRITE) {
		q.iov.iov_base = F.buf;
		q.iov.iov_len = len;
		q.req.iov = &q.iov;
		q.req.iovcnt = 1;
	}
	q.req.done = req_done;
	q.req.opaque = &q;
	disk_submit(d, &q.req);
	disk_unplug(d);
	while (!q.completions && turns++ < MAX_WAIT_TURNS)
		ioloop_run_once(F.loop, 10);
	if (q.completions != 1)
		fail("a request did not complete");
	/* One more turn: a second completion would show here. */
	ioloop_run_once(F.loop, 0);
	if (q.completions != 1 || !errno_ok(q.ret))
		fail("a request completed twice or with an unexpected error");
	return q.ret;
}

/* A range of `len` bytes at `frac` of the disk, aligned and inside it. */
static uint64_t place(const struct disk *d, uint64_t frac, uint64_t len)
{
	uint64_t sectors = d->size / DISK_SECTOR, want = len / DISK_SECTOR;

	if (sectors <= want)
		return 0;
	return (sectors - want) / 16 * frac * DISK_SECTOR;
}

static void exercise(struct disk *d)
{
	static const uint64_t lens[] = { 512, 4096, 65536 + 1024, 128 << 10 };
	unsigned i;

	if (!d->size)
		return;
	for (i = 0; i < 4; i++) {
		uint64_t len = lens[i] < d->size ? lens[i] : d->size;

		one(d, DISK_READ, 0, place(d, i * 5, len), len);
	}
	if (d->readonly)
		return;
	memset(F.buf, 0xa5, 128 << 10);
	one(d, DISK_WRITE, 0, place(d, 3, d->size < 6144 ? d->size : 6144),
	    d->size < 6144 ? d->size : 6144);
	one(d, DISK_WRITE_ZEROES, 0, place(d, 7, DISK_SECTOR), DISK_SECTOR);
	one(d, DISK_DISCARD, 0, 0, d->size < (1 << 20) ? d->size : 1 << 20);
	one(d, DISK_FLUSH, 0, 0, 0);
	one(d, DISK_READ, 0, place(d, 3, DISK_SECTOR), DISK_SECTOR);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct disk_options o;
	char err[256];
	struct disk *d = NULL;
	uint8_t *copy;

	setup();
	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	tame_backing(copy, size);
	if (write_all(F.img, copy, size))
		fail("cannot write the image");
	free(copy);
	memset(&o, 0, sizeof(o));
	o.path = F.img;
	o.format = DISK_FORMAT_QCOW2;
	o.cache = WCACHE_WRITEBACK;
	if (disk_open(&d, &o, F.loop, F.pool, err, sizeof(err))) {
		o.readonly = true;
		if (disk_open(&d, &o, F.loop, F.pool, err, sizeof(err)))
			return 0;
	}
	exercise(d);
	disk_close(d);
	return 0;
}

#ifdef FUZZ_STANDALONE
/*
 * The standalone driver: valid images built here (as qemu-img lays them
 * out: header, refcount table, refcount block, L1, L2, data), mutated
 * where the parser looks: header fields, extensions, table entries.
 */
#define CS	4096u

static uint64_t rng_state;

static uint64_t rng(void)
{
	/* splitmix64 */
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void be64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (56 - 8 * i));
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* A raw-deflate cluster of text, for a compressed L2 entry. */
static size_t deflated(uint8_t *out, size_t outlen)
{
	uint8_t in[CS];
	z_stream s;
	size_t n;

	memset(&s, 0, sizeof(s));
	snprintf((char *)in, sizeof(in), "%0*d", (int)sizeof(in) - 1, 42);
	if (deflateInit2(&s, 6, Z_DEFLATED, -12, 9, Z_DEFAULT_STRATEGY) != Z_OK)
		return 0;
	s.next_in = in;
	s.avail_in = sizeof(in);
	s.next_out = out;
	s.avail_out = (uInt)outlen;
	n = deflate(&s, Z_FINISH) == Z_STREAM_END ? outlen - s.avail_out : 0;
	deflateEnd(&s);
	return n;
}

/*
 * Seed images, 4 KiB clusters, 1 MiB disk: 0 header, 1 refcount table,
 * 2 refcount block, 3 L1, 4 L2, 5 data, 6 compressed data.
 * kind 0: v3; 1: v2; 2: v3 with a backing file and its format; 3: v3 dirty.
 */
static size_t make_seed(uint8_t *img, unsigned kind)
{
	size_t clen, end = 7 * CS;
	uint8_t *h = img;
	unsigned c, ext = 104 + 8;

	memset(img, 0, 8 * CS);
	put32(h, 0x514649fb);
	put32(h + 4, kind == 1 ? 2 : 3);
	put32(h + 20, 12);
	be64(h + 24, 1 << 20);
	put32(h + 36, 1);
	be64(h + 40, 3 * CS);
	be64(h + 48, 1 * CS);
	put32(h + 56, 1);
	if (kind != 1) {
		be64(h + 72, kind == 3 ? 1 : 0);
		put32(h + 96, 4);
		put32(h + 100, 112);
		/* A feature name table entry, then the backing format. */
		put32(h + ext, 0x6803f857);
		put32(h + ext + 4, 48);
		memcpy(h + ext + 10, "dirty bit", 9);
		ext += 8 + 48;
		if (kind == 2) {
			put32(h + ext, 0xe2792aca);
			put32(h + ext + 4, 3);
			memcpy(h + ext + 8, "raw", 3);
			ext += 16;
			be64(h + 8, 1024);
			put32(h + 16, 4);
			memcpy(h + 1024, "base", 4);
		}
	}
	be64(img + CS, 2 * CS);				/* refcount table -> block */
	for (c = 0; c < 7; c++)
		img[2 * CS + 2 * c + 1] = 1;		/* 16-bit refcounts */
	be64(img + 3 * CS, 1ull << 63 | 4 * CS);	/* L1 -> L2 */
	be64(img + 4 * CS, 1ull << 63 | 5 * CS);	/* L2[0]: data */
	if (kind != 1)
		be64(img + 4 * CS + 8, 1);		/* L2[1]: zero cluster (v3) */
	memset(img + 5 * CS, 0x5a, CS);
	clen = deflated(img + 6 * CS, CS);
	if (clen)					/* L2[2]: compressed, x = 58 */
		be64(img + 4 * CS + 16, 1ull << 62 | (uint64_t)((clen + 511) / 512 - 1)
		     << 58 | 6 * CS);
	return end;
}

static const uint64_t interesting[] = {
	0, 1, 0x200, CS, 2 * CS, 3 * CS, 4 * CS, 5 * CS, 6 * CS, 7 * CS, 1ull << 40,
	1ull << 63, 1ull << 62, 0xffffffffffffffffull, 0x7fffffffffffffffull,
	1ull << 63 | 5 * CS, 1ull << 63 | 4 * CS, 1ull << 63 | 0x201, 21, 30, 9,
	1ull << 55, 1ull << 56, 104, 112, 72, 0x6803f857, 0xe2792aca,
};

static void mutate(uint8_t *img, size_t *size, size_t cap)
{
	uint64_t r = rng(), v = rng() % 2 ? interesting[rng() % (sizeof(interesting) /
								   sizeof(interesting[0]))] : rng();
	size_t off;

	switch (r % 6) {
	case 0:		/* a header byte */
		img[rng() % 512] ^= (uint8_t)(1u << (rng() % 8));
		break;
	case 1:		/* a header field, 32 bits */
		off = rng() % 128 & ~3ul;
		put32(img + off, (uint32_t)(rng() % 2 ? v : v >> 32));
		break;
	case 2:		/* a header field, 64 bits */
		off = rng() % 128 & ~7ul;
		be64(img + off, v);
		break;
	case 3:		/* a table entry: refcount table, block, L1, L2 */
		off = (1 + rng() % 4) * CS + (rng() % 4) * 8;
		if (off + 8 <= *size)
			be64(img + off, v);
		break;
	case 4:		/* cut the file */
		*size = rng() % (*size + 1);
		break;
	default:	/* grow it */
		if (*size < cap)
			*size += rng() % (cap - *size + 1);
		break;
	}
}

static int replay(const char *path)
{
	struct stat st;
	uint8_t *buf;
	FILE *f = fopen(path, "rb");
	size_t n;

	if (!f || fstat(fileno(f), &st)) {
		if (f)
			fclose(f);
		return -1;
	}
	buf = malloc((size_t)st.st_size + 1);
	n = buf ? fread(buf, 1, (size_t)st.st_size, f) : 0;
	fclose(f);
	if (!buf)
		return -1;
	LLVMFuzzerTestOneInput(buf, n);
	free(buf);
	return 0;
}

static int write_seeds(const char *dir)
{
	uint8_t *img = malloc(8 * CS);
	char path[512];
	unsigned k;

	if (!img)
		return 1;
	for (k = 0; k < 4; k++) {
		size_t n = make_seed(img, k);

		snprintf(path, sizeof(path), "%s/seed-%u.qcow2", dir, k);
		if (write_all(path, img, n)) {
			free(img);
			return 1;
		}
	}
	free(img);
	return 0;
}

static void cleanup(void)
{
	char path[128];

	if (!F.loop)
		return;
	snprintf(path, sizeof(path), "%s/base", F.dir);
	unlink(path);
	unlink(F.img);
	rmdir(F.dir);
	pool_destroy(F.pool);
	ioloop_destroy(F.loop);
	free(F.buf);
}

int main(int argc, char **argv)
{
	unsigned long long iters = 1000, seed = 1, i;
	const size_t cap = 16 * CS;
	int argi = 1, nfiles = 0;
	uint8_t *img;

	while (argi < argc) {
		if (!strcmp(argv[argi], "-n") && argi + 1 < argc) {
			iters = strtoull(argv[argi + 1], NULL, 0);
			argi += 2;
		} else if (!strcmp(argv[argi], "-s") && argi + 1 < argc) {
			seed = strtoull(argv[argi + 1], NULL, 0);
			argi += 2;
		} else if (!strcmp(argv[argi], "-w") && argi + 1 < argc) {
			return write_seeds(argv[argi + 1]);
		} else if (argv[argi][0] == '-') {
			fprintf(stderr, "usage: fuzz-qcow2 [-n ITERATIONS] [-s SEED] | "
				"-w DIR | FILE...\n");
			return 2;
		} else {
			if (replay(argv[argi])) {
				printf("not ok - fuzz-qcow2: cannot read %s\n", argv[argi]);
				return 1;
			}
			nfiles++;
			argi++;
		}
	}
	if (nfiles) {
		cleanup();
		printf("ok - fuzz-qcow2: %d input files replayed\n", nfiles);
		return 0;
	}
	img = malloc(cap);
	if (!img)
		return 1;
	rng_state = seed;
	for (i = 0; i < iters; i++) {
		size_t size = make_seed(img, (unsigned)(rng() % 4));
		unsigned k, n = 1 + (unsigned)(rng() % 4);

		/* Every 8th input unmutated, so the good paths run too. */
		for (k = 0; i % 8 && k < n; k++)
			mutate(img, &size, cap);
		LLVMFuzzerTestOneInput(img, size);
	}
	free(img);
	cleanup();
	printf("ok - fuzz-qcow2: %llu mutated images opened, read, written and "
	       "closed, seed %llu\n", iters, seed);
	return 0;
}
#endif
