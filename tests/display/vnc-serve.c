// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vnc-serve - the monitor's VNC server (display/vnc.c over display.c and
 * the I/O loop) serving a known pattern, for standard clients
 * (tests/display/vnc-clients.t: vncsnapshot, gvncviewer).
 *
 *   vnc-serve [-p PWFILE] [-s WxH] [-M WxH] [-m MS] LISTEN
 *       Serves the pattern at WxH (default 640x480) on LISTEN (--vnc's
 *       syntax), with the password of PWFILE (--vnc-password-file's
 *       format) if given.  Prints "ready" once listening, then one line
 *       per input event the guest would get ("key CODE 1|0", "abs X Y",
 *       "buttons MASK", "wheel DY DX", "resize W H").  SIGUSR1, or MS
 *       milliseconds after start, changes the mode to -M's size (default
 *       800x600) with the pattern redrawn ("mode W H").  SIGTERM or
 *       SIGINT: stops the server and exits 0.
 *   vnc-serve -P PASSWORD FILE
 *       Writes PASSWORD to FILE in the vncpasswd format that clients'
 *       -passwd options read (libvncserver's rfbEncryptAndStorePasswd).
 *   vnc-serve -c IMAGE.ppm [-s WxH] [-t TOL]
 *       Finds the WxH pattern in a binary PPM (ImageMagick: convert X
 *       ppm:Y): TOL 0 (default) must match every pixel exactly, anywhere
 *       in the image; TOL > 0 (a lossy JPEG) compares each block's
 *       interior (BLOCK_MARGIN pixels in from its edges, where JPEG's
 *       chroma subsampling blurs) at offset 0,0, each channel within TOL.
 *       Prints "found at X,Y" and exits 0, else says what differs, exits 1.
 *   vnc-serve -c IMAGE.ppm [-s WxH] -a AWxAH+X+Y [-t TOL]
 *       The pattern shown scaled into that area of the image (a viewer
 *       whose window stayed smaller than a new mode): each block's centre,
 *       each channel within TOL.
 *
 * The pattern is flat BLOCK x BLOCK blocks (JPEG's 16x16 MCUs fit them),
 * each a colour of its own, so it can only be found where it was drawn.
 */
#include <errno.h>
#include <linux/input-event-codes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rfb/rfb.h>

#include "display/display.h"
#include "display/vnc.h"
#include "io/ioloop.h"

/*
 * LeakSanitizer: libvncserver 0.9.14 leaks the client iterator it takes
 * when a SetDesktopSize succeeds (rfbSetDesktopSize, no
 * rfbReleaseClientIterator()); gvncviewer sends one after a mode change.
 */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:rfbGetClientIterator\n";
}

#define BLOCK		32
#define BLOCK_MARGIN	4

/* Block (bx, by)'s colour, 0xRRGGBB: channels far apart, no two blocks alike. */
static uint32_t block_color(uint32_t bx, uint32_t by)
{
	uint32_t i = by * 64 + bx;
	uint32_t r = (i * 37 + 16) % 240 + 8, g = (i * 101 + 80) % 240 + 8;
	uint32_t b = (i * 7 + by * 60) % 240 + 8;

	return r << 16 | g << 8 | b;
}

static uint32_t pattern(uint32_t x, uint32_t y)
{
	return block_color(x / BLOCK, y / BLOCK);
}

/* ---- the server ---- */

static void op_key(void *o, uint16_t code, bool down)
{
	(void)o;
	printf("key %u %d\n", code, down);
}

static void op_abs(void *o, uint32_t x, uint32_t y, uint32_t w, uint32_t h)
{
	(void)o;
	(void)w;
	(void)h;
	printf("abs %u %u\n", x, y);
}

static void op_buttons(void *o, uint32_t mask)
{
	(void)o;
	printf("buttons %u\n", mask);
}

static void op_wheel(void *o, int32_t dy, int32_t dx)
{
	(void)o;
	printf("wheel %d %d\n", dy, dx);
}

static void op_resize(void *o, uint32_t w, uint32_t h)
{
	(void)o;
	printf("resize %u %u\n", w, h);
}

static const struct display_input_ops input_ops = {
	.key = op_key, .abs = op_abs, .buttons = op_buttons, .wheel = op_wheel,
	.resize = op_resize,
};

static int draw_mode(struct display *d, uint32_t w, uint32_t h)
{
	struct display_rect r = { 0, 0, w, h };
	uint32_t *px;
	int ret;

	ret = display_set_mode(d, w, h, DISPLAY_FORMAT_XRGB8888);
	if (ret)
		return ret;
	px = malloc((size_t)w * h * 4);
	if (!px)
		return -ENOMEM;
	for (uint32_t y = 0; y < h; y++)
		for (uint32_t x = 0; x < w; x++)
			px[(size_t)y * w + x] = pattern(x, y);
	display_update(d, &r, px, w * 4);
	free(px);
	printf("mode %u %u\n", w, h);
	return 0;
}

static int serve(const char *listen, const char *pwfile, uint32_t w, uint32_t h,
		 uint32_t w2, uint32_t h2, long change_ms)
{
	struct vnc_server *s = NULL;
	struct display *d = NULL;
	struct ioloop *loop = NULL;
	struct vnc_options o;
	struct timespec wait;
	sigset_t set;
	char err[256] = "";
	bool changed = false;
	int ret = 1, sig;

	/* Signals are taken in this thread only; libvncserver writes may hit EPIPE. */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	if (vnc_options_parse(listen, &o, err, sizeof(err)) ||
	    (pwfile && vnc_options_load_password(&o, pwfile, err, sizeof(err)))) {
		fprintf(stderr, "vnc-serve: %s\n", err);
		return 2;
	}
	if (ioloop_create(&loop) || ioloop_start(loop, "vnc-serve")) {
		fprintf(stderr, "vnc-serve: cannot start the I/O loop\n");
		goto destroy_loop;
	}
	if (display_create(&d, loop, &input_ops, NULL) || draw_mode(d, w, h)) {
		fprintf(stderr, "vnc-serve: cannot make the display\n");
		goto destroy_display;
	}
	if (vnc_server_start(&s, d, loop, &o, err, sizeof(err))) {
		fprintf(stderr, "vnc-serve: %s\n", err);
		goto destroy_display;
	}
	printf("ready\n");
	for (;;) {
		if (change_ms >= 0 && !changed) {
			wait.tv_sec = change_ms / 1000;
			wait.tv_nsec = change_ms % 1000 * 1000000;
			sig = sigtimedwait(&set, NULL, &wait);
		} else {
			sig = sigwaitinfo(&set, NULL);
		}
		if (sig < 0 && errno == EINTR)
			continue;
		if (sig == SIGTERM || sig == SIGINT)
			break;
		/* SIGUSR1, or the timer ran out (EAGAIN). */
		if (draw_mode(d, w2, h2))
			fprintf(stderr, "vnc-serve: cannot change the mode\n");
		changed = true;
	}
	ret = 0;
	vnc_server_stop(s);
destroy_display:
	if (d)
		display_destroy(d);
	ioloop_stop(loop);
destroy_loop:
	ioloop_destroy(loop);
	printf("stopped\n");
	return ret;
}

/* ---- the checker ---- */

static uint8_t *read_ppm(const char *path, unsigned *w, unsigned *h)
{
	FILE *f = fopen(path, "rb");
	unsigned max;
	uint8_t *px;

	if (!f)
		return NULL;
	if (fscanf(f, "P6 %u %u %u", w, h, &max) != 3 || max != 255 || fgetc(f) == EOF ||
	    !*w || !*h || *w > 16384 || *h > 16384) {
		fclose(f);
		return NULL;
	}
	px = malloc((size_t)*w * *h * 3);
	if (px && fread(px, 3, (size_t)*w * *h, f) != (size_t)*w * *h) {
		free(px);
		px = NULL;
	}
	fclose(f);
	return px;
}

static uint32_t at(const uint8_t *img, unsigned iw, unsigned x, unsigned y)
{
	const uint8_t *p = img + ((size_t)y * iw + x) * 3;

	return (uint32_t)p[0] << 16 | p[1] << 8 | p[2];
}

static bool exact_at(const uint8_t *img, unsigned iw, unsigned ox, unsigned oy,
		     uint32_t w, uint32_t h)
{
	for (uint32_t y = 0; y < h; y++)
		for (uint32_t x = 0; x < w; x++)
			if (at(img, iw, ox + x, oy + y) != pattern(x, y))
				return false;
	return true;
}

static int check(const char *path, uint32_t w, uint32_t h, unsigned tol)
{
	unsigned iw, ih, worst = 0, wx = 0, wy = 0;
	uint8_t *img = read_ppm(path, &iw, &ih);

	if (!img) {
		printf("%s: not a binary PPM\n", path);
		return 1;
	}
	if (iw < w || ih < h) {
		printf("%s: %ux%u, smaller than the pattern (%ux%u)\n", path, iw, ih, w, h);
		free(img);
		return 1;
	}
	if (!tol) {
		for (unsigned oy = 0; oy + h <= ih; oy++)
			for (unsigned ox = 0; ox + w <= iw; ox++)
				if (at(img, iw, ox, oy) == pattern(0, 0) &&
				    at(img, iw, ox + w - 1, oy + h - 1) == pattern(w - 1, h - 1) &&
				    exact_at(img, iw, ox, oy, w, h)) {
					printf("found at %u,%u, every pixel exact\n", ox, oy);
					free(img);
					return 0;
				}
		printf("%s (%ux%u): the %ux%u pattern is nowhere in it\n", path, iw, ih, w, h);
		free(img);
		return 1;
	}
	for (uint32_t y = 0; y < h; y++)
		for (uint32_t x = 0; x < w; x++) {
			uint32_t got = at(img, iw, x, y), want = pattern(x, y);

			if (x % BLOCK < BLOCK_MARGIN || x % BLOCK >= BLOCK - BLOCK_MARGIN ||
			    y % BLOCK < BLOCK_MARGIN || y % BLOCK >= BLOCK - BLOCK_MARGIN)
				continue;
			for (int sh = 0; sh < 24; sh += 8) {
				unsigned dv = (unsigned)abs((int)(got >> sh & 0xff) - (int)(want >> sh & 0xff));

				if (dv > worst) {
					worst = dv;
					wx = x;
					wy = y;
				}
			}
		}
	free(img);
	if (worst > tol) {
		printf("%s: off by %u at %u,%u (tolerance %u)\n", path, worst, wx, wy, tol);
		return 1;
	}
	printf("found at 0,0, block interiors within %u (tolerance %u)\n", worst, tol);
	return 0;
}

/* The pattern scaled into aw x ah at (ax, ay): block centres. */
static int check_scaled(const char *path, uint32_t w, uint32_t h, const char *area,
			unsigned tol)
{
	unsigned iw, ih, aw, ah, ax, ay, bad = 0, blocks = 0;
	uint8_t *img;

	if (sscanf(area, "%ux%u+%u+%u", &aw, &ah, &ax, &ay) != 4 || !aw || !ah)
		return 2;
	img = read_ppm(path, &iw, &ih);
	if (!img || iw < ax + aw || ih < ay + ah) {
		printf("%s: not a binary PPM holding %s\n", path, area);
		free(img);
		return 1;
	}
	for (uint32_t by = 0; by * BLOCK < h; by++)
		for (uint32_t bx = 0; bx * BLOCK < w; bx++) {
			uint32_t cx = bx * BLOCK + BLOCK / 2, cy = by * BLOCK + BLOCK / 2;
			uint32_t got, want;

			if (cx >= w || cy >= h)
				continue;
			got = at(img, iw, ax + (unsigned)((uint64_t)cx * aw / w),
				 ay + (unsigned)((uint64_t)cy * ah / h));
			want = block_color(bx, by);
			blocks++;
			for (int sh = 0; sh < 24; sh += 8)
				if ((unsigned)abs((int)(got >> sh & 0xff) - (int)(want >> sh & 0xff)) > tol) {
					bad++;
					break;
				}
		}
	free(img);
	printf("%ux%u scaled into %s: %u of %u block centres off by more than %u\n",
	       w, h, area, bad, blocks, tol);
	return bad ? 1 : 0;
}

static bool parse_size(const char *s, uint32_t *w, uint32_t *h)
{
	return sscanf(s, "%ux%u", w, h) == 2 && *w && *h && *w <= DISPLAY_MAX_WIDTH &&
	       *h <= DISPLAY_MAX_WIDTH;
}

int main(int argc, char **argv)
{
	uint32_t w = 640, h = 480, w2 = 800, h2 = 600;
	const char *pwfile = NULL, *checkfile = NULL, *area = NULL;
	long change_ms = -1;
	unsigned tol = 0;
	int opt;

	setvbuf(stdout, NULL, _IOLBF, 0);
	while ((opt = getopt(argc, argv, "p:s:M:m:c:t:P:a:")) != -1) {
		switch (opt) {
		case 'p': pwfile = optarg; break;
		case 's': if (!parse_size(optarg, &w, &h)) goto usage; break;
		case 'M': if (!parse_size(optarg, &w2, &h2)) goto usage; break;
		case 'm': change_ms = atol(optarg); break;
		case 'c': checkfile = optarg; break;
		case 'a': area = optarg; break;
		case 't': tol = (unsigned)atoi(optarg); break;
		case 'P':
			if (optind >= argc)
				goto usage;
			/* rfbEncryptAndStorePasswd() keys with the first 8 bytes. */
			return rfbEncryptAndStorePasswd(optarg, argv[optind]) ? 1 : 0;
		default: goto usage;
		}
	}
	if (checkfile && area)
		return check_scaled(checkfile, w, h, area, tol);
	if (checkfile)
		return check(checkfile, w, h, tol);
	if (optind + 1 != argc)
		goto usage;
	return serve(argv[optind], pwfile, w, h, w2, h2, change_ms);
usage:
	fprintf(stderr, "usage: vnc-serve [-p PWFILE] [-s WxH] [-M WxH] [-m MS] LISTEN\n"
			"       vnc-serve -P PASSWORD FILE\n"
			"       vnc-serve -c IMAGE.ppm [-s WxH] [-a AWxAH+X+Y] [-t TOL]\n");
	return 2;
}
