// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * state/savefile.c - the save file: format, writer and reader (see
 * savefile.h).
 *
 * The I/O uses liburing directly, not the disk engine (disk/uring.h): the
 * engine completes requests on an I/O loop's thread, asynchronously, one
 * ring per image file; saving is one synchronous bulk transfer on the
 * caller's thread while the VM is paused, which wants a small private
 * ring it can submit to and wait on (io_uring_submit_and_wait()) with no
 * loop to turn.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "io/fsync-dir.h"
#include "le.h"
#include "state/savefile.h"
#include "state/stream.h"

#define MAGIC			"VMAINSAV"
#define PAGE			SAVEFILE_PAGE_SIZE
#define MERGE_PAGES		(SAVEFILE_MERGE_GAP / PAGE)
/* /proc/self/pagemap: entries read at a time, and the bits looked at. */
#define PM_BATCH		512
#define PM_PRESENT		(1ULL << 63)
#define PM_SWAPPED		(1ULL << 62)
/*
 * Pieces of one write: runs of RAM, and runs of zeros for the holes of the
 * RAM file inside merged gaps (from zero_gap[], never from RAM: reading a
 * memfd's hole through its mapping would allocate it).  A write closes
 * when fewer than a gap's worth of pieces are left.
 */
#define BULK_IOV		256

/* What a merged hole of the RAM file is written from (O_DIRECT: aligned). */
static const uint8_t zero_gap[SAVEFILE_MERGE_GAP] __attribute__((aligned(4096)));
/* Header fields (savefile.h). */
#define H_MAGIC			0
#define H_VERSION		8
#define H_FLAGS			12
#define H_HDR_SIZE		16
#define H_PAGE_SIZE		20
#define H_RAM_SIZE		24
#define H_CREATED		32
#define H_STATE_OFF		40
#define H_STATE_LEN		48
#define H_STATE_CRC		56
#define H_MAP_CRC		60
#define H_MAP_OFF		64
#define H_MAP_LEN		72
#define H_RAM_OFF		80
#define H_DATA_PAGES		88
#define H_WRITER		96
#define H_RESERVED		(H_WRITER + SAVEFILE_WRITER_MAX)
#define H_CRC			(SAVEFILE_HEADER_SIZE - 4)
#define KNOWN_FLAGS		0u
/* Progress is reported at least this often (bytes of RAM). */
#define PROGRESS_STEP		(16ull << 20)

struct savefile {
	int fd;
	struct savefile_info info;
	uint64_t state_off, map_off, map_len;
	uint8_t *state;
	uint8_t *map;
	char path[];
};

__attribute__((format(printf, 3, 4)))
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static int64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

/* Is the 4 KiB page at p all zeros?  Eight words at a time, early exit. */
static bool page_is_zero(const void *p)
{
	const uint64_t *w = p;
	unsigned i;

	for (i = 0; i < PAGE / 8; i += 8) {
		if (w[i] | w[i + 1] | w[i + 2] | w[i + 3] |
		    w[i + 4] | w[i + 5] | w[i + 6] | w[i + 7])
			return false;
	}
	return true;
}

static bool map_bit(const uint8_t *map, uint64_t pfn)
{
	return map[pfn / 8] & (1u << (pfn % 8));
}

/* --- bulk transfers through a private ring --------------------------- */

/*
 * One read or write in flight: the part still to do.  A short transfer is
 * resubmitted for the rest; -EAGAIN and -EINTR are resubmitted whole.
 */
struct bulk_req {
	struct iovec iov[BULK_IOV];	/* the part still to do, in order */
	unsigned int niov;
	uint64_t off, len;
	uint64_t span;		/* bytes of RAM it stands for, for progress */
	bool busy;
};

struct bulk {
	struct io_uring ring;
	int fd;
	bool write;
	struct bulk_req req[SAVEFILE_DEPTH];
	unsigned inflight;
	bool dead;		/* submitting failed: nothing more goes to the kernel */
	uint64_t sqes, requests, bytes;
	uint64_t done_span;	/* RAM bytes of completed requests */
};

static int bulk_init(struct bulk *b, int fd, bool write)
{
	memset(b, 0, sizeof(*b));
	b->fd = fd;
	b->write = write;
	return io_uring_queue_init(SAVEFILE_DEPTH, &b->ring, 0);
}

static void bulk_prep(struct bulk *b, unsigned i)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&b->ring);
	struct bulk_req *r = &b->req[i];

	/* Never fails: at most SAVEFILE_DEPTH requests, each with one SQE out. */
	if (r->niov > 1)
		io_uring_prep_writev(sqe, b->fd, r->iov, r->niov, r->off);
	else if (b->write)
		io_uring_prep_write(sqe, b->fd, r->iov[0].iov_base, (unsigned)r->len, r->off);
	else
		io_uring_prep_read(sqe, b->fd, r->iov[0].iov_base, (unsigned)r->len, r->off);
	io_uring_sqe_set_data64(sqe, i);
	b->sqes++;
}

/*
 * Queues a transfer of iov[0 .. niov) (niov > 1: writes only) in a free
 * slot (the caller made sure there is one).
 */
static void bulk_addv(struct bulk *b, const struct iovec *iov, unsigned int niov,
		      uint64_t off, uint64_t span)
{
	struct bulk_req *r;
	unsigned int i;

	for (i = 0; b->req[i].busy; i++)
		;
	r = &b->req[i];
	memcpy(r->iov, iov, niov * sizeof(*iov));
	r->niov = niov;
	r->off = off;
	r->len = 0;
	for (i = 0; i < niov; i++)
		r->len += iov[i].iov_len;
	r->span = span;
	r->busy = true;
	b->inflight++;
	bulk_prep(b, (unsigned int)(r - b->req));
}

static void bulk_add(struct bulk *b, void *buf, uint64_t off, uint64_t len,
		     uint64_t span)
{
	struct iovec iov = { .iov_base = buf, .iov_len = len };

	bulk_addv(b, &iov, 1, off, span);
}

/* After a short transfer of `done` bytes: what is left of the request. */
static void bulk_advance(struct bulk_req *q, uint64_t done)
{
	unsigned int i = 0;

	q->off += done;
	q->len -= done;
	while (done && done >= q->iov[i].iov_len)
		done -= q->iov[i++].iov_len;
	memmove(q->iov, q->iov + i, (q->niov - i) * sizeof(q->iov[0]));
	q->niov -= i;
	q->iov[0].iov_base = (uint8_t *)q->iov[0].iov_base + done;
	q->iov[0].iov_len -= done;
}

/*
 * Submits what is queued and waits for at least one completion (all of
 * them with `all`), handling each.  0, or -errno of the first failure
 * (-ENOSPC for a write that wrote nothing, -EBADMSG for a read at end of
 * file): the caller then drains with bulk_drain().
 */
static int bulk_reap(struct bulk *b, bool all)
{
	int ret = 0;

	while (b->inflight) {
		struct io_uring_cqe *cqe;
		unsigned head, seen = 0;
		int r = io_uring_submit_and_wait(&b->ring, 1);

		if (r < 0 && r != -EINTR && r != -EAGAIN && r != -EBUSY) {
			b->dead = true;
			return r;
		}
		io_uring_for_each_cqe(&b->ring, head, cqe) {
			struct bulk_req *q = &b->req[cqe->user_data];
			int res = cqe->res;

			seen++;
			if (res == -EAGAIN || res == -EINTR) {
				bulk_prep(b, (unsigned)cqe->user_data);
				continue;
			}
			if (res > 0 && (uint64_t)res < q->len) {
				bulk_advance(q, (uint64_t)res);
				b->bytes += (uint64_t)res;
				bulk_prep(b, (unsigned)cqe->user_data);
				continue;
			}
			if (res <= 0 && !ret)
				ret = res < 0 ? res : (b->write ? -ENOSPC : -EBADMSG);
			if (res > 0) {
				b->bytes += (uint64_t)res;
				b->requests++;
				b->done_span += q->span;
			}
			q->busy = false;
			b->inflight--;
		}
		io_uring_cq_advance(&b->ring, seen);
		if (ret || !all)
			return ret;
	}
	return ret;
}

/*
 * Waits for everything in flight, whatever fails.  If the ring itself
 * failed, io_uring_queue_exit() (bulk_fini()) waits for what the kernel
 * has, before any buffer is freed.
 */
static int bulk_drain(struct bulk *b)
{
	int ret = 0;

	while (b->inflight && !b->dead) {
		int r = bulk_reap(b, true);

		if (r && !ret)
			ret = r;
	}
	return ret;
}

static void bulk_fini(struct bulk *b)
{
	io_uring_queue_exit(&b->ring);
}

/* One transfer of len bytes at off, waited for. */
static int bulk_one(struct bulk *b, void *buf, uint64_t off, uint64_t len)
{
	bulk_add(b, buf, off, len, 0);
	return bulk_reap(b, true);
}

/* --- writing ---------------------------------------------------------- */

/*
 * The RAM area: a scan for the next write, as slots free up, so that
 * scanning RAM for zero pages overlaps the writes in flight.
 */
struct ram_scan {
	const uint8_t *ram;
	uint64_t pages, pos;		/* next page to look at */
	uint8_t *map;
	uint64_t zero_pages, data_pages;
	/* SAVEFILE_RAM_FD: the file behind RAM, and its data extent at or after pos. */
	int fd;				/* -1: none, or SEEK_DATA failed */
	uint64_t fd_off;
	uint64_t data_start, data_end;	/* pages; [pos, data_start) is a hole */
	/* SAVEFILE_RAM_ANON: /proc/self/pagemap, and its entries from pm_first. */
	int pm_fd;			/* -1: none, or it could not be read */
	uint64_t pm_first, pm_n;
	uint64_t pm[PM_BATCH];
};

/*
 * Is page `pfn` of anonymous RAM one that was never written (nor swapped
 * out)?  Its pagemap entry says so; one read covers PM_BATCH pages.
 */
static bool scan_anon_hole(struct ram_scan *s, uint64_t pfn)
{
	uint64_t e;

	if (pfn < s->pm_first || pfn >= s->pm_first + s->pm_n) {
		uint64_t n = s->pages - pfn < PM_BATCH ? s->pages - pfn : PM_BATCH;
		off_t off = (off_t)(((uintptr_t)s->ram / PAGE + pfn) * sizeof(e));
		ssize_t r = pread(s->pm_fd, s->pm, n * sizeof(e), off);

		if (r < (ssize_t)sizeof(e)) {
			close(s->pm_fd);
			s->pm_fd = -1;	/* read every page instead */
			return false;
		}
		s->pm_first = pfn;
		s->pm_n = (uint64_t)r / sizeof(e);
	}
	e = s->pm[pfn - s->pm_first];
	return !(e & (PM_PRESENT | PM_SWAPPED));
}

/*
 * Is page `pfn` in a hole of the file behind RAM?  A hole reads as zeros
 * and is never read here: reading a memfd's hole through its mapping
 * would allocate a page for it (shmem has no shared zero page), and a
 * save would grow the VM to its full size.  SEEK_DATA counts swapped-out
 * pages as data, which mincore() would not.  Pages are visited in order,
 * so one extent is looked up at a time.
 */
static bool scan_hole(struct ram_scan *s, uint64_t pfn)
{
	off_t d, h;

	if (s->pm_fd >= 0)
		return scan_anon_hole(s, pfn);
	if (s->fd < 0 || pfn < s->data_start)
		return s->fd >= 0;
	if (pfn < s->data_end)
		return false;
	d = lseek(s->fd, (off_t)(s->fd_off + pfn * PAGE), SEEK_DATA);
	if (d < 0) {
		if (errno != ENXIO) {
			s->fd = -1;	/* no SEEK_DATA here: read every page */
			return false;
		}
		s->data_start = s->data_end = UINT64_MAX;
		return true;
	}
	h = lseek(s->fd, d, SEEK_HOLE);
	s->data_start = ((uint64_t)d - s->fd_off) / PAGE;
	s->data_end = h < 0 ? UINT64_MAX : align_up((uint64_t)h - s->fd_off, PAGE) / PAGE;
	return pfn < s->data_start;
}

/* Marks and counts page `pfn`: 1 data, 0 a zero page, -1 a hole (zero too). */
static int scan_page(struct ram_scan *s, uint64_t pfn)
{
	if (scan_hole(s, pfn)) {
		s->zero_pages++;
		return -1;
	}
	if (page_is_zero(s->ram + pfn * PAGE)) {
		s->zero_pages++;
		return 0;
	}
	s->map[pfn / 8] |= (uint8_t)(1u << (pfn % 8));
	s->data_pages++;
	return 1;
}

/* Appends len bytes at p to the pieces, joining it to the last if it follows it. */
static void piece_add(struct iovec *iov, unsigned int *niov, const void *p, uint64_t len)
{
	struct iovec *last = *niov ? &iov[*niov - 1] : NULL;

	if (last && (const uint8_t *)last->iov_base + last->iov_len == p) {
		last->iov_len += len;
		return;
	}
	iov[(*niov)++] = (struct iovec){ .iov_base = (void *)p, .iov_len = len };
}

/*
 * The next write: pages [*first, *first + the pieces' length), starting
 * at a data page, ending at one, at most SAVEFILE_WRITE_MAX and never
 * across a multiple of it (aligned writes), zero gaps of at most
 * MERGE_PAGES inside: their pages written from RAM where the RAM file
 * has them, from zero_gap[] where it has a hole.  *span is the RAM it
 * accounts for (the zero pages skipped before it included).  false at
 * the end of RAM.
 */
static bool scan_next(struct ram_scan *s, struct iovec *iov, unsigned int *niov,
		      uint64_t *first, uint64_t *span)
{
	const uint64_t max = SAVEFILE_WRITE_MAX / PAGE;
	uint64_t start = s->pos, limit, gap, k;
	bool hole[MERGE_PAGES];

	while (s->pos < s->pages && scan_page(s, s->pos) <= 0)
		s->pos++;
	if (s->pos == s->pages) {
		*span = (s->pos - start) * PAGE;
		return false;
	}
	*first = s->pos;
	*niov = 0;
	piece_add(iov, niov, s->ram + s->pos * PAGE, PAGE);
	s->pos++;
	limit = (*first / max + 1) * max;
	if (limit > s->pages)
		limit = s->pages;
	/*
	 * Extend over data, and over zero gaps that data follows soon; stop
	 * while a whole gap and its data page still fit in the pieces, so
	 * that no page is scanned twice.
	 */
	gap = 0;
	while (s->pos < limit && *niov + MERGE_PAGES + 1 <= BULK_IOV) {
		int r = scan_page(s, s->pos);

		if (r <= 0) {
			if (gap == MERGE_PAGES) {
				s->pos++;
				break;
			}
			hole[gap++] = r < 0;
			s->pos++;
			continue;
		}
		/* Data after a gap: the gap goes in, in runs of its kind. */
		for (k = 0; k < gap; k++) {
			uint64_t pfn = s->pos - gap + k, n = 1;

			while (k + n < gap && hole[k + n] == hole[k])
				n++;
			piece_add(iov, niov, hole[k] ? zero_gap : s->ram + pfn * PAGE, n * PAGE);
			k += n - 1;
		}
		gap = 0;
		piece_add(iov, niov, s->ram + s->pos * PAGE, PAGE);
		s->pos++;
	}
	/* Zero pages scanned past the end stay scanned: the next call resumes at pos. */
	*span = (s->pos - start) * PAGE;
	return true;
}

static void progress(const struct savefile_opts *o, uint64_t done, uint64_t total,
		     uint64_t *last)
{
	if (!o || !o->progress)
		return;
	/* The last call, done == total, comes once the file is in place. */
	if (done == total || done < *last + PROGRESS_STEP)
		return;
	*last = done;
	o->progress(o->opaque, done, total);
}

static int write_ram(struct bulk *b, const uint8_t *ram, uint64_t ram_size,
		     uint64_t ram_off, uint8_t *map, const struct savefile_opts *o,
		     struct savefile_stats *st, char *err, size_t errlen)
{
	struct ram_scan s = { .ram = ram, .pages = ram_size / PAGE, .map = map, .fd = -1,
			      .pm_fd = -1 };
	uint64_t scanned_span = 0, last = 0, first, span, len, i;
	struct iovec iov[BULK_IOV];
	unsigned int niov;
	bool more = true;
	int ret = 0;

	if (o && (o->flags & SAVEFILE_RAM_FD)) {
		s.fd = o->ram_fd;
		s.fd_off = o->ram_fd_off;
	} else if (o && (o->flags & SAVEFILE_RAM_ANON)) {
		s.pm_fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	}

	while (more || b->inflight) {
		while (more && b->inflight < SAVEFILE_DEPTH) {
			more = scan_next(&s, iov, &niov, &first, &span);
			scanned_span += span;
			if (!more) {
				/* The zeros at the end count as done. */
				b->done_span += span;
				break;
			}
			bulk_addv(b, iov, niov, ram_off + first * PAGE, span);
			for (i = 0, len = 0; i < niov; i++)
				len += iov[i].iov_len;
			st->ram_bytes += len;
		}
		ret = bulk_reap(b, false);
		if (ret)
			break;
		progress(o, b->done_span, ram_size, &last);
	}
	if (s.pm_fd >= 0)
		close(s.pm_fd);
	if (ret) {
		bulk_drain(b);
		return fail(err, errlen, "writing RAM: %s", strerror(-ret)), ret;
	}
	st->writes = b->requests;
	st->zero_pages = s.zero_pages;
	st->data_pages = s.data_pages;
	return 0;
}

/* Fills in and checksums the header. */
static void header_build(uint8_t *h, uint64_t ram_size, int64_t created,
			 uint64_t state_off, uint64_t state_len, uint32_t state_crc,
			 uint64_t map_off, uint64_t map_len, uint32_t map_crc,
			 uint64_t ram_off, uint64_t data_pages, const char *writer)
{
	size_t wlen = strnlen(writer, SAVEFILE_WRITER_MAX);
	size_t i;

	memset(h, 0, SAVEFILE_HEADER_SIZE);
	memcpy(h + H_MAGIC, MAGIC, 8);
	put_le(h + H_VERSION, SAVEFILE_VERSION, 4);
	put_le(h + H_FLAGS, 0, 4);
	put_le(h + H_HDR_SIZE, SAVEFILE_HEADER_SIZE, 4);
	put_le(h + H_PAGE_SIZE, PAGE, 4);
	put_le(h + H_RAM_SIZE, ram_size, 8);
	put_le(h + H_CREATED, (uint64_t)created, 8);
	put_le(h + H_STATE_OFF, state_off, 8);
	put_le(h + H_STATE_LEN, state_len, 8);
	put_le(h + H_STATE_CRC, state_crc, 4);
	put_le(h + H_MAP_CRC, map_crc, 4);
	put_le(h + H_MAP_OFF, map_off, 8);
	put_le(h + H_MAP_LEN, map_len, 8);
	put_le(h + H_RAM_OFF, ram_off, 8);
	put_le(h + H_DATA_PAGES, data_pages, 8);
	/* Printable ASCII only, so that a reader can quote it. */
	for (i = 0; i < wlen; i++)
		h[H_WRITER + i] = writer[i] >= 0x20 && writer[i] < 0x7f ? (uint8_t)writer[i] : '?';
	put_le(h + H_CRC, state_crc32(0, h, H_CRC), 4);
}

/* The temporary file next to path: PATH.tmp-XXXXXX, O_DIRECT unless refused. */
static int tmp_create(const char *path, char **tmp, bool buffered, bool *direct)
{
	int fd;

	if (asprintf(tmp, "%s.tmp-XXXXXX", path) < 0) {
		*tmp = NULL;
		return -ENOMEM;
	}
	fd = mkostemp(*tmp, O_CLOEXEC);
	if (fd < 0) {
		int e = -errno;

		free(*tmp);
		*tmp = NULL;
		return e;
	}
	*direct = false;
	if (!buffered) {
		int fl = fcntl(fd, F_GETFL);

		/* A filesystem without O_DIRECT refuses it here (EINVAL). */
		if (fl >= 0 && !fcntl(fd, F_SETFL, fl | O_DIRECT))
			*direct = true;
	}
	return fd;
}

int savefile_write(const char *path, const void *ram, uint64_t ram_size,
		   const void *state, size_t state_len,
		   const struct savefile_opts *opts, struct savefile_stats *stats,
		   char *err, size_t errlen)
{
	const char *writer = opts && opts->writer ? opts->writer : "vmain";
	uint64_t pages = ram_size / PAGE, map_len = (pages + 7) / 8;
	uint64_t state_off = SAVEFILE_HEADER_SIZE;
	uint64_t map_off = align_up(state_off + state_len, PAGE);
	uint64_t head_len = align_up(map_off + map_len, PAGE) - state_off;
	uint64_t ram_off = align_up(map_off + map_len, SAVEFILE_RAM_ALIGN);
	int64_t t0 = now_ns(CLOCK_MONOTONIC), created = now_ns(CLOCK_REALTIME);
	struct savefile_stats st = { 0 };
	struct bulk b;
	uint8_t *head = NULL, *hdr = NULL, *map;
	char *tmp = NULL, *dir = NULL, *slash;
	int fd, ret;

	if (!ram_size || ram_size % PAGE || ((uintptr_t)ram % PAGE) ||
	    (opts && (opts->flags & SAVEFILE_RAM_FD) &&
	     (opts->ram_fd < 0 || opts->ram_fd_off % PAGE)) ||
	    state_len > SAVEFILE_STATE_MAX || (state_len && !state))
		return fail(err, errlen, "save: bad arguments (RAM %llu bytes, state %zu)",
			    (unsigned long long)ram_size, state_len), -EINVAL;

	fd = tmp_create(path, &tmp, opts && (opts->flags & SAVEFILE_BUFFERED), &st.direct);
	if (fd < 0)
		return fail(err, errlen, "creating a temporary file for %s: %s", path,
			    strerror(-fd)), fd;
	/*
	 * The whole size at once: RAM left out stays a hole, and the header
	 * area reads as zeros (no magic) until the header goes out last.
	 */
	if (ftruncate(fd, (off_t)(ram_off + ram_size))) {
		ret = -errno;
		fail(err, errlen, "sizing %s: %s", tmp, strerror(-ret));
		goto unlink_tmp;
	}
	/* The stream and the map share one aligned buffer (O_DIRECT). */
	if (posix_memalign((void **)&head, PAGE, head_len) ||
	    posix_memalign((void **)&hdr, PAGE, SAVEFILE_HEADER_SIZE)) {
		ret = -ENOMEM;
		fail(err, errlen, "save: out of memory");
		goto free_bufs;
	}
	memset(head, 0, head_len);
	if (state_len)
		memcpy(head, state, state_len);
	map = head + (map_off - state_off);
	ret = bulk_init(&b, fd, true);
	if (ret) {
		fail(err, errlen, "io_uring: %s", strerror(-ret));
		goto free_bufs;
	}
	ret = write_ram(&b, ram, ram_size, ram_off, map, opts, &st, err, errlen);
	if (ret)
		goto ring_exit;
	ret = bulk_one(&b, head, state_off, head_len);
	if (ret) {
		fail(err, errlen, "writing the state and page map: %s", strerror(-ret));
		goto ring_exit;
	}
	/* Everything but the header is durable before the header is written. */
	if (fsync(fd)) {
		ret = -errno;
		fail(err, errlen, "fsync %s: %s", tmp, strerror(-ret));
		goto ring_exit;
	}
	header_build(hdr, ram_size, created, state_off, state_len,
		     state_crc32(0, state, state_len), map_off, map_len,
		     state_crc32(0, map, map_len), ram_off, st.data_pages, writer);
	ret = bulk_one(&b, hdr, 0, SAVEFILE_HEADER_SIZE);
	if (ret) {
		fail(err, errlen, "writing the header: %s", strerror(-ret));
		goto ring_exit;
	}
	if (fsync(fd)) {
		ret = -errno;
		fail(err, errlen, "fsync %s: %s", tmp, strerror(-ret));
		goto ring_exit;
	}
	/* Buffered: what went out is on disk now; drop it from the page cache. */
	if (!st.direct)
		posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
	if (rename(tmp, path)) {
		ret = -errno;
		fail(err, errlen, "renaming %s to %s: %s", tmp, path, strerror(-ret));
		goto ring_exit;
	}
	dir = strdup(path);
	if (!dir) {
		ret = -ENOMEM;
		fail(err, errlen, "save: out of memory");
		goto renamed;
	}
	slash = strrchr(dir, '/');
	if (!slash)
		strcpy(dir, ".");
	else if (slash == dir)
		dir[1] = 0;
	else
		*slash = 0;
	ret = fsync_dir(dir);
	if (ret)
		fail(err, errlen, "fsync of directory %s: %s", dir, strerror(-ret));
	free(dir);
renamed:
	st.sqes = b.sqes;
	st.bytes_written = b.bytes;
	bulk_fini(&b);
	free(hdr);
	free(head);
	free(tmp);
	close(fd);
	st.ns = now_ns(CLOCK_MONOTONIC) - t0;
	if (stats)
		*stats = st;
	if (!ret && opts && opts->progress)
		opts->progress(opts->opaque, ram_size, ram_size);
	return ret;

ring_exit:
	bulk_fini(&b);
free_bufs:
	free(hdr);
	free(head);
unlink_tmp:
	unlink(tmp);
	free(tmp);
	close(fd);
	return ret;
}

/* --- reading ---------------------------------------------------------- */

static int pread_all(int fd, void *buf, size_t len, uint64_t off)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t n = pread(fd, p, len, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EBADMSG;
		p += n;
		off += (uint64_t)n;
		len -= (size_t)n;
	}
	return 0;
}

/* The header's writer string, printable and NUL-terminated. */
static void writer_get(const uint8_t *h, char *out)
{
	size_t i;

	for (i = 0; i < SAVEFILE_WRITER_MAX && h[H_WRITER + i]; i++)
		out[i] = h[H_WRITER + i] >= 0x20 && h[H_WRITER + i] < 0x7f ?
			 (char)h[H_WRITER + i] : '?';
	out[i] = 0;
}

static bool all_zero(const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

/* Checks the header's fields; -EBADMSG / -EPROTONOSUPPORT with err. */
static int header_parse(struct savefile *f, const uint8_t *h, uint64_t file_size,
			char *err, size_t errlen)
{
	struct savefile_info *in = &f->info;
	uint64_t pages, ram_off, state_end, map_end, n;
	size_t i;

	if (memcmp(h + H_MAGIC, MAGIC, 8))
		return fail(err, errlen, "%s: not a vmain save file (no magic: incomplete or another format)",
			    f->path), -EBADMSG;
	in->version = (uint32_t)get_le(h + H_VERSION, 4);
	in->flags = (uint32_t)get_le(h + H_FLAGS, 4);
	writer_get(h, in->writer);
	/* Another version's header may be laid out otherwise: no CRC check first. */
	if (in->version != SAVEFILE_VERSION)
		return fail(err, errlen, "%s: written by %s, format %u; this vmain reads format %u",
			    f->path, in->writer[0] ? in->writer : "?", in->version,
			    SAVEFILE_VERSION), -EPROTONOSUPPORT;
	if (state_crc32(0, h, H_CRC) != get_le(h + H_CRC, 4))
		return fail(err, errlen, "%s: header checksum mismatch (corrupt)", f->path), -EBADMSG;
	if (in->flags & ~KNOWN_FLAGS)
		return fail(err, errlen, "%s: written by %s with flags %#x this vmain does not know",
			    f->path, in->writer, in->flags), -EPROTONOSUPPORT;
	in->ram_size = get_le(h + H_RAM_SIZE, 8);
	in->created_ns = (int64_t)get_le(h + H_CREATED, 8);
	in->state_len = get_le(h + H_STATE_LEN, 8);
	in->data_pages = get_le(h + H_DATA_PAGES, 8);
	in->ram_off = ram_off = get_le(h + H_RAM_OFF, 8);
	f->state_off = get_le(h + H_STATE_OFF, 8);
	f->map_off = get_le(h + H_MAP_OFF, 8);
	f->map_len = get_le(h + H_MAP_LEN, 8);
	pages = in->ram_size / PAGE;
	for (i = H_WRITER; i < H_RESERVED && h[i]; i++)
		;
	if (get_le(h + H_HDR_SIZE, 4) != SAVEFILE_HEADER_SIZE ||
	    get_le(h + H_PAGE_SIZE, 4) != PAGE ||
	    !all_zero(h + i, H_RESERVED - i) ||
	    !all_zero(h + H_RESERVED, H_CRC - H_RESERVED))
		return fail(err, errlen, "%s: bad header (sizes or reserved bytes)", f->path), -EBADMSG;
	/* Sizes and offsets, every sum checked for overflow. */
	if (!in->ram_size || in->ram_size % PAGE || in->ram_size > (1ull << 52) ||
	    f->map_len != (pages + 7) / 8 || in->data_pages > pages ||
	    in->state_len > SAVEFILE_STATE_MAX || f->state_off < SAVEFILE_HEADER_SIZE ||
	    f->state_off > (1ull << 52) || f->map_off > (1ull << 52) ||
	    ram_off % PAGE || ram_off > (1ull << 52))
		return fail(err, errlen, "%s: inconsistent header (sizes)", f->path), -EBADMSG;
	state_end = f->state_off + in->state_len;
	map_end = f->map_off + f->map_len;
	if (state_end > f->map_off || map_end > ram_off)
		return fail(err, errlen, "%s: inconsistent header (overlapping parts)", f->path), -EBADMSG;
	n = ram_off + in->ram_size;
	if (file_size < n)
		return fail(err, errlen, "%s: truncated (%llu bytes, the header says %llu)", f->path,
			    (unsigned long long)file_size, (unsigned long long)n), -EBADMSG;
	return 0;
}

int savefile_open(struct savefile **out, const char *path, char *err, size_t errlen)
{
	size_t plen = strlen(path);
	struct savefile *f = calloc(1, sizeof(*f) + plen + 1);
	uint8_t *h = NULL;
	uint64_t pages, bits, i;
	struct stat sb;
	int ret;

	*out = NULL;
	if (!f)
		return fail(err, errlen, "out of memory"), -ENOMEM;
	memcpy(f->path, path, plen + 1);
	f->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (f->fd < 0) {
		ret = -errno;
		fail(err, errlen, "%s: %s", path, strerror(-ret));
		goto free_f;
	}
	if (fstat(f->fd, &sb)) {
		ret = -errno;
		fail(err, errlen, "%s: %s", path, strerror(-ret));
		goto close_fd;
	}
	if (!S_ISREG(sb.st_mode)) {
		ret = -EINVAL;
		fail(err, errlen, "%s: not a regular file", path);
		goto close_fd;
	}
	if ((uint64_t)sb.st_size < SAVEFILE_HEADER_SIZE) {
		ret = -EBADMSG;
		fail(err, errlen, "%s: truncated (%llu bytes, shorter than the header)", path,
		     (unsigned long long)sb.st_size);
		goto close_fd;
	}
	h = malloc(SAVEFILE_HEADER_SIZE);
	if (!h) {
		ret = -ENOMEM;
		fail(err, errlen, "out of memory");
		goto close_fd;
	}
	ret = pread_all(f->fd, h, SAVEFILE_HEADER_SIZE, 0);
	if (ret) {
		fail(err, errlen, "%s: reading the header: %s", path, strerror(-ret));
		goto free_h;
	}
	ret = header_parse(f, h, (uint64_t)sb.st_size, err, errlen);
	if (ret)
		goto free_h;
	f->state = malloc(f->info.state_len ? f->info.state_len : 1);
	f->map = malloc(f->map_len);
	if (!f->state || !f->map) {
		ret = -ENOMEM;
		fail(err, errlen, "out of memory");
		goto free_parts;
	}
	ret = pread_all(f->fd, f->state, f->info.state_len, f->state_off);
	if (!ret)
		ret = pread_all(f->fd, f->map, f->map_len, f->map_off);
	if (ret) {
		fail(err, errlen, "%s: reading the state and page map: %s", path, strerror(-ret));
		goto free_parts;
	}
	ret = -EBADMSG;
	if (state_crc32(0, f->map, f->map_len) != get_le(h + H_MAP_CRC, 4)) {
		fail(err, errlen, "%s: page map checksum mismatch (corrupt)", path);
		goto free_parts;
	}
	if (state_crc32(0, f->state, f->info.state_len) != get_le(h + H_STATE_CRC, 4)) {
		fail(err, errlen, "%s: device state checksum mismatch (corrupt)", path);
		goto free_parts;
	}
	pages = f->info.ram_size / PAGE;
	for (i = 0, bits = 0; i < f->map_len; i++)
		bits += (uint64_t)__builtin_popcount(f->map[i]);
	if (bits != f->info.data_pages || (pages % 8 && (f->map[f->map_len - 1] >> (pages % 8)))) {
		fail(err, errlen, "%s: page map inconsistent with the header", path);
		goto free_parts;
	}
	free(h);
	*out = f;
	return 0;

free_parts:
	free(f->map);
	free(f->state);
free_h:
	free(h);
close_fd:
	close(f->fd);
free_f:
	free(f);
	return ret;
}

const struct savefile_info *savefile_info(const struct savefile *f)
{
	return &f->info;
}

const void *savefile_state(const struct savefile *f, size_t *len)
{
	*len = f->info.state_len;
	return f->state;
}

bool savefile_page_present(const struct savefile *f, uint64_t pfn)
{
	return pfn < f->info.ram_size / PAGE && map_bit(f->map, pfn);
}

static int ram_check(const struct savefile *f, const void *ram, uint64_t ram_size,
		     char *err, size_t errlen)
{
	if (ram_size != f->info.ram_size)
		return fail(err, errlen, "%s: saved with %llu bytes of RAM, not %llu", f->path,
			    (unsigned long long)f->info.ram_size,
			    (unsigned long long)ram_size), -EINVAL;
	if ((uintptr_t)ram % PAGE)
		return fail(err, errlen, "restore: RAM not page-aligned"), -EINVAL;
	return 0;
}

int savefile_map_ram(struct savefile *f, void *ram, uint64_t ram_size,
		     char *err, size_t errlen)
{
	void *p;
	int ret = ram_check(f, ram, ram_size, err, errlen);

	if (ret)
		return ret;
	p = mmap(ram, ram_size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_FIXED | MAP_NORESERVE, f->fd, (off_t)f->info.ram_off);
	if (p == MAP_FAILED) {
		ret = -errno;
		return fail(err, errlen, "%s: mapping RAM: %s", f->path, strerror(-ret)), ret;
	}
	return 0;
}

int savefile_read_ram(struct savefile *f, void *ram, uint64_t ram_size,
		      struct savefile_stats *stats, char *err, size_t errlen)
{
	const uint64_t max = SAVEFILE_WRITE_MAX / PAGE, pages = ram_size / PAGE;
	int64_t t0 = now_ns(CLOCK_MONOTONIC);
	struct savefile_stats st = { 0 };
	uint64_t pos = 0, first, end, limit, gap;
	struct bulk b;
	char fdpath[64];
	int fd, ret;

	ret = ram_check(f, ram, ram_size, err, errlen);
	if (ret)
		return ret;
	/* A second open for O_DIRECT: the first one stays buffered for mapping. */
	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", f->fd);
	fd = open(fdpath, O_RDONLY | O_CLOEXEC | O_DIRECT);
	st.direct = fd >= 0;
	if (fd < 0)
		fd = dup(f->fd);
	if (fd < 0) {
		ret = -errno;
		return fail(err, errlen, "%s: %s", f->path, strerror(-ret)), ret;
	}
	ret = bulk_init(&b, fd, false);
	if (ret) {
		fail(err, errlen, "io_uring: %s", strerror(-ret));
		goto close_fd;
	}
	/* Runs of data pages, zero gaps up to MERGE_PAGES merged (they read as zeros). */
	while (pos < pages || b.inflight) {
		while (pos < pages && b.inflight < SAVEFILE_DEPTH) {
			while (pos < pages && !map_bit(f->map, pos))
				pos++;
			if (pos == pages)
				break;
			first = pos;
			end = ++pos;
			limit = (first / max + 1) * max;
			if (limit > pages)
				limit = pages;
			for (gap = 0; pos < limit && gap <= MERGE_PAGES; pos++) {
				if (map_bit(f->map, pos)) {
					end = pos + 1;
					gap = 0;
				} else {
					gap++;
				}
			}
			pos = end;
			bulk_add(&b, (uint8_t *)ram + first * PAGE,
				 f->info.ram_off + first * PAGE, (end - first) * PAGE, 0);
			st.ram_bytes += (end - first) * PAGE;
		}
		ret = bulk_reap(&b, false);
		if (ret)
			break;
	}
	if (ret) {
		bulk_drain(&b);
		fail(err, errlen, "%s: reading RAM: %s", f->path,
		     ret == -EBADMSG ? "truncated" : strerror(-ret));
	}
	st.writes = b.requests;
	st.sqes = b.sqes;
	st.bytes_written = b.bytes;
	st.data_pages = f->info.data_pages;
	st.zero_pages = pages - f->info.data_pages;
	st.ns = now_ns(CLOCK_MONOTONIC) - t0;
	if (stats)
		*stats = st;
	bulk_fini(&b);
close_fd:
	close(fd);
	return ret;
}

void savefile_close(struct savefile *f)
{
	if (!f)
		return;
	close(f->fd);
	free(f->state);
	free(f->map);
	free(f);
}

int savefile_remove_stale(const char *path)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	size_t blen = strlen(base);
	char *dirname = slash ? strndup(path, (size_t)(slash - path) + (slash == path)) :
				strdup(".");
	struct dirent *d;
	DIR *dir;
	int n = 0, dfd;

	if (!dirname)
		return -ENOMEM;
	dir = opendir(dirname);
	free(dirname);
	if (!dir)
		return -errno;
	dfd = dirfd(dir);
	while ((d = readdir(dir))) {
		/* BASE.tmp-XXXXXX exactly: mkostemp's six characters. */
		if (strlen(d->d_name) != blen + 11 || strncmp(d->d_name, base, blen) ||
		    strncmp(d->d_name + blen, ".tmp-", 5))
			continue;
		if (!unlinkat(dfd, d->d_name, 0))
			n++;
	}
	closedir(dir);
	return n;
}
