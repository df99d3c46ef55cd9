// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * display-test.c - the display (monitor/display/display.c) on the host,
 * with a fake producer, fake input ops that record what reaches the
 * "guest", and viewers that map the fd each poll hands them: modes and
 * the surface memfd, pixels and clipping, damage merging and the single
 * wake, a viewer that never polls, the cursor plane, private mode, input,
 * the resize debounce on a hand-turned ioloop, and threads doing all of
 * it at once (run under ASan by make's build-asan/).
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/input-event-codes.h>
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "display/display.h"
#include "io/ioloop.h"
#include "tap.h"

#define MS	1000000ll

static void sleep_ms(int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * MS };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* ---- the fake guest: input ops that record ---- */

struct guest {
	atomic_int keys, abss, buttons, wheels, rels, resizes;
	uint16_t key_code;
	bool key_down;
	uint32_t abs_x, abs_y, abs_w, abs_h, mask;
	int32_t wheel_dy, wheel_dx, rel_dx, rel_dy;
	uint32_t resize_w, resize_h;
	int64_t resize_at;
};

static void g_key(void *opaque, uint16_t code, bool down)
{
	struct guest *g = opaque;

	g->key_code = code;
	g->key_down = down;
	atomic_fetch_add(&g->keys, 1);
}

static void g_abs(void *opaque, uint32_t x, uint32_t y, uint32_t w, uint32_t h)
{
	struct guest *g = opaque;

	g->abs_x = x;
	g->abs_y = y;
	g->abs_w = w;
	g->abs_h = h;
	atomic_fetch_add(&g->abss, 1);
}

static void g_buttons(void *opaque, uint32_t mask)
{
	struct guest *g = opaque;

	g->mask = mask;
	atomic_fetch_add(&g->buttons, 1);
}

static void g_wheel(void *opaque, int32_t dy, int32_t dx)
{
	struct guest *g = opaque;

	g->wheel_dy = dy;
	g->wheel_dx = dx;
	atomic_fetch_add(&g->wheels, 1);
}

static void g_rel(void *opaque, int32_t dx, int32_t dy)
{
	struct guest *g = opaque;

	g->rel_dx = dx;
	g->rel_dy = dy;
	atomic_fetch_add(&g->rels, 1);
}

static void g_resize(void *opaque, uint32_t w, uint32_t h)
{
	struct guest *g = opaque;

	g->resize_w = w;
	g->resize_h = h;
	g->resize_at = ioloop_now_ns();
	atomic_fetch_add(&g->resizes, 1);
}

static const struct display_input_ops guest_ops = {
	.key = g_key, .abs = g_abs, .buttons = g_buttons, .wheel = g_wheel,
	.rel = g_rel, .resize = g_resize,
};

/* ---- viewers that map what they are given ---- */

struct viewer {
	struct display_viewer *v;
	atomic_int wakes;
	int fd;
	const uint32_t *map;
	size_t size;
	uint32_t width, height, stride;
	struct display_frame f;
};

static void v_wake(void *opaque)
{
	struct viewer *vw = opaque;

	atomic_fetch_add(&vw->wakes, 1);
}

static const struct display_viewer_ops viewer_ops = { .wake = v_wake };

static void fail_exit(const char *what, int err)
{
	tap_ok(0, "%s: %s", what, strerror(-err));
	exit(tap_done());
}

static struct viewer *viewer_new(struct display *d, bool owner)
{
	struct viewer *vw = calloc(1, sizeof(*vw));
	int ret;

	if (!vw)
		fail_exit("calloc", -ENOMEM);
	vw->fd = -1;
	ret = display_viewer_new(d, &viewer_ops, vw, owner, &vw->v);
	if (ret)
		fail_exit("display_viewer_new", ret);
	return vw;
}

static void viewer_unmap(struct viewer *vw)
{
	if (vw->map)
		munmap((void *)vw->map, vw->size);
	if (vw->fd >= 0)
		close(vw->fd);
	vw->map = NULL;
	vw->fd = -1;
	vw->size = 0;
}

/* Polls; on a new mode maps the new fd read-only as a real viewer would. */
static int viewer_poll(struct viewer *vw)
{
	int ret = display_viewer_poll(vw->v, &vw->f);

	if (ret > 0 && vw->f.mode_changed) {
		viewer_unmap(vw);
		vw->width = vw->f.width;
		vw->height = vw->f.height;
		vw->stride = vw->f.stride;
		if (vw->f.fd >= 0) {
			void *m = mmap(NULL, vw->f.size, PROT_READ, MAP_SHARED, vw->f.fd, 0);

			if (m == MAP_FAILED)
				fail_exit("mmap of the viewer's fd", -errno);
			vw->map = m;
			vw->fd = vw->f.fd;
			vw->size = vw->f.size;
		}
	}
	return ret;
}

static void viewer_free(struct viewer *vw)
{
	display_viewer_free(vw->v);
	viewer_unmap(vw);
	free(vw);
}

static uint32_t vpix(const struct viewer *vw, uint32_t x, uint32_t y)
{
	return vw->map[(size_t)y * (vw->stride / 4) + x];
}

static uint32_t pattern(uint32_t x, uint32_t y, uint32_t seed)
{
	return (seed * 0x9e3779b1u) ^ (x << 16 | y) ^ 0xff000000u;
}

/* The whole w x h surface drawn with pattern(seed) through display_update(). */
static void draw_all(struct display *d, uint32_t w, uint32_t h, uint32_t seed)
{
	uint32_t *src = malloc((size_t)w * h * 4);
	uint32_t x, y;

	if (!src)
		fail_exit("malloc", -ENOMEM);
	for (y = 0; y < h; y++)
		for (x = 0; x < w; x++)
			src[(size_t)y * w + x] = pattern(x, y, seed);
	display_update(d, &(struct display_rect){ 0, 0, w, h }, src, w * 4);
	free(src);
}

/* Does vw's mapping show pattern(seed) everywhere (or 0 everywhere: seed ~0)? */
static bool shows(const struct viewer *vw, uint32_t seed)
{
	uint32_t x, y;

	if (!vw->map)
		return false;
	for (y = 0; y < vw->height; y++)
		for (x = 0; x < vw->width; x++)
			if (vpix(vw, x, y) != (seed == ~0u ? 0 : pattern(x, y, seed)))
				return false;
	return true;
}

static struct display *new_display(struct ioloop *loop, struct guest *g)
{
	struct display *d = NULL;
	int ret = display_create(&d, loop, g ? &guest_ops : NULL, g);

	if (ret)
		fail_exit("display_create", ret);
	return d;
}

static bool is_rect(const struct display_rect *r, uint32_t x, uint32_t y, uint32_t w, uint32_t h)
{
	return r->x == x && r->y == y && r->w == w && r->h == h;
}

/* ---- modes and the surface ---- */

static void test_modes(void)
{
	static const uint32_t formats[] = {
		DISPLAY_FORMAT_XRGB8888, DISPLAY_FORMAT_ARGB8888, DISPLAY_FORMAT_XBGR8888,
		DISPLAY_FORMAT_ABGR8888, DISPLAY_FORMAT_BGRX8888, DISPLAY_FORMAT_BGRA8888,
		DISPLAY_FORMAT_RGBX8888, DISPLAY_FORMAT_RGBA8888,
	};
	struct display *d = new_display(NULL, NULL);
	struct viewer *a, *b;
	bool all = true;
	struct stat st;
	unsigned i;
	void *m;
	int ret, seals;

	for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		all &= display_format_valid(formats[i]);
	tap_ok(all && !display_format_valid(DISPLAY_FOURCC('R', 'G', '1', '6')) &&
	       !display_format_valid(0), "formats: the 8 32-bit DRM formats, nothing else");
	tap_ok(display_set_mode(d, DISPLAY_MAX_WIDTH + 1, 100, DISPLAY_FORMAT_XRGB8888) == -EINVAL &&
	       display_set_mode(d, 100, DISPLAY_MAX_HEIGHT + 1, DISPLAY_FORMAT_XRGB8888) == -EINVAL &&
	       display_set_mode(d, 100, 0, DISPLAY_FORMAT_XRGB8888) == -EINVAL &&
	       display_set_mode(d, 100, 100, DISPLAY_FOURCC('R', 'G', '1', '6')) == -EINVAL,
	       "set_mode: too wide, too tall, height 0, 16-bit format: -EINVAL");

	a = viewer_new(d, false);
	ret = viewer_poll(a);
	tap_ok(ret == 1 && a->f.mode_changed && a->f.fd == -1 && !a->f.width &&
	       !a->f.size && !a->f.nr_rects && !a->f.blank,
	       "a viewer before any mode: its first poll says no scanout (fd -1)");
	tap_ok(viewer_poll(a) == 0 && !atomic_load(&a->wakes), "then nothing, no wake");
	display_update(d, &(struct display_rect){ 0, 0, 10, 10 }, (uint32_t[100]){ 0 }, 40);
	tap_ok(viewer_poll(a) == 0 && !atomic_load(&a->wakes), "update without a mode: nothing");

	ret = display_set_mode(d, 640, 480, DISPLAY_FORMAT_XRGB8888);
	tap_ok(ret == 0 && atomic_load(&a->wakes) == 1, "set_mode 640x480: the viewer woken once");
	ret = viewer_poll(a);
	tap_ok(ret == 1 && a->f.mode_changed && a->f.fd >= 0 && a->f.width == 640 &&
	       a->f.height == 480 && a->f.stride == 2560 && a->f.size == 2560 * 480 &&
	       a->f.format == DISPLAY_FORMAT_XRGB8888 && a->f.nr_rects == 1 &&
	       is_rect(&a->f.rects[0], 0, 0, 640, 480),
	       "poll: the mode, its fd, and full damage");
	tap_ok(!fstat(a->fd, &st) && st.st_size == 2560 * 480, "the fd is height x stride bytes");
	seals = fcntl(a->fd, F_GET_SEALS);
	tap_ok(seals >= 0 && (seals & F_SEAL_SHRINK) && (seals & F_SEAL_SEAL),
	       "sealed against shrinking, seals final (0x%x)", seals);
	tap_ok(fcntl(a->fd, F_GETFL) >= 0 && (fcntl(a->fd, F_GETFL) & O_ACCMODE) == O_RDONLY,
	       "the viewer's fd is read-only");
	m = mmap(NULL, a->f.size, PROT_READ | PROT_WRITE, MAP_SHARED, a->fd, 0);
	tap_ok(m == MAP_FAILED && errno == EACCES, "it cannot be mapped writable (EACCES)");
	if (m != MAP_FAILED)
		munmap(m, a->f.size);
	tap_ok(ftruncate(a->fd, 0) && fallocate(a->fd, 0, 0, 1 << 30),
	       "nor truncated, nor grown");
	tap_ok(shows(a, ~0u), "a new surface is black");

	b = viewer_new(d, false);
	ret = viewer_poll(b);
	tap_ok(ret == 1 && b->f.mode_changed && b->f.width == 640 && b->f.nr_rects == 1 &&
	       is_rect(&b->f.rects[0], 0, 0, 640, 480) && b->f.cursor_changed && !b->f.cursor_w &&
	       b->f.cursor_moved && !b->f.cursor_visible,
	       "a viewer that comes later: first poll has mode, full damage, (no) cursor");
	tap_ok(!fstat(b->fd, &st) && a->fd >= 0 && ({ struct stat sa; !fstat(a->fd, &sa) &&
	       sa.st_ino == st.st_ino; }), "both viewers map the same memfd");

	/* A new mode: the old memfd stays mapped, whole, until the viewer polls. */
	draw_all(d, 640, 480, 5);
	viewer_poll(a);
	ret = display_set_mode(d, 32, 32, DISPLAY_FORMAT_XRGB8888);
	tap_ok(ret == 0 && shows(a, 5),
	       "after a mode change the old mapping still reads, every byte (no SIGBUS)");
	{
		struct rlimit old, low;
		int probe = dup(0);

		/* Out of fds: the poll fails and keeps everything pending. */
		getrlimit(RLIMIT_NOFILE, &old);
		low = old;
		low.rlim_cur = probe >= 0 ? (rlim_t)probe : 0;
		if (probe >= 0)
			close(probe);
		setrlimit(RLIMIT_NOFILE, &low);
		ret = display_viewer_poll(a->v, &a->f);
		setrlimit(RLIMIT_NOFILE, &old);
		tap_ok(ret == -EMFILE, "poll with no fd left: -EMFILE (%d)", ret);
		tap_ok(viewer_poll(a) == 1 && a->f.mode_changed && a->f.fd >= 0 && a->width == 32 &&
		       shows(a, ~0u), "polled again: the new mode was kept for it");
	}

	ret = display_set_mode(d, 0, 0, 0);
	tap_ok(ret == 0 && viewer_poll(a) == 1 && a->f.mode_changed && a->f.fd == -1 &&
	       !a->f.width && !a->f.nr_rects && !a->map, "width 0: the scanout is off (fd -1)");
	ret = display_set_mode(d, 64, 64, DISPLAY_FORMAT_BGRA8888);
	tap_ok(ret == 0 && viewer_poll(b) == 1 && b->f.mode_changed &&
	       b->f.format == DISPLAY_FORMAT_BGRA8888 && b->f.width == 64 && atomic_load(&b->wakes) == 1,
	       "mode after mode: one wake for the viewer that did not poll in between");
	tap_ok(display_set_mode(d, 64, 64, 0x12345678) == -EINVAL && viewer_poll(b) == 0,
	       "a failed set_mode leaves the old mode, no change for viewers");
	{
		struct display_viewer *quiet;
		struct display_frame *f = malloc(sizeof(*f));

		/* A viewer without ops (input only) is never woken, still polls. */
		ret = display_viewer_new(d, NULL, NULL, false, &quiet);
		tap_ok(!ret && f && display_viewer_poll(quiet, f) == 1 && f->mode_changed &&
		       f->fd >= 0 && !close(f->fd), "a viewer without ops: polls");
		draw_all(d, 64, 64, 6);
		tap_ok(f && display_viewer_poll(quiet, f) == 1 && f->nr_rects == 1 &&
		       display_viewer_poll(quiet, f) == 0, "and gets damage without a wake()");
		display_viewer_free(quiet);
		free(f);
	}
	viewer_free(a);
	viewer_free(b);
	display_destroy(d);
}

/* ---- pixels ---- */

static void test_pixels(void)
{
	struct display *d = new_display(NULL, NULL);
	struct viewer *a = viewer_new(d, false);
	const uint32_t sstride = 1000;	/* bytes: more than 100 pixels x 4 */
	uint8_t *src = calloc(60, sstride);
	uint32_t x, y;
	bool ok;

	display_set_mode(d, 100, 50, DISPLAY_FORMAT_XRGB8888);
	viewer_poll(a);
	for (y = 0; y < 60; y++)
		for (x = 0; x < 250; x++)
			((uint32_t *)(src + y * sstride))[x] = pattern(x, y, 7);

	/* src points at pixel (r.x, r.y): here the top-left of our buffer. */
	display_update(d, &(struct display_rect){ 10, 5, 20, 10 }, src, sstride);
	tap_ok(viewer_poll(a) == 1 && a->f.nr_rects == 1 && is_rect(&a->f.rects[0], 10, 5, 20, 10),
	       "update: damage is its rectangle");
	ok = true;
	for (y = 0; y < 50; y++)
		for (x = 0; x < 100; x++) {
			bool in = x >= 10 && x < 30 && y >= 5 && y < 15;
			uint32_t want = in ? pattern(x - 10, y - 5, 7) : 0;

			ok &= vpix(a, x, y) == want;
		}
	tap_ok(ok, "the mapping shows exactly those pixels (source stride %u > width x 4)", sstride);

	display_update(d, &(struct display_rect){ 90, 45, 50, 50 }, src, sstride);
	tap_ok(viewer_poll(a) == 1 && a->f.nr_rects == 1 && is_rect(&a->f.rects[0], 90, 45, 10, 5),
	       "a rectangle over the edge is clipped (damage 10x5)");
	ok = vpix(a, 99, 49) == pattern(9, 4, 7) && vpix(a, 90, 45) == pattern(0, 0, 7) &&
	     vpix(a, 89, 45) == 0 && vpix(a, 90, 44) == 0;
	tap_ok(ok, "clipped pixels land right, nothing outside");

	display_update(d, &(struct display_rect){ 95, 0, UINT32_MAX, 1 }, src, sstride);
	tap_ok(viewer_poll(a) == 1 && a->f.nr_rects == 1 && is_rect(&a->f.rects[0], 95, 0, 5, 1) &&
	       vpix(a, 99, 0) == pattern(4, 0, 7), "x + width wrapping 32 bits is clipped, not wrapped");
	atomic_store(&a->wakes, 0);
	display_update(d, &(struct display_rect){ 100, 0, 1, 1 }, src, sstride);
	display_update(d, &(struct display_rect){ 0, 50, 1, 1 }, src, sstride);
	display_update(d, &(struct display_rect){ 0, 0, 0, 10 }, src, sstride);
	display_update(d, &(struct display_rect){ UINT32_MAX, UINT32_MAX, 2, 2 }, src, sstride);
	tap_ok(viewer_poll(a) == 0 && !atomic_load(&a->wakes),
	       "rectangles outside the surface or empty: nothing, no wake");
	display_update(d, &(struct display_rect){ 0, 0, 10, 2 }, src, 8);
	tap_ok(viewer_poll(a) == 0 && vpix(a, 0, 0) == 0,
	       "a source stride shorter than a row: dropped");
	viewer_free(a);
	display_destroy(d);
	free(src);
}

/* ---- damage ---- */

static uint32_t zeros[1024 * 768];	/* a source for damage-only updates */

static void damage(struct display *d, uint32_t x, uint32_t y, uint32_t w, uint32_t h)
{
	display_update(d, &(struct display_rect){ x, y, w, h }, zeros, 1024 * 4);
}

static void test_damage(void)
{
	struct display *d = new_display(NULL, NULL);
	struct viewer *a = viewer_new(d, false);
	unsigned i;

	display_set_mode(d, 1024, 768, DISPLAY_FORMAT_XRGB8888);
	viewer_poll(a);
	atomic_store(&a->wakes, 0);

	damage(d, 100, 100, 200, 100);
	damage(d, 150, 120, 10, 10);
	tap_ok(viewer_poll(a) == 1 && a->f.nr_rects == 1 && is_rect(&a->f.rects[0], 100, 100, 200, 100),
	       "a rectangle inside a pending one is dropped");
	damage(d, 150, 120, 10, 10);
	damage(d, 100, 100, 200, 100);
	tap_ok(viewer_poll(a) == 1 && a->f.nr_rects == 1 && is_rect(&a->f.rects[0], 100, 100, 200, 100),
	       "one containing a pending one replaces it");
	damage(d, 0, 0, 100, 20);
	damage(d, 100, 0, 100, 20);
	tap_ok(viewer_poll(a) == 1 && a->f.nr_rects == 1 && is_rect(&a->f.rects[0], 0, 0, 200, 20),
	       "two halves of a band unite");
	damage(d, 0, 0, 10, 10);
	damage(d, 1000, 700, 10, 10);
	tap_ok(viewer_poll(a) == 1 && a->f.nr_rects == 2,
	       "two far corners stay apart (the union would be the screen)");
	tap_ok(atomic_load(&a->wakes) == 4, "one wake per poll cycle (%d for 4)",
	       atomic_load(&a->wakes));

	atomic_store(&a->wakes, 0);
	for (i = 0; i < DISPLAY_MAX_RECTS; i++)
		damage(d, i * 60, i * 40, 5, 5);
	tap_ok(atomic_load(&a->wakes) == 1, "16 updates without a poll: one wake");
	tap_ok(viewer_poll(a) == 1 && a->f.nr_rects == DISPLAY_MAX_RECTS,
	       "16 disjoint rectangles are kept apart");
	for (i = 0; i <= DISPLAY_MAX_RECTS; i++)
		damage(d, 10 + i * 60, 20 + i * 40, 5, 5);
	tap_ok(viewer_poll(a) == 1 && a->f.nr_rects == 1 &&
	       is_rect(&a->f.rects[0], 10, 20, 16 * 60 + 5, 16 * 40 + 5),
	       "the 17th collapses them into their bounding box");
	tap_ok(atomic_load(&a->wakes) == 2 && viewer_poll(a) == 0, "and still one wake for it");
	viewer_free(a);
	display_destroy(d);
}

/* A viewer that never polls: its pending state stays the same size. */
static void test_frozen(void)
{
	struct display *d = new_display(NULL, NULL);
	struct viewer *a = viewer_new(d, false);
	struct viewer *live = viewer_new(d, false);
	static uint8_t drawn[768][1024];
	struct mallinfo2 before, after;
	uint32_t seed = 12345, x, y, i;
	unsigned r, missed = 0;

	display_set_mode(d, 1024, 768, DISPLAY_FORMAT_XRGB8888);
	viewer_poll(a);
	viewer_poll(live);
	atomic_store(&a->wakes, 0);
	memset(drawn, 0, sizeof(drawn));
	before = mallinfo2();
	for (i = 0; i < 100000; i++) {
		uint32_t rx, ry, rw, rh;

		seed = seed * 1103515245u + 12345u;
		rx = (seed >> 8) % 1024;
		ry = (seed >> 3) % 768;
		rw = 1 + (seed >> 20) % 8;
		rh = 1 + (seed >> 26) % 8;
		damage(d, rx, ry, rw, rh);
		for (y = ry; y < ry + rh && y < 768; y++)
			for (x = rx; x < rx + rw && x < 1024; x++)
				drawn[y][x] = 1;
		if (i % 1000 == 999)
			viewer_poll(live);
	}
	after = mallinfo2();
	tap_ok(atomic_load(&a->wakes) == 1, "100000 updates, a viewer that never polls: 1 wake");
	tap_ok(after.uordblks == before.uordblks,
	       "the updates allocate nothing (heap in use %zu -> %zu bytes)",
	       before.uordblks, after.uordblks);
	tap_ok(viewer_poll(a) == 1 && a->f.nr_rects >= 1 && a->f.nr_rects <= DISPLAY_MAX_RECTS,
	       "its poll: %u rectangles (at most %u)", a->f.nr_rects, DISPLAY_MAX_RECTS);
	for (y = 0; y < 768; y++)
		for (x = 0; x < 1024; x++) {
			bool in = false;

			if (!drawn[y][x])
				continue;
			for (r = 0; r < a->f.nr_rects && !in; r++) {
				const struct display_rect *q = &a->f.rects[r];

				in = x >= q->x && x < q->x + q->w && y >= q->y && y < q->y + q->h;
			}
			missed += !in;
		}
	tap_ok(!missed, "every drawn pixel is inside its damage (%u missed)", missed);
	viewer_free(a);
	viewer_free(live);
	display_destroy(d);
}

/* ---- the cursor ---- */

static void test_cursor(void)
{
	struct display *d = new_display(NULL, NULL);
	struct viewer *a = viewer_new(d, false);
	static uint32_t img[DISPLAY_CURSOR_MAX * DISPLAY_CURSOR_MAX];
	unsigned i;

	display_set_mode(d, 320, 200, DISPLAY_FORMAT_XRGB8888);
	viewer_poll(a);
	atomic_store(&a->wakes, 0);
	for (i = 0; i < sizeof(img) / sizeof(img[0]); i++)
		img[i] = 0x80000000u | i;
	tap_ok(display_cursor_define(d, 65, 10, 0, 0, img) == -EINVAL &&
	       display_cursor_define(d, 10, 65, 0, 0, img) == -EINVAL &&
	       display_cursor_define(d, 10, 0, 0, 0, img) == -EINVAL &&
	       display_cursor_define(d, 10, 10, 10, 0, img) == -EINVAL &&
	       display_cursor_define(d, 10, 10, 0, 10, img) == -EINVAL &&
	       display_cursor_define(d, 10, 10, 0, 0, NULL) == -EINVAL,
	       "cursor_define: past 64x64, height 0, hotspot outside, no image: -EINVAL");
	tap_ok(viewer_poll(a) == 0 && !atomic_load(&a->wakes), "refused definitions change nothing");
	tap_ok(display_cursor_define(d, 64, 64, 63, 63, img) == 0 && atomic_load(&a->wakes) == 1,
	       "64x64 with the hotspot in its last pixel: fine, one wake");
	tap_ok(viewer_poll(a) == 1 && a->f.cursor_changed && a->f.cursor_w == 64 &&
	       a->f.cursor_h == 64 && a->f.cursor_hot_x == 63 && a->f.cursor_hot_y == 63 &&
	       !memcmp(a->f.cursor, img, sizeof(img)) && !a->f.nr_rects && !a->f.cursor_moved,
	       "poll: the image, its size and hotspot; no damage");
	display_cursor_define(d, 3, 2, 1, 1, img + 100);
	tap_ok(viewer_poll(a) == 1 && a->f.cursor_w == 3 && a->f.cursor_h == 2 &&
	       !memcmp(a->f.cursor, img + 100, 6 * 4), "a 3x2 image: packed, 3 pixels a row");
	display_cursor_move(d, -5, 150, true);
	display_cursor_move(d, 17, 42, true);
	tap_ok(viewer_poll(a) == 1 && a->f.cursor_moved && !a->f.cursor_changed &&
	       a->f.cursor_x == 17 && a->f.cursor_y == 42 && a->f.cursor_visible && !a->f.nr_rects &&
	       atomic_load(&a->wakes) == 3,
	       "cursor_move: the last position, visible, no damage, one wake");
	display_cursor_move(d, 17, 42, false);
	tap_ok(viewer_poll(a) == 1 && a->f.cursor_moved && !a->f.cursor_visible, "hidden");
	display_cursor_define(d, 0, 99, 99, 99, NULL);
	tap_ok(viewer_poll(a) == 1 && a->f.cursor_changed && !a->f.cursor_w && !a->f.cursor_h,
	       "width 0: no cursor (the rest ignored)");
	viewer_free(a);
	display_destroy(d);
}

/* ---- the pointer mode ---- */

static void test_pointer_mode(void)
{
	struct display *d = new_display(NULL, NULL);
	struct viewer *a = viewer_new(d, true), *b;

	display_set_mode(d, 320, 200, DISPLAY_FORMAT_XRGB8888);
	tap_ok(viewer_poll(a) == 1 && a->f.pointer_changed && !a->f.pointer_relative &&
	       !display_pointer_relative(d), "a new viewer's first poll: the pointer is absolute");
	atomic_store(&a->wakes, 0);
	display_set_pointer_relative(d, false);
	tap_ok(viewer_poll(a) == 0 && !atomic_load(&a->wakes),
	       "absolute again: no change, no wake");
	display_set_pointer_relative(d, true);
	display_set_pointer_relative(d, true);
	tap_ok(atomic_load(&a->wakes) == 1 && display_pointer_relative(d) &&
	       viewer_poll(a) == 1 && a->f.pointer_changed && a->f.pointer_relative &&
	       !a->f.nr_rects && !a->f.cursor_moved && !a->f.mode_changed,
	       "relative: one wake, the poll says so and nothing else");
	tap_ok(viewer_poll(a) == 0 && !a->f.pointer_changed, "then nothing");
	b = viewer_new(d, false);
	tap_ok(viewer_poll(b) == 1 && b->f.pointer_changed && b->f.pointer_relative,
	       "a viewer that comes later learns it is relative");
	tap_ok(display_private_acquire(a->v) == 0, "private mode taken");
	viewer_poll(a);
	viewer_poll(b);
	display_set_pointer_relative(d, false);
	tap_ok(viewer_poll(b) == 1 && b->f.blank && b->f.pointer_changed && !b->f.pointer_relative &&
	       viewer_poll(a) == 1 && a->f.pointer_changed && !a->f.pointer_relative,
	       "a blanked viewer learns the mode too (it is the guest's, not the holder's)");
	viewer_free(b);
	viewer_free(a);
	display_destroy(d);
}

/* ---- watched: the first drawing viewer and the last ---- */

static atomic_int watched_calls;

static void w_changed(void *opaque)
{
	(void)opaque;
	atomic_fetch_add(&watched_calls, 1);
}

static atomic_int refresh_calls;

static void w_refresh(void *opaque)
{
	(void)opaque;
	atomic_fetch_add(&refresh_calls, 1);
}

static void test_watched(void)
{
	static const struct display_input_ops ops = {
		.watched_changed = w_changed, .refresh = w_refresh,
	};
	struct display *d = NULL;
	struct display_viewer *input_only = NULL;
	struct viewer *a, *b;
	int ret = display_create(&d, NULL, &ops, NULL);

	if (ret)
		fail_exit("display_create", ret);
	tap_ok(!display_watched(d), "watched: not without viewers");
	display_viewer_new(d, NULL, NULL, false, &input_only);
	tap_ok(!display_watched(d) && atomic_load(&watched_calls) == 0,
	       "an input-only viewer does not watch");
	a = viewer_new(d, false);
	tap_ok(display_watched(d) && atomic_load(&watched_calls) == 1,
	       "the first drawing viewer: watched, one call");
	b = viewer_new(d, false);
	viewer_free(a);
	tap_ok(display_watched(d) && atomic_load(&watched_calls) == 1,
	       "a second comes, the first goes: no call");
	viewer_free(b);
	tap_ok(!display_watched(d) && atomic_load(&watched_calls) == 2,
	       "the last goes: not watched, a second call");
	display_viewer_free(input_only);
	tap_ok(atomic_load(&watched_calls) == 2, "the input-only viewer's going: no call");
	display_refresh(d);
	tap_ok(atomic_load(&refresh_calls) == 1, "display_refresh() asks the producer once");
	display_destroy(d);
}

/* ---- private mode ---- */

static void test_private(void)
{
	struct guest g = { 0 };
	struct display *d = new_display(NULL, &g);
	struct viewer *a = viewer_new(d, true);		/* the owner that takes it */
	struct viewer *b = viewer_new(d, false);
	struct viewer *c = viewer_new(d, true);
	struct stat sa, sb;
	uint32_t px = 0xff123456;
	int ret;

	display_set_mode(d, 64, 48, DISPLAY_FORMAT_XRGB8888);
	display_cursor_define(d, 1, 1, 0, 0, &px);
	display_cursor_move(d, 5, 5, true);
	draw_all(d, 64, 48, 1);
	viewer_poll(a);
	viewer_poll(b);
	viewer_poll(c);
	atomic_store(&a->wakes, 0);
	atomic_store(&b->wakes, 0);

	tap_ok(display_private_acquire(b->v) == -EPERM && !display_private_held(d),
	       "acquire by a viewer that is not an owner: -EPERM");
	tap_ok(display_private_release(a->v) == -EINVAL, "release of what nobody holds: -EINVAL");
	ret = display_private_acquire(a->v);
	tap_ok(ret == 0 && display_private_held(d), "acquire by an owner: held");
	tap_ok(display_private_acquire(a->v) == -EALREADY, "again by the holder: -EALREADY");
	tap_ok(display_private_acquire(c->v) == -EBUSY, "by another owner: -EBUSY");
	tap_ok(display_private_release(c->v) == -EINVAL, "release by a non-holder: -EINVAL");
	tap_ok(atomic_load(&a->wakes) == 1 && atomic_load(&b->wakes) == 1, "both woken once");

	tap_ok(viewer_poll(b) == 1 && !b->f.mode_changed && b->f.blank && b->f.nr_rects == 1 &&
	       is_rect(&b->f.rects[0], 0, 0, 64, 48), "non-holder: blank, full damage, same surface");
	tap_ok(shows(b, ~0u), "its mapping is black");
	tap_ok(b->f.cursor_changed && !b->f.cursor_w && b->f.cursor_moved && !b->f.cursor_visible &&
	       !b->f.cursor_x && !b->f.cursor_y, "and it has no cursor (nor its position)");
	tap_ok(viewer_poll(a) == 1 && a->f.mode_changed && !a->f.blank && a->f.width == 64 &&
	       shows(a, 1), "holder: a new surface with the real pixels");
	tap_ok(!fstat(a->fd, &sa) && !fstat(b->fd, &sb) && sa.st_ino != sb.st_ino,
	       "a different memfd from the public one");
	tap_ok(viewer_poll(a) == 0 && !a->f.blank, "holder: nothing more pending");

	draw_all(d, 64, 48, 2);
	display_cursor_move(d, 6, 6, true);
	tap_ok(viewer_poll(a) == 1 && a->f.nr_rects == 1 && shows(a, 2) && a->f.cursor_moved &&
	       a->f.cursor_visible, "updates and the cursor reach the holder");
	tap_ok(viewer_poll(b) == 0 && atomic_load(&b->wakes) == 1 && shows(b, ~0u),
	       "and not the others: no wake, still black");

	tap_ok(display_input_key(b->v, KEY_A, true) == -EACCES &&
	       display_input_abs(b->v, 1, 1) == -EACCES &&
	       display_input_buttons(b->v, DISPLAY_BUTTON_LEFT) == -EACCES &&
	       display_input_wheel(b->v, 1, 0) == -EACCES &&
	       display_input_rel(b->v, 1, 1) == -EACCES &&
	       display_request_size(b->v, 800, 600) == -EACCES &&
	       display_input_key(c->v, KEY_A, true) == -EACCES,
	       "input from non-holders: -EACCES");
	tap_ok(!g.keys && !g.abss && !g.buttons && !g.wheels && !g.rels,
	       "and none of it reached the guest");
	tap_ok(display_input_key(a->v, KEY_B, true) == 0 && g.keys == 1 && g.key_code == KEY_B,
	       "the holder's input does");

	ret = display_private_release(a->v);
	tap_ok(ret == 0 && !display_private_held(d), "release");
	tap_ok(viewer_poll(b) == 1 && !b->f.blank && b->f.nr_rects == 1 &&
	       is_rect(&b->f.rects[0], 0, 0, 64, 48) && shows(b, 2),
	       "non-holder: full damage, not blank, the pixels drawn meanwhile in its mapping");
	tap_ok(b->f.cursor_changed && b->f.cursor_w == 1 && b->f.cursor[0] == px &&
	       b->f.cursor_moved && b->f.cursor_visible && b->f.cursor_x == 6,
	       "and its cursor back");
	tap_ok(viewer_poll(a) == 1 && a->f.mode_changed && shows(a, 2) &&
	       !fstat(a->fd, &sa) && !fstat(b->fd, &sb) && sa.st_ino == sb.st_ino,
	       "holder: back on the public surface");

	/* A mode change while private renews both surfaces. */
	display_private_acquire(a->v);
	viewer_poll(a);
	viewer_poll(b);
	ret = display_set_mode(d, 80, 60, DISPLAY_FORMAT_XRGB8888);
	draw_all(d, 80, 60, 3);
	tap_ok(ret == 0 && viewer_poll(a) == 1 && a->f.mode_changed && a->width == 80 &&
	       shows(a, 3), "mode change while private: the holder gets a new private surface");
	tap_ok(viewer_poll(b) == 1 && b->f.mode_changed && b->f.blank && b->width == 80 &&
	       shows(b, ~0u) && !fstat(a->fd, &sa) && !fstat(b->fd, &sb) && sa.st_ino != sb.st_ino,
	       "the others a new public one, black");

	/* The holder goes away without releasing: a crashed client. */
	viewer_free(a);
	tap_ok(!display_private_held(d), "holder freed: released");
	tap_ok(g.keys == 2 && g.key_code == KEY_B && !g.key_down,
	       "the key it still held (KEY_B) is released in the guest");
	tap_ok(viewer_poll(b) == 1 && !b->f.blank && b->f.nr_rects == 1 && shows(b, 3) &&
	       display_input_key(b->v, KEY_C, false) == 0 && g.keys == 3,
	       "the others see the pixels again, and their input goes through");

	/*
	 * Private mode taken while another viewer holds a key and a button:
	 * both are released in the guest at once (no key left stuck and
	 * repeating), and its later release is not sent twice.
	 */
	{
		struct viewer *o = viewer_new(d, true);
		int keys0;

		display_input_key(b->v, KEY_D, true);
		display_input_buttons(b->v, DISPLAY_BUTTON_LEFT);
		keys0 = g.keys;
		tap_ok(display_private_acquire(o->v) == 0 && g.keys == keys0 + 1 &&
		       g.key_code == KEY_D && !g.key_down && g.mask == 0,
		       "private mode taken: the others' held key and button are released");
		tap_ok(display_input_key(b->v, KEY_D, false) == -EACCES && g.keys == keys0 + 1,
		       "and their own release afterwards is refused, not sent again");
		tap_ok(display_input_key(o->v, KEY_E, true) == 0, "the holder presses a key");
		display_private_release(o->v);
		keys0 = g.keys;
		viewer_free(o);
		tap_ok(g.keys == keys0 + 1 && g.key_code == KEY_E && !g.key_down,
		       "freed with it down: released");
		/* A blanked viewer's release of its own key goes through. */
		display_input_key(b->v, KEY_F, true);
		o = viewer_new(d, true);
		display_private_acquire(o->v);
		keys0 = g.keys;
		tap_ok(g.key_code == KEY_F && !g.key_down, "(held KEY_F released by the acquire)");
		display_private_release(o->v);
		viewer_free(o);
		viewer_poll(b);
	}
	tap_ok(display_private_acquire(c->v) == 0, "another owner may take it now");
	viewer_free(c);
	viewer_free(b);
	display_destroy(d);
}

/* ---- input ---- */

static void test_input(void)
{
	struct guest g = { 0 };
	struct display *d = new_display(NULL, &g), *bare = new_display(NULL, NULL);
	struct viewer *a = viewer_new(d, false), *z = viewer_new(bare, false);

	tap_ok(display_input_abs(a->v, 1, 1) == -ENODEV && !g.abss,
	       "absolute pointer without a mode: -ENODEV");
	display_set_mode(d, 800, 600, DISPLAY_FORMAT_XRGB8888);
	tap_ok(display_input_key(a->v, 0, true) == -EINVAL &&
	       display_input_key(a->v, KEY_MAX + 1, true) == -EINVAL && !g.keys,
	       "key codes 0 and past KEY_MAX: -EINVAL");
	tap_ok(display_input_key(a->v, KEY_ENTER, true) == 0 && g.keys == 1 &&
	       g.key_code == KEY_ENTER && g.key_down, "key down forwarded");
	tap_ok(display_input_key(a->v, KEY_ENTER, false) == 0 && g.keys == 2 && !g.key_down,
	       "key up forwarded");
	tap_ok(display_input_abs(a->v, 100, 200) == 0 && g.abs_x == 100 && g.abs_y == 200 &&
	       g.abs_w == 800 && g.abs_h == 600, "abs: position and the mode's size");
	tap_ok(display_input_abs(a->v, 5000, UINT32_MAX) == 0 && g.abs_x == 799 && g.abs_y == 599,
	       "abs: clipped to the surface");
	tap_ok(display_input_buttons(a->v, DISPLAY_BUTTONS_ALL + 1) == -EINVAL && !g.buttons,
	       "unknown button bits: -EINVAL");
	tap_ok(display_input_buttons(a->v, DISPLAY_BUTTON_LEFT | DISPLAY_BUTTON_RIGHT) == 0 &&
	       g.mask == 5, "buttons forwarded");
	tap_ok(display_input_wheel(a->v, -2, 1) == 0 && g.wheel_dy == -2 && g.wheel_dx == 1,
	       "wheel forwarded");
	tap_ok(display_input_rel(a->v, -7, 9) == 0 && g.rel_dx == -7 && g.rel_dy == 9,
	       "relative motion forwarded");
	tap_ok(display_input_rel(a->v, 0, 0) == 0 && g.rels == 1, "no motion: nothing sent");
	display_set_mode(bare, 100, 100, DISPLAY_FORMAT_XRGB8888);
	tap_ok(!display_input_key(z->v, KEY_A, true) && !display_input_abs(z->v, 1, 1) &&
	       !display_input_buttons(z->v, 1) && !display_input_wheel(z->v, 1, 1) &&
	       !display_input_rel(z->v, 1, 1),
	       "a display without input ops drops input quietly");
	tap_ok(display_request_size(z->v, 800, 600) == -EOPNOTSUPP,
	       "and one without a loop refuses size requests");
	viewer_free(a);
	viewer_free(z);
	display_destroy(d);
	display_destroy(bare);
}

/* ---- the resize debounce ---- */

/* Turns the loop until the guest has seen `want` resizes or timeout_ms pass. */
static int turn_until(struct ioloop *l, struct guest *g, int want, int timeout_ms)
{
	int64_t end = ioloop_now_ns() + timeout_ms * MS;
	int runs = 0;

	while (atomic_load(&g->resizes) < want && ioloop_now_ns() < end)
		runs += ioloop_run_once(l, 20);
	return runs;
}

static void test_resize(void)
{
	struct guest g = { 0 };
	struct ioloop *l = NULL;
	struct display *d;
	struct viewer *a;
	int64_t last, start;
	int i, ret, runs;

	if (ioloop_create(&l))
		fail_exit("ioloop_create", -ENOMEM);
	d = new_display(l, &g);
	a = viewer_new(d, false);
	tap_ok(ioloop_run_once(l, 0) == 0, "an idle display: nothing on the loop");
	tap_ok(display_request_size(a->v, DISPLAY_MIN_WIDTH - 1, 100) == -EINVAL &&
	       display_request_size(a->v, 100, DISPLAY_MIN_HEIGHT - 1) == -EINVAL &&
	       display_request_size(a->v, DISPLAY_MAX_WIDTH + 1, 100) == -EINVAL &&
	       display_request_size(a->v, 100, DISPLAY_MAX_HEIGHT + 1) == -EINVAL &&
	       display_request_size(a->v, 0, 0) == -EINVAL,
	       "request_size outside %ux%u..%ux%u: -EINVAL", DISPLAY_MIN_WIDTH,
	       DISPLAY_MIN_HEIGHT, DISPLAY_MAX_WIDTH, DISPLAY_MAX_HEIGHT);
	tap_ok(ioloop_run_once(l, 150) == 0 && !g.resizes, "refused requests arm nothing");

	ret = 0;
	for (i = 0; i < 1000; i++)
		ret |= display_request_size(a->v, 640 + i, 480 + i / 2);
	last = ioloop_now_ns();
	runs = turn_until(l, &g, 1, 2000);
	tap_ok(!ret && g.resizes == 1 && g.resize_w == 1639 && g.resize_h == 979,
	       "a storm of 1000 requests: one resize, the last size (%ux%u)", g.resize_w, g.resize_h);
	tap_ok(g.resize_at - last >= DISPLAY_RESIZE_SETTLE_MS * MS,
	       "after it settled (%lld ms after the last request)",
	       (long long)((g.resize_at - last) / MS));
	/* The first event finds the last request younger than SETTLE: one re-arm. */
	tap_ok(runs >= 1 && runs <= 2, "at most two timer events for the whole storm (%d)", runs);
	tap_ok(ioloop_run_once(l, 2 * DISPLAY_RESIZE_SETTLE_MS) == 0 && g.resizes == 1,
	       "then nothing more on the loop");

	/* Requests spread over three settle periods: one resize, after the last. */
	runs = 0;
	start = ioloop_now_ns();
	for (i = 0; i < 30; i++) {
		display_request_size(a->v, 1000 + i, 700);
		last = ioloop_now_ns();
		runs += ioloop_run_once(l, 10);
	}
	tap_ok(g.resizes == 1, "a storm longer than the settle time: no resize while it lasts");
	runs += turn_until(l, &g, 2, 2000);
	tap_ok(g.resizes == 2 && g.resize_w == 1029 && g.resize_h == 700 &&
	       g.resize_at - last >= DISPLAY_RESIZE_SETTLE_MS * MS,
	       "then one, the last size, once it settles (%d resizes, %ux%u, %lld ms after)",
	       g.resizes, g.resize_w, g.resize_h, (long long)((g.resize_at - last) / MS));
	/* 30 requests over >= 300 ms; a loaded machine stretches the storm. */
	tap_ok(runs <= (last - start) / (DISPLAY_RESIZE_SETTLE_MS * MS) + 4,
	       "about one timer event per settle period meanwhile, no churn (%d in %lld ms)",
	       runs, (long long)((last - start) / MS));

	for (i = 0; i < 100; i++)
		display_request_size(a->v, 800, 600 + i);
	turn_until(l, &g, 3, 2000);
	sleep_ms(DISPLAY_RESIZE_SETTLE_MS + 20);
	for (i = 0; i < 100; i++)
		display_request_size(a->v, 1024, 700 + i);
	turn_until(l, &g, 4, 2000);
	tap_ok(g.resizes == 4 && g.resize_w == 1024 && g.resize_h == 799,
	       "two storms further apart than the settle time: two resizes");
	tap_ok(ioloop_run_once(l, 2 * DISPLAY_RESIZE_SETTLE_MS) == 0 && g.resizes == 4,
	       "and the loop is idle again");

	/* A request pending when the display goes: the timer is freed with it. */
	display_request_size(a->v, 640, 480);
	viewer_free(a);
	display_destroy(d);
	tap_ok(ioloop_run_once(l, 2 * DISPLAY_RESIZE_SETTLE_MS) == 0 && g.resizes == 4,
	       "destroyed with a request pending: its timer is gone, no resize");
	ioloop_destroy(l);
}

/* ---- threads ---- */

#define CW	256
#define CH	128

struct conc {
	struct display *d;
	struct viewer *vw[2];
	atomic_bool stop;
	atomic_long polls, updates, toggles, modes;
	/* What reached the "guest" (from the poll threads and the loop thread). */
	atomic_long keys, denied, resizes;
	atomic_uint resize_w, resize_h;
};

static void conc_key(void *opaque, uint16_t code, bool down)
{
	struct conc *c = opaque;

	(void)code;
	(void)down;
	atomic_fetch_add(&c->keys, 1);
}

static void conc_resize(void *opaque, uint32_t w, uint32_t h)
{
	struct conc *c = opaque;

	atomic_store(&c->resize_w, w);
	atomic_store(&c->resize_h, h);
	atomic_fetch_add(&c->resizes, 1);
}

static const struct display_input_ops conc_ops = { .key = conc_key, .resize = conc_resize };

static void *producer(void *opaque)
{
	struct conc *c = opaque;
	static uint32_t src[CW * CH];
	uint32_t seed = 1;
	long n = 0;

	while (!atomic_load(&c->stop)) {
		uint32_t x, y, w, h;

		seed = seed * 1103515245u + 12345u;
		x = (seed >> 4) % CW;
		y = (seed >> 12) % CH;
		w = 1 + (seed >> 20) % 64;
		h = 1 + (seed >> 26) % 32;
		src[seed % (CW * CH)] = seed;
		display_update(c->d, &(struct display_rect){ x, y, w, h }, src, CW * 4);
		if (++n % 2000 == 0) {
			display_set_mode(c->d, CW, CH, DISPLAY_FORMAT_XRGB8888);
			atomic_fetch_add(&c->modes, 1);
		}
		if (n % 100 == 0)
			display_cursor_move(c->d, x, y, true);
		if (n % 1000 == 0)
			display_cursor_define(c->d, 4, 4, 1, 1, src);
	}
	atomic_fetch_add(&c->updates, n);
	return NULL;
}

struct poll_arg {
	struct conc *c;
	struct viewer *vw;
};

static void *poll_thread(void *opaque)
{
	struct poll_arg *p = opaque;
	struct viewer *vw = p->vw;
	volatile uint32_t sink = 0;
	long n = 0;

	while (!atomic_load(&p->c->stop)) {
		int ret = viewer_poll(vw);
		unsigned r;

		if (ret < 0)
			continue;
		/* Read the damaged pixels, as a viewer would. */
		for (r = 0; r < vw->f.nr_rects && vw->map; r++) {
			const struct display_rect *q = &vw->f.rects[r];

			if (q->x + q->w <= vw->width && q->y + q->h <= vw->height)
				sink += vpix(vw, q->x + q->w - 1, q->y + q->h - 1);
		}
		/* Input and size requests too: refused while the other holds it. */
		if (n % 64 == 0) {
			ret = display_input_key(vw->v, KEY_A, n & 64);
			ret |= display_request_size(vw->v, 64 + n % 512, 64 + n % 256);
			if (ret == -EACCES)
				atomic_fetch_add(&p->c->denied, 1);
		}
		n++;
	}
	(void)sink;
	atomic_fetch_add(&p->c->polls, n);
	return NULL;
}

static void *toggler(void *opaque)
{
	struct conc *c = opaque;
	long n = 0;

	while (!atomic_load(&c->stop)) {
		if (display_private_acquire(c->vw[0]->v) == 0) {
			sleep_ms(1);
			display_private_release(c->vw[0]->v);
			n++;
		}
		sleep_ms(1);
	}
	atomic_fetch_add(&c->toggles, n);
	return NULL;
}

static void test_threads(void)
{
	struct conc c = { 0 };
	struct ioloop *l = NULL;
	struct poll_arg pa[2];
	pthread_t t[4];
	long before;
	int i, ret;

	/* The resize timer fires on a loop thread of its own here. */
	if (ioloop_create(&l) || ioloop_start(l, "display-test"))
		fail_exit("ioloop", -EIO);
	ret = display_create(&c.d, l, &conc_ops, &c);
	if (ret)
		fail_exit("display_create", ret);
	display_set_mode(c.d, CW, CH, DISPLAY_FORMAT_XRGB8888);
	c.vw[0] = viewer_new(c.d, true);
	c.vw[1] = viewer_new(c.d, false);
	for (i = 0; i < 2; i++) {
		pa[i] = (struct poll_arg){ &c, c.vw[i] };
		pthread_create(&t[i], NULL, poll_thread, &pa[i]);
	}
	pthread_create(&t[2], NULL, producer, &c);
	pthread_create(&t[3], NULL, toggler, &c);
	sleep_ms(1000);
	atomic_store(&c.stop, true);
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	tap_diag("threads: %ld updates, %ld mode changes, %ld polls, %ld private toggles, "
		 "%ld keys, %ld refused, %ld resizes", atomic_load(&c.updates),
		 atomic_load(&c.modes), atomic_load(&c.polls), atomic_load(&c.toggles),
		 atomic_load(&c.keys), atomic_load(&c.denied), atomic_load(&c.resizes));
	tap_ok(atomic_load(&c.updates) > 0 && atomic_load(&c.polls) > 0 &&
	       atomic_load(&c.toggles) > 0 && atomic_load(&c.keys) > 0,
	       "1 s of updates, polls, input, size requests and private toggles at once");
	tap_ok(!display_private_held(c.d), "private mode ends released");

	/* Whatever the storm left settles; then one more request, alone. */
	sleep_ms(3 * DISPLAY_RESIZE_SETTLE_MS);
	before = atomic_load(&c.resizes);
	display_request_size(c.vw[1]->v, 300, 200);
	for (i = 0; i < 200 && atomic_load(&c.resizes) == before; i++)
		sleep_ms(10);
	tap_ok(atomic_load(&c.resizes) == before + 1 && atomic_load(&c.resize_w) == 300 &&
	       atomic_load(&c.resize_h) == 200, "the loop thread's resize: the last size, once");
	draw_all(c.d, CW, CH, 99);
	for (i = 0; i < 2; i++) {
		viewer_poll(c.vw[i]);
		tap_ok(!c.vw[i]->f.blank && c.vw[i]->width == CW && shows(c.vw[i], 99),
		       "viewer %d: the final pixels in its mapping", i);
		tap_ok(viewer_poll(c.vw[i]) == 0, "viewer %d: nothing left pending", i);
	}
	/* A request pending while the display goes, its loop still running. */
	display_request_size(c.vw[0]->v, 400, 300);
	viewer_free(c.vw[0]);
	viewer_free(c.vw[1]);
	display_destroy(c.d);
	ioloop_destroy(l);
}

int main(void)
{
	test_modes();
	test_pixels();
	test_damage();
	test_frozen();
	test_cursor();
	test_pointer_mode();
	test_watched();
	test_private();
	test_input();
	test_resize();
	test_threads();
	return tap_done();
}
