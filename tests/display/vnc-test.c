// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vnc-test.c - the VNC server (monitor/display/vnc.c) against libvncclient:
 * a display on an I/O loop in its own thread, a fake producer drawing
 * known patterns, fake input ops recording what reaches the guest, and
 * clients in this thread over a unix socket and over TCP on 127.0.0.1.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/input-event-codes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <rfb/keysym.h>
#include <rfb/rfbclient.h>

#include "display/display.h"
#include "display/vnc.h"
#include "io/ioloop.h"
#include "tap.h"
#include "vnc-client.h"

#define LOOP_NAME	"vnc-test-loop"

/*
 * LeakSanitizer: libvncserver 0.9.14 leaks the client iterator it takes
 * when a SetDesktopSize succeeds (rfbserver.c, rfbSetDesktopSize: no
 * rfbReleaseClientIterator()); vnc.c bounds how often, this test makes
 * it happen once.
 */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:rfbGetClientIterator\n";
}

static char dir[] = "/tmp/vnc-test.XXXXXX";
static struct ioloop *loop;
static struct display *disp;

/* ---- what reaches the guest ---- */

enum ev_kind { R_KEY, R_ABS, R_BUTTONS, R_WHEEL, R_RESIZE, R_REL };
struct ev {
	enum ev_kind kind;
	int32_t a, b;
};
static pthread_mutex_t ev_lock = PTHREAD_MUTEX_INITIALIZER;
static struct ev evs[256];
static unsigned nr_evs;

static void record(enum ev_kind kind, int32_t a, int32_t b)
{
	pthread_mutex_lock(&ev_lock);
	if (nr_evs < 256)
		evs[nr_evs++] = (struct ev){ kind, a, b };
	pthread_mutex_unlock(&ev_lock);
}

static void op_key(void *o, uint16_t code, bool down)
{
	(void)o;
	record(R_KEY, code, down);
}

static void op_abs(void *o, uint32_t x, uint32_t y, uint32_t w, uint32_t h)
{
	(void)o;
	(void)w;
	(void)h;
	record(R_ABS, x, y);
}

static void op_buttons(void *o, uint32_t mask)
{
	(void)o;
	record(R_BUTTONS, mask, 0);
}

static void op_wheel(void *o, int32_t dy, int32_t dx)
{
	(void)o;
	record(R_WHEEL, dy, dx);
}

static void op_rel(void *o, int32_t dx, int32_t dy)
{
	(void)o;
	record(R_REL, dx, dy);
}

static void op_resize(void *o, uint32_t w, uint32_t h)
{
	(void)o;
	record(R_RESIZE, w, h);
}

static const struct display_input_ops input_ops = {
	.key = op_key, .abs = op_abs, .buttons = op_buttons, .wheel = op_wheel,
	.rel = op_rel, .resize = op_resize,
};

static unsigned evs_count(void)
{
	unsigned n;

	pthread_mutex_lock(&ev_lock);
	n = nr_evs;
	pthread_mutex_unlock(&ev_lock);
	return n;
}

static void evs_clear(void)
{
	pthread_mutex_lock(&ev_lock);
	nr_evs = 0;
	pthread_mutex_unlock(&ev_lock);
}

/* ---- the producer ---- */

static uint32_t W, H, FMT = DISPLAY_FORMAT_XRGB8888;
static uint32_t *screen;		/* what the guest drew, in FMT, W x H */
static uint32_t *expect;		/* the same as 0xRRGGBB */

static uint32_t pattern(uint32_t x, uint32_t y, uint32_t seed)
{
	return ((x * 7 + y + seed * 31) & 0xff) << 16 | ((y * 3 + seed) & 0xff) << 8 |
	       ((x ^ y ^ (seed * 5)) & 0xff);
}

/* 0xRRGGBB as a pixel of FMT (little-endian 32 bits, drm_fourcc.h). */
static uint32_t encode(uint32_t rgb)
{
	uint32_t r = rgb >> 16 & 0xff, g = rgb >> 8 & 0xff, b = rgb & 0xff;

	switch (FMT) {
	case DISPLAY_FORMAT_XBGR8888:
	case DISPLAY_FORMAT_ABGR8888:
		return 0xff000000 | b << 16 | g << 8 | r;
	case DISPLAY_FORMAT_BGRX8888:
	case DISPLAY_FORMAT_BGRA8888:
		return b << 24 | g << 16 | r << 8 | 0xff;
	case DISPLAY_FORMAT_RGBX8888:
	case DISPLAY_FORMAT_RGBA8888:
		return r << 24 | g << 16 | b << 8 | 0xff;
	default:
		return 0xff000000 | rgb;
	}
}

static void draw(uint32_t x0, uint32_t y0, uint32_t w, uint32_t h, uint32_t seed)
{
	struct display_rect r = { x0, y0, w, h };
	uint32_t x, y;

	for (y = y0; y < y0 + h; y++) {
		for (x = x0; x < x0 + w; x++) {
			expect[y * W + x] = pattern(x, y, seed);
			screen[y * W + x] = encode(expect[y * W + x]);
		}
	}
	display_update(disp, &r, &screen[y0 * W + x0], W * 4);
}

static void set_mode_fmt(uint32_t w, uint32_t h, uint32_t fmt, uint32_t seed)
{
	free(screen);
	free(expect);
	W = w;
	H = h;
	FMT = fmt;
	screen = calloc((size_t)w * h, 4);
	expect = calloc((size_t)w * h, 4);
	if (display_set_mode(disp, w, h, fmt))
		tap_diag("display_set_mode failed");
	draw(0, 0, w, h, seed);
}

static void set_mode(uint32_t w, uint32_t h, uint32_t seed)
{
	set_mode_fmt(w, h, DISPLAY_FORMAT_XRGB8888, seed);
}

/* ---- clients ---- */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static char *password_answer;

static char *get_password(rfbClient *c)
{
	(void)c;
	return strdup(password_answer ? password_answer : "");
}

static int cursor_w, cursor_h, cursor_hx, cursor_hy;
static unsigned cursor_shapes;
static uint8_t cursor_mask0;

static void got_cursor(rfbClient *c, int xhot, int yhot, int w, int h, int bpp)
{
	(void)bpp;
	cursor_w = w;
	cursor_h = h;
	cursor_hx = xhot;
	cursor_hy = yhot;
	cursor_mask0 = c->rcMask ? c->rcMask[0] : 0xff;
	cursor_shapes++;
	/* libvncclient 0.9.14 allocates a new one for each shape without freeing this. */
	free(c->rcMask);
	c->rcMask = NULL;
}

static void quiet(const char *fmt, ...)
{
	(void)fmt;
}

static rfbClient *client_connect(const char *host, int port, const char *encodings)
{
	rfbClient *c = rfbGetClient(8, 3, 4);
	int argc = 0;

	free(c->serverHost);
	c->serverHost = strdup(host);
	c->serverPort = port;
	c->appData.encodingsString = encodings;
	c->appData.enableJPEG = FALSE;
	c->appData.useRemoteCursor = TRUE;
	c->GetPassword = get_password;
	c->GotCursorShape = got_cursor;
	c->canHandleNewFBSize = TRUE;
	if (!rfbInitClient(c, &argc, NULL))
		return NULL;		/* rfbInitClient freed it */
	return c;
}

/* Handles what the server sends for up to `ms`, or until done() says so. */
static bool pump(rfbClient *c, int ms, bool (*done)(rfbClient *, void *), void *arg)
{
	double end = now() + ms / 1000.0;

	while (now() < end) {
		if (done && done(c, arg))
			return true;
		/* libvncclient reads ahead: what it holds no select() sees. */
		int n = c->buffered ? 1 : WaitForMessage(c, 10000);

		if (n < 0)
			return false;
		if (n > 0 && !HandleRFBServerMessage(c))
			return false;
	}
	return done ? done(c, arg) : true;
}

static uint32_t client_pixel(rfbClient *c, int x, int y)
{
	uint32_t p = ((uint32_t *)c->frameBuffer)[y * c->width + x];
	uint32_t r = (p >> c->format.redShift) & 0xff, g = (p >> c->format.greenShift) & 0xff,
		 b = (p >> c->format.blueShift) & 0xff;

	return r << 16 | g << 8 | b;
}

/* Does the client show what the producer drew (or black)? */
static bool shows_screen(rfbClient *c, void *arg)
{
	int x, y;

	(void)arg;
	if (c->width != (int)W || c->height != (int)H)
		return false;
	for (y = 0; y < c->height; y++)
		for (x = 0; x < c->width; x++)
			if (client_pixel(c, x, y) != expect[y * W + x])
				return false;
	return true;
}

static bool shows_black(rfbClient *c, void *arg)
{
	int x, y;

	(void)arg;
	for (y = 0; y < c->height; y++)
		for (x = 0; x < c->width; x++)
			if (client_pixel(c, x, y))
				return false;
	return c->width > 0;
}

/* What reached the guest is exactly want[0..n) (else each event as a diagnostic). */
static bool evs_are(const struct ev *want, unsigned n)
{
	bool ok = evs_count() == n;
	unsigned i;

	for (i = 0; ok && i < n; i++)
		ok = evs[i].kind == want[i].kind && evs[i].a == want[i].a && evs[i].b == want[i].b;
	if (!ok)
		for (i = 0; i < evs_count(); i++)
			tap_diag("ev %u: %d %d %d", i, evs[i].kind, evs[i].a, evs[i].b);
	return ok;
}

static bool got_events(rfbClient *c, void *arg)
{
	(void)c;
	return evs_count() >= *(unsigned *)arg;
}

static bool got_cursor_shape(rfbClient *c, void *arg)
{
	(void)c;
	return cursor_shapes >= *(unsigned *)arg;
}

static struct vnc_server *start(const char *spec, const char *pwfile, char *err)
{
	struct vnc_options o;
	struct vnc_server *s = NULL;

	err[0] = 0;
	if (vnc_options_parse(spec, &o, err, 256))
		return NULL;
	if (pwfile && vnc_options_load_password(&o, pwfile, err, 256))
		return NULL;
	if (vnc_server_start(&s, disp, loop, &o, err, 256))
		return NULL;
	return s;
}

/* ---- the loop thread's wake-ups, from the kernel's count ---- */

static long loop_switches(void)
{
	char path[300], buf[4096], *p;
	pid_t tid = 0;
	FILE *f;
	long n = -1;

	/* The loop thread is the one named LOOP_NAME. */
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;

	while (d && !tid && (e = readdir(d))) {
		char comm[64] = "";

		snprintf(path, sizeof(path), "/proc/self/task/%s/comm", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f) && !strncmp(comm, LOOP_NAME, strlen(LOOP_NAME)))
			tid = atoi(e->d_name);
		fclose(f);
	}
	if (d)
		closedir(d);
	if (!tid)
		return -1;
	snprintf(path, sizeof(path), "/proc/self/task/%d/status", tid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(buf, sizeof(buf), f))
		if ((p = strstr(buf, "voluntary_ctxt_switches:")) == buf)
			n = atol(buf + strlen("voluntary_ctxt_switches:"));
	fclose(f);
	return n;
}

/* ---- the tests ---- */

static const char *sock_path(const char *name)
{
	static char buf[4][256];
	static int n;

	n = (n + 1) % 4;
	snprintf(buf[n], sizeof(buf[n]), "%s/%s", dir, name);
	return buf[n];
}

static void test_screen_and_input(void)
{
	struct vnc_server_stats st0, st1;
	char spec[300], err[256];
	struct vnc_server *s;
	rfbClient *c;
	unsigned want;
	long sw0, sw1;

	snprintf(spec, sizeof(spec), "unix:%s", sock_path("vnc.sock"));
	s = start(spec, NULL, err);
	tap_ok(s != NULL, "server on %s (%s)", spec, err);
	if (!s)
		return;
	{
		struct stat stt = { 0 };
		int r = lstat(sock_path("vnc.sock"), &stt);

		tap_ok(!r && S_ISSOCK(stt.st_mode) && (stt.st_mode & 0777) == 0600, "the socket is mode 0600 (%o)",
		       stt.st_mode & 0777);
	}
	c = client_connect(sock_path("vnc.sock"), 0, getenv("ENC") ?: "zrle raw");
	tap_ok(c != NULL, "libvncclient connects over the unix socket");
	if (!c)
		goto out;
	tap_ok(pump(c, 3000, shows_screen, NULL) && c->width == 320 && c->height == 240,
	       "the client's 320x240 framebuffer equals the pattern, pixel for pixel");

	draw(10, 20, 50, 30, 1);
	tap_ok(pump(c, 3000, shows_screen, NULL), "a 50x30 update at (10,20) arrives and matches");
	draw(300, 230, 20, 10, 2);
	draw(0, 0, 1, 1, 3);
	tap_ok(pump(c, 3000, shows_screen, NULL), "two more updates (a corner, one pixel) match");

	set_mode(400, 300, 4);
	tap_ok(pump(c, 3000, shows_screen, NULL) && c->width == 400 && c->height == 300,
	       "a mode change reaches the client: 400x300 (DesktopSize) with the new pixels");

	/* Idle: nothing drawn, the client quiet (its next request outstanding). */
	pump(c, 200, NULL, NULL);
	vnc_server_stats(s, &st0);
	sw0 = loop_switches();
	usleep(1000000);
	vnc_server_stats(s, &st1);
	sw1 = loop_switches();
	tap_ok(st1.callbacks == st0.callbacks,
	       "idle for 1 s with a client connected: %llu server callbacks",
	       (unsigned long long)(st1.callbacks - st0.callbacks));
	tap_ok(sw0 >= 0 && sw1 - sw0 <= 1, "idle for 1 s: the loop thread woke %ld times", sw1 - sw0);

	/* Keys: keysyms in, evdev codes out; an unknown keysym is dropped. */
	evs_clear();
	SendKeyEvent(c, XK_a, TRUE);
	SendKeyEvent(c, XK_a, FALSE);
	SendKeyEvent(c, XK_Shift_L, TRUE);
	SendKeyEvent(c, XK_exclam, TRUE);
	SendKeyEvent(c, XK_exclam, FALSE);
	SendKeyEvent(c, XK_Shift_L, FALSE);
	SendKeyEvent(c, 0x1234567, TRUE);
	SendKeyEvent(c, XK_F12, TRUE);
	SendKeyEvent(c, XK_KP_Enter, TRUE);
	SendKeyEvent(c, XK_Control_R, TRUE);
	want = 9;
	pump(c, 3000, got_events, &want);
	{
		static const struct { uint16_t code; bool down; } keys[] = {
			{ KEY_A, 1 }, { KEY_A, 0 }, { KEY_LEFTSHIFT, 1 }, { KEY_1, 1 }, { KEY_1, 0 },
			{ KEY_LEFTSHIFT, 0 }, { KEY_F12, 1 }, { KEY_KPENTER, 1 }, { KEY_RIGHTCTRL, 1 },
		};
		bool ok = evs_count() == 9;

		for (unsigned i = 0; ok && i < 9; i++)
			ok = evs[i].kind == R_KEY && evs[i].a == keys[i].code &&
			     evs[i].b == keys[i].down;
		tap_ok(ok, "keys: a, Shift_L + exclam (KEY_1), F12, KP_Enter, Control_R arrive as "
		       "evdev codes, the unknown keysym dropped (%u events)", evs_count());
	}

	/* Pointer: abs, buttons 1-3, wheel 4-7. */
	evs_clear();
	SendPointerEvent(c, 100, 50, 0);
	SendPointerEvent(c, 101, 51, 1);
	SendPointerEvent(c, 101, 51, 0);
	SendPointerEvent(c, 101, 51, 2);
	SendPointerEvent(c, 101, 51, 4);
	SendPointerEvent(c, 101, 51, 0);
	SendPointerEvent(c, 101, 51, 8);
	SendPointerEvent(c, 101, 51, 0);
	SendPointerEvent(c, 101, 51, 16);
	SendPointerEvent(c, 101, 51, 0);
	SendPointerEvent(c, 101, 51, 32);
	SendPointerEvent(c, 101, 51, 0);
	SendPointerEvent(c, 101, 51, 64);
	SendPointerEvent(c, 399, 299, 0);
	want = 14 + 6 + 4;
	pump(c, 3000, got_events, &want);
	{
		static const struct ev want_evs[] = {
			{ R_ABS, 100, 50 },
			{ R_ABS, 101, 51 }, { R_BUTTONS, DISPLAY_BUTTON_LEFT, 0 },
			{ R_ABS, 101, 51 }, { R_BUTTONS, 0, 0 },
			{ R_ABS, 101, 51 }, { R_BUTTONS, DISPLAY_BUTTON_MIDDLE, 0 },
			{ R_ABS, 101, 51 }, { R_BUTTONS, DISPLAY_BUTTON_RIGHT, 0 },
			{ R_ABS, 101, 51 }, { R_BUTTONS, 0, 0 },
			{ R_ABS, 101, 51 }, { R_WHEEL, 1, 0 },
			{ R_ABS, 101, 51 },
			{ R_ABS, 101, 51 }, { R_WHEEL, -1, 0 },
			{ R_ABS, 101, 51 },
			{ R_ABS, 101, 51 }, { R_WHEEL, 0, -1 },
			{ R_ABS, 101, 51 },
			{ R_ABS, 101, 51 }, { R_WHEEL, 0, 1 },
			{ R_ABS, 399, 299 },
		};
		pump(c, 100, NULL, NULL);
		tap_ok(evs_are(want_evs, sizeof(want_evs) / sizeof(want_evs[0])),
		       "pointer: positions as abs, buttons 1/2/3 as left/middle/right, 4/5 "
		       "wheel up/down, 6/7 left/right, one click per press (%u events)", evs_count());
	}

	/* The guest drives its relative mouse: positions become deltas. */
	evs_clear();
	display_set_pointer_relative(disp, true);
	SendPointerEvent(c, 110, 40, 0);
	SendPointerEvent(c, 110, 40, 1);
	SendPointerEvent(c, 90, 45, 0);
	want = 4;
	pump(c, 3000, got_events, &want);
	{
		static const struct ev want_evs[] = {
			{ R_REL, -289, -259 }, { R_BUTTONS, DISPLAY_BUTTON_LEFT, 0 },
			{ R_REL, -20, 5 }, { R_BUTTONS, 0, 0 },
		};
		pump(c, 100, NULL, NULL);
		tap_ok(evs_are(want_evs, sizeof(want_evs) / sizeof(want_evs[0])),
		       "relative pointer mode: motion from the client's last position as "
		       "deltas, none for a button alone, no absolute positions (%u events)",
		       evs_count());
	}
	display_set_pointer_relative(disp, false);

	/* The cursor, as a shape (RichCursor). */
	{
		uint32_t argb[16 * 16];
		unsigned n = cursor_shapes + 1;

		for (unsigned i = 0; i < 16 * 16; i++)
			argb[i] = (i % 16) < 8 ? 0xffffffff : 0x00000000;
		display_cursor_define(disp, 16, 16, 3, 4, argb);
		bool ok = pump(c, 3000, got_cursor_shape, &n);

		/* libvncclient hands the mask over a byte a pixel. */
		tap_ok(ok && cursor_w == 16 && cursor_h == 16 && cursor_hx == 3 && cursor_hy == 4 &&
		       cursor_mask0 == 1,
		       "the cursor reaches the client as a 16x16 shape, hotspot (3,4), mask "
		       "from alpha (%dx%d %d,%d mask %02x)", cursor_w, cursor_h, cursor_hx,
		       cursor_hy, cursor_mask0);
	}

	/* Private mode held by another (owner) viewer. */
	{
		struct display_viewer *owner;
		unsigned n;

		display_viewer_new(disp, NULL, NULL, true, &owner);
		tap_ok(!display_private_acquire(owner), "an owner viewer takes private mode");
		tap_ok(pump(c, 3000, shows_black, NULL) && c->width == 400,
		       "the VNC client sees black, of the same size");
		draw(0, 0, 400, 300, 5);
		pump(c, 300, NULL, NULL);
		tap_ok(shows_black(c, NULL), "what the producer draws meanwhile stays hidden");
		evs_clear();
		SendKeyEvent(c, XK_b, TRUE);
		SendPointerEvent(c, 5, 5, 1);
		pump(c, 300, NULL, NULL);
		tap_ok(evs_count() == 0, "its keys and pointer are dropped (%u events)", evs_count());
		display_private_release(owner);
		tap_ok(pump(c, 3000, shows_screen, NULL),
		       "release: the pixels drawn meanwhile come back");
		SendKeyEvent(c, XK_b, FALSE);
		n = 1;
		tap_ok(pump(c, 3000, got_events, &n) && evs[0].a == KEY_B,
		       "and its input reaches the guest again");
		display_viewer_free(owner);
	}

	/*
	 * A client that stops reading while the producer draws 1000 times:
	 * raw encoding at 1024x768, so its first frame (3 MiB) is more than
	 * its socket takes.  The producer, the loop and the other client go
	 * on; what waits for the stalled one stays bounded.
	 */
	{
		struct vnc_server_stats st;
		rfbClient *stalled;
		double t0, t;
		bool ok;
		int queued = -1;

		set_mode(1024, 768, 7);
		tap_ok(pump(c, 5000, shows_screen, NULL), "1024x768: the client follows");
		stalled = client_connect(sock_path("vnc.sock"), 0, "raw");
		tap_ok(stalled != NULL, "a second client connects (raw) and then stops reading");
		pump(c, 300, NULL, NULL);
		t0 = now();
		for (unsigned i = 0; i < 1000; i++)
			draw((i * 37) % 900, (i * 11) % 600, 100, 100, 8 + i);
		t = now() - t0;
		tap_ok(t < 2.0, "1000 updates took the producer %.3f s", t);
		t0 = now();
		ok = pump(c, 5000, shows_screen, NULL);
		t = now() - t0;
		/* libvncserver's blocked write would hold the loop 5 s at least. */
		tap_ok(ok && t < 3.0, "the reading client still gets every pixel of the last "
		       "frame, in %.3f s: the loop never waited on the stalled one", t);
		if (stalled)
			ioctl(stalled->sock, FIONREAD, &queued);
		vnc_server_stats(s, &st);
		/*
		 * What waits for it: what the sockets hold (the kernel's
		 * bound) and one encoded update in its spool at most (raw:
		 * the 3 MiB frame and the headers); the 1000 updates since
		 * are damage in the server, not queued.
		 */
		tap_ok(st.clients == 2 && queued >= 0 && st.spooled <= 1024 * 768 * 4 + 65536,
		       "the stalled client is kept, %d bytes in its socket and %llu in its spool "
		       "(one update at most): the rest waits in the server as damage", queued,
		       (unsigned long long)st.spooled);
		draw(0, 0, 1024, 768, 2000);
		tap_ok(pump(c, 5000, shows_screen, NULL), "and the other client keeps up after");
		tap_ok(stalled && pump(stalled, 5000, shows_screen, NULL),
		       "the stalled client reads again: it catches up with the last frame");
		/*
		 * A screen over the spool's limit (2560x1600: 16 MiB of
		 * pixels) goes in slices of 8 MiB: a client that stops
		 * reading holds one slice, a reading one gets every pixel.
		 */
		{
			rfbClient *big = NULL;

			set_mode(2560, 1600, 9);
			tap_ok(pump(c, 10000, shows_screen, NULL) &&
			       pump(stalled, 10000, shows_screen, NULL),
			       "2560x1600: both clients get every pixel, in slices");
			big = client_connect(sock_path("vnc.sock"), 0, "raw");
			pump(c, 300, NULL, NULL);
			draw(0, 0, 2560, 1600, 3000);
			tap_ok(pump(c, 10000, shows_screen, NULL), "a redraw reaches the reading client");
			vnc_server_stats(s, &st);
			tap_ok(big && st.spooled > 0 && st.spooled <= 2 * (8 * 1024 * 1024 + 65536),
			       "the two clients not reading now hold %llu bytes in their spools: "
			       "one 8 MiB slice each at most, not the 16 MiB screen",
			       (unsigned long long)st.spooled);
			if (big)
				client_close(big);
			set_mode(1024, 768, 7);
			pump(c, 5000, shows_screen, NULL);
			pump(stalled, 5000, shows_screen, NULL);
		}
		/* Stalled again, mid-frame, when the server stops. */
		draw(0, 0, 1024, 768, 2001);
		pump(c, 5000, shows_screen, NULL);
		client_close(c);
		c = NULL;
		t0 = now();
		vnc_server_stop(s);
		s = NULL;
		t = now() - t0;
		tap_ok(t < 1.0 && access(sock_path("vnc.sock"), F_OK) && errno == ENOENT,
		       "stop with a client stalled mid-frame returns (%.3f s); the socket is removed",
		       t);
		if (stalled) {
			char buf[65536];
			ssize_t r;

			while ((r = read(stalled->sock, buf, sizeof(buf))) > 0)
				;
			tap_ok(r == 0, "and the stalled client sees the end of the stream");
			client_close(stalled);
		}
	}
out:
	client_close(c);
	vnc_server_stop(s);
}

static void test_password(void)
{
	char spec[300], err[256], pwfile[300];
	struct vnc_server *s;
	rfbClient *c;
	int fd;

	snprintf(pwfile, sizeof(pwfile), "%s/pw", dir);
	fd = open(pwfile, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, "hunter2\n", 8) != 8)
		tap_diag("writing %s", pwfile);
	close(fd);
	snprintf(spec, sizeof(spec), "unix:%s", sock_path("pw.sock"));
	s = start(spec, pwfile, err);
	tap_ok(s != NULL, "a server with a password (%s)", err);
	if (!s)
		return;
	password_answer = "hunter2";
	c = client_connect(sock_path("pw.sock"), 0, "zrle raw");
	tap_ok(c && pump(c, 3000, shows_screen, NULL), "the right password connects and sees the screen");
	if (c) {
		unsigned n = 3;

		evs_clear();
		SendKeyEvent(c, XK_Control_L, TRUE);
		SendPointerEvent(c, 1, 1, 1);
		pump(c, 3000, got_events, &n);
		evs_clear();
		client_close(c);
		c = NULL;
		for (int i = 0; i < 300 && evs_count() < 2; i++)
			usleep(10000);
		tap_ok(evs_count() == 2 && evs[0].kind == R_KEY && evs[0].a == KEY_LEFTCTRL &&
		       !evs[0].b && evs[1].kind == R_BUTTONS && evs[1].a == 0,
		       "a client that goes with Ctrl and a button down: both released (%u events)",
		       evs_count());
	}
	client_close(c);
	password_answer = "hunter3";
	c = client_connect(sock_path("pw.sock"), 0, "zrle raw");
	tap_ok(!c, "a wrong password is refused");
	client_close(c);
	password_answer = NULL;
	vnc_server_stop(s);
}

static void test_tcp(void)
{
	struct vnc_options o;
	struct vnc_server *s = NULL;
	char err[256] = "";
	rfbClient *c;
	int ret;

	vnc_options_parse("127.0.0.1:1", &o, err, sizeof(err));
	((struct sockaddr_in *)&o.addr)->sin_port = 0;	/* the kernel picks */
	ret = vnc_server_start(&s, disp, loop, &o, err, sizeof(err));
	tap_ok(!ret && vnc_server_port(s) > 0, "a server on 127.0.0.1, port %u (%s)",
	       s ? vnc_server_port(s) : 0, err);
	if (ret)
		return;
	c = client_connect("127.0.0.1", vnc_server_port(s), "zrle raw");
	tap_ok(c && pump(c, 3000, shows_screen, NULL), "a TCP client sees the screen");
	if (c) {
		static const struct { uint32_t fmt; const char *name; } fmts[] = {
			{ DISPLAY_FORMAT_XBGR8888, "XBGR8888" },
			{ DISPLAY_FORMAT_BGRX8888, "BGRX8888" },
			{ DISPLAY_FORMAT_RGBA8888, "RGBA8888" },
			{ DISPLAY_FORMAT_ARGB8888, "ARGB8888" },
		};
		unsigned n;

		for (unsigned i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
			set_mode_fmt(256 + 64 * i, 192, fmts[i].fmt, 50 + i);
			tap_ok(pump(c, 3000, shows_screen, NULL), "a %ux192 %s surface reaches the "
			       "client in its own format, every colour right", 256 + 64 * i,
			       fmts[i].name);
		}
		/* No scanout: black, of the last size. */
		display_set_mode(disp, 0, 0, DISPLAY_FORMAT_XRGB8888);
		tap_ok(pump(c, 3000, shows_black, NULL) && c->width == 448 && c->height == 192,
		       "the scanout disabled: black, still 448x192");
		set_mode(320, 200, 60);
		tap_ok(pump(c, 3000, shows_screen, NULL), "a mode again: 320x200 and its pixels");

		/* ExtendedDesktopSize SetDesktopSize: the guest is asked (after the debounce). */
		evs_clear();
		SendExtDesktopSize(c, 800, 600);
		n = 1;
		tap_ok(pump(c, 3000, got_events, &n) && evs[0].kind == R_RESIZE &&
		       evs[0].a == 800 && evs[0].b == 600,
		       "SetDesktopSize 800x600 reaches the guest's resize op");
		set_mode(800, 600, 61);
		tap_ok(pump(c, 3000, shows_screen, NULL), "and the guest's new mode, the client");
	}
	client_close(c);
	vnc_server_stop(s);

	/* IPv6 loopback, where the host has it. */
	vnc_options_parse("[::1]:1", &o, err, sizeof(err));
	((struct sockaddr_in6 *)&o.addr)->sin6_port = 0;
	ret = vnc_server_start(&s, disp, loop, &o, err, sizeof(err));
	if (ret == -EADDRNOTAVAIL || ret == -EAFNOSUPPORT) {
		tap_diag("no IPv6 loopback here (%s): [::1] not tried", err);
	} else {
		tap_ok(!ret, "a server on [::1], port %u (%s)", s ? vnc_server_port(s) : 0, err);
		c = ret ? NULL : client_connect("::1", vnc_server_port(s), "zrle raw");
		tap_ok(c && pump(c, 3000, shows_screen, NULL), "an IPv6 client sees the screen");
		client_close(c);
		if (!ret)
			vnc_server_stop(s);
	}

	vnc_options_parse("0.0.0.0:5999", &o, err, sizeof(err));
	ret = vnc_server_start(&s, disp, loop, &o, err, sizeof(err));
	tap_ok(ret == -EINVAL && strstr(err, "not a loopback address"),
	       "0.0.0.0 without --vnc-listen-any and a password is refused: %s", err);
}

static void test_socket_path(void)
{
	char spec[300], err[256], want[400];
	struct vnc_server *s, *s2;
	int fd;

	fd = open(sock_path("file"), O_WRONLY | O_CREAT, 0600);
	close(fd);
	snprintf(spec, sizeof(spec), "unix:%s", sock_path("file"));
	s = start(spec, NULL, err);
	snprintf(want, sizeof(want), "%s exists and is not a socket", sock_path("file"));
	tap_ok(!s && !strcmp(err, want), "a path that is a file is refused: %s", err);
	tap_ok(!access(sock_path("file"), F_OK), "and left alone");

	snprintf(spec, sizeof(spec), "unix:%s", sock_path("live.sock"));
	s = start(spec, NULL, err);
	s2 = start(spec, NULL, err);
	snprintf(want, sizeof(want), "%s: another server is listening there", sock_path("live.sock"));
	tap_ok(s && !s2 && !strcmp(err, want), "a socket a live server answers on is refused: %s", err);
	vnc_server_stop(s2);
	/* A stale socket (its server gone without unlinking) is replaced. */
	{
		int l = socket(AF_UNIX, SOCK_STREAM, 0);
		struct sockaddr_un sa = { .sun_family = AF_UNIX };

		strcpy(sa.sun_path, sock_path("stale.sock"));
		if (bind(l, (struct sockaddr *)&sa, sizeof(sa)))
			tap_diag("bind stale: %s", strerror(errno));
		close(l);
		snprintf(spec, sizeof(spec), "unix:%s", sock_path("stale.sock"));
		s2 = start(spec, NULL, err);
		tap_ok(s2 != NULL, "a stale socket is replaced (%s)", err);
		vnc_server_stop(s2);
	}
	vnc_server_stop(s);
}

static int raw_connect(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 5 };
	char buf[12];
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) || read(fd, buf, 12) != 12)
		tap_diag("raw connect: %s", strerror(errno));
	return fd;
}

/*
 * Half a message, the rest a byte at a time: libvncserver would wait in
 * select() for each byte; the server hands it whole messages only, so
 * the loop and the other clients go on, and the trickler is dropped
 * after VNC_CLIENT_WAIT_MS.
 */
static void test_trickle(void)
{
	char spec[300], err[256], buf[64];
	struct vnc_server *s;
	double worst = 0, t0;
	rfbClient *c;
	int fd, slow, i;
	ssize_t r;
	bool ok = true;

	snprintf(spec, sizeof(spec), "unix:%s", sock_path("trickle.sock"));
	s = start(spec, NULL, err);
	c = s ? client_connect(sock_path("trickle.sock"), 0, "zrle raw") : NULL;
	if (!c || !pump(c, 3000, shows_screen, NULL)) {
		tap_ok(0, "a server and a client for the trickle (%s)", err);
		client_close(c);
		vnc_server_stop(s);
		return;
	}
	fd = raw_connect(sock_path("trickle.sock"));
	slow = raw_connect(sock_path("trickle.sock"));
	if (write(fd, "RFB 003", 7) != 7 || write(slow, "RFB 003.0", 9) != 9)
		tap_diag("write: %s", strerror(errno));
	for (i = 0; i < 6; i++) {
		/* 10 of its 12 bytes, and then nothing. */
		if (i < 3 && write(fd, ".", 1) != 1)
			break;
		if (i == 1 && write(slow, "08\n", 3) != 3)
			tap_diag("write: %s", strerror(errno));
		draw(0, 0, 64, 64, 3000 + i);
		t0 = now();
		ok = ok && pump(c, 3000, shows_screen, NULL);
		if (now() - t0 > worst)
			worst = now() - t0;
		usleep(250000);
	}
	tap_ok(ok && worst < 0.2, "while a client sends its version string a byte every 250 ms "
	       "and stops short, updates reach another client in %.3f s at worst", worst);
	r = read(slow, buf, sizeof(buf));
	tap_ok(r >= 2 && buf[0] >= 1, "one that finishes its message within %d ms goes on "
	       "(%zd bytes of security types)", VNC_CLIENT_WAIT_MS, r);
	/* Closed with its half message unread: the peer sees a reset (or the end). */
	r = read(fd, buf, sizeof(buf));
	tap_ok(r == 0 || (r < 0 && errno == ECONNRESET), "the trickler is dropped after %d ms of half a message (read %zd)",
	       VNC_CLIENT_WAIT_MS, r);
	close(fd);
	/* slow stopped after its version: no handshake in time, it goes too. */
	vnc_server_set_handshake_ms(s, 300);
	fd = raw_connect(sock_path("trickle.sock"));
	t0 = now();
	r = read(fd, buf, sizeof(buf));
	tap_ok(r == 0 && now() - t0 < 2.0, "a connection that says nothing is closed when the "
	       "handshake time is up (%.3f s)", now() - t0);
	close(fd);
	pump(c, 400, NULL, NULL);
	{
		struct vnc_server_stats st;

		vnc_server_stats(s, &st);
		tap_ok(st.clients == 2, "the client through its handshake stays, with the one that "
		       "came under the old limit (%u clients)", st.clients);
	}
	close(slow);
	client_close(c);
	vnc_server_stop(s);
}

/* More than VNC_MAX_CLIENTS connections: the extra one is closed at once. */
static void test_max_clients(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fds[VNC_MAX_CLIENTS + 1], i, greeted = 0;
	struct vnc_server_stats st;
	char spec[300], err[256], buf[16];
	struct vnc_server *s;
	ssize_t r = -1;

	snprintf(spec, sizeof(spec), "unix:%s", sock_path("max.sock"));
	s = start(spec, NULL, err);
	if (!s) {
		tap_ok(0, "a server for the client limit (%s)", err);
		return;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path("max.sock"));
	for (i = 0; i <= VNC_MAX_CLIENTS; i++) {
		struct timeval tv = { .tv_sec = 5 };

		fds[i] = socket(AF_UNIX, SOCK_STREAM, 0);
		setsockopt(fds[i], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		if (connect(fds[i], (struct sockaddr *)&sa, sizeof(sa)))
			tap_diag("connect %d: %s", i, strerror(errno));
		/* One at a time, so the last is the one over the limit. */
		r = read(fds[i], buf, 12);
		if (i < VNC_MAX_CLIENTS)
			greeted += r == 12 && !memcmp(buf, "RFB 003.008\n", 12);
	}
	vnc_server_stats(s, &st);
	tap_ok(greeted == VNC_MAX_CLIENTS && r == 0 && st.clients == VNC_MAX_CLIENTS,
	       "%d connections are greeted, the next is closed (%d greeted, last read %zd, "
	       "%u clients)", VNC_MAX_CLIENTS, greeted, r, st.clients);
	for (i = 0; i <= VNC_MAX_CLIENTS; i++)
		close(fds[i]);
	vnc_server_stop(s);
}

/* The server on a loop this thread turns by hand, as tests and tools may. */
static void test_hand_turned(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct display *d2 = NULL;
	struct vnc_server *s = NULL;
	struct ioloop *l2 = NULL;
	struct vnc_options o;
	char err[256] = "", buf[32] = "";
	ssize_t got = 0;
	int fd, ret, i;

	if (ioloop_create(&l2) || display_create(&d2, l2, &input_ops, NULL)) {
		tap_ok(0, "a second loop and display");
		return;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", sock_path("hand.sock"));
	vnc_options_parse("unix:x", &o, err, sizeof(err));
	snprintf(o.path, sizeof(o.path), "%s", sa.sun_path);
	ret = vnc_server_start(&s, d2, l2, &o, err, sizeof(err));
	tap_ok(!ret, "a server on a loop turned by hand (%s)", err);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	if (!ret && !connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		fcntl(fd, F_SETFL, O_NONBLOCK);
		for (i = 0; i < 50 && got < 12; i++) {
			ssize_t r;

			ioloop_run_once(l2, 20);
			r = read(fd, buf + got, 12 - got);
			if (r > 0)
				got += r;
		}
	}
	tap_ok(got == 12 && !memcmp(buf, "RFB 003.008\n", 12),
	       "turning it accepts a connection and the server greets (RFB 003.008)");
	vnc_server_stop(s);
	tap_ok(access(sa.sun_path, F_OK) && errno == ENOENT,
	       "stop on the hand-turned loop returns, the socket removed");
	close(fd);
	display_destroy(d2);
	ioloop_destroy(l2);
}

static void test_keymap(void)
{
	static const struct { uint32_t sym; uint16_t code; } k[] = {
		{ XK_a, KEY_A }, { XK_Z, KEY_Z }, { XK_q, KEY_Q }, { XK_m, KEY_M },
		{ XK_0, KEY_0 }, { XK_1, KEY_1 }, { XK_9, KEY_9 },
		{ XK_at, KEY_2 }, { XK_parenright, KEY_0 }, { XK_underscore, KEY_MINUS },
		{ XK_plus, KEY_EQUAL }, { XK_braceleft, KEY_LEFTBRACE }, { XK_bar, KEY_BACKSLASH },
		{ XK_colon, KEY_SEMICOLON }, { XK_quotedbl, KEY_APOSTROPHE },
		{ XK_asciitilde, KEY_GRAVE }, { XK_less, KEY_COMMA }, { XK_greater, KEY_DOT },
		{ XK_question, KEY_SLASH }, { XK_space, KEY_SPACE },
		{ XK_F1, KEY_F1 }, { XK_F10, KEY_F10 }, { XK_F11, KEY_F11 },
		{ XK_Left, KEY_LEFT }, { XK_Down, KEY_DOWN }, { XK_Page_Up, KEY_PAGEUP },
		{ XK_Page_Down, KEY_PAGEDOWN }, { XK_Home, KEY_HOME }, { XK_End, KEY_END },
		{ XK_Insert, KEY_INSERT }, { XK_Delete, KEY_DELETE },
		{ XK_Return, KEY_ENTER }, { XK_BackSpace, KEY_BACKSPACE }, { XK_Tab, KEY_TAB },
		{ XK_Escape, KEY_ESC },
		{ XK_Shift_R, KEY_RIGHTSHIFT }, { XK_Control_L, KEY_LEFTCTRL },
		{ XK_Alt_L, KEY_LEFTALT }, { XK_Alt_R, KEY_RIGHTALT }, { XK_Meta_L, KEY_LEFTMETA },
		{ XK_Super_L, KEY_LEFTMETA }, { XK_Super_R, KEY_RIGHTMETA },
		{ XK_Caps_Lock, KEY_CAPSLOCK }, { XK_Num_Lock, KEY_NUMLOCK },
		{ XK_Scroll_Lock, KEY_SCROLLLOCK },
		{ XK_KP_0, KEY_KP0 }, { XK_KP_7, KEY_KP7 }, { XK_KP_Home, KEY_KP7 },
		{ XK_KP_Add, KEY_KPPLUS }, { XK_KP_Divide, KEY_KPSLASH },
		{ XK_KP_Decimal, KEY_KPDOT }, { XK_KP_Delete, KEY_KPDOT },
		{ 0x20ac /* EuroSign */, 0 }, { 0, 0 }, { 0xffffff, 0 }, { XK_eacute, 0 },
	};
	unsigned i, bad = 0;

	for (i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		if (vnc_keysym_to_evdev(k[i].sym) != k[i].code) {
			tap_diag("keysym %#x -> %u, want %u", k[i].sym, vnc_keysym_to_evdev(k[i].sym),
				 k[i].code);
			bad++;
		}
	}
	tap_ok(!bad, "%zu keysyms map to their US-layout evdev codes (or none)",
	       sizeof(k) / sizeof(k[0]));
}

int main(void)
{
	char cmd[300];

	signal(SIGPIPE, SIG_IGN);
	if (!getenv("VNC_CLIENT_LOG"))
		rfbClientLog = rfbClientErr = quiet;
	if (getenv("VNC_VERBOSE"))
		vnc_set_verbose(true);
	if (!mkdtemp(dir) || ioloop_create(&loop) || ioloop_start(loop, LOOP_NAME) ||
	    display_create(&disp, loop, &input_ops, NULL)) {
		perror("setup");
		return 1;
	}
	set_mode(320, 240, 0);

	test_keymap();
	test_screen_and_input();
	test_password();
	test_tcp();
	test_socket_path();
	test_hand_turned();
	test_max_clients();
	test_trickle();

	display_destroy(disp);
	ioloop_destroy(loop);
	free(screen);
	free(expect);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd))
		tap_diag("could not remove %s", dir);
	return tap_done();
}
