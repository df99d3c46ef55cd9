/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ui/scale.h - where the guest's screen lies in a display window, and the
 * arithmetic between guest pixels and the window's pixels both ways.
 *
 * All of it is in *device* pixels, the monitor's own: GTK3 counts
 * "logical" pixels, `device_scale` (1, or 2 on a HiDPI screen) of them a
 * side.  So at 1:1 one guest pixel is one device pixel on a scale-2 screen
 * too, sharp, not blown up to four by GTK; and fractional factors (1.25,
 * 1.5, anything fit gives) are done once, by pixman, from the guest's
 * pixels straight to the device's.
 *
 * Pure arithmetic: no GTK, host-tested in tests/ui/scale-test.c.
 */
#ifndef VMAIN_UI_SCALE_H
#define VMAIN_UI_SCALE_H

#include <stdbool.h>
#include <stdint.h>

enum ui_scaling {
	UI_SCALING_FIT,		/* as large as fits, aspect kept, centred */
	UI_SCALING_ONE,		/* 1:1: a guest pixel is a device pixel */
	UI_SCALING_FOLLOW,	/* the guest is asked for the window's size; shown as fit meanwhile */
};

/* "fit", "1:1", "follow" */
const char *ui_scaling_name(enum ui_scaling s);
/* 0, or -EINVAL for another word */
int ui_scaling_parse(const char *word, enum ui_scaling *s);

struct ui_rect {
	int x, y, w, h;
};

/* The guest's screen in the window, device pixels. */
struct ui_layout {
	uint32_t guest_w, guest_h;
	int area_w, area_h;	/* the drawing area */
	double scale;		/* device pixels per guest pixel */
	struct ui_rect dst;	/* where the guest lies (may exceed the area at 1:1) */
	bool smooth;		/* the scale is no whole number: filter */
};

/*
 * Lays a guest_w x guest_h screen out in an area_w x area_h area (device
 * pixels).  A zero-sized guest or area gives scale 0 and an empty dst.
 */
void ui_layout_compute(struct ui_layout *l, uint32_t guest_w, uint32_t guest_h, int area_w,
		       int area_h, enum ui_scaling mode);

/*
 * The device pixels that guest rectangle r (clipped to the guest) touches,
 * clipped to the area; a smooth scale widens it by the filter's reach.
 * false when nothing of it is visible.
 */
bool ui_layout_guest_to_area(const struct ui_layout *l, const struct ui_rect *r,
			     struct ui_rect *out);

/*
 * The guest pixel under device pixel (ax, ay) of the area, clamped to the
 * screen (a pointer in the margin goes to the edge, as a tablet's would).
 * false when there is no screen.
 */
bool ui_layout_area_to_guest(const struct ui_layout *l, double ax, double ay, uint32_t *gx,
			     uint32_t *gy);

/* A device-pixel rectangle in logical pixels (device_scale a side), covering it. */
void ui_rect_to_logical(const struct ui_rect *r, int device_scale, struct ui_rect *out);

/*
 * The guest size for "follow" mode from an area of area_w x area_h device
 * pixels: clamped to the API's 64..8192, and rounded down to a multiple of
 * 8 in width (framebuffer drivers like their lines aligned).
 */
void ui_follow_size(int area_w, int area_h, uint32_t *w, uint32_t *h);

#endif
