// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * display/png.c - a display surface as a PNG file (see png.h).
 */
#include <errno.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "display/display.h"
#include "display/png.h"

uint32_t png_pixel_rgb(uint32_t format, uint32_t px)
{
	/* The formats are named by the order of their bits, [31:0] (drm_fourcc.h). */
	switch (format) {
	case DISPLAY_FORMAT_XRGB8888:
	case DISPLAY_FORMAT_ARGB8888:
		return px & 0xffffff;
	case DISPLAY_FORMAT_XBGR8888:
	case DISPLAY_FORMAT_ABGR8888:
		return (px & 0xff) << 16 | (px & 0xff00) | (px >> 16 & 0xff);
	case DISPLAY_FORMAT_BGRX8888:
	case DISPLAY_FORMAT_BGRA8888:
		return (px >> 8 & 0xff) << 16 | (px >> 16 & 0xff) << 8 | px >> 24;
	case DISPLAY_FORMAT_RGBX8888:
	case DISPLAY_FORMAT_RGBA8888:
		return px >> 8;
	}
	return 0;
}

/* libpng reports errors by longjmp: the message goes into err first. */
struct png_err {
	char *err;
	size_t errlen;
};

static void on_error(png_structp png, png_const_charp msg)
{
	struct png_err *e = png_get_error_ptr(png);

	snprintf(e->err, e->errlen, "%s", msg);
	png_longjmp(png, 1);
}

static void on_warning(png_structp png, png_const_charp msg)
{
	(void)png;
	(void)msg;
}

static int write_png(FILE *f, const uint8_t *pixels, uint32_t width, uint32_t height,
		     uint32_t stride, uint32_t format, char *err, size_t errlen)
{
	struct png_err e = { err, errlen };
	png_structp png;
	png_infop info = NULL;
	uint8_t *volatile row = NULL;
	uint32_t x, y;
	volatile int ret = -EIO;	/* read after longjmp (setjmp(3)) */

	png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &e, on_error, on_warning);
	if (!png) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	info = png_create_info_struct(png);
	if (!info) {
		snprintf(err, errlen, "out of memory");
		ret = -ENOMEM;
		goto destroy;
	}
	if (setjmp(png_jmpbuf(png)))
		goto destroy;
	png_init_io(png, f);
	png_set_IHDR(png, info, width, height, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
		     PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
	png_write_info(png, info);
	row = malloc((size_t)width * 3);
	if (!row) {
		snprintf(err, errlen, "out of memory");
		ret = -ENOMEM;
		goto destroy;
	}
	for (y = 0; y < height; y++) {
		const uint8_t *src = pixels + (size_t)y * stride;

		for (x = 0; x < width; x++) {
			uint32_t px, rgb;

			memcpy(&px, src + (size_t)x * 4, 4);
			rgb = png_pixel_rgb(format, px);
			row[x * 3] = rgb >> 16;
			row[x * 3 + 1] = rgb >> 8;
			row[x * 3 + 2] = rgb;
		}
		png_write_row(png, row);
	}
	png_write_end(png, info);
	ret = 0;
destroy:
	free(row);
	png_destroy_write_struct(&png, &info);
	return ret;
}

int png_write_surface(const char *path, const void *pixels, uint32_t width,
		      uint32_t height, uint32_t stride, uint32_t format,
		      char *err, size_t errlen)
{
	char *tmp;
	FILE *f;
	int fd, ret;

	if (!width || !height || width > DISPLAY_MAX_WIDTH || height > DISPLAY_MAX_HEIGHT ||
	    stride < width * 4 || !display_format_valid(format)) {
		snprintf(err, errlen, "not a surface vmain shows (%ux%u, stride %u, format %#x)",
			 width, height, stride, format);
		return -EINVAL;
	}
	if (asprintf(&tmp, "%s.XXXXXX", path) < 0) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	fd = mkstemp(tmp);
	if (fd < 0) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		goto free_tmp;
	}
	f = fdopen(fd, "wb");
	if (!f) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		close(fd);
		goto unlink_tmp;
	}
	ret = write_png(f, pixels, width, height, stride, format, err, errlen);
	if (fflush(f) && !ret) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
	}
	if (fclose(f) && !ret) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
	}
	/* mkstemp made it 0600; a screenshot is an ordinary file (the umask decides). */
	if (!ret) {
		mode_t mask = umask(0);

		umask(mask);
		if (chmod(tmp, 0666 & ~mask)) {
			ret = -errno;
			snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		}
	}
	if (!ret && rename(tmp, path)) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
	}
	if (!ret)
		goto free_tmp;
unlink_tmp:
	unlink(tmp);
free_tmp:
	free(tmp);
	return ret;
}
