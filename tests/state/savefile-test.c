// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * savefile-test.c - the save file (monitor/state/savefile.c): a fake
 * guest RAM with zero and data regions (first and last page, a lone page
 * between zeros, a small zero gap between data, a page whose only
 * non-zero byte is its last) is saved and restored eagerly and lazily,
 * byte for byte; the file is sparse, written in large O_DIRECT writes that
 * leave the page cache empty, and a lazy restore reads nothing before the
 * guest touches it; truncated, corrupt and foreign files are refused with
 * their reason; RAM in a memfd is saved without reading (so allocating)
 * its holes; a writer killed with SIGKILL at random points leaves the
 * previous file or the new one, complete, and never anything else.
 *
 * The files go to a directory on a real filesystem ($TMPDIR, /var/tmp,
 * /tmp or the current directory, whichever is not tmpfs first); the
 * tmpfs case (/dev/shm) and the buffered fallback are checked apart.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "le.h"
#include "state/savefile.h"
#include "state/stream.h"
#include "tap.h"

#define PAGE		4096ull
#define MIB		(1ull << 20)
#define BIG		(64 * MIB)
#define SMALL		(1 * MIB)
#define KILLS		8

static char dir[256];
static char err[256];

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static uint8_t *ram_alloc(uint64_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED) {
		tap_ok(0, "mmap %llu bytes: %s", (unsigned long long)size, strerror(errno));
		exit(1);
	}
	return p;
}

/* Fills a page with bytes from a seed (never all zero). */
static void page_fill(uint8_t *p, uint64_t seed)
{
	uint64_t x = seed * 0x9e3779b97f4a7c15ull + 1, i;

	for (i = 0; i < PAGE; i += 8) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		memcpy(p + i, &x, 8);
	}
}

/*
 * The edge-case RAM (size bytes, fresh zeros): data in the first and last
 * page, a lone page at 1000, pages 100-102 and 111-113 (a 8-page gap),
 * 16..40 MiB dense, every 64th page of 48..56 MiB, page 2000 with only its
 * last byte set.  Returns the data pages.
 */
static uint64_t pattern(uint8_t *ram, uint64_t size, uint64_t gen)
{
	uint64_t pages = size / PAGE, n = 0, i;

#define DATA(pfn) do { if ((pfn) < pages) { page_fill(ram + (pfn) * PAGE, (pfn) + gen * 1000003); n++; } } while (0)
	DATA(0);
	DATA(pages - 1);
	DATA(1000);
	for (i = 100; i <= 102; i++)
		DATA(i);
	for (i = 111; i <= 113; i++)
		DATA(i);
	for (i = 16 * MIB / PAGE; i < 40 * MIB / PAGE && i < pages; i++)
		DATA(i);
	for (i = 48 * MIB / PAGE; i < 56 * MIB / PAGE && i < pages; i += 64)
		DATA(i);
#undef DATA
	if (2000 < pages) {
		ram[2000 * PAGE + PAGE - 1] = 1;
		n++;
	}
	return n;
}

/* Dense RAM: every page data but every 97th (zero). */
static void dense(uint8_t *ram, uint64_t size, uint64_t gen)
{
	uint64_t i;

	for (i = 0; i < size / PAGE; i++) {
		if (i % 97 == 5)
			memset(ram + i * PAGE, 0, PAGE);
		else
			page_fill(ram + i * PAGE, i + gen * 1000003);
	}
}

/* Pages of the file `path` in the page cache. */
static long cached_pages(const char *path)
{
	struct stat sb;
	unsigned char *vec;
	long n = 0;
	size_t i, np;
	void *p;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &sb))
		return -1;
	p = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return -1;
	np = ((size_t)sb.st_size + PAGE - 1) / PAGE;
	vec = malloc(np);
	if (vec && !mincore(p, (size_t)sb.st_size, vec))
		for (i = 0; i < np; i++)
			n += vec[i] & 1;
	else
		n = -1;
	free(vec);
	munmap(p, (size_t)sb.st_size);
	return n;
}

/* Resident pages of a mapping. */
static long resident(void *p, uint64_t size)
{
	size_t np = size / PAGE, i;
	unsigned char *vec = malloc(np);
	long n = 0;

	if (!vec || mincore(p, size, vec)) {
		free(vec);
		return -1;
	}
	for (i = 0; i < np; i++)
		n += vec[i] & 1;
	free(vec);
	return n;
}

static bool is_tmpfs(const char *d)
{
	struct statfs s;

	return !statfs(d, &s) && s.f_type == TMPFS_MAGIC;
}

static void pick_dir(void)
{
	const char *cand[] = { getenv("TMPDIR"), "/var/tmp", "/tmp", "." };
	size_t i;

	for (i = 0; i < sizeof(cand) / sizeof(cand[0]); i++) {
		if (!cand[i] || is_tmpfs(cand[i]))
			continue;
		snprintf(dir, sizeof(dir), "%s/savefile-test-XXXXXX", cand[i]);
		if (mkdtemp(dir))
			return;
	}
	snprintf(dir, sizeof(dir), "/tmp/savefile-test-XXXXXX");
	if (!mkdtemp(dir)) {
		tap_ok(0, "a temporary directory: %s", strerror(errno));
		exit(1);
	}
	tap_diag("only tmpfs found: O_DIRECT and page-cache checks are weaker");
}

struct prog {
	uint64_t calls, last, total;
	bool monotonic;
};

static void on_progress(void *opaque, uint64_t done, uint64_t total)
{
	struct prog *p = opaque;

	if (done < p->last || done > total)
		p->monotonic = false;
	p->calls++;
	p->last = done;
	p->total = total;
}

/* A state stream of two sections, as the devices would write it. */
static const uint8_t *make_state(struct state_writer *w, size_t *len)
{
	int e;

	state_writer_init(w);
	state_section_begin(w, "pit", 0, 1);
	state_put_u64(w, 0x1122334455667788ull);
	state_section_end(w);
	state_section_begin(w, "blob", 3, 2);
	{
		uint8_t b[4999];
		size_t i;

		for (i = 0; i < sizeof(b); i++)
			b[i] = (uint8_t)(i * 7);
		state_put_bytes(w, b, sizeof(b));
	}
	state_section_end(w);
	return state_writer_data(w, len, &e);
}

static void test_roundtrip(void)
{
	struct savefile_opts o = { .writer = "vmain 0.1-test" };
	struct prog pr = { .monotonic = true };
	struct savefile_stats st, rst;
	struct state_writer w;
	struct state_reader r;
	struct savefile *f;
	uint8_t *ram = ram_alloc(BIG), *back;
	uint64_t data = pattern(ram, BIG, 1);
	uint32_t ver;
	const uint8_t *state;
	const void *st2;
	size_t slen, slen2;
	char path[300];
	struct stat sb;
	long cached, before, after;
	int ret;

	snprintf(path, sizeof(path), "%s/state.sav", dir);
	state = make_state(&w, &slen);
	o.progress = on_progress;
	o.opaque = &pr;
	ret = savefile_write(path, ram, BIG, state, slen, &o, &st, err, sizeof(err));
	tap_ok(ret == 0, "edge-case RAM (64 MiB) saved (%d %s)", ret, ret ? err : "");
	tap_ok(st.direct, "written with O_DIRECT");
	tap_ok(st.data_pages == data && st.zero_pages == BIG / PAGE - data,
	       "data pages %llu (want %llu), zero pages %llu",
	       (unsigned long long)st.data_pages, (unsigned long long)data,
	       (unsigned long long)st.zero_pages);
	tap_ok(pr.calls >= 2 && pr.monotonic && pr.last == BIG && pr.total == BIG,
	       "progress reported %llu times, monotonic, ending at the total",
	       (unsigned long long)pr.calls);
	cached = cached_pages(path);
	tap_ok(cached >= 0 && cached <= 4, "page cache untouched by the save (%ld pages cached)",
	       cached);
	if (stat(path, &sb))
		memset(&sb, 0, sizeof(sb));
	tap_ok((uint64_t)sb.st_blocks * 512 < BIG / 2 &&
	       (uint64_t)sb.st_blocks * 512 >= data * PAGE,
	       "the file is sparse: %llu KiB allocated for %llu KiB of data, %llu KiB of RAM",
	       (unsigned long long)sb.st_blocks / 2, (unsigned long long)data * 4,
	       (unsigned long long)BIG / 1024);
	tap_diag("edge-case save: %llu writes, %llu SQEs, %llu bytes of RAM area written",
		 (unsigned long long)st.writes, (unsigned long long)st.sqes,
		 (unsigned long long)st.ram_bytes);
	/* Merged zero gaps are written, larger ones are not. */
	tap_ok(st.ram_bytes >= data * PAGE && st.ram_bytes <= data * PAGE + 64 * PAGE,
	       "only data pages (and small merged gaps) written: %llu bytes",
	       (unsigned long long)st.ram_bytes);

	ret = savefile_open(&f, path, err, sizeof(err));
	tap_ok(ret == 0, "opened and validated (%d %s)", ret, ret ? err : "");
	if (ret)
		exit(1);
	{
		const struct savefile_info *in = savefile_info(f);
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		tap_ok(in->version == 1 && in->ram_size == BIG && in->data_pages == data &&
		       !strcmp(in->writer, "vmain 0.1-test") &&
		       llabs(ts.tv_sec - in->created_ns / 1000000000) < 600 &&
		       in->ram_off % (2 * MIB) == 0,
		       "info: version %u, writer \"%s\", RAM %llu, RAM area at %llu",
		       in->version, in->writer, (unsigned long long)in->ram_size,
		       (unsigned long long)in->ram_off);
	}
	tap_ok(savefile_page_present(f, 0) && savefile_page_present(f, BIG / PAGE - 1) &&
	       savefile_page_present(f, 1000) && !savefile_page_present(f, 999) &&
	       !savefile_page_present(f, 1001) && savefile_page_present(f, 2000) &&
	       !savefile_page_present(f, 105) && !savefile_page_present(f, BIG / PAGE),
	       "page map: first, last, lone page, last-byte-only page present; neighbours and gaps not");
	st2 = savefile_state(f, &slen2);
	tap_ok(slen2 == slen && !memcmp(st2, state, slen), "state stream round trip (%zu bytes)",
	       slen);
	state_reader_init(&r, st2, slen2);
	ret = state_section_open(&r, "pit", 0, 1, &ver);
	tap_ok(!ret && state_get_u64(&r) == 0x1122334455667788ull && !state_section_close(&r),
	       "the stream read back loads");
	state_writer_free(&w);

	back = ram_alloc(BIG);
	ret = savefile_read_ram(f, back, BIG - PAGE, &rst, err, sizeof(err));
	tap_ok(ret == -EINVAL && strstr(err, "RAM"), "eager read into RAM of another size refused: %s", err);
	ret = savefile_map_ram(f, back, BIG + PAGE, err, sizeof(err));
	tap_ok(ret == -EINVAL, "lazy map of RAM of another size refused: %s", err);
	ret = savefile_read_ram(f, back, BIG, &rst, err, sizeof(err));
	tap_ok(ret == 0 && !memcmp(back, ram, BIG), "eager read == original (%d %s)", ret,
	       ret ? err : "");
	tap_ok(rst.direct && rst.writes > 0, "eager read: O_DIRECT, %llu reads of %llu bytes",
	       (unsigned long long)rst.writes, (unsigned long long)rst.ram_bytes);
	munmap(back, BIG);

	cached = cached_pages(path);
	tap_diag("page cache after open and eager read: %ld pages (header, state, map)", cached);
	back = ram_alloc(BIG);
	ret = savefile_map_ram(f, back, BIG, err, sizeof(err));
	tap_ok(ret == 0, "lazy map (%d %s)", ret, ret ? err : "");
	before = resident(back, BIG);
	tap_ok(before == 0, "nothing loaded before the first touch (%ld pages resident)", before);
	tap_ok(!memcmp(back + 1000 * PAGE, ram + 1000 * PAGE, PAGE), "a touched page == original");
	after = resident(back, BIG);
	tap_ok(after >= 1 && (uint64_t)after <= BIG / PAGE / 4,
	       "one touch loads that page and the kernel's readahead around it only (%ld pages resident)",
	       after);
	tap_ok(!memcmp(back, ram, BIG), "lazy map == original, all 64 MiB");
	/* Without readahead (the caller's MADV_RANDOM), exactly what is touched. */
	{
		int fd;

		/* Mapped pages stay cached: unmap first, then drop the cache. */
		munmap(back, BIG);
		fd = open(path, O_RDONLY);
		if (fd >= 0) {
			posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
			close(fd);
		}
		back = ram_alloc(BIG);
		ret = savefile_map_ram(f, back, BIG, err, sizeof(err));
		madvise(back, BIG, MADV_RANDOM);
		before = resident(back, BIG);
		tap_ok(!ret && !memcmp(back + 1000 * PAGE, ram + 1000 * PAGE, PAGE) &&
		       !memcmp(back + 20 * MIB, ram + 20 * MIB, PAGE),
		       "mapped again with MADV_RANDOM: two touched pages == original");
		after = resident(back, BIG);
		tap_ok(before == 0 && after >= 2 && after <= 2 * 16,
		       "  and only they are read (%ld pages resident before, %ld after)", before, after);
	}
	/* Guest writes copy the page: the file never changes. */
	memset(back + 1000 * PAGE, 0xee, PAGE);
	memset(back + 3000 * PAGE, 0xee, PAGE);
	savefile_close(f);
	munmap(back, BIG);
	back = ram_alloc(BIG);
	ret = savefile_open(&f, path, err, sizeof(err));
	if (!ret)
		ret = savefile_read_ram(f, back, BIG, NULL, err, sizeof(err));
	tap_ok(ret == 0 && !memcmp(back, ram, BIG), "writes to the lazy map leave the file as saved");
	savefile_close(f);
	munmap(back, BIG);
	munmap(ram, BIG);
}

static void test_throughput(void)
{
	struct savefile_stats st, rst;
	struct savefile *f;
	uint8_t *ram = ram_alloc(BIG), *back;
	char path[300];
	long cached;
	int64_t t;
	int ret;

	snprintf(path, sizeof(path), "%s/dense.sav", dir);
	dense(ram, BIG, 7);
	ret = savefile_write(path, ram, BIG, "x", 1, NULL, &st, err, sizeof(err));
	tap_ok(ret == 0, "dense RAM (64 MiB) saved (%d %s)", ret, ret ? err : "");
	tap_ok(st.writes && st.ram_bytes / st.writes >= MIB,
	       "RAM writes of %llu KiB on average (>= 1 MiB), %llu writes",
	       (unsigned long long)(st.writes ? st.ram_bytes / st.writes / 1024 : 0),
	       (unsigned long long)st.writes);
	tap_ok(st.sqes * MIB <= BIG, "%.2f SQEs per MiB (<= 1), everything included",
	       (double)st.sqes * MIB / BIG);
	cached = cached_pages(path);
	tap_ok(cached >= 0 && cached <= 4, "page cache untouched (%ld pages cached)", cached);
	tap_diag("save, 64 MiB dense: %.0f MB/s (%.1f ms, fsyncs included), %llu writes, "
		 "average %llu KiB, %.2f SQEs/MiB, %llu zero pages skipped",
		 (double)BIG / 1e6 / ((double)st.ns / 1e9), (double)st.ns / 1e6,
		 (unsigned long long)st.writes,
		 (unsigned long long)(st.ram_bytes / (st.writes ? st.writes : 1) / 1024),
		 (double)st.sqes * MIB / BIG, (unsigned long long)st.zero_pages);

	t = mono_ns();
	ret = savefile_open(&f, path, err, sizeof(err));
	tap_ok(ret == 0, "dense file opens (%d %s)", ret, ret ? err : "");
	if (ret)
		exit(1);
	back = ram_alloc(BIG);
	ret = savefile_map_ram(f, back, BIG, err, sizeof(err));
	t = mono_ns() - t;
	tap_diag("lazy restore, 64 MiB: open + validate + map %.3f ms", (double)t / 1e6);
	tap_ok(ret == 0 && !memcmp(back, ram, BIG), "dense lazy map == original");
	munmap(back, BIG);
	back = ram_alloc(BIG);
	ret = savefile_read_ram(f, back, BIG, &rst, err, sizeof(err));
	tap_ok(ret == 0 && !memcmp(back, ram, BIG), "dense eager read == original");
	tap_diag("eager restore, 64 MiB: %.0f MB/s, %llu reads, %llu SQEs, O_DIRECT %s",
		 (double)rst.ram_bytes / 1e6 / ((double)rst.ns / 1e9),
		 (unsigned long long)rst.writes, (unsigned long long)rst.sqes,
		 rst.direct ? "yes" : "no");
	savefile_close(f);
	munmap(back, BIG);
	munmap(ram, BIG);
	unlink(path);
}

/* The buffered fallback, and tmpfs. */
static void test_buffered(void)
{
	struct savefile_opts o = { .flags = SAVEFILE_BUFFERED };
	struct savefile_stats st;
	struct savefile *f;
	uint8_t *ram = ram_alloc(8 * MIB), *back = ram_alloc(8 * MIB);
	char path[300], shm[64];
	long cached;
	int ret;

	pattern(ram, 8 * MIB, 3);
	snprintf(path, sizeof(path), "%s/buffered.sav", dir);
	ret = savefile_write(path, ram, 8 * MIB, NULL, 0, &o, &st, err, sizeof(err));
	tap_ok(ret == 0 && !st.direct, "SAVEFILE_BUFFERED: written without O_DIRECT (%d %s)",
	       ret, ret ? err : "");
	cached = cached_pages(path);
	tap_ok(cached >= 0 && cached <= 4,
	       "buffered: the page cache is dropped after the fsync (%ld pages cached)", cached);
	ret = savefile_open(&f, path, err, sizeof(err));
	if (!ret) {
		ret = savefile_read_ram(f, back, 8 * MIB, NULL, err, sizeof(err));
		savefile_close(f);
	}
	tap_ok(ret == 0 && !memcmp(back, ram, 8 * MIB), "buffered file reads back, empty state");
	unlink(path);

	if (!is_tmpfs("/dev/shm")) {
		tap_diag("/dev/shm is not tmpfs: tmpfs case skipped");
		goto out;
	}
	snprintf(shm, sizeof(shm), "/dev/shm/savefile-test-%d.sav", (int)getpid());
	ret = savefile_write(shm, ram, 8 * MIB, "s", 1, NULL, &st, err, sizeof(err));
	tap_ok(ret == 0, "saved on tmpfs (%d %s)", ret, ret ? err : "");
	tap_diag("tmpfs: O_DIRECT %s (refused before Linux 6.6: then buffered, and the file is page cache anyway)",
		 st.direct ? "accepted" : "refused");
	memset(back, 0, 8 * MIB);
	ret = savefile_open(&f, shm, err, sizeof(err));
	if (!ret) {
		ret = savefile_read_ram(f, back, 8 * MIB, NULL, err, sizeof(err));
		savefile_close(f);
	}
	tap_ok(ret == 0 && !memcmp(back, ram, 8 * MIB), "tmpfs file reads back (eager)");
	unlink(shm);
out:
	munmap(ram, 8 * MIB);
	munmap(back, 8 * MIB);
}

/* BIG bytes of RAM in a memfd, mapped shared as the machine maps it; NULL on failure (reported). */
static uint8_t *memfd_ram(const char *name, int *fd)
{
	void *ram;

	*fd = memfd_create(name, MFD_CLOEXEC);
	if (*fd < 0 || ftruncate(*fd, BIG)) {
		tap_ok(0, "memfd: %s", strerror(errno));
		return NULL;
	}
	ram = mmap(NULL, BIG, PROT_READ | PROT_WRITE, MAP_SHARED, *fd, 0);
	if (ram == MAP_FAILED) {
		tap_ok(0, "memfd mmap: %s", strerror(errno));
		return NULL;
	}
	return ram;
}

/*
 * Holes of the memfd scattered one by one between data (every third page
 * punched out): the writes still go out 2 MiB at a time, each hole
 * written from a buffer of zeros inside them (never read from RAM: the
 * memfd grows by nothing), and both restores read back the original.
 */
static void test_memfd_scattered_holes(void)
{
	struct savefile_opts o = { .flags = SAVEFILE_RAM_FD };
	struct savefile_stats st;
	struct savefile *f;
	struct stat before, after;
	uint8_t *ram, *ref = ram_alloc(BIG), *back = ram_alloc(BIG), *lazy = ram_alloc(BIG);
	uint64_t holes = 0, i;
	char path[300];
	int fd, ret;

	ram = memfd_ram("savefile-test-holes", &fd);
	if (!ram)
		return;
	pattern(ram, BIG, 11);
	pattern(ref, BIG, 11);
	for (i = 1; i < BIG / PAGE; i += 3) {
		memset(ref + i * PAGE, 0, PAGE);
		if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)(i * PAGE),
			      PAGE)) {
			tap_ok(0, "punching a hole: %s", strerror(errno));
			return;
		}
		holes++;
	}
	o.ram_fd = fd;
	snprintf(path, sizeof(path), "%s/holes.sav", dir);
	fstat(fd, &before);
	ret = savefile_write(path, ram, BIG, "h", 1, &o, &st, err, sizeof(err));
	fstat(fd, &after);
	tap_ok(ret == 0 && st.zero_pages >= holes,
	       "scattered memfd holes: saved (%d %s), %llu zero pages of which %llu holes",
	       ret, ret ? err : "", (unsigned long long)st.zero_pages, (unsigned long long)holes);
	/* One write per run of data would be one per hole at least. */
	tap_ok(st.writes <= 2 * BIG / SAVEFILE_WRITE_MAX,
	       "  in %llu writes of up to 2 MiB (the pattern's own long zero runs split some), not one per run of data",
	       (unsigned long long)st.writes);
	tap_ok(after.st_blocks == before.st_blocks,
	       "  no hole was read: the memfd still holds %lld KiB",
	       (long long)after.st_blocks / 2);
	ret = savefile_open(&f, path, err, sizeof(err));
	if (!ret) {
		ret = savefile_read_ram(f, back, BIG, NULL, err, sizeof(err));
		if (!ret)
			ret = savefile_map_ram(f, lazy, BIG, err, sizeof(err));
		savefile_close(f);
	}
	tap_ok(ret == 0 && !memcmp(back, ref, BIG) && !memcmp(lazy, ref, BIG),
	       "  eager and lazy restores read back == original (%d %s)", ret, ret ? err : "");
	unlink(path);
	munmap(ram, BIG);
	close(fd);
	munmap(ref, BIG);
	munmap(back, BIG);
	munmap(lazy, BIG);
}

/*
 * RAM in a memfd (the machine's): with SAVEFILE_RAM_FD the save reads no
 * hole of it, so the memfd allocates nothing more; without, it would.
 */
static void test_memfd(void)
{
	struct savefile_opts o = { .flags = SAVEFILE_RAM_FD };
	struct savefile_stats st;
	struct savefile *f;
	struct stat before, after;
	uint8_t *ram, *ref = ram_alloc(BIG), *back = ram_alloc(BIG);
	uint64_t data = pattern(ref, BIG, 9);
	char path[300];
	int fd, ret;

	ram = memfd_ram("savefile-test", &fd);
	if (!ram)
		return;
	pattern(ram, BIG, 9);
	/* Allocated pages of zeros are still zero pages. */
	memset(ram + 5000 * PAGE, 0, 3 * PAGE);
	memset(ref + 5000 * PAGE, 0, 3 * PAGE);
	data -= 3;
	o.ram_fd = fd;
	snprintf(path, sizeof(path), "%s/memfd.sav", dir);
	fstat(fd, &before);
	ret = savefile_write(path, ram, BIG, "m", 1, &o, &st, err, sizeof(err));
	fstat(fd, &after);
	tap_ok(ret == 0 && st.data_pages == data,
	       "memfd RAM saved with SAVEFILE_RAM_FD (%d %s), %llu data pages", ret, ret ? err : "",
	       (unsigned long long)st.data_pages);
	tap_ok(after.st_blocks == before.st_blocks,
	       "  its holes were not read: the memfd still holds %lld KiB of %llu",
	       (long long)after.st_blocks / 2, (unsigned long long)BIG / 1024);
	ret = savefile_open(&f, path, err, sizeof(err));
	if (!ret) {
		ret = savefile_read_ram(f, back, BIG, NULL, err, sizeof(err));
		savefile_close(f);
	}
	tap_ok(ret == 0 && !memcmp(back, ref, BIG), "  and it reads back == original");
	ret = savefile_write(path, ram, BIG, "m", 1, NULL, &st, err, sizeof(err));
	fstat(fd, &after);
	tap_diag("without SAVEFILE_RAM_FD the memfd grows from %lld to %lld KiB",
		 (long long)before.st_blocks / 2, (long long)after.st_blocks / 2);
	tap_ok(ret == 0 && st.data_pages == data, "without it: the same pages saved");
	unlink(path);
	munmap(ram, BIG);
	close(fd);
	munmap(ref, BIG);
	munmap(back, BIG);
}

/* --- refusals --------------------------------------------------------- */

static uint8_t *file_get(const char *path, size_t *len)
{
	struct stat sb;
	uint8_t *b;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || fstat(fd, &sb))
		return NULL;
	b = malloc((size_t)sb.st_size);
	if (b && pread(fd, b, (size_t)sb.st_size, 0) != sb.st_size) {
		free(b);
		b = NULL;
	}
	close(fd);
	*len = (size_t)sb.st_size;
	return b;
}

static void file_put(const char *path, const uint8_t *b, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0 || write(fd, b, len) != (ssize_t)len)
		tap_ok(0, "writing %s", path);
	close(fd);
}

/* Writes `b` (modified) to `bad` and opens it: the error, err filled. */
static int try_open(const char *bad, const uint8_t *b, size_t len)
{
	struct savefile *f;
	int ret;

	file_put(bad, b, len);
	err[0] = 0;
	ret = savefile_open(&f, bad, err, sizeof(err));
	if (!ret)
		savefile_close(f);
	return ret;
}

static void rehash(uint8_t *h)
{
	put_le(h + 4092, state_crc32(0, h, 4092), 4);
}

/* Pages of [p, p + size) that pagemap shows present; -1 if it cannot be read. */
static long present_pages(const uint8_t *p, uint64_t size)
{
	uint64_t e, i;
	long n = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	for (i = 0; i < size / PAGE; i++) {
		if (pread(fd, &e, sizeof(e), (off_t)(((uintptr_t)p / PAGE + i) * sizeof(e))) !=
		    (ssize_t)sizeof(e)) {
			n = -1;
			break;
		}
		n += !!(e & (1ULL << 63));
	}
	close(fd);
	return n;
}

/*
 * RAM as private anonymous memory (the machine's where shmem gets no
 * THP): with SAVEFILE_RAM_ANON the pages never written, and those
 * discarded (MADV_DONTNEED), are found through pagemap and not read, so
 * none of them gets mapped; the same save without the flag reads them
 * all (each then maps the shared zero page).  Both read back the same.
 */
static void test_anon(void)
{
	struct savefile_opts o = { .flags = SAVEFILE_RAM_ANON };
	struct savefile_stats st;
	struct savefile *f;
	uint8_t *ram = ram_alloc(BIG), *ref = ram_alloc(BIG), *back = ram_alloc(BIG);
	uint64_t data = pattern(ref, BIG, 21), i;
	long before, after;
	char path[300];
	int ret;

	pattern(ram, BIG, 21);
	/* Written, then discarded: zero again, and not present. */
	for (i = 3000; i < 3100; i++)
		memset(ram + i * PAGE, 0x5a, PAGE);
	madvise(ram + 3000 * PAGE, 100 * PAGE, MADV_DONTNEED);
	before = present_pages(ram, BIG);
	snprintf(path, sizeof(path), "%s/anon.sav", dir);
	ret = savefile_write(path, ram, BIG, "a", 1, &o, &st, err, sizeof(err));
	after = present_pages(ram, BIG);
	tap_ok(ret == 0 && st.data_pages == data && st.zero_pages == BIG / PAGE - data,
	       "anonymous RAM saved with SAVEFILE_RAM_ANON (%d %s): %llu data pages of %llu, %llu zero",
	       ret, ret ? err : "", (unsigned long long)st.data_pages, (unsigned long long)data,
	       (unsigned long long)st.zero_pages);
	tap_ok(before > 0 && after == before,
	       "  no page it never wrote was read: %ld pages present before, %ld after", before, after);
	ret = savefile_open(&f, path, err, sizeof(err));
	if (!ret) {
		ret = savefile_read_ram(f, back, BIG, NULL, err, sizeof(err));
		savefile_close(f);
	}
	tap_ok(ret == 0 && !memcmp(back, ref, BIG), "  restored == original (%d %s)", ret,
	       ret ? err : "");
	unlink(path);
	o.flags = 0;
	ret = savefile_write(path, ram, BIG, "a", 1, &o, &st, err, sizeof(err));
	after = present_pages(ram, BIG);
	tap_ok(ret == 0 && st.data_pages == data && after == BIG / PAGE,
	       "  without the flag the same save reads every page (%d %s): %ld present after",
	       ret, ret ? err : "", after);
	unlink(path);
	munmap(ram, BIG);
	munmap(ref, BIG);
	munmap(back, BIG);
}

static void test_refusals(void)
{
	uint8_t *ram = ram_alloc(SMALL), *good, *b;
	uint64_t ram_off, map_off, state_off;
	char path[300], bad[300];
	struct savefile *f;
	size_t len, i;
	int ret;
	const size_t cuts_rel[] = { 1, PAGE, SMALL - PAGE };

	pattern(ram, SMALL, 5);
	snprintf(path, sizeof(path), "%s/small.sav", dir);
	snprintf(bad, sizeof(bad), "%s/bad.sav", dir);
	ret = savefile_write(path, ram, SMALL, "some device state", 17, NULL, NULL,
			     err, sizeof(err));
	good = file_get(path, &len);
	tap_ok(ret == 0 && good, "small file (1 MiB RAM) saved");
	if (!good)
		exit(1);
	b = malloc(len);
	state_off = get_le(good + 40, 8);
	map_off = get_le(good + 64, 8);
	ram_off = get_le(good + 80, 8);

	memcpy(b, good, len);
	tap_ok(try_open(bad, b, len) == 0, "an unchanged copy opens");

	/* Truncated anywhere. */
	for (i = 0; i < 3; i++) {
		ret = try_open(bad, good, len - cuts_rel[i]);
		tap_ok(ret == -EBADMSG && strstr(err, "truncated"),
		       "cut %zu bytes short: refused (%s)", cuts_rel[i], err);
	}
	{
		const size_t at[] = { 0, 100, 4095, 4096, (size_t)map_off + 1, (size_t)ram_off };

		for (i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
			ret = try_open(bad, good, at[i]);
			tap_ok(ret == -EBADMSG && strstr(err, "truncated"),
			       "cut at %zu: refused (%s)", at[i], err);
		}
	}
	/* Flipped bytes. */
	{
		const struct { size_t off; const char *what, *msg; } flips[] = {
			{ 24, "header RAM size", "checksum" },
			{ 100, "header writer", "checksum" },
			{ 2000, "header reserved", "checksum" },
			{ 4093, "header CRC", "checksum" },
			{ (size_t)map_off, "page map", "page map checksum" },
			{ (size_t)state_off + 3, "device state", "device state checksum" },
		};

		for (i = 0; i < sizeof(flips) / sizeof(flips[0]); i++) {
			memcpy(b, good, len);
			b[flips[i].off] ^= 0x10;
			ret = try_open(bad, b, len);
			tap_ok(ret == -EBADMSG && strstr(err, flips[i].msg),
			       "flipped byte in the %s: refused (%s)", flips[i].what, err);
		}
	}
	memcpy(b, good, len);
	b[ram_off + 5] ^= 0x10;
	tap_ok(try_open(bad, b, len) == 0,
	       "a flipped byte in the RAM area is not detected (not checksummed: documented)");

	memcpy(b, good, len);
	memcpy(b, "VMAINSAW", 8);
	ret = try_open(bad, b, len);
	tap_ok(ret == -EBADMSG && strstr(err, "not a vmain save file"), "wrong magic: %s", err);
	memset(b, 0, 4096);
	ret = try_open(bad, b, len);
	tap_ok(ret == -EBADMSG && strstr(err, "not a vmain save file"),
	       "zero header (a file whose header was never written): %s", err);

	memcpy(b, good, len);
	put_le(b + 8, 99, 4);
	ret = try_open(bad, b, len);
	tap_ok(ret == -EPROTONOSUPPORT && strstr(err, "format 99") && strstr(err, "written by vmain"),
	       "version 99: %s", err);
	rehash(b);
	ret = try_open(bad, b, len);
	tap_ok(ret == -EPROTONOSUPPORT, "version 99 with a good CRC: refused too");

	memcpy(b, good, len);
	put_le(b + 12, 4, 4);
	rehash(b);
	ret = try_open(bad, b, len);
	tap_ok(ret == -EPROTONOSUPPORT && strstr(err, "flags"), "unknown flags: %s", err);

	/* Consistent CRC, inconsistent fields. */
	{
		const struct { size_t off; unsigned n; uint64_t v; const char *what; } lies[] = {
			{ 24, 8, 2 * SMALL, "RAM size beyond the file" },
			{ 24, 8, SMALL + 1, "RAM size not a page multiple" },
			{ 72, 8, 1, "map length" },
			{ 48, 8, 1ull << 40, "state length" },
			{ 80, 8, 4096, "RAM area over the map" },
			{ 88, 8, 3, "data page count" },
			{ 20, 4, 512, "page size" },
		};

		for (i = 0; i < sizeof(lies) / sizeof(lies[0]); i++) {
			memcpy(b, good, len);
			put_le(b + lies[i].off, lies[i].v, lies[i].n);
			rehash(b);
			ret = try_open(bad, b, len);
			tap_ok(ret == -EBADMSG, "%s (CRC recomputed): refused (%s)", lies[i].what, err);
		}
	}

	ret = savefile_open(&f, dir, err, sizeof(err));
	tap_ok(ret == -EINVAL, "a directory: refused (%s)", err);
	ret = savefile_open(&f, "/nonexistent/state.sav", err, sizeof(err));
	tap_ok(ret == -ENOENT, "no file: -ENOENT (%s)", err);
	ret = savefile_write(path, ram + 1, SMALL, NULL, 0, NULL, NULL, err, sizeof(err));
	tap_ok(ret == -EINVAL, "write from unaligned RAM: -EINVAL");
	ret = savefile_write(path, ram, SMALL - 1, NULL, 0, NULL, NULL, err, sizeof(err));
	tap_ok(ret == -EINVAL, "write of a partial page: -EINVAL");
	ret = savefile_write("/nonexistent/dir/state.sav", ram, SMALL, NULL, 0, NULL, NULL,
			     err, sizeof(err));
	tap_ok(ret == -ENOENT, "write into a missing directory: -ENOENT (%s)", err);

	unlink(bad);
	free(b);
	free(good);
	munmap(ram, SMALL);
}

/* --- crash safety ----------------------------------------------------- */

/* Which generation of dense() the file at path holds, or -1 if none matches. */
static int file_gen(const char *path, uint8_t *back, uint8_t *want, int a, int b)
{
	struct savefile *f;
	int ret = savefile_open(&f, path, err, sizeof(err)), g;

	if (ret)
		return -2;
	memset(back, 0, BIG);
	ret = savefile_read_ram(f, back, BIG, NULL, err, sizeof(err));
	savefile_close(f);
	if (ret)
		return -3;
	for (g = a; g <= b; g++) {
		dense(want, BIG, (uint64_t)g);
		if (!memcmp(back, want, BIG))
			return g;
	}
	return -1;
}

/* Temporary files BASE.tmp-* in the test directory. */
static int count_tmp(const char *base)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	size_t blen = strlen(base);
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += !strncmp(e->d_name, base, blen) && !strncmp(e->d_name + blen, ".tmp-", 5);
	closedir(d);
	return n;
}

static void test_kill(void)
{
	uint8_t *ram = ram_alloc(BIG), *back = ram_alloc(BIG), *want = ram_alloc(BIG);
	struct savefile_stats st;
	char path[300];
	int64_t dur;
	int cur = 1, k, bad = 0, killed = 0, replaced = 0, tmps;
	unsigned seed = (unsigned)mono_ns();

	snprintf(path, sizeof(path), "%s/crash.sav", dir);
	dense(ram, BIG, 1);
	if (savefile_write(path, ram, BIG, "g1", 2, NULL, &st, err, sizeof(err))) {
		tap_ok(0, "first crash-test file: %s", err);
		return;
	}
	/*
	 * One save in a child left to finish: the new file replaces the old,
	 * and the time it takes, fork to exit, is the window for the kills
	 * (a child's save is slower than the parent's: O_DIRECT pins the RAM
	 * pages, which the fork made shared, and that copies them).
	 */
	{
		int status, g;
		pid_t pid;

		dense(ram, BIG, (uint64_t)cur + 1);
		dur = mono_ns();
		pid = fork();
		if (pid == 0) {
			char e[256];

			_exit(savefile_write(path, ram, BIG, "gN", 2, NULL, NULL, e, sizeof(e)) ? 1 : 0);
		}
		waitpid(pid, &status, 0);
		dur = mono_ns() - dur;
		g = file_gen(path, back, want, cur, cur + 1);
		tap_ok(WIFEXITED(status) && !WEXITSTATUS(status) && g == cur + 1,
		       "an uninterrupted save in a child replaces the file (generation %d)", g);
		if (g == cur + 1)
			cur++;
	}
	tap_diag("kill -9 test: a save in a child takes %.1f ms (%.1f ms in the parent); seed %u",
		 (double)dur / 1e6, (double)st.ns / 1e6, seed);
	srand(seed);
	for (k = 0; k < KILLS; k++) {
		int next = cur + 1, g, status;
		int64_t delay = (int64_t)((double)rand() / RAND_MAX * (double)dur * 1.3);
		struct timespec ts = { .tv_sec = delay / 1000000000, .tv_nsec = delay % 1000000000 };
		pid_t pid;

		dense(ram, BIG, (uint64_t)next);
		pid = fork();
		if (pid == 0) {
			char e[256];

			_exit(savefile_write(path, ram, BIG, "gN", 2, NULL, NULL, e, sizeof(e)) ? 1 : 0);
		}
		nanosleep(&ts, NULL);
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		if (WIFSIGNALED(status))
			killed++;
		g = file_gen(path, back, want, cur, next);
		tap_diag("kill %d at %.1f ms: %s, file generation %d (previous %d)", k,
			 (double)delay / 1e6, WIFSIGNALED(status) ? "killed" : "finished", g, cur);
		if (g == next) {
			replaced++;
			cur = next;
		} else if (g != cur) {
			bad++;
			tap_diag("after kill %d at %.1f ms: file gen %d, expected %d or %d (%s)",
				 k, (double)delay / 1e6, g, cur, next, err);
		}
	}
	tmps = count_tmp("crash.sav");
	tap_ok(bad == 0, "kill -9 at %d random points (%d mid-save, %d saves completed): "
	       "the file is always the previous or the new one, complete", KILLS, killed, replaced);
	tap_ok(savefile_remove_stale(path) == tmps && count_tmp("crash.sav") == 0,
	       "%d leftover temporary files removed by savefile_remove_stale()", tmps);
	{
		/* A leftover temporary file next to a good one is never what open() reads. */
		char tmp[400];
		int fd, g;

		snprintf(tmp, sizeof(tmp), "%s.tmp-abcdef", path);
		fd = open(tmp, O_WRONLY | O_CREAT, 0644);
		if (fd >= 0) {
			if (ftruncate(fd, 4 * MIB))
				tap_diag("ftruncate: %s", strerror(errno));
			close(fd);
		}
		g = file_gen(path, back, want, cur, cur);
		tap_ok(g == cur, "with a leftover temporary file present, open() reads the real one");
		tap_ok(savefile_open(&(struct savefile *){ NULL }, tmp, err, sizeof(err)) == -EBADMSG,
		       "the leftover itself is refused: %s", err);
		tap_ok(savefile_remove_stale(path) == 1 && access(tmp, F_OK) && !access(path, F_OK),
		       "savefile_remove_stale() removes it and keeps the save file");
	}
	unlink(path);
	munmap(ram, BIG);
	munmap(back, BIG);
	munmap(want, BIG);
}

int main(void)
{
	pick_dir();
	tap_diag("directory: %s", dir);
	test_roundtrip();
	test_throughput();
	test_buffered();
	test_memfd();
	test_memfd_scattered_holes();
	test_anon();
	test_refusals();
	test_kill();
	{
		char cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd))
			tap_diag("could not remove %s", dir);
	}
	return tap_done();
}
