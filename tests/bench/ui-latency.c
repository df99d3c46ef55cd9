// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * ui-latency PID X Y [N] - how long a guest's flush takes to become pixels
 * on the X server, through vmain-gtk: N times (default 200), read the X
 * screen's pixel at X,Y, signal the fake VM PID (tests/ui/fake-vm.c,
 * SIGUSR2: a 64x64 square at guest 64,64 changes colour and is flushed),
 * and read the pixel until it changes.  X,Y: a pixel inside that square
 * on the screen.  Prints min/median/p99/max in microseconds.
 *
 * Each read is an XGetImage round trip (tens of microseconds on a local
 * Xvfb), so a result is within one round trip of the truth.
 */
#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static unsigned long pixel(Display *dpy, int x, int y)
{
	XImage *img = XGetImage(dpy, DefaultRootWindow(dpy), x, y, 1, 1, AllPlanes, ZPixmap);
	unsigned long p;

	if (!img)
		return ~0ul;
	p = XGetPixel(img, 0, 0) & 0xffffff;
	XDestroyImage(img);
	return p;
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	Display *dpy;
	int pid, x, y, n, got = 0;
	double *lat;

	if (argc < 4) {
		fprintf(stderr, "usage: ui-latency PID X Y [N]\n");
		return 2;
	}
	pid = atoi(argv[1]);
	x = atoi(argv[2]);
	y = atoi(argv[3]);
	n = argc > 4 ? atoi(argv[4]) : 200;
	if (n < 1 || n > 100000)
		n = 200;
	dpy = XOpenDisplay(NULL);
	if (!dpy) {
		fprintf(stderr, "ui-latency: no X display\n");
		return 1;
	}
	lat = calloc((size_t)n, sizeof(*lat));
	for (int i = 0; i < n; i++) {
		unsigned long before = pixel(dpy, x, y), p;
		double t0 = now_us(), t;
		struct timespec pause = { 0, 5 * 1000 * 1000 };

		if (kill(pid, SIGUSR2)) {
			perror("ui-latency: kill");
			return 1;
		}
		do {
			p = pixel(dpy, x, y);
			t = now_us();
		} while (p == before && t - t0 < 1e6);
		if (p != before)
			lat[got++] = t - t0;
		nanosleep(&pause, NULL);	/* let the app go idle again */
	}
	if (!got) {
		fprintf(stderr, "ui-latency: the pixel at %d,%d never changed\n", x, y);
		return 1;
	}
	qsort(lat, (size_t)got, sizeof(*lat), cmp);
	printf("flush to X server pixels, 64x64, %d of %d: min %.0f us, median %.0f us, "
	       "p99 %.0f us, max %.0f us\n", got, n, lat[0], lat[got / 2],
	       lat[(int)(got * 0.99) < got ? (int)(got * 0.99) : got - 1], lat[got - 1]);
	free(lat);
	return got == n ? 0 : 1;
}
