// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * shot-check FILE.png W H [X Y] - does the screenshot FILE show the fake
 * VM's W x H screen (tests/ui/fake-pattern.h) pixel for pixel, at 1:1?
 *
 * The screen's top-left corner is at (X, Y) of FILE when given; else it
 * is found: each pattern pixel names its own guest position, so a pixel of
 * FILE proposes an offset, which 64 spread samples then test, and the first
 * offset that passes is checked whole.  The frame band must be one flat
 * colour (any frame).  Prints "match WxH at X,Y frame F" and exits 0, or
 * says what differs and exits 1; 2 when FILE is no PNG.
 */
#include <png.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "fake-pattern.h"

static uint8_t *px;
static uint32_t img_w, img_h, w, h;

static uint32_t at(uint32_t x, uint32_t y)
{
	const uint8_t *p = px + ((size_t)y * img_w + x) * 3;

	return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

/* Guest pixel (gx, gy) outside the band, as FILE shows it with offset (ox, oy). */
static bool sample_ok(long ox, long oy, uint32_t gx, uint32_t gy)
{
	return at((uint32_t)(ox + gx), (uint32_t)(oy + gy)) == fake_pixel(gx, gy, 0);
}

static bool fits(long ox, long oy)
{
	return ox >= 0 && oy >= 0 && ox + w <= img_w && oy + h <= img_h;
}

/* 64 spread pixels below the band match. */
static bool samples_ok(long ox, long oy)
{
	if (!fits(ox, oy) || h <= FAKE_BAND_H)
		return false;
	for (uint32_t i = 0; i < 8; i++)
		for (uint32_t j = 0; j < 8; j++) {
			uint32_t gx = (w - 1) * i / 7;
			uint32_t gy = FAKE_BAND_H + (h - 1 - FAKE_BAND_H) * j / 7;

			if (!sample_ok(ox, oy, gx, gy))
				return false;
		}
	return true;
}

static bool find(long *ox, long *oy)
{
	for (uint32_t sy = 0; sy < img_h; sy += 3)
		for (uint32_t sx = 0; sx < img_w; sx += 3) {
			uint32_t gx, gy;

			fake_position(at(sx, sy), &gx, &gy);
			if (gx >= w || gy >= h || fake_in_band(gx, gy))
				continue;
			if (samples_ok((long)sx - gx, (long)sy - gy)) {
				*ox = (long)sx - gx;
				*oy = (long)sy - gy;
				return true;
			}
		}
	return false;
}

int main(int argc, char **argv)
{
	png_image img = { .version = PNG_IMAGE_VERSION };
	unsigned long bad = 0;
	long ox = 0, oy = 0;
	uint32_t frame;

	if ((argc != 4 && argc != 6) || sscanf(argv[2], "%u", &w) != 1 ||
	    sscanf(argv[3], "%u", &h) != 1 || !w || !h ||
	    (argc == 6 && (sscanf(argv[4], "%ld", &ox) != 1 || sscanf(argv[5], "%ld", &oy) != 1))) {
		fprintf(stderr, "usage: shot-check FILE.png W H [X Y]\n");
		return 2;
	}
	if (!png_image_begin_read_from_file(&img, argv[1])) {
		fprintf(stderr, "shot-check: %s: %s\n", argv[1], img.message);
		return 2;
	}
	img.format = PNG_FORMAT_RGB;
	px = malloc(PNG_IMAGE_SIZE(img));
	if (!px || !png_image_finish_read(&img, NULL, px, 0, NULL)) {
		fprintf(stderr, "shot-check: %s: %s\n", argv[1], img.message);
		return 2;
	}
	img_w = img.width;
	img_h = img.height;
	if (argc == 4 && !find(&ox, &oy)) {
		printf("no %ux%u pattern at 1:1 in the %ux%u image\n", w, h, img_w, img_h);
		return 1;
	}
	if (!fits(ox, oy)) {
		printf("%ux%u at %ld,%ld does not fit in the %ux%u image\n", w, h, ox, oy,
		       img_w, img_h);
		return 1;
	}
	frame = at((uint32_t)ox, (uint32_t)oy);
	for (uint32_t gy = 0; gy < h; gy++)
		for (uint32_t gx = 0; gx < w; gx++) {
			uint32_t got = at((uint32_t)(ox + gx), (uint32_t)(oy + gy));
			uint32_t want = fake_pixel(gx, gy, frame);

			if (got != want && !bad++)
				printf("first difference at guest (%u,%u): %06x, want %06x\n",
				       gx, gy, got, want);
		}
	if (bad) {
		printf("%lu of %u pixels differ (%ux%u at %ld,%ld)\n", bad, w * h, w, h, ox, oy);
		return 1;
	}
	printf("match %ux%u at %ld,%ld frame %u\n", w, h, ox, oy, frame);
	return 0;
}
