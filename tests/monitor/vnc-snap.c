// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * vnc-snap HOST:PORT FILE.png [KEYSYM...] - a VNC client (libvncclient)
 * for the display test: connects, takes the whole framebuffer, types the
 * X keysyms given (press and release each), waits until no update came
 * for a second, and saves the framebuffer as a PNG.  The password, if the
 * server wants one, comes from $VNC_PASSWORD.  Exits 0 when saved.
 */
#include <rfb/rfbclient.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include "display/display.h"
#include "display/png.h"

static double now(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return tv.tv_sec + tv.tv_usec / 1e6;
}

static double last_update;

static void got_update(rfbClient *c, int x, int y, int w, int h)
{
	(void)c; (void)x; (void)y; (void)w; (void)h;
	last_update = now();
}

static char *password(rfbClient *c)
{
	const char *p = getenv("VNC_PASSWORD");

	(void)c;
	return strdup(p ? p : "");
}

/*
 * libvncclient's WaitForMessage() looks at the socket only, not at what
 * the client already read ahead into its buffer: a message that arrived
 * with the last one would wait for the next packet.
 */
static int wait_message(rfbClient *c)
{
	return c->buffered > 0 ? 1 : WaitForMessage(c, 100000);
}

static void quiet(const char *fmt, ...)
{
	(void)fmt;
}

int main(int argc, char **argv)
{
	char err[512], *colon;
	double start, deadline;
	rfbClient *c;
	int i;

	if (argc < 3) {
		fprintf(stderr, "usage: vnc-snap HOST:PORT FILE.png [KEYSYM...]\n");
		return 2;
	}
	rfbClientLog = quiet;
	c = rfbGetClient(8, 3, 4);	/* 32 bits a pixel: R, G, B, x in memory */
	c->GotFrameBufferUpdate = got_update;
	c->GetPassword = password;
	colon = strrchr(argv[1], ':');
	if (!colon) {
		fprintf(stderr, "vnc-snap: %s: not HOST:PORT\n", argv[1]);
		return 2;
	}
	*colon = 0;
	c->serverHost = strdup(argv[1]);
	c->serverPort = atoi(colon + 1);
	if (!rfbInitClient(c, NULL, NULL)) {	/* frees c on failure */
		fprintf(stderr, "vnc-snap: cannot connect to %s:%s\n", argv[1], colon + 1);
		return 1;
	}
	start = last_update = now();
	deadline = start + 60;
	/* The first full update, then the keys, then quiet for a second. */
	while (now() < deadline && last_update == start)
		if (wait_message(c) > 0 && !HandleRFBServerMessage(c))
			goto lost;
	for (i = 3; i < argc; i++) {
		uint32_t sym = (uint32_t)strtoul(argv[i], NULL, 0);

		SendKeyEvent(c, sym, TRUE);
		SendKeyEvent(c, sym, FALSE);
	}
	while (now() < deadline && now() - last_update < 1.0)
		if (wait_message(c) > 0 && !HandleRFBServerMessage(c))
			goto lost;
	if (png_write_surface(argv[2], c->frameBuffer, c->width, c->height, c->width * 4,
			      DISPLAY_FORMAT_XBGR8888, err, sizeof(err))) {
		fprintf(stderr, "vnc-snap: %s\n", err);
		rfbClientCleanup(c);
		return 1;
	}
	printf("saved %s %dx%d\n", argv[2], c->width, c->height);
	rfbClientCleanup(c);
	return 0;
lost:
	fprintf(stderr, "vnc-snap: the server closed the connection\n");
	rfbClientCleanup(c);
	return 1;
}
