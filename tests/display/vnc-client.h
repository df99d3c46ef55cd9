/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tests/display/vnc-client.h - what the VNC test and the display bench
 * share about their libvncclient clients.
 */
#ifndef VMAIN_TESTS_DISPLAY_VNC_CLIENT_H
#define VMAIN_TESTS_DISPLAY_VNC_CLIENT_H

#include <rfb/rfbclient.h>
#include <stdlib.h>
#include <unistd.h>

/*
 * Closes a client: its socket first, then the framebuffer and the cursor
 * image and mask, which rfbClientCleanup() of libvncclient 0.9.14 does
 * not free.
 */
static inline void client_close(rfbClient *c)
{
	if (!c)
		return;
	close(c->sock);
	c->sock = -1;
	free(c->frameBuffer);
	free(c->rcSource);
	free(c->rcMask);
	rfbClientCleanup(c);
}

#endif
