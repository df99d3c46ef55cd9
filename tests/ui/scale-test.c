// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tests/ui/scale-test.c - the display window's arithmetic (ui/scale.c):
 * layouts for each scaling mode, guest damage to window pixels, window
 * pixels to the guest's, logical rectangles on HiDPI, follow sizes.
 */
#include <stdio.h>

#include "scale.h"
#include "tap.h"

static int rect_is(const struct ui_rect *r, int x, int y, int w, int h)
{
	return r->x == x && r->y == y && r->w == w && r->h == h;
}

int main(void)
{
	struct ui_layout l;
	struct ui_rect r, out;
	enum ui_scaling m;
	uint32_t gx, gy, w, h;
	bool ok;

	/* Names. */
	tap_ok(!ui_scaling_parse("fit", &m) && m == UI_SCALING_FIT &&
	       !ui_scaling_parse("1:1", &m) && m == UI_SCALING_ONE &&
	       !ui_scaling_parse("follow", &m) && m == UI_SCALING_FOLLOW,
	       "fit, 1:1 and follow parse");
	tap_ok(ui_scaling_parse("zoom", &m) == -EINVAL && ui_scaling_parse(NULL, &m) == -EINVAL,
	       "another word is -EINVAL");
	tap_ok(!strcmp(ui_scaling_name(UI_SCALING_ONE), "1:1"), "1:1's name");

	/* 1:1 in a larger area: centred, whole pixels, not smooth. */
	ui_layout_compute(&l, 1024, 768, 1100, 800, UI_SCALING_ONE);
	tap_ok(l.scale == 1.0 && rect_is(&l.dst, 38, 16, 1024, 768) && !l.smooth,
	       "1:1 in 1100x800: at 38,16, 1024x768 (got %d,%d %dx%d)", l.dst.x, l.dst.y,
	       l.dst.w, l.dst.h);
	/* 1:1 in a smaller area: from the corner, cropped. */
	ui_layout_compute(&l, 1024, 768, 800, 600, UI_SCALING_ONE);
	tap_ok(l.scale == 1.0 && rect_is(&l.dst, 0, 0, 1024, 768), "1:1 in 800x600: at the corner");
	r = (struct ui_rect){ 700, 500, 200, 200 };
	tap_ok(ui_layout_guest_to_area(&l, &r, &out) && rect_is(&out, 700, 500, 100, 100),
	       "1:1 cropped: damage clipped to the area");
	r = (struct ui_rect){ 900, 700, 10, 10 };
	tap_ok(!ui_layout_guest_to_area(&l, &r, &out), "1:1 cropped: damage off screen is none");

	/* Fit 1.5 (the fractional factor), exactly. */
	ui_layout_compute(&l, 1024, 768, 1536, 1152, UI_SCALING_FIT);
	tap_ok(l.scale == 1.5 && rect_is(&l.dst, 0, 0, 1536, 1152) && l.smooth,
	       "fit 1024x768 in 1536x1152: scale 1.5, smooth");
	r = (struct ui_rect){ 10, 10, 64, 64 };
	ok = ui_layout_guest_to_area(&l, &r, &out);
	tap_ok(ok && rect_is(&out, 13, 13, 100, 100),
	       "fit 1.5: a 64x64 flush at 10,10 redraws 13,13 100x100: guest 9..74 with the "
	       "filter's pixel around (got %d,%d %dx%d)", out.x, out.y, out.w, out.h);
	r = (struct ui_rect){ 0, 0, 1, 1 };
	tap_ok(ui_layout_guest_to_area(&l, &r, &out) && rect_is(&out, 0, 0, 3, 3),
	       "fit 1.5: the corner pixel, clipped at the edge");
	tap_ok(ui_layout_area_to_guest(&l, 1535, 1151, &gx, &gy) && gx == 1023 && gy == 767,
	       "fit 1.5: the last device pixel is the last guest pixel");
	tap_ok(ui_layout_area_to_guest(&l, 3, 4.4, &gx, &gy) && gx == 2 && gy == 2,
	       "fit 1.5: device 3,4.4 is guest 2,2");

	/* Fit, aspect kept, letterboxed. */
	ui_layout_compute(&l, 1920, 1080, 1000, 1000, UI_SCALING_FIT);
	tap_ok(l.dst.w == 1000 && l.dst.h == 563 && l.dst.x == 0 && l.dst.y == 218,
	       "fit 1920x1080 in 1000x1000: 1000x563 at 0,218 (got %dx%d at %d,%d)", l.dst.w,
	       l.dst.h, l.dst.x, l.dst.y);
	tap_ok(ui_layout_area_to_guest(&l, 501, 10, &gx, &gy) && gx == 961 && gy == 0,
	       "a pointer in the margin goes to the edge");
	tap_ok(ui_layout_area_to_guest(&l, -5, 2000, &gx, &gy) && gx == 0 && gy == 1079,
	       "a pointer outside is clamped to the screen");

	/* Whole factors are sharp: 2:1 on a scale-2 (HiDPI) area is not smooth. */
	ui_layout_compute(&l, 800, 600, 1600, 1200, UI_SCALING_FIT);
	tap_ok(l.scale == 2.0 && !l.smooth, "fit 2.0: nearest, not smooth");
	r = (struct ui_rect){ 5, 5, 10, 10 };
	tap_ok(ui_layout_guest_to_area(&l, &r, &out) && rect_is(&out, 10, 10, 20, 20),
	       "fit 2.0: damage doubles exactly");

	/* A window a few pixels larger is 1:1, not 1.003. */
	ui_layout_compute(&l, 1024, 768, 1027, 770, UI_SCALING_FIT);
	tap_ok(l.scale == 1.0 && !l.smooth, "fit in a window 3 pixels larger: 1:1");
	ui_layout_compute(&l, 1024, 768, 1020, 768, UI_SCALING_FIT);
	tap_ok(l.scale < 1.0 && l.smooth && l.dst.w == 1020, "fit in a smaller window shrinks");

	/* Follow shows as fit. */
	ui_layout_compute(&l, 640, 480, 1280, 960, UI_SCALING_FOLLOW);
	tap_ok(l.scale == 2.0, "follow before the guest follows: as fit");

	/* Nothing to show. */
	ui_layout_compute(&l, 0, 0, 100, 100, UI_SCALING_FIT);
	r = (struct ui_rect){ 0, 0, 10, 10 };
	tap_ok(l.scale == 0 && !ui_layout_guest_to_area(&l, &r, &out) &&
	       !ui_layout_area_to_guest(&l, 1, 1, &gx, &gy), "no screen: no mapping");
	ui_layout_compute(&l, 100, 100, 0, 0, UI_SCALING_FIT);
	tap_ok(l.scale == 0, "a zero-sized area: no mapping");

	/* Device rectangles to logical ones (GTK's queue_draw_area) on a scale-2 screen. */
	r = (struct ui_rect){ 13, 13, 99, 99 };
	ui_rect_to_logical(&r, 2, &out);
	tap_ok(rect_is(&out, 6, 6, 50, 50), "device 13,13 99x99 is logical 6,6 50x50 at scale 2");
	ui_rect_to_logical(&r, 1, &out);
	tap_ok(rect_is(&out, 13, 13, 99, 99), "and itself at scale 1");

	/* Follow sizes. */
	ui_follow_size(1283, 801, &w, &h);
	tap_ok(w == 1280 && h == 801, "follow: 1283x801 asks 1280x801");
	ui_follow_size(10, 99999, &w, &h);
	tap_ok(w == 64 && h == 8192, "follow: clamped to 64..8192");
	return tap_done();
}
