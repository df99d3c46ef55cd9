/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/ui/fake-pattern.h - the screen the fake VM (fake-vm.c) draws, and
 * that the app's end-to-end test (shot-check.c) looks for in screenshots.
 *
 * Every pixel says where it is: at guest (x, y), XRGB8888
 *
 *	R = x & 0xff,  G = y & 0xff,  B = (x >> 8 & 0xf) | (y >> 8 & 0xf) << 4
 *
 * so a screenshot shows at which offset, and at which scale (1:1 or not),
 * the guest's screen lies, for sizes up to 4096 x 4096.  The one
 * exception is the frame band: rows 0 .. FAKE_BAND_H - 1 of columns
 * 0 .. FAKE_BAND_W - 1 (clipped to the screen) are one flat colour, the
 * frame counter's low 24 bits (0 at the start and after each new mode;
 * +1 each time the fake VM redraws it, --redraw-ms).
 */
#ifndef VMAIN_TESTS_UI_FAKE_PATTERN_H
#define VMAIN_TESTS_UI_FAKE_PATTERN_H

#include <stdbool.h>
#include <stdint.h>

#define FAKE_BAND_W	256
#define FAKE_BAND_H	16

static inline bool fake_in_band(uint32_t x, uint32_t y)
{
	return x < FAKE_BAND_W && y < FAKE_BAND_H;
}

/* The pixel at (x, y), 0x00RRGGBB, with the band showing `frame`. */
static inline uint32_t fake_pixel(uint32_t x, uint32_t y, uint32_t frame)
{
	if (fake_in_band(x, y))
		return frame & 0xffffff;
	return (x & 0xff) << 16 | (y & 0xff) << 8 | (x >> 8 & 0xf) | (y >> 8 & 0xf) << 4;
}

/* The guest position a pattern pixel names (outside the band). */
static inline void fake_position(uint32_t rgb, uint32_t *x, uint32_t *y)
{
	*x = (rgb >> 16 & 0xff) | (rgb & 0xf) << 8;
	*y = (rgb >> 8 & 0xff) | (rgb >> 4 & 0xf) << 8;
}

#endif
