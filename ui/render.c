// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ui/render.c - guest pixels to the window's pixels with pixman
 * (ui/render.h).
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "render.h"

#define FOURCC(a, b, c, d) \
	((uint32_t)(a) | (uint32_t)(b) << 8 | (uint32_t)(c) << 16 | (uint32_t)(d) << 24)

pixman_format_code_t ui_render_format(uint32_t fourcc)
{
	/*
	 * DRM names a pixel's bits from the top of a little-endian 32-bit word
	 * (drm_fourcc.h); pixman names them from the top of a native one.
	 * x86 is little-endian, so the names line up.  Alpha is ignored: a
	 * guest's screen is opaque whatever its format says.
	 */
	switch (fourcc) {
	case FOURCC('X', 'R', '2', '4'):
	case FOURCC('A', 'R', '2', '4'):
		return PIXMAN_x8r8g8b8;
	case FOURCC('X', 'B', '2', '4'):
	case FOURCC('A', 'B', '2', '4'):
		return PIXMAN_x8b8g8r8;
	case FOURCC('B', 'X', '2', '4'):
	case FOURCC('B', 'A', '2', '4'):
		return PIXMAN_b8g8r8x8;
	case FOURCC('R', 'X', '2', '4'):
	case FOURCC('R', 'A', '2', '4'):
		return PIXMAN_r8g8b8x8;
	default:
		return 0;
	}
}

void ui_render_init(struct ui_render *r)
{
	memset(r, 0, sizeof(*r));
	r->device_scale = 1;
}

static void drop_src(struct ui_render *r)
{
	if (r->src)
		pixman_image_unref(r->src);
	r->src = NULL;
}

static void drop_dst(struct ui_render *r)
{
	if (r->dst)
		pixman_image_unref(r->dst);
	if (r->surface)
		cairo_surface_destroy(r->surface);
	r->dst = NULL;
	r->surface = NULL;
}

void ui_render_fini(struct ui_render *r)
{
	drop_src(r);
	drop_dst(r);
}

/* The scale and its filter, on the source image (pixman samples through it). */
static void set_transform(struct ui_render *r)
{
	const struct ui_layout *l = &r->layout;
	pixman_transform_t t;
	pixman_fixed_t *params;
	pixman_fixed_t inv;
	int n;

	if (!r->src || l->scale <= 0)
		return;
	if (l->scale == 1.0) {
		pixman_image_set_transform(r->src, NULL);
		pixman_image_set_filter(r->src, PIXMAN_FILTER_NEAREST, NULL, 0);
		return;
	}
	/* pixman's transform goes from destination to source: the inverse scale. */
	inv = pixman_double_to_fixed(1.0 / l->scale);
	pixman_transform_init_scale(&t, inv, inv);
	pixman_image_set_transform(r->src, &t);
	if (!l->smooth) {
		/* 2:1, 3:1: each guest pixel a sharp square. */
		pixman_image_set_filter(r->src, PIXMAN_FILTER_NEAREST, NULL, 0);
	} else if (l->scale > 1.0) {
		pixman_image_set_filter(r->src, PIXMAN_FILTER_BILINEAR, NULL, 0);
	} else {
		/*
		 * Shrinking: each device pixel averages the guest pixels it
		 * covers (a box), reconstructed linearly, so thin lines and
		 * text fade instead of vanishing as nearest or bilinear would.
		 */
		params = pixman_filter_create_separable_convolution(&n, inv, inv,
				PIXMAN_KERNEL_LINEAR, PIXMAN_KERNEL_LINEAR,
				PIXMAN_KERNEL_BOX, PIXMAN_KERNEL_BOX, 2, 2);
		if (params) {
			pixman_image_set_filter(r->src, PIXMAN_FILTER_SEPARABLE_CONVOLUTION,
						params, n);
			free(params);
		} else {
			pixman_image_set_filter(r->src, PIXMAN_FILTER_BILINEAR, NULL, 0);
		}
	}
	/* Samples past the edge repeat it, so the border is not darkened by black. */
	pixman_image_set_repeat(r->src, PIXMAN_REPEAT_PAD);
}

int ui_render_set_screen(struct ui_render *r, const struct ui_screen *s)
{
	pixman_format_code_t f;

	drop_src(r);
	r->blank = s->blank;
	if (!s->pixels)
		return 0;
	f = ui_render_format(s->format);
	if (!f)
		return -ENOTSUP;
	/* pixman wants a writable pointer but only reads a source image. */
	r->src = pixman_image_create_bits(f, (int)s->width, (int)s->height,
					  (uint32_t *)(uintptr_t)s->pixels, (int)s->stride);
	if (!r->src)
		return -ENOMEM;
	set_transform(r);
	return 0;
}

int ui_render_set_layout(struct ui_render *r, int device_scale, const struct ui_layout *l)
{
	bool resize = !r->surface || l->area_w != r->layout.area_w ||
		      l->area_h != r->layout.area_h || device_scale != r->device_scale;

	r->layout = *l;
	r->device_scale = device_scale > 0 ? device_scale : 1;
	if (resize) {
		drop_dst(r);
		if (l->area_w <= 0 || l->area_h <= 0)
			return 0;
		r->surface = cairo_image_surface_create(CAIRO_FORMAT_RGB24, l->area_w, l->area_h);
		if (cairo_surface_status(r->surface)) {
			cairo_surface_destroy(r->surface);
			r->surface = NULL;
			return -ENOMEM;
		}
		/* Painted at this scale, one image pixel lands on one device pixel. */
		cairo_surface_set_device_scale(r->surface, r->device_scale, r->device_scale);
		r->dst = pixman_image_create_bits(PIXMAN_x8r8g8b8, l->area_w, l->area_h,
				(uint32_t *)cairo_image_surface_get_data(r->surface),
				cairo_image_surface_get_stride(r->surface));
		if (!r->dst) {
			drop_dst(r);
			return -ENOMEM;
		}
	}
	set_transform(r);
	ui_render_all(r);
	return 0;
}

static void fill_black(struct ui_render *r, int x, int y, int w, int h)
{
	pixman_color_t black = { 0, 0, 0, 0xffff };
	pixman_rectangle16_t rect = { (int16_t)x, (int16_t)y, (uint16_t)w, (uint16_t)h };

	if (w > 0 && h > 0)
		pixman_image_fill_rectangles(PIXMAN_OP_SRC, r->dst, &black, 1, &rect);
}

static void composite(struct ui_render *r, const struct ui_rect *a)
{
	const struct ui_layout *l = &r->layout;

	if (!r->src || r->blank) {
		fill_black(r, a->x, a->y, a->w, a->h);
		return;
	}
	/*
	 * Device pixel (a->x + i) shows the guest at ((a->x + i - dst.x) +
	 * 0.5) / scale: the source offset is the area offset less the
	 * guest's corner, and the transform does the division.
	 */
	pixman_image_composite32(PIXMAN_OP_SRC, r->src, NULL, r->dst, a->x - l->dst.x,
				 a->y - l->dst.y, 0, 0, a->x, a->y, a->w, a->h);
}

bool ui_render_update(struct ui_render *r, const struct ui_rect *g, struct ui_rect *out)
{
	if (!r->dst || !ui_layout_guest_to_area(&r->layout, g, out))
		return false;
	cairo_surface_flush(r->surface);
	composite(r, out);
	cairo_surface_mark_dirty_rectangle(r->surface, out->x, out->y, out->w, out->h);
	return true;
}

void ui_render_all(struct ui_render *r)
{
	const struct ui_layout *l = &r->layout;
	struct ui_rect a = l->dst;

	if (!r->dst)
		return;
	cairo_surface_flush(r->surface);
	fill_black(r, 0, 0, l->area_w, l->area_h);
	if (a.x < 0)
		a.x = 0;
	if (a.y < 0)
		a.y = 0;
	if (a.x + a.w > l->area_w)
		a.w = l->area_w - a.x;
	if (a.y + a.h > l->area_h)
		a.h = l->area_h - a.y;
	if (a.w > 0 && a.h > 0 && l->scale > 0)
		composite(r, &a);
	cairo_surface_mark_dirty(r->surface);
}
