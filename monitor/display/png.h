/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * display/png.h - a display surface as a PNG file (libpng), for
 * `vmain screenshot` and the tests' pixel comparisons.
 *
 * The image is 8-bit RGB: the surface's alpha or padding byte is not
 * part of what the guest shows on a scanout, so it is dropped.
 */
#ifndef VMAIN_MONITOR_DISPLAY_PNG_H
#define VMAIN_MONITOR_DISPLAY_PNG_H

#include <stddef.h>
#include <stdint.h>

/*
 * Writes width x height pixels of `format` (DISPLAY_FORMAT_*), rows
 * `stride` bytes apart, to `path` (through a temporary file renamed over
 * it, so a reader never sees half an image).  0, or -errno with err.
 */
int png_write_surface(const char *path, const void *pixels, uint32_t width,
		      uint32_t height, uint32_t stride, uint32_t format,
		      char *err, size_t errlen);

/* One pixel of `format` as 0xRRGGBB. */
uint32_t png_pixel_rgb(uint32_t format, uint32_t px);

#endif
