/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ui/render.h - the display window's picture: the guest's screen scaled
 * by pixman into a cairo image of the drawing area's device pixels, one
 * damaged rectangle at a time.
 *
 * The window keeps this image and paints from it: a guest flush redraws
 * (and a window exposure repaints) only the rectangle it touches.  Whole
 * scales (1:1, 2:1) are pixel-exact nearest-neighbour; others use
 * bilinear filtering when enlarging and a box-filtered convolution when
 * shrinking, which keeps text readable (GTK3 has neither: its scale is a
 * whole number and cairo's filter is chosen per paint).
 *
 * Threads: one (the GTK main thread).
 */
#ifndef VMAIN_UI_RENDER_H
#define VMAIN_UI_RENDER_H

#include <cairo.h>
#include <pixman.h>
#include <stdbool.h>

#include "scale.h"
#include "vm.h"

struct ui_render {
	pixman_image_t *src;	/* over the guest's pixels (read only) */
	pixman_image_t *dst;	/* over surface's pixels */
	cairo_surface_t *surface;	/* area_w x area_h device pixels */
	int device_scale;
	bool blank;
	struct ui_layout layout;
};

void ui_render_init(struct ui_render *r);
void ui_render_fini(struct ui_render *r);

/*
 * The screen to draw from (pixels NULL: none, the area is black).  0, or
 * -ENOTSUP for a pixel format it cannot read (the area stays black).
 */
int ui_render_set_screen(struct ui_render *r, const struct ui_screen *s);

/*
 * The area's size in device pixels and GTK's scale; `l` where the guest
 * lies (ui_layout_compute()).  Redraws everything.  0 or -ENOMEM.
 */
int ui_render_set_layout(struct ui_render *r, int device_scale, const struct ui_layout *l);

/* Redraws guest rectangle g; *out: the device pixels changed.  false: none. */
bool ui_render_update(struct ui_render *r, const struct ui_rect *g, struct ui_rect *out);

/* Redraws everything (margins black). */
void ui_render_all(struct ui_render *r);

/* The pixman format for a DRM fourcc, 0 when unknown. */
pixman_format_code_t ui_render_format(uint32_t fourcc);

#endif
