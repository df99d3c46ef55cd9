// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * save-bench.c - the save file's RAM path (monitor/state/savefile.c) on
 * the host, for tests/bench/save.sh (issue 14, "Numbers"; docs/perf.md
 * "Suspend and resume"), which runs it beside fio and QEMU's migration.
 *
 *   save-bench fill [-s SIZE] [-z PCT] [-S SEED] [-H] RAMFILE
 *       makes RAMFILE (put it on tmpfs: it stands for a guest's memfd)
 *       SIZE bytes long (default 1G) with PCT percent of its 4 KiB pages,
 *       at random, zero (default 10: pages the guest wrote zeros to; with
 *       -H holes, as the pages of a memfd the guest never touched are)
 *       and the rest pseudo-random from SEED (default 1), so that nothing
 *       compresses and no page looks like another.
 *   save-bench save RAMFILE STATEFILE
 *       savefile_write() of RAMFILE's mapping with SAVEFILE_RAM_FD, as
 *       machine_save() calls it, with a 64 KiB device-state stream.
 *   save-bench eager RAMFILE STATEFILE
 *       savefile_open() and savefile_read_ram() into fresh guest RAM (a
 *       memfd mapped shared, as the machine's RAM is), the file first
 *       dropped from the page cache (its reads are O_DIRECT anyway);
 *       then every page compared with RAMFILE.
 *   save-bench lazy RAMFILE STATEFILE
 *       what a lazy restore costs before the guest's first instruction:
 *       savefile_open() (header, map and stream read and checked) and
 *       savefile_map_ram() over fresh guest RAM, in wall and CPU
 *       time (the page cache dropped first, as after a reboot); then the
 *       guest's side: every page touched once, read from the file as it
 *       faults, timed apart, and compared with RAMFILE.
 *
 * Output: one line of key=value pairs.  Times are CLOCK_MONOTONIC (wall)
 * and CLOCK_PROCESS_CPUTIME_ID (this process's CPU: user and system);
 * rates are MB/s (10^6 bytes) of the guest's RAM size ("ram_mb_s": zero
 * pages count as done) and of the bytes the file took ("io_mb_s").
 * The save also reports the page cache: "cache_peak_kib" is the most
 * the system's Cached + Dirty (/proc/meminfo, sampled every 5 ms by a
 * second thread) rose above its value before the call, and
 * "file_cached_kib" what mincore(2) finds of the new file in the page
 * cache after it.  Both are the whole host's and this file's: run on an
 * otherwise quiet machine.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "state/savefile.h"

#define PAGE		((uint64_t)4096)
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ	22	/* Linux 5.14 */
#endif
#define STATE_LEN	(64u << 10)
#define SAMPLE_NS	5000000l

static volatile uint64_t sink;	/* keeps the touching reads */

static int64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* splitmix64: a page's words from (seed, page number), nothing shared. */
static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static bool page_is_zero(uint64_t seed, uint64_t pfn, unsigned zero_pct)
{
	return mix(seed ^ (pfn * 0x5851f42d4c957f2dull)) % 100 < zero_pct;
}

static void fill_page(uint64_t *p, uint64_t seed, uint64_t pfn)
{
	uint64_t x = seed * 0x2545f4914f6cdd1dull + pfn;

	for (unsigned i = 0; i < PAGE / 8; i++)
		p[i] = mix(x + i) | 1;	/* never an all-zero word */
}

static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -EINVAL;
	switch (*end) {
	case 'G': v <<= 30; end++; break;
	case 'M': v <<= 20; end++; break;
	case 'K': v <<= 10; end++; break;
	}
	if (*end || !v || v % PAGE)
		return -EINVAL;
	*out = v;
	return 0;
}

static int do_fill(const char *path, uint64_t size, unsigned zero_pct, uint64_t seed,
		   bool holes)
{
	uint64_t *buf = aligned_alloc(PAGE, PAGE), *zero = aligned_alloc(PAGE, PAGE);
	uint64_t data = 0;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || !buf || !zero) {
		fprintf(stderr, "save-bench: %s: %s\n", path, strerror(errno));
		return 1;
	}
	memset(zero, 0, PAGE);
	if (ftruncate(fd, (off_t)size)) {
		fprintf(stderr, "save-bench: %s: %s\n", path, strerror(errno));
		return 1;
	}
	for (uint64_t pfn = 0; pfn < size / PAGE; pfn++) {
		bool z = page_is_zero(seed, pfn, zero_pct);

		if (z && holes)
			continue;
		if (!z)
			fill_page(buf, seed, pfn);
		if (pwrite(fd, z ? zero : buf, PAGE, (off_t)(pfn * PAGE)) != (ssize_t)PAGE) {
			fprintf(stderr, "save-bench: %s: %s\n", path, strerror(errno));
			return 1;
		}
		data += !z;
	}
	close(fd);
	free(buf);
	free(zero);
	printf("fill size=%" PRIu64 " data_pages=%" PRIu64 " zero_pages=%" PRIu64 "\n",
	       size, data, size / PAGE - (uint64_t)data);
	return 0;
}

/*
 * RAMFILE mapped shared, as the machine maps its memfd, and populated: a
 * running guest's RAM is already mapped in the monitor (the backends
 * fault guest pages in through this mapping), so a save takes no page
 * fault on it, and neither should the bench (here a fault costs as much
 * as the rest of the save together).
 */
static void *map_ram(const char *path, int *fdp, uint64_t *size)
{
	struct stat st;
	void *p;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st)) {
		fprintf(stderr, "save-bench: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		fprintf(stderr, "save-bench: mmap %s: %s\n", path, strerror(errno));
		exit(1);
	}
	/*
	 * Only the file's data: a read fault on a tmpfs hole allocates a
	 * page, which would turn the holes a -H fill made into data.
	 */
	for (off_t d = 0, h; (d = lseek(fd, d, SEEK_DATA)) >= 0; d = h) {
		h = lseek(fd, d, SEEK_HOLE);
		if (h < 0 || madvise((char *)p + d, (size_t)(h - d), MADV_POPULATE_READ)) {
			fprintf(stderr, "save-bench: populating %s: %s\n", path, strerror(errno));
			exit(1);
		}
	}
	*fdp = fd;
	*size = (uint64_t)st.st_size;
	return p;
}

/* /proc/meminfo's Cached + Dirty, KiB (Dirty pages are in Cached too,
 * but a write's pages are counted as they dirty, so the sum moves first). */
static long cache_kib(void)
{
	char line[128];
	long v, sum = 0;
	FILE *f = fopen("/proc/meminfo", "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Cached: %ld kB", &v) == 1 || sscanf(line, "Dirty: %ld kB", &v) == 1)
			sum += v;
	}
	fclose(f);
	return sum;
}

struct sampler {
	atomic_bool stop;
	long base, peak;
};

static void *sample(void *opaque)
{
	struct sampler *s = opaque;
	struct timespec ts = { 0, SAMPLE_NS };

	while (!atomic_load(&s->stop)) {
		long v = cache_kib() - s->base;

		if (v > s->peak)
			s->peak = v;
		nanosleep(&ts, NULL);
	}
	return NULL;
}

/* KiB of `path` in the page cache now (mincore). */
static long file_cached_kib(const char *path)
{
	struct stat st;
	unsigned char *vec;
	long pages = 0;
	void *p;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) || !st.st_size)
		return -1;
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return -1;
	vec = malloc((size_t)((st.st_size + PAGE - 1) / PAGE));
	if (vec && !mincore(p, (size_t)st.st_size, vec))
		for (off_t i = 0; i < (off_t)((st.st_size + PAGE - 1) / PAGE); i++)
			pages += vec[i] & 1;
	free(vec);
	munmap(p, (size_t)st.st_size);
	return pages * (long)(PAGE / 1024);
}

static void drop_cache(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		fdatasync(fd);
		posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
		close(fd);
	}
}

static void print_rates(const char *what, uint64_t ram, uint64_t io, int64_t ns, int64_t cpu)
{
	double s = ns / 1e9;

	printf("%s ram_bytes=%" PRIu64 " io_bytes=%" PRIu64 " seconds=%.3f cpu_ms=%.1f "
	       "ram_mb_s=%.0f io_mb_s=%.0f", what, ram, io, s, cpu / 1e6,
	       ram / s / 1e6, io / s / 1e6);
}

static int do_save(const char *ram_path, const char *path)
{
	static char state[STATE_LEN];
	struct savefile_opts opts = { .writer = "save-bench", .flags = SAVEFILE_RAM_FD };
	struct savefile_stats st = { 0 };
	struct sampler s = { .base = cache_kib() };
	uint64_t size;
	pthread_t t;
	char err[256];
	int64_t t0, c0, ns, cpu;
	void *ram = map_ram(ram_path, &opts.ram_fd, &size);
	int ret;

	for (unsigned i = 0; i < STATE_LEN; i++)
		state[i] = (char)mix(i);
	unlink(path);
	pthread_create(&t, NULL, sample, &s);
	t0 = clock_ns(CLOCK_MONOTONIC);
	c0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
	ret = savefile_write(path, ram, size, state, STATE_LEN, &opts, &st, err, sizeof(err));
	ns = clock_ns(CLOCK_MONOTONIC) - t0;
	cpu = clock_ns(CLOCK_PROCESS_CPUTIME_ID) - c0;
	atomic_store(&s.stop, true);
	pthread_join(t, NULL);
	if (ret) {
		fprintf(stderr, "save-bench: save: %s\n", err);
		return 1;
	}
	print_rates("save", size, st.bytes_written, ns, cpu);
	printf(" writes=%" PRIu64 " sqes=%" PRIu64 " sqes_per_mib=%.3f direct=%d data_pages=%"
	       PRIu64 " zero_pages=%" PRIu64 " cache_peak_kib=%ld file_cached_kib=%ld\n",
	       st.writes, st.sqes, st.sqes / (st.bytes_written / 1048576.0), st.direct,
	       st.data_pages, st.zero_pages, s.peak, file_cached_kib(path));
	return 0;
}

/* Fresh guest RAM as the machine makes it: a memfd, mapped shared. */
static uint8_t *fresh_ram(uint64_t size)
{
	void *p = MAP_FAILED;
	int fd = memfd_create("save-bench-ram", MFD_CLOEXEC);

	if (fd >= 0 && !ftruncate(fd, (off_t)size))
		p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		fprintf(stderr, "save-bench: guest RAM: %s\n", strerror(errno));
		exit(1);
	}
	close(fd);
	return p;
}

/* Pages of `got` that differ from RAMFILE's. */
static uint64_t compare(const uint8_t *got, const uint8_t *want, uint64_t size)
{
	uint64_t bad = 0;

	for (uint64_t off = 0; off < size; off += PAGE)
		bad += memcmp(got + off, want + off, PAGE) != 0;
	return bad;
}

static int do_restore(const char *ram_path, const char *path, bool lazy)
{
	struct savefile_stats st = { 0 };
	struct savefile *f;
	uint64_t size, sum = 0;
	uint8_t *ram;
	char err[256];
	int64_t t0, c0, ns, cpu, t1;
	int fd, ret;
	const uint8_t *want = map_ram(ram_path, &fd, &size);

	drop_cache(path);
	ram = fresh_ram(size);
	t0 = clock_ns(CLOCK_MONOTONIC);
	c0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
	ret = savefile_open(&f, path, err, sizeof(err));
	if (!ret)
		ret = lazy ? savefile_map_ram(f, ram, size, err, sizeof(err))
			   : savefile_read_ram(f, ram, size, &st, err, sizeof(err));
	ns = clock_ns(CLOCK_MONOTONIC) - t0;
	cpu = clock_ns(CLOCK_PROCESS_CPUTIME_ID) - c0;
	if (ret) {
		fprintf(stderr, "save-bench: restore: %s\n", err);
		return 1;
	}
	savefile_close(f);
	if (lazy) {
		printf("lazy ram_bytes=%" PRIu64 " to_first_insn_ms=%.3f cpu_ms=%.3f", size,
		       ns / 1e6, cpu / 1e6);
		/* The guest's side: one read per page, each a fault on the file. */
		t1 = clock_ns(CLOCK_MONOTONIC);
		for (uint64_t off = 0; off < size; off += PAGE)
			sum += ram[off];
		ns = clock_ns(CLOCK_MONOTONIC) - t1;
		sink = sum;
		printf(" touch_all_seconds=%.3f touch_mb_s=%.0f", ns / 1e9, size / (ns / 1e9) / 1e6);
	} else {
		print_rates("eager", size, st.bytes_written, ns, cpu);
		printf(" reads=%" PRIu64 " sqes=%" PRIu64 " direct=%d", st.writes, st.sqes, st.direct);
	}
	printf(" bad_pages=%" PRIu64 "\n", compare(ram, want, size));
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: save-bench fill [-s SIZE] [-z PCT] [-S SEED] [-H] RAMFILE\n"
			"       save-bench save|eager|lazy RAMFILE STATEFILE\n");
	exit(2);
}

int main(int argc, char **argv)
{
	uint64_t size = 1ull << 30, seed = 1;
	unsigned zero_pct = 10;
	bool holes = false;
	const char *cmd;
	int c;

	if (argc < 2)
		usage();
	cmd = argv[1];
	argc--;
	argv++;
	while ((c = getopt(argc, argv, "s:z:S:H")) != -1) {
		switch (c) {
		case 's':
			if (parse_size(optarg, &size))
				usage();
			break;
		case 'z':
			zero_pct = (unsigned)atoi(optarg);
			if (zero_pct > 100)
				usage();
			break;
		case 'S':
			seed = strtoull(optarg, NULL, 0);
			break;
		case 'H':
			holes = true;
			break;
		default:
			usage();
		}
	}
	if (!strcmp(cmd, "fill") && optind == argc - 1)
		return do_fill(argv[optind], size, zero_pct, seed, holes);
	if (optind != argc - 2)
		usage();
	if (!strcmp(cmd, "save"))
		return do_save(argv[optind], argv[optind + 1]);
	if (!strcmp(cmd, "eager"))
		return do_restore(argv[optind], argv[optind + 1], false);
	if (!strcmp(cmd, "lazy"))
		return do_restore(argv[optind], argv[optind + 1], true);
	usage();
	return 2;
}
