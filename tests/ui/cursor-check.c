// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * cursor-check - is the X pointer's image now the fake VM's cursor
 * (tests/ui/fake-vm.c: 16x16, hot spot 1,1, a black outline, two white
 * rings, a transparent middle)?  That is, did vmain-gtk make the guest's
 * cursor plane the host pointer (XFixesGetCursorImage), rather than draw
 * it into the picture?  Prints what it found; exit 0 on a match, 1 not.
 */
#include <X11/Xlib.h>
#include <X11/extensions/Xfixes.h>
#include <stdio.h>

int main(void)
{
	Display *dpy = XOpenDisplay(NULL);
	XFixesCursorImage *img;
	unsigned long corner, ring, middle;
	int ev, err, ok;

	if (!dpy || !XFixesQueryExtension(dpy, &ev, &err)) {
		fprintf(stderr, "cursor-check: no X display with XFIXES\n");
		return 2;
	}
	img = XFixesGetCursorImage(dpy);
	if (!img) {
		fprintf(stderr, "cursor-check: no cursor image\n");
		return 1;
	}
	printf("cursor %ux%u hot %u,%u", img->width, img->height, img->xhot, img->yhot);
	if (img->width != 16 || img->height != 16) {
		printf(": not the guest's 16x16\n");
		return 1;
	}
	/* ARGB, premultiplied, one long a pixel. */
	corner = img->pixels[0] & 0xffffffff;
	ring = img->pixels[1 * 16 + 1] & 0xffffffff;
	middle = img->pixels[8 * 16 + 8] & 0xffffffff;
	printf(" corner %08lx ring %08lx middle %08lx\n", corner, ring, middle);
	ok = img->xhot == 1 && img->yhot == 1 && corner == 0xff000000 && ring == 0xffffffff &&
	     (middle >> 24) == 0;
	XFree(img);
	XCloseDisplay(dpy);
	return ok ? 0 : 1;
}
