// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * devices/vga-render.c - the standard VGA's picture: text, planar,
 * chain-4 and dispi modes rendered to XRGB8888 for the display (see
 * vga.h for what is and is not modelled).
 *
 * Geometry comes from the CRTC as the VGA reference describes it:
 * horizontal display end (CRTC 01h) in character clocks of 8 or 9 dots
 * (sequencer 01h bit 0), vertical display end (CRTC 12h with overflow
 * bits 07h:1 and 07h:6), maximum scan line (CRTC 09h bits 4:0, bit 7
 * double scan), offset (CRTC 13h), start address (0Ch/0Dh), cursor
 * location (0Eh/0Fh) and shape (0Ah/0Bh).  Colours go through the
 * attribute controller's palette (10h bit 7 and 14h supply the high
 * bits) to the DAC's 6-bit values.
 */
#include <stdlib.h>
#include <string.h>

#include "devices/vga.h"

#define MAX_TEXT_COLS	256
#define MAX_TEXT_ROWS	128

struct geometry {
	enum vga_kind kind;
	uint32_t width, height;
	uint32_t cols, rows, cell_w, cell_h;	/* text */
	uint32_t bpp, stride, start;		/* LFB, planar, chain-4 */
};

uint32_t vga_dac_rgb(const struct vga *v, uint8_t i)
{
	const uint8_t *c = &v->palette[(i & v->pel_mask) * 3];
	uint32_t r = (uint32_t)(c[0] << 2 | c[0] >> 4) & 0xff;
	uint32_t g = (uint32_t)(c[1] << 2 | c[1] >> 4) & 0xff;
	uint32_t b = (uint32_t)(c[2] << 2 | c[2] >> 4) & 0xff;

	return r << 16 | g << 8 | b;
}

uint32_t vga_attr_rgb(const struct vga *v, uint8_t attr_index)
{
	uint8_t p = v->ar[attr_index & 0x0f];

	/* Attribute mode control bit 7: P5-P4 from colour select bits 1-0. */
	if (v->ar[0x10] & 0x80)
		p = (uint8_t)((p & 0x0f) | (v->ar[0x14] & 0x03) << 4);
	p = (uint8_t)((p & 0x3f) | (v->ar[0x14] & 0x0c) << 4);
	return vga_dac_rgb(v, p);
}

static uint32_t crtc_vdisp(const struct vga *v)
{
	return (v->crtc[0x12] | (v->crtc[7] & 0x02) << 7 | (v->crtc[7] & 0x40) << 3) + 1u;
}

static void dispi_geometry(const struct vga *v, struct geometry *g)
{
	uint32_t bpp = v->vbe[VBE_DISPI_INDEX_BPP];

	g->kind = VGA_KIND_LFB;
	g->width = v->vbe[VBE_DISPI_INDEX_XRES];
	g->height = v->vbe[VBE_DISPI_INDEX_YRES];
	g->bpp = bpp;
	g->stride = v->vbe[VBE_DISPI_INDEX_VIRT_WIDTH] * (bpp == 15 ? 2 : (bpp + 7) / 8);
	g->start = v->vbe[VBE_DISPI_INDEX_Y_OFFSET] * g->stride +
		   v->vbe[VBE_DISPI_INDEX_X_OFFSET] * (bpp == 15 ? 2 : (bpp + 7) / 8);
	/* The registers were checked as written; this keeps the reads inside regardless. */
	if ((bpp != 8 && bpp != 15 && bpp != 16 && bpp != 24 && bpp != 32) || !g->height ||
	    (uint64_t)g->start + (uint64_t)(g->height - 1) * g->stride +
	    (uint64_t)g->width * ((bpp + 7) / 8) > VGA_VRAM_SIZE)
		g->kind = VGA_KIND_NONE;
}

/* What the registers describe now; VGA_KIND_NONE for nothing showable. */
static void geometry(const struct vga *v, struct geometry *g)
{
	uint32_t vdisp = crtc_vdisp(v), scan = (v->crtc[9] & 0x1f) + 1u, dots;

	memset(g, 0, sizeof(*g));
	if (v->vbe[VBE_DISPI_INDEX_ENABLE] & VBE_DISPI_ENABLED) {
		dispi_geometry(v, g);
	} else if (!(v->gr[6] & 1)) {
		g->kind = VGA_KIND_TEXT;
		g->cols = v->crtc[1] + 1u;
		g->cell_w = (v->seq[1] & 1) ? 8 : 9;
		g->cell_h = scan;
		if (v->crtc[9] & 0x80)
			vdisp /= 2;
		g->rows = vdisp / g->cell_h;
		if (g->rows > MAX_TEXT_ROWS)
			g->rows = MAX_TEXT_ROWS;
		g->width = g->cols * g->cell_w;
		g->height = g->rows * g->cell_h;
		g->stride = v->crtc[0x13] * 2u;	/* cells a row */
		g->start = (uint32_t)v->crtc[0x0c] << 8 | v->crtc[0x0d];
	} else {
		dots = (v->crtc[1] + 1u) * 8;
		if (v->crtc[9] & 0x80)
			scan *= 2;
		g->height = vdisp / scan;
		g->start = (uint32_t)v->crtc[0x0c] << 8 | v->crtc[0x0d];
		if ((v->seq[4] & 0x08) || (v->gr[5] & 0x40)) {
			/* 256 colours: two dot clocks a pixel, a byte each, dword addressing. */
			g->kind = VGA_KIND_CHAIN4;
			g->width = dots / 2;
			g->stride = v->crtc[0x13] * 8u;
			g->start *= 4;
		} else {
			g->kind = VGA_KIND_PLANAR16;
			g->width = dots;
			g->stride = v->crtc[0x13] * 2u;
		}
	}
	/*
	 * Below the smallest size a viewer may ask for is no picture: the
	 * registers of a VGA not programmed yet (all zero: a 9x1 "mode").
	 */
	if (g->width < DISPLAY_MIN_WIDTH || g->height < DISPLAY_MIN_HEIGHT ||
	    g->width > DISPLAY_MAX_WIDTH || g->height > DISPLAY_MAX_HEIGHT)
		g->kind = VGA_KIND_NONE;
	if (g->kind == VGA_KIND_NONE)
		g->width = g->height = 0;
}

static bool same_mode(const struct vga_screen *s, const struct geometry *g)
{
	if (s->kind == VGA_KIND_NONE && g->kind == VGA_KIND_NONE)
		return true;
	return s->kind == g->kind && s->width == g->width && s->height == g->height &&
	       s->cols == g->cols && s->rows == g->rows && s->cell_w == g->cell_w &&
	       s->cell_h == g->cell_h && s->bpp == g->bpp;
}

/* A new mode for the display; false when nothing can be shown. */
static bool set_mode(struct vga *v, const struct geometry *g)
{
	struct vga_screen *s = &v->scr;
	size_t px = (size_t)g->width * g->height;

	if (px > v->surface_len) {
		uint32_t *n = realloc(v->surface, px * sizeof(*n));

		if (!n)
			goto none;
		v->surface = n;
		v->surface_len = px;
	}
	if (g->kind == VGA_KIND_TEXT) {
		uint16_t *c = realloc(s->cells, (size_t)g->cols * g->rows * sizeof(*c));

		if (!c)
			goto none;
		s->cells = c;
	}
	s->kind = g->kind;
	s->width = g->width;
	s->height = g->height;
	s->cols = g->cols;
	s->rows = g->rows;
	s->cell_w = g->cell_w;
	s->cell_h = g->cell_h;
	s->bpp = g->bpp;
	s->cursor = UINT32_MAX;
	if (v->ops->set_mode(v->opaque, g->width, g->height, DISPLAY_FORMAT_XRGB8888) < 0)
		goto none;
	return g->kind != VGA_KIND_NONE;
none:
	s->kind = VGA_KIND_NONE;
	s->width = s->height = 0;
	v->ops->set_mode(v->opaque, 0, 0, 0);
	return false;
}

/* ---- text ------------------------------------------------------------ */

/* Character map select (sequencer 03h): font block n at plane-2 offset (n & 3) * 16 KiB + (n & 4) * 2 KiB. */
static uint32_t font_base(const struct vga *v, bool map_a)
{
	uint8_t s = v->seq[3];
	unsigned n = map_a ? ((s >> 2) & 3) | ((s >> 3) & 4) : (s & 3) | ((s >> 2) & 4);

	return (n & 3) * 0x4000u + ((n & 4) ? 0x2000u : 0);
}

static void draw_cell(struct vga *v, const struct geometry *g, uint32_t col, uint32_t row,
		      uint8_t ch, uint8_t attr, bool cursor)
{
	uint32_t fg = vga_attr_rgb(v, attr & 0x0f);
	uint32_t bg = vga_attr_rgb(v, (uint8_t)((v->ar[0x10] & 0x08) ? (attr >> 4) & 7 : attr >> 4));
	uint32_t font = font_base(v, attr & 0x08) + ch * 32u;
	uint32_t cs = v->crtc[0x0a] & 0x1f, ce = v->crtc[0x0b] & 0x1f;
	bool dup9 = ch >= 0xc0 && ch <= 0xdf && (v->ar[0x10] & 0x04);
	uint32_t y, x;

	for (y = 0; y < g->cell_h; y++) {
		uint32_t *px = v->surface + (size_t)(row * g->cell_h + y) * g->width +
			       col * g->cell_w;
		uint8_t bits = y < 32 ? v->vram[((font + y) & 0xffff) * 4 + 2] : 0;

		/* The cursor: scan lines start..end of the cell, in its foreground. */
		if (cursor && cs <= ce && y >= cs && y <= ce) {
			for (x = 0; x < g->cell_w; x++)
				px[x] = fg;
			continue;
		}
		for (x = 0; x < 8; x++)
			px[x] = (bits & (0x80 >> x)) ? fg : bg;
		/* The ninth dot repeats the eighth only for the line-drawing characters. */
		if (g->cell_w == 9)
			px[8] = (dup9 && (bits & 1)) ? fg : bg;
	}
}

static void render_text(struct vga *v, const struct geometry *g, bool all)
{
	struct vga_screen *s = &v->scr;
	uint32_t cursor_addr = (uint32_t)v->crtc[0x0e] << 8 | v->crtc[0x0f];
	bool cursor_on = !(v->crtc[0x0a] & 0x20);
	uint32_t row, col, cursor_cell = UINT32_MAX;

	for (row = 0; row < g->rows; row++) {
		uint32_t lo = UINT32_MAX, hi = 0;

		for (col = 0; col < g->cols; col++) {
			uint32_t addr = g->start + row * g->stride + col;
			uint32_t o = (addr * 2) & 0xffff;	/* word mode: plane offset */
			uint8_t ch = v->vram[o * 4], attr = v->vram[o * 4 + 1];
			uint32_t cell = row * g->cols + col;
			uint16_t key = (uint16_t)(ch | attr << 8);
			bool cur = cursor_on && (addr & 0xffff) == cursor_addr;

			if (cur)
				cursor_cell = cell;
			if (!all && s->cells[cell] == key && cur == (s->cursor == cell))
				continue;
			s->cells[cell] = key;
			draw_cell(v, g, col, row, ch, attr, cur);
			if (col < lo)
				lo = col;
			hi = col;
		}
		if (lo != UINT32_MAX) {
			struct display_rect r = {
				.x = lo * g->cell_w, .y = row * g->cell_h,
				.w = (hi - lo + 1) * g->cell_w, .h = g->cell_h,
			};

			v->ops->update(v->opaque, &r, v->surface + (size_t)r.y * g->width + r.x,
				       g->width * 4);
		}
	}
	s->cursor = cursor_cell;
}

/* ---- graphics -------------------------------------------------------- */

static void render_planar(struct vga *v, const struct geometry *g)
{
	uint8_t enable = v->ar[0x12] & 0x0f;
	uint32_t y, x, p;

	for (y = 0; y < g->height; y++) {
		uint32_t *px = v->surface + (size_t)y * g->width;

		for (x = 0; x < g->width; x++) {
			uint32_t o = (g->start + y * g->stride + x / 8) & 0xffff;
			uint8_t bit = (uint8_t)(0x80 >> (x & 7)), c = 0;

			for (p = 0; p < 4; p++)
				if (v->vram[o * 4 + p] & bit)
					c |= (uint8_t)(1u << p);
			px[x] = vga_attr_rgb(v, c & enable);
		}
	}
}

static void render_chain4(struct vga *v, const struct geometry *g)
{
	uint32_t y, x;

	for (y = 0; y < g->height; y++) {
		uint32_t *px = v->surface + (size_t)y * g->width;

		for (x = 0; x < g->width; x++)
			px[x] = vga_dac_rgb(v, v->vram[(g->start + y * g->stride + x) & 0x3ffff]);
	}
}

static void update_all(struct vga *v, const struct geometry *g)
{
	struct display_rect r = { 0, 0, g->width, g->height };

	v->ops->update(v->opaque, &r, v->surface, g->width * 4);
}

/* ---- dispi ----------------------------------------------------------- */

static bool page_dirty(const uint64_t *bm, uint32_t page)
{
	return page < VGA_VRAM_PAGES && (bm[page / 64] >> (page % 64) & 1);
}

/* Were any of the pages under bytes [off, off + len) written? */
static bool range_dirty(const uint64_t *bm, uint32_t off, uint32_t len)
{
	uint32_t p;

	for (p = off / VGA_PAGE_SIZE; p <= (off + len - 1) / VGA_PAGE_SIZE; p++)
		if (page_dirty(bm, p))
			return true;
	return false;
}

static void convert_line(const struct vga *v, const struct geometry *g, uint32_t y,
			 uint32_t *dst)
{
	const uint8_t *src = v->vram + g->start + (size_t)y * g->stride;
	uint32_t x, c;

	for (x = 0; x < g->width; x++) {
		switch (g->bpp) {
		case 8:
			dst[x] = vga_dac_rgb(v, src[x]);
			break;
		case 15:
			c = src[2 * x] | src[2 * x + 1] << 8;
			dst[x] = ((c >> 10 & 0x1f) * 255 / 31) << 16 | ((c >> 5 & 0x1f) * 255 / 31) << 8 |
				 (c & 0x1f) * 255 / 31;
			break;
		case 16:
			c = src[2 * x] | src[2 * x + 1] << 8;
			dst[x] = ((c >> 11 & 0x1f) * 255 / 31) << 16 | ((c >> 5 & 0x3f) * 255 / 63) << 8 |
				 (c & 0x1f) * 255 / 31;
			break;
		default:	/* 24: B, G, R bytes */
			dst[x] = (uint32_t)src[3 * x + 2] << 16 | (uint32_t)src[3 * x + 1] << 8 |
				 src[3 * x];
			break;
		}
	}
}

/* Lines y0..y1-1, from video memory (32 bpp) or converted. */
static void lfb_flush(struct vga *v, const struct geometry *g, uint32_t y0, uint32_t y1)
{
	struct display_rect r = { 0, y0, g->width, y1 - y0 };
	uint32_t y;

	if (g->bpp == 32) {
		v->ops->update(v->opaque, &r, v->vram + g->start + (size_t)y0 * g->stride, g->stride);
		return;
	}
	for (y = y0; y < y1; y++)
		convert_line(v, g, y, v->surface + (size_t)y * g->width);
	v->ops->update(v->opaque, &r, v->surface + (size_t)y0 * g->width, g->width * 4);
}

static void render_lfb(struct vga *v, const struct geometry *g, const uint64_t *dirty, bool all)
{
	uint32_t line = g->bpp == 15 ? g->width * 2 : g->width * ((g->bpp + 7) / 8);
	uint32_t y, run = UINT32_MAX;

	for (y = 0; y < g->height; y++) {
		bool d = all || !dirty || range_dirty(dirty, g->start + y * g->stride, line);

		if (d && run == UINT32_MAX)
			run = y;
		if (!d && run != UINT32_MAX) {
			lfb_flush(v, g, run, y);
			run = UINT32_MAX;
		}
	}
	if (run != UINT32_MAX)
		lfb_flush(v, g, run, g->height);
}

void vga_render(struct vga *v, const uint64_t *lfb_dirty, bool full)
{
	struct geometry g;

	geometry(v, &g);
	if (!same_mode(&v->scr, &g)) {
		if (!set_mode(v, &g))
			return;
		full = true;
	}
	if (g.kind == VGA_KIND_NONE)
		return;
	v->scr.stride = g.stride;
	v->scr.start = g.start;
	switch (g.kind) {
	case VGA_KIND_TEXT:
		render_text(v, &g, full);
		break;
	case VGA_KIND_PLANAR16:
		render_planar(v, &g);
		update_all(v, &g);
		break;
	case VGA_KIND_CHAIN4:
		render_chain4(v, &g);
		update_all(v, &g);
		break;
	case VGA_KIND_LFB:
		render_lfb(v, &g, lfb_dirty, full);
		break;
	default:
		break;
	}
}
