/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * display/vnc.h - the VNC server for headless VMs (libvncserver), a
 * viewer of the display (display/display.h) driven by the monitor's I/O
 * loop (io/ioloop.h).  How it is driven and what it costs: vnc.c.
 *
 * Threads.  vnc_server_start() and vnc_server_stop() may be called from
 * any thread, with the loop started or turned by hand (they run their
 * part on it through ioloop_call_sync()); everything else the server
 * does runs on the loop thread.  The process must ignore
 * SIGPIPE (libvncserver writes with write(2); vm.c ignores it).
 */
#ifndef VMAIN_MONITOR_DISPLAY_VNC_H
#define VMAIN_MONITOR_DISPLAY_VNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "display/vnc-options.h"

struct display;
struct ioloop;
struct vnc_server;

#define VNC_MAX_CLIENTS		16	/* more connections are closed at once */
#define VNC_CLIENT_WAIT_MS	1000	/* a message begun must be finished this soon */
#define VNC_HANDSHAKE_NS	10000000000ll	/* and the handshake (to ClientInit) this soon */

/*
 * Listens where `o` says (checked with vnc_options_check() first) and
 * registers a viewer of `d` (not an owner).  A unix socket is made mode
 * 0600; an existing path that is not a socket, or a socket a live server
 * answers on, is refused; a stale socket is replaced.  0, or -errno with
 * one line in err.
 */
int vnc_server_start(struct vnc_server **out, struct display *d, struct ioloop *loop,
		     const struct vnc_options *o, char *err, size_t errlen);
/*
 * Closes every client and the listening socket, removes the unix socket,
 * frees the viewer and the server.  Before display_destroy().
 */
void vnc_server_stop(struct vnc_server *s);

/* The TCP port listened on (the kernel's pick when o->addr had port 0); 0 for unix. */
unsigned vnc_server_port(const struct vnc_server *s);

/* For tests: clients connected now, and the server's loop callbacks so far. */
struct vnc_server_stats {
	unsigned clients;
	uint64_t callbacks;	/* fd, bottom-half and timer callbacks run */
	uint64_t updates;	/* FramebufferUpdate messages sent */
	uint64_t spooled;	/* encoded bytes waiting in clients' spools (one update each at most) */
};
void vnc_server_stats(struct vnc_server *s, struct vnc_server_stats *st);

/* The handshake limit for clients that connect from now on (tests; default VNC_HANDSHAKE_NS). */
void vnc_server_set_handshake_ms(struct vnc_server *s, unsigned ms);

/* libvncserver's own log lines ("vnc: " prefixed, stderr) on or off (default off). */
void vnc_set_verbose(bool on);

/* The evdev key code (linux/input-event-codes.h) of an X keysym, US layout; 0: none. */
uint16_t vnc_keysym_to_evdev(uint32_t keysym);

#endif
