// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * png-test - display/png.c: every surface format written as PNG and read
 * back with libpng's own reader, pixel for pixel; the errors.
 */
#include <errno.h>
#include <png.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "display/display.h"
#include "display/png.h"
#include "tap.h"

#define W 37
#define H 23

/* The colour of (x, y) in the test pattern, 0xRRGGBB. */
static uint32_t pattern(uint32_t x, uint32_t y)
{
	return (x * 7 & 0xff) << 16 | (y * 11 & 0xff) << 8 | ((x ^ y) * 13 & 0xff);
}

/* 0xRRGGBB as a pixel of `format` (the inverse of png_pixel_rgb()), alpha/pad 0x5a. */
static uint32_t encode(uint32_t format, uint32_t rgb)
{
	uint32_t r = rgb >> 16 & 0xff, g = rgb >> 8 & 0xff, b = rgb & 0xff, a = 0x5a;

	switch (format) {
	case DISPLAY_FORMAT_XRGB8888:
	case DISPLAY_FORMAT_ARGB8888:
		return a << 24 | r << 16 | g << 8 | b;
	case DISPLAY_FORMAT_XBGR8888:
	case DISPLAY_FORMAT_ABGR8888:
		return a << 24 | b << 16 | g << 8 | r;
	case DISPLAY_FORMAT_BGRX8888:
	case DISPLAY_FORMAT_BGRA8888:
		return b << 24 | g << 16 | r << 8 | a;
	default:
		return r << 24 | g << 16 | b << 8 | a;
	}
}

static int check_format(const char *dir, uint32_t format, const char *name)
{
	uint32_t stride = W * 4 + 12, x, y, bad = 0;
	uint8_t *surf = calloc(H, stride), *rgb;
	png_image img;
	char path[512], err[256];
	int ret;

	for (y = 0; y < H; y++)
		for (x = 0; x < W; x++) {
			uint32_t px = encode(format, pattern(x, y));

			memcpy(surf + (size_t)y * stride + x * 4, &px, 4);
		}
	snprintf(path, sizeof(path), "%s/%s.png", dir, name);
	ret = png_write_surface(path, surf, W, H, stride, format, err, sizeof(err));
	tap_ok(ret == 0, "%s: written (%s)", name, ret ? err : "ok");
	memset(&img, 0, sizeof(img));
	img.version = PNG_IMAGE_VERSION;
	if (!png_image_begin_read_from_file(&img, path)) {
		tap_ok(0, "%s: libpng reads it back (%s)", name, img.message);
		free(surf);
		return -1;
	}
	tap_ok(img.width == W && img.height == H, "%s: %ux%u", name, img.width, img.height);
	img.format = PNG_FORMAT_RGB;
	rgb = malloc(PNG_IMAGE_SIZE(img));
	tap_ok(png_image_finish_read(&img, NULL, rgb, 0, NULL), "%s: decoded", name);
	for (y = 0; y < H; y++)
		for (x = 0; x < W; x++) {
			uint8_t *p = rgb + (y * W + x) * 3;

			if ((uint32_t)(p[0] << 16 | p[1] << 8 | p[2]) != pattern(x, y))
				bad++;
		}
	tap_ok(bad == 0, "%s: every pixel as drawn (%u differ)", name, bad);
	free(rgb);
	free(surf);
	return 0;
}

int main(void)
{
	char dir[] = "/tmp/png-test.XXXXXX", err[256], path[600];
	static const struct { uint32_t f; const char *name; } formats[] = {
		{ DISPLAY_FORMAT_XRGB8888, "XRGB8888" }, { DISPLAY_FORMAT_ARGB8888, "ARGB8888" },
		{ DISPLAY_FORMAT_XBGR8888, "XBGR8888" }, { DISPLAY_FORMAT_ABGR8888, "ABGR8888" },
		{ DISPLAY_FORMAT_BGRX8888, "BGRX8888" }, { DISPLAY_FORMAT_BGRA8888, "BGRA8888" },
		{ DISPLAY_FORMAT_RGBX8888, "RGBX8888" }, { DISPLAY_FORMAT_RGBA8888, "RGBA8888" },
	};
	uint32_t px[4] = { 0 };
	struct stat st;
	unsigned int i;
	int ret;

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		check_format(dir, formats[i].f, formats[i].name);

	snprintf(path, sizeof(path), "%s/XRGB8888.png", dir);
	umask(022);
	ret = png_write_surface(path, px, 2, 2, 8, DISPLAY_FORMAT_XRGB8888, err, sizeof(err));
	tap_ok(ret == 0 && !stat(path, &st) && (st.st_mode & 0777) == 0644,
	       "an existing file is replaced, mode from the umask (0%o)", st.st_mode & 0777);
	ret = png_write_surface(path, px, 2, 2, 8, 0x12345678, err, sizeof(err));
	tap_ok(ret == -EINVAL && strstr(err, "format"), "an unknown format: -EINVAL (%s)", err);
	ret = png_write_surface(path, px, 2, 2, 4, DISPLAY_FORMAT_XRGB8888, err, sizeof(err));
	tap_ok(ret == -EINVAL, "a stride shorter than a row: -EINVAL");
	ret = png_write_surface(path, px, 0, 2, 8, DISPLAY_FORMAT_XRGB8888, err, sizeof(err));
	tap_ok(ret == -EINVAL, "width 0: -EINVAL");
	snprintf(path, sizeof(path), "%s/no/such/dir.png", dir);
	ret = png_write_surface(path, px, 2, 2, 8, DISPLAY_FORMAT_XRGB8888, err, sizeof(err));
	tap_ok(ret == -ENOENT && strstr(err, "no/such/dir.png"),
	       "a missing directory: -ENOENT, named (%s)", err);
	tap_ok(png_pixel_rgb(DISPLAY_FORMAT_BGRX8888, 0x332211ffu) == 0x112233,
	       "BGRX8888: [31:0] is B:G:R:x");

	if (fork() == 0) {
		execlp("rm", "rm", "-rf", dir, (char *)NULL);
		_exit(127);
	}
	return tap_done();
}
