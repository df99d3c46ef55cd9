// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * display-check FILE.png [WxH] - does FILE show the display test's pattern
 * (scripts/guest/init, vmain.test=display) pixel for pixel?  Eight bands
 * of rows (band b: rows b*H/8 .. (b+1)*H/8 - 1); in band b the left half
 * (x < W/2) has colour b and the right half colour (b + 3) % 8 of the
 * table below.  Prints "match WxH" and exits 0, or says where it first
 * differs (and how many pixels do) and exits 1; 2 when FILE is no PNG.
 */
#include <png.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static const uint32_t colours[8] = {
	0xff0000, 0x00ff00, 0x0000ff, 0xffff00, 0x00ffff, 0xff00ff, 0xffffff, 0x804020,
};

int main(int argc, char **argv)
{
	unsigned long bad = 0, want_w = 0, want_h = 0;
	png_image img = { .version = PNG_IMAGE_VERSION };
	uint8_t *px;
	long first = -1;

	if (argc < 2 || argc > 3 ||
	    (argc == 3 && sscanf(argv[2], "%lux%lu", &want_w, &want_h) != 2)) {
		fprintf(stderr, "usage: display-check FILE.png [WxH]\n");
		return 2;
	}
	if (!png_image_begin_read_from_file(&img, argv[1])) {
		fprintf(stderr, "display-check: %s: %s\n", argv[1], img.message);
		return 2;
	}
	img.format = PNG_FORMAT_RGB;
	px = malloc(PNG_IMAGE_SIZE(img));
	if (!px || !png_image_finish_read(&img, NULL, px, 0, NULL)) {
		fprintf(stderr, "display-check: %s: %s\n", argv[1], img.message);
		return 2;
	}
	if (want_w && (img.width != want_w || img.height != want_h)) {
		printf("size %ux%u, not %lux%lu\n", img.width, img.height, want_w, want_h);
		return 1;
	}
	for (uint32_t y = 0; y < img.height; y++) {
		uint32_t band = (uint32_t)((uint64_t)y * 8 / img.height);

		for (uint32_t x = 0; x < img.width; x++) {
			uint32_t want = colours[x < img.width / 2 ? band : (band + 3) % 8];
			const uint8_t *p = px + ((size_t)y * img.width + x) * 3;
			uint32_t got = (uint32_t)p[0] << 16 | p[1] << 8 | p[2];

			if (got != want) {
				if (first < 0) {
					first = (long)y * img.width + x;
					printf("first difference at (%u,%u): %06x, want %06x\n", x, y,
					       got, want);
				}
				bad++;
			}
		}
	}
	if (bad) {
		printf("%lu of %u pixels differ\n", bad, img.width * img.height);
		return 1;
	}
	printf("match %ux%u\n", img.width, img.height);
	return 0;
}
