// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * display-bench.c - what the display path costs on the host (docs/perf.md,
 * "Display"; `make bench-display`).  A fake guest driver
 * (tests/devices/virtio-driver.h) drives the virtio-gpu and the
 * virtio-input keyboard through PCI, as tests/devices/ do; the GPU draws
 * into a real display (display/display.c) through the ops the machine
 * uses (machine/screen.c), watched by an fd viewer that maps the memfd
 * read-only, polls on wake() and reads a pixel of the damage.
 *
 *   1. A 1920x1080 XRGB8888 update: RESOURCE_FLUSH alone, and
 *      TRANSFER_TO_HOST_2D + RESOURCE_FLUSH (the guest's whole update,
 *      backing contiguous or in 2025 scattered 4 KiB pages), from the
 *      guest's notify until the viewer's poll returned the damage and the
 *      pixel is read in its mapping; the viewer in its own thread (woken
 *      by an eventfd) or polling in this one right after.  Against a plain
 *      memcpy() of the same 8,294,400 bytes.
 *   2. The same for a 64x64 rectangle, against memcpy() of 64 rows of 256
 *      bytes at the screen's stride.
 *   3. Idle: the fd viewer's thread, the VNC server on its I/O loop thread
 *      with one libvncclient client connected, nothing drawn for
 *      IDLE_SECONDS: the context switches of every thread of the process
 *      (/proc/self/task/<tid>/status) and the VNC server's callbacks.
 *   4. Key latency: display_input_key() to the EV_KEY + SYN_REPORT group
 *      in the keyboard's eventq used ring (through the VM's two locks, as
 *      vm/screen.c and machine/screen.c take them); a libvncclient
 *      SendKeyEvent() to the same point (the VNC server's loop thread);
 *      and display_input_key() again while a thread redraws the whole
 *      screen without pause, its requests served under machine.lock.
 *
 * Times: CLOCK_MONOTONIC (wall) and CLOCK_PROCESS_CPUTIME_ID (all threads)
 * around each iteration, median and min; reading the CPU clock is a
 * system call, so the 64x64 rows carry its cost on both sides.  "CPU
 * loop" is the process's CPU over the whole timed loop (the fake guest's
 * side included) divided by the frames: with a viewer thread it is the
 * truer figure, as another thread's CPU time is only accounted to the
 * process when that thread is switched out or ticks.  The ratios are to
 * the memcpy row's median and min.  Every
 * iteration's result is checked (response OK, damage rectangle, pixel);
 * a wrong one makes the exit status 1.
 *
 *   display-bench [-q]     -q: fewer iterations (a quick check)
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/input-event-codes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <rfb/keysym.h>
#include <rfb/rfbclient.h>

#include "devices/pci.h"
#include "devices/virtio-gpu.h"
#include "devices/virtio-input.h"
#include "display/display.h"
#include "display/vnc.h"
#include "io/ioloop.h"

/* --- a small virtio-pci driver over a fake guest (shared by the virtio tests) --- */
#include "virtio-driver.h"
}
/* --- end of the driver --- */
#include "../display/vnc-client.h"

#define SCR_W		1920u
#define SCR_H		1080u
#define SCR_STRIDE	(SCR_W * 4u)
#define SCR_BYTES	((size_t)SCR_STRIDE * SCR_H)	/* 8,294,400 */
#define PAGES		((SCR_BYTES + 4095) / 4096)	/* 2025 */
#define SMALL		64u
#define SMALL_X		512u
#define SMALL_Y		256u

/* Guest RAM: the driver's queues at 1 MiB, requests at 2 MiB, backing above. */
#define BIG_RAM		(32u << 20)
#define REQ_GPA		0x200000ull	/* one request each, 256 bytes apart */
#define ATTACH_GPA	0x210000ull	/* ATTACH_BACKING with 2025 entries */
#define RESP_GPA	0x240000ull	/* their responses, 256 bytes apart */
#define EVBUF_GPA	0x280000ull	/* the keyboard's eventq buffers */
#define KBD_Q_GPA	0x300000ull	/* its eventq (the GPU's queues are at 1 MiB) */
#define BK_CONTIG	0x1000000ull	/* resource 1: one entry */
#define BK_SCATTER	0x1800000ull	/* resource 2: page i at slot i * 7 % 2025 */
#define VER1		(1ull << VIRTIO_F_VERSION_1)

#define IDLE_SECONDS	5
#define LOOP_NAME	"bench-loop"
#define VIEWER_NAME	"bench-viewer"

enum { RQ_XFER_FULL1, RQ_XFER_FULL2, RQ_FLUSH_FULL, RQ_XFER_SMALL1, RQ_XFER_SMALL2,
       RQ_FLUSH_SMALL, RQ_SETUP, RQ_COUNT };

static struct virtio_gpu gpu;
static struct virtio_input kbd;
static struct dq cq, kq, evq;
static struct display *disp;
static struct ioloop *loop;
/* The VM's locks on the input path: vm_screen.lock, then machine.lock. */
static pthread_mutex_t screen_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t machine_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_uint failures;
static bool quick;

static int64_t clock_ns(clockid_t c)
{
	struct timespec t;

	clock_gettime(c, &t);
	return (int64_t)t.tv_sec * 1000000000ll + t.tv_nsec;
}

static int64_t wall_ns(void) { return clock_ns(CLOCK_MONOTONIC); }
static int64_t cpu_ns(void) { return clock_ns(CLOCK_PROCESS_CPUTIME_ID); }

static void fail(const char *what, unsigned i)
{
	if (failures++ < 10)
		fprintf(stderr, "display-bench: %s (iteration %u)\n", what, i);
}

/* --- statistics ---------------------------------------------------------- */

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

struct stat_ns {
	double median, min, max, p99, mean;
};

static struct stat_ns stats_of(int64_t *v, unsigned n)
{
	struct stat_ns s = { 0 };
	double sum = 0;
	unsigned i;

	if (!n)
		return s;
	qsort(v, n, sizeof(*v), cmp_i64);
	for (i = 0; i < n; i++)
		sum += (double)v[i];
	s.min = (double)v[0];
	s.max = (double)v[n - 1];
	s.median = n % 2 ? (double)v[n / 2] : ((double)v[n / 2 - 1] + (double)v[n / 2]) / 2;
	s.p99 = (double)v[(unsigned)((n - 1) * 0.99)];
	s.mean = sum / n;
	return s;
}

/* --- the GPU's ops: straight into the display, as machine/screen.c --------- */

static int gpu_set_mode(void *o, uint32_t w, uint32_t h, uint32_t fmt)
{
	return display_set_mode(o, w, h, fmt);
}

static void gpu_update(void *o, const struct display_rect *r, const void *src, uint32_t stride)
{
	display_update(o, r, src, stride);
}

static int gpu_cursor_define(void *o, uint32_t w, uint32_t h, uint32_t hx, uint32_t hy,
			     const uint32_t *argb)
{
	return display_cursor_define(o, w, h, hx, hy, argb);
}

static void gpu_cursor_move(void *o, int32_t x, int32_t y, bool visible)
{
	display_cursor_move(o, x, y, visible);
}

static const struct virtio_gpu_ops gpu_ops = {
	.set_mode = gpu_set_mode, .update = gpu_update,
	.cursor_define = gpu_cursor_define, .cursor_move = gpu_cursor_move,
};

/* --- controlq requests, built once in guest RAM -------------------------- */

static uint64_t rq_gpa(unsigned i) { return i == RQ_SETUP ? ATTACH_GPA : REQ_GPA + 0x100ull * i; }
static uint64_t rs_gpa(unsigned i) { return RESP_GPA + 0x100ull * i; }

static void hdr(unsigned i, uint32_t type)
{
	memset(mem.base + rq_gpa(i), 0, i == RQ_SETUP ? 0x10000 : 0x100);
	g32(rq_gpa(i), type);
}

static void rect(uint64_t gpa, uint32_t x, uint32_t y, uint32_t w, uint32_t h)
{
	g32(gpa, x);
	g32(gpa + 4, y);
	g32(gpa + 8, w);
	g32(gpa + 12, h);
}

/* Makes request i (len bytes) and its 256-byte response available (5.7.6.7). */
static void post(unsigned i, uint32_t len)
{
	uint16_t d = cq.next_desc % cq.size, d2 = (uint16_t)((d + 1) % cq.size);

	g32(rs_gpa(i), 0);
	g64(cq.desc + 16ull * d, rq_gpa(i));
	g32(cq.desc + 16ull * d + 8, len);
	g16(cq.desc + 16ull * d + 12, VIRTQ_DESC_F_NEXT);
	g16(cq.desc + 16ull * d + 14, d2);
	g64(cq.desc + 16ull * d2, rs_gpa(i));
	g32(cq.desc + 16ull * d2 + 8, 0x100);
	g16(cq.desc + 16ull * d2 + 12, VIRTQ_DESC_F_WRITE);
	g16(cq.desc + 16ull * d2 + 14, 0);
	cq.next_desc = (uint16_t)(cq.next_desc + 2);
	g16(cq.avail + 4 + 2ull * (cq.avail_idx % cq.size), d);
	cq.avail_idx++;
	g16(cq.avail + 2, cq.avail_idx);
}

/* The guest's notify: an MMIO write, served with machine.lock held as in the VM. */
static void notify_ctrlq(void)
{
	pthread_mutex_lock(&machine_lock);
	kick(VIRTIO_GPU_CTRLQ);
	pthread_mutex_unlock(&machine_lock);
}

/* Takes n used entries; true if there were n and each request i answered OK. */
static bool reap(const unsigned *rq, unsigned n)
{
	uint32_t id, len;
	unsigned i;
	bool ok = true;

	for (i = 0; i < n; i++)
		if (!dq_used(&cq, &id, &len) || gr32(rs_gpa(rq[i])) != VIRTIO_GPU_RESP_OK_NODATA)
			ok = false;
	return ok;
}

/* Sends one set-up request and waits for it: its response type. */
static uint32_t setup_cmd(uint32_t len)
{
	unsigned i = RQ_SETUP;

	post(i, len);
	notify_ctrlq();
	return reap(&i, 1) ? VIRTIO_GPU_RESP_OK_NODATA : gr32(rs_gpa(i));
}

static uint32_t create(uint32_t id)
{
	hdr(RQ_SETUP, VIRTIO_GPU_CMD_RESOURCE_CREATE_2D);
	g32(ATTACH_GPA + 24, id);
	g32(ATTACH_GPA + 28, VIRTIO_GPU_FORMAT_B8G8R8X8_UNORM);	/* XRGB8888 */
	g32(ATTACH_GPA + 32, SCR_W);
	g32(ATTACH_GPA + 36, SCR_H);
	return setup_cmd(40);
}

/* The guest-physical address of backing page i of resource `res`. */
static uint64_t bk_page(uint32_t res, uint64_t i)
{
	return res == 1 ? BK_CONTIG + 4096 * i : BK_SCATTER + 4096 * (i * 7 % PAGES);
}

static uint32_t attach(uint32_t res)
{
	uint32_t n = res == 1 ? 1 : PAGES, i;

	hdr(RQ_SETUP, VIRTIO_GPU_CMD_RESOURCE_ATTACH_BACKING);
	g32(ATTACH_GPA + 24, res);
	g32(ATTACH_GPA + 28, n);
	for (i = 0; i < n; i++) {
		uint64_t left = SCR_BYTES - 4096ull * i;

		g64(ATTACH_GPA + 32 + 16ull * i, bk_page(res, i));
		g32(ATTACH_GPA + 40 + 16ull * i, res == 1 ? (uint32_t)SCR_BYTES :
			     (uint32_t)(left < 4096 ? left : 4096));
	}
	return setup_cmd(32 + 16 * n);
}

static uint32_t set_scanout(uint32_t res)
{
	hdr(RQ_SETUP, VIRTIO_GPU_CMD_SET_SCANOUT);
	rect(ATTACH_GPA + 24, 0, 0, SCR_W, SCR_H);
	g32(ATTACH_GPA + 40, 0);
	g32(ATTACH_GPA + 44, res);
	return setup_cmd(48);
}

/* TRANSFER_TO_HOST_2D of (x, y, w, h) of `res`, as Linux lays out its offset. */
static void build_transfer(unsigned i, uint32_t res, uint32_t x, uint32_t y, uint32_t w, uint32_t h)
{
	hdr(i, VIRTIO_GPU_CMD_TRANSFER_TO_HOST_2D);
	rect(rq_gpa(i) + 24, x, y, w, h);
	g64(rq_gpa(i) + 40, (uint64_t)y * SCR_STRIDE + (uint64_t)x * 4);
	g32(rq_gpa(i) + 48, res);
}

static void build_flush(unsigned i, uint32_t res, uint32_t x, uint32_t y, uint32_t w, uint32_t h)
{
	hdr(i, VIRTIO_GPU_CMD_RESOURCE_FLUSH);
	rect(rq_gpa(i) + 24, x, y, w, h);
	g32(rq_gpa(i) + 40, res);
}

/* The guest's pixel (x, y) of `res`, in its backing pages. */
static uint32_t *guest_pixel(uint32_t res, uint32_t x, uint32_t y)
{
	uint64_t off = (uint64_t)y * SCR_STRIDE + (uint64_t)x * 4;

	return (uint32_t *)(mem.base + bk_page(res, off / 4096) + off % 4096);
}

/* --- the fd viewer ------------------------------------------------------- */

struct viewer {
	struct display_viewer *v;
	bool threaded;
	pthread_t thread;
	int wake_fd, done_fd;		/* eventfds: wake() -> thread -> main */
	atomic_bool stop;
	bool woken;			/* same-thread viewer: wake() was called */
	const uint8_t *map;
	size_t map_size;
	uint32_t stride;
	/* Set by main before a frame, read by the viewer after its poll. */
	uint32_t probe_x, probe_y;
	/* What the last poll found. */
	uint32_t probe;
	struct display_rect rect;
	unsigned nr_rects;
	int64_t done_ns;
	struct display_frame f;
};

static void viewer_wake(void *o)
{
	struct viewer *vw = o;
	uint64_t one = 1;

	/* Display lock held: only schedule (display.h). */
	if (!vw->threaded)
		vw->woken = true;
	else if (write(vw->wake_fd, &one, 8) != 8)
		fail("eventfd write", 0);
}

static const struct display_viewer_ops viewer_ops = { .wake = viewer_wake };

/* One poll: maps a new surface, reads the probe pixel of the damage. */
static void viewer_poll(struct viewer *vw)
{
	struct display_frame *f = &vw->f;

	if (display_viewer_poll(vw->v, f) < 0) {
		fail("display_viewer_poll", 0);
		return;
	}
	if (f->mode_changed) {
		if (vw->map)
			munmap((void *)vw->map, vw->map_size);
		vw->map = NULL;
		if (f->fd >= 0) {
			void *m = mmap(NULL, f->size, PROT_READ, MAP_SHARED, f->fd, 0);

			close(f->fd);
			if (m != MAP_FAILED) {
				vw->map = m;
				vw->map_size = f->size;
				vw->stride = f->stride;
			}
		}
	}
	vw->nr_rects = f->nr_rects;
	if (f->nr_rects)
		vw->rect = f->rects[0];
	if (vw->map && vw->probe_y < f->height && vw->probe_x < f->width)
		vw->probe = *(const volatile uint32_t *)(vw->map + (size_t)vw->probe_y * vw->stride +
							 (size_t)vw->probe_x * 4);
	vw->done_ns = wall_ns();
}

static void *viewer_thread(void *o)
{
	struct viewer *vw = o;
	uint64_t n;

	pthread_setname_np(pthread_self(), VIEWER_NAME);
	for (;;) {
		if (read(vw->wake_fd, &n, 8) != 8 || atomic_load(&vw->stop))
			break;
		viewer_poll(vw);
		n = 1;
		if (write(vw->done_fd, &n, 8) != 8)
			break;
	}
	return NULL;
}

static int viewer_open(struct viewer *vw, bool threaded)
{
	memset(vw, 0, sizeof(*vw));
	vw->threaded = threaded;
	vw->wake_fd = eventfd(0, EFD_CLOEXEC);
	vw->done_fd = eventfd(0, EFD_CLOEXEC);
	if (vw->wake_fd < 0 || vw->done_fd < 0 ||
	    display_viewer_new(disp, &viewer_ops, vw, false, &vw->v))
		return -1;
	viewer_poll(vw);		/* the mode, the fd, full damage */
	vw->woken = false;
	if (!vw->map)
		return -1;
	if (threaded && pthread_create(&vw->thread, NULL, viewer_thread, vw))
		return -1;
	return 0;
}

static void viewer_close(struct viewer *vw)
{
	uint64_t one = 1;

	if (vw->threaded) {
		atomic_store(&vw->stop, true);
		if (write(vw->wake_fd, &one, 8) != 8)
			fail("eventfd write", 0);
		pthread_join(vw->thread, NULL);
	}
	display_viewer_free(vw->v);
	if (vw->map)
		munmap((void *)vw->map, vw->map_size);
	close(vw->wake_fd);
	close(vw->done_fd);
}

/* Waits for the viewer's poll after a frame (threaded: its done eventfd). */
static void viewer_wait(struct viewer *vw)
{
	uint64_t n;

	if (vw->threaded) {
		if (read(vw->done_fd, &n, 8) != 8)
			fail("eventfd read", 0);
	} else if (vw->woken) {
		vw->woken = false;
		viewer_poll(vw);
	} else {
		vw->nr_rects = 0;
	}
}

/* --- 1 and 2: updates ------------------------------------------------------ */

/*
 * UPD_NONE: only the clock reads (the floor of every row); UPD_MEMCPY2:
 * two copies in a row, guest -> a -> b (what TRANSFER + FLUSH must do).
 */
enum upd { UPD_NONE, UPD_MEMCPY, UPD_MEMCPY2, UPD_FLUSH, UPD_XFER_FLUSH };

struct area {
	uint32_t x, y, w, h;
};

static const struct area full = { 0, 0, SCR_W, SCR_H };
static const struct area small = { SMALL_X, SMALL_Y, SMALL, SMALL };

static uint8_t *copy_dst, *copy_dst2;	/* the memcpy baselines' destinations */

struct result {
	struct stat_ns wall, cpu;
	double cpu_loop;		/* process CPU of the whole loop / frames */
};

static void print_row(const char *name, const struct result *r, const struct result *base)
{
	char ratio[48] = "";

	if (base && base->cpu.median > 0 && base->cpu.min > 0)
		snprintf(ratio, sizeof(ratio), "%5.2fx %5.2fx", r->cpu.median / base->cpu.median,
			 r->cpu.min / base->cpu.min);
	printf("  %-44s %9.1f %9.1f %9.1f %9.1f %9.1f  %s\n", name, r->wall.median / 1000,
	       r->wall.min / 1000, r->cpu.median / 1000, r->cpu.min / 1000, r->cpu_loop / 1000,
	       ratio);
}

/*
 * `iters` frames of `kind` over area `a` of resource `res` (scanned out),
 * the viewer in its thread or this one; returns the times per frame.
 */
static struct result run_updates(enum upd kind, const struct area *a, uint32_t res,
				 bool threaded, unsigned iters)
{
	unsigned warm = iters / 10 + 2, i, rq[2], nrq = 0;
	int64_t *wall = calloc(iters, sizeof(int64_t)), *cpu = calloc(iters, sizeof(int64_t));
	bool is_full = a->w == SCR_W;
	struct result r = { 0 };
	int64_t loop_c0 = 0;
	struct viewer vw;

	if (!wall || !cpu)
		goto out;
	if (kind >= UPD_FLUSH && viewer_open(&vw, threaded)) {
		fail("viewer_open", 0);
		goto out;
	}
	if (kind == UPD_XFER_FLUSH)
		rq[nrq++] = is_full ? (res == 1 ? RQ_XFER_FULL1 : RQ_XFER_FULL2) :
				      (res == 1 ? RQ_XFER_SMALL1 : RQ_XFER_SMALL2);
	rq[nrq++] = is_full ? RQ_FLUSH_FULL : RQ_FLUSH_SMALL;
	build_flush(rq[nrq - 1], res, a->x, a->y, a->w, a->h);
	for (i = 0; i < warm + iters; i++) {
		/* The guest draws: a new value at a pixel inside the area. */
		uint32_t px = a->x + (i * 37) % a->w, py = a->y + (i * 11) % a->h;
		uint32_t val = 0xff000000u | (i * 2654435761u >> 8);
		int64_t w0, c0, w1, c1;
		unsigned k;

		if (i == warm)
			loop_c0 = cpu_ns();
		if (kind <= UPD_MEMCPY2) {
			size_t at = (size_t)a->y * SCR_STRIDE + (size_t)a->x * 4, p;
			const uint8_t *src = (const uint8_t *)guest_pixel(1, a->x, a->y);
			uint8_t *dst = copy_dst + at, *dst2 = copy_dst2 + at;

			w0 = wall_ns();
			c0 = cpu_ns();
			if (kind == UPD_NONE) {
				/* the clocks alone */
			} else if (is_full) {
				memcpy(dst, src, SCR_BYTES);
				if (kind == UPD_MEMCPY2)
					memcpy(dst2, dst, SCR_BYTES);
			} else {
				for (k = 0; k < a->h; k++)
					memcpy(dst + (size_t)k * SCR_STRIDE, src + (size_t)k * SCR_STRIDE,
					       (size_t)a->w * 4);
				for (k = 0; kind == UPD_MEMCPY2 && k < a->h; k++)
					memcpy(dst2 + (size_t)k * SCR_STRIDE, dst + (size_t)k * SCR_STRIDE,
					       (size_t)a->w * 4);
			}
			c1 = cpu_ns();
			w1 = wall_ns();
			(void)val;	/* the baseline draws nothing: the flush rows show the backing */
			p = (size_t)py * SCR_STRIDE + (size_t)px * 4;
			if (kind != UPD_NONE &&
			    *(uint32_t *)((kind == UPD_MEMCPY2 ? copy_dst2 : copy_dst) + p) !=
			    *guest_pixel(1, px, py))
				fail("memcpy", i);
		} else {
			uint32_t want;

			if (kind == UPD_XFER_FLUSH)
				*guest_pixel(res, px, py) = val;
			/* Flush alone shows what the last transfer brought. */
			want = *guest_pixel(res, px, py);
			vw.probe_x = px;
			vw.probe_y = py;
			for (k = 0; k < nrq; k++)
				post(rq[k], rq[k] == RQ_FLUSH_FULL || rq[k] == RQ_FLUSH_SMALL ? 48 : 56);
			w0 = wall_ns();
			c0 = cpu_ns();
			notify_ctrlq();
			viewer_wait(&vw);
			c1 = cpu_ns();
			w1 = threaded ? vw.done_ns : wall_ns();
			if (!reap(rq, nrq))
				fail("a request was not answered OK", i);
			if (vw.nr_rects != 1 || vw.rect.x != a->x || vw.rect.y != a->y ||
			    vw.rect.w != a->w || vw.rect.h != a->h)
				fail("the viewer's damage is not the flushed rectangle", i);
			if (vw.probe != want)
				fail("the viewer's mapping does not show the guest's pixel", i);
		}
		if (i >= warm) {
			wall[i - warm] = w1 - w0;
			cpu[i - warm] = c1 - c0;
		}
	}
	/* After the join: the viewer thread's CPU is all accounted. */
	if (kind >= UPD_FLUSH)
		viewer_close(&vw);
	r.cpu_loop = (double)(cpu_ns() - loop_c0) / iters;
	r.wall = stats_of(wall, iters);
	r.cpu = stats_of(cpu, iters);
out:
	free(wall);
	free(cpu);
	return r;
}

static int gpu_setup(void)
{
	uint32_t x, y;
	uint8_t df;
	int ret;

	ret = virtio_gpu_init(&gpu, &bus, 3, &mem, &gpu_ops, disp, 0);
	if (ret < 0)
		return ret;
	df = (uint8_t)ret;
	map_bar(df);
	if (negotiate(VER1 | 1ull << VIRTIO_GPU_F_EDID) != 0x0b ||
	    setup_queue(&cq, VIRTIO_GPU_CTRLQ, 64, VIRTIO_PCI_NO_VECTOR) != 1 ||
	    setup_queue(&kq, VIRTIO_GPU_CURSORQ, 64, VIRTIO_PCI_NO_VECTOR) != 1)
		return -EIO;
	driver_ok();
	/* The guest's picture, in both resources' backing. */
	for (y = 0; y < SCR_H; y++)
		for (x = 0; x < SCR_W; x++)
			*guest_pixel(1, x, y) = *guest_pixel(2, x, y) = 0xff000000u | y << 12 | x;
	if (create(1) != VIRTIO_GPU_RESP_OK_NODATA || attach(1) != VIRTIO_GPU_RESP_OK_NODATA ||
	    create(2) != VIRTIO_GPU_RESP_OK_NODATA || attach(2) != VIRTIO_GPU_RESP_OK_NODATA)
		return -EIO;
	build_transfer(RQ_XFER_FULL1, 1, 0, 0, SCR_W, SCR_H);
	build_transfer(RQ_XFER_FULL2, 2, 0, 0, SCR_W, SCR_H);
	build_transfer(RQ_XFER_SMALL1, 1, SMALL_X, SMALL_Y, SMALL, SMALL);
	build_transfer(RQ_XFER_SMALL2, 2, SMALL_X, SMALL_Y, SMALL, SMALL);
	/* Both resources drawn once, then resource 1 on the screen. */
	post(RQ_XFER_FULL1, 56);
	post(RQ_XFER_FULL2, 56);
	notify_ctrlq();
	{
		unsigned rq[2] = { RQ_XFER_FULL1, RQ_XFER_FULL2 };

		if (!reap(rq, 2))
			return -EIO;
	}
	if (set_scanout(1) != VIRTIO_GPU_RESP_OK_NODATA)
		return -EIO;
	return df;
}

static void bench_updates(void)
{
	unsigned nf = quick ? 30 : 300, ns = quick ? 500 : 5000;
	struct result base, r;
	static const struct { const char *name; enum upd kind; uint32_t res; bool threaded; } rows[] = {
		{ "RESOURCE_FLUSH, viewer polls in this thread", UPD_FLUSH, 1, false },
		{ "RESOURCE_FLUSH, viewer thread woken", UPD_FLUSH, 1, true },
		{ "TRANSFER+FLUSH, contiguous, this thread", UPD_XFER_FLUSH, 1, false },
		{ "TRANSFER+FLUSH, contiguous, viewer thread", UPD_XFER_FLUSH, 1, true },
		{ "TRANSFER+FLUSH, 4 KiB pages, this thread", UPD_XFER_FLUSH, 2, false },
		{ "TRANSFER+FLUSH, 4 KiB pages, viewer thread", UPD_XFER_FLUSH, 2, true },
	};
	unsigned sz, i;

	printf("\n1-2. Updates, %ux%u XRGB8888 (%zu bytes a frame), per frame, microseconds\n",
	       SCR_W, SCR_H, SCR_BYTES);
	printf("  %-44s %9s %9s %9s %9s %9s  %s\n", "", "wall med", "wall min", "CPU med",
	       "CPU min", "CPU loop", "CPU/memcpy med, min");
	for (sz = 0; sz < 2; sz++) {
		const struct area *a = sz ? &small : &full;
		unsigned n = sz ? ns : nf;

		printf(" %s (%u frames each)\n", sz ? "64x64 at (512,256)" : "full screen", n);
		r = run_updates(UPD_NONE, a, 1, false, n);
		print_row("nothing (the clock reads alone)", &r, NULL);
		base = run_updates(UPD_MEMCPY, a, 1, false, n);
		print_row(sz ? "memcpy, 64 rows of 256 bytes" : "memcpy, 8,294,400 bytes", &base, NULL);
		r = run_updates(UPD_MEMCPY2, a, 1, false, n);
		print_row("memcpy twice (guest -> a -> b)", &r, &base);
		for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
			uint32_t res = rows[i].res;

			/* Show resource res (a full update the viewer is not there for). */
			if (gpu.scanout_res != res && set_scanout(res) != VIRTIO_GPU_RESP_OK_NODATA)
				fail("SET_SCANOUT", 0);
			r = run_updates(rows[i].kind, a, res, rows[i].threaded, n);
			print_row(rows[i].name, &r, &base);
		}
		if (set_scanout(1) != VIRTIO_GPU_RESP_OK_NODATA)
			fail("SET_SCANOUT", 0);
	}
}

/* --- 3: idle ------------------------------------------------------------- */

struct task_sw {
	int tid;
	char comm[32];
	long vol, invol;
};

/* Every thread of this process and its context switches so far. */
static unsigned task_switches(struct task_sw *t, unsigned max)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	unsigned n = 0;

	while (d && n < max && (e = readdir(d))) {
		char path[300], buf[256];
		FILE *f;

		if (e->d_name[0] == '.')
			continue;
		memset(&t[n], 0, sizeof(t[n]));
		t[n].tid = atoi(e->d_name);
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm", e->d_name);
		f = fopen(path, "r");
		if (f) {
			if (fgets(t[n].comm, sizeof(t[n].comm), f))
				t[n].comm[strcspn(t[n].comm, "\n")] = 0;
			fclose(f);
		}
		snprintf(path, sizeof(path), "/proc/self/task/%s/status", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		while (fgets(buf, sizeof(buf), f)) {
			if (!strncmp(buf, "voluntary_ctxt_switches:", 24))
				t[n].vol = atol(buf + 24);
			else if (!strncmp(buf, "nonvoluntary_ctxt_switches:", 27))
				t[n].invol = atol(buf + 27);
		}
		fclose(f);
		n++;
	}
	if (d)
		closedir(d);
	return n;
}

static void quiet(const char *fmt, ...)
{
	(void)fmt;
}

static unsigned client_updates;

static void got_update(rfbClient *c, int x, int y, int w, int h)
{
	(void)c;
	(void)x;
	(void)y;
	(void)w;
	(void)h;
	client_updates++;
}

/* Handles what the server sends for up to ms, or until `updates` updates came. */
static bool pump(rfbClient *c, int ms, unsigned updates)
{
	int64_t end = wall_ns() + ms * 1000000ll;

	while (wall_ns() < end) {
		int n;

		if (updates && client_updates >= updates)
			return true;
		/* libvncclient reads ahead: what it holds no select() sees. */
		n = c->buffered ? 1 : WaitForMessage(c, 10000);
		if (n < 0 || (n > 0 && !HandleRFBServerMessage(c)))
			return false;
	}
	return !updates || client_updates >= updates;
}

/* Reads until the server has sent nothing for 300 ms (at most 5 s). */
static void settle(rfbClient *c)
{
	int64_t end = wall_ns() + 5000000000ll;

	while (wall_ns() < end) {
		int n = c->buffered ? 1 : WaitForMessage(c, 300000);

		if (n <= 0 || !HandleRFBServerMessage(c))
			return;
	}
}

static rfbClient *client_connect(const char *path)
{
	rfbClient *c = rfbGetClient(8, 3, 4);
	int argc = 0;

	free(c->serverHost);
	c->serverHost = strdup(path);
	c->serverPort = 0;
	c->appData.encodingsString = "raw";
	c->appData.enableJPEG = FALSE;
	c->appData.useRemoteCursor = TRUE;
	c->canHandleNewFBSize = TRUE;
	c->GotFrameBufferUpdate = got_update;
	if (!rfbInitClient(c, &argc, NULL))
		return NULL;		/* rfbInitClient freed it */
	return c;
}

static void bench_idle(struct vnc_server *s, rfbClient *c)
{
	struct task_sw t0[64], t1[64];
	struct vnc_server_stats st0, st1;
	unsigned n0, n1, i, j;
	long vol = 0, invol = 0;
	struct viewer vw;
	int me = gettid();

	if (viewer_open(&vw, true)) {
		fail("viewer_open", 0);
		return;
	}
	/* Whatever is in flight settles (the client's next request outstanding). */
	settle(c);
	usleep(200000);
	vnc_server_stats(s, &st0);
	n0 = task_switches(t0, 64);
	sleep(IDLE_SECONDS);
	n1 = task_switches(t1, 64);
	vnc_server_stats(s, &st1);
	printf("\n3. Idle for %d s: a display with an fd viewer thread, the VNC server with "
	       "one libvncclient client connected, nothing drawn\n", IDLE_SECONDS);
	printf("  %-8s %-16s %12s %12s\n", "tid", "thread", "voluntary", "involuntary");
	for (i = 0; i < n1; i++) {
		for (j = 0; j < n0 && t0[j].tid != t1[i].tid; j++)
			;
		if (j == n0)
			continue;
		printf("  %-8d %-16s %12ld %12ld%s\n", t1[i].tid, t1[i].comm,
		       t1[i].vol - t0[j].vol, t1[i].invol - t0[j].invol,
		       t1[i].tid == me ? "  (this thread, asleep in sleep(3))" : "");
		if (t1[i].tid != me) {
			vol += t1[i].vol - t0[j].vol;
			invol += t1[i].invol - t0[j].invol;
		}
	}
	printf("  every thread but this one: %ld voluntary + %ld involuntary context switches "
	       "(%.2f a second); VNC server callbacks: %llu; client connected: %u\n",
	       vol, invol, (double)(vol + invol) / IDLE_SECONDS,
	       (unsigned long long)(st1.callbacks - st0.callbacks), st1.clients);
	viewer_close(&vw);
}

/* --- 4: keys ------------------------------------------------------------- */

static atomic_int key_done_fd = -1;
static int64_t key_done_ns;

/* The display's key op, as vm/screen.c and machine/screen.c do it. */
static void op_key(void *o, uint16_t code, bool down)
{
	int fd = atomic_load(&key_done_fd);
	uint64_t one = 1;

	(void)o;
	pthread_mutex_lock(&screen_lock);
	pthread_mutex_lock(&machine_lock);
	virtio_input_key(&kbd, code, down);
	pthread_mutex_unlock(&machine_lock);
	pthread_mutex_unlock(&screen_lock);
	if (fd >= 0) {
		key_done_ns = wall_ns();
		if (write(fd, &one, 8) != 8)
			fail("eventfd write", 0);
	}
}

static const struct display_input_ops input_ops = { .key = op_key };

/*
 * setup_queue() at `base` instead of the driver's default place (that
 * is the GPU's controlq, which goes on being used).
 */
static unsigned setup_queue_at(struct dq *q, unsigned idx, uint16_t size, uint64_t base)
{
	q->size = size;
	q->desc = base;
	q->avail = base + 16ull * size;
	q->used = (q->avail + 6 + 2ull * size + 4095) & ~4095ull;
	q->avail_idx = q->used_seen = q->next_desc = 0;
	memset(mem.base + base, 0, 0x10000);
	bar_wr(COMMON(VIRTIO_PCI_COMMON_Q_SELECT), 2, idx);
	bar_wr(COMMON(VIRTIO_PCI_COMMON_Q_SIZE), 2, size);
	bar_wr(COMMON(VIRTIO_PCI_COMMON_Q_DESCLO), 4, (uint32_t)q->desc);
	bar_wr(COMMON(VIRTIO_PCI_COMMON_Q_DESCHI), 4, (uint32_t)(q->desc >> 32));
	bar_wr(COMMON(VIRTIO_PCI_COMMON_Q_AVAILLO), 8, q->avail);
	bar_wr(COMMON(VIRTIO_PCI_COMMON_Q_USEDLO), 8, q->used);
	bar_wr(COMMON(VIRTIO_PCI_COMMON_Q_MSIX), 2, VIRTIO_PCI_NO_VECTOR);
	bar_wr(COMMON(VIRTIO_PCI_COMMON_Q_ENABLE), 2, 1);
	return (unsigned)bar_rd(COMMON(VIRTIO_PCI_COMMON_Q_ENABLE), 2);
}

static int kbd_setup(uint8_t gpu_df)
{
	int ret;
	unsigned i;

	/* The GPU's BAR off the bus: the driver's accessors reach the keyboard's. */
	cfg_wr(gpu_df, PCI_COMMAND, 2, 0);
	ret = virtio_input_init(&kbd, &bus, 4, &mem, VIRTIO_INPUT_KEYBOARD);
	if (ret < 0)
		return ret;
	map_bar((uint8_t)ret);
	if (negotiate(VER1) != 0x0b ||
	    setup_queue_at(&evq, VIRTIO_INPUT_EVENTQ, VIRTIO_INPUT_QUEUE_SIZE, KBD_Q_GPA) != 1)
		return -EIO;
	driver_ok();
	for (i = 0; i < VIRTIO_INPUT_QUEUE_SIZE; i++)
		dq_add(&evq, EVBUF_GPA + 8ull * i, 8, true);
	return 0;
}

/*
 * The guest takes the group a key made (EV_KEY code down, SYN_REPORT) and
 * gives the buffers back.  True if it was there and right.
 */
static bool kbd_take(uint16_t code, bool down)
{
	uint32_t id[2], len;
	bool ok;

	pthread_mutex_lock(&machine_lock);
	ok = dq_used(&evq, &id[0], &len) && dq_used(&evq, &id[1], &len);
	ok = ok && gr16(EVBUF_GPA + 8ull * id[0]) == EV_KEY &&
	     gr16(EVBUF_GPA + 8ull * id[0] + 2) == code &&
	     gr32(EVBUF_GPA + 8ull * id[0] + 4) == down &&
	     gr16(EVBUF_GPA + 8ull * id[1]) == EV_SYN;
	dq_add(&evq, EVBUF_GPA + 8ull * (evq.next_desc % evq.size), 8, true);
	dq_add(&evq, EVBUF_GPA + 8ull * (evq.next_desc % evq.size), 8, true);
	kick(VIRTIO_INPUT_EVENTQ);
	pthread_mutex_unlock(&machine_lock);
	return ok;
}

static void print_lat(const char *name, struct stat_ns s)
{
	printf("  %-52s %9.2f %9.2f %9.2f %9.2f\n", name, s.median / 1000, s.min / 1000,
	       s.p99 / 1000, s.max / 1000);
}

static void bench_keys(struct vnc_server *s, rfbClient *c)
{
	unsigned n = quick ? 1000 : 10000, i;
	int64_t *lat = calloc(n, sizeof(int64_t));
	struct display_viewer *kv;
	uint64_t cnt;
	int efd;

	(void)s;
	if (!lat || display_viewer_new(disp, NULL, NULL, false, &kv)) {
		fail("key viewer", 0);
		free(lat);
		return;
	}
	printf("\n4. Key latency to the eventq's used ring (%u keys, down and up), microseconds\n", n);
	printf("  %-52s %9s %9s %9s %9s\n", "", "median", "min", "p99", "max");
	for (i = 0; i < n; i++) {
		bool down = !(i & 1);
		uint16_t seen = evq.used_seen;
		int64_t t0, t1;

		t0 = wall_ns();
		display_input_key(kv, KEY_A, down);
		while (gr16(evq.used + 2) == seen && wall_ns() - t0 < 1000000000ll)
			;
		t1 = wall_ns();
		lat[i] = t1 - t0;
		if (!kbd_take(KEY_A, down))
			fail("display_input_key: no EV_KEY group in the used ring", i);
	}
	print_lat("display_input_key() (Display1.Key, VNC call it)", stats_of(lat, n));
	display_viewer_free(kv);

	efd = eventfd(0, EFD_CLOEXEC);
	atomic_store(&key_done_fd, efd);
	for (i = 0; c && efd >= 0 && i < n; i++) {
		bool down = !(i & 1);
		int64_t t0 = wall_ns();

		SendKeyEvent(c, XK_a, down);
		if (read(efd, &cnt, 8) != 8)
			fail("eventfd read", i);
		lat[i] = key_done_ns - t0;
		if (!kbd_take(KEY_A, down))
			fail("VNC: no EV_KEY group in the used ring", i);
	}
	atomic_store(&key_done_fd, -1);
	if (efd >= 0)
		close(efd);
	if (c)
		print_lat("libvncclient SendKeyEvent() over a unix socket", stats_of(lat, n));
	free(lat);
}

/*
 * Keys while the guest redraws the whole screen without pause (it fills
 * its backing, then TRANSFER + FLUSH): the GPU runs its requests with
 * machine.lock held (as the VM's vCPU threads handle their exits), which
 * the key op needs too.
 */
static atomic_bool drawing;
static atomic_uint frames_drawn;

static void *drawer(void *o)
{
	unsigned rq[2] = { RQ_XFER_FULL1, RQ_FLUSH_FULL };

	(void)o;
	while (atomic_load(&drawing)) {
		/* The guest draws a frame (not holding the lock: it runs in the guest). */
		memset(mem.base + BK_CONTIG, (int)(atomic_load(&frames_drawn) & 0xff), SCR_BYTES);
		post(RQ_XFER_FULL1, 56);
		post(RQ_FLUSH_FULL, 48);
		/* The GPU's BAR is off the bus now: its notify, straight. */
		pthread_mutex_lock(&machine_lock);
		virtio_gpu_kick(&gpu);
		pthread_mutex_unlock(&machine_lock);
		if (!reap(rq, 2))
			fail("drawer: a request was not answered OK", 0);
		atomic_fetch_add(&frames_drawn, 1);
	}
	return NULL;
}

static void bench_keys_drawing(void)
{
	unsigned n = quick ? 200 : 2000, i;
	int64_t *lat = calloc(n, sizeof(int64_t)), t_start;
	struct display_viewer *kv;
	pthread_t t;

	if (!lat || display_viewer_new(disp, NULL, NULL, false, &kv)) {
		fail("key viewer", 0);
		free(lat);
		return;
	}
	build_flush(RQ_FLUSH_FULL, 1, 0, 0, SCR_W, SCR_H);
	atomic_store(&drawing, true);
	if (pthread_create(&t, NULL, drawer, NULL)) {
		fail("drawer thread", 0);
		display_viewer_free(kv);
		free(lat);
		return;
	}
	t_start = wall_ns();
	for (i = 0; i < n; i++) {
		bool down = !(i & 1);
		uint16_t seen = evq.used_seen;
		int64_t t0;

		usleep(100 + i * 7919 % 400);	/* land anywhere in a frame */
		t0 = wall_ns();
		display_input_key(kv, KEY_A, down);
		while (gr16(evq.used + 2) == seen && wall_ns() - t0 < 1000000000ll)
			;
		lat[i] = wall_ns() - t0;
		if (!kbd_take(KEY_A, down))
			fail("display_input_key while drawing: no EV_KEY group", i);
	}
	atomic_store(&drawing, false);
	pthread_join(t, NULL);
	printf("  %-52s %9s %9s %9s %9s\n", "while the guest redraws 1920x1080 non-stop", "", "", "", "");
	print_lat("display_input_key(), keys 0.1-0.5 ms apart", stats_of(lat, n));
	printf("  (%u full-screen TRANSFER+FLUSH frames meanwhile, %.0f a second)\n",
	       atomic_load(&frames_drawn),
	       atomic_load(&frames_drawn) / ((double)(wall_ns() - t_start) / 1e9));
	display_viewer_free(kv);
	free(lat);
}

/* --- main ---------------------------------------------------------------- */

int main(int argc, char **argv)
{
	char dir[] = "/tmp/display-bench.XXXXXX", spec[300], err[256], cpu[128] = "?", line[256];
	struct vnc_server *vs = NULL;
	struct vnc_options o;
	rfbClient *c = NULL;
	FILE *f;
	int df;

	quick = argc > 1 && !strcmp(argv[1], "-q");
	signal(SIGPIPE, SIG_IGN);
	rfbClientLog = rfbClientErr = quiet;
	(void)find_vcap;
	(void)read_features;

	f = fopen("/proc/cpuinfo", "r");
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "model name", 10) && strchr(line, ':')) {
			snprintf(cpu, sizeof(cpu), "%s", strchr(line, ':') + 2);
			cpu[strcspn(cpu, "\n")] = 0;
			break;
		}
	if (f)
		fclose(f);
	printf("display-bench: %ld CPUs online, %s\n", sysconf(_SC_NPROCESSORS_ONLN), cpu);

	/* Guest RAM large enough for two 1920x1080 backings. */
	bus_setup();
	free(mem.base);
	mem.size = BIG_RAM;
	mem.base = aligned_alloc(2u << 20, BIG_RAM);
	copy_dst = aligned_alloc(4096, SCR_BYTES);
	copy_dst2 = aligned_alloc(4096, SCR_BYTES);
	if (!mem.base || !copy_dst || !copy_dst2) {
		perror("display-bench: memory");
		return 1;
	}
	memset(mem.base, 0, BIG_RAM);
	memset(copy_dst, 0, SCR_BYTES);
	memset(copy_dst2, 0, SCR_BYTES);

	if (ioloop_create(&loop) || ioloop_start(loop, LOOP_NAME) ||
	    display_create(&disp, loop, &input_ops, NULL)) {
		fprintf(stderr, "display-bench: the loop or the display\n");
		return 1;
	}
	df = gpu_setup();
	if (df < 0) {
		fprintf(stderr, "display-bench: the GPU did not come up (%d)\n", df);
		return 1;
	}
	bench_updates();

	if (kbd_setup((uint8_t)df)) {
		fprintf(stderr, "display-bench: the keyboard did not come up\n");
		return 1;
	}
	if (!mkdtemp(dir)) {
		perror("display-bench: mkdtemp");
		return 1;
	}
	snprintf(spec, sizeof(spec), "unix:%s/vnc.sock", dir);
	if (vnc_options_parse(spec, &o, err, sizeof(err)) ||
	    vnc_server_start(&vs, disp, loop, &o, err, sizeof(err))) {
		fprintf(stderr, "display-bench: VNC: %s\n", err);
		vs = NULL;
	}
	if (vs) {
		c = client_connect(spec + 5);
		if (!c || !pump(c, 5000, 1) || c->width != (int)SCR_W)
			fail("VNC: the client did not get the screen", 0);
	}
	if (vs && c)
		bench_idle(vs, c);
	bench_keys(vs, c);

	client_close(c);
	if (vs)
		vnc_server_stop(vs);
	bench_keys_drawing();
	snprintf(spec, sizeof(spec), "%s/vnc.sock", dir);
	unlink(spec);
	rmdir(dir);
	display_destroy(disp);
	ioloop_destroy(loop);
	virtio_gpu_destroy(&gpu);
	free(copy_dst);
	free(copy_dst2);
	free(mem.base);
	if (failures)
		printf("display-bench: %u checks FAILED\n", failures);
	return failures ? 1 : 0;
}
