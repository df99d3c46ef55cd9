// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ui/scale.c - the display window's geometry (ui/scale.h).
 */
#include <errno.h>
#include <math.h>
#include <string.h>

#include "scale.h"

static const char *const names[] = {
	[UI_SCALING_FIT] = "fit",
	[UI_SCALING_ONE] = "1:1",
	[UI_SCALING_FOLLOW] = "follow",
};

const char *ui_scaling_name(enum ui_scaling s)
{
	return (unsigned int)s < sizeof(names) / sizeof(names[0]) ? names[s] : "fit";
}

int ui_scaling_parse(const char *word, enum ui_scaling *s)
{
	for (unsigned int i = 0; word && i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(word, names[i])) {
			*s = i;
			return 0;
		}
	}
	return -EINVAL;
}

void ui_layout_compute(struct ui_layout *l, uint32_t guest_w, uint32_t guest_h, int area_w,
		       int area_h, enum ui_scaling mode)
{
	double s;

	memset(l, 0, sizeof(*l));
	l->guest_w = guest_w;
	l->guest_h = guest_h;
	l->area_w = area_w;
	l->area_h = area_h;
	if (!guest_w || !guest_h || area_w <= 0 || area_h <= 0)
		return;
	if (mode == UI_SCALING_ONE) {
		s = 1.0;
	} else {
		s = fmin((double)area_w / guest_w, (double)area_h / guest_h);
		/*
		 * A window up to 8 pixels larger than the guest shows it at 1:1:
		 * follow mode's guest is the window's width rounded down to 8
		 * columns, and 1.003 would blur every pixel for nothing.
		 */
		if (s > 1.0 && (s - 1.0) * fmax(guest_w, guest_h) < 8.0)
			s = 1.0;
	}
	l->scale = s;
	l->dst.w = (int)lround(guest_w * s);
	l->dst.h = (int)lround(guest_h * s);
	/* Centred when smaller than the area; at 1:1 a larger guest starts at the corner. */
	l->dst.x = l->dst.w < area_w ? (area_w - l->dst.w) / 2 : 0;
	l->dst.y = l->dst.h < area_h ? (area_h - l->dst.h) / 2 : 0;
	l->smooth = s != floor(s);
}

static bool clip(struct ui_rect *r, int x0, int y0, int x1, int y1)
{
	int rx1 = r->x + r->w, ry1 = r->y + r->h;

	if (r->x < x0)
		r->x = x0;
	if (r->y < y0)
		r->y = y0;
	if (rx1 > x1)
		rx1 = x1;
	if (ry1 > y1)
		ry1 = y1;
	r->w = rx1 - r->x;
	r->h = ry1 - r->y;
	return r->w > 0 && r->h > 0;
}

bool ui_layout_guest_to_area(const struct ui_layout *l, const struct ui_rect *r,
			     struct ui_rect *out)
{
	struct ui_rect g = *r;
	double x0, y0, x1, y1;

	if (l->scale <= 0 || !clip(&g, 0, 0, (int)l->guest_w, (int)l->guest_h))
		return false;
	/* A filter reads a guest pixel's neighbours: their change shows one pixel out. */
	if (l->smooth) {
		g.x--;
		g.y--;
		g.w += 2;
		g.h += 2;
	}
	x0 = floor(g.x * l->scale) + l->dst.x;
	y0 = floor(g.y * l->scale) + l->dst.y;
	x1 = ceil((g.x + g.w) * l->scale) + l->dst.x;
	y1 = ceil((g.y + g.h) * l->scale) + l->dst.y;
	*out = (struct ui_rect){ (int)x0, (int)y0, (int)(x1 - x0), (int)(y1 - y0) };
	/* Within the guest's own rectangle and the area. */
	return clip(out, l->dst.x, l->dst.y, l->dst.x + l->dst.w, l->dst.y + l->dst.h) &&
	       clip(out, 0, 0, l->area_w, l->area_h);
}

bool ui_layout_area_to_guest(const struct ui_layout *l, double ax, double ay, uint32_t *gx,
			     uint32_t *gy)
{
	double x, y;

	if (l->scale <= 0)
		return false;
	x = floor((ax - l->dst.x) / l->scale);
	y = floor((ay - l->dst.y) / l->scale);
	*gx = x < 0 ? 0 : x >= l->guest_w ? l->guest_w - 1 : (uint32_t)x;
	*gy = y < 0 ? 0 : y >= l->guest_h ? l->guest_h - 1 : (uint32_t)y;
	return true;
}

void ui_rect_to_logical(const struct ui_rect *r, int device_scale, struct ui_rect *out)
{
	int s = device_scale > 0 ? device_scale : 1;
	int x0 = r->x / s, y0 = r->y / s;
	int x1 = (r->x + r->w + s - 1) / s, y1 = (r->y + r->h + s - 1) / s;

	*out = (struct ui_rect){ x0, y0, x1 - x0, y1 - y0 };
}

void ui_follow_size(int area_w, int area_h, uint32_t *w, uint32_t *h)
{
	int cw = area_w < 64 ? 64 : area_w > 8192 ? 8192 : area_w;
	int ch = area_h < 64 ? 64 : area_h > 8192 ? 8192 : area_h;

	*w = (uint32_t)cw & ~7u;
	*h = (uint32_t)ch;
}
