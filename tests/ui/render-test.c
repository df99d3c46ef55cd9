// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tests/ui/render-test.c - guest pixels to window pixels (ui/render.c):
 * 1:1 and 2:1 are exact, 1.5 and 1.25 are filtered but keep flat colours, a flush
 * redraws only its rectangle, formats map their channels, a blank screen
 * is black, an unknown format is refused.
 */
#include <stdlib.h>

#include "render.h"
#include "tap.h"

#define GW 64
#define GH 48

static uint32_t guest[GW * GH];

static uint32_t pattern(int x, int y)
{
	return (uint32_t)x << 16 | (uint32_t)y << 8 | 0x40;
}

static uint32_t at(struct ui_render *r, int x, int y)
{
	const uint8_t *p = cairo_image_surface_get_data(r->surface);

	cairo_surface_flush(r->surface);
	return ((const uint32_t *)(p + (size_t)y * cairo_image_surface_get_stride(r->surface)))[x] &
	       0xffffff;
}

static void setup(struct ui_render *r, uint32_t format, int aw, int ah, enum ui_scaling m,
		  int device_scale)
{
	struct ui_screen s = { .pixels = (const uint8_t *)guest, .width = GW, .height = GH,
			       .stride = GW * 4, .format = format };
	struct ui_layout l;

	ui_render_init(r);
	ui_render_set_screen(r, &s);
	ui_layout_compute(&l, GW, GH, aw, ah, m);
	ui_render_set_layout(r, device_scale, &l);
}

#define XR24 0x34325258u
#define XB24 0x34324258u

int main(void)
{
	struct ui_render r;
	struct ui_rect g, out;
	int bad;

	for (int y = 0; y < GH; y++)
		for (int x = 0; x < GW; x++)
			guest[y * GW + x] = pattern(x, y);

	/* 1:1, centred in 80x60: every pixel exact, the margins black. */
	setup(&r, XR24, 80, 60, UI_SCALING_ONE, 1);
	bad = 0;
	for (int y = 0; y < GH; y++)
		for (int x = 0; x < GW; x++)
			bad += at(&r, x + 8, y + 6) != pattern(x, y);
	tap_ok(!bad, "1:1: %d of %d pixels differ", bad, GW * GH);
	tap_ok(at(&r, 0, 0) == 0 && at(&r, 79, 59) == 0 && at(&r, 7, 30) == 0,
	       "1:1: the margins are black");

	/* A flush redraws its rectangle and nothing else. */
	for (int y = 10; y < 20; y++)
		for (int x = 10; x < 20; x++)
			guest[y * GW + x] = 0xffffff;
	guest[0] = 0xabcdef;	/* changed, but not flushed */
	g = (struct ui_rect){ 10, 10, 10, 10 };
	tap_ok(ui_render_update(&r, &g, &out) && out.x == 18 && out.y == 16 && out.w == 10 &&
	       out.h == 10, "1:1: the flush's rectangle, offset by the margin");
	tap_ok(at(&r, 18, 16) == 0xffffff && at(&r, 27, 25) == 0xffffff,
	       "1:1: the flushed pixels are new");
	tap_ok(at(&r, 8, 6) == pattern(0, 0), "1:1: an unflushed change is not drawn");
	guest[0] = pattern(0, 0);
	for (int y = 10; y < 20; y++)
		for (int x = 10; x < 20; x++)
			guest[y * GW + x] = pattern(x, y);
	ui_render_fini(&r);

	/* 2:1 on a scale-2 (HiDPI) area: each guest pixel a sharp 2x2 square. */
	setup(&r, XR24, GW * 2, GH * 2, UI_SCALING_FIT, 2);
	bad = 0;
	for (int y = 0; y < GH * 2; y++)
		for (int x = 0; x < GW * 2; x++)
			bad += at(&r, x, y) != pattern(x / 2, y / 2);
	tap_ok(!bad, "2:1: %d of %d device pixels differ from nearest", bad, GW * GH * 4);
	tap_ok(cairo_surface_get_type(r.surface) == CAIRO_SURFACE_TYPE_IMAGE &&
	       r.device_scale == 2, "the picture carries GTK's device scale");
	ui_render_fini(&r);

	/* 1.5: filtered, yet a flat area stays its colour and a gradient stays ordered. */
	for (int y = 0; y < GH; y++)
		for (int x = 0; x < 32; x++)
			guest[y * GW + x] = 0x336699;
	setup(&r, XR24, GW * 3 / 2, GH * 3 / 2, UI_SCALING_FIT, 1);
	tap_ok(r.layout.scale == 1.5 && r.layout.smooth, "1.5: smooth");
	tap_ok(at(&r, 10, 10) == 0x336699 && at(&r, 30, 40) == 0x336699,
	       "1.5: inside a flat area the colour is exact");
	tap_ok((at(&r, 60, 10) >> 16) < (at(&r, 90, 10) >> 16),
	       "1.5: red still grows left to right");
	ui_render_fini(&r);

	/* 1.25 (a desktop at 125 %, or fit): the same, and no column of the flat area lost. */
	setup(&r, XR24, GW * 5 / 4, GH * 5 / 4, UI_SCALING_FIT, 1);
	bad = 0;
	for (int x = 1; x < 32 * 5 / 4 - 2; x++)
		bad += at(&r, x, 20) != 0x336699;
	tap_ok(r.layout.scale == 1.25 && r.layout.smooth, "1.25: smooth");
	tap_ok(!bad, "1.25: every pixel inside the flat area is its colour (%d differ)", bad);
	tap_ok((at(&r, 45, 10) >> 16) < (at(&r, 60, 10) >> 16) &&
	       (at(&r, 60, 10) >> 16) < (at(&r, 75, 10) >> 16),
	       "1.25: red still grows left to right");
	ui_render_fini(&r);

	/* Shrinking (0.5) averages: a 1-pixel checkerboard becomes its mean grey. */
	for (int y = 0; y < GH; y++)
		for (int x = 0; x < GW; x++)
			guest[y * GW + x] = (x + y) % 2 ? 0xffffff : 0x000000;
	setup(&r, XR24, GW / 2, GH / 2, UI_SCALING_FIT, 1);
	{
		uint32_t c = at(&r, 10, 10);
		int grey = (int)(c & 0xff);

		tap_ok(grey > 0x60 && grey < 0xa0,
		       "0.5: a checkerboard shrinks to grey, not to black or white (got %06x)", c);
	}
	ui_render_fini(&r);

	/* Channel order: XB24 (x:B:G:R) shows red as red. */
	for (int i = 0; i < GW * GH; i++)
		guest[i] = 0x0000ff;	/* R in the low byte for XB24 */
	setup(&r, XB24, GW, GH, UI_SCALING_ONE, 1);
	tap_ok(at(&r, 5, 5) == 0xff0000, "XB24: the low byte is red (got %06x)", at(&r, 5, 5));
	ui_render_fini(&r);

	/* Blank: black whatever the guest draws. */
	{
		struct ui_screen s = { .pixels = (const uint8_t *)guest, .width = GW,
				       .height = GH, .stride = GW * 4, .format = XR24,
				       .blank = true };
		struct ui_layout l;

		ui_render_init(&r);
		ui_render_set_screen(&r, &s);
		ui_layout_compute(&l, GW, GH, GW, GH, UI_SCALING_ONE);
		ui_render_set_layout(&r, 1, &l);
		g = (struct ui_rect){ 0, 0, GW, GH };
		ui_render_update(&r, &g, &out);
		tap_ok(at(&r, 5, 5) == 0, "blank: black");
		ui_render_fini(&r);

		s.blank = false;
		s.format = 0x34324752;	/* RG24: 24-bit RGB888, which the monitor never sends */
		ui_render_init(&r);
		tap_ok(ui_render_set_screen(&r, &s) == -ENOTSUP, "an unknown format: -ENOTSUP");
		ui_render_fini(&r);
	}
	return tap_done();
}
